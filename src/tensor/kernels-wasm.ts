// The WebAssembly SIMD backend: the reference kernels with the hot ones — matmul, LayerNorm,
// softmax, GELU and their backwards — replaced by 128-bit SIMD kernels (wasm/kernels.wat) for
// float32 data big enough to repay the copy into WebAssembly memory. Float64 tensors (gradient
// checks) and tiny operands stay on the reference kernels.

import { jsKernels } from "./kernels-js.js";
import type { BinaryOp, Data, Kernels } from "./kernels.js";
import { sizeOf, stridesOf, type Shape } from "./shape.js";
import { createSharedMemory, GemmPool, HELPER_SLOT, type SpawnHelper } from "./threads.js";
import { Arena, instantiateKernels, kernelFlavour, type KernelFlavour } from "./wasm-module.js";

/** Below this many multiply-adds a product stays in JS: the copy in and out costs more than SIMD saves. */
const MIN_WORK = 16 * 16 * 16;
/** Below this many elements a row or elementwise op stays in JS (a call into WebAssembly costs ≈ 1 µs). */
const MIN_ELEMENTS = 64;

const isF32 = (...xs: Data[]): boolean => xs.every((x) => x instanceof Float32Array);

export interface WasmKernelOptions {
  /** Extra threads for large matrix products (default 0), each started by `spawn`. */
  readonly helpers?: number;
  readonly spawn?: SpawnHelper;
  /** strict or fma (default: `kernelFlavour()`, fma where the engine has relaxed SIMD). */
  readonly flavour?: KernelFlavour;
}

export function createWasmKernels({ helpers = 0, spawn, flavour = kernelFlavour() }: WasmKernelOptions = {}): Kernels {
  if (helpers > 0 && spawn === undefined) throw new Error("createWasmKernels: helpers need a spawn function");
  const w = instantiateKernels(helpers > 0 ? createSharedMemory() : undefined, flavour);
  const arena = new Arena(w.memory);
  const pool = helpers > 0 ? new GemmPool(w, arena.alloc((HELPER_SLOT / 4) * helpers) * 4, helpers, spawn!) : null;
  // Inside withFrozenOperands, and for pinned arrays: B operands packed once, kept at the bottom
  // of the arena, by array and view.
  let frozen = 0;
  const base = arena.top;
  let kept = base;
  const packedB = new Map<Data, Map<string, number>>();
  /** Pinned arrays and how many pins hold each. */
  const pinned = new Map<Data, number>();

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
    const key = `${bOff}:${k}:${n}:${transB}`, keep = frozen > 0 || pinned.has(b);
    let bAt = keep ? packedB.get(b)?.get(key) : undefined;
    if (bAt === undefined && keep && k * n >= 65536 && arena.top === kept) {
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
      if (pool !== null) pool.gemm(aAt * 4, k * 4, bp * 4, cAt * 4, m, k, n16, 0);
      else w.gemm(aAt * 4, k * 4, bp * 4, cAt * 4, m, k, n16, 0, 0, n16, 0);
      if (accumulate) {
        // C += the product, added in WebAssembly (float32 adds: the same bits as adding in JS)
        const cIn = arena.put(c.subarray(cOff, cOff + m * n));
        w.addRows(cIn * 4, n * 4, cAt * 4, n16 * 4, 0, m, n);
        c.set(arena.heap.subarray(cIn, cIn + m * n), cOff);
      } else if (n === n16) c.set(arena.heap.subarray(cAt, cAt + m * n), cOff);
      else for (let i = 0; i < m; i++) c.set(arena.heap.subarray(cAt + i * n16, cAt + i * n16 + n), cOff + i * n);
    });
  }

  /**
   * Products of one small shape (per-head attention products, a batch of sequences): each distinct
   * A block copied in (and transposed) once, each distinct B block packed once, each distinct C
   * block copied in and out once, and the products run in order — the same sums and the same
   * additions into C as one `matmul` per entry, without its per-call copies.
   */
  function matmulBatch(
    a: Data, aOffs: readonly number[], b: Data, bOffs: readonly number[], c: Data, cOffs: readonly number[],
    m: number, k: number, n: number, transA: boolean, transB: boolean, accumulate: boolean,
  ): void {
    const count = cOffs.length;
    // One entry, or products of 64 k multiply-adds and more (there the copies are small beside the
    // work, and `matmul` keeps frozen packed weights and splits over threads): one matmul each.
    if (count === 1 || m * k * n >= 1 << 16 || m * k * n < MIN_WORK || !(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
      for (let i = 0; i < count; i++) matmul(a, aOffs[i]!, b, bOffs[i]!, c, cOffs[i]!, m, k, n, transA, transB, accumulate);
      return;
    }
    const n16 = Math.ceil(n / 16) * 16;
    scratch(() => {
      const As = new Map<number, number>(), Bs = new Map<number, number>(), Cs = new Map<number, number>();
      for (const off of aOffs) {
        if (As.has(off)) continue;
        let at = arena.put(a.subarray(off, off + m * k));
        if (transA) { // stored [k, m]
          const t = arena.alloc(m * k);
          w.transpose(at * 4, t * 4, k, m);
          at = t;
        }
        As.set(off, at);
      }
      for (const off of bOffs) if (!Bs.has(off)) Bs.set(off, pack(b, off, k, n, transB));
      // C blocks: [m, n] when accumulating (added into as C is), else [m, n16] written by gemm
      for (const off of cOffs) if (!Cs.has(off)) Cs.set(off, accumulate ? arena.put(c.subarray(off, off + m * n)) : arena.alloc(m * n16));
      const product = accumulate ? arena.alloc(m * n16) : 0;
      for (let i = 0; i < count; i++) {
        const pa = As.get(aOffs[i]!)!, pb = Bs.get(bOffs[i]!)!, pc = Cs.get(cOffs[i]!)!;
        if (accumulate) {
          w.gemm(pa * 4, k * 4, pb * 4, product * 4, m, k, n16, 0, 0, n16, 0);
          w.addRows(pc * 4, n * 4, product * 4, n16 * 4, 0, m, n);
        } else w.gemm(pa * 4, k * 4, pb * 4, pc * 4, m, k, n16, 0, 0, n16, 0);
      }
      const heap = arena.heap;
      for (const [off, pc] of Cs) {
        if (accumulate || n === n16) c.set(heap.subarray(pc, pc + m * n), off);
        else for (let i = 0; i < m; i++) c.set(heap.subarray(pc + i * n16, pc + i * n16 + n), off + i * n);
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

  const OPS: Partial<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
  /**
   * a op b for float32 tensors big enough to repay the copies, when a is contiguous and b is the same
   * shape, one row broadcast along the last axis (a bias) or one value: one IEEE operation per element
   * in SIMD, the reference's bits. Other broadcasts go to the reference kernel.
   */
  function binary(op: BinaryOp, a: Data, aStrides: readonly number[], b: Data, bStrides: readonly number[], out: Data, outShape: Shape): void {
    const code = OPS[op], size = sizeOf(outShape), rank = outShape.length;
    if (code === undefined || size < 4096 || !isF32(a, b, out)) return jsKernels.binary(op, a, aStrides, b, bStrides, out, outShape);
    const contiguous = stridesOf(outShape), last = outShape[rank - 1]!;
    if (!aStrides.every((s, i) => s === contiguous[i])) return jsKernels.binary(op, a, aStrides, b, bStrides, out, outShape);
    const width = bStrides.every((s, i) => s === contiguous[i]) ? size
      : bStrides.every((s) => s === 0) ? 1
      : bStrides[rank - 1] === 1 && bStrides.slice(0, -1).every((s) => s === 0) ? last
      : 0;
    if (width === 0) return jsKernels.binary(op, a, aStrides, b, bStrides, out, outShape);
    scratch(() => {
      const pa = arena.put(a.subarray(0, size)), pb = arena.put(b.subarray(0, width)), po = arena.alloc(size);
      w.binaryRows(pa * 4, pb * 4, po * 4, width === 1 ? size : size / width, width, code);
      arena.get(po, out as Float32Array);
    });
  }

  // Whether a RoPE table is in the rotate-half layout the kernel reads (c[i] = c[i + d/2]). With
  // such tables the transpose (the backward) is the inverse rotation, the kernel on −s; x·(−s) is
  // −(x·s) exactly. Checked (and the sine negated) at each call, not remembered by array: a
  // BufferPool gives one array other values from step to step. A table is T·d floats, x B·H times that.
  function rotateHalf(t: Data, d: number): boolean {
    for (let r = 0; r < t.length; r += d) for (let i = 0; i < d / 2; i++) if (t[r + i] !== t[r + i + d / 2]) return false;
    return true;
  }

  /**
   * The runtime's RoPE kernel on each [T, d] plane: x1·c − x2·s, x2·c + x1·s — the reference's
   * float32 operations. Tables the kernel cannot read (not rotate-half: it reads one half of each
   * row) go to the reference.
   */
  function rope(x: Data, c: Data, s: Data, T: number, d: number, out: Data, transpose: boolean): void {
    if (x.length < MIN_ELEMENTS || !isF32(x, c, s, out) || d % 2 !== 0 || !rotateHalf(c, d) || !rotateHalf(s, d)) return jsKernels.rope(x, c, s, T, d, out, transpose);
    scratch(() => {
      const px = arena.put(x), pc = arena.put(c), ps = arena.put(s), plane = T * d;
      if (transpose) for (let i = ps; i < ps + s.length; i++) arena.heap[i] = -arena.heap[i]!;
      for (let p = 0; p < x.length; p += plane) w.rope((px + p) * 4, d * 4, T, 1, d, d, pc * 4, ps * 4, 0);
      arena.get(px, out as Float32Array);
    });
  }

  /** Forget every packed operand and its memory when nothing is frozen or pinned; else forget the unpinned ones (their panels stay below until then). */
  function release(): void {
    if (frozen > 0) return;
    if (pinned.size === 0) {
      packedB.clear();
      arena.top = kept = base;
    } else for (const b of [...packedB.keys()]) if (!pinned.has(b)) packedB.delete(b);
  }

  /** Where the kept panels ended when the outermost frozen scope began. */
  let frozenMark = base;
  function withFrozenOperands<T>(fn: () => T): T {
    if (frozen === 0) frozenMark = kept;
    frozen++;
    try {
      return fn();
    } finally {
      if (--frozen === 0) {
        // a scope's panels go with it — pinned arrays' too, packed again at their next use — so
        // scope after scope (a sampled token after another) never grows the memory while a model is pinned
        for (const [b, views] of packedB) {
          for (const [key, at] of views) if (at >= frozenMark) views.delete(key);
          if (views.size === 0) packedB.delete(b);
        }
        arena.top = kept = frozenMark;
        release();
      }
    }
  }

  function pin(arrays: readonly Data[]): () => void {
    for (const a of arrays) pinned.set(a, (pinned.get(a) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      for (const a of arrays) {
        const n = pinned.get(a)! - 1;
        if (n === 0) pinned.delete(a);
        else pinned.set(a, n);
      }
      release();
    };
  }

  return {
    ...jsKernels, flavour: w.flavour, name: pool === null ? `wasm-simd (${w.flavour})` : `wasm-simd (${w.flavour}), ${pool.threads} threads`,
    matmul, matmulBatch, rope, binary, layerNorm, layerNormBackward, softmax, softmaxBackward, gelu, geluBackward, withFrozenOperands, pin,
  };
}
