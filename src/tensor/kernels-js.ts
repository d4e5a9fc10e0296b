// The reference kernels in plain TypeScript: correct first, then reasonably fast
// (matmul is register-blocked 4×4 over B packed into 4-column panels).
// Arithmetic happens in float64 (JavaScript numbers) and is rounded on store.

import { erf, erfFast } from "./erf.js";
import type { BinaryOp, Data, Kernels, ReduceOp, UnaryOp } from "./kernels.js";
import { sizeOf, stridesOf, type Shape } from "./shape.js";

let packA: Float64Array = new Float64Array(0);
let packB: Float64Array = new Float64Array(0);

function grow(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, buf.length * 2));
}

/** Pack op(B) [k, n] into panels of 4 columns: panel j holds rows p = 0..k-1 as 4 consecutive values. */
function packPanels(b: Data, bOff: number, k: number, n: number, transB: boolean): Float64Array {
  const n4 = Math.ceil(n / 4) * 4;
  packB = grow(packB, k * n4);
  const out = packB;
  for (let j0 = 0; j0 < n4; j0 += 4) {
    const base = j0 * k;
    for (let p = 0; p < k; p++) {
      for (let jj = 0; jj < 4; jj++) {
        const j = j0 + jj;
        out[base + p * 4 + jj] = j < n ? (transB ? b[bOff + j * k + p]! : b[bOff + p * n + j]!) : 0;
      }
    }
  }
  return out;
}

function matmul(
  a: Data, aOff: number, b: Data, bOff: number, c: Data, cOff: number,
  m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
): void {
  let A: Data = a;
  let aBase = aOff;
  if (transA) {
    packA = grow(packA, m * k);
    for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) packA[i * k + p] = a[aOff + p * m + i]!;
    A = packA;
    aBase = 0;
  }
  const B = packPanels(b, bOff, k, n, transB);
  for (let j0 = 0; j0 < n; j0 += 4) {
    const panel = j0 * k;
    const w = Math.min(4, n - j0);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = aBase + i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < k; p++) {
        const q = panel + p * 4;
        const b0 = B[q]!, b1 = B[q + 1]!, b2 = B[q + 2]!, b3 = B[q + 3]!;
        const x0 = A[r0 + p]!, x1 = A[r1 + p]!, x2 = A[r2 + p]!, x3 = A[r3 + p]!;
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      storeRow(c, cOff + i * n + j0, w, c00, c01, c02, c03, accumulate);
      storeRow(c, cOff + (i + 1) * n + j0, w, c10, c11, c12, c13, accumulate);
      storeRow(c, cOff + (i + 2) * n + j0, w, c20, c21, c22, c23, accumulate);
      storeRow(c, cOff + (i + 3) * n + j0, w, c30, c31, c32, c33, accumulate);
    }
    for (; i < m; i++) {
      const r0 = aBase + i * k;
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0; p < k; p++) {
        const q = panel + p * 4;
        const x0 = A[r0 + p]!;
        c0 += x0 * B[q]!; c1 += x0 * B[q + 1]!; c2 += x0 * B[q + 2]!; c3 += x0 * B[q + 3]!;
      }
      storeRow(c, cOff + i * n + j0, w, c0, c1, c2, c3, accumulate);
    }
  }
}

function storeRow(c: Data, at: number, w: number, v0: number, v1: number, v2: number, v3: number, accumulate: boolean): void {
  if (accumulate) {
    c[at] = c[at]! + v0;
    if (w > 1) c[at + 1] = c[at + 1]! + v1;
    if (w > 2) c[at + 2] = c[at + 2]! + v2;
    if (w > 3) c[at + 3] = c[at + 3]! + v3;
  } else {
    c[at] = v0;
    if (w > 1) c[at + 1] = v1;
    if (w > 2) c[at + 2] = v2;
    if (w > 3) c[at + 3] = v3;
  }
}

function unary(op: UnaryOp, x: Data, out: Data): void {
  const n = x.length;
  switch (op) {
    case "neg": for (let i = 0; i < n; i++) out[i] = -x[i]!; break;
    case "exp": for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!); break;
    case "log": for (let i = 0; i < n; i++) out[i] = Math.log(x[i]!); break;
    case "sqrt": for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]!); break;
    case "tanh": for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!); break;
    case "erf": for (let i = 0; i < n; i++) out[i] = erf(x[i]!); break;
    case "abs": for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]!); break;
    case "sign": for (let i = 0; i < n; i++) out[i] = Math.sign(x[i]!); break;
  }
}

function apply(op: BinaryOp, x: number, y: number): number {
  switch (op) {
    case "add": return x + y;
    case "sub": return x - y;
    case "mul": return x * y;
    case "div": return x / y;
    case "eq": return x === y ? 1 : 0;
  }
}

function binary(op: BinaryOp, a: Data, aStrides: readonly number[], b: Data, bStrides: readonly number[], out: Data, outShape: Shape): void {
  const size = sizeOf(outShape);
  if (size === 0) return;
  const rank = outShape.length;
  const contiguous = stridesOf(outShape);
  const sameA = aStrides.every((s, i) => s === contiguous[i]);
  const sameB = bStrides.every((s, i) => s === contiguous[i]);
  if (sameA && sameB) {
    switch (op) {
      case "add": for (let i = 0; i < size; i++) out[i] = a[i]! + b[i]!; return;
      case "sub": for (let i = 0; i < size; i++) out[i] = a[i]! - b[i]!; return;
      case "mul": for (let i = 0; i < size; i++) out[i] = a[i]! * b[i]!; return;
      case "div": for (let i = 0; i < size; i++) out[i] = a[i]! / b[i]!; return;
      case "eq": for (let i = 0; i < size; i++) out[i] = a[i]! === b[i]! ? 1 : 0; return;
    }
  }
  if (rank === 0) { out[0] = apply(op, a[0]!, b[0]!); return; }
  // Walk the outer axes with an odometer; run the last axis as a strided inner loop.
  const last = outShape[rank - 1]!;
  const sa = aStrides[rank - 1]!, sb = bStrides[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  let offA = 0, offB = 0;
  for (let o = 0; o < size; o += last) {
    let ia = offA, ib = offB;
    if (sa === 1 && (sb === 1 || sb === 0) && op !== "eq") {
      // the common cases — a bias row added along the last axis, a tensor scaled by one value — as
      // loops V8 compiles tight: contiguous reads, or one value of b held in a register
      if (sb === 1) {
        switch (op) {
          case "add": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! + b[ib + j]!; break;
          case "sub": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! - b[ib + j]!; break;
          case "mul": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! * b[ib + j]!; break;
          case "div": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! / b[ib + j]!; break;
        }
      } else {
        const v = b[ib]!;
        switch (op) {
          case "add": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! + v; break;
          case "sub": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! - v; break;
          case "mul": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! * v; break;
          case "div": for (let j = 0; j < last; j++) out[o + j] = a[ia + j]! / v; break;
        }
      }
    } else switch (op) {
      case "add": for (let j = 0; j < last; j++, ia += sa, ib += sb) out[o + j] = a[ia]! + b[ib]!; break;
      case "sub": for (let j = 0; j < last; j++, ia += sa, ib += sb) out[o + j] = a[ia]! - b[ib]!; break;
      case "mul": for (let j = 0; j < last; j++, ia += sa, ib += sb) out[o + j] = a[ia]! * b[ib]!; break;
      case "div": for (let j = 0; j < last; j++, ia += sa, ib += sb) out[o + j] = a[ia]! / b[ib]!; break;
      case "eq": for (let j = 0; j < last; j++, ia += sa, ib += sb) out[o + j] = a[ia]! === b[ib]! ? 1 : 0; break;
    }
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      offA += aStrides[d]!;
      offB += bStrides[d]!;
      if (index[d]! < outShape[d]!) break;
      offA -= aStrides[d]! * outShape[d]!;
      offB -= bStrides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
}

function reduce(op: ReduceOp, x: Data, outer: number, len: number, inner: number, out: Data): void {
  if (op === "sum" && inner >= 16) {
    // Row by row, so memory is read in order; each output's terms still add in increasing r into
    // a float64 sum, as below (the same bits).
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      acc.fill(0);
      for (let r = 0; r < len; r++) for (let i = 0, at = base + r * inner; i < inner; i++) acc[i]! += x[at + i]!;
      for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i]!;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const base = o * len * inner;
    for (let i = 0; i < inner; i++) {
      let acc = op === "sum" ? 0 : -Infinity;
      if (op === "sum") for (let r = 0; r < len; r++) acc += x[base + r * inner + i]!;
      else for (let r = 0; r < len; r++) { const v = x[base + r * inner + i]!; if (v > acc || Number.isNaN(v)) acc = v; }
      out[o * inner + i] = acc;
    }
  }
}

function gatherRows(table: Data, rowLen: number, ids: Int32Array, out: Data): void {
  for (let i = 0; i < ids.length; i++) {
    const src = ids[i]! * rowLen;
    out.set(table.subarray(src, src + rowLen), i * rowLen);
  }
}

function scatterAddRows(src: Data, rowLen: number, ids: Int32Array, out: Data): void {
  for (let i = 0; i < ids.length; i++) {
    const dst = ids[i]! * rowLen;
    const from = i * rowLen;
    for (let j = 0; j < rowLen; j++) out[dst + j] = out[dst + j]! + src[from + j]!;
  }
}

function permute(x: Data, shape: Shape, perm: readonly number[], out: Data): void {
  const rank = shape.length;
  const size = sizeOf(shape);
  if (size === 0) return;
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const strides = perm.map((p) => inStrides[p]!); // input stride of each output axis
  if (rank > 1 && perm[rank - 1] === rank - 1) {
    // the last axis stays last (heads split or merged): copy whole rows, odometer over the rest
    const row = shape[rank - 1]!, index = new Array<number>(rank - 1).fill(0);
    let off = 0;
    for (let o = 0; o < size; o += row) {
      for (let j = 0; j < row; j++) out[o + j] = x[off + j]!;
      for (let d = rank - 2; d >= 0; d--) {
        index[d]!++;
        off += strides[d]!;
        if (index[d]! < outShape[d]!) break;
        off -= strides[d]! * outShape[d]!;
        index[d] = 0;
      }
    }
    return;
  }
  const index = new Array<number>(rank).fill(0);
  let off = 0;
  for (let o = 0; o < size; o++) {
    out[o] = x[off]!;
    for (let d = rank - 1; d >= 0; d--) {
      index[d]!++;
      off += strides[d]!;
      if (index[d]! < outShape[d]!) break;
      off -= strides[d]! * outShape[d]!;
      index[d] = 0;
    }
  }
}

function layerNorm(x: Data, w: Data, b: Data, eps: number, width: number, out: Data, xhat: Data, rstd: Data): void {
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let mu = 0;
    for (let i = 0; i < width; i++) mu += x[o + i]!;
    mu /= width;
    let v = 0;
    for (let i = 0; i < width; i++) { const c = x[o + i]! - mu; v += c * c; }
    const s = 1 / Math.sqrt(v / width + eps);
    rstd[r] = s;
    for (let i = 0; i < width; i++) {
      const h = (x[o + i]! - mu) * s;
      xhat[o + i] = h;
      out[o + i] = h * w[i]! + b[i]!;
    }
  }
}

function layerNormBackward(g: Data, w: Data, xhat: Data, rstd: Data, width: number, dx: Data, dw: Data, db: Data): void {
  const rows = g.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let meanD = 0, meanDX = 0;
    for (let i = 0; i < width; i++) {
      const gi = g[o + i]!, h = xhat[o + i]!;
      dw[i] = dw[i]! + gi * h;
      db[i] = db[i]! + gi;
      const d = gi * w[i]!;
      meanD += d;
      meanDX += d * h;
    }
    meanD /= width;
    meanDX /= width;
    const s = rstd[r]!;
    for (let i = 0; i < width; i++) dx[o + i] = s * (g[o + i]! * w[i]! - meanD - xhat[o + i]! * meanDX);
  }
}

function softmax(x: Data, width: number, out: Data): void {
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let m = -Infinity;
    for (let i = 0; i < width; i++) m = Math.max(m, x[o + i]!);
    let z = 0;
    for (let i = 0; i < width; i++) { const e = Math.exp(x[o + i]! - m); out[o + i] = e; z += e; }
    for (let i = 0; i < width; i++) out[o + i] = out[o + i]! / z;
  }
}

function softmaxBackward(g: Data, y: Data, width: number, dx: Data): void {
  const rows = g.length / width;
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let dot = 0;
    for (let i = 0; i < width; i++) dot += g[o + i]! * y[o + i]!;
    for (let i = 0; i < width; i++) dx[o + i] = y[o + i]! * (g[o + i]! - dot);
  }
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

// Float32 data gets the float32-accurate erf (error < 1.5e-7, below float32 resolution near 1);
// float64 data (gradient checks, references) keeps the exact series.
function gelu(x: Data, approximate: boolean, out: Data): void {
  const E = x instanceof Float64Array ? erf : erfFast;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = approximate ? 0.5 * v * (1 + Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))) : 0.5 * v * (1 + E(v * Math.SQRT1_2));
  }
}

function geluBackward(g: Data, x: Data, approximate: boolean, dx: Data): void {
  const E = x instanceof Float64Array ? erf : erfFast;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    let d: number;
    if (approximate) {
      const t = Math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v));
      d = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * v * v);
    } else {
      d = 0.5 * (1 + E(v * Math.SQRT1_2)) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v); // Φ(x) + x·φ(x)
    }
    dx[i] = g[i]! * d;
  }
}

/**
 * RoPE, rotate-half layout, on each [T, d] plane: out[i] = x[i]·c[i] + r[i]·s[i] with r = [−x₂, x₁];
 * or its transpose (the backward): out₁ = x₁·c₁ + x₂·s₂, out₂ = x₂·c₂ − x₁·s₁. Each product is
 * rounded to out's precision before the sum, as the composition does — and a sum of two float32s
 * in float64, rounded once on the store, is the float32 sum — so float32 results are its bits.
 */
function rope(x: Data, c: Data, s: Data, T: number, d: number, out: Data, transpose: boolean): void {
  const round = out instanceof Float32Array ? Math.fround : (v: number): number => v;
  const half = d / 2, plane = T * d;
  for (let base = 0; base < out.length; base += plane) {
    for (let t = 0; t < T; t++) {
      const row = base + t * d, tab = t * d;
      for (let i = 0; i < half; i++) {
        const x1 = x[row + i]!, x2 = x[row + i + half]!, c1 = c[tab + i]!, c2 = c[tab + i + half]!, s1 = s[tab + i]!, s2 = s[tab + i + half]!;
        out[row + i] = transpose ? round(x1 * c1) + round(x2 * s2) : round(x1 * c1) - round(x2 * s1);
        out[row + i + half] = transpose ? round(x2 * c2) - round(x1 * s1) : round(x2 * c2) + round(x1 * s2);
      }
    }
  }
}

export const jsKernels: Kernels = {
  name: "js", matmul, unary, binary, reduce, gatherRows, scatterAddRows, permute, rope,
  layerNorm, layerNormBackward, softmax, softmaxBackward, gelu, geluBackward,
};
