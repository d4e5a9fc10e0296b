// Circuits from the weights: the eigenvalue routine on matrices whose spectrum is known by
// construction; composition scores against d × d matrices formed in float64 straight from their
// definitions (the code never forms them: it goes through triangular factors and one product per
// block); a hand-built model whose heads compose by construction; the OV circuit against the full
// vocab × vocab matrix in float64, and the copying score against that matrix's own eigenvalues;
// and the shipped induction model, whose induction heads must read the previous-token head
// through their keys.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { composition, copyingScores, ovCircuit, type CompositionKind } from "../../src/interp/circuits.js";
import { headScores } from "../../src/interp/heads.js";
import { eigenvalues, orthonormalBasis, psdFactor } from "../../src/interp/linalg.js";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { Rng } from "../../src/tensor/index.js";
import { WORDS } from "../../src/train/induction.js";
import { BOS } from "../../src/train/vocab.js";

type M = number[][];
const mul = (a: M, b: M): M => a.map((row) => b[0]!.map((_, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));
const T = (a: M): M => a[0]!.map((_, j) => a.map((row) => row[j]!));
const fro = (a: M): number => Math.sqrt(a.flat().reduce((s, x) => s + x * x, 0));
/** Rows × cols of a flat row-major array. */
const matrix = (data: ArrayLike<number>, rows: number, cols: number, offset = 0): M =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => data[offset + i * cols + j]!));

/** The norm's fold as an explicit d × d matrix: C · diag(γ) (LayerNorm), diag(γ) (RMSNorm). */
function foldMatrix(model: MiniGPT, layer: number): M {
  const d = model.config.d_model, n = model.blocks[layer]!.ln1;
  const C = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0) - (n.kind === "layernorm" ? 1 / d : 0)));
  return mul(C, C.map((_, i) => C.map((_, j) => (i === j ? n.w.data[i]! : 0))));
}

/** W_QK and W_OV of a head, d × d, in float64 from the definitions. */
function circuits(model: MiniGPT, layer: number, head: number): { QK: M; OV: M } {
  const { d_model: d, n_heads: H, n_kv_heads: Hkv } = model.config, dh = d / H, a = model.blocks[layer]!.attn, kv = Math.floor((head * Hkv) / H);
  const R = foldMatrix(model, layer);
  const Q = mul(R, matrix(a.W_Q.data, d, dh, head * d * dh)), K = mul(R, matrix(a.W_K.data, d, dh, kv * d * dh));
  const V = mul(R, matrix(a.W_V.data, d, dh, kv * d * dh)), O = matrix(a.W_O.data, dh, d, head * dh * d);
  return { QK: mul(Q, T(K)), OV: mul(V, O) };
}

function referenceScore(model: MiniGPT, kind: CompositionKind, from: [number, number], to: [number, number]): number {
  const A = circuits(model, ...from), B = circuits(model, ...to);
  const right = kind === "q" ? B.QK : kind === "k" ? T(B.QK) : B.OV;
  return fro(mul(A.OV, right)) / (fro(A.OV) * fro(right));
}

describe("eigenvalues of a real matrix", () => {
  it("finds the spectrum of Q·S·Qᵀ for a random orthogonal Q and a quasi-triangular S with known real and complex eigenvalues", () => {
    const rng = new Rng(7);
    for (const n of [1, 2, 5, 16, 33]) {
      // S: real eigenvalues on the diagonal, 2×2 blocks [[a, b], [−c, a]] (a ± i√(bc)) along it, noise above
      const S = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      const want: { re: number; im: number }[] = [];
      for (let i = 0; i < n; ) {
        if (i + 1 < n && rng.uniform() < 0.4) {
          const a = rng.normal(), b = 0.2 + rng.uniform(), c = 0.2 + rng.uniform();
          S[i]![i] = S[i + 1]![i + 1] = a;
          S[i]![i + 1] = b;
          S[i + 1]![i] = -c;
          want.push({ re: a, im: Math.sqrt(b * c) }, { re: a, im: -Math.sqrt(b * c) });
          i += 2;
        } else {
          S[i]![i] = 3 * rng.normal();
          want.push({ re: S[i]![i]!, im: 0 });
          i += 1;
        }
      }
      for (let i = 0; i < n; i++) for (let j = i + 2; j < n; j++) S[i]![j] = rng.normal();
      const Q = orthonormalBasis(Array.from({ length: n }, () => Array.from({ length: n }, () => rng.normal())));
      const A = mul(mul(T(Q), S), Q);
      const { re, im } = eigenvalues(A.flat(), n);
      const got = Array.from(re, (r, i) => ({ re: r, im: im[i]! }));
      const key = (z: { re: number; im: number }): number => z.re * 1e3 + z.im;
      got.sort((x, y) => key(x) - key(y));
      want.sort((x, y) => key(x) - key(y));
      got.forEach((z, i) => {
        expect(z.re).toBeCloseTo(want[i]!.re, 8);
        expect(z.im).toBeCloseTo(want[i]!.im, 8);
      });
    }
  });

  it("a defective matrix, a zero matrix and a NaN", () => {
    // a Jordan block: one eigenvalue 2, three times
    const { re, im } = eigenvalues([2, 1, 0, 0, 2, 1, 0, 0, 2], 3);
    re.forEach((x) => expect(x).toBeCloseTo(2, 4));
    im.forEach((x) => expect(Math.abs(x)).toBeLessThan(1e-4));
    expect(Array.from(eigenvalues(new Array<number>(16).fill(0), 4).re)).toEqual([0, 0, 0, 0]);
    expect(() => eigenvalues([1, Number.NaN, 0, 1], 2)).toThrow(/NaN/);
  });

  it("psdFactor: RᵀR = G, also for a singular G", () => {
    const rng = new Rng(3);
    const X = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => rng.normal()));
    X.forEach((r) => (r[3] = r[0]! + r[1]!)); // rank 3
    const G = mul(T(X), X);
    const R = matrix(psdFactor(G.flat(), 4), 4, 4);
    mul(T(R), R).forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(G[i]![j]!, 8)));
    R.forEach((row, i) => row.forEach((v, j) => j < i && expect(v).toBe(0)));
  });
});

describe("composition scores", () => {
  it("the shipped model's every pair, Q, K and V, against d × d matrices formed in float64", () => {
    const model = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url)))).model;
    const c = composition(model);
    expect(c.fold).toBe("layernorm");
    expect(c.pairs).toHaveLength(16); // 4 heads of block 0 × 4 of block 1
    for (const p of c.pairs) {
      expect(p.from.layer).toBeLessThan(p.to.layer);
      for (const kind of ["q", "k", "v"] as const) expect(p[kind]).toBeCloseTo(referenceScore(model, kind, [p.from.layer, p.from.head], [p.to.layer, p.to.head]), 4);
    }
    // random factors of these shapes (d 64, d_head 16) score about 1/√d_head·…: between 0 and 1, and reproducible
    expect(c.baseline).toBeGreaterThan(0.05);
    expect(c.baseline).toBeLessThan(0.5);
    expect(composition(model).baseline).toBe(c.baseline);
  });

  it("grouped-query attention, RMSNorm and three blocks: every pair against float64", () => {
    const config = parseConfig({ n_layers: 3, n_heads: 4, n_kv_heads: 2, norm_type: "rmsnorm", d_model: 32, d_ff: 64 }, LOCKED, "test");
    const model = new MiniGPT(config, { seed: 11 });
    model.blocks.forEach((b) => b.ln1.w.data.forEach((_, i, w) => (w[i] = 0.5 + (i % 7) / 7)));
    const c = composition(model);
    expect(c.fold).toBe("rmsnorm");
    expect(c.pairs).toHaveLength(4 * 4 * 3); // (0→1), (0→2), (1→2)
    for (const p of c.pairs) for (const kind of ["q", "k", "v"] as const)
      expect(p[kind]).toBeCloseTo(referenceScore(model, kind, [p.from.layer, p.from.head], [p.to.layer, p.to.head]), 4);
  });

  it("a hand-built model: block 1's head 0 reads head 0.0's output through its key only; 1/√2 there, 0 elsewhere", () => {
    // d 8, two heads of 4 dims... of which each uses two: head 0.0 reads dims 2–3 and writes dims 0–1;
    // head 1.0's key reads dims 0–1 (head 0.0's output), its query dims 4–5, its value dims 6–7
    const config = parseConfig({ d_model: 8, n_heads: 2, n_layers: 2, attn_only: true, norm_type: "rmsnorm", vocab_size: 8, context_len: 8 }, LOCKED, "test");
    const model = new MiniGPT(config, { init: false });
    model.blocks.forEach((b) => b.ln1.w.data.fill(1));
    const put = (W: Float32Array, head: number, rows: number, cols: number, at: [number, number][]): void => at.forEach(([i, j]) => (W[head * rows * cols + i * cols + j] = 1));
    const [a0, a1] = [model.blocks[0]!.attn, model.blocks[1]!.attn];
    put(a0.W_V.data as Float32Array, 0, 8, 4, [[2, 0], [3, 1]]);
    put(a0.W_O.data as Float32Array, 0, 4, 8, [[0, 0], [1, 1]]);
    put(a0.W_Q.data as Float32Array, 0, 8, 4, [[4, 0]]);
    put(a0.W_K.data as Float32Array, 0, 8, 4, [[4, 0]]);
    put(a1.W_K.data as Float32Array, 0, 8, 4, [[0, 0], [1, 1]]);
    put(a1.W_Q.data as Float32Array, 0, 8, 4, [[4, 0], [5, 1]]);
    put(a1.W_V.data as Float32Array, 0, 8, 4, [[6, 0], [7, 1]]);
    put(a1.W_O.data as Float32Array, 0, 4, 8, [[0, 2], [1, 3]]);
    const pair = composition(model).pairs.find((p) => p.from.head === 0 && p.to.head === 0)!;
    expect(pair.k).toBeCloseTo(Math.SQRT1_2, 6);
    expect(pair.q).toBeCloseTo(0, 6);
    expect(pair.v).toBeCloseTo(0, 6);
    // head 1 of either block has no weights: its scores are 0, not NaN
    for (const p of composition(model).pairs.filter((p) => p.from.head === 1 || p.to.head === 1)) expect([p.q, p.k, p.v]).toEqual([0, 0, 0]);
  });
});

describe("OV circuits", () => {
  const model = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url)))).model;
  const { d_model: d, vocab_size: V, ln_eps: eps } = model.config;

  /** The full OV circuit of a head in float64: LN(e_s) without its bias, · W_V W_O, · C diag(γ_f), · W_Eᵀ. */
  function fullCircuit(layer: number, head: number): M {
    const E = matrix(model.embed.W_E.data, V, d);
    const normed = E.map((e) => {
      const mean = e.reduce((s, x) => s + x, 0) / d, v = e.reduce((s, x) => s + (x - mean) ** 2, 0) / d;
      return e.map((x, i) => ((x - mean) / Math.sqrt(v + eps)) * model.blocks[layer]!.ln1.w.data[i]!);
    });
    const dh = d / model.config.n_heads, a = model.blocks[layer]!.attn;
    const OV = mul(matrix(a.W_V.data, d, dh, head * d * dh), matrix(a.W_O.data, dh, d, head * dh * d));
    const C = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => ((i === j ? 1 : 0) - 1 / d) * model.ln_final!.w.data[j]!));
    return mul(mul(mul(normed, OV), C), T(E));
  }

  it("each row is the source token's logit effect, as the full vocab × vocab circuit in float64", () => {
    for (const [layer, head] of [[0, 1], [1, 3]] as const) {
      const full = fullCircuit(layer, head), sources = [0, 5, 17, 63];
      const got = ovCircuit(model, layer, head, sources);
      sources.forEach((s, r) => full[s]!.forEach((v, t) => expect(got[r * V + t]).toBeCloseTo(v, 3)));
    }
    expect(() => ovCircuit(model, 2, 0, [1])).toThrow(/block 2 does not exist/);
    expect(() => ovCircuit(model, 0, 4, [1])).toThrow(/head 4 does not exist/);
    expect(() => ovCircuit(model, 0, 0, [64])).toThrow(/not in the vocabulary/);
  });

  it("the copying score: Σλ / Σ|λ| of the full circuit's own eigenvalues (64 × 64), every head", () => {
    const scores = copyingScores(model);
    scores.forEach((row, l) => row.forEach((score, h) => {
      const { re, im } = eigenvalues(fullCircuit(l, h).flat(), V);
      const want = re.reduce((s, x) => s + x, 0) / Array.from(re, (x, i) => Math.hypot(x, im[i]!)).reduce((s, x) => s + x, 0);
      expect(score).toBeCloseTo(want, 3);
      expect(Math.abs(score)).toBeLessThanOrEqual(1 + 1e-9);
    }));
  });
});

describe("the induction model's circuit", () => {
  const model = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/induction.safetensors", import.meta.url)))).model;
  it("its induction heads read the previous-token heads through their keys — above the baseline, above Q and V, above the other head — and copy", () => {
    const { scores } = headScores(model, { pool: WORDS, prefix: [BOS] });
    const heads = (kind: "previous_token" | "induction", layer: number, above: boolean): number[] =>
      scores[kind][layer]!.flatMap((s, h) => ((s > 0.5) === above ? [h] : []));
    const prev = heads("previous_token", 0, true), other = heads("previous_token", 0, false), induction = heads("induction", 1, true);
    expect(prev.length).toBeGreaterThan(0);
    expect(other.length).toBeGreaterThan(0);
    expect(induction.length).toBeGreaterThan(0);
    const c = composition(model);
    const into = (from: number[]) => c.pairs.filter((p) => from.includes(p.from.head) && induction.includes(p.to.head));
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    for (const p of into(prev)) {
      expect(p.k).toBeGreaterThan(p.q);
      expect(p.k).toBeGreaterThan(p.v);
    }
    expect(mean(into(prev).map((p) => p.k))).toBeGreaterThan(1.6 * c.baseline);
    expect(mean(into(prev).map((p) => p.k))).toBeGreaterThan(1.2 * mean(into(other).map((p) => p.k)));
    // an induction head raises the token it attends to (the one after the earlier occurrence)
    const copying = copyingScores(model);
    for (const h of induction) expect(copying[1]![h]).toBeGreaterThan(0.9);
  });
});
