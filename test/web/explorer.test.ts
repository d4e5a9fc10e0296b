// End-to-end: the explorer built with Vite, served on localhost, driven in Debian's Chromium
// through playwright-core. Every number checked here comes from the page's own model.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import { extname, join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANONICAL_TEXT, VOCAB } from "../../src/train/vocab.js";
import { LESSONS } from "../../web/src/lib/lessons.js";
import { cli } from "../cli/run-cli.js";

const root = new URL("../../", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
const shots = join(root, "dist-web-screenshots");
const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser && process.env["CI"]) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (apt-get install -y chromium)`);
if (!haveBrowser) console.warn(`explorer tests skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);

const shots_dir = (): string => shots;
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".safetensors": "application/octet-stream" };
let server: Server, browser: Browser, base = "";

async function open(width = 1280, hash = ""): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => void (process.env["SHOW_CONSOLE"] && console.log(m.text()))); // SHOW_CONSOLE=1: the page's console (its workers' too) in the test output
  // the views compute in the analysis worker: an action on the page returns once every view has
  // its answer (a test that looks in between uses a locator, which is not waited on)
  const actions = page as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ["click", "fill", "selectOption", "check", "uncheck", "press", "setInputFiles", "type"]) {
    const act = actions[name]!.bind(page);
    actions[name] = async (...args) => {
      const r = await act(...args);
      await settled(page, 120_000);
      return r;
    };
  }
  await page.goto(base + hash);
  await page.waitForSelector("[data-testid=grid]", { timeout: 20_000 });
  await settled(page);
  return { page, errors };
}

/** Every view has the answer to its current inputs: the analysis worker's replies have arrived and been drawn. */
async function settled(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => document.querySelector("[aria-busy=true]") === null, undefined, { timeout });
}

const sumRows = async (page: Page): Promise<{ maxDiff: number; rows: number }> =>
  page.evaluate(() => {
    const rows = [...document.querySelectorAll("[data-testid=vector] g[data-source]")].map((g) => JSON.parse(g.getAttribute("data-values")!) as number[]);
    const actual = JSON.parse(document.querySelector("[data-testid=sum-check]")!.getAttribute("data-actual")!) as number[];
    const sum = actual.map((_, i) => rows.reduce((s, r) => s + r[i]!, 0));
    return { maxDiff: Math.max(...sum.map((x, i) => Math.abs(x - actual[i]!))), rows: rows.length };
  });

describe.skipIf(!haveBrowser)("the explorer in Chromium", () => {
  beforeAll(async () => {
    // The page users get: a production build. (Vitest sets NODE_ENV=test, under which Vite would
    // build with Svelte's development checks — stack traces taken on hot paths, 2–3× the script time
    // of an edit — and every figure these tests print would describe a build nobody runs.)
    const nodeEnv = process.env["NODE_ENV"];
    process.env["NODE_ENV"] = "production";
    try {
      await build({ configFile: join(root, "web/vite.config.ts"), logLevel: "error", mode: "production" });
    } finally {
      process.env["NODE_ENV"] = nodeEnv;
    }
    const dist = join(root, "dist-web");
    server = createServer((req, res) => {
      const path = join(dist, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/\/$/, "/index.html"));
      if (!path.startsWith(dist) || !existsSync(path)) return void res.writeHead(404).end();
      // served as `npm start` serves it: cross-origin isolated, so the page may run helper threads
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }).end(readFileSync(path));
    }).listen(0, "127.0.0.1");
    await new Promise((r) => server.on("listening", r));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    mkdirSync(shots, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("loads the shipped model and draws the grid (5 states × 8 positions)", async () => {
    const { page, errors } = await open();
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/shipped trained model/);
    expect(await page.locator("[data-testid=grid] [data-cell]").count()).toBe(40);
    // a column's label may be cut to fit (an ellipsis); its title holds it whole
    const heads = await page.$$eval("[data-testid=grid] .colhead", (els) => els.map((e) => [e.textContent, e.getAttribute("title")]));
    expect(heads.map(([, title]) => title)).toEqual(["0 “<bos>”", "1 “ayer”", "2 “el”", "3 “perro”", "4 “también”", "5 “caminó”", "6 “y”", "7 “ellos”"]);
    expect(heads.every(([text, title]) => text === title)).toBe(true);
    // at 1280 px the canonical sequence's eight positions fit beside the row labels: nothing scrolled
    // away, nothing under the sticky labels (position 0 was half hidden under them once)
    const fit = await page.evaluate(() => {
      const sc = document.querySelector<HTMLElement>("[data-testid=grid-scroller]")!;
      const labels = sc.querySelector(".corner")!.getBoundingClientRect(), first = sc.querySelector("[data-cell='0-0']")!.getBoundingClientRect();
      return { overflow: sc.scrollWidth - sc.clientWidth, clear: first.left - labels.right };
    });
    expect(fit.overflow).toBeLessThanOrEqual(0);
    expect(fit.clear).toBeGreaterThanOrEqual(0);
    expect(await page.locator("[data-testid=grid-more]").count()).toBe(0);
    // colour scales come with legends: the grid's ‖h‖ from 0 to its largest, patching's 0–100%
    const maxNorm = Math.max(...(await page.$$eval("[data-testid=grid] [data-cell]", (els) => els.map((e) => Number(/‖h‖ = ([\d.]+)/.exec(e.getAttribute("title") ?? "")![1])))));
    expect(await page.textContent("[data-testid=grid-legend]")).toContain(`0 → ${maxNorm.toFixed(1)}`);
    expect(await page.textContent("[data-testid=patch-legend]")).toMatch(/0% → 100%/);
    await page.screenshot({ path: join(shots, "explorer.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("computes with fused multiply-add and helper threads when served cross-origin isolated", async () => {
    const { page, errors } = await open();
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const label = (await page.textContent("[data-testid=arithmetic]")) ?? "";
    expect(label).toMatch(/wasm-simd \(fma\)/); // Chromium ≥ 114 has relaxed SIMD on
    if (cores > 1) expect(label).toMatch(new RegExp(`${Math.min(4, cores)} threads`));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a clicked cell's decomposition sums to its vector, by sublayer and per head", async () => {
    const { page } = await open();
    await page.click("[data-testid=grid] [data-cell='4-7']");
    // the vector's length beside it is the grid cell's ‖h‖, and the scale its bars run to is said
    const cellNorm = Number(/‖h‖ = ([\d.]+)/.exec((await page.getAttribute("[data-testid=grid] [data-cell='4-7']", "title")) ?? "")![1]);
    expect(Number(/([\d.]+)$/.exec((await page.textContent("[data-testid=vector] .norm")) ?? "")![1])).toBeCloseTo(cellNorm, 2);
    expect(await page.textContent("[data-testid=vector-scale]")).toMatch(/bars run to ±\d/);
    await page.check("[data-testid=decompose]");
    // each source's length, from the values it draws
    const norms = await page.$$eval("[data-testid=vector] g[data-source]", (gs) => gs.map((g) => [Math.hypot(...(JSON.parse(g.getAttribute("data-values")!) as number[])), Number(/([\d.]+)$/.exec(g.querySelector(".norm")!.textContent!)![1])]));
    expect(norms).toHaveLength(5);
    for (const [values, shown] of norms) expect(shown).toBeCloseTo(values!, 2);
    expect(await page.textContent("[data-testid=vector-scale]")).toMatch(/one scale for every row/);
    const whole = await sumRows(page);
    expect(whole.rows).toBe(5); // embed, attn 0, mlp 0, attn 1, mlp 1
    expect(whole.maxDiff).toBeLessThan(1e-5);
    await page.check("[data-testid=per-head]");
    const heads = await sumRows(page);
    expect(heads.rows).toBe(11);
    expect(heads.maxDiff).toBeLessThan(1e-5);
    expect(await page.textContent("[data-testid=sum-check]")).toMatch(/✓/);
    await page.screenshot({ path: join(shots, "decompose.png"), fullPage: true });
    await page.close();
  });

  it("the budget opens at the full model; k = 0 is a labelled choice (the bigram floor)", async () => {
    const { page } = await open();
    await page.click("[data-testid=grid] [data-cell='4-7']");
    const top = async (): Promise<string> => (await settled(page), (await page.locator("[data-testid=budget-table] tr td.mono").first().textContent()) ?? "");
    expect(await page.textContent("[data-testid=budget-k]")).toBe("2");
    expect(await page.textContent("[data-testid=budget-what]")).toMatch(/whole model/);
    expect(["caminaron", "también", "nunca", "hablaron"]).toContain(await top());
    expect(await page.textContent("[data-testid=budget-0]")).toMatch(/k = 0 · bigram floor/);
    await page.click("[data-testid=budget-0]");
    expect(await page.textContent("[data-testid=budget-what]")).toMatch(/not the model's answer/);
    await page.fill("[data-testid=budget]", "0");
    expect(await page.textContent("[data-testid=budget-k]")).toBe("0");
    expect(await top()).toBe("ellos"); // the bigram floor repeats the token
    await page.fill("[data-testid=budget]", "2");
    expect(await page.textContent("[data-testid=budget-k]")).toBe("2");
    expect(["caminaron", "también", "nunca", "hablaron"]).toContain(await top());
    // another model opens at its own full depth, whatever k was left at (it stayed at the old one once)
    await page.click("[data-testid=budget-0]");
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { LOCKED } = await import("../../src/model/presets.js");
    const { parseConfig } = await import("../../src/model/config.js");
    const { saveCheckpoint } = await import("../../src/io/checkpoint.js");
    const deeper = saveCheckpoint(new MiniGPT(parseConfig({ n_layers: 4 }, LOCKED)));
    await page.setInputFiles("[data-testid=file]", { name: "four-blocks.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(deeper) });
    await expect.poll(() => page.textContent("[data-testid=budget-k]")).toBe("4");
    expect(await page.textContent("[data-testid=budget-what]")).toMatch(/whole model/);
    expect(await page.locator("[data-testid=budget-4]").getAttribute("aria-pressed")).toBe("true");
    await page.close();
  });

  it("editing the text recomputes; an unknown word gets suggestions that fix it", async () => {
    const { page } = await open();
    await page.fill("[data-testid=text]", "<bos> hoy yo camnio");
    expect(await page.textContent("[data-testid=unknown]")).toMatch(/camnio.*camino/);
    // the panels keep the last valid analysis while a word is unknown; the word is marked where it stands
    expect(await page.locator("[data-testid=grid] [data-cell]").count()).toBe(40);
    expect(await page.isVisible("[data-testid=stale]")).toBe(true);
    expect(await page.locator("[data-testid=chips] .chip").nth(3).textContent()).toBe("?:camnio");
    for (const panel of ["vector", "budget-table", "diagram"]) expect(await page.isVisible(`[data-testid=${panel}]`), panel).toBe(true);
    await page.click("[data-testid=unknown] button:text('camino')");
    expect(await page.inputValue("[data-testid=text]")).toBe("<bos> hoy yo camino");
    await page.waitForSelector("[data-testid=grid] [data-cell='0-3']");
    expect(await page.locator("[data-testid=grid] [data-cell]").count()).toBe(20);
    expect(await page.isVisible("[data-testid=stale]")).toBe(false);
    await page.close();
  });

  it("causality: changing a token changes only cells at and after it; encoder mode leaks", async () => {
    const { page } = await open();
    await page.selectOption("[data-testid=cause-pos]", "3");
    await settled(page);
    const changed = await page.$$eval("[data-testid=cause-grid] [data-cell]", (els) => els.map((e) => [e.getAttribute("data-cell")!, e.getAttribute("data-changed")]));
    expect(changed).toHaveLength(40);
    expect(changed.filter(([cell, ch]) => Number(cell!.split("-")[1]) < 3 && ch === "true")).toEqual([]);
    expect(changed.filter(([cell, ch]) => Number(cell!.split("-")[1]) >= 3 && ch === "true").length).toBeGreaterThan(10);
    expect(await page.getAttribute("[data-testid=cause-result]", "data-leaks")).toBe("false");
    await page.check("[data-testid=encoder]");
    await expect.poll(() => page.getAttribute("[data-testid=cause-result]", "data-leaks")).toBe("true"); // both runs again, in the worker
    await page.close();
  });

  it("switches every label to Spanish", async () => {
    const { page } = await open();
    await page.click("[data-testid=lang]");
    expect(await page.textContent("h1")).toBe("explorador minigpt");
    expect(await page.textContent("main")).toMatch(/tras attn 0/);
    expect(await page.textContent("main")).toMatch(/Presupuesto de bloques/);
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/modelo entrenado incluido/);
    // the plots' axis titles, longer in Spanish, stay inside their plots ("pérdida (entropía cruzada,
    // nats)" ran off the top of a rotated title once)
    const titles = await page.$$eval("svg text.ytitle", (els) => els.map((t) => {
      const a = t.getBoundingClientRect(), b = t.closest("svg")!.getBoundingClientRect();
      return { text: t.textContent, inside: a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5 };
    }));
    expect(titles.length).toBeGreaterThanOrEqual(3);
    for (const t of titles) expect(t.inside, t.text ?? "").toBe(true);
    await page.screenshot({ path: join(shots, "espanol.png") });
    await page.close();
  });

  it("a corrupt checkpoint gets a clear message and the page keeps working", async () => {
    const { page, errors } = await open();
    await page.setInputFiles("[data-testid=file]", { name: "broken.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from("definitely not safetensors") });
    expect(await page.textContent("[data-testid=load-error]")).toMatch(/broken\.safetensors: (header length|truncated)/);
    // the file is named once, and the picker does not show a file that is not in use
    expect(((await page.textContent("[data-testid=load-error]")) ?? "").split("broken.safetensors").length - 1).toBe(1);
    expect(await page.inputValue("[data-testid=file]")).toBe("");
    expect(await page.textContent("[data-testid=picked]")).toBe("no file chosen");
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/shipped trained model/);
    expect(await page.locator("[data-testid=grid] [data-cell]").count()).toBe(40);
    const good = readFileSync(join(root, "checkpoints/minigpt-seed0.safetensors"));
    await page.setInputFiles("[data-testid=file]", { name: "seed0.safetensors", mimeType: "application/octet-stream", buffer: good });
    await page.waitForFunction(() => document.querySelector("[data-testid=source]")?.textContent?.includes("seed0.safetensors"));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("keyboard: arrow keys move the selected cell", async () => {
    const { page } = await open();
    await page.click("[data-testid=grid] [data-cell='2-3']");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowDown");
    expect(await page.getAttribute("[data-testid=grid] [data-cell='3-4']", "aria-pressed")).toBe("true");
    await page.close();
  });

  it("generates a continuation and trains a fresh model in a worker, then explores it", async () => {
    const { page, errors } = await open();
    await page.click("[data-testid=generate]");
    await page.waitForFunction(() => (document.querySelector("[data-testid=generated]")?.textContent ?? "").split(" ").length > 8, undefined, { timeout: 20_000 });
    await page.fill("[data-testid=top-p]", "0.5");
    await page.click("[data-testid=generate]");
    await page.waitForFunction(() => (document.querySelector("[data-testid=generated]")?.textContent ?? "").split(" ").length > 8, undefined, { timeout: 20_000 });
    // a long run shows where it stands — steps done, rates, time left — and stops when asked
    await page.fill("section input[type=number][min='10']", "2000");
    await page.click("[data-testid=train-start]");
    await page.waitForSelector("[data-testid=train-progress]");
    await expect.poll(() => page.getAttribute("[data-testid=train-progress]", "data-done").then(Number)).toBeGreaterThan(5);
    expect(((await page.textContent("[data-testid=train-progress]")) ?? "").replace(/\s+/g, " ")).toMatch(/\d+\/2000 · [\d.]+ steps\/s · [\d.]+k? tokens\/s · time left \d+:\d\d/);
    await page.click("section:has([data-testid=train-curve]) button:text-is('Stop')");
    await page.waitForSelector("[data-testid=train-explore]", { timeout: 60_000 });
    expect(await page.locator("[data-testid=train-progress]").count()).toBe(0);
    await page.fill("section input[type=number][min='10']", "20");
    await page.click("[data-testid=train-start]");
    await page.waitForSelector("[data-testid=train-explore]", { timeout: 60_000 });
    expect(Number(await page.getAttribute("[data-testid=train-curve]", "data-points"))).toBe(20);
    // the loss plot has step ticks and a titled y axis
    expect(await page.locator("[data-testid=train-curve] text.xtick").count()).toBeGreaterThan(2);
    expect(await page.textContent("[data-testid=train-curve] text.ytitle")).toMatch(/loss/);
    await page.click("[data-testid=train-explore]");
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/trained in this page/);
    // its training is a timeline too: it ends at step 20, and step 0 is exactly Node's seed-0 initialisation
    await page.waitForSelector("[data-testid=timeline-curve]");
    expect(await page.textContent("[data-testid=timeline-step]")).toBe("20");
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { LOCKED } = await import("../../src/model/presets.js");
    const { parameterChecksum } = await import("../../src/io/checkpoint.js");
    const trainedSum = await page.getAttribute("[data-testid=timeline]", "data-checksum");
    await page.fill("[data-testid=timeline]", "0");
    await page.waitForFunction(() => document.querySelector("[data-testid=timeline-step]")?.textContent === "0");
    expect(await page.getAttribute("[data-testid=timeline]", "data-checksum")).toBe(parameterChecksum(new MiniGPT({ ...LOCKED, seed: 0 })));
    expect(trainedSum).not.toBe(parameterChecksum(new MiniGPT({ ...LOCKED, seed: 0 })));
    // the picker keeps it: away to the shipped model and back, the same weights
    const trained = await page.inputValue("[data-testid=model-pick]");
    expect(await page.textContent(`[data-testid=model-pick] option[value=${trained}]`)).toMatch(/trained in this page/);
    await page.selectOption("[data-testid=model-pick]", "shipped");
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/shipped/);
    await page.selectOption("[data-testid=model-pick]", trained);
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/trained in this page/);
    await expect.poll(() => page.getAttribute("[data-testid=timeline]", "data-checksum")).toBe(trainedSum);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("trains a character-level model on a text file picked in the page, shows what it writes, and explores it on a line of its own text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "minigpt-text-"));
    const story = "the cat sat on the mat.\nthe dog ran to the cat.\n".repeat(40);
    writeFileSync(join(dir, "story.txt"), story);
    const { page, errors } = await open();
    await page.selectOption("[data-testid=train-data]", "text");
    expect(await page.isDisabled("[data-testid=train-start]")).toBe(true); // no text yet
    writeFileSync(join(dir, "latin1.txt"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1: refused, as by the CLI
    await page.setInputFiles("[data-testid=train-text]", join(dir, "latin1.txt"));
    expect(await page.textContent("section:has([data-testid=train-curve]) p.bad")).toMatch(/latin1.txt: not UTF-8 text/);
    expect(await page.isDisabled("[data-testid=train-start]")).toBe(true);
    await page.setInputFiles("[data-testid=train-text]", join(dir, "story.txt"));
    expect(await page.locator("section:has([data-testid=train-curve]) p.bad").count()).toBe(0);
    expect(await page.textContent("[data-testid=train-text-size]")).toBe("1,920 characters, 15 distinct");
    await page.fill("section input[type=number][min='10']", "60");
    await page.click("[data-testid=train-start]");
    await page.waitForSelector("[data-testid=train-explore]", { timeout: 60_000 });
    expect(await page.textContent("[data-testid=train-status]")).toMatch(/validation loss \d\.\d{3} nats\/char/);
    expect((await page.textContent("[data-testid=train-sample]"))!.length).toBeGreaterThan(10); // 32 characters of its own, newlines kept
    await page.click("[data-testid=train-explore]");
    await expect.poll(() => page.textContent("[data-testid=source]")).toMatch(/trained in this page/);
    // the model reads its own line (the held-out part's first line, up to 24 characters), one chip a character, spaces shown
    expect(await page.inputValue("[data-testid=text]")).toBe("the cat sat on the mat.");
    await page.waitForSelector("[data-testid=grid] [data-cell='0-22']");
    expect(await page.locator("[data-testid=chips] .chip").count()).toBe(23);
    expect(await page.locator("[data-testid=chips] .chip", { hasText: "␣" }).count()).toBeGreaterThan(2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the page's own checks pass, and seed 0 gives the same weights as in Node", async () => {
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { LOCKED } = await import("../../src/model/presets.js");
    const { parameterChecksum } = await import("../../src/io/checkpoint.js");
    const { page, errors } = await open();
    await page.click("[data-testid=run-checks]");
    await page.waitForSelector("[data-testid=checks]");
    expect(await page.getAttribute("[data-testid=checks]", "data-checksum")).toBe(parameterChecksum(new MiniGPT(LOCKED)));
    expect(Number(await page.getAttribute("[data-testid=checks]", "data-error"))).toBeLessThan(1e-5);
    expect(await page.locator("[data-testid=checks] .bad").count()).toBe(0);
    expect(await page.locator("[data-testid=checks] .ok").count()).toBe(3);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("reads on a narrow window without the page scrolling sideways; the grid says more lies to the right and keeps the selection in view", async () => {
    const { page } = await open(420);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await page.waitForSelector("[data-testid=grid-more]");
    expect(await page.textContent("[data-testid=grid-more]")).toMatch(/\d+ more positions to the (left|right)/);
    // the selected cell (the last position, selected at load) lies inside the visible part of the
    // grid: right of the sticky row labels, left of the scroller's edge
    const inside = (): Promise<boolean> => page.evaluate(() => {
      const sc = document.querySelector("[data-testid=grid-scroller]")!.getBoundingClientRect();
      const labels = document.querySelector("[data-testid=grid-scroller] .corner")!.getBoundingClientRect();
      const cell = document.querySelector("[data-testid=grid] [aria-pressed=true]")!.getBoundingClientRect();
      return cell.left >= labels.right - 1 && cell.right <= sc.right + 1;
    });
    expect(await inside()).toBe(true);
    // and so does a cell reached by the keyboard, back at the start of the row
    await page.focus("[data-testid=grid] [aria-pressed=true]");
    for (let i = 0; i < 7; i++) await page.keyboard.press("ArrowLeft");
    await expect.poll(() => page.getAttribute("[data-testid=grid] [aria-pressed=true]", "data-cell")).toMatch(/-0$/);
    await expect.poll(inside).toBe(true);
    await page.screenshot({ path: join(shots, "narrow.png") });
    await page.close();
  });

  it("attention heatmaps label their axes with tokens, draw the masked triangle apart from small weights, and keep a block's heads in one row", async () => {
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { LOCKED } = await import("../../src/model/presets.js");
    const { parseConfig } = await import("../../src/model/config.js");
    const { saveCheckpoint } = await import("../../src/io/checkpoint.js");
    const { page } = await open(1280);
    expect(await page.locator("[data-testid=head-0-0] text[data-axis=query]").count()).toBe(8);
    expect(await page.locator("[data-testid=head-0-0] text[data-axis=key]").first().textContent()).toBe("<bos>");
    expect(await page.locator("[data-testid=head-0-0] rect[fill='url(#masked)']").count()).toBe(28);
    // the pointed cell's weight is written below its map: query → key, or masked above the diagonal
    await page.hover("[data-testid=head-0-0] rect[data-q='3'][data-k='1']");
    await expect.poll(() => page.textContent("[data-testid=tip-0-0]")).toMatch(/^\S+ → \S+: \d+\.\d%$/);
    await page.hover("[data-testid=head-0-0] rect[data-q='1'][data-k='3']");
    await expect.poll(() => page.textContent("[data-testid=tip-0-0]")).toMatch(/: masked/);
    // at 1280 px a block's four heads fit in the panel side by side: the last one is not cut off
    // (its map was 18 px a cell and the fourth head lay past the edge, behind a scroll, once)
    const fits = await page.evaluate(() => {
      const row = document.querySelector("[data-testid=heads-0]")!.getBoundingClientRect(), last = document.querySelector("[data-testid=head-0-3]")!.getBoundingClientRect();
      return { overflow: last.right - row.right, width: last.width };
    });
    expect(fits.overflow).toBeLessThanOrEqual(0);
    expect(fits.width).toBeGreaterThan(100);
    const eight = saveCheckpoint(new MiniGPT(parseConfig({ n_heads: 8 }, LOCKED)));
    await page.setInputFiles("[data-testid=file]", { name: "eight-heads.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(eight) });
    await page.waitForSelector("[data-testid=head-0-7]");
    const tops = await page.$$eval("[data-testid=heads-0] .head", (els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(tops).toHaveLength(8);
    expect(new Set(tops).size).toBe(1);
    await page.close();
  });

  it("the architecture follows the model description: one key at a time changes the diagram, the parameters and the cost", async () => {
    const { page } = await open();
    const params = async (): Promise<string> => (await page.textContent("[data-testid=arch-params]")) ?? "";
    const boxes = async (): Promise<string> => (await page.getAttribute("[data-testid=diagram]", "data-boxes")) ?? "";
    expect(await params()).toBe("103,680");
    // the shape trace: every shape on one line (they wrapped to three, "[1," "8," "64]", once)
    const lines = await page.$$eval("[data-testid=trace] tr td:nth-child(2)", (tds) => tds.map((td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    }));
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.every((n) => n === 1)).toBe(true);
    // the stream's name is readable: no box of the diagram over it (the first ⊕ covered it once)
    const covered = await page.evaluate(() => {
      const label = document.querySelector("[data-testid=stream-label]")!.getBoundingClientRect();
      return [...document.querySelectorAll("[data-testid=diagram] rect")].filter((r) => {
        const b = r.getBoundingClientRect();
        return b.left < label.right && label.left < b.right && b.top < label.bottom && label.top < b.bottom;
      }).length;
    });
    expect(covered).toBe(0);
    // every activation of this input as a file, read byte by byte: the trace's hook points in order, and
    // logits equal to what `minigpt forward` prints for the same input
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("[data-testid=save-activations]")]);
    const saved = join(mkdtempSync(join(tmpdir(), "minigpt-acts-")), "activations.safetensors");
    await download.saveAs(saved);
    const bytes = readFileSync(saved), n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
    expect(Object.keys(header).filter((k) => k !== "__metadata__")).toEqual(await page.$$eval("[data-testid=trace] tr td:first-child", (tds) => tds.map((td) => td.textContent)));
    const { data_offsets: [from, to] } = header["hook_logits"]!;
    const logits = Array.from({ length: (to - from) / 4 }, (_, i) => bytes.readFloatLE(8 + n + from + 4 * i));
    cli({ cwd: root }).json<{ logits: number[][] }>("forward").logits.flat().forEach((v, i) => expect(logits[i]).toBeCloseTo(v, 4));
    await page.check("[data-testid=arch-rms]");
    expect(await params()).toBe("103,360"); // five norms lose their biases: 5 × 64
    expect(await boxes()).toMatch(/RMSNorm₁ → Attn 0/);
    await page.check("[data-testid=arch-swiglu]");
    expect(await boxes()).toMatch(/MLP 0 · SwiGLU/);
    expect(await params()).toBe((103_360 + 2 * (64 * 256 + 256)).toLocaleString("en-US"));
    await page.check("[data-testid=arch-gqa]");
    expect(await boxes()).toMatch(/GQA 4→2 kv/);
    await page.check("[data-testid=arch-parallel]");
    expect(await boxes()).toMatch(/∥ same input/);
    await page.check("[data-testid=arch-post]");
    expect(await page.textContent("[data-testid=arch-error]")).toMatch(/norm = post/);
    await page.close();
  });

  it("activation patching: restoring the changed token's stream restores the answer; the final stream at the last position too; nothing before the change", async () => {
    const { page, errors } = await open();
    // it opens on the canonical sentence's "ayer" made "hoy", in its own language (it offered "today" once)
    expect(await page.inputValue("[data-testid=patch-pos]")).toBe("1");
    expect(await page.inputValue("[data-testid=patch-token]")).toBe("21");
    await page.selectOption("[data-testid=patch-pos]", "1");
    await page.selectOption("[data-testid=patch-token]", "18"); // ayer → a present-tense time word
    await page.waitForSelector("[data-testid=patch-grid]");
    const restored = async (cell: string): Promise<number> => Number(await page.getAttribute(`[data-testid=patch-grid] [data-cell='${cell}']`, "data-restored"));
    expect(await restored("0-1")).toBeCloseTo(1, 4);
    expect(await restored("4-7")).toBeCloseTo(1, 4);
    expect(await restored("0-0")).toBeCloseTo(0, 6);
    expect(await page.textContent("[data-testid=patch-metric]")).toMatch(/logit\(“\S+”\) − logit\(“\S+”\)/);
    // a click selects the cell in every view
    await page.click("[data-testid=patch-grid] [data-cell='2-5'] button");
    expect(await page.getAttribute("[data-testid=grid] [data-cell='2-5']", "aria-pressed")).toBe("true");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("MLP neurons: the selected row's block at the selected position, with the numbers `minigpt neurons` prints", async () => {
    const { page, errors } = await open();
    await page.waitForSelector("[data-testid=neurons] tr[data-neuron]");
    expect([await page.getAttribute("[data-testid=neurons]", "data-layer"), await page.getAttribute("[data-testid=neurons]", "data-position")]).toEqual(["1", "7"]);
    await page.click("[data-testid=grid] [data-cell='1-3']"); // after attn 0, "perro": block 0's MLP comes next
    await expect.poll(() => page.getAttribute("[data-testid=neurons]", "data-position")).toBe("3");
    expect(await page.getAttribute("[data-testid=neurons]", "data-layer")).toBe("0");
    const shown = await page.$$eval("[data-testid=neurons] tr[data-neuron]", (rows) => rows.map((r) => [Number(r.getAttribute("data-neuron")), Number(r.getAttribute("data-activation"))]));
    const { neurons } = cli({ cwd: root }).json<{ neurons: { neuron: number; activation: number }[] }>("neurons", "--layer", "0", "--position", "3");
    expect(shown.map(([n]) => n)).toEqual(neurons.map((n) => n.neuron));
    shown.forEach(([, a], i) => expect(a).toBeCloseTo(neurons[i]!.activation, 5));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("heads by what they do: three score tables; a click opens that head in the attention panel", async () => {
    const { page, errors } = await open();
    // the numbers `minigpt heads` prints for the same model (another process, another engine)
    const { scores } = cli({ cwd: root }).json<{ scores: Record<string, number[][]> }>("heads");
    for (const kind of ["previous_token", "duplicate_token", "induction"]) {
      const shown = await page.$$eval(`[data-testid=heads-${kind}] td[data-score]`, (els) => els.map((e) => Number(e.getAttribute("data-score"))));
      expect(shown).toHaveLength(8);
      shown.forEach((v, i) => expect(v, `${kind} ${i}`).toBeCloseTo(scores[kind]!.flat()[i]!, 5));
    }
    await page.click("[data-testid=heads-induction-1-2]");
    expect(await page.getAttribute("[data-testid=head-1-2]", "aria-pressed")).toBe("true");
    expect(await page.isVisible("[data-testid=reads]")).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("circuits from the weights: the locked model's composition and copying scores are `minigpt circuits`'s; a head opens its OV circuit on the input's tokens, as `--head --sources`", async () => {
    const { page, errors } = await open();
    await page.locator("[data-panel=circuits]").scrollIntoViewIfNeeded();
    await page.waitForSelector("[data-testid=circuits-k-1] td[data-score]");
    // the numbers `minigpt circuits` prints for the same model (another process)
    const c = cli({ cwd: root }).json<{ pairs: { from: { layer: number; head: number }; to: { layer: number; head: number }; q: number; k: number; v: number }[]; baseline: number; copying: number[][] }>("circuits");
    for (const kind of ["q", "k", "v"] as const) {
      const shown = await page.$$eval(`[data-testid=circuits-${kind}-1] td[data-score]`, (els) => els.map((e) => [e.getAttribute("data-pair"), Number(e.getAttribute("data-score"))] as const));
      expect(shown).toHaveLength(16);
      for (const [pair, score] of shown) {
        const p = c.pairs.find((p) => `${p.from.layer}.${p.from.head}-${p.to.layer}.${p.to.head}` === pair)!;
        expect(score, `${kind} ${pair}`).toBeCloseTo(p[kind], 5);
      }
    }
    expect(Number(await page.textContent("[data-testid=circuits-baseline]"))).toBeCloseTo(c.baseline, 2);
    const copying = await page.$$eval("[data-testid=copying] td[data-score]", (els) => els.map((e) => Number(e.getAttribute("data-score"))));
    copying.forEach((s, i) => expect(s).toBeCloseTo(c.copying.flat()[i]!, 5));
    await page.click("[data-testid=copying-1-1]");
    await page.waitForSelector("[data-testid=ov-rows] tr[data-source]");
    const rows = await page.$$eval("[data-testid=ov-rows] tr[data-source]", (els) => els.map((e) => [Number(e.getAttribute("data-source")), Number(e.getAttribute("data-rank"))]));
    const ids = cli({ cwd: root }).json<{ ids: number[] }>("forward").ids;
    expect(rows.map(([s]) => s)).toEqual([...new Set(ids)]);
    const head = cli({ cwd: root }).json<{ rows: { source: number; selfRank: number }[] }>("circuits", "--head", "1.1", "--sources", rows.map(([s]) => s).join(","));
    expect(rows.map(([, r]) => r)).toEqual(head.rows.map((r) => r.selfRank));
    expect(await page.textContent("[data-testid=ov-self]")).toContain(`${head.rows.filter((r) => r.selfRank === 1).length} / ${rows.length}`);
    // the tokens that were never a training target (<pad>, the unused slots) are dimmed and marked, every one of them and no other
    const chips = await page.$$eval("[data-testid=ov-rows] .push", (els) => els.map((e) => [e.querySelector(".tok")!.textContent!, e.hasAttribute("data-untrained")] as const));
    expect(chips.some(([, marked]) => marked)).toBe(true);
    for (const [token, marked] of chips) expect(marked, token).toBe(/^<(pad|unused\d)>$/.test(token));
    // past 4 blocks (or 8 heads a block) the view lists the strongest pairs of each kind instead of matrices
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { parseConfig } = await import("../../src/model/config.js");
    const { saveCheckpoint } = await import("../../src/io/checkpoint.js");
    const { LOCKED } = await import("../../src/model/presets.js");
    const five = saveCheckpoint(new MiniGPT(parseConfig({ n_layers: 5, n_heads: 2 }, LOCKED)));
    await page.setInputFiles("[data-testid=file]", { name: "five-blocks.safetensors", mimeType: "application/octet-stream", buffer: Buffer.from(five) });
    await page.locator("[data-panel=circuits]").scrollIntoViewIfNeeded();
    await page.waitForSelector("[data-testid=circuits-k] td[data-score]");
    const listed = await page.$$eval("[data-testid=circuits-k] td[data-score]", (els) => els.map((e) => Number(e.getAttribute("data-score"))));
    expect(listed).toHaveLength(8);
    expect(listed).toEqual([...listed].sort((a, b) => b - a));
    expect(await page.locator("[data-testid=copying] td[data-score]").count()).toBe(10);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("what each component costs: the page's mean and zero ablations are `minigpt ablate`'s on the same held-out sentences", async () => {
    const { page, errors } = await open();
    await page.locator("[data-panel=ablation]").scrollIntoViewIfNeeded();
    for (const kind of ["mean", "zero"] as const) {
      await page.check(`[data-testid=ablation-${kind}]`);
      await page.waitForSelector(`[data-testid=ablation][data-kind=${kind}] tr[data-component]`);
      await expect.poll(() => page.$$eval("[data-panel=ablation] [aria-busy=true]", (els) => els.length)).toBe(0);
      const shown = await page.$$eval("[data-testid=ablation] tr[data-component]", (els) => els.map((e) => [e.getAttribute("data-component"), Number(e.getAttribute("data-delta"))] as const));
      const cli_ = cli({ cwd: root }).json<{ clean: number; components: { name: string; delta: number }[] }>("ablate", "--kind", kind);
      expect(shown.map(([n]) => n)).toEqual(cli_.components.map((c) => c.name));
      shown.forEach(([n, d], i) => expect(d, `${kind} ${n}`).toBeCloseTo(cli_.components[i]!.delta, 5));
      expect(await page.textContent("[data-testid=ablation-clean]")).toContain(`64 held-out sentences · clean loss ${cli_.clean.toFixed(3)}`);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it("steering: the page's prediction and continuations are `minigpt steer`'s, for a difference of two texts and for an SAE feature; an unknown word is named", async () => {
    const { page, errors } = await open();
    await page.locator("[data-panel=steering]").scrollIntoViewIfNeeded();
    const settled = (): Promise<void> => expect.poll(() => page.$$eval("[data-panel=steering] [aria-busy=true]", (els) => els.length)).toBe(0);
    await page.waitForSelector("[data-testid=steer-table]");
    await page.fill("[data-testid=steer-scale]", "2");
    await expect.poll(() => page.textContent("[data-testid=steer-after]")).toBe("caminan");
    await settled();
    const shown = async (): Promise<{ after: string[]; steered: string }> => ({
      after: await page.$$eval("[data-testid=steer-after]", (els) => els.map((e) => e.textContent ?? "")),
      steered: (await page.textContent("[data-testid=steer-steered]")) ?? "",
    });
    const run = cli({ cwd: root });
    type Steer = { after: { id: number }[]; continuation: { steered: number[] } };
    const names = (xs: readonly number[]): string[] => xs.map((id) => VOCAB[id]!.token);
    const contrast = run.json<Steer>("steer", "--towards", "<bos> hoy", "--away", "<bos> ayer", "--scale", "2");
    let s = await shown();
    await page.locator("[data-panel=steering]").screenshot({ path: join(shots, "steering.png") });
    expect(s.after).toEqual(names(contrast.after.map((a) => a.id)));
    expect(s.steered).toBe(`${CANONICAL_TEXT} ${names(contrast.continuation.steered).join(" ")}`);
    // an SAE feature: the CLI's default scale is the page's 1
    await page.fill("[data-testid=steer-scale]", "1");
    await page.selectOption("[data-testid=steer-kind]", "feature");
    await page.fill("[data-testid=steer-latent]", "3");
    await expect.poll(() => page.textContent("[data-testid=steer-norms]")).toMatch(/blocks\.1\.hook_resid_post/);
    await settled();
    const feature = run.json<Steer>("steer", "--feature", "3", "--sae", join(root, "checkpoints/minigpt-sae.safetensors"));
    s = await shown();
    expect(s.after).toEqual(names(feature.after.map((a) => a.id)));
    expect(s.steered).toBe(`${CANONICAL_TEXT} ${names(feature.continuation.steered).join(" ")}`);
    await page.selectOption("[data-testid=steer-kind]", "contrast");
    await page.fill("[data-testid=steer-towards]", "<bos> hoyy");
    await expect.poll(() => page.textContent("[data-testid=steer-problem]")).toMatch(/not in the vocabulary: hoyy/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("probes: fitted when asked, the CLI's held-out accuracies for the model and the untrained control", async () => {
    const { page, errors } = await open();
    await page.locator("[data-panel=probes]").scrollIntoViewIfNeeded();
    await page.click("[data-testid=probes-run]");
    await page.waitForSelector("[data-testid=probes] td[data-property]", { timeout: 60_000 });
    await page.locator("[data-panel=probes]").screenshot({ path: join(shots, "probes.png") });
    const shown = await page.$$eval("[data-testid=probes] td[data-property]", (els) => els.map((e) => [e.getAttribute("data-property"), Number(e.getAttribute("data-trained")), Number(e.getAttribute("data-control"))] as const));
    const cli_ = cli({ cwd: root }).json<{ probes: { property: string; trained: { states: { test: number }[] }; control: { states: { test: number }[] } }[] }>("probe", "--sentences", "200");
    // the page lists state by state, property by property: 5 × 3 cells
    const byState = [0, 1, 2, 3, 4].flatMap((k) => cli_.probes.map((p) => [p.property, p.trained.states[k]!.test, p.control.states[k]!.test] as const));
    expect(shown).toHaveLength(15);
    expect(shown).toEqual(byState);
    // your own labelled positions: the CLI's --data figures; a bad file says which line
    const lines = ["ayer", "hoy", "yesterday", "today", "ahora", "now"].flatMap((t) => ["ellos", "yo", "tú", "él", "the dog", "I"].map((s) => JSON.stringify({ text: `<bos> ${t} ${s}`, label: t === "ayer" || t === "yesterday" ? "past" : "present" })));
    const dir = mkdtempSync(join(tmpdir(), "minigpt-probes-"));
    writeFileSync(join(dir, "tense.jsonl"), lines.join("\n"));
    await page.setInputFiles("[data-testid=probes-file]", join(dir, "tense.jsonl"));
    await page.waitForSelector("[data-testid=probes] td[data-property=label]", { timeout: 60_000 });
    const mine = await page.$$eval("[data-testid=probes] td[data-property=label]", (els) => els.map((e) => [Number(e.getAttribute("data-trained")), Number(e.getAttribute("data-control"))]));
    const data = cli({ cwd: root }).json<{ probes: { trained: { states: { test: number }[] }; control: { states: { test: number }[] } }[] }>("probe", "--data", join(dir, "tense.jsonl"));
    expect(mine).toEqual(data.probes[0]!.trained.states.map((s, k) => [s.test, data.probes[0]!.control.states[k]!.test]));
    await page.setInputFiles("[data-testid=probes-file]", { name: "bad.jsonl", mimeType: "application/json", buffer: Buffer.from(`${lines[0]}\n{ nope`) });
    await expect.poll(() => page.textContent("[data-panel=probes]")).toMatch(/bad\.jsonl line 2: not JSON/);
    rmSync(dir, { recursive: true, force: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the tuned lens shipped with the model reads the grid differently from the logit lens; attribution patching fills every cell from one backward pass; edge attribution patching gives the library's 16 head-to-head edges", async () => {
    const { page, errors } = await open();
    await page.check("[data-testid=show-lens]");
    const lensRow0 = async (): Promise<string[]> => (await settled(page), page.$$eval("[data-testid=grid] [data-cell^='0-'] .lens", (els) => els.map((e) => e.textContent ?? "")));
    const logit = await lensRow0();
    await page.check("[data-testid=lens-tuned]");
    const tuned = await lensRow0();
    expect(tuned).toHaveLength(8);
    expect(tuned).not.toEqual(logit); // h₀ read through its translator: no longer the bigram guess
    await page.selectOption("[data-testid=patch-pos]", "1");
    await page.selectOption("[data-testid=patch-token]", "18");
    await page.check("[data-testid=patch-attribution]");
    const values = await page.$$eval("[data-testid=patch-grid] td[data-restored]", (els) => els.map((e) => e.getAttribute("data-restored")));
    expect(values).toHaveLength(40);
    expect(values.every((v) => v !== "" && Number.isFinite(Number(v)))).toBe(true);
    expect(Number(await page.getAttribute("[data-testid=patch-grid] [data-cell='0-0']", "data-restored"))).toBeCloseTo(0, 6);
    // edges between heads: the page's 16 estimates are the library's, computed here in Node for the same metric
    await page.check("[data-testid=patch-edges]");
    await page.waitForSelector("[data-testid=patch-edge-grid]");
    const shown = await page.$$eval("[data-testid=patch-edge-grid] td[data-edge]", (els) => els.map((e) => [e.getAttribute("data-edge"), Number(e.getAttribute("data-restored"))] as const));
    expect(shown).toHaveLength(16);
    const [good, bad] = [...((await page.textContent("[data-testid=patch-metric]")) ?? "").matchAll(/“([^”]+)”/g)].map((m) => VOCAB.find((t) => t.token === m[1])!.id);
    const { edgeAttributionPatching } = await import("../../src/interp/patching.js");
    const { loadCheckpoint } = await import("../../src/io/checkpoint.js");
    const { canonicalIds } = await import("../../src/train/tokenizer.js");
    const shipped = loadCheckpoint(new Uint8Array(readFileSync(join(root, "checkpoints/minigpt.safetensors")))).model;
    const clean = canonicalIds(), corrupted = [...clean];
    corrupted[1] = 18;
    const expected = new Map(edgeAttributionPatching(shipped, clean, corrupted, { good: good!, bad: bad! }).edges.map((e) => [`${e.from.layer}.${e.from.head}-${e.to.layer}.${e.to.head}`, e.restored]));
    for (const [edge, v] of shown) expect(v, edge!).toBeCloseTo(expected.get(edge!)!, 5);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the feature browser: the shipped SAE's features, one in full with its contexts marked, and the features active at the selected position", async () => {
    const { page, errors } = await open();
    await page.waitForSelector("[data-testid=feature-list] button");
    expect(await page.locator("[data-testid=feature-list] button").count()).toBeGreaterThan(20);
    const second = page.locator("[data-testid=feature-list] button").nth(1);
    const id = ((await second.getAttribute("data-testid")) ?? "").replace("feature-", "");
    await second.click();
    // the detail comes from the analysis worker: the one shown before stays until it answers
    await expect.poll(() => page.getAttribute("[data-testid=feature-detail]", "data-latent")).toBe(id);
    expect(await page.locator("[data-testid=feature-detail] b.active").count()).toBeGreaterThan(0);
    expect(await page.locator("[data-testid=feature-histogram] rect").count()).toBe(10);
    // the tokens it pushes, each beside its signed effect: up the largest first, down the most negative first
    const pushes = (side: string): Promise<number[]> => page.$$eval(`[data-testid=pushes-${side}] .push .num`, (els) => els.map((e) => Number(e.textContent!.replace("−", "-")))); // printed with a true minus
    const up = await pushes("up"), down = await pushes("down");
    expect(up.length).toBeGreaterThan(2);
    expect(up.every((v, i) => v > 0 && (i === 0 || v <= up[i - 1]!))).toBe(true);
    expect(down.length).toBeGreaterThan(2);
    expect(down.every((v, i) => v < 0 && (i === 0 || v >= down[i - 1]!))).toBe(true);
    // the view fits its panel at 1280 px: nothing to scroll sideways (its columns overflowed by ~26 px once)
    expect(await page.evaluate(() => { const s = document.querySelector("[data-testid=feature-detail]")!.closest("section")!; return s.scrollWidth - s.clientWidth; })).toBeLessThanOrEqual(0);
    // the cell selected in the grid: its active features (TopK: exactly 8), one click away
    await page.click("[data-testid=grid] [data-cell='4-3']");
    const here = page.locator("[data-testid=features-here] button");
    expect(await here.count()).toBe(8);
    await here.first().click();
    const picked = ((await here.first().textContent()) ?? "").match(/#(\d+)/)![1]!;
    await expect.poll(() => page.getAttribute("[data-testid=feature-detail]", "data-latent")).toBe(picked);
    await page.locator("[data-testid=feature-detail]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "features.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the induction model's timeline: dragging it shows the model at each saved step (exactly its weights), and the induction heads appear along it", async () => {
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { INDUCTION } = await import("../../src/train/induction.js");
    const { loadSnapshot, snapshotList } = await import("../../src/train/snapshots.js");
    const { parameterChecksum } = await import("../../src/io/checkpoint.js");
    const shots = new Uint8Array(readFileSync(join(root, "checkpoints/induction-snapshots.safetensors")));
    const steps = snapshotList(shots);
    const expected = (step: number): string => {
      const m = new MiniGPT(INDUCTION, { init: false });
      loadSnapshot(shots, step, m);
      return parameterChecksum(m);
    };
    const { page, errors } = await open();
    await page.selectOption("[data-testid=model-pick]", "induction");
    await page.waitForSelector("[data-testid=timeline]");
    expect(await page.textContent("[data-testid=timeline-step]")).toBe(String(steps.at(-1)));
    await page.waitForSelector("[data-testid=heads-induction] td[data-score]");
    const topInduction = async (): Promise<number> => Math.max(...(await page.$$eval("[data-testid=heads-induction] tr:nth-child(2) td[data-score]", (els) => els.map((e) => Number(e.getAttribute("data-score"))))));
    expect(await topInduction()).toBeGreaterThan(0.5);
    for (const i of [0, Math.floor(steps.length / 2), steps.length - 1]) {
      await page.fill("[data-testid=timeline]", String(i));
      await page.waitForFunction((s) => document.querySelector("[data-testid=timeline-step]")?.textContent === String(s), steps[i]);
      expect(await page.getAttribute("[data-testid=timeline]", "data-checksum")).toBe(expected(steps[i]!));
    }
    await page.fill("[data-testid=timeline]", "0");
    await page.waitForFunction(() => document.querySelector("[data-testid=timeline-step]")?.textContent === "1");
    expect(await topInduction()).toBeLessThan(0.2);
    await page.screenshot({ path: join(shots_dir(), "induction.png") });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the Pre-LN vs Post-LN lab trains all four variants in a worker, drawing each curve as it goes and each block's initial gradient norm", async () => {
    const { blockGradNorms, labBatch, labConfig } = await import("../../src/train/norms-lab.js");
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { page, errors } = await open();
    // the empty log axis labels its decades, not every 1–9 × 10ⁿ (eighteen crowded labels once)
    expect(await page.$$eval("[data-testid=lab-grads] text.gtick", (els) => els.map((e) => e.textContent))).toEqual(["0.01", "0.1", "1"]);
    await page.selectOption("[data-testid=lab-depth]", "2");
    // a longer run shows its progress over the four runs (4 × 500 steps), and stops when asked
    await page.fill("[data-testid=lab-steps]", "500");
    await page.click("[data-testid=lab-start]");
    await page.waitForSelector("[data-testid=lab-progress]");
    expect(((await page.textContent("[data-testid=lab-progress]")) ?? "").replace(/\s+/g, " ")).toMatch(/\d+\/2000 · [\d.]+ steps\/s · time left \d+:\d\d/);
    await page.click("section:has([data-testid=lab-curves]) button:text-is('Stop')");
    expect(await page.locator("[data-testid=lab-progress]").count()).toBe(0);
    await page.fill("[data-testid=lab-steps]", "8");
    await page.click("[data-testid=lab-start]");
    await page.waitForSelector('[data-testid="lab-final-post/warmup"]', { timeout: 60_000 }); // the grid's last point has finished
    await page.locator("[data-testid=lab-curves]").screenshot({ path: join(shots_dir(), "lab.png") });
    for (const key of ["pre/none", "pre/warmup", "post/none", "post/warmup"]) {
      expect(await page.getAttribute(`[data-testid=lab-curves] path[data-series="${key}"]`, "data-points"), key).toBe("8");
      expect(Number(await page.textContent(`[data-testid="lab-final-${key}"]`))).toBeGreaterThan(0);
    }
    for (const norm of ["pre", "post"] as const) {
      // the same numbers the library computes in Node for that model and batch
      const expected = blockGradNorms(new MiniGPT(labConfig(norm, 2)), labBatch()).map((g) => g.ffn);
      const shown = await page.$$eval(`[data-testid=lab-grads] circle[data-grad=${norm}]`, (els) => els.map((e) => Number(e.getAttribute("data-value"))));
      expect(shown).toHaveLength(2);
      shown.forEach((v, b) => expect(v / expected[b]!).toBeCloseTo(1, 3));
    }
    // with the gradients in, a few labels still, each inside the plot
    const ticks = await page.$$eval("[data-testid=lab-grads] text.gtick", (els) => els.map((e) => Number(e.getAttribute("y"))));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(4);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the URL keeps the state: a shared link reopens the same model, input, selected cell, training step and language", async () => {
    const { snapshotList } = await import("../../src/train/snapshots.js");
    const steps = snapshotList(new Uint8Array(readFileSync(join(root, "checkpoints/induction-snapshots.safetensors"))));
    const mid = steps[Math.floor(steps.length / 2)]!;
    const text = "<bos> perro ayer I nunca , perro ayer I nunca";
    const link = `#model=induction&text=${encodeURIComponent(text)}&cell=1.6&step=${mid}&lang=es`;
    const { page, errors } = await open(1280, link);
    await page.waitForFunction((s) => document.querySelector("[data-testid=timeline-step]")?.textContent === String(s), mid);
    expect(await page.inputValue("[data-testid=model-pick]")).toBe("induction");
    expect(await page.inputValue("[data-testid=text]")).toBe(text);
    expect(await page.getAttribute("[data-testid=grid] .sel", "data-cell")).toBe("1-6");
    expect(await page.textContent("[data-testid=lang]")).toBe("English"); // the page is in Spanish
    // the page writes its state back: edit, then open the new link in a fresh page
    await page.fill("[data-testid=text]", "<bos> perro I nunca , perro I");
    await page.click("[data-testid=grid] [data-cell='0-2']");
    await expect.poll(() => new URL(page.url()).hash).toContain("cell=0.2"); // the link is written just after the edit's frame
    const shared = new URL(page.url()).hash;
    const again = await open(1280, shared);
    await again.page.waitForSelector("[data-testid=timeline-step]");
    expect(await again.page.inputValue("[data-testid=text]")).toBe("<bos> perro I nunca , perro I");
    expect(await again.page.getAttribute("[data-testid=grid] .sel", "data-cell")).toBe("0-2");
    expect(await again.page.textContent("[data-testid=timeline-step]")).toBe(String(mid));
    expect(errors).toEqual([]);
    await page.close();
    await again.page.close();
  });

  it("the URL keeps the head and the SAE latent too: picked in the page, written to the link, reopened by it", async () => {
    const { page, errors } = await open();
    await page.click("[data-testid=head-1-2]");
    const second = await page.locator("[data-testid=feature-list] button").nth(1).getAttribute("data-testid");
    await page.click(`[data-testid=${second}]`);
    const latent = second!.replace("feature-", "");
    await expect.poll(() => new URL(page.url()).hash).toContain(`latent=${latent}`);
    const hash = new URL(page.url()).hash;
    expect(hash).toContain("head=1.2");
    expect(hash).toContain(`latent=${latent}`);
    const again = await open(1280, hash);
    expect(await again.page.getAttribute("[data-testid=head-1-2]", "aria-pressed")).toBe("true");
    expect(await again.page.getAttribute("[data-testid=feature-detail]", "data-latent")).toBe(latent);
    expect(await again.page.locator("[data-testid=reads] tr").count()).toBeGreaterThan(0); // the head's reads listed
    // a link naming a latent the SAE lacks: the feature view says so where its detail would be, the rest works
    const bad = await open(1280, "#latent=99999");
    expect(await bad.page.textContent("[data-testid=job-error]")).toMatch(/latent 99999 is out of range: 0 to 255/);
    expect(await bad.page.locator("[data-testid=feature-list] button").count()).toBeGreaterThan(0);
    expect([...errors, ...again.errors, ...bad.errors]).toEqual([]);
    await bad.page.close();
    await page.close();
    await again.page.close();
  });

  it("accessibility: axe-core finds no serious or critical violations, on the shipped model and the induction model, in both languages", async () => {
    const { page, errors } = await open();
    const audit = async (where: string): Promise<void> => {
      // the circuits view draws when in sight: bring it, and a head's OV rows (dimmed chips among them), into the audit
      await page.locator("[data-panel=circuits]").scrollIntoViewIfNeeded();
      await page.click("[data-testid=copying-1-1]");
      await page.waitForSelector("[data-testid=ov-rows] tr[data-source]");
      await page.locator("[data-panel=ablation]").scrollIntoViewIfNeeded();
      await page.waitForSelector("[data-testid=ablation] tr[data-component]");
      await page.locator("[data-panel=steering]").scrollIntoViewIfNeeded();
      await page.waitForSelector("[data-testid=steer-table]");
      await page.locator("[data-panel=probes]").scrollIntoViewIfNeeded();
      await page.addScriptTag({ path: join(root, "node_modules/axe-core/axe.min.js") });
      const found = await page.evaluate(async () => {
        const r = await (window as unknown as { axe: { run: (ctx: Document) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe.run(document);
        return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ""}`);
      });
      expect(found, where).toEqual([]);
    };
    await page.locator("[data-panel=probes]").scrollIntoViewIfNeeded(); // the probes' table in the audit too (fitted once)
    await page.click("[data-testid=probes-run]");
    await page.waitForSelector("[data-testid=probes] td[data-property]", { timeout: 60_000 });
    await audit("shipped model, English");
    await page.click("[data-testid=lang]");
    await audit("shipped model, Spanish");
    await page.selectOption("[data-testid=model-pick]", "induction");
    await page.waitForSelector("[data-testid=timeline]");
    await audit("induction model, Spanish");
    await page.click("[data-testid=theme]");
    expect(await page.evaluate(() => document.documentElement.dataset["theme"])).toBe("dark");
    await audit("induction model, Spanish, dark theme");
    await page.selectOption("[data-testid=model-pick]", "shipped");
    await page.click("[data-testid=lesson-start-residual]");
    await page.click("[data-testid=lesson-reveal]");
    await audit("shipped model, a lesson open, dark theme");
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const lang of ["en", "es"] as const) {
    it(`each lesson runs from start to end in ${lang === "en" ? "English" : "Spanish"}: every step focuses its view and the model answers its question`, async () => {
      const { page, errors } = await open(1280, lang === "es" ? "#lang=es" : "");
      const L = lang === "en" ? 0 : 1;
      for (const lesson of LESSONS) {
        await page.click(`[data-testid=lesson-start-${lesson.id}]`);
        expect(await page.textContent("[data-testid=lesson] h2")).toBe(lesson.title[L]);
        for (const [i, step] of lesson.steps.entries()) {
          expect(await page.textContent("[data-testid=lesson-step]")).toMatch(new RegExp(`${i + 1} / ${lesson.steps.length}`));
          expect(await page.textContent("[data-testid=lesson-title]")).toBe(step.title[L]);
          // the step's view is outlined and in sight (the spine's own views scroll inside the spine)
          const focused = page.locator(`[data-panel=${step.panel}]`);
          expect(await focused.getAttribute("class")).toMatch(/\bfocus\b/);
          await page.waitForFunction((panel) => {
            const r = document.querySelector(`[data-panel=${panel}]`)!.getBoundingClientRect();
            return r.top < innerHeight && r.bottom > 0;
          }, step.panel, { timeout: 5000 });
          await expect.poll(() => new URL(page.url()).hash).toContain(`lesson=${lesson.id}.${i}`);
          if (step.question !== undefined) {
            await page.click("[data-testid=lesson-reveal]");
            const answer = (await page.textContent("[data-testid=lesson-answer]")) ?? "";
            expect(answer, `${lesson.id} step ${i + 1}`).toMatch(/\d/); // a number computed from the model
            expect(answer).not.toMatch(/unexpected|inesperado|should never|no debería|differ:|no coinciden/);
          }
          await page.click("[data-testid=lesson-next]");
        }
        expect(await page.textContent("[data-testid=lesson-done]")).toBe(lang === "en" ? "Lesson complete — the page is yours: every view stays as the lesson left it." : "Lección completada: la página es tuya, cada vista queda como la dejó la lección.");
        await page.click("[data-testid=lesson-leave]");
        expect(await page.locator("section.focus").count()).toBe(0);
      }
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  it("the induction lesson loads the induction model and reads its circuit: the previous-token heads, through the key, copying", async () => {
    const { page, errors } = await open();
    await page.click("[data-testid=lesson-start-induction]");
    await expect.poll(() => page.inputValue("[data-testid=model-pick]")).toBe("induction");
    await page.click("[data-testid=lesson-reveal]");
    await expect.poll(() => page.textContent("[data-testid=lesson-answer]")).toMatch(/^Previous-token heads in block 0: 0\.2 \(0\.70\)/);
    await page.click("[data-testid=lesson-next]");
    expect(await page.getAttribute("[data-panel=circuits]", "class")).toMatch(/\bfocus\b/);
    await page.click("[data-testid=lesson-reveal]");
    await expect.poll(() => page.textContent("[data-testid=lesson-answer]")).toMatch(/^Through the key: averaged over those pairs, K-composition 0\.23/);
    await expect.poll(() => new URL(page.url()).hash).toMatch(/model=induction.*lesson=induction\.1|lesson=induction\.1.*model=induction/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("a lesson answers from the model in the page, and a link reopens the lesson at its step", async () => {
    const { page, errors } = await open(1280, "#lesson=residual.3");
    expect(await page.textContent("[data-testid=lesson-step]")).toMatch(/4 \/ 6/);
    await page.click("[data-testid=lesson-reveal]");
    // the bigram floor, as the budget panel computes it: k = 0's top token is in the answer
    const answer = (await page.textContent("[data-testid=lesson-answer]")) ?? "";
    await page.locator("[data-testid=lesson]").scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, "lesson.png") });
    await page.click("[data-testid=budget-0]");
    await settled(page);
    const floor = (await page.locator("[data-testid=budget-table] tr td.mono").first().textContent()) ?? "";
    expect(answer).toContain(`k = 0 gives “${floor}”`);
    // leave at any step: the page keeps the lesson's selection and goes on as a free explorer
    await page.click("[data-testid=lesson-leave]");
    await expect.poll(() => new URL(page.url()).hash).not.toContain("lesson=");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("hover-linking: pointing at a token anywhere outlines its position in the chips, the grid and every attention map", async () => {
    const { page, errors } = await open();
    await page.hover("[data-chip='3']");
    expect(await page.locator("[data-testid=grid] .cell.hov").count()).toBe(5); // the column: 5 states
    expect(await page.getAttribute("[data-testid=grid] .cell.hov >> nth=0", "data-cell")).toBe("0-3");
    expect(await page.locator("[data-testid=heads-0] [data-hover-row='3']").count()).toBe(4); // every head of block 0
    await page.hover("[data-testid=grid] [data-cell='2-6']");
    expect(await page.getAttribute("[data-testid=chips] .chip.hov", "data-chip")).toBe("6");
    expect(await page.locator("[data-testid=heads-1] [data-hover-row='6']").count()).toBe(4);
    await page.mouse.move(0, 0);
    await page.hover("h1");
    expect(await page.locator(".hov").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("the layout: the grid and the diagram stay in view (the spine) while the views scroll beside them", async () => {
    const { page } = await open(1280);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.locator("[data-testid=patch-pos]").scrollIntoViewIfNeeded();
    const grid = await page.locator("[data-panel=grid]").boundingBox();
    expect(grid!.y).toBeLessThan(800);
    expect(grid!.y + grid!.height).toBeGreaterThan(0);
    // off-screen sections render when scrolled to (content-visibility): two frames for them to paint
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 100)))));
    await page.screenshot({ path: join(shots, "layout.png") });
    // a narrow window: one column, nothing wider than the window
    await page.setViewportSize({ width: 600, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(600);
    await page.close();
  });

  it("the block diagram is a map: a box selects its stream state in the grid, an attention box opens its block's heads, by mouse or keyboard", async () => {
    const { page, errors } = await open();
    await page.click("[data-testid=grid] [data-cell='0-5']");
    // locked model: states h₀, after attn 0, after mlp 0, after attn 1, after mlp 1
    expect(await page.locator("[data-testid=diagram] g[data-state]").count()).toBe(9); // embed + 2 × (attn, ⊕, mlp, ⊕)
    await page.locator("[data-testid=diagram] g[data-state='3']").first().click(); // Attn 1
    expect(await page.getAttribute("[data-testid=grid] .sel", "data-cell")).toBe("3-5"); // the position is kept
    expect(await page.getAttribute("[data-testid=head-1-0]", "aria-pressed")).toBe("true");
    await page.locator("[data-testid=diagram] g[data-state='2']").last().focus(); // the ⊕ after MLP 0
    await page.keyboard.press("Enter");
    expect(await page.getAttribute("[data-testid=grid] .sel", "data-cell")).toBe("2-5");
    await expect.poll(() => new URL(page.url()).hash).toContain("cell=2.5");
    // a switch that changes the architecture draws a variant, not the loaded model: its boxes are not links
    await page.click("[data-testid=arch-post]");
    expect(await page.locator("[data-testid=diagram] g[data-state]").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("one selection, every view follows: the grid's cell drives the vector pane, the attention reads, the active features, the patching grid and the URL", async () => {
    const { page, errors } = await open();
    await page.click("[data-testid=head-1-0]");
    const featureSets: string[] = [];
    for (const [state, position] of [[4, 3], [1, 6]] as const) {
      await page.click(`[data-testid=grid] [data-cell='${state}-${position}']`);
      expect(await page.getAttribute("[data-testid=vector]", "aria-label")).toMatch(state === 4 ? /after mlp 1/ : /after attn 0/);
      expect(await page.locator("[data-testid=reads] tr").count()).toBe(position + 1); // causal: what position p reads, 0…p
      await settled(page); // the active features come from the analysis worker
      featureSets.push(((await page.textContent("[data-testid=features-here]")) ?? "").trim()); // the SAE's latents active at that position
      expect(await page.getAttribute("[data-testid=patch-grid] td.sel", "data-cell")).toBe(`${state}-${position}`);
      await expect.poll(() => new URL(page.url()).hash).toContain(`cell=${state}.${position}`);
    }
    expect(featureSets[0]).not.toBe(featureSets[1]);
    // and the other way: a click in the patching grid selects the grid's cell
    await page.click("[data-testid=patch-grid] [data-cell='2-4'] button");
    expect(await page.getAttribute("[data-testid=grid] .sel", "data-cell")).toBe("2-4");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("measures the time from a token edit to the redrawn panels on the locked model (reported, not asserted)", async () => {
    const { page, errors } = await open();
    const a = "<bos> ayer el perro también caminó y ellos", b = "<bos> hoy el perro también camina y ellos";
    const times = await page.evaluate(async ([a, b]) => {
      const input = document.querySelector<HTMLInputElement>("[data-testid=text]")!;
      const lastHead = (): string => [...document.querySelectorAll("[data-testid=grid] .colhead")].map((e) => e.textContent).join("|");
      const spine: number[] = [], all: number[] = [], frame: number[] = [];
      for (let i = 0; i < 21; i++) {
        const before = lastHead();
        const t = performance.now();
        input.value = i % 2 === 0 ? b! : a!;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        // the spine (grid, vector, budget, attention: computed in the page's thread for a small
        // model), then every view in sight (patching and causality answer from the worker),
        // checked at each turn of the page's event loop
        let g = 0;
        while (lastHead() === before || document.querySelector("[aria-busy=true]") !== null) {
          if (performance.now() - t > 5000) throw new Error(`edit ${i} did not redraw the grid`);
          if (g === 0 && lastHead() !== before && document.querySelector("[data-panel=grid][aria-busy=true], [data-testid=budget-table][aria-busy=true]") === null) g = performance.now() - t;
          await new Promise((r) => setTimeout(r, 0));
        }
        const s = performance.now() - t;
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))); // and the frame that shows it
        const f = performance.now() - t;
        if (i > 0) (spine.push(g || s), all.push(s), frame.push(f)); // the first edit warms up
      }
      const median = (x: number[]): number => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!;
      return { spine_ms: median(spine), all_ms: median(all), frame_ms: median(frame) };
    }, [a, b]);
    expect(times.spine_ms).toBeGreaterThan(0);
    writeFileSync(join(shots_dir(), "locked-timings.json"), JSON.stringify({ edit_to_spine_redrawn_ms: times.spine_ms, edit_to_every_view_ms: times.all_ms, edit_to_next_frame_ms: times.frame_ms }) + "\n");
    console.log(`locked model: a token edit redraws the grid, vector, budget and attention in ${times.spine_ms.toFixed(1)} ms (median of 20); every view in sight, the worker's too, in ${times.all_ms.toFixed(1)} ms; shown by the next frame at ${times.frame_ms.toFixed(1)} ms`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("Spanish: every visible string is translated (walks the page in both languages)", async () => {
    const { page } = await open();
    await page.click("[data-testid=run-checks]");
    await page.waitForSelector("[data-testid=checks]");
    await page.fill("section input[type=number][min='10']", "10"); // the training status line too
    await page.click("[data-testid=train-start]");
    await page.waitForSelector("[data-testid=train-explore]", { timeout: 60_000 });
    await page.locator("[data-panel=steering]").scrollIntoViewIfNeeded(); // drawn when in sight
    await page.waitForSelector("[data-testid=steer-table]");
    await page.fill("[data-testid=text]", "<bos> hoy yo camnio"); // the unknown-word and stale notes too
    const texts = (): Promise<string[]> =>
      page.evaluate(() => {
        const out: string[] = [];
        const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
          const el = walk.currentNode.parentElement;
          const t = (walk.currentNode.textContent ?? "").trim();
          if (el === null || t === "" || el.closest(".mono, code, title, script, style, option, [data-neutral], .chip, .axis")) continue;
          out.push(t);
        }
        return out;
      });
    const en = await texts();
    await page.click("[data-testid=lang]");
    const es = await texts();
    expect(es.length).toBe(en.length);
    // the same in both languages by nature: symbols, numbers, names of things
    const neutral = /^(?:[^A-Za-zÀ-ÿ]*|h₀ = W_E\[token\]|Vector|Post-LN|LayerNorm → RMSNorm|GELU → SwiGLU|MHA → GQA|k = \d+|minigpt.*|[\w.]+\.safetensors|Español|English|k|\/ \d+)$/;
    const untranslated = en.filter((t, i) => t === es[i] && /[A-Za-z]{3,}/.test(t) && !neutral.test(t));
    expect(untranslated).toEqual([]);
    await page.close();
  });

  it("a GPT-2-small-shaped Hugging Face folder (124M parameters) opens from disk with progress, and the panels work on it", async () => {
    const { MiniGPT } = await import("../../src/model/minigpt.js");
    const { GPT2_SMALL } = await import("../../src/model/presets.js");
    const { exportHf } = await import("../../src/io/hf.js");
    const { byteLevelBpe } = await import("../tokenizer-files.js");
    const dir = mkdtempSync(join(tmpdir(), "minigpt-gpt2-"));
    const { files } = exportHf(new MiniGPT(GPT2_SMALL), { family: "gpt2", tokenizer: byteLevelBpe(["h e", "t he", "Ġ t", "Ġt he"]) });
    for (const [name, contents] of files) writeFileSync(join(dir, name), contents);
    const { page, errors } = await open();
    const t0 = Date.now();
    await page.setInputFiles("[data-testid=file]", ["config.json", "model.safetensors", "tokenizer.json"].map((f) => join(dir, f)));
    await page.waitForFunction(() => document.querySelector("[data-testid=source]")?.textContent?.includes("gpt2"), undefined, { timeout: 120_000 });
    await page.waitForSelector("[data-testid=grid] [data-cell='24-0']", { timeout: 60_000 });
    const loadMs = Date.now() - t0;
    // 32 tokens of text through the model's own tokenizer, every hook cached, then redrawn
    const text = "a cat sat on the mat, then a dog ran"; // 32 tokens
    // the page's thread while the worker analyses: its longest task, and a keystroke's echo mid-analysis
    await page.evaluate(() => {
      const w = globalThis as unknown as { longest: number };
      w.longest = 0;
      new PerformanceObserver((list) => list.getEntries().forEach((e) => (w.longest = Math.max(w.longest, e.duration)))).observe({ type: "longtask" });
    });
    const t1 = Date.now();
    await page.locator("[data-testid=text]").fill(text); // not waited on: the page answers while the worker analyses
    // a big model analyses in the worker: the keystrokes are not held up, the views say so
    expect(await page.textContent("[data-testid=pending]")).toMatch(/in the background/);
    const echo = await page.evaluate(async () => {
      const input = document.querySelector<HTMLInputElement>("[data-testid=text]")!, t = performance.now();
      input.value += " a";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      await new Promise((r) => requestAnimationFrame(r));
      return { ms: performance.now() - t, pending: document.querySelector("[data-testid=pending]") !== null, chips: document.querySelectorAll("[data-testid=chips] .chip").length };
    });
    expect(echo.pending).toBe(true); // still analysing: the keystroke was drawn without waiting for it
    await page.locator("[data-testid=text]").fill(text);
    await page.waitForSelector("[data-testid=pending]", { state: "detached", timeout: 60_000 });
    await page.waitForSelector("[data-testid=grid] [data-cell='24-31']", { timeout: 60_000 });
    const editMs = Date.now() - t1;
    const longest = await page.evaluate(() => (globalThis as unknown as { longest: number }).longest); // over the edits and their redraws
    expect(await page.locator("[data-testid=grid] [data-cell]").count()).toBe(25 * 32);
    await page.click("[data-testid=grid] [data-cell='24-31']");
    await page.check("[data-testid=decompose]");
    expect((await sumRows(page)).maxDiff).toBeLessThan(1e-3);
    expect(await page.isVisible("[data-testid=attention-layer]")).toBe(true);
    await page.selectOption("[data-testid=attention-layer]", "11");
    expect(await page.locator("[data-testid=head-11-11] text[data-axis=query]").count()).toBe(32);
    // 12 heads × 32 × 32 cells are painted on canvases; the pointed cell's weight is written below
    expect(await page.locator("[data-testid=head-11-11] rect:not([data-hover-row])").count()).toBeLessThan(4);
    const canvas = page.locator("[data-testid=canvas-11-11]");
    await canvas.scrollIntoViewIfNeeded();
    // point at a spot of the map, read anew each try: the views above it may still be settling, moving it
    const pointAt = async (fx: number, fy: number): Promise<string | null> => {
      const box = (await canvas.boundingBox())!;
      await page.mouse.move(box.x + box.width * fx + 1, box.y + box.height * fy);
      await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
      return page.textContent("[data-testid=tip-11-11]");
    };
    await expect.poll(() => pointAt(0.1, 0.9)).toMatch(/→ .*: \d+\.\d%$/); // a low row, an early column: a weight
    await expect.poll(() => pointAt(0.9, 0.1)).toMatch(/: masked/); // above the diagonal
    await page.check("[data-testid=show-lens]");
    await page.waitForSelector("[data-testid=grid] .lens", { timeout: 60_000 });
    await page.screenshot({ path: join(shots, "gpt2.png") });
    expect(await page.textContent("[data-testid=inventory-total]")).toBe("124,439,808");
    // patching a big model: on request, the selected cell only
    await page.click("[data-testid=patch-run]");
    await page.waitForSelector("[data-testid=patch-grid]", { timeout: 60_000 });
    expect(await page.locator("[data-testid=patch-grid] td[data-restored='']").count()).toBe(25 * 32 - 1);
    // a 50k vocabulary is searched, not listed: the replacement token comes from a search
    await page.fill("[data-testid=patch-search]", "the");
    const first = page.locator("[data-testid=patch-search-matches] button").first();
    expect(await first.textContent()).toMatch(/the/);
    const id = (await first.getAttribute("data-id"))!;
    await first.click();
    expect(await page.inputValue("[data-testid=patch-token]")).toBe(id);
    // the heads, circuits and ablation views wait to be asked on a model this big; asked, the heads view measures
    for (const view of ["heads", "circuits", "ablation"]) {
      await page.locator(`[data-panel=${view}]`).scrollIntoViewIfNeeded();
      await page.waitForSelector(`[data-testid=${view}-run]`);
    }
    await page.click("[data-testid=heads-run]");
    await page.waitForSelector("[data-testid=heads-induction] td[data-score]", { timeout: 120_000 });
    expect(await page.locator("[data-testid=heads-induction] td[data-score]").count()).toBe(144);
    // steering a big model: on request, with the texts written through its tokenizer
    await page.locator("[data-panel=steering]").scrollIntoViewIfNeeded();
    expect(await page.inputValue("[data-testid=steer-towards]")).toBe(" Love"); // ActAdd's first example, written through its tokenizer
    await page.fill("[data-testid=steer-towards]", "");
    expect(await page.isDisabled("[data-testid=steer-run]")).toBe(true); // a text missing
    await page.fill("[data-testid=steer-towards]", " the");
    await page.fill("[data-testid=steer-away]", " he");
    await page.click("[data-testid=steer-run]");
    await page.waitForSelector("[data-testid=steer-table]", { timeout: 120_000 });
    expect(await page.locator("[data-testid=steer-after]").count()).toBe(5);
    expect(await page.textContent("[data-testid=steer-norms]")).toMatch(/blocks\.6\.hook_resid_pre/);
    writeFileSync(join(shots, "gpt2-timings.json"), JSON.stringify({ load_ms: loadMs, edit_to_redraw_32_tokens_ms: editMs, keystroke_echo_while_analysing_ms: echo.ms, longest_main_thread_task_ms: longest }) + "\n");
    console.log(`GPT-2-small-shaped folder: opened in ${loadMs} ms; a 32-token edit redrawn in ${editMs} ms (analysed in the worker); a keystroke mid-analysis drawn in ${echo.ms.toFixed(0)} ms; the page's longest task meanwhile ${longest.toFixed(0)} ms`);
    expect(errors).toEqual([]);
    await page.close();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
