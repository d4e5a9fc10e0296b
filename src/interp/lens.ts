// Reading the stream at any depth. The logit lens decodes a state through the final
// LayerNorm — recomputing its mean and scale for that very vector — and the unembedding.
// The block budget runs only the first k blocks; k = 0 is the bigram floor
// softmax(LN(W_E[t] (+ p_t)) · W_Eᵀ), k = n_layers the full model.

import type { ActivationCache } from "../model/cache.js";
import type { HookName } from "../model/hooks.js";
import type { MiniGPT } from "../model/minigpt.js";
import { InputError, type Tokens } from "../model/tokens.js";
import { noGrad, ops, Tensor } from "../tensor/index.js";
import { stateAfterBlocks, streamStates, streamVector } from "./stream.js";
import { applyNorm, arrayOf, softmaxVec, topK } from "./vectors.js";

/** Logits for one stream vector: LN_final(h)·W_Eᵀ (tied) or ·W_U (LayerNorm or RMSNorm), skipped under Post-LN. */
export function decodeVector(model: MiniGPT, h: readonly number[]): number[] {
  const c = model.config;
  const d = c.d_model;
  const x = model.ln_final === null ? h : applyNorm(model.ln_final, h);
  const V = c.vocab_size;
  const logits = new Array<number>(V).fill(0);
  if (model.unembed === null) {
    const WE = model.embed.W_E.data;
    for (let v = 0; v < V; v++) for (let i = 0; i < d; i++) logits[v]! += x[i]! * WE[v * d + i]!;
  } else {
    const WU = model.unembed.W_U.data;
    for (let i = 0; i < d; i++) for (let v = 0; v < V; v++) logits[v]! += x[i]! * WU[i * V + v]!;
  }
  return logits;
}

/**
 * Logits for many stream vectors at once [n, V]: each normalised by the final norm with its own
 * scale (as decodeVector), then one product with the unembedding through the kernels — the
 * explorer's lens on a 50k vocabulary.
 */
export function decodeVectors(model: MiniGPT, vectors: readonly (readonly number[])[]): Float32Array {
  const d = model.config.d_model;
  const x = new Float32Array(vectors.length * d);
  vectors.forEach((h, r) => x.set(model.ln_final === null ? h : applyNorm(model.ln_final, h), r * d));
  const X = new Tensor(x, [vectors.length, d]);
  return noGrad(() => (model.unembed === null ? ops.matmul(X, model.embed.W_E, false, true) : ops.matmul(X, model.unembed.W_U))).data as Float32Array;
}

export interface LensRow {
  readonly state: number;
  readonly label: string;
  readonly logits: number[];
  readonly probs: number[];
  readonly top: { id: number; prob: number }[];
}

export interface LensResult {
  readonly position: number;
  readonly rows: LensRow[];
  /** Pre-LN: each state is a partial sum of the final stream, so decoding it is meaningful. */
  readonly valid: boolean;
  readonly note: string;
}

/** Decode every stream state at `position` (h₀, after attn 0, after mlp 0, …); `decode` swaps in another lens (the tuned lens). */
export function logitLens(model: MiniGPT, cache: ActivationCache, position: number, k = 5, decode: (state: number, h: readonly number[]) => number[] = (_s, h) => decodeVector(model, h)): LensResult {
  const rows = streamStates(model.config).map((s) => {
    const logits = decode(s.index, streamVector(cache, s.index, position));
    const probs = softmaxVec(logits);
    return { state: s.index, label: s.label, logits, probs, top: topK(probs, k).map(({ id, value }) => ({ id, prob: value })) };
  });
  const valid = model.config.norm === "pre";
  return {
    position,
    rows,
    valid,
    note: valid
      ? "Pre-LN: every state is a partial sum of the final stream; each is decoded through the final LayerNorm with its own mean and scale."
      : "Post-LN: each state has been re-normalised by a block's LayerNorm and there is no final LayerNorm, so intermediate states are not partial sums of the final one — only the last row is the model's output; the rest are not a valid lens.",
  };
}

/**
 * `blockBudget(model, ids, k)[position]` read from a forward's cache instead of running k blocks
 * again: the stream after block k − 1 at that position through the final norm and the unembedding
 * (`model.readout`, the forward's own last step) — the same operations on the same numbers, so the
 * same bits. The explorer's budget panel asks this on every edit; on GPT-2 it saves a forward.
 */
export function blockBudgetAt(model: MiniGPT, cache: ActivationCache, k: number, position: number): number[] {
  const c = model.config;
  if (!(Number.isInteger(k) && k >= 0 && k <= c.n_layers)) throw new InputError(`block budget ${k} must be a whole number from 0 to n_layers = ${c.n_layers}`);
  const h = c.n_layers > 0
    ? cache.get(stateAfterBlocks(c, k).hook as HookName) // [1, T, d]
    : cache.has("hook_pos_embed") ? ops.add(cache.get("hook_embed"), cache.get("hook_pos_embed")) : cache.get("hook_embed"); // no blocks: h₀ as the forward adds it
  if (!(Number.isInteger(position) && position >= 0 && position < h.shape[1]!)) throw new InputError(`position ${position} is out of range: the cached input has positions 0 to ${h.shape[1]! - 1}`);
  const logits = noGrad(() => model.readout(ops.slice(h, 1, position, position + 1)));
  return arrayOf(logits.data, 0, c.vocab_size);
}

/** Logits [B, T, V] with only the first k blocks run. */
export function blockBudget(model: MiniGPT, tokens: Tokens, k: number): number[][] {
  const logits = noGrad(() => model.forward(tokens, { blocks: k }));
  const V = model.config.vocab_size;
  return Array.from({ length: logits.size / V }, (_, r) => arrayOf(logits.data, r * V, (r + 1) * V));
}
