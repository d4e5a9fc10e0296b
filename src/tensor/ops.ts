// The primitive ops: each forward beside its backward. Composed functions (functional.ts)
// need no gradient code of their own. The exceptions are the fused row ops at the end —
// softmax, LayerNorm, GELU and RoPE in one pass each — which carry their own backward for
// speed and are tested against their compositions, values and gradients; all four run through
// the kernel seam.

import { kernels, matmulBatch, type BinaryOp, type Data, type UnaryOp } from "./kernels.js";
import { broadcastShapes, broadcastStrides, formatShape, normalizeAxis, sameShape, sizeOf, stridesOf, type Shape } from "./shape.js";
import { allocate, isGradEnabled, Tensor, type DType, type GradNode } from "./tensor.js";

type Operand = Tensor | number;

function result(data: Data, shape: Shape, op: string, parents: readonly Tensor[], backward: GradNode["backward"]): Tensor {
  const record = isGradEnabled() && parents.some((p) => p.requiresGrad);
  return new Tensor(data, shape, record ? { op, parents, backward } : null);
}

// ---------------------------------------------------------------- construction

export function tensor(values: ArrayLike<number>, shape: Shape, dtype: DType = "f32"): Tensor {
  const data = allocate(dtype, values.length);
  data.set(Array.from(values));
  return new Tensor(data, shape);
}

export function zeros(shape: Shape, dtype: DType = "f32"): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

export function full(shape: Shape, value: number, dtype: DType = "f32"): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)).fill(value), shape);
}

export function scalar(value: number, dtype: DType = "f32"): Tensor {
  return full([], value, dtype);
}

function promote(a: Operand, b: Operand): [Tensor, Tensor] {
  const dtype: DType = (a instanceof Tensor && a.dtype === "f64") || (b instanceof Tensor && b.dtype === "f64") ? "f64" : "f32";
  const ta = a instanceof Tensor ? a : scalar(a, dtype);
  const tb = b instanceof Tensor ? b : scalar(b, dtype);
  return [ta, tb];
}

function outDtype(a: Tensor, b: Tensor): DType {
  return a.dtype === "f64" || b.dtype === "f64" ? "f64" : "f32";
}

// ---------------------------------------------------------------- broadcasting helpers

function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor, what: string): { data: Data; shape: number[] } {
  const shape = broadcastShapes(a.shape, b.shape, what);
  const data = allocate(outDtype(a, b), sizeOf(shape));
  kernels().binary(op, a.data, broadcastStrides(a.shape, shape), b.data, broadcastStrides(b.shape, shape), data, shape);
  return { data, shape };
}

/** Repeat `t` along broadcast axes to fill `shape`; the gradient sums back over them. */
export function expand(t: Tensor, shape: Shape): Tensor {
  if (sameShape(t.shape, shape)) return t;
  broadcastShapes(t.shape, shape, "expand");
  const zero = scalar(0, t.dtype);
  const data = allocate(t.dtype, sizeOf(shape));
  kernels().binary("add", t.data, broadcastStrides(t.shape, shape), zero.data, broadcastStrides([], shape), data, shape);
  return result(data, shape, "expand", [t], (g) => [sumTo(g, t.shape)]);
}

/** Sum `g` over the axes along which a tensor of `shape` was broadcast (the backward of broadcasting). */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  let t = g;
  const lead = g.rank - shape.length;
  for (let axis = 0; axis < g.rank; axis++) {
    const want = axis < lead ? 1 : shape[axis - lead]!;
    if (want === 1 && t.shape[axis] !== 1) t = sum(t, axis, true);
  }
  return reshape(t, shape);
}

// ---------------------------------------------------------------- elementwise binary

export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = promote(a, b);
  const { data, shape } = binaryRaw("add", x, y, "add");
  return result(data, shape, "add", [x, y], (g) => [sumTo(g, x.shape), sumTo(g, y.shape)]);
}

export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = promote(a, b);
  const { data, shape } = binaryRaw("sub", x, y, "sub");
  return result(data, shape, "sub", [x, y], (g) => [sumTo(g, x.shape), sumTo(neg(g), y.shape)]);
}

export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = promote(a, b);
  const { data, shape } = binaryRaw("mul", x, y, "mul");
  return result(data, shape, "mul", [x, y], (g) => [
    x.requiresGrad ? sumTo(mul(g, y), x.shape) : null,
    y.requiresGrad ? sumTo(mul(g, x), y.shape) : null,
  ]);
}

export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = promote(a, b);
  const { data, shape } = binaryRaw("div", x, y, "div");
  const out = new Tensor(data, shape);
  return result(data, shape, "div", [x, y], (g) => [
    x.requiresGrad ? sumTo(div(g, y), x.shape) : null,
    y.requiresGrad ? sumTo(neg(div(mul(g, out), y)), y.shape) : null,
  ]);
}

/** 1 where a == b, else 0 (no gradient). */
export function eq(a: Operand, b: Operand): Tensor {
  const [x, y] = promote(a, b);
  const { data, shape } = binaryRaw("eq", x, y, "eq");
  return new Tensor(data, shape);
}

// ---------------------------------------------------------------- elementwise unary

function unaryRaw(op: UnaryOp, x: Tensor): Tensor {
  const data = allocate(x.dtype, x.size);
  kernels().unary(op, x.data, data);
  return new Tensor(data, x.shape);
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export function neg(x: Tensor): Tensor {
  const out = unaryRaw("neg", x);
  return result(out.data, x.shape, "neg", [x], (g) => [neg(g)]);
}

export function exp(x: Tensor): Tensor {
  const out = unaryRaw("exp", x);
  return result(out.data, x.shape, "exp", [x], (g) => [mul(g, out)]);
}

export function log(x: Tensor): Tensor {
  const out = unaryRaw("log", x);
  return result(out.data, x.shape, "log", [x], (g) => [div(g, x)]);
}

export function sqrt(x: Tensor): Tensor {
  const out = unaryRaw("sqrt", x);
  return result(out.data, x.shape, "sqrt", [x], (g) => [div(g, mul(out, 2))]);
}

export function tanh(x: Tensor): Tensor {
  const out = unaryRaw("tanh", x);
  return result(out.data, x.shape, "tanh", [x], (g) => [mul(g, sub(1, mul(out, out)))]);
}

export function erf(x: Tensor): Tensor {
  const out = unaryRaw("erf", x);
  return result(out.data, x.shape, "erf", [x], (g) => [mul(g, mul(exp(neg(mul(x, x))), TWO_OVER_SQRT_PI))]);
}

export function abs(x: Tensor): Tensor {
  const out = unaryRaw("abs", x);
  return result(out.data, x.shape, "abs", [x], (g) => [mul(g, unaryRaw("sign", x))]);
}

// ---------------------------------------------------------------- reductions

function reduceRaw(op: "sum" | "max", x: Tensor, axis: number, keepdim: boolean): Tensor {
  const ax = normalizeAxis(axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, ax));
  const len = x.shape[ax]!;
  const inner = sizeOf(x.shape.slice(ax + 1));
  const data = allocate(x.dtype, outer * inner);
  kernels().reduce(op, x.data, outer, len, inner, data);
  const shape = keepdim ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  return new Tensor(data, shape);
}

/** Sum over one axis, or over everything when axis is omitted. */
export function sum(x: Tensor, axis?: number, keepdim = false): Tensor {
  if (axis === undefined) return sum(reshape(x, [x.size]), 0, false);
  const out = reduceRaw("sum", x, axis, keepdim);
  const keepShape = x.shape.map((d, i) => (i === normalizeAxis(axis, x.rank) ? 1 : d));
  return result(out.data, out.shape, "sum", [x], (g) => [expand(reshape(g, keepShape), x.shape)]);
}

export function mean(x: Tensor, axis?: number, keepdim = false): Tensor {
  const n = axis === undefined ? x.size : x.shape[normalizeAxis(axis, x.rank)]!;
  return div(sum(x, axis, keepdim), n);
}

/** Maximum over one axis; the gradient is shared equally among tied maxima. */
export function max(x: Tensor, axis: number, keepdim = false): Tensor {
  const out = reduceRaw("max", x, axis, keepdim);
  const keepShape = x.shape.map((d, i) => (i === normalizeAxis(axis, x.rank) ? 1 : d));
  return result(out.data, out.shape, "max", [x], (g) => {
    const hit = eq(x, reshape(out, keepShape));
    const share = div(hit, reduceRaw("sum", hit, axis, true));
    return [mul(share, reshape(g, keepShape))];
  });
}

// ---------------------------------------------------------------- matmul

/**
 * Batched matrix product with broadcast batch axes: [..., m, k] · [..., k, n] → [..., m, n].
 * Optional transposes read a as [..., k, m] and b as [..., n, k] without copying.
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul needs rank ≥ 2, got ${formatShape(a.shape)} · ${formatShape(b.shape)}`);
  const [ar, ac] = [a.shape[a.rank - 2]!, a.shape[a.rank - 1]!];
  const [br, bc] = [b.shape[b.rank - 2]!, b.shape[b.rank - 1]!];
  const [m, k] = transA ? [ac, ar] : [ar, ac];
  const [k2, n] = transB ? [bc, br] : [br, bc];
  if (k !== k2) throw new Error(`matmul: inner sizes differ: ${formatShape(a.shape)}${transA ? "ᵀ" : ""} · ${formatShape(b.shape)}${transB ? "ᵀ" : ""}`);
  if (b.rank === 2 && a.rank > 2 && !transA) {
    // [..., m, k] · [k, n]: one product over all the rows at once (the Linear layer's case).
    const rows = a.size / ac;
    const flat = matmul(reshape(a, [rows, ac]), b, false, transB);
    return reshape(flat, [...a.shape.slice(0, -1), n]);
  }
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const batch = broadcastShapes(batchA, batchB, "matmul batch");
  const shape = [...batch, m, n];
  const data = allocate(outDtype(a, b), sizeOf(shape));
  // element offsets of each output batch's blocks: in C, in A, in B, and in the gradient g (= C's)
  const oOffs: number[] = [], aOffs: number[] = [], bOffs: number[] = [];
  forEachBatch(batch, batchA, batchB, (o, ia, ib) => void (oOffs.push(o * m * n), aOffs.push(ia * ar * ac), bOffs.push(ib * br * bc)));
  matmulBatch(a.data, aOffs, b.data, bOffs, data, oOffs, m, k, n, transA, transB, false);
  return result(data, shape, "matmul", [a, b], (g) => {
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      // dA = g · Bᵀ (or B · gᵀ when A was read transposed), summed over broadcast batches.
      const gad = allocate(a.dtype, a.size);
      if (transA) matmulBatch(b.data, bOffs, g.data, oOffs, gad, aOffs, k, n, m, transB, true, true);
      else matmulBatch(g.data, oOffs, b.data, bOffs, gad, aOffs, m, n, k, false, !transB, true);
      ga = new Tensor(gad, a.shape);
    }
    if (b.requiresGrad) {
      // dB = Aᵀ · g (or gᵀ · A when B was read transposed).
      const gbd = allocate(b.dtype, b.size);
      if (transB) matmulBatch(g.data, oOffs, a.data, aOffs, gbd, bOffs, n, m, k, true, transA, true);
      else matmulBatch(a.data, aOffs, g.data, oOffs, gbd, bOffs, k, m, n, !transA, false, true);
      gb = new Tensor(gbd, b.shape);
    }
    return [ga, gb];
  });
}

/** Visit each output batch index with the matching (broadcast) batch indices of the two inputs. */
function forEachBatch(batch: Shape, batchA: Shape, batchB: Shape, visit: (o: number, ia: number, ib: number) => void): void {
  const total = sizeOf(batch);
  const sa = broadcastStrides(batchA, batch);
  const sb = broadcastStrides(batchB, batch);
  const outStrides = stridesOf(batch);
  for (let o = 0; o < total; o++) {
    let ia = 0, ib = 0, rem = o;
    for (let d = 0; d < batch.length; d++) {
      const idx = Math.floor(rem / outStrides[d]!);
      rem -= idx * outStrides[d]!;
      ia += idx * sa[d]!;
      ib += idx * sb[d]!;
    }
    visit(o, ia, ib);
  }
}

// ---------------------------------------------------------------- movement

export function reshape(x: Tensor, shape: Shape): Tensor {
  const resolved = [...shape];
  const free = resolved.indexOf(-1);
  if (free >= 0) resolved[free] = x.size / sizeOf(resolved.filter((_, i) => i !== free));
  if (sizeOf(resolved) !== x.size || !resolved.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
  }
  if (sameShape(resolved, x.shape)) return x;
  return result(x.data, resolved, "reshape", [x], (g) => [reshape(g, x.shape)]);
}

export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i)) {
    throw new Error(`permute: ${JSON.stringify(perm)} is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}`);
  }
  const shape = perm.map((p) => x.shape[p]!);
  const data = allocate(x.dtype, x.size);
  kernels().permute(x.data, x.shape, perm, data);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return result(data, shape, "permute", [x], (g) => [permute(g, inverse)]);
}

export function transpose(x: Tensor, a0 = -2, a1 = -1): Tensor {
  const perm = x.shape.map((_, i) => i);
  const p = normalizeAxis(a0, x.rank), q = normalizeAxis(a1, x.rank);
  [perm[p], perm[q]] = [perm[q]!, perm[p]!];
  return permute(x, perm);
}

/** x[..., start:end, ...] along one axis. */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normalizeAxis(axis, x.rank);
  const len = x.shape[ax]!;
  if (!(0 <= start && start <= end && end <= len)) throw new Error(`slice ${start}:${end} is out of range for axis ${ax} of ${formatShape(x.shape)}`);
  const outer = sizeOf(x.shape.slice(0, ax));
  const inner = sizeOf(x.shape.slice(ax + 1));
  const shape = x.shape.map((d, i) => (i === ax ? end - start : d));
  const data = allocate(x.dtype, sizeOf(shape));
  const w = (end - start) * inner;
  for (let o = 0; o < outer; o++) data.set(x.data.subarray(o * len * inner + start * inner, o * len * inner + end * inner), o * w);
  return result(data, shape, "slice", [x], (g) => {
    const gd = allocate(x.dtype, x.size);
    for (let o = 0; o < outer; o++) gd.set(g.data.subarray(o * w, (o + 1) * w), o * len * inner + start * inner);
    return [new Tensor(gd, x.shape)];
  });
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (first === undefined) throw new Error("concat needs at least one tensor");
  const ax = normalizeAxis(axis, first.rank);
  for (const t of xs) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat along axis ${ax}: ${formatShape(t.shape)} does not match ${formatShape(first.shape)}`);
    }
  }
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const total = xs.reduce((s, t) => s + t.shape[ax]!, 0);
  const shape = first.shape.map((d, i) => (i === ax ? total : d));
  const data = allocate(xs.some((t) => t.dtype === "f64") ? "f64" : "f32", sizeOf(shape));
  let at = 0;
  for (const t of xs) {
    const w = t.shape[ax]! * inner;
    for (let o = 0; o < outer; o++) data.set(t.data.subarray(o * w, (o + 1) * w), o * total * inner + at * inner);
    at += t.shape[ax]!;
  }
  return result(data, shape, "concat", xs, (g) => {
    let start = 0;
    return xs.map((t) => {
      const part = slice(g, ax, start, start + t.shape[ax]!);
      start += t.shape[ax]!;
      return part;
    });
  });
}

// ---------------------------------------------------------------- indexing

function checkIds(ids: Int32Array, limit: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= limit) throw new Error(`${what}: index ${id} at position ${i} is outside [0, ${limit})`);
  }
}

/** Rows of a table: table [V, d], ids of shape idsShape → [...idsShape, d]. The embedding lookup. */
export function gather(table: Tensor, ids: Int32Array, idsShape: Shape): Tensor {
  if (table.rank !== 2) throw new Error(`gather needs a [rows, width] table, got ${formatShape(table.shape)}`);
  if (sizeOf(idsShape) !== ids.length) throw new Error(`gather: ${ids.length} ids do not fill shape ${formatShape(idsShape)}`);
  const [rows, width] = [table.shape[0]!, table.shape[1]!];
  checkIds(ids, rows, "gather");
  const data = allocate(table.dtype, ids.length * width);
  kernels().gatherRows(table.data, width, ids, data);
  return result(data, [...idsShape, width], "gather", [table], (g) => {
    const gd = allocate(table.dtype, table.size);
    kernels().scatterAddRows(g.data, width, ids, gd);
    return [new Tensor(gd, table.shape)];
  });
}

/** out[..., i] = x[..., i, idx[i]]: one value per row of the last axis (the cross-entropy target pick). */
export function pick(x: Tensor, idx: Int32Array): Tensor {
  const width = x.shape[x.rank - 1]!;
  const rows = x.size / width;
  if (idx.length !== rows) throw new Error(`pick: ${idx.length} indices for ${rows} rows of ${formatShape(x.shape)}`);
  checkIds(idx, width, "pick");
  const data = allocate(x.dtype, rows);
  for (let r = 0; r < rows; r++) data[r] = x.data[r * width + idx[r]!]!;
  return result(data, x.shape.slice(0, -1), "pick", [x], (g) => {
    const gd = allocate(x.dtype, x.size);
    for (let r = 0; r < rows; r++) gd[r * width + idx[r]!] = g.data[r]!;
    return [new Tensor(gd, x.shape)];
  });
}

/** Where `keep` (0/1, broadcast over x's trailing axes) is 0, replace x by `value`. The attention mask. */
export function maskedFill(x: Tensor, keep: Uint8Array, keepShape: Shape, value: number): Tensor {
  const strides = broadcastStrides(keepShape, x.shape);
  if (sizeOf(keepShape) !== keep.length) throw new Error(`maskedFill: mask of ${keep.length} values does not fill ${formatShape(keepShape)}`);
  broadcastShapes(x.shape, keepShape, "maskedFill");
  const trailing = keepShape.length <= x.rank && keepShape.every((d, i) => d === x.shape[x.rank - keepShape.length + i]);
  // The usual case (a [T, S] mask over [B, H, T, S] scores) repeats the mask whole: it is read
  // block by block as it is. Otherwise it is expanded to x's shape first.
  const mask = trailing ? keep : expandMask(keep, strides, x.shape, x.size);
  // copy everything, then overwrite the masked places (listed once): 2.7× the speed of choosing
  // element by element, and the same values
  const masked = Int32Array.from(mask.keys()).filter((j) => mask[j] === 0);
  const select = (from: Data, other: number): Data => {
    const out = allocate(x.dtype, x.size), K = mask.length;
    out.set(from);
    for (let at = 0; at < x.size; at += K) {
      for (let m = 0; m < masked.length; m++) out[at + masked[m]!] = other;
    }
    return out;
  };
  return result(select(x.data, value), x.shape, "maskedFill", [x], (g) => [new Tensor(select(g.data, 0), x.shape)]);
}

/** A mask broadcast by `strides` to every element of `shape` (size n). */
function expandMask(keep: Uint8Array, strides: readonly number[], shape: Shape, n: number): Uint8Array {
  const full = new Uint8Array(n), rank = shape.length, index = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += index[d]! * strides[d]!;
    full[i] = keep[off]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return full;
}

// ---------------------------------------------------------------- fused row ops
// Each equals a composition in functional.ts (the tested reference) but runs as one kernel,
// forward and backward, without intermediate tensors.

/**
 * RoPE in the rotate-half layout, x·cos + rotateHalf(x)·sin, for x [..., T, d] and constant tables
 * cos, sin [T, d]. In float32 each product is rounded before the sum, as the composition does, so
 * values and gradients are the composition's bits.
 */
export function ropeFused(x: Tensor, cos: Tensor, sin: Tensor): Tensor {
  const d = x.shape[x.rank - 1]!, T = x.rank >= 2 ? x.shape[x.rank - 2]! : 1;
  if (x.rank < 2 || cos.rank !== 2 || cos.shape[0] !== T || cos.shape[1] !== d || !sameShape(cos.shape, sin.shape) || d % 2 !== 0) {
    throw new Error(`rope: x ${formatShape(x.shape)} needs cos and sin [${T}, ${d}] with an even last axis, got ${formatShape(cos.shape)} and ${formatShape(sin.shape)}`);
  }
  if (cos.requiresGrad || sin.requiresGrad) throw new Error("rope: the cos and sin tables are constants (no gradient flows to them)");
  const dtype = outDtype(x, cos), c = cos.data, sn = sin.data;
  const out = allocate(dtype, x.size);
  kernels().rope(x.data, c, sn, T, d, out, false);
  return result(out, x.shape, "rope", [x], (g) => {
    const gx = allocate(dtype, x.size);
    kernels().rope(g.data, c, sn, T, d, gx, true);
    return [new Tensor(gx, x.shape)];
  });
}

/** LayerNorm over the last axis: (x − μ)/√(σ² + eps)·w + b, biased variance. */
export function layerNormFused(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const width = x.shape[x.rank - 1]!;
  if (w.size !== width || b.size !== width) throw new Error(`layerNorm: gain ${formatShape(w.shape)} and bias ${formatShape(b.shape)} must match the last axis of ${formatShape(x.shape)}`);
  const out = allocate(x.dtype, x.size), xhat = allocate(x.dtype, x.size), rstd = allocate(x.dtype, x.size / width);
  kernels().layerNorm(x.data, w.data, b.data, eps, width, out, xhat, rstd);
  return result(out, x.shape, "layerNorm", [x, w, b], (g) => {
    const dx = allocate(x.dtype, x.size), dw = allocate(w.dtype, width), db = allocate(b.dtype, width);
    kernels().layerNormBackward(g.data, w.data, xhat, rstd, width, dx, dw, db);
    return [new Tensor(dx, x.shape), new Tensor(dw, w.shape), new Tensor(db, b.shape)];
  });
}

/** Softmax over the last axis. */
export function softmaxFused(x: Tensor): Tensor {
  const width = x.shape[x.rank - 1]!;
  const out = allocate(x.dtype, x.size);
  kernels().softmax(x.data, width, out);
  return result(out, x.shape, "softmax", [x], (g) => {
    const dx = allocate(x.dtype, x.size);
    kernels().softmaxBackward(g.data, out, width, dx);
    return [new Tensor(dx, x.shape)];
  });
}

/** GELU, exact or with GPT-2's tanh approximation. */
export function geluFused(x: Tensor, approximate: boolean): Tensor {
  const out = allocate(x.dtype, x.size);
  kernels().gelu(x.data, approximate, out);
  return result(out, x.shape, approximate ? "geluTanh" : "gelu", [x], (g) => {
    const dx = allocate(x.dtype, x.size);
    kernels().geluBackward(g.data, x.data, approximate, dx);
    return [new Tensor(dx, x.shape)];
  });
}
