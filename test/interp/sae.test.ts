// Sparse autoencoders: planted sparse directions recovered (ReLU + L1 and TopK), resampling revives
// dead latents, a saved SAE reloads bit-exact and is refused for another model or hook, the shipped
// SAE reconstructs the shipped model's stream, the feature view lists each distinct context once,
// and the CLI's feature view.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { collectActivations, featureIndex, featureView, loadSae, resample, saeMetrics, saveSae, spliceLoss, trainSae } from "../../src/interp/sae.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { AdamW } from "../../src/nn/adamw.js";
import { noGrad, Rng, Tensor } from "../../src/tensor/index.js";
import { validationSet } from "../../src/train/corpus.js";
import { cli, root } from "../cli/run-cli.js";

const d = 16, P = 24, N = 4000;
const rng = new Rng(1);
const dirs = Array.from({ length: P }, () => {
  const v = Array.from({ length: d }, () => rng.normal());
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
});
// each input: a few of the planted directions (8% each) with random strengths
const data = new Float32Array(N * d);
for (let r = 0; r < N; r++) for (let j = 0; j < P; j++) if (rng.uniform() < 0.08) { const s = 0.5 + rng.uniform(); for (let i = 0; i < d; i++) data[r * d + i]! += s * dirs[j]![i]!; }

/** For each planted direction, the best cosine with a decoder row. */
const recovered = (W: Float32Array, m: number): number[] =>
  dirs.map((v) => Math.max(...Array.from({ length: m }, (_, i) => {
    let s = 0, n = 0;
    for (let j = 0; j < d; j++) { s += v[j]! * W[i * d + j]!; n += W[i * d + j]! ** 2; }
    return s / Math.sqrt(n);
  })));

const shipped = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url)))).model;

describe("sparse autoencoders", () => {
  it("recover planted sparse directions: every one matched by a decoder row at cosine > 0.9 (ReLU with L1, and TopK)", () => {
    const relu = trainSae(data, d, { latents: 48, kind: "relu", l1: 0.3, l1_warmup: 200, steps: 2000, batch: 128, lr: 3e-3 }).sae;
    expect(Math.min(...recovered(relu.W_dec.data as Float32Array, 48))).toBeGreaterThan(0.9);
    const topk = trainSae(data, d, { latents: 48, kind: "topk", k: 3, steps: 1500, batch: 128, lr: 3e-3 }).sae;
    expect(Math.min(...recovered(topk.W_dec.data as Float32Array, 48))).toBeGreaterThan(0.9);
    expect(saeMetrics(topk, data).l0).toBe(3);
  });
  it("resampling revives dead latents (they fire again, pointed at badly reconstructed inputs)", () => {
    const { sae } = trainSae(data, d, { latents: 32, kind: "relu", l1: 0.3, steps: 200, batch: 128, lr: 3e-3 });
    for (const i of [0, 1, 2, 3]) { for (let j = 0; j < d; j++) sae.W_enc.data[j * 32 + i] = 0; sae.b_enc.data[i] = -10; }
    const firing = (): Set<number> => {
      const out = new Set<number>();
      const f = noGrad(() => sae.encode(new Tensor(data.slice(0, 400 * d), [400, d])));
      for (let r = 0; r < 400; r++) for (let i = 0; i < 32; i++) if (f.data[r * 32 + i]! > 0) out.add(i);
      return out;
    };
    for (const i of [0, 1, 2, 3]) expect(firing().has(i)).toBe(false);
    const opt = new AdamW(sae.parameters(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 }, () => false);
    const lastFired = new Int32Array(32).fill(1000);
    for (const i of [0, 1, 2, 3]) lastFired[i] = 0;
    expect(resample(sae, opt, data, lastFired, 1000, 500, new Rng(5))).toBe(4);
    for (const i of [0, 1, 2, 3]) expect(firing().has(i), `latent ${i}`).toBe(true);
  });
  it("saves and reloads bit-exact; refuses another model, a hook the model lacks, and a file that is not an SAE", () => {
    const hook = "blocks.1.hook_resid_post";
    const acts = collectActivations(shipped, hook, validationSet(16).map((e) => e.ids));
    const { sae } = trainSae(acts, 64, { latents: 32, kind: "topk", k: 4, steps: 20 }, { hook, modelConfig: shipped.config });
    const bytes = saveSae(sae);
    const back = loadSae(bytes, shipped);
    for (const [name, t] of sae.parameters()) expect(Array.from(back.parameters().find(([n]) => n === name)![1].data)).toEqual(Array.from(t.data));
    expect(() => loadSae(bytes, new MiniGPT(parseConfig({ d_ff: 128 }, LOCKED)), "mine")).toThrow(/mine: the SAE was trained on another model/);
    expect(() => loadSae(bytes, new MiniGPT(parseConfig({ n_layers: 1 }, LOCKED)), "short")).toThrow(/short: the SAE was trained on another model/);
    expect(() => collectActivations(shipped, "blocks.9.hook_resid_post", [[1, 2]])).toThrow(/no hook point "blocks.9.hook_resid_post"/);
    expect(() => loadSae(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt-tuned-lens.safetensors", import.meta.url))), shipped, "lens")).toThrow(/lens: not a sparse autoencoder/);
  });
  it("the shipped SAE (minigpt sae train --out checkpoints/minigpt-sae.safetensors) reconstructs the shipped model's last stream", () => {
    const sae = loadSae(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt-sae.safetensors", import.meta.url))), shipped);
    const seqs = validationSet(64, 12).map((e) => e.ids);
    const m = saeMetrics(sae, collectActivations(shipped, sae.hook, seqs));
    expect(m.varianceExplained).toBeGreaterThan(0.98);
    expect(m.l0).toBe(8);
    const ce = spliceLoss(shipped, sae, seqs);
    expect(ce.spliced - ce.clean).toBeLessThan(0.05);
    expect(ce.zeroAblated - ce.clean).toBeGreaterThan(1);
  });
  it("the feature view lists each distinct context once, strongest first, with how many firing positions share it", () => {
    const sae = loadSae(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt-sae.safetensors", import.meta.url))), shipped);
    const seqs = validationSet(64, 12).map((e) => e.ids);
    const index = featureIndex(shipped, sae, seqs);
    for (const latent of [4, 68, 198]) {
      const v = featureView(shipped, sae, index, latent, { top: 8 });
      // counted another way: every firing position's tokens up to it, as text
      const counts = new Map<string, number>();
      index.where.forEach(([s, p], r) => {
        if (index.acts[r * sae.m + latent]! > 0) counts.set(seqs[s]!.slice(0, p + 1).join(" "), (counts.get(seqs[s]!.slice(0, p + 1).join(" ")) ?? 0) + 1);
      });
      const keys = v.top.map((t) => seqs[t.sequence]!.slice(0, t.position + 1).join(" "));
      expect(v.top).toHaveLength(Math.min(8, counts.size));
      expect(new Set(keys).size).toBe(keys.length);
      expect(v.top.map((t) => t.count)).toEqual(keys.map((k) => counts.get(k)));
      expect(v.top.every((t, i) => i === 0 || t.value <= v.top[i - 1]!.value)).toBe(true);
      // all of them: every firing position counted once
      const all = featureView(shipped, sae, index, latent, { top: Infinity }).top;
      expect(all).toHaveLength(counts.size);
      expect(all.reduce((n, t) => n + t.count, 0)).toBe(Math.round(v.frequency * index.where.length));
      // why one row stands for them all: the prefix run on its own gives the same activation
      for (const t of v.top.slice(0, 3)) {
        const alone = featureIndex(shipped, sae, [seqs[t.sequence]!.slice(0, t.position + 1)]);
        expect(alone.acts[t.position * sae.m + latent]).toBeCloseTo(t.value, 4);
      }
    }
    // #68 fires on <bos>, the same one-token context in every sequence: one row, counted 64 times
    expect(featureView(shipped, sae, index, 68).top[0]).toMatchObject({ position: 0, count: 64 });
  });
  it("minigpt sae show --feature --json: contexts, histogram, logit effects", () => {
    const out = cli({ cwd: root }).json<{ frequency: number; contexts: string[]; histogram: { counts: number[] }; logitsUp: unknown[] }>("sae", "show", "checkpoints/minigpt-sae.safetensors", "--feature", "4");
    expect(out.frequency).toBeGreaterThan(0);
    expect(out.contexts.length).toBeGreaterThan(0);
    expect(out.contexts[0]).toMatch(/\[.+\]/);
    expect(new Set(out.contexts).size).toBe(out.contexts.length); // "<bos> [ahora]" once, not eight times
    expect(out.histogram.counts).toHaveLength(10);
    expect(out.logitsUp).toHaveLength(5);
  });
});
