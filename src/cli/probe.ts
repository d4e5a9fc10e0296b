// minigpt probe: linear probes — can a logistic regression read a property of the input from the
// stream at each state? — beside the same probes on the untrained model of the same shape
// (interp/probe.ts). The verb grammar's properties at the token before each verb, or any model's
// positions labelled in a file of your own (--data).

import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseProbeData, probeProperties, type LabelledPositions, type ProbeItem, type ProbeReport } from "../interp/probe.js";
import { MiniGPT } from "../model/minigpt.js";
import { GRAMMAR_CLASSES, grammarProbeSets, type GrammarProperty } from "../train/corpus.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { displayPath, openCheckpoint, parseInteger, printJson, table, UsageError, writeFileAtomic } from "./common.js";
import { percent, signed } from "./inspect.js";
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
    if (data !== undefined) {
      let parsed: LabelledPositions;
      try {
        parsed = parseProbeData(displayPath(data), readFileSync(data, "utf8"), (t) => tok.encode(t), model.config.context_len);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      task = { what: `the positions of ${displayPath(data)}`, train: parsed.train, test: parsed.test, properties: [{ name: "label", title: "label", classes: parsed.classes, ...parsed.labels }] };
    }
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
          const gain = 100 * (s.test - c.test); // percentage points
          return [s.state.label, percent(s.test, 0), percent(c.test, 0), `${signed(gain, 0)} ${"█".repeat(Math.max(0, Math.round(gain / 4)))}`, percent(s.train, 0)];
        }),
        [1, 2, 4],
      ));
    }
    lines.push("", "Held-out accuracy; a probe reads what is there linearly, not what the model uses — `minigpt steer` and `minigpt patch` ask that.");
    if (svg !== undefined) lines.push(`plotted: ${displayPath(resolve(svg))}`);
    process.stdout.write(lines.join("\n") + "\n");
  },
};
