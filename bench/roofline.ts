// The ceiling, measured: how many float32 operations per second 128-bit WebAssembly SIMD can do on
// this machine (a loop of independent multiply-adds on registers only — no loads, no stores, 12
// accumulators, more than enough to cover the latency), in both flavours; and from it, the best
// time any WebAssembly kernel could take for a forward pass (its multiply-adds at that peak) and so
// the best ratio to onnxruntime, whose native kernels use the CPU's widest vectors (AVX-512 or
// AVX2: the row names which). A target above that ratio is out of reach for WebAssembly here,
// whatever the kernels do. With threads: the same loop on every thread at once (how much of the
// second core this host gives at that moment), and the 768³ gemm alone on them beside the seam.

import { Worker } from "node:worker_threads";
import wabtInit from "wabt";
import { spawnNodeHelper } from "../src/cli/helper-threads.js";
import { describeModel } from "../src/model/architecture.js";
import type { ModelConfig } from "../src/model/config.js";
import { createWasmKernels, Rng } from "../src/tensor/index.js";
import { createSharedMemory, GemmPool, HELPER_SLOT } from "../src/tensor/threads.js";
import { Arena, instantiateKernels } from "../src/tensor/wasm-module.js";
import { describeCpu } from "./machine.js";
import { formatMs, measure } from "./measure.js";
import { median, timed } from "./peers.js";

const ACCUMULATORS = 12;

/** A module whose run(n, x) does n iterations of 12 independent a·b + c on four lanes each. */
function peakLoop(fused: boolean): string {
  const locals = Array.from({ length: ACCUMULATORS }, (_, i) => `(local $c${i} v128)`).join(" ");
  const madd = (c: string): string => (fused ? `(f32x4.relaxed_madd (local.get $a) (local.get $b) ${c})` : `(f32x4.add (f32x4.mul (local.get $a) (local.get $b)) ${c})`);
  const body = Array.from({ length: ACCUMULATORS }, (_, i) => `(local.set $c${i} ${madd(`(local.get $c${i})`)})`).join("\n");
  const sum = Array.from({ length: ACCUMULATORS }, (_, i) => `(local.get $c${i})`).reduce((x, y) => `(f32x4.add ${x} ${y})`);
  return `(module
  (func (export "run") (param $n i32) (param $x f32) (result f32) (local $a v128) (local $b v128) ${locals}
    (local.set $a (f32x4.splat (local.get $x)))
    (local.set $b (f32x4.splat (f32.const 0.999)))
    (loop $l ${body}
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f32x4.extract_lane 0 ${sum})))`;
}

async function peakModule(fused: boolean): Promise<WebAssembly.Module> {
  const wabt = await wabtInit();
  const module = wabt.parseWat("peak.wat", peakLoop(fused), { simd: true, relaxed_simd: true });
  const { buffer } = module.toBinary({});
  module.destroy();
  return new WebAssembly.Module(new Uint8Array(buffer));
}

/** GFLOP/s of the register-only loop (best of 7 runs of 2·10⁷ iterations). */
export async function measurePeak(fused: boolean): Promise<number> {
  const run = new WebAssembly.Instance(await peakModule(fused), {}).exports["run"] as (n: number, x: number) => number;
  const n = 2e7;
  run(1e5, 1);
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    run(n, 1);
    best = Math.min(best, performance.now() - t0);
  }
  return (n * ACCUMULATORS * 8) / best / 1e6;
}

/**
 * GFLOP/s of the register-only fma loop on this thread and `threads − 1` workers at once (each
 * 2·10⁷ iterations, started together; the total over the slowest one's time), best of 5: the
 * ceiling for products split over threads, as this host gives it at that moment — two vCPUs need
 * not be two whole cores' worth of multiply-add pipes.
 */
async function measurePeakThreads(threads: number): Promise<number> {
  const module = await peakModule(true), n = 2e7, rounds = 5;
  const sync = new Int32Array(new SharedArrayBuffer(8 + 8 * threads)); // [go, done], then each worker's ms (float64)
  const times = new Float64Array(sync.buffer, 8);
  const source = `
    const { workerData: { module, n, rounds, sync, index } } = require("node:worker_threads");
    const run = new WebAssembly.Instance(module, {}).exports.run;
    const times = new Float64Array(sync.buffer, 8);
    run(1e5, 1);
    Atomics.add(sync, 1, 1); Atomics.notify(sync, 1);
    for (let r = 1; r <= rounds; r++) {
      Atomics.wait(sync, 0, r - 1);
      const t0 = performance.now();
      run(n, 1);
      times[index] = performance.now() - t0;
      Atomics.add(sync, 1, 1); Atomics.notify(sync, 1);
    }`;
  const workers = Array.from({ length: threads - 1 }, (_, i) => new Worker(source, { eval: true, workerData: { module, n, rounds, sync, index: i + 1 } }));
  // Node's main thread may block: wait there for the workers' count of rounds done (a minute at most)
  const waitDone = (count: number): void => {
    const deadline = performance.now() + 60_000;
    for (let d = Atomics.load(sync, 1); d < count; d = Atomics.load(sync, 1)) {
      if (performance.now() > deadline) throw new Error("bench: the peak loop's worker threads did not report");
      Atomics.wait(sync, 1, d, 1000);
    }
  };
  try {
    const run = new WebAssembly.Instance(module, {}).exports["run"] as (n: number, x: number) => number;
    run(1e5, 1);
    waitDone(threads - 1);
    let best = 0;
    for (let r = 1; r <= rounds; r++) {
      Atomics.store(sync, 1, 0);
      Atomics.store(sync, 0, r);
      Atomics.notify(sync, 0);
      const t0 = performance.now();
      run(n, 1);
      times[0] = performance.now() - t0;
      waitDone(threads - 1);
      best = Math.max(best, (threads * n * ACCUMULATORS * 8) / Math.max(...times.subarray(0, threads)) / 1e6);
    }
    return best;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * GFLOP/s of the gemm kernel alone on a 768³ product over `threads` threads (this one and
 * helpers, as `GemmPool` splits it), its operands already in the kernels' shared memory and B
 * packed once, against the same product through the kernel seam (`Kernels.matmul`: A and B copied
 * in, B packed, C copied out — on the calling thread, before and after the split work): the two in
 * turns, the medians of 9. Says how much of a threaded matmul's shortfall is the copies at the seam.
 */
async function threadedGemm(threads: number, matmul: (a: Float32Array, b: Float32Array, c: Float32Array) => void): Promise<{ kernel: number; seam: number }> {
  // kernels of their own on a shared memory, with helpers that idle (unref'd) until the process ends
  const w = instantiateKernels(createSharedMemory(), "fma"), arena = new Arena(w.memory);
  const pool = new GemmPool(w, arena.alloc((HELPER_SLOT / 4) * (threads - 1)) * 4, threads - 1, spawnNodeHelper());
  for (let waited = 0; pool.readyHelpers < threads - 1; waited += 10) {
    if (waited > 10_000) throw new Error("bench: helper threads did not start");
    await new Promise((r) => setTimeout(r, 10));
  }
  const n = 768, rng = new Rng(9);
  const a = Float32Array.from({ length: n * n }, () => rng.normal()), b = Float32Array.from({ length: n * n }, () => rng.normal()), c = new Float32Array(n * n);
  const raw = arena.put(b), bp = arena.alloc(n * n);
  w.packB(raw * 4, bp * 4, n, n, n, 0);
  const aAt = arena.put(a), cAt = arena.alloc(n * n);
  const kernel = (): void => pool.gemm(aAt * 4, n * 4, bp * 4, cAt * 4, n, n, n, 0);
  const seam = (): void => matmul(a, b, c);
  kernel();
  seam();
  const tk: number[] = [], ts: number[] = [];
  for (let i = 0; i < 9; i++) {
    tk.push(timed(kernel));
    ts.push(timed(seam));
  }
  const flops = 2 * n ** 3;
  return { kernel: flops / median(tk) / 1e6, seam: flops / median(ts) / 1e6 };
}

/**
 * GFLOP/s of the compiled gemm alone on a 64×256·256×64 product whose operands (64 KiB each, B
 * packed once) stay in the kernel's memory and in L1/L2: the tile's own speed, with no copies, no
 * packing and no memory traffic — set beside the 768³ matmul, it says how much of that one's
 * shortfall is the memory system (which other tenants of a shared host also use) and how much the kernel.
 */
function inCacheGemm(flavour: "fma" | "strict"): number {
  const w = instantiateKernels(undefined, flavour), m = 64, k = 256, n = 64;
  const A = 1024, B = A + m * k, P = B + k * n, C = P + k * n; // float offsets past the reserved address 0
  w.memory.grow(Math.max(0, Math.ceil(((C + m * n) * 4 - w.memory.buffer.byteLength) / 65536)));
  const heap = new Float32Array(w.memory.buffer), rng = new Rng(5);
  for (let i = 0; i < m * k + k * n; i++) heap[A + i] = rng.normal();
  w.packB(B * 4, P * 4, k, n, n, 0);
  const run = (): void => w.gemm(A * 4, k * 4, P * 4, C * 4, m, k, n, 0, 0, n, 0);
  return (2 * m * k * n) / (measure(run).ms * 1e6);
}

/** Floating-point operations (2 per multiply-add) of one causal forward over T tokens, logits at every position. */
export function forwardFlops(c: ModelConfig, T: number): number {
  const spec = describeModel(c), A = spec.block.attn, M = spec.block.mlp;
  const d = c.d_model, D = A.n_heads * A.d_head, Dkv = A.n_kv_heads * A.d_head;
  const pairs = (T * (T + 1)) / 2; // (query, key) pairs a causal mask keeps
  const perBlock = T * d * (D + 2 * Dkv) + A.n_heads * pairs * A.d_head * 2 + T * D * d + (M === null ? 0 : T * d * c.d_ff * (M.gated ? 3 : 2));
  return 2 * (spec.n_layers * perBlock + T * d * c.vocab_size);
}

export interface RooflineRow { what: string; ours: string; peer: string; peerName: string; ratio: number }

/**
 * Rows: the measured peak in each flavour; matmul 768³ in each flavour; with `threaded` (the
 * kernels with helper threads), the peak on that many threads at once and the 768³ product on them,
 * the kernel alone beside the seam; and for each forward given (with onnxruntime's measured time),
 * the fastest a WebAssembly forward could be at that peak.
 */
export async function rooflineRows(
  forwards: readonly { label: string; config: ModelConfig; T: number; ortMs: number; oursMs: number }[],
  threaded: { threads: number; kernels: ReturnType<typeof createWasmKernels> } | null = null,
): Promise<RooflineRow[]> {
  const fma = await measurePeak(true), strict = await measurePeak(false);
  const rows: RooflineRow[] = [
    { what: "128-bit SIMD peak: register-only loop of f32x4.relaxed_madd (fma), 1 thread", ours: `${fma.toFixed(1)} GFLOP/s`, peer: `${strict.toFixed(1)} GFLOP/s`, peerName: "the same loop with f32x4.mul + f32x4.add (strict)", ratio: fma / strict },
  ];
  const rng = new Rng(3), n = 768;
  const a = Float32Array.from({ length: n * n }, () => rng.normal()), b = Float32Array.from({ length: n * n }, () => rng.normal()), c = new Float32Array(n * n);
  const gflops = (k: ReturnType<typeof createWasmKernels>): number => {
    k.matmul(a, 0, b, 0, c, 0, n, n, n, false, false, false);
    let best = Infinity;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      k.matmul(a, 0, b, 0, c, 0, n, n, n, false, false, false);
      best = Math.min(best, performance.now() - t0);
    }
    return (2 * n ** 3) / best / 1e6;
  };
  const mmFma = gflops(createWasmKernels({ flavour: "fma" })), mmStrict = gflops(createWasmKernels({ flavour: "strict" }));
  rows.push({ what: `matmul 768³, 1 thread, fma kernels (${((100 * mmFma) / fma).toFixed(0)}% of the fma peak)`, ours: `${mmFma.toFixed(1)} GFLOP/s`, peer: `${mmStrict.toFixed(1)} GFLOP/s`, peerName: `our strict kernels (${((100 * mmStrict) / strict).toFixed(0)}% of their peak)`, ratio: mmFma / mmStrict });
  const inCache = inCacheGemm("fma");
  rows.push({ what: `the gemm kernel alone, 64×256·256×64 on data already in its memory and in cache (${((100 * inCache) / fma).toFixed(0)}% of the fma peak)`, ours: `${inCache.toFixed(1)} GFLOP/s`, peer: `${mmFma.toFixed(1)} GFLOP/s`, peerName: "matmul 768³ through the kernel seam (copies in and out, packing, a working set past L2)", ratio: inCache / mmFma });
  if (threaded !== null) {
    const t = threaded.threads, peakT = await measurePeakThreads(t);
    rows.push({ what: `128-bit SIMD peak on ${t} threads at once (the fma loop on each)`, ours: `${peakT.toFixed(1)} GFLOP/s`, peer: `${fma.toFixed(1)} GFLOP/s`, peerName: "the same loop on 1 thread", ratio: peakT / fma });
    const g = await threadedGemm(t, (a, b, c) => threaded.kernels.matmul(a, 0, b, 0, c, 0, n, n, n, false, false, false));
    rows.push({
      what: `the gemm kernel alone, 768³ on ${t} threads, operands in its memory (${((100 * g.kernel) / (t * fma)).toFixed(0)}% of ${t} × the 1-thread peak; in turns with the next)`,
      ours: `${g.kernel.toFixed(1)} GFLOP/s`, peer: `${g.seam.toFixed(1)} GFLOP/s`, peerName: `matmul 768³ on ${t} threads through the kernel seam (copies in and out and packing on one thread)`, ratio: g.kernel / g.seam,
    });
  }
  const isa = describeCpu().isa;
  for (const f of forwards) {
    const flops = forwardFlops(f.config, f.T), floorMs = flops / (fma * 1e6);
    rows.push({
      what: `${f.label}: the fastest possible WebAssembly forward (${(flops / 1e6).toFixed(2)} MFLOP at the peak); ours ${formatMs(f.oursMs)} = ${((100 * floorMs) / f.oursMs).toFixed(0)}% of peak`,
      ours: formatMs(floorMs), peer: formatMs(f.ortMs), peerName: `onnxruntime-node, 1 thread (${isa}): the best ratio reachable`, ratio: f.ortMs / floorMs,
    });
  }
  return rows;
}
