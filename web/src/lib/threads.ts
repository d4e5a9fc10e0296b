// Helper threads in the page: Web Workers serving shares of the large matrix products on the
// kernels' shared WebAssembly memory, as worker_threads do in Node. Memory can be shared only
// when the page is cross-origin isolated — served with Cross-Origin-Opener-Policy: same-origin
// and Cross-Origin-Embedder-Policy: require-corp (`npm start` and `npm run dev` send both; the
// README says how to host the built files). Elsewhere the page computes on one thread.

import { createWasmKernels, kernels, sharedMemorySupported, type Kernels, type SpawnHelper } from "minigpt";

/** Extra threads for this page: the cores less one, at most 3, or 0 where memory cannot be shared. */
export function pageHelpers(): number {
  if (!globalThis.crossOriginIsolated || !sharedMemorySupported()) return 0;
  return Math.max(0, Math.min(3, (navigator.hardwareConcurrency || 1) - 1));
}

/** Start one helper: a module worker that serves shares until the page goes. */
export const spawnWebHelper: SpawnHelper = (init) => {
  const worker = new Worker(new URL("./gemm-helper-worker.ts", import.meta.url), { type: "module", name: `gemm helper ${init.index + 1}` });
  worker.postMessage(init);
};

/** The page's SIMD kernels, with helper threads where the page may have them. */
export function pageKernels(): Kernels {
  const helpers = pageHelpers();
  return createWasmKernels(helpers > 0 ? { helpers, spawn: spawnWebHelper } : {});
}

/** Options for a compiled session with the page's threads (the same bits on any count). */
export function sessionThreads(): { helpers?: number; spawn?: SpawnHelper } {
  const helpers = pageHelpers();
  return helpers > 0 ? { helpers, spawn: spawnWebHelper } : {};
}

/** What the page computes with, for the header: e.g. "wasm-simd (fma), 2 threads". */
export function arithmeticLabel(): string {
  return kernels().name;
}
