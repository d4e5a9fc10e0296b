// Small float64 vector helpers for analysis: read a vector out of a tensor, add, dot, norm.

import type { Norm } from "../nn/index.js";
import type { Tensor } from "../tensor/index.js";

/** The last-axis vector of `t` at the leading indices `at` (e.g. [0, p] in a [B, T, d] tensor). */
export function vectorAt(t: Tensor, at: readonly number[]): number[] {
  if (at.length !== t.rank - 1) throw new Error(`vectorAt: ${at.length} indices for a rank-${t.rank} tensor`);
  let offset = 0;
  for (let i = 0; i < at.length; i++) {
    const n = t.shape[i]!;
    if (!(at[i]! >= 0 && at[i]! < n)) throw new Error(`index ${at[i]} is out of range for axis ${i} of size ${n}`);
    offset = offset * n + at[i]!;
  }
  const w = t.shape[t.rank - 1]!;
  return arrayOf(t.data, offset * w, (offset + 1) * w);
}

/**
 * data[start … end) as a plain array, the same values. A counted loop: `Array.from` on a typed
 * array goes through its iterator, ~10× slower — the explorer reads GPT-2's 800 stream vectors
 * of 768 through here on every analysis (47 ms with Array.from, under 9 ms so).
 */
export function arrayOf(data: ArrayLike<number>, start: number, end: number): number[] {
  const out = new Array<number>(end - start);
  for (let i = start; i < end; i++) out[i - start] = data[i]!;
  return out;
}

export const addVec = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x + b[i]!);
export const subVec = (a: readonly number[], b: readonly number[]): number[] => a.map((x, i) => x - b[i]!);
export const scaleVec = (a: readonly number[], s: number): number[] => a.map((x) => x * s);
/** Σ aᵢbᵢ in order (a counted loop: the explorer measures GPT-2's 800 stream vectors by it on every analysis). */
export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
export const norm = (a: readonly number[]): number => Math.sqrt(dot(a, a));
export const sumVecs = (vs: readonly (readonly number[])[], width: number): number[] =>
  vs.reduce<number[]>((acc, v) => addVec(acc, v), new Array<number>(width).fill(0));
export const maxAbsDiff = (a: readonly number[], b: readonly number[]): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

/** Softmax of a logit vector, in float64. */
export function softmaxVec(logits: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  const e = Array.from(logits, (x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/**
 * The k largest entries as (index, value), largest first, ties by index. A few of many (the top
 * tokens of a 50,257-word vocabulary, read for every lens cell and every neuron) are kept in one
 * pass, in a list of k sorted as it goes; only past k = n/8 is the whole array sorted. NaN ranks
 * as −∞ (a broken model's NaN logits never crowd out the numbers).
 */
export function topK(values: ArrayLike<number>, k: number): { id: number; value: number }[] {
  const n = values.length;
  k = Math.max(0, Math.min(k, n));
  if (k === 0) return [];
  const rank = (x: number): number => (Number.isNaN(x) ? -Infinity : x);
  if (k * 8 > n) return Array.from(values, (value, id) => ({ id, value })).sort((a, b) => rank(b.value) - rank(a.value) || a.id - b.id).slice(0, k);
  const best: { id: number; value: number; rank: number }[] = []; // rank: the value, NaN as −∞
  for (let id = 0; id < n; id++) {
    const value = values[id]!, r = rank(value);
    if (best.length === k && !(r > best[k - 1]!.rank)) continue;
    let at = best.length === k ? k - 1 : best.length; // after every entry at least as large: earlier ids first on ties
    while (at > 0 && best[at - 1]!.rank < r) at--;
    if (best.length === k) best.pop();
    best.splice(at, 0, { id, value, rank: r });
  }
  return best.map(({ id, value }) => ({ id, value }));
}

/**
 * A norm's divisor for one vector, and whether it centres first: LayerNorm √(σ² + eps) after
 * subtracting the mean; RMSNorm √(mean(x²) + eps) with no centring.
 */
export function normScale(n: Norm, x: readonly number[]): { centred: boolean; scale: number } {
  const d = x.length;
  if (n.kind === "rmsnorm") return { centred: false, scale: Math.sqrt(x.reduce((a, v) => a + v * v, 0) / d + n.eps) };
  const mu = x.reduce((a, v) => a + v, 0) / d;
  return { centred: true, scale: Math.sqrt(x.reduce((a, v) => a + (v - mu) * (v - mu), 0) / d + n.eps) };
}

/** A norm applied to one vector in float64, its scale recomputed for that vector (the logit lens's rule). */
export function applyNorm(n: Norm, x: readonly number[]): number[] {
  const { centred, scale } = normScale(n, x);
  const mu = centred ? x.reduce((a, v) => a + v, 0) / x.length : 0;
  const w = n.w.data, b = n.b?.data;
  return x.map((v, i) => ((v - mu) / scale) * w[i]! + (b === undefined ? 0 : b[i]!));
}
