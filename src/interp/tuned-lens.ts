// The tuned lens (Belrose et al., 2023): one affine translator per stream state, h ↦ h + h·A + b
// (A and b start at zero: the logit lens), trained so that decoding the translated state through the
// frozen final norm and unembedding matches the model's own final distribution — the KL divergence
// KL(p_final ‖ p_lens) averaged over positions. Saved as a safetensors file that names the model's
// config, so a lens is never applied to another model.

import { encodeSafetensors, decodeSafetensors } from "../io/safetensors.js";
import { configToJson, type ModelConfig } from "../model/config.js";
import type { HookName } from "../model/hooks.js";
import type { MiniGPT } from "../model/minigpt.js";
import { AdamW } from "../nn/adamw.js";
import { BufferPool, F, noGrad, ops, Tensor } from "../tensor/index.js";
import { applyNorm, arrayOf, softmaxVec } from "./vectors.js";
import { streamStates } from "./stream.js";

/** One translator per stream state but the last (which the final distribution is read from). */
export interface TunedLens {
  readonly config: ModelConfig;
  /** [states − 1] of { A [d, d], b [d] } */
  readonly translators: { readonly A: Tensor; readonly b: Tensor }[];
}

export function identityLens(model: MiniGPT): TunedLens {
  const d = model.config.d_model, n = streamStates(model.config).length - 1;
  return { config: model.config, translators: Array.from({ length: n }, () => ({ A: new Tensor(new Float32Array(d * d), [d, d], null, true), b: new Tensor(new Float32Array(d), [d], null, true) })) };
}

/** Rows [N, d] of one stream state over a batch (only the real positions of each sequence). */
function stateRows(model: MiniGPT, batch: readonly (readonly number[])[]): { states: Float32Array[]; final: FinalDistribution; N: number } {
  const states = streamStates(model.config);
  const d = model.config.d_model, V = model.config.vocab_size;
  const rows: number[][][] = states.map(() => []);
  const targets: number[][] = [];
  for (const ids of batch) {
    const { logits, cache } = model.runWithCache(ids);
    states.forEach((s, i) => {
      const t = cache.get(s.hook as HookName);
      for (let p = 0; p < ids.length; p++) rows[i]!.push(arrayOf(t.data, p * d, (p + 1) * d));
    });
    for (let p = 0; p < ids.length; p++) targets.push(softmaxVec(logits.data.subarray(p * V, (p + 1) * V)).map((x) => Math.log(Math.max(x, 1e-30))));
  }
  const logp = Float32Array.from(targets.flat());
  return { states: rows.map((r) => Float32Array.from(r.flat())), final: { logp, p: Float32Array.from(logp, Math.exp) }, N: targets.length };
}

/** Logits [N, V] of translated rows, through the final norm and the unembedding. */
function decodeRows(model: MiniGPT, x: Tensor): Tensor {
  const h = model.ln_final === null ? x : model.ln_final.forward(x);
  return model.unembed === null ? ops.matmul(h, model.embed.W_E, false, true) : ops.matmul(h, model.unembed.W_U);
}

/** The model's final distribution over the rows: its log-probabilities, and those exponentiated (once, not at every step). */
interface FinalDistribution {
  readonly logp: Float32Array;
  readonly p: Float32Array;
}

/** Mean KL(p_final ‖ softmax(logits)) over rows, as a tensor (for training) */
function klTensor(logits: Tensor, final: FinalDistribution, N: number): Tensor {
  const logq = F.logSoftmax(logits);
  const logp = new Tensor(final.logp, logq.shape);
  const p = new Tensor(final.p, logq.shape);
  return ops.div(ops.sum(ops.mul(p, ops.sub(logp, logq))), N);
}

function translate(x: Tensor, t: { A: Tensor; b: Tensor }): Tensor {
  return ops.add(ops.add(x, ops.matmul(x, t.A)), t.b);
}

export interface TunedLensTraining {
  readonly lens: TunedLens;
  /** Per state but the last: KL of the logit lens and of the tuned lens on the held-out batch. */
  readonly kl: { readonly label: string; readonly logit: number; readonly tuned: number }[];
}

/**
 * Train the translators on `train` sequences (full batch, AdamW) and report both lenses' KL on
 * `heldOut`. The model is frozen: only A and b change.
 */
export function trainTunedLens(model: MiniGPT, train: readonly (readonly number[])[], heldOut: readonly (readonly number[])[], { steps = 300, lr = 1e-2 } = {}): TunedLensTraining {
  if (model.config.n_layers === 0) throw new Error("a tuned lens needs at least one block: with none, the only state is the embedding, read as the output");
  const lens = identityLens(model);
  const data = noGrad(() => stateRows(model, train));
  const d = model.config.d_model;
  const params = lens.translators.flatMap((t, i): [string, Tensor][] => [[`${i}.A`, t.A], [`${i}.b`, t.b]]);
  const opt = new AdamW(params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 }, () => false);
  const frozen = model.parameters().map((p) => p.grad);
  const pool = new BufferPool(); // a step's arrays, reused by the next
  for (let step = 0; step < steps; step++) {
    // the model is frozen: the gradients backward leaves on its weights are dropped each step (not summed, then thrown away)
    for (const p of model.parameters()) p.grad = null;
    for (const [, p] of params) p.grad = null;
    pool.recycle();
    pool.use(() => {
      const losses = lens.translators.map((t, i) => klTensor(decodeRows(model, translate(new Tensor(data.states[i]!, [data.N, d]), t)), data.final, data.N));
      losses.reduce((a, b) => ops.add(a, b)).backward();
      opt.step(lr);
    });
  }
  model.parameters().forEach((p, i) => (p.grad = frozen[i]!));
  for (const t of lens.translators) {
    t.A.grad = null;
    t.b.grad = null;
  }
  return { lens, kl: evaluateLens(model, lens, heldOut) };
}

/** Per state but the last: KL(final ‖ lens) of the logit lens and of `lens` on `sequences`, in nats. */
export function evaluateLens(model: MiniGPT, lens: TunedLens, sequences: readonly (readonly number[])[]): TunedLensTraining["kl"] {
  const d = model.config.d_model;
  const held = noGrad(() => stateRows(model, sequences));
  const labels = streamStates(model.config).map((s) => s.label);
  return lens.translators.map((t, i) => {
    const x = new Tensor(held.states[i]!, [held.N, d]);
    return noGrad(() => ({
      label: labels[i]!,
      logit: klTensor(decodeRows(model, x), held.final, held.N).item(),
      tuned: klTensor(decodeRows(model, translate(x, t)), held.final, held.N).item(),
    }));
  });
}

/** A stream vector read through the tuned lens at `state` (the last state: unchanged), as logits. */
export function tunedDecode(model: MiniGPT, lens: TunedLens, state: number, h: readonly number[]): number[] {
  const d = model.config.d_model;
  let x = [...h];
  const t = lens.translators[state];
  if (t !== undefined) {
    const A = t.A.data, b = t.b.data;
    x = h.map((v, j) => {
      let s = v + b[j]!;
      for (let i = 0; i < d; i++) s += h[i]! * A[i * d + j]!;
      return s;
    });
  }
  const normed = model.ln_final === null ? x : applyNorm(model.ln_final, x);
  const V = model.config.vocab_size, out = new Array<number>(V).fill(0);
  if (model.unembed === null) for (let v = 0; v < V; v++) for (let i = 0; i < d; i++) out[v]! += normed[i]! * model.embed.W_E.data[v * d + i]!;
  else for (let i = 0; i < d; i++) for (let v = 0; v < V; v++) out[v]! += normed[i]! * model.unembed.W_U.data[i * V + v]!;
  return out;
}

export function saveTunedLens(lens: TunedLens): Uint8Array {
  const tensors = lens.translators.flatMap((t, i): [string, { shape: readonly number[]; data: ArrayLike<number> }][] => [[`tuned_lens.${i}.A`, t.A], [`tuned_lens.${i}.b`, t.b]]);
  return encodeSafetensors(tensors, { kind: "tuned_lens", config: JSON.stringify(configToJson(lens.config)) });
}

/** A saved lens, checked to belong to this model's config. */
export function loadTunedLens(bytes: Uint8Array, model: MiniGPT, source = "tuned lens"): TunedLens {
  const file = decodeSafetensors(bytes, source);
  if (file.metadata["kind"] !== "tuned_lens") throw new Error(`${source}: not a tuned lens (its metadata has no kind = tuned_lens)`);
  const mine = JSON.stringify(configToJson(model.config)), theirs = file.metadata["config"];
  if (theirs !== mine) throw new Error(`${source}: the lens was trained for another config (${theirs}); this model's is ${mine}`);
  const d = model.config.d_model, n = streamStates(model.config).length - 1;
  const translators = Array.from({ length: n }, (_, i) => {
    const A = file.tensors.get(`tuned_lens.${i}.A`), b = file.tensors.get(`tuned_lens.${i}.b`);
    if (A === undefined || b === undefined || A.data.length !== d * d || b.data.length !== d) throw new Error(`${source}: translator ${i} is missing or misshapen`);
    return { A: new Tensor(A.data, [d, d]), b: new Tensor(b.data, [d]) };
  });
  return { config: model.config, translators };
}
