// Circuits read from the weights alone, no input (Elhage et al. 2021, "A Mathematical Framework for
// Transformer Circuits"; TransformerLens's all_composition_scores and OV circuits). In the row
// convention of the forward (x · W), head h reads the stream through
//
//   W_QK = W_Q · W_Kᵀ   (d × d: the query's x against the key's)   W_OV = W_V · W_O   (d × d: what it writes)
//
// with the block's norm folded into the reading side as a linear map: LayerNorm's centring and gain,
// C · diag(γ), or RMSNorm's gain alone; its division by the row's scale and its bias are left out
// (TransformerLens's fold_ln does the same), and so are the heads' biases and RoPE's rotation (a
// QK circuit at offset 0). A later head B composes with an earlier head A through its query (Q),
// its key (K) or its value (V) when A's output is what B reads there:
//
//   Q: ‖W_OV^A · W_QK^B‖ / (‖W_OV^A‖ ‖W_QK^B‖)   K: ‖W_OV^A · W_QK^Bᵀ‖ / (…)   V: ‖W_OV^A · W_OV^B‖ / (‖W_OV^A‖ ‖W_OV^B‖)
//
// (Frobenius norms). Random matrices of these shapes score above 0, so the result carries that
// baseline. Every d × d matrix here has rank ≤ d_head and is never formed: each is a product of a
// d × d_head and a d_head × d factor, and a norm such as ‖P·M·Qᵀ‖ is ‖R_P·M·R_Qᵀ‖ for triangular R
// with RᵀR = PᵀP — so one product through the kernels per later block and kind gives every score.
//
// A head's full OV circuit maps a source token (its embedding through the block's norm) to the
// logits its write raises, through the final norm folded the same way: W_E·W_V·W_O·W_U, [vocab,
// vocab]. Its eigenvalues' positive share, Σλ / Σ|λ|, is the paper's copying score: 1 for a head
// that raises the very token it attends to.

import type { MiniGPT } from "../model/minigpt.js";
import type { Norm } from "../nn/index.js";
import { noGrad, ops, Rng, Tensor } from "../tensor/index.js";
import { eigenvalues, psdFactor } from "./linalg.js";
import type { HeadRef } from "./patching.js";
import { topK } from "./vectors.js";

export type CompositionKind = "q" | "k" | "v";
export const COMPOSITION_KINDS: readonly CompositionKind[] = ["q", "k", "v"];

export interface CompositionPair {
  /** The earlier head, whose output is read. */
  readonly from: HeadRef;
  /** The later head, which reads it through its query, key or value. */
  readonly to: HeadRef;
  readonly q: number;
  readonly k: number;
  readonly v: number;
}

export interface Composition {
  /** Every pair of heads in different blocks, earlier first; ordered by the later head, then the earlier. */
  readonly pairs: readonly CompositionPair[];
  /** The mean score of random Gaussian factors of the same shapes (one figure: Q, K and V have the same shapes). */
  readonly baseline: number;
  /** How the reading norm was folded in: "layernorm" (centre and gain), "rmsnorm" (gain) or "none" (Post-LN: the block reads its input as it is). */
  readonly fold: "layernorm" | "rmsnorm" | "none";
}

type Matrix = Float32Array;

/** (C · diag(γ)) · W for W [d, cols]: row i scaled by γᵢ, then each column centred (LayerNorm); the gain alone for RMSNorm. */
function foldNorm(norm: Norm | null, W: ArrayLike<number>, d: number, cols: number): Matrix {
  const out = new Float32Array(d * cols);
  if (norm === null) {
    for (let i = 0; i < d * cols; i++) out[i] = W[i]!;
    return out;
  }
  const g = norm.w.data;
  const mean = new Float64Array(cols);
  for (let i = 0; i < d; i++) for (let j = 0; j < cols; j++) mean[j]! += g[i]! * W[i * cols + j]!;
  const centre = norm.kind === "layernorm";
  for (let i = 0; i < d; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = g[i]! * W[i * cols + j]! - (centre ? mean[j]! / d : 0);
  return out;
}

/** The norm a block's attention reads through (none for Post-LN, where the stream arrives normalised). */
function readingNorm(model: MiniGPT, layer: number): Norm | null {
  return model.spec.block.residual === "post" ? null : model.blocks[layer]!.ln1;
}

/** Key/value head of query head h. */
function kvHead(model: MiniGPT, h: number): number {
  const { n_heads: H, n_kv_heads: Hkv } = model.spec.block.attn;
  return Math.floor((h * Hkv) / H);
}

/** Head h's d × d_head (or d_head × d) slice of a [heads, rows, cols] weight. */
function slice(W: Tensor, h: number): Float32Array {
  const n = W.shape[1]! * W.shape[2]!;
  return W.data.subarray(h * n, (h + 1) * n) as Float32Array;
}

/** R (d_head × d_head, upper triangular) with RᵀR = XᵀX for X [rows, dh], or X·Xᵀ when X is [dh, cols] and `rowsOf` is set. */
function factorOf(X: Matrix, rows: number, cols: number, rowsOf = false): Matrix {
  const t = new Tensor(X, [rows, cols]);
  const G = noGrad(() => (rowsOf ? ops.matmul(t, t, false, true) : ops.matmul(t, t, true, false))).data;
  return Float32Array.from(psdFactor(G, rowsOf ? rows : cols, 1e-7));
}

const product = (a: Matrix, ar: number, ac: number, b: Matrix, bc: number, transB = false): Matrix =>
  noGrad(() => ops.matmul(new Tensor(a, [ar, ac]), new Tensor(b, transB ? [bc, ac] : [ac, bc]), false, transB)).data as Matrix;

function frobenius(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

/**
 * A head's factors: the left operand for its output (R_P · W_O, [dh, d]: its norm is ‖W_OV‖) and
 * the right operands a later head supplies per kind ([d, dh] each: P·R_Qᵀ with P the matrix that
 * meets the earlier head's output, R_Q the factor of the other side).
 */
interface HeadFactors {
  readonly left: Matrix;
  readonly right: Record<CompositionKind, Matrix>;
}

/** The four reading/writing factors of a head as d × d_head / d_head × d matrices, the norm folded in. */
function headFactors(Q: Matrix, K: Matrix, V: Matrix, O: Matrix, d: number, dh: number): HeadFactors {
  const rQ = factorOf(Q, d, dh), rK = factorOf(K, d, dh), rV = factorOf(V, d, dh), rO = factorOf(O, dh, d, true);
  return {
    left: product(rV, dh, dh, O, d),
    right: { q: product(Q, d, dh, rK, dh, true), k: product(K, d, dh, rQ, dh, true), v: product(V, d, dh, rO, dh, true) },
  };
}

function modelFactors(model: MiniGPT): HeadFactors[][] {
  const { d_model: d, n_heads: H, d_head: dh } = model.spec.block.attn;
  return model.blocks.map((b, l) => {
    const norm = readingNorm(model, l);
    const fold = (W: Tensor, h: number): Matrix => foldNorm(norm, slice(W, h), d, dh);
    return Array.from({ length: H }, (_, h) => headFactors(fold(b.attn.W_Q, h), fold(b.attn.W_K, kvHead(model, h)), fold(b.attn.W_V, kvHead(model, h)), slice(b.attn.W_O, h), d, dh));
  });
}

/** The score of every pair from its factors: the earlier heads' left operands stacked, against each later head's right operands, one product per later block and kind. */
function scorePairs(factors: readonly (readonly HeadFactors[])[], d: number, dh: number, onBlock?: (l2: number) => void): CompositionPair[] {
  const pairs: CompositionPair[] = [];
  for (let l2 = 1; l2 < factors.length; l2++) {
    const earlier = factors.slice(0, l2).flat();
    const later = factors[l2]!;
    const stack = new Float32Array(earlier.length * dh * d);
    earlier.forEach((f, i) => stack.set(f.left, i * dh * d));
    const leftNorm = earlier.map((f) => frobenius(f.left));
    const byKind = {} as Record<CompositionKind, { scores: Matrix; norms: number[] }>;
    for (const kind of COMPOSITION_KINDS) {
      // the later heads' right operands side by side: [d, H·dh]
      const n = later.length * dh, right = new Float32Array(d * n);
      later.forEach((f, h) => {
        const r = f.right[kind];
        for (let i = 0; i < d; i++) right.set(r.subarray(i * dh, (i + 1) * dh), i * n + h * dh);
      });
      byKind[kind] = { scores: product(stack, earlier.length * dh, d, right, n), norms: later.map((f) => frobenius(f.right[kind])) };
    }
    const H = later.length, n = H * dh;
    for (let h2 = 0; h2 < H; h2++) {
      earlier.forEach((_, a) => {
        const score = (kind: CompositionKind): number => {
          const { scores, norms } = byKind[kind];
          let s = 0;
          for (let i = 0; i < dh; i++) for (let j = 0; j < dh; j++) s += scores[(a * dh + i) * n + h2 * dh + j]! ** 2;
          const denominator = leftNorm[a]! * norms[h2]!;
          return denominator === 0 ? 0 : Math.sqrt(s) / denominator;
        };
        const from = { layer: Math.floor(a / H), head: a % H };
        pairs.push({ from, to: { layer: l2, head: h2 }, q: score("q"), k: score("k"), v: score("v") });
      });
    }
    onBlock?.(l2);
  }
  return pairs;
}

export interface CircuitOptions {
  /** Called as the work goes: `done` of `total` units (a later block's pairs, or a block's copying scores). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Q-, K- and V-composition scores of every pair of heads in different blocks, with the random baseline. */
export function composition(model: MiniGPT, { samples = 8, seed = 0, onProgress }: CircuitOptions & { samples?: number; seed?: number } = {}): Composition {
  const { d_model: d, d_head: dh } = model.spec.block.attn;
  const L = model.config.n_layers;
  const pairs = scorePairs(modelFactors(model), d, dh, (l2) => onProgress?.(l2, L - 1));
  // the baseline: the same scores for two blocks of heads with Gaussian weights, no norm
  const rng = new Rng(seed);
  const gauss = (n: number): Matrix => Float32Array.from({ length: n }, () => rng.normal());
  const random = (): HeadFactors => headFactors(gauss(d * dh), gauss(d * dh), gauss(d * dh), gauss(dh * d), d, dh);
  const draws = scorePairs([Array.from({ length: samples }, random), Array.from({ length: samples }, random)], d, dh);
  const baseline = draws.reduce((s, p) => s + p.q + p.k + p.v, 0) / (3 * draws.length);
  const { kind } = model.spec.block.ln1;
  return { pairs, baseline, fold: model.spec.block.residual === "post" ? "none" : kind };
}

/** The embedding's rows as the block's norm sees them, without its gain and bias: centred and scaled (LayerNorm), scaled (RMSNorm), or as they are (Post-LN). [vocab, d]. */
function normalisedEmbedding(model: MiniGPT, rows: readonly number[]): Matrix {
  const d = model.config.d_model, E = model.embed.W_E.data, eps = model.config.ln_eps;
  const out = new Float32Array(rows.length * d);
  const kind = model.spec.block.residual === "post" ? "none" : model.spec.block.ln1.kind;
  rows.forEach((id, r) => {
    const e = E.subarray(id * d, (id + 1) * d);
    let mean = 0;
    if (kind === "layernorm") for (let i = 0; i < d; i++) mean += e[i]! / d;
    let ms = 0;
    for (let i = 0; i < d; i++) ms += (e[i]! - mean) ** 2 / d;
    const scale = kind === "none" ? 1 : 1 / Math.sqrt(ms + eps);
    for (let i = 0; i < d; i++) out[r * d + i] = (e[i]! - mean) * scale;
  });
  return out;
}

/** The unembedding with the final norm folded in (C·diag(γ)·W_U; W_Eᵀ when tied): [d, vocab]. */
function foldedUnembedding(model: MiniGPT): Matrix {
  const d = model.config.d_model, V = model.config.vocab_size;
  const U = model.unembed?.W_U.data ?? noGrad(() => ops.transpose(model.embed.W_E, 0, 1)).data;
  return foldNorm(model.ln_final, U, d, V);
}

function checkHead(model: MiniGPT, layer: number, head: number): void {
  const c = model.config;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < c.n_layers)) throw new Error(`block ${layer} does not exist: blocks run from 0 to ${c.n_layers - 1}`);
  if (!(Number.isInteger(head) && head >= 0 && head < c.n_heads)) throw new Error(`head ${head} does not exist: heads run from 0 to ${c.n_heads - 1}`);
}

/** Head (layer, head)'s source rows: the normalised embedding of `sources` times the block's gain and W_V, then W_O: [n, d]. */
function ovWrites(model: MiniGPT, layer: number, head: number, sources: readonly number[]): Matrix {
  const { d_model: d, d_head: dh } = model.spec.block.attn;
  const b = model.blocks[layer]!, norm = readingNorm(model, layer);
  const S = normalisedEmbedding(model, sources);
  if (norm !== null) for (let r = 0; r < sources.length; r++) for (let i = 0; i < d; i++) S[r * d + i]! *= norm.w.data[i]!;
  const v = product(S, sources.length, d, slice(b.attn.W_V, kvHead(model, head)), dh);
  return product(v, sources.length, dh, slice(b.attn.W_O, head), d);
}

/**
 * A head's OV circuit for some source tokens: row s is the logits its write raises when it attends
 * wholly to a position holding token sources[s] (that token's embedding through the block's norm;
 * no biases; the final norm folded). [sources.length, vocab].
 */
export function ovCircuit(model: MiniGPT, layer: number, head: number, sources: readonly number[]): Float32Array {
  checkHead(model, layer, head);
  const V = model.config.vocab_size, d = model.config.d_model;
  const bad = sources.find((s) => !(Number.isInteger(s) && s >= 0 && s < V));
  if (bad !== undefined) throw new Error(`source token ${bad} is not in the vocabulary (ids 0 to ${V - 1})`);
  return product(ovWrites(model, layer, head, sources), sources.length, d, foldedUnembedding(model), V);
}

/** C·diag(γ_f)·W_U·Ê, [d, d]: the unembedding (final norm folded) times the normalised embedding — shared by every head's copying score. */
function unembedTimesEmbed(model: MiniGPT): Matrix {
  const d = model.config.d_model, V = model.config.vocab_size;
  return product(foldedUnembedding(model), d, V, normalisedEmbedding(model, Array.from({ length: V }, (_, i) => i)), d);
}

/** Σ Re λ / Σ |λ| over the eigenvalues of W_O · N · diag(γ)·W_V, d_head × d_head. */
function copyingOf(model: MiniGPT, N: Matrix, layer: number, head: number): number {
  const { d_model: d, d_head: dh } = model.spec.block.attn;
  const a = model.blocks[layer]!.attn, norm = readingNorm(model, layer);
  const Wv = slice(a.W_V, kvHead(model, head));
  const gv = new Float32Array(d * dh);
  for (let i = 0; i < d; i++) for (let j = 0; j < dh; j++) gv[i * dh + j] = (norm === null ? 1 : norm.w.data[i]!) * Wv[i * dh + j]!;
  const X = product(product(slice(a.W_O, head), dh, d, N, d), dh, d, gv, dh);
  const { re, im } = eigenvalues(X, dh);
  let sum = 0, abs = 0;
  for (let i = 0; i < dh; i++) (sum += re[i]!), (abs += Math.hypot(re[i]!, im[i]!));
  return abs === 0 ? 0 : sum / abs;
}

/**
 * Every head's copying score, [layer][head]: Σ Re λ / Σ |λ| over the eigenvalues of its full OV
 * circuit over the whole vocabulary. The circuit is A·B with A [vocab, d_head] and B [d_head, vocab],
 * so its non-zero eigenvalues are those of B·A, d_head × d_head: W_O · (C·diag(γ_f)·W_U·Ê) · diag(γ)·W_V.
 */
export function copyingScores(model: MiniGPT, { onProgress }: CircuitOptions = {}): number[][] {
  const N = unembedTimesEmbed(model);
  return model.blocks.map((_, l) => {
    const row = Array.from({ length: model.config.n_heads }, (_, h) => copyingOf(model, N, l, h));
    onProgress?.(l + 1, model.blocks.length);
    return row;
  });
}

/** One head's copying score (as copyingScores). */
export function copyingScore(model: MiniGPT, layer: number, head: number): number {
  checkHead(model, layer, head);
  return copyingOf(model, unembedTimesEmbed(model), layer, head);
}

export interface OvRow {
  readonly source: number;
  /** The tokens the head raises and lowers most when it attends to the source: (id, logit effect). */
  readonly up: readonly { readonly id: number; readonly value: number }[];
  readonly down: readonly { readonly id: number; readonly value: number }[];
  /** The source token's own rank among the tokens it raises (1: it raises itself most). */
  readonly selfRank: number;
}

/** A head's OV circuit read row by row: for each source token, what it raises and lowers most, and where the token itself ranks. */
export function ovCircuitRows(model: MiniGPT, layer: number, head: number, sources: readonly number[], top = 3): OvRow[] {
  const V = model.config.vocab_size, circuit = ovCircuit(model, layer, head, sources);
  return sources.map((source, r) => {
    const row = circuit.subarray(r * V, (r + 1) * V);
    const down = topK(row.map((x) => -x), top).map(({ id }) => ({ id, value: row[id]! }));
    let selfRank = 1;
    for (let t = 0; t < V; t++) if (row[t]! > row[source]!) selfRank++;
    return { source, up: topK(row, top), down, selfRank };
  });
}
