// The shape trace, the toy block, and the causality perturbation check (which must be able to fail).

import { describe, expect, it } from "vitest";
import { causalityCheck } from "../../src/interp/causality.js";
import { toyModel, TOY_TOKENS, traceForward } from "../../src/interp/trace.js";
import { hookNames } from "../../src/model/hooks.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { referenceForward } from "../../src/reference/forward64.js";
import { Rng } from "../../src/tensor/index.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { relativeError } from "../helpers.js";
import { randomConfig, randomIds } from "../random-configs.js";

describe("shape trace", () => {
  it("lists every hook with the course's shapes for the canonical sequence", () => {
    const rows = traceForward(new MiniGPT(LOCKED), canonicalIds());
    expect(rows.map((r) => r.name)).toEqual(hookNames(LOCKED));
    const shape = (n: string): readonly number[] => rows.find((r) => r.name === n)!.shape;
    expect(shape("hook_embed")).toEqual([1, 8, 64]);
    expect(shape("blocks.0.attn.hook_q")).toEqual([1, 4, 8, 16]);
    expect(shape("blocks.0.attn.hook_pattern")).toEqual([1, 4, 8, 8]);
    expect(shape("blocks.1.mlp.hook_post")).toEqual([1, 8, 256]);
    expect(shape("hook_logits")).toEqual([1, 8, 64]);
    expect(rows.every((r) => r.what.length > 0)).toBe(true);
  });
});

describe("block by hand (toy)", () => {
  it("has one-decimal weights and values that match the float64 reference", () => {
    const model = toyModel();
    for (const [name, t] of model.namedParameters()) {
      if (name.split(".").pop()!.startsWith("W_")) for (const v of t.data) expect(Math.abs(v * 10 - Math.round(v * 10))).toBeLessThan(1e-5);
    }
    const rows = traceForward(model, TOY_TOKENS, { withValues: true });
    const logits = (rows.at(-1)!.values as number[][][]).flat(2);
    const ref = referenceForward(model.config, new Map([...model.stateDict()].map(([k, t]) => [k, t.data])), TOY_TOKENS);
    expect(relativeError(logits, ref.logits.flat())).toBeLessThan(1e-5);
    expect(model.config.d_model).toBe(4);
    expect(model.config.n_layers).toBe(1);
  });
});

describe("causality perturbation", () => {
  it("with the mask: earlier logits move by exactly 0, later ones move", () => {
    const report = causalityCheck(new MiniGPT(LOCKED), canonicalIds());
    expect(report.holds).toBe(true);
    expect(report.rows.every((r) => r.maxBefore === 0 && r.maxAtOrAfter > 0)).toBe(true);
  });
  it("in encoder mode the same check finds leakage: it can fail", () => {
    const report = causalityCheck(new MiniGPT(LOCKED), canonicalIds(), { causal: false });
    expect(report.holds).toBe(false);
    expect(report.rows.slice(1).every((r) => r.maxBefore > 0)).toBe(true);
  });
  it("holds on random configs (every positional, post-LN, biases)", () => {
    const rng = new Rng(5);
    for (let i = 0; i < 20; i++) {
      const c = randomConfig(rng);
      if (c.n_layers === 0) continue;
      const report = causalityCheck(new MiniGPT(c), randomIds(c, rng, c.context_len));
      expect(report.rows.every((r) => r.maxBefore === 0)).toBe(true);
    }
  });
});
