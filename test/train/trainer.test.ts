// The trainer on a tiny model: the loss falls, resume is bit-identical, same seed gives
// the same bytes, and a NaN stops training before the weights change.

import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { validationSet } from "../../src/train/corpus.js";
import { evaluate } from "../../src/train/evaluate.js";
import { formatDuration, formatRate, rateAndEta } from "../../src/train/progress.js";
import { parseTrainConfig } from "../../src/train/train-config.js";
import { Trainer, TrainingError } from "../../src/train/trainer.js";
import { BufferPool, createWasmKernels, setKernels } from "../../src/tensor/index.js";

const TINY = parseConfig({ d_model: 16, n_heads: 2, n_layers: 1, d_ff: 32 }, LOCKED);
const tinyTrain = (over: Record<string, number> = {}) => parseTrainConfig({ steps: 40, batch_size: 4, warmup_steps: 5, lr: 1e-2, min_lr: 1e-3, ...over });
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe("trainer", () => {
  it("a few hundred steps drive the loss down and teach some agreement", () => {
    const trainer = new Trainer(new MiniGPT(TINY), tinyTrain({ steps: 300, batch_size: 8, lr: 1e-2 }));
    const val = validationSet(200, 77);
    const before = evaluate(trainer.model, val);
    const losses: number[] = [];
    while (!trainer.done) losses.push(trainer.trainStep().loss);
    const after = evaluate(trainer.model, val);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-20))).toBeLessThan(0.5 * mean(losses.slice(0, 20)));
    expect(after.loss).toBeLessThan(before.loss - 1);
    expect(after.agreement.accuracy).toBeGreaterThan(before.agreement.accuracy + 0.2);
  });
  it("every model family trains: LLaMA-style (RMSNorm, SwiGLU, GQA), NeoX-style (parallel, partial rotary), attention-only", () => {
    const families = [
      { d_model: 16, n_heads: 4, n_kv_heads: 2, n_layers: 1, d_ff: 32, norm_type: "rmsnorm", mlp_gated: true, activation: "silu", mlp_bias: false },
      { d_model: 16, n_heads: 2, n_layers: 1, d_ff: 32, parallel_attn_mlp: true, rotary_dim: 4, attn_bias: true, tied_embeddings: false },
      { d_model: 16, n_heads: 2, n_layers: 2, attn_only: true },
    ];
    for (const f of families) {
      const trainer = new Trainer(new MiniGPT(parseConfig(f, LOCKED)), tinyTrain({ steps: 120, batch_size: 8 }));
      const losses: number[] = [];
      while (!trainer.done) losses.push(trainer.trainStep().loss);
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-10)), JSON.stringify(f)).toBeLessThan(0.6 * mean(losses.slice(0, 10)));
    }
  });
  it("an interrupted run resumes bit-identical to an uninterrupted one", () => {
    const straight = new Trainer(new MiniGPT(TINY), tinyTrain({ steps: 12 }));
    while (!straight.done) straight.trainStep();
    const first = new Trainer(new MiniGPT(TINY), tinyTrain({ steps: 12 }));
    for (let i = 0; i < 7; i++) first.trainStep();
    const saved = first.save();
    const resumed = Trainer.restore(saved.checkpoint, saved.optimizer);
    expect(resumed.step).toBe(7);
    while (!resumed.done) resumed.trainStep();
    const a = straight.save(), b = resumed.save();
    expect(same(a.checkpoint, b.checkpoint)).toBe(true);
    expect(same(a.optimizer, b.optimizer)).toBe(true);
  });
  it("reusing a step's arrays changes no bit: eight steps on the WebAssembly kernels equal eight on fresh arrays, and the pool holds a few steps' arrays", () => {
    // Lengths vary from batch to batch (RoPE's tables sliced anew, arrays changing hands between
    // tensors), two micro-batches a step. The reference gets a new pool each step: nothing reused.
    setKernels(createWasmKernels());
    try {
      const config = tinyTrain({ steps: 8, grad_accum: 2 });
      const pooled = new Trainer(new MiniGPT(TINY), config), fresh = new Trainer(new MiniGPT(TINY), config);
      let madeFresh = 0, largestStep = 0;
      while (!pooled.done) {
        pooled.trainStep();
        (fresh as { buffers: BufferPool }).buffers = new BufferPool();
        fresh.trainStep();
        madeFresh += fresh.buffers.size;
        largestStep = Math.max(largestStep, fresh.buffers.values);
      }
      expect(same(pooled.save().checkpoint, fresh.save().checkpoint)).toBe(true);
      expect(same(pooled.save().optimizer, fresh.save().optimizer)).toBe(true);
      expect(pooled.buffers.size).toBeLessThan(madeFresh / 2); // most arrays reused
      expect(pooled.buffers.values).toBeLessThan(3 * largestStep); // what it holds: a few steps' worth at most
    } finally {
      setKernels(null);
    }
  });
  it("same seed and config give the same bytes; another data seed does not", () => {
    const run = (seed: number): Uint8Array => {
      const t = new Trainer(new MiniGPT(TINY), tinyTrain({ steps: 5, data_seed: seed }));
      while (!t.done) t.trainStep();
      return t.save().checkpoint;
    };
    expect(same(run(1), run(1))).toBe(true);
    expect(same(run(1), run(2))).toBe(false);
  });
  it("gradient accumulation and clipping: runs, and the reported norm is the unclipped one", () => {
    const t = new Trainer(new MiniGPT(TINY), tinyTrain({ grad_accum: 3, grad_clip: 1e-3 }));
    const info = t.trainStep();
    expect(info.gradNorm).toBeGreaterThan(1e-3);
    let sq = 0;
    for (const p of t.model.parameters()) for (const g of p.grad!.data) sq += g * g;
    expect(Math.sqrt(sq)).toBeCloseTo(1e-3, 6);
  });
  it("a NaN stops the step with a clear error and leaves the weights as they were", () => {
    const t = new Trainer(new MiniGPT(TINY), tinyTrain());
    t.trainStep();
    t.model.blocks[0]!.mlp!.W_out.data[3] = NaN;
    const before = t.model.parameters().map((p) => Array.from(p.data));
    expect(() => t.trainStep()).toThrow(TrainingError);
    expect(() => t.trainStep()).toThrow(/the loss is NaN at step 2/);
    t.model.parameters().forEach((p, i) => expect(Array.from(p.data)).toEqual(before[i]));
    expect(t.step).toBe(1);
  });
  it("the saved checkpoint is a valid SPEC checkpoint with the training state in metadata", () => {
    const t = new Trainer(new MiniGPT(TINY), tinyTrain());
    t.trainStep();
    const { checkpoint } = t.save({ optimizer: "opt.safetensors" });
    const loaded = loadCheckpoint(checkpoint);
    expect(loaded.config).toEqual(TINY);
    expect(loaded.metadata["step"]).toBe("1");
    expect(JSON.parse(loaded.metadata["train_state"]!)).toMatchObject({ step: 1, adam_t: 1 });
  });
  it("refuses optimizer state from another step", () => {
    const t = new Trainer(new MiniGPT(TINY), tinyTrain());
    t.trainStep();
    const one = t.save();
    t.trainStep();
    const two = t.save();
    expect(() => Trainer.restore(two.checkpoint, one.optimizer, "ck")).toThrow(/optimizer state is from step 1 but the checkpoint is at step 2/);
  });
  it("progress: the rate since the start (a resumed run's earlier steps not counted), the time left at it, and their short forms", () => {
    expect(rateAndEta(300, 2000, 10)).toEqual({ rate: 30, eta: 1700 / 30 });
    expect(rateAndEta(1300, 2000, 10, 1000)).toEqual({ rate: 30, eta: 700 / 30 }); // resumed at step 1000
    expect(rateAndEta(0, 2000, 10).eta).toBe(Infinity);
    expect(rateAndEta(2000, 2000, 10).eta).toBe(0);
    expect([formatDuration(56.7), formatDuration(3599), formatDuration(3 * 3600 + 5 * 60), formatDuration(Infinity)]).toEqual(["0:57", "59:59", "3h05m", "--:--"]);
    expect([formatRate(999.4), formatRate(14774)]).toEqual(["999", "14.8k"]);
  });
});
