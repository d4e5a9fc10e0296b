// The kernel seam: the few arithmetic primitives every backend provides.
// Tensors, autograd and the model call only these; a faster backend
// (WebAssembly SIMD) replaces them with `setKernels` and nothing else changes.

import type { Shape } from "./shape.js";

export type Data = Float32Array | Float64Array;

export type UnaryOp = "neg" | "exp" | "log" | "sqrt" | "tanh" | "erf" | "abs" | "sign";
export type BinaryOp = "add" | "sub" | "mul" | "div" | "eq";
export type ReduceOp = "sum" | "max";

export interface Kernels {
  readonly name: string;
  /** WebAssembly backends: strict (mul, then add) or fma (fused multiply-add); see wasm-module.ts. */
  readonly flavour?: "strict" | "fma";
  /**
   * C[m, n] = Σ_k op(A)[m, k] · op(B)[k, n], added to C when `accumulate`.
   * A is stored [m, k] (or [k, m] when transA); B is [k, n] (or [n, k] when transB).
   */
  matmul(
    a: Data, aOff: number, b: Data, bOff: number, c: Data, cOff: number,
    m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
  ): void;
  /**
   * Several products of one shape, in order: for each i, C at cOffs[i] (+)= op(A at aOffs[i]) ·
   * op(B at bOffs[i]), exactly as that many `matmul` calls would (the same bits). Offsets may repeat:
   * a broadcast operand is read by several entries, and a broadcast batch's gradient accumulates
   * several entries into one C block. Optional: `matmulBatch()` below loops `matmul` without it.
   */
  matmulBatch?(
    a: Data, aOffs: readonly number[], b: Data, bOffs: readonly number[], c: Data, cOffs: readonly number[],
    m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
  ): void;
  /**
   * RoPE in the rotate-half layout on planes of [T, d]: out = x·c + rotateHalf(x)·s, or its
   * transpose (the backward); tables [T, d].
   */
  rope(x: Data, cos: Data, sin: Data, T: number, d: number, out: Data, transpose: boolean): void;
  /** out[i] = op(x[i]). */
  unary(op: UnaryOp, x: Data, out: Data): void;
  /** out = a op b, where a and b are read through broadcast strides over `outShape`. */
  binary(op: BinaryOp, a: Data, aStrides: readonly number[], b: Data, bStrides: readonly number[], out: Data, outShape: Shape): void;
  /** Reduce the middle axis of x viewed as [outer, len, inner] into out [outer, inner]. */
  reduce(op: ReduceOp, x: Data, outer: number, len: number, inner: number, out: Data): void;
  /** out[i, :] = table[ids[i], :] for rows of length rowLen. */
  gatherRows(table: Data, rowLen: number, ids: Int32Array, out: Data): void;
  /** out[ids[i], :] += src[i, :]. */
  scatterAddRows(src: Data, rowLen: number, ids: Int32Array, out: Data): void;
  /** out = x with its axes reordered: out axis i is x axis perm[i]. */
  permute(x: Data, shape: Shape, perm: readonly number[], out: Data): void;

  // Fused row ops (each also exists composed from the primitives above, as the tested reference).
  /** Per row of `width`: xhat = (x − μ)/√(σ² + eps), out = xhat·w + b; saves xhat and 1/√(σ² + eps). */
  layerNorm(x: Data, w: Data, b: Data, eps: number, width: number, out: Data, xhat: Data, rstd: Data): void;
  /** Gradients of layerNorm: dx (written), dw and db (accumulated). */
  layerNormBackward(g: Data, w: Data, xhat: Data, rstd: Data, width: number, dx: Data, dw: Data, db: Data): void;
  /** Softmax of each row of `width`. */
  softmax(x: Data, width: number, out: Data): void;
  /** dx = y·(g − Σ g·y) per row. */
  softmaxBackward(g: Data, y: Data, width: number, dx: Data): void;
  /** GELU, exact (erf) or GPT-2's tanh approximation. */
  gelu(x: Data, approximate: boolean, out: Data): void;
  geluBackward(g: Data, x: Data, approximate: boolean, dx: Data): void;

  /**
   * Run `fn` promising that no matmul operand changes inside it (inference, e.g. decoding), so a
   * backend may keep prepared copies of large operands (packed weights) until it returns.
   */
  withFrozenOperands?<T>(fn: () => T): T;
  /**
   * Promise that `arrays` (a model's weights) will not change until the returned release is
   * called, across any number of calls: a backend may keep prepared copies of them (packed panels)
   * meanwhile. Only these arrays are kept; every other operand is read afresh.
   */
  pin?(arrays: readonly Data[]): () => void;
}

let active: Kernels | null = null;
let fallback: Kernels | null = null;

/** The kernels in use. */
export function kernels(): Kernels {
  if (active === null) throw new Error("no kernel backend registered (import src/tensor/index.ts)");
  return active;
}

/** Register the reference (plain TypeScript) kernels; called once by the tensor module. */
export function registerReferenceKernels(k: Kernels): void {
  fallback = k;
  if (active === null) active = k;
}

/** `Kernels.matmulBatch` of the kernels in use, or a loop of its `matmul` where it has none. */
export function matmulBatch(
  a: Data, aOffs: readonly number[], b: Data, bOffs: readonly number[], c: Data, cOffs: readonly number[],
  m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
): void {
  const k_ = kernels();
  if (k_.matmulBatch !== undefined) return k_.matmulBatch(a, aOffs, b, bOffs, c, cOffs, m, k, n, transA, transB, accumulate);
  for (let i = 0; i < cOffs.length; i++) k_.matmul(a, aOffs[i]!, b, bOffs[i]!, c, cOffs[i]!, m, k, n, transA, transB, accumulate);
}

/**
 * The arithmetic in use, as recorded in checkpoints written by training: "js", "wasm-strict" or
 * "wasm-fma". Two runs with the same arithmetic (and seeds) give the same bits.
 */
export function arithmetic(): string {
  const k = kernels();
  return k.flavour === undefined ? k.name : `wasm-${k.flavour}`;
}

/** Swap in another backend (or `null` to go back to the reference kernels). */
export function setKernels(k: Kernels | null): void {
  active = k ?? fallback;
}
