// Matrix products (and a prefill's attention, and large activations) on several threads over one
// shared WebAssembly memory. The calling thread cuts C's columns into chunks (multiples of 32, so
// each keeps the fast tiles; about sixteen per thread) — or attention's query heads into groups
// sharing a key/value head, or an activation's floats into runs of whole vectors —, wakes each
// helper through a control block in the shared memory (Atomics.notify), and every
// thread — the caller too — takes the next chunk from a shared counter (Atomics.add) until none
// is left; the caller then waits (Atomics.wait) for the helpers. A thread slowed down (a busy
// core, a cold cache, a late wake-up) takes fewer chunks instead of holding the others up. Each
// output is computed by exactly one thread in the same order as on one thread, so results are
// bit-identical to the single-threaded kernel. (Attention's threads each get their own scratch.)
//
// Blocking waits are allowed in Node's main thread and in Web Workers, not in a browser page's
// main thread: there the caller spins on the done flag instead (it would be computing its own
// share meanwhile anyway; the wait is the helpers' remainder). How a helper is started is the
// host's business (Node: worker_threads; browser: a Web Worker running serveGemm, the page
// cross-origin isolated so that memory can be shared); both run `serveGemm` with the `HelperInit` given.

import { instantiateKernels, type KernelFlavour, type WasmKernels } from "./wasm-module.js";

/** What a helper thread needs: the shared memory, where its control slot is, and its number. */
export interface HelperInit {
  readonly memory: WebAssembly.Memory;
  /** Byte offset of the control block (HELPER_SLOT bytes per helper). */
  readonly control: number;
  readonly index: number;
  /** The caller's kernel flavour: every share of one product must be computed alike. */
  readonly flavour: KernelFlavour;
}

/** Starts a helper thread that calls `serveGemm(init)`. */
export type SpawnHelper = (init: HelperInit) => void;

const SLOT_INTS = 20; // per helper: seq, done, failed, the memory's size in pages, the operation, up to 13 arguments (the last the chunk's size), ready; the first helper's last int: the next chunk
const SEQ = 0, DONE = 1, FAILED = 2, PAGES = 3, OP = 4, ARGS = 5, READY = 18, NEXT = 19;
const OP_GEMM = 0, OP_ATTENTION = 1, OP_ACTIVATE = 2;
/** An activation's kind for `GemmPool.activate`: the `activate` kernel's kinds, and this one for GELU's tanh form (the `gelu` kernel). */
export const ACTIVATE_GELU_TANH = 3;
/**
 * Chunks per thread: enough that the caller's wait for the last chunk at the end is short (GPT-2's
 * 128-token prefill on 2 threads waited 13–67 ms of ~500 with 4, 6–23 with 16), few enough that
 * each keeps its tiles busy (a product's chunk is at least 32 columns, an activation's 4 floats).
 */
const CHUNKS_PER_THREAD = 16;
/** Bytes of control block per helper. */
export const HELPER_SLOT = SLOT_INTS * 4;
/**
 * Products below this many multiply-adds (about a millisecond on one thread) run on the calling
 * thread only: waking a sleeping helper costs from a microsecond to tens of them on a busy
 * virtual machine, and the split only pays when the work dwarfs that.
 */
export const MIN_PARALLEL_WORK = 1 << 24;

/** Whether this engine can share WebAssembly memory between threads (a browser page must be cross-origin isolated). */
export function sharedMemorySupported(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

let blocking: boolean | null = null;

/** Whether this thread may block in Atomics.wait (not a browser page's main thread). */
export function canBlock(): boolean {
  if (blocking === null) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // returns "not-equal" at once where allowed
      blocking = true;
    } catch {
      blocking = false;
    }
  }
  return blocking;
}

/** A new shared memory for the kernels (grows up to 4 GiB). */
export function createSharedMemory(initialPages = 256): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: 65536, shared: true });
}

/** The helper's side: wait for a share, compute it, say so; forever. */
export function serveGemm({ memory, control, index, flavour }: HelperInit): never {
  const k = instantiateKernels(memory, flavour);
  const slot = control / 4 + index * SLOT_INTS;
  let seen = 0;
  Atomics.store(new Int32Array(memory.buffer), slot + READY, 1);
  for (;;) {
    const ctl = new Int32Array(memory.buffer); // re-made each time: the memory may have grown
    Atomics.wait(ctl, slot + SEQ, seen);
    seen = Atomics.load(ctl, slot + SEQ);
    // The caller may have grown the memory since; make sure this thread's instance sees the new size.
    if (memory.buffer.byteLength < Atomics.load(ctl, slot + PAGES) * 65536) memory.grow(0);
    try {
      takeChunks(k, ctl, control / 4 + NEXT, ctl[slot + OP]!, Array.from(ctl.subarray(slot + ARGS, slot + READY)), index + 1);
    } catch {
      Atomics.store(ctl, slot + FAILED, 1); // the caller cannot hear an exception here: it is blocked waiting
    }
    Atomics.store(ctl, slot + DONE, seen);
    Atomics.notify(ctl, slot + DONE);
  }
}

const bits = new Int32Array(1), float = new Float32Array(bits.buffer); // a float argument travels as its bits

/** An activation in place over n floats at byte offset `at`: the `activate` kernel's kind, or ACTIVATE_GELU_TANH (the `gelu` kernel). */
export function activateKernel(k: WasmKernels, at: number, n: number, kind: number): void {
  if (kind === ACTIVATE_GELU_TANH) k.gelu(at, at, n, 1);
  else k.activate(at, n, kind);
}

/**
 * Take chunks from the shared counter at `next` and compute them, until none is left: columns of
 * a product, or query heads of attention (thread `thread` on its own stretch of scratch).
 */
function takeChunks(k: WasmKernels, ctl: Int32Array, next: number, op: number, args: readonly number[], thread: number): void {
  if (op === OP_GEMM) {
    const [a, lda, bp, c, m, kk, n16, acc, bias, chunk] = args as [number, number, number, number, number, number, number, number, number, number];
    for (let j0 = Atomics.add(ctl, next, 1) * chunk; j0 < n16; j0 = Atomics.add(ctl, next, 1) * chunk) k.gemm(a, lda, bp, c, m, kk, n16, acc, j0, Math.min(n16, j0 + chunk), bias);
  } else if (op === OP_ACTIVATE) {
    const [at, n, kind, chunk] = args as [number, number, number, number];
    for (let i0 = Atomics.add(ctl, next, 1) * chunk; i0 < n; i0 = Atomics.add(ctl, next, 1) * chunk) activateKernel(k, at + i0 * 4, Math.min(chunk, n - i0), kind);
  } else {
    const [qkv, ld, z, ldz, tq, pos0, H, Hkv, dh, scaleBits, scratch, stride, chunk] = args as [number, number, number, number, number, number, number, number, number, number, number, number, number];
    bits[0] = scaleBits;
    const scale = float[0]!, mine = scratch + thread * stride;
    for (let h0 = Atomics.add(ctl, next, 1) * chunk; h0 < H; h0 = Atomics.add(ctl, next, 1) * chunk) k.attention(qkv, ld, z, ldz, tq, pos0, H, Hkv, dh, scale, mine, h0, Math.min(H, h0 + chunk));
  }
}

/** The calling thread's side: `gemm` with the kernel's signature (minus the column range), split over 1 + helpers threads. */
export class GemmPool {
  private seq = 0;
  private readonly block = canBlock();

  /**
   * @param kernels the calling thread's instance, on `memory`
   * @param control byte offset of HELPER_SLOT · helpers bytes reserved for the control block
   * @param minWork products of fewer multiply-adds (m·k·n16) stay on the calling thread
   */
  constructor(private readonly kernels: WasmKernels, private readonly control: number, readonly helpers: number, spawn: SpawnHelper, private readonly minWork = MIN_PARALLEL_WORK) {
    for (let index = 0; index < helpers; index++) spawn({ memory: kernels.memory, control, index, flavour: kernels.flavour });
  }

  get threads(): number {
    return this.helpers + 1;
  }

  /** Helpers started and serving (until then the caller computes their shares itself). */
  get readyHelpers(): number {
    const ctl = new Int32Array(this.kernels.memory.buffer);
    let n = 0;
    for (let i = 0; i < this.helpers; i++) n += Atomics.load(ctl, this.control / 4 + i * SLOT_INTS + READY);
    return n;
  }

  gemm(a: number, lda: number, bp: number, c: number, m: number, k: number, n16: number, acc: number, bias = 0): void {
    const units = Math.floor(n16 / 32), threads = Math.min(this.helpers + 1, units);
    if (threads < 2 || m * k * n16 < this.minWork) {
      this.kernels.gemm(a, lda, bp, c, m, k, n16, acc, 0, n16, bias);
      return;
    }
    this.run(threads, OP_GEMM, [a, lda, bp, c, m, k, n16, acc, bias, Math.ceil(units / (threads * CHUNKS_PER_THREAD)) * 32]);
  }

  /**
   * `attention` with the kernel's signature (all H query heads), its query heads split over the
   * threads in groups that share a key/value head (each group packs its keys and values once);
   * thread t uses the scratch at scratch + t·stride bytes. Small work stays on the calling thread.
   */
  attention(qkv: number, ld: number, z: number, ldz: number, tq: number, pos0: number, H: number, Hkv: number, dh: number, scale: number, scratch: number, stride: number): void {
    const group = H % Hkv === 0 ? H / Hkv : 1, threads = Math.min(this.helpers + 1, Math.ceil(H / group));
    // its multiply-adds (about H·tq·(pos0 + tq/2)·dh, twice) run at about half a product's rate
    if (threads < 2 || H * tq * (pos0 + tq) * dh < this.minWork / 2) {
      this.kernels.attention(qkv, ld, z, ldz, tq, pos0, H, Hkv, dh, scale, scratch, 0, H);
      return;
    }
    float[0] = scale;
    this.run(threads, OP_ATTENTION, [qkv, ld, z, ldz, tq, pos0, H, Hkv, dh, bits[0]!, scratch, stride, group]);
  }

  /**
   * An activation in place over n floats at byte offset `at` (the `activate` kernel's kind, or
   * ACTIVATE_GELU_TANH), in chunks of whole vectors over the threads: each float computed alone,
   * so the same bits for any split. Under ~128 k floats (a few tenths of a millisecond) it stays here.
   */
  activate(at: number, n: number, kind: number): void {
    const threads = this.helpers + 1;
    if (n < this.minWork / 128) return activateKernel(this.kernels, at, n, kind);
    this.run(threads, OP_ACTIVATE, [at, n, kind, Math.ceil(n / (threads * CHUNKS_PER_THREAD * 4)) * 4]);
  }

  /** Post `op` to the ready helpers among the first threads − 1, take chunks here too, wait for them. */
  private run(threads: number, op: number, args: number[]): void {
    const ctl = new Int32Array(this.kernels.memory.buffer);
    const next = this.control / 4 + NEXT;
    const seq = ++this.seq;
    Atomics.store(ctl, next, 0);
    const posted: number[] = [];
    for (let s = 1; s < threads; s++) {
      const slot = this.control / 4 + (s - 1) * SLOT_INTS;
      // A helper still starting (a page's worker needs the main thread's event loop to start, so
      // waiting for it here would never end) is not woken: the others take its chunks.
      if (Atomics.load(ctl, slot + READY) !== 1) continue;
      ctl[slot + OP] = op;
      ctl.set(args, slot + ARGS);
      Atomics.store(ctl, slot + PAGES, this.kernels.memory.buffer.byteLength / 65536);
      Atomics.store(ctl, slot + SEQ, seq);
      Atomics.notify(ctl, slot + SEQ);
      posted.push(slot);
    }
    takeChunks(this.kernels, ctl, next, op, args, 0);
    for (const slot of posted) {
      // Wait on the very value just compared: loading it a second time for the wait would let the
      // helper's store and notify slip in between, and the wait would then sleep on seq forever.
      if (this.block) for (let done = Atomics.load(ctl, slot + DONE); done !== seq; done = Atomics.load(ctl, slot + DONE)) Atomics.wait(ctl, slot + DONE, done);
      else while (Atomics.load(ctl, slot + DONE) !== seq); // a page's main thread may not block: spin
      if (Atomics.exchange(ctl, slot + FAILED, 0) !== 0) throw new Error("a helper thread failed on its share of a matrix product or of attention");
    }
  }
}
