// The WebAssembly SIMD backend: the reference kernels with the hot ones — matmul, LayerNorm,
// softmax, GELU and their backwards — replaced by 128-bit SIMD kernels (wasm/kernels.wat) for
// float32 data big enough to repay the copy into WebAssembly memory. Float64 tensors (gradient
// checks) and tiny operands stay on the reference kernels.

import { jsKernels } from "./kernels-js.js";
import type { Data, Kernels } from "./kernels.js";
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from "./wasm/kernels-binary.js";

/** Below this many multiply-adds a product stays in JS: the copy in and out costs more than SIMD saves. */
const MIN_WORK = 16 * 16 * 16;
/** Below this many elements a row or elementwise op stays in JS (a call into WebAssembly costs ≈ 1 µs). */
const MIN_ELEMENTS = 64;

/** The module's exports; every pointer is a byte offset into `memory`. Address 0 means "absent". */
export interface WasmKernels {
  readonly memory: WebAssembly.Memory;
  /** C[m, j0:j1] (+= when acc) A[m, k] (rows lda bytes apart) · packed B; C rows are n16 floats. */
  gemm(a: number, lda: number, bp: number, c: number, m: number, k: number, n16: number, acc: number, j0: number, j1: number): void;
  /** Pack B [k, n] (or [n, k] when trans = 1) into 16-column panels, zero-padded to n16. */
  packB(src: number, dst: number, k: number, n: number, n16: number, trans: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  gelu(x: number, out: number, n: number, approximate: number): void;
  geluBackward(g: number, x: number, dx: number, n: number, approximate: number): void;
  layerNorm(x: number, w: number, b: number, out: number, xhat: number, rstd: number, rows: number, width: number, eps: number): void;
  layerNormBackward(g: number, w: number, xhat: number, rstd: number, dx: number, dw: number, db: number, rows: number, width: number): void;
  /** In place, per row of `width`. */
  softmax(p: number, rows: number, width: number): void;
  softmaxBackward(g: number, y: number, dx: number, rows: number, width: number): void;
  /** Causal attention of tq query rows at positions pos0…; see kernels.wat. */
  attention(qkv: number, ld: number, z: number, ldz: number, tq: number, pos0: number, H: number, dh: number, scale: number, scores: number): void;
  rope(x: number, ld: number, rows: number, blocks: number, dh: number, cos: number, sin: number, pos0: number): void;
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

let compiled: WebAssembly.Module | null = null;
let compiledShared: WebAssembly.Module | null = null;

/**
 * A fresh instance of the kernels: with its own memory, or on a given shared memory (created
 * with `shared: true`, maximum 65536 pages) that several instances — one per thread — work in.
 */
export function instantiateKernels(sharedMemory?: WebAssembly.Memory): WasmKernels {
  let instance: WebAssembly.Instance;
  if (sharedMemory === undefined) {
    compiled ??= new WebAssembly.Module(decodeBase64(KERNELS_WASM_BASE64));
    instance = new WebAssembly.Instance(compiled, {});
  } else {
    compiledShared ??= new WebAssembly.Module(decodeBase64(KERNELS_SHARED_WASM_BASE64));
    instance = new WebAssembly.Instance(compiledShared, { env: { memory: sharedMemory } });
  }
  const e = instance.exports;
  const fn = <F>(name: string): F => e[name] as F;
  return {
    memory: sharedMemory ?? (e["memory"] as WebAssembly.Memory),
    gemm: fn("gemm"), packB: fn("pack_b"), transpose: fn("transpose"),
    gelu: fn("gelu"), geluBackward: fn("gelu_backward"),
    layerNorm: fn("layer_norm"), layerNormBackward: fn("layer_norm_backward"),
    softmax: fn("softmax"), softmaxBackward: fn("softmax_backward"),
    attention: fn("attention"), rope: fn("rope"), addRows: fn("add_rows"),
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

const isF32 = (...xs: Data[]): boolean => xs.every((x) => x instanceof Float32Array);

export function createWasmKernels(): Kernels {
  const w = instantiateKernels();
  const arena = new Arena(w.memory);
  // Inside withFrozenOperands: B operands packed once, kept at the bottom of the arena, by array and view.
  let frozen = 0;
  let kept = arena.top;
  const packedB = new Map<Data, Map<string, number>>();

  /** Run `fn` with the arena's scratch released afterwards (the packed operands stay). */
  function scratch(fn: () => void): void {
    const mark = arena.top;
    try {
      fn();
    } finally {
      arena.top = mark;
    }
  }

  function pack(b: Float32Array, bOff: number, k: number, n: number, transB: boolean): number {
    const n16 = Math.ceil(n / 16) * 16;
    const at = arena.alloc(k * n16);
    scratch(() => {
      const raw = arena.put(b.subarray(bOff, bOff + k * n));
      w.packB(raw * 4, at * 4, k, n, n16, transB ? 1 : 0);
    });
    return at;
  }

  function matmul(
    a: Data, aOff: number, b: Data, bOff: number, c: Data, cOff: number,
    m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
  ): void {
    if (m * k * n < MIN_WORK || !(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
      jsKernels.matmul(a, aOff, b, bOff, c, cOff, m, k, n, transA, transB, accumulate);
      return;
    }
    const n16 = Math.ceil(n / 16) * 16;
    const key = `${bOff}:${k}:${n}:${transB}`;
    let bAt = frozen > 0 ? packedB.get(b)?.get(key) : undefined;
    if (bAt === undefined && frozen > 0 && k * n >= 65536 && arena.top === kept) {
      bAt = pack(b, bOff, k, n, transB);
      kept = arena.top;
      if (!packedB.has(b)) packedB.set(b, new Map());
      packedB.get(b)!.set(key, bAt);
    }
    scratch(() => {
      const bp = bAt ?? pack(b, bOff, k, n, transB);
      let aAt = arena.put(a.subarray(aOff, aOff + m * k));
      if (transA) { // stored [k, m]
        const t = arena.alloc(m * k);
        w.transpose(aAt * 4, t * 4, k, m);
        aAt = t;
      }
      const cAt = arena.alloc(m * n16);
      w.gemm(aAt * 4, k * 4, bp * 4, cAt * 4, m, k, n16, 0, 0, n16);
      const h = arena.heap;
      if (!accumulate && n === n16) c.set(h.subarray(cAt, cAt + m * n), cOff);
      else for (let i = 0; i < m; i++) {
        const src = cAt + i * n16, dst = cOff + i * n;
        if (accumulate) for (let j = 0; j < n; j++) c[dst + j] = c[dst + j]! + h[src + j]!;
        else c.set(h.subarray(src, src + n), dst);
      }
    });
  }

  function layerNorm(x: Data, wt: Data, b: Data, eps: number, width: number, out: Data, xhat: Data, rstd: Data): void {
    if (x.length < MIN_ELEMENTS || !isF32(x, wt, b, out, xhat, rstd)) return jsKernels.layerNorm(x, wt, b, eps, width, out, xhat, rstd);
    const rows = x.length / width;
    scratch(() => {
      const px = arena.put(x), pw = arena.put(wt), pb = arena.put(b);
      const po = arena.alloc(x.length), ph = arena.alloc(x.length), pr = arena.alloc(rows);
      w.layerNorm(px * 4, pw * 4, pb * 4, po * 4, ph * 4, pr * 4, rows, width, eps);
      arena.get(po, out as Float32Array);
      arena.get(ph, xhat as Float32Array);
      arena.get(pr, rstd as Float32Array);
    });
  }

  function layerNormBackward(g: Data, wt: Data, xhat: Data, rstd: Data, width: number, dx: Data, dw: Data, db: Data): void {
    if (g.length < MIN_ELEMENTS || !isF32(g, wt, xhat, rstd, dx, dw, db)) return jsKernels.layerNormBackward(g, wt, xhat, rstd, width, dx, dw, db);
    scratch(() => {
      const pg = arena.put(g), pw = arena.put(wt), ph = arena.put(xhat), pr = arena.put(rstd);
      const pdw = arena.put(dw), pdb = arena.put(db), pdx = arena.alloc(g.length);
      w.layerNormBackward(pg * 4, pw * 4, ph * 4, pr * 4, pdx * 4, pdw * 4, pdb * 4, g.length / width, width);
      arena.get(pdx, dx as Float32Array);
      arena.get(pdw, dw as Float32Array);
      arena.get(pdb, db as Float32Array);
    });
  }

  function softmax(x: Data, width: number, out: Data): void {
    if (x.length < MIN_ELEMENTS || !isF32(x, out)) return jsKernels.softmax(x, width, out);
    scratch(() => {
      const p = arena.put(x);
      w.softmax(p * 4, x.length / width, width);
      arena.get(p, out as Float32Array);
    });
  }

  function softmaxBackward(g: Data, y: Data, width: number, dx: Data): void {
    if (g.length < MIN_ELEMENTS || !isF32(g, y, dx)) return jsKernels.softmaxBackward(g, y, width, dx);
    scratch(() => {
      const pg = arena.put(g), py = arena.put(y), pdx = arena.alloc(g.length);
      w.softmaxBackward(pg * 4, py * 4, pdx * 4, g.length / width, width);
      arena.get(pdx, dx as Float32Array);
    });
  }

  function gelu(x: Data, approximate: boolean, out: Data): void {
    if (x.length < MIN_ELEMENTS || !isF32(x, out)) return jsKernels.gelu(x, approximate, out);
    scratch(() => {
      const p = arena.put(x);
      w.gelu(p * 4, p * 4, x.length, approximate ? 1 : 0);
      arena.get(p, out as Float32Array);
    });
  }

  function geluBackward(g: Data, x: Data, approximate: boolean, dx: Data): void {
    if (x.length < MIN_ELEMENTS || !isF32(g, x, dx)) return jsKernels.geluBackward(g, x, approximate, dx);
    scratch(() => {
      const pg = arena.put(g), px = arena.put(x);
      w.geluBackward(pg * 4, px * 4, pg * 4, x.length, approximate ? 1 : 0);
      arena.get(pg, dx as Float32Array);
    });
  }

  function withFrozenOperands<T>(fn: () => T): T {
    frozen++;
    try {
      return fn();
    } finally {
      if (--frozen === 0) {
        packedB.clear();
        arena.top = kept = 16;
      }
    }
  }

  return {
    ...jsKernels, name: "wasm-simd",
    matmul, layerNorm, layerNormBackward, softmax, softmaxBackward, gelu, geluBackward, withFrozenOperands,
  };
}
