// minigpt lens: the logit lens — the stream decoded at every depth; minigpt budget: the block budget.

import { blockBudget, logitLens } from "../interp/lens.js";
import { loadTunedLens, saveTunedLens, trainTunedLens, tunedDecode } from "../interp/tuned-lens.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { TrainingStream, validationSet } from "../train/corpus.js";
import { Rng } from "../tensor/index.js";
import { softmaxVec, topK } from "../interp/vectors.js";
import { str, type Command } from "./command.js";
import { openCheckpoint, parseInteger, printJson, readBytes, table, UsageError, writeFileAtomic } from "./common.js";
import { INPUT_FLAGS, inspect, percent } from "./inspect.js";

export const lensCommand: Command = {
  name: "lens",
  summary: "logit lens: decode the stream after every sublayer (grid of top tokens, or the top k at one --position)",
  usage:
    "minigpt lens [--checkpoint FILE] [--ids … | --text \"…\"] [--position P] [--top K] [--tuned LENS.safetensors] [--json]\n" +
    "minigpt lens --train-tuned LENS.safetensors [--steps N] [--checkpoint FILE] [--json]\n" +
    "  --train-tuned: fit the tuned lens (an affine translator per state, h + h·A + b, to the model's final distribution) and save it;\n" +
    "  --tuned: read the stream through it instead of the plain logit lens",
  flags: { ...INPUT_FLAGS, top: { type: "string" }, tuned: { type: "string" }, "train-tuned": { type: "string" }, steps: { type: "string" } },
  run(values) {
    const trainTo = str(values, "train-tuned");
    if (trainTo !== undefined) return trainLens(values, trainTo);
    const { model, cache, ids, position, name, path } = inspect(values);
    const k = parseInteger(str(values, "top"), "--top", 1) ?? 5;
    const tunedPath = str(values, "tuned");
    const tuned = tunedPath === undefined ? null : loadTunedLens(readBytes(tunedPath, "tuned lens"), model, tunedPath);
    const decode = tuned === null ? undefined : (s: number, h: readonly number[]): number[] => tunedDecode(model, tuned, s, h);
    const positions = str(values, "position") === undefined ? ids.map((_, p) => p) : [position];
    const lenses = positions.map((p) => logitLens(model, cache, p, k, decode));
    if (values["json"]) {
      printJson({ ids, lens: tuned === null ? "logit" : "tuned", valid: lenses[0]!.valid, note: lenses[0]!.note, positions: lenses.map((l) => ({ position: l.position, rows: l.rows.map(({ state, label, probs, top }) => ({ state, label, probs, top })) })) });
      return;
    }
    const out = [tuned === null ? `${path}  ·  logit lens: LN_final(h)·W_Eᵀ at every state (LayerNorm recomputed for each vector)` : `${path}  ·  tuned lens ${tunedPath}: LN_final(h + h·A + b)·W_Eᵀ at every state`, ""];
    if (positions.length > 1) {
      const header = ["state", ...ids.map((id, p) => `${p}:${name(id)}`)];
      const rows = lenses[0]!.rows.map((r, s) => [r.label, ...lenses.map((l) => { const t = l.rows[s]!.top[0]!; return `${name(t.id)} ${percent(t.prob, 0)}`; })]);
      out.push(table(header, rows), "", "each cell: the top next-token prediction read from that state at that position; --position P for the top k");
    } else {
      const l = lenses[0]!;
      out.push(`position ${position} ("${name(ids[position]!)}"):`, "", table(["state", `top ${k}`], l.rows.map((r) => [r.label, r.top.map((t) => `${name(t.id)} ${percent(t.prob)}`).join("  ")])));
    }
    out.push("", (lenses[0]!.valid ? "✓ " : "✗ ") + lenses[0]!.note);
    process.stdout.write(out.join("\n") + "\n");
  },
};

/** Fit and save a tuned lens: the verb grammar's training sentences (held-out ones to score), or random ids for another model. */
function trainLens(values: Readonly<Record<string, string | boolean | undefined>>, out: string): void {
  const steps = parseInteger(str(values, "steps"), "--steps", 1) ?? 300;
  const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
  model.pinWeights(); // only read: kept packed for the command
  const T = model.config.context_len, V = model.config.vocab_size;
  const verb = usesVerbGrammar(tok, V);
  const stream = new TrainingStream(7), rng = new Rng(7);
  const random = (n: number): number[][] => Array.from({ length: n }, () => Array.from({ length: Math.min(T, 32) }, () => rng.int(V)));
  const train = verb ? Array.from({ length: 256 }, () => stream.next().ids.slice(0, T)) : random(64);
  const heldOut = verb ? validationSet(128).map((e) => e.ids.slice(0, T)) : random(32);
  const { lens, kl } = trainTunedLens(model, train, heldOut, { steps });
  writeFileAtomic(out, saveTunedLens(lens));
  if (values["json"]) {
    printJson({ checkpoint: path, out, steps, kl });
    return;
  }
  process.stdout.write([
    `${path}  ·  tuned lens fitted in ${steps} steps on ${train.length} ${verb ? "training sentences" : "random sequences"}; wrote ${out}`,
    "",
    table(["state", "KL logit lens", "KL tuned lens"], kl.map((r) => [r.label, r.logit.toFixed(4), r.tuned.toFixed(4)]), [1, 2]),
    "",
    `KL(final ‖ lens) in nats on ${heldOut.length} held-out ${verb ? "sentences" : "sequences"}; the last state is the output itself (KL 0 for both).`,
  ].join("\n") + "\n");
}

export const budgetCommand: Command = {
  name: "budget",
  summary: "block budget: run only the first k blocks (k = 0 is the bigram floor) and show the next-token distribution",
  usage: "minigpt budget [--checkpoint FILE] [--ids … | --text \"…\"] [--position P] [--k K] [--top N] [--json]",
  flags: { ...INPUT_FLAGS, k: { type: "string" }, top: { type: "string" } },
  run(values) {
    const { model, ids, position, name, path } = inspect(values);
    const L = model.config.n_layers;
    const kOnly = parseInteger(str(values, "k"), "--k");
    if (kOnly !== undefined && kOnly > L) throw new UsageError(`--k ${kOnly}: this model has ${L} blocks, so k runs from 0 to ${L}`);
    const n = parseInteger(str(values, "top"), "--top", 1) ?? 5;
    const ks = kOnly === undefined ? Array.from({ length: L + 1 }, (_, k) => k) : [kOnly];
    const results = ks.map((k) => {
      const probs = softmaxVec(blockBudget(model, ids, k)[position]!);
      return { k, probs, top: topK(probs, n).map(({ id, value }) => ({ id, prob: value })) };
    });
    if (values["json"]) {
      printJson({ ids, position, budgets: results });
      return;
    }
    const rows = results.map((r) => [r.k === 0 ? "0 (bigram floor)" : r.k === L ? `${r.k} (full model)` : String(r.k), r.top.map((t) => `${name(t.id)} ${percent(t.prob)}`).join("  ")]);
    process.stdout.write(
      [`${path}  ·  block budget at position ${position} ("${name(ids[position]!)}") of: ${ids.map(name).join(" ")}`, "", table(["k blocks", `top ${n} next tokens`], rows), "", "k = 0: softmax(LN(W_E[t] + p)·W_Eᵀ), the embedding alone; each block adds a correction."].join("\n") + "\n",
    );
  },
};
