// Steering against weight surgery run through the float64 reference forward: adding s·v at every
// position of block 0's MLP output (or block 1's input, the same stream) is adding s·v to block 0's
// b_out. The contrast against the reference's own stream; generation with the steering, cached and
// not, against a greedy loop over the reference; an SAE feature's direction against its decoder
// row; and the shipped model, where "hoy" − "ayer" turns the past tense into the present.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSae, trainSae, collectActivations } from "../../src/interp/sae.js";
import { activationAt, contrastVector, featureDirection, featureSteering, meanActivationNorm, nextTokenProbabilities, steerableHooks, steeringEffect, steeringHooks, steeringSweep } from "../../src/interp/steering.js";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { generate } from "../../src/model/generate.js";
import type { HookName } from "../../src/model/hooks.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { referenceForward } from "../../src/reference/forward64.js";
import { Rng } from "../../src/tensor/index.js";
import { tokenizerFor } from "../../src/train/hf-tokenizer.js";

const model = new MiniGPT(parseConfig({ n_layers: 2, context_len: 16 }, LOCKED, "test"), { seed: 11 });
const rng = new Rng(4);
const ids = Array.from({ length: 7 }, () => rng.int(64));
const vector = Float64Array.from({ length: 64 }, () => rng.normal());
const scale = 0.7;

/** The model's weights as float64 arrays, block 0's b_out moved by `add`. */
function weights(add: Float64Array | null): Map<string, Float64Array> {
  const w = new Map([...model.stateDict()].map(([k, t]) => [k, Float64Array.from(t.data)]));
  if (add !== null) w.set("blocks.0.mlp.b_out", w.get("blocks.0.mlp.b_out")!.map((x, e) => x + add[e]!));
  return w;
}
const shifted = weights(vector.map((x) => scale * x));

function softmax(row: readonly number[]): number[] {
  const m = Math.max(...row), e = row.map((x) => Math.exp(x - m)), z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

describe("steering", () => {
  it("adding s·v to block 0's MLP output or block 1's input is adding it to b_out (the float64 reference)", () => {
    const want = softmax(referenceForward(model.config, shifted, ids).logits.at(-1)!);
    const plain = softmax(referenceForward(model.config, weights(null), ids).logits.at(-1)!);
    for (const hook of ["blocks.0.hook_mlp_out", "blocks.1.hook_resid_pre"] as HookName[]) {
      const got = nextTokenProbabilities(model, ids, [{ hook, vector, scale }]);
      for (let i = 0; i < 64; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
    }
    // and the surgery moved the prediction: the test can tell steering from none
    expect(Math.max(...want.map((p, i) => Math.abs(p - plain[i]!)))).toBeGreaterThan(0.01);
  });

  it("steers only the hook points that hold the stream or add to it", () => {
    expect(steerableHooks(model)).toEqual(["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_resid_mid", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post",
      "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"]);
    expect(() => steeringEffect(model, ids, { hook: "blocks.0.attn.hook_z", vector, scale })).toThrow(/cannot steer at "blocks.0.attn.hook_z".*hook_resid_pre/);
    expect(() => nextTokenProbabilities(model, ids, [{ hook: "blocks.0.hook_resid_pre", vector: vector.subarray(0, 10), scale }])).toThrow(/a vector of 10 for activations of width 64/);
    expect(() => contrastVector(model, [], ids, "blocks.0.hook_resid_pre")).toThrow(/two non-empty inputs/);
  });

  it("the contrast is the difference of the reference's stream, at the last positions or averaged", () => {
    const a = [1, 5, 9, 2], b = [1, 7, 3];
    const ra = referenceForward(model.config, weights(null), a).resid[1]!, rb = referenceForward(model.config, weights(null), b).resid[1]!;
    const last = contrastVector(model, a, b, "blocks.1.hook_resid_pre");
    const mean = contrastVector(model, a, b, "blocks.1.hook_resid_pre", "mean");
    for (let e = 0; e < 64; e++) {
      expect(last[e]).toBeCloseTo(ra.at(-1)![e]! - rb.at(-1)![e]!, 4);
      expect(mean[e]).toBeCloseTo(ra.reduce((s, r) => s + r[e]!, 0) / a.length - rb.reduce((s, r) => s + r[e]!, 0) / b.length, 4);
    }
    expect(activationAt(model, a, "blocks.1.hook_resid_pre", "mean")[3]).toBeCloseTo(ra.reduce((s, r) => s + r[3]!, 0) / a.length, 4);
  });

  it("a steered greedy continuation, with the KV cache and without, is the reference's on the moved weights", () => {
    const hooks = steeringHooks([{ hook: "blocks.1.hook_resid_pre", vector, scale }]);
    const seq = [...ids];
    for (let i = 0; i < 6; i++) {
      const row = referenceForward(model.config, shifted, seq).logits.at(-1)!;
      seq.push(row.indexOf(Math.max(...row)));
    }
    const want = seq.slice(ids.length);
    expect(generate(model, ids, { maxNew: 6, temperature: 0, hooks }).generated).toEqual(want);
    expect(generate(model, ids, { maxNew: 6, temperature: 0, hooks, useCache: false }).generated).toEqual(want);
    expect(generate(model, ids, { maxNew: 6, temperature: 0 }).generated).not.toEqual(want); // the steering changed it
    expect(() => generate(model, ids, { maxNew: 2, engine: "session", hooks })).toThrow(/tensor engine only/);
  });

  it("reports the shift: KL against an independent sum, the raised and lowered tokens, the norms", () => {
    const e = steeringEffect(model, ids, { hook: "blocks.1.hook_resid_pre", vector, scale });
    const p = softmax(referenceForward(model.config, weights(null), ids).logits.at(-1)!), q = softmax(referenceForward(model.config, shifted, ids).logits.at(-1)!);
    expect(e.kl).toBeCloseTo(q.reduce((s, qi, i) => s + qi * Math.log(qi / p[i]!), 0), 4);
    expect(e.addedNorm).toBeCloseTo(scale * Math.hypot(...vector), 9);
    const resid = referenceForward(model.config, weights(null), ids).resid[1]!;
    expect(e.activationNorm).toBeCloseTo(resid.reduce((s, r) => s + Math.hypot(...r), 0) / ids.length, 3);
    const delta = (i: number): number => Math.log(q[i]!) - Math.log(p[i]!);
    expect(e.raised.length).toBeGreaterThan(0);
    for (const s of e.raised) expect(s.delta).toBeCloseTo(delta(s.id), 4);
    for (const s of e.lowered) expect(s.delta).toBeLessThan(0);
    const likely = [...p.keys()].filter((i) => p[i]! >= 0.01 || q[i]! >= 0.01);
    expect(e.raised[0]!.id).toBe(likely.reduce((b, i) => (delta(i) > delta(b) ? i : b)));
    const none = steeringEffect(model, ids, { hook: "blocks.1.hook_resid_pre", vector, scale: 0 });
    expect(none.kl).toBe(0);
    expect([...none.raised, ...none.lowered]).toEqual([]);
  });

  it("sweeps the scale: scale 0 is the model as it is, each point its own steered forward", () => {
    const sweep = steeringSweep(model, ids, "blocks.1.hook_resid_pre", vector, [0, scale], [5]);
    const p = softmax(referenceForward(model.config, weights(null), ids).logits.at(-1)!), q = softmax(referenceForward(model.config, shifted, ids).logits.at(-1)!);
    expect(sweep[0]!.top).toBe(p.indexOf(Math.max(...p)));
    expect(sweep[1]!.top).toBe(q.indexOf(Math.max(...q)));
    expect(sweep[1]!.p).toBeCloseTo(Math.max(...q), 5);
    expect(sweep[1]!.watched[0]).toBeCloseTo(q[5]!, 5);
  });

  it("an SAE feature's direction is its decoder row at length 1", () => {
    const data = collectActivations(model, "blocks.1.hook_resid_pre", [ids, [3, 4, 5, 6, 7, 8]]);
    const { sae } = trainSae(data, 64, { latents: 16, steps: 5, seed: 1 }, { hook: "blocks.1.hook_resid_pre", modelConfig: model.config });
    const d = featureDirection(sae, 3);
    expect(Math.hypot(...d)).toBeCloseTo(1, 12);
    const row = sae.W_dec.data.subarray(3 * 64, 4 * 64);
    for (let e = 0; e < 64; e++) expect(d[e]! * Math.hypot(...row)).toBeCloseTo(row[e]!, 6);
    expect(() => featureDirection(sae, 16)).toThrow(/latents 0 to 15/);
    // as a steering: by default a quarter of the stream's mean length there (the reference's own stream)
    const resid = referenceForward(model.config, weights(null), ids).resid[1]!;
    const f = featureSteering(model, sae, 3, ids);
    expect(f.hook).toBe("blocks.1.hook_resid_pre");
    expect(f.scale).toBeCloseTo(resid.reduce((t, r) => t + Math.hypot(...r), 0) / ids.length / 4, 3);
    expect(featureSteering(model, sae, 3, ids, 7).scale).toBe(7);
    expect(() => meanActivationNorm(model, ids, "blocks.0.attn.hook_z")).toThrow(/cannot steer at/);
  });
});

describe("steering the other block shapes", () => {
  it("a parallel block with GQA, RMSNorm and a gated MLP: its stream hooks, and s·v at block 0's MLP output is its b_out moved (the float64 reference)", () => {
    const c = parseConfig({ n_layers: 2, parallel_attn_mlp: true, n_kv_heads: 2, norm_type: "rmsnorm", mlp_gated: true, activation: "silu", context_len: 16 }, LOCKED, "test");
    const m = new MiniGPT(c, { seed: 5 });
    expect(steerableHooks(m)).toEqual(["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_mlp_out", "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post"]);
    expect(() => contrastVector(m, [1, 2], [1, 3], "blocks.0.hook_resid_mid" as HookName)).toThrow(/cannot steer at "blocks.0.hook_resid_mid"/);
    const w = new Map([...m.stateDict()].map(([k, t]) => [k, Float64Array.from(t.data)]));
    w.set("blocks.0.mlp.b_out", w.get("blocks.0.mlp.b_out")!.map((x, e) => x + scale * vector[e]!));
    const want = softmax(referenceForward(c, w, ids).logits.at(-1)!);
    const got = nextTokenProbabilities(m, ids, [{ hook: "blocks.0.hook_mlp_out", vector, scale }]);
    for (let i = 0; i < 64; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
  });
  it("an attention-only model steers its stream and attention outputs only", () => {
    const m = new MiniGPT(parseConfig({ n_layers: 2, attn_only: true }, LOCKED, "test"), { seed: 1 });
    expect(steerableHooks(m)).toEqual(["blocks.0.hook_resid_pre", "blocks.0.hook_attn_out", "blocks.0.hook_resid_post", "blocks.1.hook_resid_pre", "blocks.1.hook_attn_out", "blocks.1.hook_resid_post"]);
    const v = contrastVector(m, [1, 9], [1, 10], "blocks.1.hook_resid_pre");
    expect(steeringEffect(m, ids, { hook: "blocks.1.hook_resid_pre", vector: v, scale: 3 }).kl).toBeGreaterThan(0);
  });
});

describe("steering the shipped model", () => {
  const { model: shipped, metadata } = loadCheckpoint(new Uint8Array(readFileSync("checkpoints/minigpt.safetensors")));
  const tok = tokenizerFor(metadata, 64);
  const id = (w: string): number => tok.id(w);

  it('"hoy" − "ayer" at block 1\'s input turns "ayer , ellos" from the past to the present', () => {
    const v = contrastVector(shipped, tok.encode("<bos> hoy"), tok.encode("<bos> ayer"), "blocks.1.hook_resid_pre");
    const prompt = tok.encode("<bos> ayer , ellos");
    const [before, after] = steeringSweep(shipped, prompt, "blocks.1.hook_resid_pre", v, [0, 2], [id("caminaron"), id("caminan")]);
    expect(before!.watched[0]).toBeGreaterThan(0.2); // caminaron
    expect(before!.watched[1]).toBeLessThan(0.01); // caminan
    expect(after!.watched[0]).toBeLessThan(0.01);
    expect(after!.watched[1]).toBeGreaterThan(0.3);
    expect(after!.top).toBe(id("caminan"));
  });

  it("the shipped SAE's feature #3 (a clause's verb is done) pushes the full stop", () => {
    const sae = loadSae(new Uint8Array(readFileSync("checkpoints/minigpt-sae.safetensors")), shipped);
    const prompt = tok.encode("<bos> ayer , ellos");
    const e = steeringEffect(shipped, prompt, { hook: sae.hook as HookName, vector: featureDirection(sae, 3), scale: 20 });
    expect(e.after[id(".")]!).toBeGreaterThan(0.5);
    expect(e.before[id(".")]!).toBeLessThan(0.05);
  });
});
