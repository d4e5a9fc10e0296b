// The compiled inference session against the tensor forward (itself checked against the
// float64 reference): same logits within 1e-5 on the locked, trained and random configs.

import { readFileSync } from "node:fs";
import { parseConfig } from "../../src/model/config.js";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { InferenceSession } from "../../src/model/inference.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { noGrad, Rng } from "../../src/tensor/index.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { relativeError } from "../helpers.js";
import { randomConfig, randomIds } from "../random-configs.js";

/**
 * Biases (initialised to 0) made non-zero: every path that adds one — the products' own, the
 * parallel and post-LN blocks' row adds, the norms' — then shows in the logits.
 */
function randomBiases(model: MiniGPT, rng: Rng): void {
  for (const [name, t] of model.stateDict()) if (/\.b(_[A-Za-z]+)?$/.test(name)) for (let j = 0; j < t.data.length; j++) t.data[j] = 0.2 * rng.normal();
}

describe("InferenceSession", () => {
  it("matches the tensor forward on the locked and the shipped model, at every length", () => {
    const shipped = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url)))).model;
    for (const model of [new MiniGPT(LOCKED), shipped]) {
      const session = new InferenceSession(model);
      for (const T of [1, 3, 8, 32]) {
        const ids = Array.from({ length: T }, (_, i) => canonicalIds()[i % 8]!);
        expect(relativeError(session.forward(ids), noGrad(() => model.forward(ids)).data)).toBeLessThan(1e-5);
      }
    }
  });
  it("matches on 60 random configs covering every option (§1 and §8)", () => {
    const rng = new Rng(321);
    for (let i = 0; i < 60; i++) {
      const c = randomConfig(rng);
      const model = new MiniGPT(c);
      randomBiases(model, rng);
      const session = new InferenceSession(model);
      const ids = randomIds(c, rng);
      // 2e-5: a norm over 2 or 3 features (these configs reach d_model 2) amplifies float32 rounding
      expect(relativeError(session.forward(ids), noGrad(() => model.forward(ids)).data), JSON.stringify(c)).toBeLessThan(2e-5);
    }
  });
  it("is a snapshot, and refuses bad input like the model does", () => {
    const model = new MiniGPT(LOCKED);
    const session = new InferenceSession(model);
    const before = session.forward([1, 2, 3]);
    model.embed.W_E.data[2 * 64] += 1;
    expect(Array.from(session.forward([1, 2, 3]))).toEqual(Array.from(before));
    expect(() => session.forward(Array.from({ length: 33 }, () => 1))).toThrow(/33 tokens but context_len is 32/);
    expect(() => session.forward([1, 64])).toThrow(/token id 64 at position 1 is outside the vocabulary/);
    expect(() => session.forward([1, 2.5])).toThrow(/token id 2.5 at position 1/);
    expect(() => session.forward([])).toThrow(/the sequence is empty/);
  });
  it("matches on wider heads and longer sequences than the random configs reach (the attention kernel's paths)", () => {
    // d_head 7 (no vector path), 8 (four keys at a time), 20 and 36 (16-column chunks plus a tail), 64 (GPT-2's).
    // Both sides are float32 with different summation orders over up to 128-wide sums of large
    // (init_std 0.3) weights, so the bound is 3e-5; a wrong index or tail in the kernel errs by >1e-2.
    for (const [dh, positional] of [[7, "learned"], [8, "rope"], [20, "rope"], [36, "sinusoidal"], [64, "rope"]] as const) {
      const model = new MiniGPT(parseConfig({ d_model: 2 * dh, n_heads: 2, context_len: 40, positional, init_std: 0.3 }, LOCKED));
      const session = new InferenceSession(model);
      const ids = Array.from({ length: 40 }, (_, t) => (t * 11 + 3) % 64);
      expect(relativeError(session.forward(ids), noGrad(() => model.forward(ids)).data), `d_head ${dh}`).toBeLessThan(3e-5);
    }
  });
  it("append continues a held sequence (its KV cache): piecewise logits = the whole forward's", () => {
    const rng = new Rng(99);
    for (let i = 0; i < 20; i++) {
      const c = randomConfig(rng);
      const model = new MiniGPT(c);
      randomBiases(model, rng);
      const session = new InferenceSession(model);
      const ids = randomIds(c, rng);
      const cut1 = 1 + rng.int(ids.length), cut2 = cut1 + rng.int(ids.length - cut1 + 1);
      const parts = [session.forward(ids.slice(0, cut1)), session.append(ids.slice(cut1, cut2))];
      for (let t = cut2; t < ids.length; t++) parts.push(session.append([ids[t]!])); // one token at a time, as in decoding
      expect(session.length).toBe(ids.length);
      const got = new Float32Array(ids.length * c.vocab_size);
      let at = 0;
      for (const p of parts) (got.set(p, at), (at += p.length));
      expect(relativeError(got, noGrad(() => model.forward(ids)).data), JSON.stringify(c)).toBeLessThan(1e-5);
    }
  });
  it("refuses to append past the context, and starts over on reset", () => {
    const session = new InferenceSession(new MiniGPT(LOCKED));
    session.forward(Array.from({ length: 30 }, () => 1));
    expect(() => session.append([1, 2, 3])).toThrow(/33 tokens exceeds context_len 32 \(the session holds 30\)/);
    expect(() => session.append([99])).toThrow(/token id 99 at position 30/);
    expect(session.length).toBe(30);
    session.reset();
    expect(session.length).toBe(0);
    expect(Array.from(session.append([1, 2, 3]))).toEqual(Array.from(session.forward([1, 2, 3])));
  });
});
