// The compiled inference path's seam: the fused operations an InferenceSession runs, on one flat
// float32 memory addressed by float offsets (0 is "absent"). Two backends: the WebAssembly SIMD
// kernels (runtime-wasm.ts, with helper threads for large products) and the plain-TypeScript
// reference they are tested against (runtime-js.ts). The session (model/inference.ts) calls only
// this interface, so a faster backend here is all a faster session needs.

export type RuntimeActivation = "gelu" | "gelu_tanh" | "relu" | "silu";

/** A matrix packed for `gemm`: 16-column panels of B [k, n] at float offset `at`, n rounded up to n16. */
export interface Packed {
  readonly at: number;
  readonly k: number;
  readonly n: number;
  readonly n16: number;
}

export interface Runtime {
  readonly name: string;
  /** The memory as floats (re-read after `alloc`: growing may replace it). */
  readonly heap: Float32Array;
  /** Room for `floats` more floats (16-byte aligned); returns the first's offset. */
  alloc(floats: number): number;
  /** Copy `data` in; returns its offset. */
  put(data: ArrayLike<number>): number;
  /** Where the next allocation starts; set it back to free everything allocated since. */
  top: number;
  /** B [k, n] (or its transpose [n, k]) packed into 16-column panels, zero past column n. */
  pack(data: Float32Array, k: number, n: number, transposed: boolean): Packed;

  /**
   * C[m, 0:n16] (+)= A[m, k] (rows lda floats apart) · B (C rows n16 floats apart), added into C
   * when accumulating; with a bias (the float offset of n16 floats, 0 for none) each output is
   * (C or 0) + bias, then + the products' sum — a layer's bias without a pass of its own.
   */
  gemm(a: number, lda: number, b: Packed, c: number, m: number, accumulate?: boolean, bias?: number): void;
  /** Per row of `width` (rows dense): (x − μ)/√(σ² + eps)·w + b; dst may be src. */
  layerNorm(src: number, dst: number, w: number, b: number, rows: number, width: number, eps: number): void;
  /** Per row: x/√(mean(x²) + eps)·w; dst may be src. */
  rmsNorm(src: number, dst: number, w: number, rows: number, width: number, eps: number): void;
  /** In place over n floats; act(0) = 0 for every activation, so padding columns stay 0. */
  activate(at: number, n: number, act: RuntimeActivation): void;
  /** dst[i] ·= src[i] for n floats (a gated MLP). */
  mul(dst: number, src: number, n: number): void;
  /**
   * Causal attention of tq query rows at positions pos0 …: qkv rows `ld` floats apart hold
   * [Q (H·dh) | K (Hkv·dh) | V (Hkv·dh)] for positions 0 … pos0+tq−1; z [tq, H·dh] rows ldz apart.
   * Query head h reads key/value head ⌊h·Hkv/H⌋.
   */
  attention(qkv: number, ld: number, z: number, ldz: number, tq: number, pos0: number, H: number, Hkv: number, dh: number, scale: number): void;
  /** Floats of scratch `attention` takes past `top` for up to `positions` keys of width dh (a session reserves them up front). */
  attentionScratch(positions: number, dh: number): number;
  /** RoPE in place on the first rd dims of `blocks` dh-wide blocks of `rows` rows (ld apart), row t at position pos0 + t; cos/sin tables [positions, rd]. */
  rope(x: number, ld: number, rows: number, blocks: number, dh: number, rd: number, cos: number, sin: number, pos0: number): void;
  /**
   * dst row t ← table row ids[t], rows of `width` floats dense at both ends (an embedding lookup):
   * a RangeError, before anything is written, for an id that is not a row of the `rows`-row table.
   */
  gather(table: number, rows: number, ids: readonly number[], width: number, dst: number): void;
  /** dst[r] += src[r] (if src ≠ 0) + bias (if bias ≠ 0), rows ldd / lds floats apart. */
  addRows(dst: number, ldd: number, src: number, lds: number, bias: number, rows: number, width: number): void;
}

export const pad16 = (n: number): number => Math.ceil(n / 16) * 16;

/** `gather`'s check, shared by both runtimes: every id a whole number naming one of the table's rows. */
export function checkGatherIds(ids: readonly number[], rows: number): void {
  for (let t = 0; t < ids.length; t++) {
    const id = ids[t]!;
    if (!Number.isInteger(id) || id < 0 || id >= rows) throw new RangeError(`gather: id ${id} at index ${t} is not a row of the table (rows 0 to ${rows - 1})`);
  }
}
