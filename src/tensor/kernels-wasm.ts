// The WebAssembly SIMD backend: the reference kernels with matmul replaced by a 128-bit SIMD
// kernel (gemm.wat) for float32 products big enough to repay copying into WebAssembly memory.
// Float64 tensors (gradient checks) and tiny products stay on the reference kernels.

import { jsKernels } from "./kernels-js.js";
import type { Data, Kernels } from "./kernels.js";
import { GEMM_WASM_BASE64 } from "./wasm/gemm-binary.js";

/** Below this many multiply-adds the copy in and out costs more than the SIMD saves. */
const MIN_WORK = 16 * 16 * 16;

type Gemm = (a: number, bp: number, c: number, m: number, k: number, n16: number) => void;
type PackB = (src: number, dst: number, k: number, n: number, n16: number, trans: number) => void;
type Transpose = (src: number, dst: number, rows: number, cols: number) => void;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Whether this engine runs WebAssembly SIMD (Node 20 and current browsers do). */
export function wasmSimdSupported(): boolean {
  try {
    return WebAssembly.validate(decodeBase64(GEMM_WASM_BASE64));
  } catch {
    return false;
  }
}

/** A fresh instance of the SIMD module with its own memory (offsets in bytes). */
export interface WasmGemm {
  readonly memory: WebAssembly.Memory;
  /** C[m, n16] = A[m, k] · packed B. */
  readonly gemm: Gemm;
  /** Pack B [k, n] (or [n, k] when trans = 1) into 16-column panels, zero-padded to n16. */
  readonly packB: PackB;
  readonly transpose: Transpose;
}

export function instantiateGemm(): WasmGemm {
  const module = new WebAssembly.Module(decodeBase64(GEMM_WASM_BASE64));
  const instance = new WebAssembly.Instance(module, {});
  return {
    memory: instance.exports["memory"] as WebAssembly.Memory,
    gemm: instance.exports["gemm"] as Gemm,
    packB: instance.exports["pack_b"] as PackB,
    transpose: instance.exports["transpose"] as Transpose,
  };
}

export function createWasmKernels(): Kernels {
  const { memory, gemm, packB, transpose } = instantiateGemm();
  let heap = new Float32Array(memory.buffer);
  // Inside withFrozenOperands: B operands packed once, kept at [0, kept) of the heap, by array and view.
  let frozen = 0;
  let kept = 0;
  const packedB = new Map<Data, Map<string, number>>();

  function reserve(floats: number): Float32Array {
    const bytes = floats * 4;
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
    return heap;
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
    // Layout in floats after the kept packed operands: A [m, k] | packed B [k, n16] | C [m, n16] | staging.
    const key = `${bOff}:${k}:${n}:${transB}`;
    let bAt = frozen > 0 ? packedB.get(b)?.get(key) : undefined;
    if (bAt === undefined && frozen > 0 && k * n >= 65536) {
      const h0 = reserve(kept + k * n16 + k * n);
      h0.set(b.subarray(bOff, bOff + k * n), kept + k * n16);
      packB((kept + k * n16) * 4, kept * 4, k, n, n16, transB ? 1 : 0);
      bAt = kept;
      kept += k * n16;
      if (!packedB.has(b)) packedB.set(b, new Map());
      packedB.get(b)!.set(key, bAt);
    }
    const aAt = kept, ownB = bAt === undefined;
    const bWork = aAt + m * k;
    const cAt = bWork + (ownB ? k * n16 : 0), rawAt = cAt + m * n16;
    const h = reserve(rawAt + Math.max(m * k, ownB ? k * n : 0));
    if (!transA) h.set(a.subarray(aOff, aOff + m * k), aAt);
    else {
      h.set(a.subarray(aOff, aOff + m * k), rawAt); // stored [k, m]
      transpose(rawAt * 4, aAt * 4, k, m);
    }
    if (bAt === undefined) {
      h.set(b.subarray(bOff, bOff + k * n), rawAt);
      packB(rawAt * 4, bWork * 4, k, n, n16, transB ? 1 : 0);
      bAt = bWork;
    }
    gemm(aAt * 4, bAt * 4, cAt * 4, m, k, n16);
    for (let i = 0; i < m; i++) {
      const src = cAt + i * n16, dst = cOff + i * n;
      if (accumulate) for (let j = 0; j < n; j++) c[dst + j] = c[dst + j]! + h[src + j]!;
      else c.set(h.subarray(src, src + n), dst);
    }
  }

  function withFrozenOperands<T>(fn: () => T): T {
    frozen++;
    try {
      return fn();
    } finally {
      if (--frozen === 0) {
        packedB.clear();
        kept = 0;
      }
    }
  }

  return { ...jsKernels, name: "wasm-simd", matmul, withFrozenOperands };
}
