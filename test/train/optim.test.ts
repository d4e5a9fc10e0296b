// AdamW against a hand computation, and the learning-rate schedule.

import { describe, expect, it } from "vitest";
import { AdamW, isDecayed } from "../../src/nn/adamw.js";
import { ops } from "../../src/tensor/index.js";
import { learningRate } from "../../src/train/schedule.js";
import { parseTrainConfig } from "../../src/train/train-config.js";

describe("AdamW", () => {
  it("two steps match the update written out by hand, with decay only in the decay group", () => {
    const w = ops.tensor([1, -2], [2], "f64");
    const b = ops.tensor([0.5], [1], "f64");
    const opt = new AdamW([["blocks.0.mlp.W_in", w], ["blocks.0.mlp.b_in", b]], { beta1: 0.9, beta2: 0.99, eps: 1e-8, weight_decay: 0.1 }, isDecayed);
    const grads = [[0.3, -0.4, 2], [0.1, 0.2, -1]];
    // by hand
    let pw = [1, -2], pb = 0.5;
    const mw = [0, 0], vw = [0, 0];
    let mb = 0, vb = 0;
    grads.forEach(([g0, g1, g2], t) => {
      w.grad = ops.tensor([g0!, g1!], [2], "f64");
      b.grad = ops.tensor([g2!], [1], "f64");
      opt.step(0.01);
      const c1 = 1 - 0.9 ** (t + 1), c2 = 1 - 0.99 ** (t + 1);
      pw = pw.map((p, i) => {
        const g = [g0!, g1!][i]!;
        mw[i] = 0.9 * mw[i]! + 0.1 * g;
        vw[i] = 0.99 * vw[i]! + 0.01 * g * g;
        return p * (1 - 0.01 * 0.1) - (0.01 * (mw[i]! / c1)) / (Math.sqrt(vw[i]! / c2) + 1e-8);
      });
      mb = 0.9 * mb + 0.1 * g2!;
      vb = 0.99 * vb + 0.01 * g2! * g2!;
      pb = pb - (0.01 * (mb / c1)) / (Math.sqrt(vb / c2) + 1e-8);
    });
    expect(Array.from(w.data).map((x, i) => Math.abs(x - pw[i]!))).toEqual([expect.any(Number), expect.any(Number)]);
    for (let i = 0; i < 2; i++) expect(w.data[i]).toBeCloseTo(pw[i]!, 14);
    expect(b.data[0]).toBeCloseTo(pb, 14);
  });
  it("decays weight matrices and embeddings, not LayerNorm or biases", () => {
    expect(["embed.W_E", "blocks.1.attn.W_O", "pos_embed.W_pos", "unembed.W_U"].every(isDecayed)).toBe(true);
    expect(["blocks.0.ln1.w", "ln_final.b", "blocks.0.attn.b_Q", "blocks.0.mlp.b_out"].some(isDecayed)).toBe(false);
  });
});

describe("schedule", () => {
  const s = { lr: 1e-3, min_lr: 1e-4, warmup_steps: 10, steps: 110 };
  it("warms up linearly, peaks, decays by cosine to the floor", () => {
    expect(learningRate(0, s)).toBeCloseTo(1e-4, 15);
    expect(learningRate(4, s)).toBeCloseTo(5e-4, 15);
    expect(learningRate(9, s)).toBeCloseTo(1e-3, 15);
    expect(learningRate(10, s)).toBeCloseTo(1e-3, 15);
    expect(learningRate(60, s)).toBeCloseTo(5.5e-4, 15); // halfway: the mean of peak and floor
    expect(learningRate(110, s)).toBe(1e-4);
    for (let t = 11; t < 110; t++) expect(learningRate(t, s)).toBeLessThan(learningRate(t - 1, s));
  });
  it("the training config is validated like the model config", () => {
    expect(() => parseTrainConfig({ lr: -1 })).toThrow(/lr = -1 is not allowed; expected a positive number/);
    expect(() => parseTrainConfig({ batch: 8 })).toThrow(/unknown key "batch"/);
    expect(() => parseTrainConfig({ lr: 1e-4, min_lr: 1e-3 })).toThrow(/min_lr = 0.001 is above lr = 0.0001/);
    expect(() => parseTrainConfig({ beta2: 1 })).toThrow(/beta2 = 1 is not allowed; expected a number in \[0, 1\)/);
  });
});
