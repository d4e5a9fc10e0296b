// Matrix products split over helper threads on a shared WebAssembly memory: the same bits as
// on one thread (each output is computed whole by one thread), for every shape class the
// kernel has (row pairs, a lone decode row, column counts that do not split evenly).

import { existsSync } from "node:fs";
import { parseConfig } from "../../src/model/config.js";
import { beforeAll, describe, expect, it } from "vitest";
import { spawnNodeHelper } from "../../src/cli/helper-threads.js";
import { InferenceSession } from "../../src/model/inference.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { createSharedMemory, createWasmKernels, F, GemmPool, jsKernels, MIN_PARALLEL_WORK, noGrad, Rng, setKernels, sharedMemorySupported, type Kernels, type SpawnHelper } from "../../src/tensor/index.js";
import { Arena, attentionScratchFloats, instantiateKernels, type WasmKernels } from "../../src/tensor/wasm-module.js";
import { ACTIVATE_GELU_TANH, HELPER_SLOT } from "../../src/tensor/threads.js";
import { relativeError } from "../helpers.js";

// Workers run compiled JavaScript: `npm test` compiles to dist/ before running the tests.
const entry = new URL("../../dist/src/cli/gemm-helper.js", import.meta.url);

/** Kernels on a shared memory with a pool of `helpers` that splits every product (minWork 0), once `ready` of them serve (up to 10 s). */
function readyPool(helpers: number, spawn: SpawnHelper = spawnNodeHelper(entry), ready = helpers): { k: WasmKernels; arena: Arena; pool: GemmPool } {
  const k = instantiateKernels(createSharedMemory());
  const arena = new Arena(k.memory);
  const pool = new GemmPool(k, arena.alloc((HELPER_SLOT / 4) * helpers) * 4, helpers, spawn, 0);
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (const t0 = Date.now(); pool.readyHelpers < ready && Date.now() - t0 < 10_000;) Atomics.wait(sleep, 0, 0, 5);
  return { k, arena, pool };
}

describe.runIf(existsSync(entry))("helper threads", () => {
  const one = createWasmKernels();
  const pooled = createWasmKernels({ helpers: 2, spawn: spawnNodeHelper(entry) });
  const rng = new Rng(5);
  // cheap pseudo-random values in [−1, 1): some operands here have tens of millions of entries
  const rand = (n: number): Float32Array => {
    const out = new Float32Array(n), seed = rng.int(1 << 20);
    for (let i = 0; i < n; i++) out[i] = (((i + seed) * 2654435761) % 2048) / 1024 - 1;
    return out;
  };

  // Helpers start in parallel; until one is serving, the caller computes its share. Give them the
  // moment they need, so the products below really are split.
  beforeAll(() => new Promise((r) => setTimeout(r, 500)));
  it("this Node shares WebAssembly memory between threads", () => expect(sharedMemorySupported()).toBe(true));
  it("names itself by its flavour and thread count", () => expect(pooled.name).toBe("wasm-simd (fma), 3 threads"));
  it("helpers compute in the caller's flavour: strict on 3 threads is strict on one", () => {
    const strictOne = createWasmKernels({ flavour: "strict" });
    const strictPooled = createWasmKernels({ flavour: "strict", helpers: 2, spawn: spawnNodeHelper(entry) });
    const [m, k, n] = [256, 256, 256];
    const normal = (len: number): Float32Array => Float32Array.from({ length: len }, () => rng.normal()); // full mantissas: products round
    const a = normal(m * k), b = normal(k * n);
    const want = new Float32Array(m * n), got = new Float32Array(m * n), fused = new Float32Array(m * n);
    strictOne.matmul(a, 0, b, 0, want, 0, m, k, n, false, false, false);
    strictPooled.matmul(a, 0, b, 0, got, 0, m, k, n, false, false, false);
    one.matmul(a, 0, b, 0, fused, 0, m, k, n, false, false, false);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(Array.from(fused)).not.toEqual(Array.from(want)); // the flavours differ in the last bits
  });

  const shapes = [[256, 256, 256], [1, 8192, 2304], [133, 1025, 130], [1024, 128, 129], [7, 20000, 130]] as const;
  for (const [m, k, n] of shapes) {
    it(`[${m}×${k}]·[${k}×${n}] is bit-identical to one thread`, () => {
      expect(m * k * Math.ceil(n / 16) * 16).toBeGreaterThanOrEqual(MIN_PARALLEL_WORK); // really split
      const a = rand(m * k), b = rand(k * n);
      const want = new Float32Array(m * n), got = new Float32Array(m * n), ref = new Float32Array(m * n);
      one.matmul(a, 0, b, 0, want, 0, m, k, n, false, true, false);
      pooled.matmul(a, 0, b, 0, got, 0, m, k, n, false, true, false);
      expect(Array.from(got)).toEqual(Array.from(want));
      if (m > 1) { // (one thread is checked against the reference kernels in kernels-wasm.test.ts; once more here)
        jsKernels.matmul(a, 0, b, 0, ref, 0, m, k, n, false, true, false);
        expect(relativeError(got, ref)).toBeLessThan(1e-6 * Math.sqrt(k)); // float32 sums of k terms vs float64
      }
    });
  }

  it("a training step's loss and gradients are the same bits on 1 and 3 threads", () => {
    const model = new MiniGPT(parseConfig({ d_model: 256, n_heads: 4, d_ff: 1024 }, LOCKED));
    const ids = Array.from({ length: 16 }, (_, r) => Array.from({ length: 32 }, (_, t) => (r * 31 + t * 7) % 64));
    const targets = Int32Array.from(ids.flat().map((v) => (v + 1) % 64));
    const step = (k: Kernels): Float32Array[] => {
      setKernels(k);
      try {
        model.zeroGrad();
        const loss = F.crossEntropy(model.forward(ids), targets);
        loss.backward();
        return [loss.data as Float32Array, noGrad(() => model.forward(ids)).data as Float32Array, ...model.parameters().map((p) => p.grad!.data as Float32Array)];
      } finally {
        setKernels(null);
      }
    };
    const a = step(one), b = step(pooled);
    a.forEach((x, i) => expect(Array.from(b[i]!)).toEqual(Array.from(x)));
  });

  it("an InferenceSession on 2 threads gives the same bits, prefill and decode", () => {
    const model = new MiniGPT(parseConfig({ d_model: 512, n_heads: 8, d_ff: 2048, vocab_size: 4096, context_len: 64 }, LOCKED));
    const ids = Array.from({ length: 64 }, (_, t) => (t * 13) % 4096);
    const single = new InferenceSession(model), pooled2 = new InferenceSession(model, { helpers: 1, spawn: spawnNodeHelper(entry) });
    expect(Array.from(pooled2.forward(ids.slice(0, 60)))).toEqual(Array.from(single.forward(ids.slice(0, 60))));
    expect(Array.from(pooled2.append(ids.slice(60)))).toEqual(Array.from(single.append(ids.slice(60))));
  });

  it("hands over 100,000 tiny products without a lost wake-up (the caller and helper finish together)", () => {
    // Shares this small end at the same moment on both threads, which is when a wait on a
    // re-read flag used to sleep forever: the test then hangs until vitest's timeout.
    const { k, arena, pool } = readyPool(1); // the helper serving before the first product
    const m = 2, kk = 4, n16 = 64;
    const a = arena.put(rand(m * kk)), bp = arena.alloc(kk * n16), c = arena.alloc(m * n16);
    k.packB(arena.put(rand(kk * n16)) * 4, bp * 4, kk, n16, n16, 0);
    k.gemm(a * 4, kk * 4, bp * 4, c * 4, m, kk, n16, 0, 0, n16, 0);
    const want = Array.from(arena.heap.subarray(c, c + m * n16));
    for (let i = 0; i < 100_000; i++) pool.gemm(a * 4, kk * 4, bp * 4, c * 4, m, kk, n16, 0);
    expect(Array.from(arena.heap.subarray(c, c + m * n16))).toEqual(want);
    expect(pool.readyHelpers).toBe(1); // the helper was serving throughout (before it starts, the caller takes every chunk)
  }, 30_000);

  it("columns are taken in chunks: a helper that never starts leaves every chunk to the caller, one that serves takes its part, the same bits (a bias too)", () => {
    const m = 67, kk = 300, n = 1000, n16 = 1008; // 31 units of 32 columns and a lone 16: chunks that do not divide evenly
    const run = (spawn: SpawnHelper, helpersStart: boolean): Float32Array => {
      const { k, arena, pool } = readyPool(2, spawn, helpersStart ? 2 : 0);
      const seeded = new Rng(9), values = (len: number): Float32Array => Float32Array.from({ length: len }, () => seeded.normal());
      const a = arena.put(values(m * kk)), bp = arena.alloc(kk * n16), c = arena.alloc(m * n16), bias = arena.put(values(n16));
      k.packB(arena.put(values(kk * n)) * 4, bp * 4, kk, n, n16, 0);
      k.gemm(a * 4, kk * 4, bp * 4, c * 4, m, kk, n16, 0, 0, n16, bias * 4); // C filled once by one thread…
      const once = arena.heap.slice(c, c + m * n16);
      arena.heap.fill(Number.NaN, c, c + m * n16); // …then cleared: a chunk nobody computed stays NaN
      pool.gemm(a * 4, kk * 4, bp * 4, c * 4, m, kk, n16, 0, bias * 4);
      expect(Array.from(arena.heap.subarray(c, c + m * n16))).toEqual(Array.from(once));
      return once;
    };
    const never = run(() => {}, false); // no helper ever serves
    const serving = run(spawnNodeHelper(entry), true);
    expect(Array.from(serving)).toEqual(Array.from(never));
  }, 30_000);

  it("activations split over threads in chunks of whole vectors: the same bits as one thread, every float written", () => {
    const { k, arena, pool } = readyPool(2);
    expect(pool.readyHelpers).toBe(2); // both serving: the floats really are split
    const seeded = new Rng(13), n = 1001; // chunks that do not divide evenly, and a tail of one
    const x = Float32Array.from({ length: n }, () => 4 * seeded.normal());
    for (const kind of [0, 1, 2, ACTIVATE_GELU_TANH]) {
      const at = arena.put(x);
      if (kind === ACTIVATE_GELU_TANH) k.gelu(at * 4, at * 4, n, 1);
      else k.activate(at * 4, n, kind);
      const once = arena.heap.slice(at, at + n);
      arena.heap.set(x, at);
      pool.activate(at * 4, n, kind);
      expect(Array.from(arena.heap.subarray(at, at + n)), `kind ${kind}`).toEqual(Array.from(once));
      expect(Array.from(once)).not.toEqual(Array.from(x)); // the activation ran
    }
  }, 30_000);

  it("attention's query heads split over threads, each thread on its own scratch: the same bits as one thread (as products and row by row, GQA)", () => {
    const { k, arena, pool } = readyPool(2);
    expect(pool.readyHelpers).toBe(2); // both serving: the heads really are split
    const seeded = new Rng(11);
    // [H, Hkv, dh, pos0, tq]: as products (dh a multiple of 16, several rows), GQA in groups of 3; keys copied (past 64
    // positions); a decode row; dh 20 row by row
    for (const [H, Hkv, dh, pos0, tq] of [[6, 2, 32, 5, 40], [7, 7, 16, 0, 33], [4, 2, 16, 60, 20], [6, 3, 64, 40, 1], [4, 4, 20, 3, 9]] as const) {
      const D = H * dh, ld = Math.ceil((D + 2 * Hkv * dh) / 16) * 16, n = pos0 + tq;
      const qkv = arena.put(Float32Array.from({ length: n * ld }, () => seeded.normal()));
      const z = arena.alloc(tq * D), stride = Math.ceil(attentionScratchFloats(n, dh) / 16) * 16, scratch = arena.alloc(3 * stride);
      k.attention(qkv * 4, ld * 4, z * 4, D * 4, tq, pos0, H, Hkv, dh, 0.25, scratch * 4, 0, H);
      const once = arena.heap.slice(z, z + tq * D);
      arena.heap.fill(Number.NaN, z, z + tq * D); // a head nobody computed stays NaN
      pool.attention(qkv * 4, ld * 4, z * 4, D * 4, tq, pos0, H, Hkv, dh, 0.25, scratch * 4, stride * 4);
      expect(Array.from(arena.heap.subarray(z, z + tq * D)), `H ${H} kv ${Hkv} dh ${dh} pos0 ${pos0} tq ${tq}`).toEqual(Array.from(once));
    }
  }, 30_000);
});
