// The compiled kernel module (wasm/kernels.wat): instantiating it, on its own memory or on a
// shared one, and a bump allocator over its memory. The seam backend (kernels-wasm.ts), the
// thread pool (threads.ts) and the inference session build on this.

import { KERNELS_FMA_SHARED_WASM_BASE64, KERNELS_FMA_WASM_BASE64, KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from "./wasm/kernels-binary.js";

/**
 * The two builds of the one kernel source. "strict": every multiply-add is f32x4.mul then
 * f32x4.add — the same bits on every machine (the shipped model was trained with it). "fma":
 * each is one f32x4.relaxed_madd, fused where the hardware has FMA (~1.65× the multiply-adds per
 * cycle here) — deterministic on one machine, but the last bits may differ between machines.
 */
export type KernelFlavour = "strict" | "fma";

/** The module's exports; every pointer is a byte offset into `memory`. Address 0 means "absent". */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  readonly flavour: KernelFlavour;
  /** C[m, j0:j1] (+= when acc) A[m, k] (rows lda bytes apart) · packed B, + bias[j0:j1] (n16 floats; 0: none) first; C rows are n16 floats. */
  gemm(a: number, lda: number, bp: number, c: number, m: number, k: number, n16: number, acc: number, j0: number, j1: number, bias: number): void;
  /** Pack B [k, n] (or [n, k] when trans = 1) into 16-column panels, zero-padded to n16. */
  packB(src: number, dst: number, k: number, n: number, n16: number, trans: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gelu(x: number, out: number, n: number, approximate: number): void;
  geluBackward(g: number, x: number, dx: number, n: number, approximate: number): void;
  layerNorm(x: number, w: number, b: number, out: number, xhat: number, rstd: number, rows: number, width: number, eps: number): void;
  layerNormBackward(g: number, w: number, xhat: number, rstd: number, dx: number, dw: number, db: number, rows: number, width: number): void;
  /** layer_norm for inference: nothing saved, each row's sums in four accumulators (another order than layerNorm's). */
  layerNormInference(x: number, w: number, b: number, out: number, rows: number, width: number, eps: number): void;
  /** In place, per row of `width`. */
  softmax(p: number, rows: number, width: number): void;
  softmaxBackward(g: number, y: number, dx: number, rows: number, width: number): void;
  /** Causal attention of tq query rows at positions pos0…, query heads h0 ≤ h < h1 of H, Hkv key/value heads; see kernels.wat. */
  attention(qkv: number, ld: number, z: number, ldz: number, tq: number, pos0: number, H: number, Hkv: number, dh: number, scale: number, scratch: number, h0: number, h1: number): void;
  /** RoPE on the first rd dims of each dh-wide block; tables [positions, rd]. */
  rope(x: number, ld: number, rows: number, blocks: number, dh: number, rd: number, cos: number, sin: number, pos0: number): void;
  /** Per row of `width`: out = x / √(mean(x²) + eps) · w. */
  rmsNorm(x: number, w: number, out: number, rows: number, width: number, eps: number): void;
  /** dst row t ← table row ids[t] (n rows of `width` floats; ids as 32-bit integers at `ids`). */
  gatherRows(table: number, ids: number, n: number, width: number, dst: number): void;
  /** In place: kind 0 ReLU, 1 SiLU. */
  activate(x: number, n: number, kind: number): void;
  /** out[r, i] = a[r, i] op b[i] for rows of width (width 1: one b for all); op 0 add, 1 sub, 2 mul, 3 div. */
  binaryRows(a: number, b: number, out: number, rows: number, width: number, op: number): void;
  /** dst[i] ·= src[i]. */
  mul(dst: number, src: number, n: number): void;
  /** dst[r] += src[r] (if src ≠ 0) + bias (if bias ≠ 0). */
  addRows(dst: number, ldd: number, src: number, lds: number, bias: number, rows: number, width: number): void;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether this engine runs WebAssembly SIMD (Node 20 and current browsers do). */
export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(decodeBase64(KERNELS_WASM_BASE64));
  } catch {
    return false;
  }
}

/** A module using f32x4.relaxed_madd: whether it validates says whether relaxed SIMD is on. */
const RELAXED_PROBE = "AGFzbQEAAAABCAFgA3t7ewF7AwIBAAcFAQFmAAAKDQELACAAIAEgAv2FAgs=";

/**
 * Whether this engine runs relaxed SIMD (Chromium ≥ 114, Node ≥ 22; Node 20 with
 * --experimental-wasm-relaxed-simd, which `bin/minigpt` turns on).
 */
export function relaxedSimdSupported(): boolean {
  try {
    return WebAssembly.validate(decodeBase64(RELAXED_PROBE));
  } catch {
    return false;
  }
}

let flavour: KernelFlavour | null = null;

/** The flavour new kernel instances get: the one set, else fma where relaxed SIMD runs, else strict. */
export function kernelFlavour(): KernelFlavour {
  return flavour ?? (relaxedSimdSupported() ? "fma" : "strict");
}

/** Choose the flavour of kernel instances made from now on (`null`: back to the detected default). */
export function setKernelFlavour(f: KernelFlavour | null): void {
  if (f === "fma" && !relaxedSimdSupported()) throw new Error("the fma kernels need relaxed SIMD, which this engine does not run (Node 20: --experimental-wasm-relaxed-simd)");
  flavour = f;
}

const compiled = new Map<string, WebAssembly.Module>();

function moduleFor(f: KernelFlavour, shared: boolean): WebAssembly.Module {
  const key = `${f}/${shared}`;
  let m = compiled.get(key);
  if (m === undefined) {
    const base64 = f === "fma" ? (shared ? KERNELS_FMA_SHARED_WASM_BASE64 : KERNELS_FMA_WASM_BASE64) : shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64;
    m = new WebAssembly.Module(decodeBase64(base64));
    compiled.set(key, m);
  }
  return m;
}

/**
 * Floats of scratch the `attention` kernel takes for n = pos0 + tq keys of width dh, for one thread
 * (kernels.wat says how it is laid out): a row of scores padded to whole vectors; where the query
 * rows come several at a time and dh is a multiple of 16 (attention as products), one key/value
 * head's keys and values copied together, a chunk of 32 queries packed, their 1/Σ, and their
 * transposed scores against every key.
 */
export function attentionScratchFloats(n: number, dh: number): number {
  return dh % 16 === 0 ? Math.max(n + 3, 2 * n * dh + 32 * (dh + n + 1)) : n + 3;
}

/**
 * A fresh instance of the kernels: with its own memory, or on a given shared memory (created
 * with `shared: true`, maximum 65536 pages) that several instances — one per thread — work in.
 * The flavour defaults to `kernelFlavour()`; threads working together must use the same one.
 */
export function instantiateKernels(sharedMemory?: WebAssembly.Memory, f: KernelFlavour = kernelFlavour()): WasmKernels {
  const instance = sharedMemory === undefined
    ? new WebAssembly.Instance(moduleFor(f, false), {})
    : new WebAssembly.Instance(moduleFor(f, true), { env: { memory: sharedMemory } });
  const e = instance.exports;
  const fn = <F>(name: string): F => e[name] as F;
  return {
    memory: sharedMemory ?? (e["memory"] as WebAssembly.Memory),
    flavour: f,
    gemm: fn("gemm"), packB: fn("pack_b"), transpose: fn("transpose"),
    gelu: fn("gelu"), geluBackward: fn("gelu_backward"),
    layerNorm: fn("layer_norm"), layerNormBackward: fn("layer_norm_backward"), layerNormInference: fn("layer_norm_inference"),
    softmax: fn("softmax"), softmaxBackward: fn("softmax_backward"),
    attention: fn("attention"), rope: fn("rope"), addRows: fn("add_rows"),
    binaryRows: fn("binary_rows"), rmsNorm: fn("rms_norm"), activate: fn("activate"), mul: fn("mul"), gatherRows: fn("gather_rows"),
  };
}

/**
 * A bump allocator over a kernel instance's memory, in floats, 16-byte aligned, starting past
 * the reserved address 0. `heap` is the current view (re-made when the memory grows).
 */
export class Arena {
  heap: Float32Array;
  top = 16;

  constructor(readonly memory: WebAssembly.Memory) {
    this.heap = new Float32Array(memory.buffer);
  }

  /** Room for `floats` more floats; returns the float offset of the first. */
  alloc(floats: number): number {
    const at = this.top;
    this.top = at + Math.ceil(floats / 4) * 4;
    const bytes = this.top * 4, have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
    if (this.heap.buffer !== this.memory.buffer || this.heap.length * 4 !== this.memory.buffer.byteLength) this.heap = new Float32Array(this.memory.buffer);
    return at;
  }

  /** Copy `data` in; returns its float offset. */
  put(data: ArrayLike<number>): number {
    const at = this.alloc(data.length);
    this.heap.set(data, at);
    return at;
  }

  /** Copy `out.length` floats out from float offset `at`. */
  get(at: number, out: Float32Array): void {
    out.set(this.heap.subarray(at, at + out.length));
  }
}
