// The KV cache against full recomputation, and the sampling distribution's filters.

import { parseConfig } from "../../src/model/config.js";
import { describe, expect, it } from "vitest";
import { drawFrom, generate, samplingDistribution } from "../../src/model/generate.js";
import { KVCache } from "../../src/model/kv-cache.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { noGrad, Rng } from "../../src/tensor/index.js";
import { relativeError } from "../helpers.js";
import { randomConfig, randomIds } from "../random-configs.js";

describe("KV cache", () => {
  it("logits at every step equal the full recompute within 1e-5 (random configs, every option)", () => {
    const rng = new Rng(11);
    for (let i = 0; i < 25; i++) {
      const c = randomConfig(rng);
      const model = new MiniGPT(c);
      const ids = randomIds(c, rng, c.context_len);
      const cache = new KVCache(c);
      const split = rng.int(ids.length); // a prompt of `split` tokens, then one at a time
      const steps = split > 0 ? [ids.slice(0, split), ...ids.slice(split).map((t) => [t])] : ids.map((t) => [t]);
      let seen = 0;
      for (const chunk of steps) {
        const inc = noGrad(() => model.forward(chunk, { kvCache: cache }));
        seen += chunk.length;
        const full = noGrad(() => model.forward(ids.slice(0, seen)));
        const V = c.vocab_size;
        expect(relativeError(inc.data, full.data.subarray((seen - chunk.length) * V))).toBeLessThan(1e-5);
      }
      expect(cache.length).toBe(ids.length);
    }
  });
  it("refuses to run past context_len, and reports its size", () => {
    const model = new MiniGPT(LOCKED);
    const cache = new KVCache(LOCKED);
    expect(cache.bytes).toBe(2 * 2 * 4 * 32 * 16 * 4);
    noGrad(() => model.forward(Array.from({ length: 30 }, () => 1), { kvCache: cache }));
    expect(() => noGrad(() => model.forward([1, 2, 3], { kvCache: cache }))).toThrow(/holds 30 tokens; 3 more would exceed context_len 32/);
  });
});

describe("sampling", () => {
  const logits = [1, 3, 2, 0, 2.5];
  it("temperature 0 is greedy", () => {
    expect(Array.from(samplingDistribution(logits, { temperature: 0 }))).toEqual([0, 1, 0, 0, 0]);
  });
  it("temperature 1 is the softmax", () => {
    const z = logits.reduce((s, x) => s + Math.exp(x), 0);
    expect(relativeError(samplingDistribution(logits), logits.map((x) => Math.exp(x) / z))).toBeLessThan(1e-12);
  });
  it("top-k keeps the k most likely, renormalised", () => {
    const p = samplingDistribution(logits, { topK: 2 });
    expect(p[3]).toBe(0);
    expect(p[0]).toBe(0);
    expect(p[2]).toBe(0);
    expect(p[1]! / p[4]!).toBeCloseTo(Math.exp(0.5), 10);
    expect(p[1]! + p[4]!).toBeCloseTo(1, 12);
  });
  it("top-p keeps the smallest set reaching p", () => {
    const soft = samplingDistribution(logits);
    const p = samplingDistribution(logits, { topP: soft[1]! + 0.01 }); // needs the top two
    expect(Array.from(p).filter((x) => x > 0)).toHaveLength(2);
    expect(samplingDistribution(logits, { topP: soft[1]! * 0.5 })[1]).toBe(1);
  });
  it("draws follow the distribution", () => {
    const rng = new Rng(3);
    const p = [0.1, 0.6, 0.3];
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[drawFrom(p, rng)]!++;
    counts.forEach((c, i) => expect(Math.abs(c / 20000 - p[i]!)).toBeLessThan(0.015));
  });
  it("bad options are refused", () => {
    expect(() => samplingDistribution(logits, { temperature: -1 })).toThrow(/temperature -1/);
    expect(() => samplingDistribution(logits, { topP: 0 })).toThrow(/top-p 0/);
    expect(() => samplingDistribution(logits, { topK: 1.5 })).toThrow(/top-k 1.5/);
  });
});

describe("generate", () => {
  const model = new MiniGPT(parseConfig({ init_std: 0.3 }, LOCKED));
  it("with and without the cache give the same tokens (same seed)", () => {
    const a = generate(model, [1, 20], { maxNew: 12, temperature: 0.9, topK: 10, seed: 4 });
    const b = generate(model, [1, 20], { maxNew: 12, temperature: 0.9, topK: 10, seed: 4, useCache: false });
    expect(a.ids).toEqual(b.ids);
    expect(a.generated).toHaveLength(12);
    expect(a.stop).toBe("max_new");
  });
  it("the compiled session engine gives the same tokens and probabilities as the tensor forward", () => {
    const rng = new Rng(8);
    for (const m of [model, ...Array.from({ length: 8 }, () => new MiniGPT({ ...randomConfig(rng), init_std: 0.3 }))]) {
      for (const options of [{ temperature: 0 }, { temperature: 0.8, topP: 0.9, seed: 3 }]) {
        const prompt = [1, 2].slice(0, m.config.context_len).map((id) => id % m.config.vocab_size);
        const maxNew = m.config.context_len - prompt.length;
        const a = generate(m, prompt, { maxNew, ...options });
        for (const useCache of [true, false]) {
          const b = generate(m, prompt, { maxNew, ...options, engine: "session", useCache });
          expect(b.ids).toEqual(a.ids);
          expect(relativeError(Float64Array.from(b.probabilities), Float64Array.from(a.probabilities))).toBeLessThan(1e-4);
        }
      }
    }
  });
  it("--slide goes past context_len from the last context_len tokens: each token the argmax of a fresh forward over that window, on either engine", () => {
    const small = new MiniGPT(parseConfig({ init_std: 0.3, context_len: 8, d_model: 16, n_heads: 2, d_ff: 32 }, LOCKED));
    const a = generate(small, [1, 20, 5], { maxNew: 30, temperature: 0, slide: true });
    expect(a.ids).toHaveLength(33);
    expect(a.stop).toBe("max_new");
    for (let t = 8; t < a.ids.length; t++) { // the tokens after the context filled
      const logits = noGrad(() => small.forward(a.ids.slice(t - 8, t))).data.subarray(7 * 64);
      expect(a.ids[t]).toBe(logits.indexOf(Math.max(...logits)));
    }
    expect(generate(small, [1, 20, 5], { maxNew: 30, temperature: 0, slide: true, engine: "session" }).ids).toEqual(a.ids);
    expect(generate(small, [1, 20, 5], { maxNew: 30, temperature: 0.9, seed: 2, slide: true, useCache: false }).ids).toEqual(generate(small, [1, 20, 5], { maxNew: 30, temperature: 0.9, seed: 2, slide: true }).ids);
    expect(generate(small, [1, 20, 5], { maxNew: 30, temperature: 0 }).stop).toBe("context_len"); // without it: stops
  });
  it("is seeded: same seed, same tokens; another seed, other tokens", () => {
    const a = generate(model, [1], { maxNew: 20, seed: 1 });
    expect(generate(model, [1], { maxNew: 20, seed: 1 }).ids).toEqual(a.ids);
    expect(generate(model, [1], { maxNew: 20, seed: 2 }).ids).not.toEqual(a.ids);
  });
  it("stops at a stop token and at the context length", () => {
    const greedy = generate(model, [1], { maxNew: 5, temperature: 0 });
    const first = greedy.generated[0]!;
    expect(generate(model, [1], { maxNew: 5, temperature: 0, stopAt: [first] })).toMatchObject({ generated: [first], stop: "stop_token" });
    const long = generate(model, Array.from({ length: 30 }, () => 1), { maxNew: 10 });
    expect(long.stop).toBe("context_len");
    expect(long.ids).toHaveLength(32);
  });
  it("a prompt longer than the context is a clear error", () => {
    expect(() => generate(model, Array.from({ length: 40 }, () => 1), { maxNew: 1 })).toThrow(/prompt has 40 tokens but context_len is 32/);
  });
});
