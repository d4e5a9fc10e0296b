// minigpt probe: linear probes at the token before each verb — can a logistic regression read the
// verb's tense, person and number, or language from the stream at each state? — beside the same
// probes on the untrained model of the same shape (interp/probe.ts).

import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { probeProperties, type ProbeReport } from "../interp/probe.js";
import { MiniGPT } from "../model/minigpt.js";
import { GRAMMAR_CLASSES, grammarProbeSets, type GrammarProperty } from "../train/corpus.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { displayPath, openCheckpoint, parseInteger, printJson, table, UsageError, writeFileAtomic } from "./common.js";
import { percent } from "./inspect.js";
import { probeSpec, renderSvg } from "./plot.js";
import { ProgressBar } from "./progress.js";

const PROPERTIES = Object.keys(GRAMMAR_CLASSES) as GrammarProperty[];
const TITLES: Record<GrammarProperty, string> = { tense: "tense", agreement: "person and number", lang: "language" };

export const probeCommand: Command = {
  name: "probe",
  summary: "linear probes: where the stream holds the coming verb's tense, person and number, or language — against the untrained model",
  usage:
    "minigpt probe [--checkpoint FILE] [--property tense|agreement|lang] [--sentences N] [--svg FILE] [--json]\n" +
    "  at the token before each verb of N training sentences (default 400) a logistic regression per stream state learns the\n" +
    "  verb's property; it is scored on the held-out sentences (200: held-out combinations). The same probes on the untrained\n" +
    "  model of the same config (seed 0) are the control: what the stream of these tokens gives away without training.\n" +
    "  Default: all three properties. --svg FILE plots held-out accuracy per state, trained and control.",
  flags: { checkpoint: { type: "string" }, property: { type: "string" }, sentences: { type: "string" }, svg: { type: "string" } },
  async run(values) {
    const property = str(values, "property");
    if (property !== undefined && !(PROPERTIES as string[]).includes(property)) throw new UsageError(`--property ${property}: expected one of ${PROPERTIES.join(", ")}`);
    const n = parseInteger(str(values, "sentences"), "--sentences", 10) ?? 400;
    const svg = str(values, "svg");
    if (svg !== undefined && !existsSync(dirname(resolve(svg)))) throw new UsageError(`--svg ${svg}: the directory ${displayPath(dirname(resolve(svg)))} does not exist`);
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    if (!usesVerbGrammar(tok, model.config.vocab_size)) throw new UsageError("probes need labelled positions: this model does not use the verb grammar's vocabulary");
    const control = new MiniGPT(model.config, { seed: 0 });
    const sets = grammarProbeSets(n, { context: model.config.context_len });
    const asked = property === undefined ? PROPERTIES : [property as GrammarProperty];
    const properties = asked.map((p) => ({ classes: GRAMMAR_CLASSES[p].length, ...sets.labels[p] }));
    const bar = values["json"] ? null : new ProgressBar(2 * (2 + asked.length)); // --json: stdout alone, no stderr
    const [trained, untrained] = [model, control].map((m, j) => probeProperties(m, sets.train, sets.test, properties, { onProgress: (done, total) => bar?.update(j * total + done, "steps") }));
    const reports = asked.map((p, i) => ({ property: p, classes: GRAMMAR_CLASSES[p], positions: { train: sets.train.length, test: sets.test.length }, trained: trained![i]!, control: untrained![i]! }));
    bar?.finish();
    if (svg !== undefined) {
      const points = reports.flatMap((r) => (["trained", "control"] as const).flatMap((which) => r[which].states.map((s) => ({ property: TITLES[r.property], state: s.state.label, order: s.state.index, model: which === "trained" ? "trained" : "untrained (control)", accuracy: s.test }))));
      writeFileAtomic(svg, await renderSvg(probeSpec(points, reports.map((r) => ({ property: TITLES[r.property], majority: r.trained.majority })))));
    }
    if (values["json"]) {
      const plain = (r: ProbeReport) => ({ majority: r.majority, states: r.states.map((s) => ({ state: s.state.label, hook: s.state.hook, train: s.train, test: s.test })) });
      printJson({ checkpoint: path, sentences: sets.sentences, probes: reports.map((r) => ({ ...r, trained: plain(r.trained), control: plain(r.control) })) });
      return;
    }
    const lines = [
      `${path}  ·  linear probes at the token before each verb: fitted on ${n} training sentences, scored on ${sets.sentences.test} held-out ones`,
      "control: the same probes on the untrained model of this config (seed 0) — what the stream of these tokens gives away without training",
    ];
    for (const r of reports) {
      lines.push("", `${TITLES[r.property]} (${r.classes.join(", ")}) — ${r.positions.train} positions to fit, ${r.positions.test} held out; always the most frequent class: ${percent(r.trained.majority, 0)}`);
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
