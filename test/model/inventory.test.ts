// The parameter inventory: real tensors counted against SPEC §2's formula, written out here by hand.

import { describe, expect, it } from "vitest";
import { inventory, formulaCount } from "../../src/model/inventory.js";
import { GPT2_SMALL, LOCKED } from "../../src/model/presets.js";
import { Rng } from "../../src/tensor/index.js";
import { randomConfig } from "../random-configs.js";
import type { ModelConfig } from "../../src/model/config.js";

/** SPEC §2 typed out independently of src/model/inventory.ts. */
function specFormula(c: ModelConfig): number {
  const d = c.d_model, V = c.vocab_size, L = c.n_layers, F = c.d_ff, T = c.context_len;
  const block = 2 * d + 4 * d * d + (c.attn_bias ? 4 * d : 0) + 2 * d + 2 * d * F + (c.mlp_bias ? F + d : 0);
  return V * d + (c.positional === "learned" ? T * d : 0) + L * block + (c.norm === "pre" ? 2 * d : 0) + (c.tied_embeddings ? 0 : V * d);
}

describe("parameter inventory", () => {
  it("locked config: 103,680 = 4,096 + 2 × 49,728 + 128", () => {
    const inv = inventory(LOCKED);
    expect(inv.total).toBe(103_680);
    expect(inv.formula).toBe(103_680);
    expect(inv.terms.map((t) => t.count)).toEqual([4_096, 99_456, 128]);
    expect(inv.rows).toHaveLength(27);
    expect(inv.rows.find((r) => r.name === "blocks.1.attn.W_O")).toEqual({ name: "blocks.1.attn.W_O", shape: [4, 16, 64], count: 4096, group: "blocks.1.attn" });
    expect(inv.groups.map((g) => g.group)).toEqual(["embed", "blocks.0.ln", "blocks.0.attn", "blocks.0.mlp", "blocks.1.ln", "blocks.1.attn", "blocks.1.mlp", "ln_final"]);
    expect(inv.groups.reduce((s, g) => s + g.count, 0)).toBe(inv.total);
  });
  it("GPT-2 small: 124,439,808", () => {
    expect(formulaCount(GPT2_SMALL)).toBe(124_439_808);
    expect(specFormula(GPT2_SMALL)).toBe(124_439_808);
    expect(inventory(GPT2_SMALL).total).toBe(124_439_808);
  });
  it("200 random valid configs: counted = formula = SPEC written by hand", () => {
    const rng = new Rng(31);
    for (let i = 0; i < 200; i++) {
      const c = randomConfig(rng);
      const inv = inventory(c);
      expect(inv.total).toBe(specFormula(c));
      expect(inv.formula).toBe(inv.total);
      expect(inv.rows.reduce((s, r) => s + r.count, 0)).toBe(inv.total);
      expect(inv.rows.some((r) => r.name === "unembed.W_U")).toBe(!c.tied_embeddings);
      expect(inv.rows.some((r) => r.name === "pos_embed.W_pos")).toBe(c.positional === "learned");
      expect(inv.rows.some((r) => r.name === "ln_final.w")).toBe(c.norm === "pre");
    }
  });
});
