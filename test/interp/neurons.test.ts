// MLP neurons at a position: the writes of all d_ff neurons plus b_out are the MLP's output there
// (summed here by hand from hook_post and W_out, against the cache's hook_mlp_out); the view keeps
// the longest writes, longest first; a neuron's direct token effects are its row of W_out against
// the unembedding, recomputed in float64; gated MLPs alike; an attention-only model has none.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { neuronsAt } from "../../src/interp/neurons.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { canonicalIds } from "../../src/train/tokenizer.js";

const shipped = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url)))).model;

/** Σₙ post[n]·W_out[n] + b_out at a position, in float64, against hook_mlp_out. */
function sumOfWrites(model: MiniGPT, layer: number, position: number, ids: number[]): { byHand: number[]; cached: number[] } {
  const { cache } = model.runWithCache(ids);
  const c = model.config, d = c.d_model, F = c.d_ff, mlp = model.blocks[layer]!.mlp!;
  const post = cache.get(`blocks.${layer}.mlp.hook_post`).data, out = cache.get(`blocks.${layer}.hook_mlp_out`).data;
  const byHand = Array.from({ length: d }, (_, j) => {
    let s = mlp.b_out === null ? 0 : mlp.b_out.data[j]!;
    for (let n = 0; n < F; n++) s += post[position * F + n]! * mlp.W_out.data[n * d + j]!;
    return s;
  });
  return { byHand, cached: Array.from(out.subarray(position * d, (position + 1) * d)) };
}

describe("MLP neurons", () => {
  it("the shipped model: the writes sum to the MLP's output; the strongest writers, longest first; their token effects", () => {
    const ids = canonicalIds(), c = shipped.config, d = c.d_model, V = c.vocab_size;
    for (const [layer, position] of [[0, 1], [1, 7]] as const) {
      const { byHand, cached } = sumOfWrites(shipped, layer, position, ids);
      byHand.forEach((v, j) => expect(v).toBeCloseTo(cached[j]!, 4));
      const { cache } = shipped.runWithCache(ids);
      const r = neuronsAt(shipped, cache, layer, position, { top: 10 });
      const post = cache.get(`blocks.${layer}.mlp.hook_post`).data.subarray(position * c.d_ff, (position + 1) * c.d_ff);
      const W = shipped.blocks[layer]!.mlp!.W_out.data;
      const writes = Array.from({ length: c.d_ff }, (_, n) => Math.hypot(...Array.from({ length: d }, (_, j) => post[n]! * W[n * d + j]!)));
      const best = [...writes].sort((a, b) => b - a).slice(0, 10);
      expect(r.neurons.map((n) => n.write)).toEqual(best.map((w) => expect.closeTo(w, 5)));
      for (const n of r.neurons) expect(n.activation).toBe(post[n.neuron]);
      expect(r.positive).toBe(Array.from(post).filter((x) => x > 0).length);
      // tied: the effect on token v is W_out[n]·W_E[v]
      const n0 = r.neurons[0]!, effect = Array.from({ length: V }, (_, v) => Array.from({ length: d }, (_, j) => W[n0.neuron * d + j]! * shipped.embed.W_E.data[v * d + j]!).reduce((a, b) => a + b, 0));
      const sorted = [...effect].sort((a, b) => b - a);
      expect(n0.up.map((x) => x.value)).toEqual(sorted.slice(0, 3).map((v) => expect.closeTo(v, 6)));
      expect(n0.down.map((x) => x.value)).toEqual(sorted.slice(-3).reverse().map((v) => expect.closeTo(v, 6)));
      for (const x of n0.up) expect(x.value).toBeCloseTo(effect[x.id]!, 6);
    }
  });
  it("a gated (SwiGLU, untied) model's writes sum to its MLP output too; an attention-only model has no neurons; bad blocks and positions are named", () => {
    const gated = new MiniGPT(parseConfig({ mlp_gated: true, activation: "silu", norm_type: "rmsnorm", attn_bias: false, mlp_bias: false, tied_embeddings: false, init_std: 0.3 }, LOCKED));
    const ids = [1, 5, 9, 2, 7];
    const { byHand, cached } = sumOfWrites(gated, 1, 3, ids);
    byHand.forEach((v, j) => expect(v).toBeCloseTo(cached[j]!, 4));
    const { cache } = gated.runWithCache(ids);
    const r = neuronsAt(gated, cache, 1, 3, { top: 4, tokens: 2 });
    expect(r.neurons).toHaveLength(4);
    expect(r.neurons[0]!.up).toHaveLength(2);
    // untied: the effect is W_out[n]·W_U[:, v]
    const n0 = r.neurons[0]!, d = 64, V = 64, U = gated.unembed!.W_U.data, W = gated.blocks[1]!.mlp!.W_out.data;
    const e = (v: number): number => Array.from({ length: d }, (_, j) => W[n0.neuron * d + j]! * U[j * V + v]!).reduce((a, b) => a + b, 0);
    for (const x of [...n0.up, ...n0.down]) expect(x.value).toBeCloseTo(e(x.id), 6);
    const attnOnly = new MiniGPT(parseConfig({ attn_only: true }, LOCKED));
    expect(() => neuronsAt(attnOnly, attnOnly.runWithCache(ids).cache, 0, 0)).toThrow(/block 0 has no MLP/);
    expect(() => neuronsAt(gated, cache, 2, 0)).toThrow(/block 2 does not exist: blocks run from 0 to 1/);
    expect(() => neuronsAt(gated, cache, 0, 5)).toThrow(/position 5 is outside the input: positions run from 0 to 4/);
  });
});
