// npm run bench: forward latency and matmul throughput, each beside a peer measured in the
// same run, reported as ratios. Peers here: the float64 scalar reference (for the forward)
// and a plain i-k-j loop (for matmul). Figures go to stdout and bench/results.json.

import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { MiniGPT } from "../src/model/minigpt.js";
import { GPT2_SMALL, LOCKED } from "../src/model/presets.js";
import { referenceForward } from "../src/reference/forward64.js";
import { F, jsKernels, noGrad, Rng } from "../src/tensor/index.js";
import { canonicalIds } from "../src/train/tokenizer.js";
import { KVCache } from "../src/model/kv-cache.js";
import { generate } from "../src/model/generate.js";
import { Trainer } from "../src/train/trainer.js";
import { DEFAULT_TRAIN } from "../src/train/train-config.js";
import { formatMs, formatRate, measure } from "./measure.js";

interface Row {
  readonly what: string;
  readonly ours: string;
  readonly peer: string;
  readonly peerName: string;
  readonly ratio: number; // > 1: ours is faster
}

const rows: Row[] = [];
const rng = new Rng(1);
const log = (s: string): void => void process.stderr.write(s + "\n");

function forwardRow(label: string, model: MiniGPT, T: number, withReference: boolean): void {
  log(`… ${label}`);
  const ids = Array.from({ length: T }, (_, i) => (i === 0 ? 1 : rng.int(model.config.vocab_size)));
  const ours = measure(() => noGrad(() => model.forward(ids)), { batches: T > 64 || model.config.d_model > 64 ? 3 : 7 });
  let peer = { ms: NaN };
  if (withReference) {
    const w = new Map([...model.stateDict()].map(([k, t]) => [k, t.data]));
    peer = measure(() => referenceForward(model.config, w, ids), { batches: 5 });
  }
  rows.push({
    what: label,
    ours: `${formatMs(ours.ms)}  (${formatRate((T / ours.ms) * 1000, "tok/s")})`,
    peer: withReference ? formatMs(peer.ms) : "—",
    peerName: withReference ? "float64 scalar reference" : "",
    ratio: peer.ms / ours.ms,
  });
}

function naiveMatmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const x = a[i * k + p]!;
      for (let j = 0; j < n; j++) c[i * n + j] += x * b[p * n + j]!;
    }
}

function matmulRow(m: number, k: number, n: number): void {
  log(`… matmul ${m}×${k}·${k}×${n}`);
  const a = Float32Array.from({ length: m * k }, () => rng.normal());
  const b = Float32Array.from({ length: k * n }, () => rng.normal());
  const c = new Float32Array(m * n);
  const flops = 2 * m * k * n;
  const big = flops > 1e8;
  const ours = measure(() => jsKernels.matmul(a, 0, b, 0, c, 0, m, k, n, false, false, false), { batches: big ? 3 : 7 });
  const peer = measure(() => naiveMatmul(a, b, c, m, k, n), { batches: big ? 3 : 7 });
  rows.push({
    what: `matmul ${m}×${k}·${k}×${n}`,
    ours: `${(flops / ours.ms / 1e6).toFixed(2)} GFLOP/s`,
    peer: `${(flops / peer.ms / 1e6).toFixed(2)} GFLOP/s`,
    peerName: "plain JS i-k-j loop",
    ratio: peer.ms / ours.ms,
  });
}

function decodeRow(label: string, model: MiniGPT, steps: number): void {
  log(`… ${label}`);
  const opts = { maxNew: steps, temperature: 0 };
  const cached = measure(() => generate(model, [1], opts), { batches: 5 });
  const full = measure(() => generate(model, [1], { ...opts, useCache: false }), { batches: 5 });
  const kb = new KVCache(model.config).bytes / 1024;
  rows.push({
    what: `${label} (cache ${kb.toFixed(0)} KiB)`,
    ours: `${formatMs(cached.ms / steps)}/token  (${formatRate((steps / cached.ms) * 1000, "tok/s")})`,
    peer: `${formatMs(full.ms / steps)}/token`,
    peerName: "same model, no KV cache (full recompute)",
    ratio: full.ms / cached.ms,
  });
}

function trainRow(): void {
  log("… training step, locked config, batch 32 × 32 tokens");
  const trainer = new Trainer(new MiniGPT(LOCKED), DEFAULT_TRAIN);
  const ids = Array.from({ length: 32 }, () => Array.from({ length: 32 }, () => rng.int(60)));
  const targets = Int32Array.from({ length: 32 * 32 }, () => rng.int(60));
  const step = measure(() => {
    trainer.model.zeroGrad();
    F.crossEntropy(trainer.model.forward(ids), targets).backward();
    trainer.optimizer.step(1e-3);
  }, { batches: 5, batchMs: 500 });
  rows.push({ what: "training step, locked config, 32 × 32 tokens", ours: `${formatMs(step.ms)}  (${formatRate((1024 / step.ms) * 1000, "tok/s")})`, peer: "—", peerName: "", ratio: NaN });
}

const canonical = canonicalIds();
log(`canonical sequence: ${canonical.length} tokens`);
const locked = new MiniGPT(LOCKED);
forwardRow("locked Mini-GPT forward, T = 8", locked, 8, true);
forwardRow("locked Mini-GPT forward, T = 32", locked, 32, true);
decodeRow("locked Mini-GPT greedy decode, 31 tokens", locked, 31);
trainRow();
log("… building a GPT-2-small-shaped model (124M parameters, random weights)");
const gpt2 = new MiniGPT(GPT2_SMALL);
forwardRow("GPT-2-small shape (768 wide, 12 layers) forward, T = 32", gpt2, 32, false);
for (const [m, k, n] of [[64, 64, 64], [32, 64, 192], [256, 256, 256], [128, 768, 3072], [768, 768, 768]] as [number, number, number][]) matmulRow(m, k, n);

const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, kernels: ${jsKernels.name}`;
const header = ["what", "ours", "peer", "peer is", "ours ÷ peer speed"];
const body = rows.map((r) => [r.what, r.ours, r.peer, r.peerName, Number.isFinite(r.ratio) ? `${r.ratio.toFixed(1)}×` : "—"]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
const line = (cells: string[]): string => "| " + cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
const table = [line(header), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...body.map(line)].join("\n");
process.stdout.write(`\nmachine: ${machine}\n\n${table}\n\nmedian of repeated batches after warm-up; ratio > 1 means ours is faster.\n`);
writeFileSync(new URL("../../bench/results.json", import.meta.url), JSON.stringify({ date: new Date().toISOString(), machine, rows }, null, 2) + "\n");
