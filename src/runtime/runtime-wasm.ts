// The WebAssembly runtime: the inference seam on the SIMD kernels (tensor/wasm/kernels.wat) in one
// module memory, products split over helper threads (tensor/threads.ts, the one place threads come
// from) when asked. Offsets are floats here and bytes in the module, hence the ·4 at every call.

import { ACTIVATE_GELU_TANH, activateKernel, createSharedMemory, GemmPool, HELPER_SLOT, type SpawnHelper } from "../tensor/threads.js";
import { Arena, attentionScratchFloats, instantiateKernels, kernelFlavour, type KernelFlavour } from "../tensor/wasm-module.js";
import { checkGatherIds, pad16, type Packed, type Runtime } from "./runtime.js";

export interface WasmRuntimeOptions {
  /** Extra threads for the large products (default 0), each started by `spawn`; the same bits for any count. */
  readonly helpers?: number;
  readonly spawn?: SpawnHelper;
  /** strict or fma (default: `kernelFlavour()`). */
  readonly flavour?: KernelFlavour;
}

/** The `activate` kernel's kinds (kernels.wat, $act4; GELU there is the rational erf made for inference), and GELU's tanh form (the `gelu` kernel). */
const ACTIVATE_KIND = { relu: 0, silu: 1, gelu: 2, gelu_tanh: ACTIVATE_GELU_TANH } as const;

export function createWasmRuntime({ helpers = 0, spawn, flavour = kernelFlavour() }: WasmRuntimeOptions = {}): Runtime {
  if (helpers > 0 && spawn === undefined) throw new Error("the WebAssembly runtime: helpers need a spawn function");
  const k = instantiateKernels(helpers > 0 ? createSharedMemory() : undefined, flavour);
  const arena = new Arena(k.memory);
  const pool = helpers > 0 ? new GemmPool(k, arena.alloc((HELPER_SLOT / 4) * helpers) * 4, helpers, spawn!) : null;
  const F = 4, threads = helpers + 1;
  let ints = new Int32Array(arena.heap.buffer); // an integer view of the memory (gather's ids)
  return {
    name: helpers > 0 ? `wasm (${k.flavour}), ${helpers + 1} threads` : `wasm (${k.flavour})`,
    get heap() {
      return arena.heap;
    },
    get top() {
      return arena.top;
    },
    set top(v: number) {
      arena.top = v;
    },
    alloc: (floats) => arena.alloc(floats),
    put: (data) => arena.put(data),
    pack(data, kk, n, transposed): Packed {
      const n16 = pad16(n), at = arena.alloc(kk * n16);
      const mark = arena.top, raw = arena.put(data);
      k.packB(raw * F, at * F, kk, n, n16, transposed ? 1 : 0);
      arena.top = mark;
      return { at, k: kk, n, n16 };
    },
    gemm(a, lda, b, c, m, accumulate = false, bias = 0) {
      const acc = accumulate ? 1 : 0;
      if (pool !== null) pool.gemm(a * F, lda * F, b.at * F, c * F, m, b.k, b.n16, acc, bias * F);
      else k.gemm(a * F, lda * F, b.at * F, c * F, m, b.k, b.n16, acc, 0, b.n16, bias * F);
    },
    layerNorm: (src, dst, w, b, rows, width, eps) => k.layerNormInference(src * F, w * F, b * F, dst * F, rows, width, eps),
    rmsNorm: (src, dst, w, rows, width, eps) => k.rmsNorm(src * F, w * F, dst * F, rows, width, eps),
    activate(at, n, act) {
      if (pool !== null) pool.activate(at * F, n, ACTIVATE_KIND[act]);
      else activateKernel(k, at * F, n, ACTIVATE_KIND[act]);
    },
    mul: (dst, src, n) => k.mul(dst * F, src * F, n),
    attention(qkv, ld, z, ldz, tq, pos0, H, Hkv, dh, scale) {
      const mark = arena.top, stride = pad16(attentionScratchFloats(pos0 + tq, dh));
      const scratch = arena.alloc(stride * threads); // each thread its own (a bump of the arena's top: nothing is touched)
      if (pool !== null) pool.attention(qkv * F, ld * F, z * F, ldz * F, tq, pos0, H, Hkv, dh, scale, scratch * F, stride * F);
      else k.attention(qkv * F, ld * F, z * F, ldz * F, tq, pos0, H, Hkv, dh, scale, scratch * F, 0, H);
      arena.top = mark;
    },
    attentionScratch: (positions, dh) => pad16(attentionScratchFloats(positions, dh)) * threads,
    rope: (x, ld, rows, blocks, dh, rd, cos, sin, pos0) => k.rope(x * F, ld * F, rows, blocks, dh, rd, cos * F, sin * F, pos0),
    gather(table, rows, ids, width, dst) {
      checkGatherIds(ids, rows);
      const mark = arena.top, at = arena.alloc(ids.length); // the ids as integers past the top, for the one call
      if (ints.buffer !== arena.heap.buffer) ints = new Int32Array(arena.heap.buffer); // the memory grew
      for (let t = 0; t < ids.length; t++) ints[at + t] = ids[t]!;
      k.gatherRows(table * F, at * F, ids.length, width, dst * F);
      arena.top = mark;
    },
    addRows: (dst, ldd, src, lds, bias, rows, width) => k.addRows(dst * F, ldd * F, src * F, lds * F, bias * F, rows, width),
  };
}
