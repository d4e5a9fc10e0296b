// minigpt sae train / show: sparse autoencoders on a hook point — train one (with a progress bar and
// the metrics that say whether it is any good), and browse its features.

import { collectActivations, featureIndex, featureView, loadSae, saeMetrics, saveSae, spliceLoss, trainSae } from "../interp/sae.js";
import { TrainingStream, validationSet } from "../train/corpus.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { Rng } from "../tensor/index.js";
import { str, type Command } from "./command.js";
import { openCheckpoint, parseInteger, printJson, readBytes, table, UsageError, writeFileAtomic } from "./common.js";
import { tokenNamer } from "./inspect.js";
import { ProgressBar } from "./progress.js";
import type { MiniGPT } from "../model/minigpt.js";
import type { TextTokenizer } from "../train/tokenizer.js";

/** Sequences to read activations from: the verb grammar's sentences (seeded), or random ids for another model. */
function corpus(model: MiniGPT, tok: TextTokenizer, n: number, seed: number, heldOut: boolean): number[][] {
  const T = model.config.context_len;
  if (usesVerbGrammar(tok, model.config.vocab_size)) {
    return heldOut ? validationSet(n, seed).map((e) => e.ids.slice(0, T)) : Array.from({ length: n }, ((s) => () => s.next().ids.slice(0, T))(new TrainingStream(seed)));
  }
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: Math.min(T, 32) }, () => rng.int(model.config.vocab_size)));
}

const number = (values: Readonly<Record<string, string | boolean | undefined>>, flag: string, fallback: number): number => {
  const v = str(values, flag);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} ${v}: expected a number ≥ 0`);
  return n;
};

export const saeCommand: Command = {
  name: "sae",
  summary: "sparse autoencoders on a hook point: train one (L0, variance explained, loss with it spliced in, dead latents), browse its features",
  usage:
    "minigpt sae train --out FILE [--checkpoint F] [--hook NAME] [--kind relu|topk] [--latents M] [--k K] [--l1 X] [--steps N] [--json]\n" +
    "minigpt sae show FILE [--checkpoint F] [--feature I] [--json]\n" +
    "  default hook: the residual stream after the last block; data: the verb grammar's sentences (random ids for another model)",
  flags: {
    checkpoint: { type: "string" }, out: { type: "string" }, hook: { type: "string" }, kind: { type: "string" }, latents: { type: "string" },
    k: { type: "string" }, l1: { type: "string" }, steps: { type: "string" }, feature: { type: "string" },
  },
  positionals: 2,
  run(values, positionals = []) {
    const [action, file] = positionals;
    if (action === "train") return train(values);
    if (action === "show") {
      if (file === undefined) throw new UsageError("give the SAE file: minigpt sae show FILE");
      return show(values, file);
    }
    throw new UsageError(`expected "train" or "show", got ${action === undefined ? "nothing" : `"${action}"`}`);
  },
};

function train(values: Readonly<Record<string, string | boolean | undefined>>): void {
  const out = str(values, "out");
  if (out === undefined) throw new UsageError("--out FILE is required");
  const kind = str(values, "kind") ?? "topk";
  if (kind !== "relu" && kind !== "topk") throw new UsageError(`--kind ${kind}: expected relu or topk`);
  const steps = parseInteger(str(values, "steps"), "--steps", 1) ?? 2000;
  const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
  const hook = str(values, "hook") ?? `blocks.${model.config.n_layers - 1}.hook_resid_post`;
  const latents = parseInteger(str(values, "latents"), "--latents", 1) ?? 4 * model.config.d_model;
  const k = parseInteger(str(values, "k"), "--k", 1) ?? 8;
  const l1 = number(values, "l1", 0.3);
  const trainSeqs = corpus(model, tok, 2000, 11, false), heldOut = corpus(model, tok, 256, 12, true);
  const data = collectActivations(model, hook, trainSeqs);
  const d = data.length / trainSeqs.reduce((s, x) => s + x.length, 0);
  const bar = new ProgressBar(steps);
  const { sae, resampled } = trainSae(data, d, {
    latents, kind, k, l1, steps, batch: 256, lr: 2e-3, seed: 0, resample_at: kind === "relu" ? [Math.floor(steps / 4), Math.floor(steps / 2)] : [],
    onStep: (s, loss) => bar.update(s, `loss ${loss.toFixed(4)}`),
  }, { hook, modelConfig: model.config });
  bar.finish();
  writeFileAtomic(out, saveSae(sae));
  const held = collectActivations(model, hook, heldOut);
  const m = saeMetrics(sae, held), ce = spliceLoss(model, sae, heldOut);
  const report = { checkpoint: path, out, hook, kind, latents, k: kind === "topk" ? k : null, l1: kind === "relu" ? l1 : null, steps, resampled, held_out: { l0: m.l0, variance_explained: m.varianceExplained, dead_fraction: m.deadFraction, ce_clean: ce.clean, ce_spliced: ce.spliced, ce_zero_ablated: ce.zeroAblated } };
  if (values["json"]) return printJson(report);
  process.stdout.write([
    `${path}  ·  ${kind === "topk" ? `TopK (k = ${k})` : `ReLU (L1 ${l1})`} SAE with ${latents} latents on ${hook}; wrote ${out}`,
    "",
    `on ${heldOut.length} held-out sequences:`,
    `  L0 (active latents per position)  ${m.l0.toFixed(2)}`,
    `  variance explained                ${(100 * m.varianceExplained).toFixed(1)}%`,
    `  latents that never fired          ${(100 * m.deadFraction).toFixed(1)}%${resampled > 0 ? ` (${resampled} resampled during training)` : ""}`,
    `  next-token loss                   ${ce.clean.toFixed(4)} as is, ${ce.spliced.toFixed(4)} with the reconstruction spliced in, ${ce.zeroAblated.toFixed(4)} with the activation zeroed`,
    "",
    "minigpt sae show FILE lists the features; --feature I shows one.",
  ].join("\n") + "\n");
}

function show(values: Readonly<Record<string, string | boolean | undefined>>, file: string): void {
  const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
  const sae = loadSae(readBytes(file, "SAE"), model, file);
  const seqs = corpus(model, tok, 256, 12, true);
  const index = featureIndex(model, sae, seqs);
  const name = tokenNamer(tok);
  const feature = parseInteger(str(values, "feature"), "--feature");
  // the tokens up to the position: the last twelve at most for one feature, five in the overview
  const context = (s: number, p: number, most = 12): string =>
    (p >= most ? "… " : "") + seqs[s]!.slice(Math.max(0, p + 1 - most), p + 1).map((id, i, a) => (i === a.length - 1 ? `[${name(id)}]` : name(id))).join(" ");
  if (feature !== undefined) {
    const f = featureView(model, sae, index, feature);
    if (values["json"]) return printJson({ checkpoint: path, sae: file, ...f, contexts: f.top.map((t) => context(t.sequence, t.position)) });
    process.stdout.write([
      `${file}  ·  feature ${feature} of ${sae.m} on ${sae.hook}: active at ${(100 * f.frequency).toFixed(1)}% of positions`,
      "",
      "strongest contexts (the active token in brackets; each distinct one once, with the number of positions it comes up at):",
      table(["activation", "times", "context"], f.top.map((t) => [t.value.toFixed(3), `×${t.count}`, context(t.sequence, t.position)]), [0, 1]),
      "",
      `histogram of nonzero activations, 0 to ${f.histogram.max.toFixed(2)}: ${f.histogram.counts.join(" ")}`,
      `pushes up:   ${f.logitsUp.map((x) => `${name(x.id)} ${x.value >= 0 ? "+" : ""}${x.value.toFixed(2)}`).join("  ")}`,
      `pushes down: ${f.logitsDown.map((x) => `${name(x.id)} ${x.value.toFixed(2)}`).join("  ")}`,
      "(W_dec[i]·W_Eᵀ: the direct effect on the logits, before the final norm)",
    ].join("\n") + "\n");
    return;
  }
  const views = Array.from({ length: sae.m }, (_, i) => featureView(model, sae, index, i, { top: 3 })).filter((v) => v.frequency > 0).sort((a, b) => b.frequency - a.frequency);
  if (values["json"]) return printJson({ checkpoint: path, sae: file, features: views.map((v) => ({ latent: v.latent, frequency: v.frequency, top: v.top.map((t) => context(t.sequence, t.position)), up: v.logitsUp.map((x) => name(x.id)) })) });
  process.stdout.write([
    `${file}  ·  ${views.length} of ${sae.m} latents fire on ${seqs.length} held-out sequences (${sae.hook})`,
    "",
    table(["latent", "active", "strongest context", "pushes up"], views.slice(0, 40).map((v) => [String(v.latent), `${(100 * v.frequency).toFixed(1)}%`, v.top[0] === undefined ? "" : context(v.top[0].sequence, v.top[0].position, 5), v.logitsUp.slice(0, 3).map((x) => name(x.id)).join(" ")]), [0, 1]),
  ].join("\n") + "\n");
}
