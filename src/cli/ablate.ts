// minigpt ablate: each head and each MLP taken away in turn (zeroed, or replaced by its mean), and
// how much the next-token loss rises (interp/ablation.ts) — which components the model needs.

import { ablationScan, type AblationKind } from "../interp/ablation.js";
import { validationSet } from "../train/corpus.js";
import { halfLength, inductionSet } from "../train/induction.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { openCheckpoint, parseInteger, printJson, readTokens, table, UsageError } from "./common.js";
import { signed, signedBar } from "./inspect.js";
import { ProgressBar } from "./progress.js";

export const ablateCommand: Command = {
  name: "ablate",
  summary: "each head and MLP ablated alone (mean or zero): how much the next-token loss rises without it",
  usage:
    "minigpt ablate [--checkpoint FILE] [--kind mean|zero] [--data verb|induction | --ids … | --text \"…\"] [--sequences N] [--json]\n" +
    "  the loss: mean next-token cross-entropy over the sequences — by default the verb grammar's held-out set (64 sentences),\n" +
    "  or --data induction: random words repeated twice (the induction task), or one input (--ids/--text).\n" +
    "  mean: the component's output replaced by its mean over every position (what it writes for this input goes); zero: by 0",
  flags: { checkpoint: { type: "string" }, kind: { type: "string" }, data: { type: "string" }, ids: { type: "string" }, text: { type: "string" }, sequences: { type: "string" } },
  run(values) {
    const kind = str(values, "kind") ?? "mean";
    if (kind !== "mean" && kind !== "zero") throw new UsageError(`--kind ${kind}: expected mean or zero`);
    const data = str(values, "data");
    const input = str(values, "ids") !== undefined || str(values, "text") !== undefined;
    if (data !== undefined && input) throw new UsageError("give --data or an input (--ids/--text), not both");
    if (data !== undefined && data !== "verb" && data !== "induction") throw new UsageError(`--data ${data}: expected verb or induction`);
    if (input && str(values, "sequences") !== undefined) throw new UsageError("--sequences counts the sequences of --data; an input (--ids/--text) is one sequence");
    const count = parseInteger(str(values, "sequences"), "--sequences", 1) ?? 64;
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    model.pinWeights(); // only read: kept packed for the command
    const c = model.config;
    const verb = usesVerbGrammar(tok, c.vocab_size);
    let sequences: number[][], what: string;
    if (input) {
      const ids = readTokens(tok, str(values, "ids"), str(values, "text"));
      if (ids.length < 2) throw new UsageError("the input needs at least two tokens: the loss predicts each token from those before it");
      if (ids.length > c.context_len) throw new UsageError(`the input has ${ids.length} tokens; this model's context is ${c.context_len}`);
      sequences = [ids];
      what = `the input (${ids.length} tokens)`;
    } else {
      if (!verb) throw new UsageError("this model does not use the verb grammar's vocabulary: give the sequences as an input (--ids/--text)");
      if (data === "induction") {
        sequences = inductionSet(count, halfLength(c.context_len), 77);
        what = `${count} induction sequences (random words repeated twice)`;
      } else {
        sequences = validationSet(count).map((e) => e.ids.slice(0, c.context_len));
        what = `${count} held-out verb-grammar sentences`;
      }
    }
    // a GPT-2-sized model runs its forwards for seconds each: a bar
    const components = c.n_layers * c.n_heads + model.blocks.filter((b) => b.mlp !== null).length;
    const bar = c.n_layers * c.n_heads > 16 ? new ProgressBar(components) : null;
    const r = ablationScan(model, sequences, { kind: kind as AblationKind, onProgress: (done) => bar?.update(done, "components") });
    bar?.finish();
    if (values["json"]) {
      printJson({ checkpoint: path, data: what, ...r });
      return;
    }
    const most = Math.max(1e-9, ...r.components.map((x) => Math.abs(x.delta)));
    const ranked = [...r.components].sort((a, b) => b.delta - a.delta);
    process.stdout.write([
      `${path}  ·  ${kind} ablation of each component alone, on ${what}`,
      `clean loss ${r.clean.toFixed(4)} nats over ${r.predictions} predictions`,
      "",
      table(
        ["component", "loss", "rise", ""],
        r.components.map((x) => [x.head === null ? x.name : `head ${x.name}`, x.loss.toFixed(4), signed(x.delta, 4), signedBar(x.delta, most, 10)]),
        [1, 2],
      ),
      "",
      `needed most: ${ranked.slice(0, 3).map((x) => `${x.head === null ? x.name : `head ${x.name}`} (${signed(x.delta, 3)})`).join(", ")}`,
    ].join("\n") + "\n");
  },
};
