// minigpt probe: linear probes — can a logistic regression read a property of the input from the
// stream at each state? — beside the same probes on the untrained model of the same shape
// (interp/probe.ts). The verb grammar's properties at the token before each verb, or any model's
// positions labelled in a file of your own (--data).

import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { probeProperties, type ProbeItem, type ProbeReport } from "../interp/probe.js";
import { MiniGPT } from "../model/minigpt.js";
import { GRAMMAR_CLASSES, grammarProbeSets, type GrammarProperty } from "../train/corpus.js";
import { usesVerbGrammar, type TextTokenizer } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { displayPath, openCheckpoint, parseInteger, printJson, table, UsageError, writeFileAtomic } from "./common.js";
import { percent } from "./inspect.js";
import { probeSpec, renderSvg } from "./plot.js";
import { ProgressBar } from "./progress.js";

const PROPERTIES = Object.keys(GRAMMAR_CLASSES) as GrammarProperty[];
const TITLES: Record<GrammarProperty, string> = { tense: "tense", agreement: "person and number", lang: "language" };

/** What is probed: positions to fit and to score, and one or more labellings of them. */
interface ProbeTask {
  readonly what: string;
  readonly train: readonly ProbeItem[];
  readonly test: readonly ProbeItem[];
  readonly properties: readonly { readonly name: string; readonly title: string; readonly classes: readonly string[]; readonly train: Int32Array; readonly test: Int32Array }[];
}

/**
 * Labelled positions from a JSON Lines file: {"text": "…", "label": "…"} a line, with an optional
 * "position" (a token index; negative counts from the end; default the last token) and "split"
 * ("train" or "test"; without any, every fifth line is held out). The text is encoded as --text is.
 */
export function readProbeData(source: string, content: string, tok: TextTokenizer, context: number): ProbeTask {
  const rows: { ids: number[]; position: number; label: string; split: "train" | "test" | null }[] = [];
  content.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${source} line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new UsageError(`${where}: not JSON (${(err as Error).message})`);
    }
    const r = row as Record<string, unknown>;
    if (typeof row !== "object" || row === null || typeof r["text"] !== "string" || (typeof r["label"] !== "string" && typeof r["label"] !== "number")) {
      throw new UsageError(`${where}: expected {"text": "…", "label": "…"} (optional "position", "split")`);
    }
    let ids: number[];
    try {
      ids = tok.encode(r["text"]);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
    if (ids.length === 0) throw new UsageError(`${where}: the text encodes to no tokens`);
    if (ids.length > context) throw new UsageError(`${where}: ${ids.length} tokens, more than this model's context of ${context}`);
    const p = r["position"] ?? -1;
    if (!Number.isInteger(p) || (p as number) >= ids.length || (p as number) < -ids.length) throw new UsageError(`${where}: position ${String(p)} is not a token index of its ${ids.length} tokens`);
    const split = r["split"] ?? null;
    if (split !== null && split !== "train" && split !== "test") throw new UsageError(`${where}: split ${JSON.stringify(split)}: expected "train" or "test"`);
    const position = (p as number) < 0 ? ids.length + (p as number) : (p as number);
    rows.push({ ids: ids.slice(0, position + 1), position, label: String(r["label"]), split });
  });
  const split = rows.some((r) => r.split !== null);
  const isTest = (r: (typeof rows)[number], i: number): boolean => (split ? r.split === "test" : i % 5 === 4);
  const train = rows.filter((r, i) => !isTest(r, i)), test = rows.filter(isTest);
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  if (classes.length < 2) throw new UsageError(`${source}: a probe needs at least two labels; every line says "${classes[0] ?? ""}"`);
  if (train.length < classes.length || test.length === 0) throw new UsageError(`${source}: ${train.length} positions to fit and ${test.length} held out; give more lines (every fifth is held out unless "split" says)`);
  const item = (r: (typeof rows)[number]): ProbeItem => ({ ids: r.ids, position: r.position, label: classes.indexOf(r.label) });
  const labels = (rs: typeof rows): Int32Array => Int32Array.from(rs, (r) => classes.indexOf(r.label));
  return {
    what: `the positions of ${displayPath(source)}`,
    train: train.map(item), test: test.map(item),
    properties: [{ name: "label", title: "label", classes, train: labels(train), test: labels(test) }],
  };
}

export const probeCommand: Command = {
  name: "probe",
  summary: "linear probes: where the stream holds a property of the input (the coming verb's tense, person and number, language; or your labels) — against the untrained model",
  usage:
    "minigpt probe [--checkpoint FILE] [--property tense|agreement|lang] [--sentences N] [--data FILE.jsonl] [--svg FILE] [--json]\n" +
    "  at the token before each verb of N training sentences (default 400) a logistic regression per stream state learns the\n" +
    "  verb's property; it is scored on the held-out sentences (200: held-out combinations). The same probes on the untrained\n" +
    "  model of the same config (seed 0) are the control: what the stream of these tokens gives away without training.\n" +
    "  Default: all three properties. --svg FILE plots held-out accuracy per state, trained and control.\n" +
    "  --data FILE.jsonl: any model, your positions: {\"text\": \"…\", \"label\": \"…\"} a line, optional \"position\" (a token index,\n" +
    "  negative from the end; default the last token) and \"split\" (\"train\" / \"test\"; without, every fifth line is held out)",
  flags: { checkpoint: { type: "string" }, property: { type: "string" }, sentences: { type: "string" }, data: { type: "string" }, svg: { type: "string" } },
  async run(values) {
    const property = str(values, "property"), data = str(values, "data");
    if (property !== undefined && !(PROPERTIES as string[]).includes(property)) throw new UsageError(`--property ${property}: expected one of ${PROPERTIES.join(", ")}`);
    if (data !== undefined && (property !== undefined || str(values, "sentences") !== undefined)) throw new UsageError("--property and --sentences choose the verb grammar's probes; --data brings your own labels");
    const n = parseInteger(str(values, "sentences"), "--sentences", 10) ?? 400;
    const svg = str(values, "svg");
    if (svg !== undefined && !existsSync(dirname(resolve(svg)))) throw new UsageError(`--svg ${svg}: the directory ${displayPath(dirname(resolve(svg)))} does not exist`);
    if (data !== undefined && !existsSync(data)) throw new UsageError(`--data ${data}: no such file`);
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    let task: ProbeTask;
    if (data !== undefined) task = readProbeData(data, readFileSync(data, "utf8"), tok, model.config.context_len);
    else {
      if (!usesVerbGrammar(tok, model.config.vocab_size)) throw new UsageError("this model does not use the verb grammar's vocabulary: bring labelled positions with --data FILE.jsonl");
      const sets = grammarProbeSets(n, { context: model.config.context_len });
      const asked = property === undefined ? PROPERTIES : [property as GrammarProperty];
      task = {
        what: `the token before each verb: fitted on ${n} training sentences, scored on ${sets.sentences.test} held-out ones`,
        train: sets.train, test: sets.test,
        properties: asked.map((p) => ({ name: p, title: TITLES[p], classes: GRAMMAR_CLASSES[p], ...sets.labels[p] })),
      };
    }
    model.pinWeights(); // only read
    const control = new MiniGPT(model.config, { seed: 0 });
    const props = task.properties.map((p) => ({ classes: p.classes.length, train: p.train, test: p.test }));
    const bar = values["json"] ? null : new ProgressBar(2 * (2 + props.length)); // --json: stdout alone, no stderr
    const [trained, untrained] = [model, control].map((m, j) => probeProperties(m, task.train, task.test, props, { onProgress: (done, total) => bar?.update(j * total + done, "steps") }));
    bar?.finish();
    const reports = task.properties.map((p, i) => ({ property: p.name, title: p.title, classes: p.classes, positions: { train: task.train.length, test: task.test.length }, trained: trained![i]!, control: untrained![i]! }));
    if (svg !== undefined) {
      const points = reports.flatMap((r) => (["trained", "control"] as const).flatMap((which) => r[which].states.map((s) => ({ property: r.title, state: s.state.label, order: s.state.index, model: which === "trained" ? "trained" : "untrained (control)", accuracy: s.test }))));
      writeFileAtomic(svg, await renderSvg(probeSpec(points, reports.map((r) => ({ property: r.title, majority: r.trained.majority })))));
    }
    if (values["json"]) {
      const plain = (r: ProbeReport) => ({ majority: r.majority, states: r.states.map((s) => ({ state: s.state.label, hook: s.state.hook, train: s.train, test: s.test })) });
      printJson({ checkpoint: path, positions: task.what, probes: reports.map(({ title: _title, ...r }) => ({ ...r, trained: plain(r.trained), control: plain(r.control) })) });
      return;
    }
    const lines = [
      `${path}  ·  linear probes at ${task.what}`,
      "control: the same probes on the untrained model of this config (seed 0) — what the stream of these tokens gives away without training",
    ];
    for (const r of reports) {
      lines.push("", `${r.title} (${r.classes.join(", ")}) — ${r.positions.train} positions to fit, ${r.positions.test} held out; always the most frequent class: ${percent(r.trained.majority, 0)}`);
      lines.push(table(
        ["state", "trained", "control", "trained − control", "fitted on (trained)"],
        r.trained.states.map((s, k) => {
          const c = r.control.states[k]!;
          const gain = Math.round(100 * (s.test - c.test));
          return [s.state.label, percent(s.test, 0), percent(c.test, 0), `${gain > 0 ? "+" : gain < 0 ? "−" : ""}${Math.abs(gain)} ${"█".repeat(Math.max(0, Math.round(gain / 4)))}`, percent(s.train, 0)];
        }),
        [1, 2, 4],
      ));
    }
    lines.push("", "Held-out accuracy; a probe reads what is there linearly, not what the model uses — `minigpt steer` and `minigpt patch` ask that.");
    if (svg !== undefined) lines.push(`plotted: ${displayPath(resolve(svg))}`);
    process.stdout.write(lines.join("\n") + "\n");
  },
};
