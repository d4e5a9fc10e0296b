// The peer onnxruntime-node and the timing helpers the benchmark sections share: sessions on our
// exported graphs (with and without the KV cache), ours and a peer timed in turns, async medians.

import * as ort from "onnxruntime-node";
import { exportOnnx } from "../src/io/onnx.js";
import type { InferenceSession } from "../src/model/inference.js";
import type { MiniGPT } from "../src/model/minigpt.js";

export async function ortSession(model: MiniGPT, threads = 1): Promise<(ids: number[]) => Promise<unknown>> {
  const session = await ort.InferenceSession.create(exportOnnx(model), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  return (ids) => session.run({ input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
}

/**
 * onnxruntime on the graph exported with its KV cache: run(prompt, next) prefills the prompt
 * (an empty cache in), then feeds each of `next` as one token with the presents fed back, and
 * returns the milliseconds per token of those steps alone.
 */
export async function ortCachedDecoder(model: MiniGPT, threads = 1): Promise<(prompt: number[], next: number[]) => Promise<number>> {
  const session = await ort.InferenceSession.create(exportOnnx(model, { kvCache: true }), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  const c = model.config, dh = c.d_model / c.n_heads;
  const names = Array.from({ length: c.n_layers }, (_, l) => [`${l}.key`, `${l}.value`]).flat();
  const int64 = (ids: number[]): ort.Tensor => new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]);
  const feed = async (feeds: Record<string, ort.Tensor>, ids: number[]): Promise<void> => {
    const out = await session.run({ ...feeds, input_ids: int64(ids) });
    for (const n of names) feeds[`past_key_values.${n}`] = out[`present.${n}`]!;
  };
  return async (prompt, next) => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const n of names) feeds[`past_key_values.${n}`] = new ort.Tensor("float32", new Float32Array(0), [1, c.n_kv_heads, 0, dh]);
    await feed(feeds, prompt);
    const t0 = performance.now();
    for (const id of next) await feed(feeds, [id]);
    return (performance.now() - t0) / next.length;
  };
}

export const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

/** Milliseconds one call of fn takes. */
export function timed(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/**
 * Ours and the peer, each timed `reps` times in turns (so both see the same moments of this
 * shared machine) after one untimed run each; the medians of what the two functions return.
 */
export async function inTurns(reps: number, ours: () => number, peer: () => number | Promise<number>): Promise<[number, number]> {
  ours();
  await peer();
  const a: number[] = [], b: number[] = [];
  for (let r = 0; r < reps; r++) {
    a.push(ours());
    b.push(await peer());
  }
  return [median(a), median(b)];
}

/** Call fn (awaited) for at least `warmupMs`; then how many calls take about `batchMs` (at least one). */
async function callsPerBatch(fn: () => unknown, warmupMs: number, batchMs: number): Promise<number> {
  const t0 = performance.now();
  let calls = 0;
  do {
    await fn();
    calls++;
  } while (performance.now() - t0 < warmupMs);
  return Math.max(1, Math.round(batchMs / ((performance.now() - t0) / calls)));
}

/**
 * Ours and the peer in turns, batch by batch: each warmed up for `warmupMs`, each batch sized to
 * take about `batchMs`, then `turns` rounds of one batch of ours and one of the peer's — so a slow
 * moment of this shared machine falls on both, not on one side's whole measurement. Each batch
 * starts `settleMs` after the other side's ended: onnxruntime's intra-op threads (2 or more) spin
 * for ~40 ms after each run (33–44 ms of CPU in the 50 ms after a run, none later, measured here),
 * which would take a core from a threaded batch of ours started at once. Medians of ms per call,
 * [ours, peer].
 */
export async function batchesInTurns(ours: () => unknown, peer: () => Promise<unknown>, { turns = 7, batchMs = 150, warmupMs = 200, settleMs = 0 } = {}): Promise<[number, number]> {
  const nOurs = await callsPerBatch(ours, warmupMs, batchMs), nPeer = await callsPerBatch(peer, warmupMs, batchMs);
  const a: number[] = [], b: number[] = [];
  // Each batch starts from a collected heap (node --expose-gc, as `npm run bench` runs): otherwise
  // one side's garbage is collected, by V8's helper threads too, during the other side's batch.
  const collect = (globalThis as { gc?: () => void }).gc ?? ((): void => {});
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, settleMs));
  for (let t = 0; t < turns; t++) {
    collect();
    if (settleMs > 0) await settle();
    let s = performance.now();
    for (let i = 0; i < nOurs; i++) ours();
    a.push((performance.now() - s) / nOurs);
    collect();
    if (settleMs > 0) await settle();
    s = performance.now();
    for (let i = 0; i < nPeer; i++) await peer();
    b.push((performance.now() - s) / nPeer);
  }
  return [median(a), median(b)];
}

/** Stop the run if a peer computes something else than we do: its logits must be ours within 1e-4. */
export function checkPeer(name: string, theirs: ArrayLike<number>, ours: ArrayLike<number>): void {
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < ours.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i]! - theirs[i]!));
    scale = Math.max(scale, Math.abs(ours[i]!));
  }
  if (theirs.length !== ours.length || !(diff / scale < 1e-4)) throw new Error(`${name} computes other logits than ours (relative difference ${(diff / scale).toExponential(2)}): the comparison would be void`);
}

/** Median ms of an async function (ORT's run is async). */
export async function measureAsync(fn: () => Promise<unknown>, batches = 7): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  const per = await callsPerBatch(fn, 150, 150);
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const s = performance.now();
    for (let i = 0; i < per; i++) await fn();
    samples.push((performance.now() - s) / per);
  }
  return median(samples);
}

/**
 * Decode with the KV cache, ours against onnxruntime's cached graph, in turns: each side prefills
 * `prompt` (untimed), then takes `next` a token at a time; milliseconds per token, [ours, peer].
 */
export async function decodeInTurns(reps: number, session: InferenceSession, model: MiniGPT, prompt: number[], next: number[]): Promise<[number, number]> {
  const peer = await ortCachedDecoder(model);
  return inTurns(reps, () => {
    session.forward(prompt);
    const t0 = performance.now();
    for (const id of next) session.append([id]);
    return (performance.now() - t0) / next.length;
  }, () => peer(prompt, next));
}
