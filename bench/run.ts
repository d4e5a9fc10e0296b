// npm run bench: our speed beside the peers users would otherwise pick, measured in the same
// run and reported as ratios (> 1: ours is faster). Peers: onnxruntime-node (1 thread unless a
// row says otherwise) on our exported ONNX graph (for decoding, the graph exported with its KV
// cache); TensorFlow.js (cpu and wasm backends) on the same weights, checked to compute our
// logits; NumPy/OpenBLAS for matmul; our own reference kernels and the float64 scalar
// reference. Writes the table to stdout and bench/results.json.

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { generate } from "../src/model/generate.js";
import { InferenceSession } from "../src/model/inference.js";
import { KVCache } from "../src/model/kv-cache.js";
import { MiniGPT } from "../src/model/minigpt.js";
import { GPT2_SMALL, LOCKED } from "../src/model/presets.js";
import { referenceForward } from "../src/reference/forward64.js";
import { spawnNodeHelper } from "../src/cli/helper-threads.js";
import { createWasmKernels, jsKernels, noGrad, Rng, setKernels, type Kernels } from "../src/tensor/index.js";
import { DEFAULT_TRAIN } from "../src/train/train-config.js";
import { Trainer } from "../src/train/trainer.js";
import { describeMachine } from "./machine.js";
import { formatMs, formatRate, measure } from "./measure.js";
import { batchesInTurns, checkPeer, decodeInTurns, inTurns, measureAsync, ortCachedDecoder, ortSession, timed } from "./peers.js";
import { familyRows } from "./families.js";
import { interpRows } from "./interp.js";
import { rooflineRows } from "./roofline.js";
import { tfPeer, useTfBackend } from "./tfjs-peer.js";
import { spawnSync } from "node:child_process";

interface Row { what: string; ours: string; peer: string; peerName: string; ratio: number }
const rows: Row[] = [];
const rng = new Rng(1);
const wasm = createWasmKernels();
const THREADS = Math.min(4, cpus().length);
/**
 * The GPT-2-shaped forwards (about a second each): one call a batch, nine turns, half a second of
 * warm-up. Nine, not five: on this shared host a slow stretch can cover two or three of one side's
 * batches (run 15's 1-thread prefill: ours 1.07 s against 0.84 s the run before, the code 1.02×
 * faster in turns right after), and the median of five then moves with it; four more turns cost
 * ~20 s of a ~12-minute run.
 */
const BIG = { turns: 9, batchMs: 1, warmupMs: 500 };
/** Rows on several threads: each batch starts this long after the other side's (onnxruntime's threads spin ~40 ms after a run). */
const SETTLE_MS = 100;
const wasmThreaded = THREADS > 1 ? createWasmKernels({ helpers: THREADS - 1, spawn: spawnNodeHelper() }) : null;
const log = (s: string): void => void process.stderr.write(s + "\n");
const randomIds = (T: number, V: number): number[] => Array.from({ length: T }, (_, i) => (i === 0 ? 1 : rng.int(Math.min(V, 60))));
let peakRss = 0;
/** Forwards to set against the measured ceiling (roofline.ts): ours (compiled) and onnxruntime's times. */
const forwards: Parameters<typeof rooflineRows>[0][number][] = [];
const sampleRss = (): void => void (peakRss = Math.max(peakRss, process.memoryUsage().rss));

function withKernels<T>(k: Kernels, fn: () => T): T {
  setKernels(k);
  try {
    return fn();
  } finally {
    setKernels(wasm);
  }
}

async function forwardRows(label: string, model: MiniGPT, T: number, run: Awaited<ReturnType<typeof ortSession>>, big = false): Promise<void> {
  log(`… ${label}`);
  const ids = randomIds(T, model.config.vocab_size);
  const [ours, peer] = await batchesInTurns(() => noGrad(() => model.forward(ids)), () => run(ids), big ? BIG : {});
  sampleRss();
  rows.push({ what: `${label}: forward`, ours: `${formatMs(ours)} (${formatRate((T / ours) * 1000, "tok/s")})`, peer: formatMs(peer), peerName: "onnxruntime-node, 1 thread", ratio: peer / ours });
  if (!big) {
    const session = new InferenceSession(model);
    // 21 turns, not 7 (about 3 s a side): on this shared host one side's batch can land in a slow
    // stretch and the other's not (single turns' ratios range 0.9–2.0× at T = 32); the median of
    // three times as many moves less with each such turn.
    const [compiled, peerNow] = await batchesInTurns(() => session.forward(ids), () => run(ids), { turns: 21 });
    forwards.push({ label, config: model.config, T, ortMs: peerNow, oursMs: compiled });
    rows.push({ what: `${label}: forward, compiled InferenceSession`, ours: `${formatMs(compiled)} (${formatRate((T / compiled) * 1000, "tok/s")})`, peer: formatMs(peerNow), peerName: "onnxruntime-node, 1 thread", ratio: peerNow / compiled });
    const ref = withKernels(jsKernels, () => measure(() => noGrad(() => model.forward(ids))).ms);
    rows.push({ what: `${label}: forward`, ours: formatMs(ours), peer: formatMs(ref), peerName: "our reference TypeScript kernels", ratio: ref / ours });
  }
}

async function matmulRow(m: number, k: number, n: number): Promise<void> {
  log(`… matmul ${m}×${k}·${k}×${n}`);
  const a = Float32Array.from({ length: m * k }, () => rng.normal());
  const b = Float32Array.from({ length: k * n }, () => rng.normal());
  const c = new Float32Array(m * n);
  const flops = 2 * m * k * n;
  const one = (): void => wasm.matmul(a, 0, b, 0, c, 0, m, k, n, false, false, false);
  // With threads, 1 and 2 threads batch by batch in turns: a slow stretch of this shared host
  // then falls on both, and their ratio is the threads' own scaling.
  let ours: number, threaded = NaN;
  if (wasmThreaded !== null) [threaded, ours] = await batchesInTurns(() => wasmThreaded.matmul(a, 0, b, 0, c, 0, m, k, n, false, false, false), async () => one(), { turns: 9 });
  else ours = measure(one).ms;
  const ref = measure(() => jsKernels.matmul(a, 0, b, 0, c, 0, m, k, n, false, false, false), { batches: flops > 1e8 ? 3 : 7 }).ms;
  const gf = (ms: number): string => `${(flops / ms / 1e6).toFixed(1)} GFLOP/s`;
  rows.push({ what: `matmul ${m}×${k}·${k}×${n}, 1 thread`, ours: gf(ours), peer: gf(ref), peerName: "our reference TypeScript kernels", ratio: ref / ours });
  if (wasmThreaded !== null) rows.push({ what: `matmul ${m}×${k}·${k}×${n}, ${THREADS} threads`, ours: gf(threaded), peer: gf(ours), peerName: "ours on 1 thread, batches in turns", ratio: ours / threaded });
}

setKernels(wasm);
const locked = new MiniGPT(LOCKED);
const lockedOrt = await ortSession(locked);
await forwardRows("locked Mini-GPT, T = 8", locked, 8, lockedOrt);
await forwardRows("locked Mini-GPT, T = 32", locked, 32, lockedOrt);

for (const backend of ["wasm", "cpu"] as const) {
  await useTfBackend(backend);
  const peer = tfPeer(locked);
  for (const T of [8, 32]) {
    log(`… TF.js ${backend}, T = ${T}`);
    const ids = [randomIds(T, 64)];
    const check = peer.forward(ids);
    checkPeer(`TensorFlow.js ${backend} backend`, check.dataSync(), noGrad(() => locked.forward(ids)).data);
    check.dispose();
    const ours = measure(() => noGrad(() => locked.forward(ids))).ms;
    const theirs = measure(() => peer.forward(ids).dispose(), { batches: 5 }).ms;
    rows.push({ what: `locked Mini-GPT, T = ${T}: forward`, ours: formatMs(ours), peer: formatMs(theirs), peerName: `TensorFlow.js ${backend} backend`, ratio: theirs / ours });
  }
}

log("… float64 scalar reference, T = 32");
{
  const ids = randomIds(32, 64);
  const w = new Map([...locked.stateDict()].map(([k, t]) => [k, t.data]));
  const ours = measure(() => noGrad(() => locked.forward(ids))).ms;
  const ref = measure(() => referenceForward(LOCKED, w, ids), { batches: 5 }).ms;
  rows.push({ what: "locked Mini-GPT, T = 32: forward", ours: formatMs(ours), peer: formatMs(ref), peerName: "float64 scalar reference", ratio: ref / ours });
}

log("… KV-cache decode, locked");
{
  const steps = 31;
  const cached = measure(() => generate(locked, [1], { maxNew: steps, temperature: 0 }), { batches: 5 }).ms;
  const full = measure(() => generate(locked, [1], { maxNew: steps, temperature: 0, useCache: false }), { batches: 5 }).ms;
  const kib = new KVCache(LOCKED).bytes / 1024;
  rows.push({ what: `locked greedy decode, 31 tokens (cache ${kib.toFixed(0)} KiB)`, ours: `${formatMs(cached / steps)}/token`, peer: `${formatMs(full / steps)}/token`, peerName: "same model without the KV cache", ratio: full / cached });
  const session = new InferenceSession(locked);
  const ortDecode = await ortCachedDecoder(locked);
  const next = Array.from({ length: steps }, (_, t) => (t + 1) % 60);
  const [ours, peer] = await inTurns(51, () => {
    session.forward([1]);
    const t0 = performance.now();
    for (const id of next) session.append([id]);
    return (performance.now() - t0) / steps;
  }, () => ortDecode([1], next));
  rows.push({ what: "locked decode, tokens 2–32 one at a time (InferenceSession.append)", ours: `${formatMs(ours)}/token`, peer: `${formatMs(peer)}/token`, peerName: "onnxruntime-node, 1 thread, graph exported with its KV cache", ratio: peer / ours });
}

log("… training step, locked, batch 32 × 32");
{
  const trainer = new Trainer(new MiniGPT(LOCKED), DEFAULT_TRAIN);
  const ids = Array.from({ length: 32 }, () => randomIds(32, 64));
  const targets = Int32Array.from({ length: 32 * 32 }, () => 1 + rng.int(59)); // no <pad> (id 0): every target counts, as in the peer
  // the trainer's own update (forward, backward, clipping, AdamW; its arrays reused step to step), as `minigpt train` runs it
  const step = (): void => void trainer.update([{ inputs: ids, targets }]);
  const ours = measure(step, { batches: 5, batchMs: 400 }).ms;
  const ref = withKernels(jsKernels, () => measure(step, { batches: 5, batchMs: 400 }).ms);
  const what = "training step, locked, 32 × 32 tokens";
  rows.push({ what, ours: `${formatMs(ours)} (${formatRate((1024 / ours) * 1000, "tok/s")})`, peer: formatMs(ref), peerName: "our reference TypeScript kernels", ratio: ref / ours });
  for (const backend of ["wasm", "cpu"] as const) {
    await useTfBackend(backend);
    const peer = tfPeer(locked);
    const [a, b] = await inTurns(backend === "wasm" ? 15 : 3, () => timed(step), () => timed(() => peer.trainStep(ids, targets)));
    rows.push({ what, ours: formatMs(a), peer: formatMs(b), peerName: `TensorFlow.js ${backend} backend (Adam), steps taken in turns`, ratio: b / a });
    peer.dispose();
  }
}

log("… leak check: 10,000 forward calls");
{
  const ids = randomIds(8, 64);
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 500; i++) noGrad(() => locked.forward(ids));
  gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 10_000; i++) noGrad(() => locked.forward(ids));
  gc?.();
  const growth = (process.memoryUsage().heapUsed - before) / 1024;
  rows.push({ what: "heap growth over 10,000 forward calls", ours: `${growth.toFixed(0)} KiB`, peer: "—", peerName: gc ? "(after gc)" : "(no --expose-gc)", ratio: NaN });
  const session = new InferenceSession(locked);
  for (let i = 0; i < 500; i++) session.forward(ids);
  gc?.();
  const rss0 = process.memoryUsage().rss, heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < 10_000; i++) session.forward(ids);
  gc?.();
  const heapGrowth = (process.memoryUsage().heapUsed - heap0) / 1024, rssGrowth = (process.memoryUsage().rss - rss0) / 1024;
  rows.push({ what: "InferenceSession: growth over 10,000 forward calls", ours: `heap ${heapGrowth.toFixed(0)} KiB, RSS ${rssGrowth.toFixed(0)} KiB`, peer: "—", peerName: gc ? "(after gc)" : "(no --expose-gc)", ratio: NaN });
}

const SHAPES: [number, number, number][] = [[64, 64, 64], [512, 64, 256], [128, 768, 3072], [768, 768, 768]];
for (const [m, k, n] of SHAPES) await matmulRow(m, k, n);

log("… NumPy / OpenBLAS matmul, 1 thread (if python3 and numpy are here)");
{
  const script = `import numpy as np, time, json
out = []
for m, k, n in ${JSON.stringify(SHAPES)}:
    a = np.random.rand(m, k).astype(np.float32); b = np.random.rand(k, n).astype(np.float32)
    for _ in range(3): a @ b
    reps = max(3, int(3e8 / (2 * m * k * n)))
    best = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(reps): a @ b
        best.append((time.perf_counter() - t) / reps)
    best.sort(); out.append(2 * m * k * n / best[3] / 1e9)
print(json.dumps(out))`;
  // OpenBLAS does not recognise Zen 5; ask for its AVX-512 kernels, and fall back to its own
  // choice (AVX2) where the CPU refuses them (an illegal-instruction exit).
  let r = spawnSync("python3", ["-c", script], { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OPENBLAS_CORETYPE: "SkylakeX" } });
  let kernels = "AVX-512";
  if (r.status !== 0) {
    r = spawnSync("python3", ["-c", script], { encoding: "utf8", env: { ...process.env, OPENBLAS_NUM_THREADS: "1" } });
    kernels = "its default kernels";
  }
  if (r.status === 0) {
    const gflops = JSON.parse(r.stdout.trim()) as number[];
    SHAPES.forEach(([m, k, n], i) => {
      const row = rows.find((x) => x.what === `matmul ${m}×${k}·${k}×${n}, 1 thread`)!;
      const ours = Number(row.ours.split(" ")[0]);
      rows.push({ what: row.what, ours: row.ours, peer: `${gflops[i]!.toFixed(1)} GFLOP/s`, peerName: `NumPy (OpenBLAS, ${kernels}), 1 thread`, ratio: ours / gflops[i]! });
    });
  } else log(`  skipped: python3 exited ${r.status ?? r.signal} ${r.stderr.trim().split("\n").slice(-1)[0] ?? ""}`);
}

log("… GPT-2-small shape (768 wide, 12 layers, vocab 50,257; random weights)");
const gpt2 = new MiniGPT(GPT2_SMALL);
sampleRss();
const gpt2Ort = await ortSession(gpt2);
sampleRss();
await forwardRows("GPT-2-small shape, prefill T = 128", gpt2, 128, gpt2Ort, true);
log("… GPT-2-small shape, InferenceSession prefill and decode");
let gpt2Prefill = NaN, gpt2Decode = NaN;
{
  const ids = randomIds(128, 50257);
  const session = new InferenceSession(gpt2);
  sampleRss();
  const [ours, peer] = await batchesInTurns(() => session.forward(ids), () => gpt2Ort(ids), BIG);
  gpt2Prefill = ours;
  forwards.push({ label: "GPT-2-small shape, prefill T = 128", config: gpt2.config, T: 128, ortMs: peer, oursMs: ours });
  rows.push({ what: "GPT-2-small shape, prefill T = 128: InferenceSession", ours: `${formatMs(ours)} (${formatRate((128 / ours) * 1000, "tok/s")})`, peer: formatMs(peer), peerName: "onnxruntime-node, 1 thread", ratio: peer / ours });
  // One more token with the KV cache: a 64-token prompt (untimed), then 8 tokens a token at a time.
  const prompt = ids.slice(0, 64), next = ids.slice(64, 72);
  const [perToken, peerDecode] = await decodeInTurns(5, session, gpt2, prompt, next);
  sampleRss();
  gpt2Decode = perToken;
  rows.push({ what: "GPT-2-small shape, decode one token after 64–72: InferenceSession (KV cache)", ours: `${formatMs(perToken)}/token`, peer: `${formatMs(peerDecode)}/token`, peerName: "onnxruntime-node, 1 thread, graph exported with its KV cache", ratio: peerDecode / perToken });
  if (THREADS > 1) {
    const threaded = new InferenceSession(gpt2, { helpers: THREADS - 1, spawn: spawnNodeHelper() });
    sampleRss();
    const ortT = await ortSession(gpt2, THREADS);
    sampleRss();
    const [oursT, peerT] = await batchesInTurns(() => threaded.forward(ids), () => ortT(ids), { ...BIG, settleMs: SETTLE_MS });
    rows.push({ what: `GPT-2-small shape, prefill T = 128: InferenceSession, ${THREADS} threads`, ours: `${formatMs(oursT)} (${formatRate((128 / oursT) * 1000, "tok/s")})`, peer: formatMs(peerT), peerName: `onnxruntime-node, ${THREADS} threads`, ratio: peerT / oursT });
    // A long prompt, where attention (T² work, split by heads over the threads) is a larger share.
    log("… GPT-2-small shape, prefill T = 512");
    const long = randomIds(512, 50257);
    const [oursL, peerL] = await batchesInTurns(() => threaded.forward(long), () => ortT(long), { ...BIG, turns: 5, settleMs: SETTLE_MS });
    sampleRss();
    rows.push({ what: `GPT-2-small shape, prefill T = 512: InferenceSession, ${THREADS} threads`, ours: `${formatMs(oursL)} (${formatRate((512 / oursL) * 1000, "tok/s")})`, peer: formatMs(peerL), peerName: `onnxruntime-node, ${THREADS} threads`, ratio: peerL / oursL });
  }
}
log("… GPT-2-small shape decode");
{
  // Steady-state cost of one more token: (24 new tokens − 1 new token) / 23, so the prompt's
  // prefill and the one-off weight packing cancel out.
  const prompt = randomIds(16, 50257);
  const run = (n: number): number => measure(() => generate(gpt2, prompt, { maxNew: n, temperature: 0 }), { batches: 3, batchMs: 1, warmupMs: 1 }).ms;
  const ours = (run(24) - run(1)) / 23;
  sampleRss();
  const peer = await measureAsync(() => gpt2Ort([...prompt, ...randomIds(8, 50257)]), 3);
  rows.push({ what: "GPT-2-small shape, decode one token after 16–40, tensor path (KV cache)", ours: `${formatMs(ours)}/token`, peer: `${formatMs(peer)}/token`, peerName: "onnxruntime-node, 1 thread, recomputing 24 tokens (no cache)", ratio: peer / ours });
}

log("… GPT-2-small shape on TensorFlow.js, same weights (the cpu backend takes minutes: one call each)");
{
  const ids = randomIds(128, 50257);
  const ours = new InferenceSession(gpt2).forward(ids);
  for (const backend of ["wasm", "cpu"] as const) {
    await useTfBackend(backend);
    const peer = tfPeer(gpt2);
    sampleRss();
    // the first call is checked against our logits (and warms the wasm backend up); the cpu
    // backend, at about a GFLOP/s, is then timed once per row
    const t0 = performance.now();
    const first = peer.forward([ids]);
    const firstMs = performance.now() - t0;
    checkPeer(`TensorFlow.js ${backend} backend (GPT-2 shape)`, first.dataSync(), ours);
    first.dispose();
    const timing = { batches: 3, batchMs: 1, warmupMs: 1 };
    const prefill = backend === "cpu" ? firstMs : measure(() => peer.forward([ids]).dispose(), timing).ms;
    const tag = backend === "cpu" ? ", one call" : "";
    rows.push({ what: "GPT-2-small shape, prefill T = 128: InferenceSession", ours: formatMs(gpt2Prefill), peer: formatMs(prefill), peerName: `TensorFlow.js ${backend} backend${tag}`, ratio: prefill / gpt2Prefill });
    const decode = backend === "cpu" ? timed(() => peer.forward([ids.slice(0, 72)]).dispose()) : measure(() => peer.forward([ids.slice(0, 72)]).dispose(), timing).ms;
    rows.push({ what: "GPT-2-small shape, decode one token after 64–72: InferenceSession (KV cache)", ours: `${formatMs(gpt2Decode)}/token`, peer: `${formatMs(decode)}/token`, peerName: `TensorFlow.js ${backend} backend, recomputing 72 tokens (no cache)${tag}`, ratio: decode / gpt2Decode });
    peer.dispose();
  }
}

log("… the 128-bit SIMD ceiling of this machine, and each forward's best possible time");
rows.push(...(await rooflineRows(forwards, wasmThreaded === null ? null : { threads: THREADS, kernels: wasmThreaded })));
rows.push(...(await familyRows()));
rows.push(...interpRows());

const machine = `${describeMachine()}; ours: ${wasm.name} kernels, 1 thread unless a row says otherwise`;
const header = ["what", "ours", "peer", "peer is", "ours ÷ peer speed"];
const body = rows.map((r) => [r.what, r.ours, r.peer, r.peerName, Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : "—"]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
const line = (cells: string[]): string => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
const table = [line(header), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
process.stdout.write(`\nmachine: ${machine}\npeak RSS (GPT-2-small shape, ours + onnxruntime in one process): ${(peakRss / 2 ** 30).toFixed(2)} GiB\n\n${table}\n\nmedian of repeated batches after warm-up; ratio > 1 means ours is faster.\n`);
writeFileSync(new URL("../../bench/results.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), machine, peakRss, rows }, null, 2) + "\n");
