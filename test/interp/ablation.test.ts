// Ablation through the hook points, against weight surgery on a copy of the model: zeroing a
// head's z is zeroing its rows of W_O; replacing z by its mean is zeroing those rows and adding
// mean·W_O[h] to b_O; zeroing an MLP's output is zeroing W_out and b_out; its mean is W_out = 0 and
// b_out = the mean output. Then the induction model: its previous-token head is what it needs most.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ablationScan, meanLoss } from "../../src/interp/ablation.js";
import { headScores } from "../../src/interp/heads.js";
import { loadCheckpoint, saveCheckpoint } from "../../src/io/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { Rng } from "../../src/tensor/index.js";
import { halfLength, inductionSet, WORDS } from "../../src/train/induction.js";
import { BOS } from "../../src/train/vocab.js";

const copy = (m: MiniGPT): MiniGPT => loadCheckpoint(saveCheckpoint(m)).model;
const rng = new Rng(5);
const model = new MiniGPT(parseConfig({ attn_bias: true, n_layers: 2 }, LOCKED, "test"), { seed: 3 });
const sequences = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 + i }, () => rng.int(64)));

/** Mean over every position of the sequences of a hook's rows ([d] per row of width d, for head h of a [1, H, T, dh] z). */
function meanOf(hook: string, head: number | null): Float64Array {
  let sum: Float64Array | null = null, n = 0;
  for (const ids of sequences) {
    const { cache } = model.runWithCache(ids.slice(0, -1));
    const t = cache.get(hook as Parameters<typeof cache.get>[0]);
    const [T, w] = head === null ? [t.shape[1]!, t.shape[2]!] : [t.shape[2]!, t.shape[3]!];
    sum ??= new Float64Array(w);
    for (let p = 0; p < T; p++) for (let e = 0; e < w; e++) sum[e]! += t.data[(head === null ? 0 : head * T * w) + p * w + e]!;
    n += T;
  }
  return sum!.map((x) => x / n);
}

describe("ablation", () => {
  const zero = ablationScan(model, sequences, { kind: "zero" }), mean = ablationScan(model, sequences, { kind: "mean" });

  it("lists every head, then every MLP; the clean loss is the model's own", () => {
    expect(zero.components.map((c) => c.name)).toEqual(["0.0", "0.1", "0.2", "0.3", "1.0", "1.1", "1.2", "1.3", "mlp 0", "mlp 1"]);
    expect(zero.clean).toBeCloseTo(meanLoss(model, sequences).loss, 10);
    expect(zero.predictions).toBe(sequences.reduce((s, x) => s + x.length - 1, 0));
  });

  it("a head zeroed: the loss of a copy whose rows of W_O for that head are 0", () => {
    for (const [layer, head] of [[0, 1], [1, 3]] as const) {
      const m = copy(model), a = m.blocks[layer]!.attn, dh = a.W_O.shape[1]!, d = a.W_O.shape[2]!;
      a.W_O.data.fill(0, head * dh * d, (head + 1) * dh * d);
      const c = zero.components.find((x) => x.name === `${layer}.${head}`)!;
      expect(c.loss).toBeCloseTo(meanLoss(m, sequences).loss, 5);
      expect(c.delta).toBeCloseTo(c.loss - zero.clean, 12);
    }
  });

  it("a head replaced by its mean: rows of W_O zeroed and mean(z)·W_O[h] added to b_O", () => {
    const [layer, head] = [1, 2];
    const z = meanOf(`blocks.${layer}.attn.hook_z`, head);
    const m = copy(model), a = m.blocks[layer]!.attn, dh = a.W_O.shape[1]!, d = a.W_O.shape[2]!;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let e = 0; e < dh; e++) s += z[e]! * a.W_O.data[(head * dh + e) * d + j]!;
      a.b_O!.data[j]! += s;
    }
    a.W_O.data.fill(0, head * dh * d, (head + 1) * dh * d);
    expect(mean.components.find((x) => x.name === `${layer}.${head}`)!.loss).toBeCloseTo(meanLoss(m, sequences).loss, 5);
  });

  it("an MLP zeroed: W_out and b_out 0; replaced by its mean: W_out 0 and b_out the mean output", () => {
    const zeroed = copy(model), mlp = zeroed.blocks[0]!.mlp!;
    mlp.W_out.data.fill(0);
    mlp.b_out!.data.fill(0);
    expect(zero.components.find((x) => x.name === "mlp 0")!.loss).toBeCloseTo(meanLoss(zeroed, sequences).loss, 5);
    const avg = meanOf("blocks.1.hook_mlp_out", null);
    const meaned = copy(model), mlp1 = meaned.blocks[1]!.mlp!;
    mlp1.W_out.data.fill(0);
    mlp1.b_out!.data.set(avg);
    expect(mean.components.find((x) => x.name === "mlp 1")!.loss).toBeCloseTo(meanLoss(meaned, sequences).loss, 5);
  });

  it("the induction model needs its strongest previous-token head most, and an induction head next among block 1's", () => {
    const induction = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/induction.safetensors", import.meta.url)))).model;
    const data = inductionSet(32, halfLength(32), 77);
    const r = ablationScan(induction, data);
    const { scores } = headScores(induction, { pool: WORDS, prefix: [BOS] });
    const prev = scores.previous_token[0]!.indexOf(Math.max(...scores.previous_token[0]!));
    const ranked = [...r.components].sort((a, b) => b.delta - a.delta);
    expect(ranked[0]!.name).toBe(`0.${prev}`);
    const block1 = ranked.filter((c) => c.layer === 1)[0]!;
    expect(scores.induction[1]![block1.head!]).toBeGreaterThan(0.5);
    expect(ranked[0]!.delta).toBeGreaterThan(0.3);
    expect(() => ablationScan(induction, [[5]])).toThrow(/at least two tokens/);
  });
});
