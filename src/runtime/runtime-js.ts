// The reference runtime: every operation of the inference seam in plain TypeScript loops over a
// growable Float32Array, written from the definitions in runtime.ts. The WebAssembly runtime is
// tested against it (and it runs sessions where WebAssembly SIMD is missing).

import { erf } from "../tensor/erf.js";
import { checkGatherIds, pad16, type Packed, type Runtime, type RuntimeActivation } from "./runtime.js";

const ACT: Record<RuntimeActivation, (x: number) => number> = {
  gelu: (x) => 0.5 * x * (1 + erf(x * Math.SQRT1_2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))),
  relu: (x) => (x > 0 ? x : 0),
  silu: (x) => x / (1 + Math.exp(-x)),
};

type Ops = Pick<Runtime, "gemm" | "layerNorm" | "rmsNorm" | "activate" | "mul" | "attention" | "rope" | "addRows" | "gather">;

/** The arithmetic of the seam over whatever memory `memory()` returns (the WebAssembly runtime borrows the loops it lacks). */
export function jsOps(memory: () => Float32Array): Ops {
  let heap = memory();
  const fresh = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A): void => {
    heap = memory();
    fn(...args);
  };
  return {
    gemm: fresh((a: number, lda: number, b: Packed, c: number, m: number, accumulate = false, bias = 0) => {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < b.n16; j++) {
          const panel = b.at + (j >> 4) * b.k * 16 + (j & 15);
          let s = (accumulate ? heap[c + i * b.n16 + j]! : 0) + (bias === 0 ? 0 : heap[bias + j]!);
          for (let p = 0; p < b.k; p++) s += heap[a + i * lda + p]! * heap[panel + p * 16]!;
          heap[c + i * b.n16 + j] = s;
        }
      }
    }),
    layerNorm: fresh((src: number, dst: number, w: number, b: number, rows: number, width: number, eps: number) => {
      for (let r = 0; r < rows; r++) {
        const x = src + r * width, y = dst + r * width;
        let mu = 0;
        for (let i = 0; i < width; i++) mu += heap[x + i]!;
        mu /= width;
        let v = 0;
        for (let i = 0; i < width; i++) v += (heap[x + i]! - mu) ** 2;
        const inv = 1 / Math.sqrt(v / width + eps);
        for (let i = 0; i < width; i++) heap[y + i] = (heap[x + i]! - mu) * inv * heap[w + i]! + (b === 0 ? 0 : heap[b + i]!);
      }
    }),
    rmsNorm: fresh((src: number, dst: number, w: number, rows: number, width: number, eps: number) => {
      for (let r = 0; r < rows; r++) {
        const x = src + r * width, y = dst + r * width;
        let ms = 0;
        for (let i = 0; i < width; i++) ms += heap[x + i]! * heap[x + i]!;
        const inv = 1 / Math.sqrt(ms / width + eps);
        for (let i = 0; i < width; i++) heap[y + i] = heap[x + i]! * inv * heap[w + i]!;
      }
    }),
    activate: fresh((at: number, n: number, act: RuntimeActivation) => {
      const f = ACT[act];
      for (let i = at; i < at + n; i++) heap[i] = f(heap[i]!);
    }),
    mul: fresh((dst: number, src: number, n: number) => {
      for (let i = 0; i < n; i++) heap[dst + i] = heap[dst + i]! * heap[src + i]!;
    }),
    attention: fresh((qkv: number, ld: number, z: number, ldz: number, tq: number, pos0: number, H: number, Hkv: number, dh: number, scale: number) => {
      const D = H * dh, Dkv = Hkv * dh;
      for (let h = 0; h < H; h++) {
        const g = Math.floor((h * Hkv) / H);
        const kh = qkv + D + g * dh, vh = qkv + D + Dkv + g * dh;
        for (let i = 0; i < tq; i++) {
          const n = pos0 + i + 1, q = qkv + (n - 1) * ld + h * dh;
          const p = new Float64Array(n);
          let m = -Infinity;
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let e = 0; e < dh; e++) s += heap[q + e]! * heap[kh + j * ld + e]!;
            p[j] = s * scale;
            m = Math.max(m, p[j]!);
          }
          let sum = 0;
          for (let j = 0; j < n; j++) sum += p[j] = Math.exp(p[j]! - m);
          const out = z + i * ldz + h * dh;
          for (let e = 0; e < dh; e++) {
            let s = 0;
            for (let j = 0; j < n; j++) s += (p[j]! / sum) * heap[vh + j * ld + e]!;
            heap[out + e] = s;
          }
        }
      }
    }),
    rope: fresh((x: number, ld: number, rows: number, blocks: number, dh: number, rd: number, cos: number, sin: number, pos0: number) => {
      const half = rd / 2;
      for (let t = 0; t < rows; t++) {
        const c = cos + (pos0 + t) * rd, s = sin + (pos0 + t) * rd;
        for (let b = 0; b < blocks; b++) {
          const base = x + t * ld + b * dh;
          for (let i = 0; i < half; i++) {
            const x1 = heap[base + i]!, x2 = heap[base + half + i]!;
            heap[base + i] = x1 * heap[c + i]! - x2 * heap[s + i]!;
            heap[base + half + i] = x2 * heap[c + i]! + x1 * heap[s + i]!;
          }
        }
      }
    }),
    gather: fresh((table: number, rows: number, ids: readonly number[], width: number, dst: number) => {
      checkGatherIds(ids, rows);
      ids.forEach((id, t) => heap.copyWithin(dst + t * width, table + id * width, table + id * width + width));
    }),
    addRows: fresh((dst: number, ldd: number, src: number, lds: number, bias: number, rows: number, width: number) => {
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < width; i++) {
          heap[dst + r * ldd + i] = heap[dst + r * ldd + i]! + (src === 0 ? 0 : heap[src + r * lds + i]!) + (bias === 0 ? 0 : heap[bias + i]!);
        }
      }
    }),
  };
}

export function createJsRuntime(): Runtime {
  let heap = new Float32Array(1 << 16);
  let top = 16;
  const rt: Runtime = {
    name: "js",
    get heap() {
      return heap;
    },
    get top() {
      return top;
    },
    set top(v: number) {
      top = v;
    },
    alloc(floats) {
      const at = top;
      top = at + Math.ceil(floats / 4) * 4;
      if (top > heap.length) {
        const grown = new Float32Array(Math.max(top, heap.length * 2));
        grown.set(heap);
        heap = grown;
      }
      return at;
    },
    put(data) {
      const at = rt.alloc(data.length);
      heap.set(data, at);
      return at;
    },
    pack(data, k, n, transposed) {
      const n16 = pad16(n), at = rt.alloc(k * n16);
      for (let j = 0; j < n; j++) {
        const panel = at + (j >> 4) * k * 16 + (j & 15);
        for (let p = 0; p < k; p++) heap[panel + p * 16] = transposed ? data[j * k + p]! : data[p * n + j]!;
      }
      return { at, k, n, n16 };
    },
    attentionScratch: () => 0, // its attention keeps its weights in a Float64Array of its own
    ...jsOps(() => heap),
  };
  return rt;
}
