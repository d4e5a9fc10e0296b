// The interpretability tools against their definitions, on random configs.

import { describe, expect, it } from "vitest";
import { directLogitAttribution } from "../../src/interp/attribution.js";
import { bandwidth } from "../../src/interp/bandwidth.js";
import { blockBudget, blockBudgetAt, logitLens } from "../../src/interp/lens.js";
import { orthonormalBasis, principalAngles, symmetricEigenvalues } from "../../src/interp/linalg.js";
import { patchHeads, patchResidual } from "../../src/interp/patching.js";
import { attentionPattern, headsAttendingTo, strongestKeys } from "../../src/interp/patterns.js";
import { accumulatedResid, decompose, stateAfterBlocks, streamStates } from "../../src/interp/stream.js";
import { arrayOf, topK, vectorAt } from "../../src/interp/vectors.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { createWasmKernels, jsKernels, kernels, noGrad, Rng, setKernels, Tensor } from "../../src/tensor/index.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { relativeError } from "../helpers.js";
import { randomConfig, randomIds } from "../random-configs.js";

const rng = new Rng(404);
const preLN = (): ReturnType<typeof randomConfig> => {
  for (;;) {
    const c = randomConfig(rng);
    if (c.norm === "pre" && c.n_layers > 0) return parseConfig({ ...c, init_std: 0.5 }, null);
  }
};

describe("topK", () => {
  it("the k largest, largest first, ties by index, NaN last — one pass for a few of many, a sort for many; the same as sorting everything", () => {
    const r = new Rng(7);
    /** What topK promises, the slow way: every entry sorted (NaN as −∞), then the first k. */
    const bySort = (xs: number[], k: number): { id: number; value: number }[] => {
      const rank = (x: number): number => (Number.isNaN(x) ? -Infinity : x);
      return xs.map((value, id) => ({ id, value })).sort((a, b) => (rank(b.value) === rank(a.value) ? a.id - b.id : rank(b.value) > rank(a.value) ? 1 : -1)).slice(0, Math.max(0, k));
    };
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(r.uniform() * 200);
      // few distinct values, so ties are common; now and then NaN and ±∞
      const xs = Array.from({ length: n }, () => { const u = r.uniform(); return u < 0.03 ? NaN : u < 0.05 ? Infinity : u < 0.07 ? -Infinity : Math.floor(r.uniform() * 12) - 6; });
      for (const k of [0, 1, 3, 5, Math.floor(n / 8), Math.floor(n / 2), n, n + 4]) expect(topK(Float32Array.from(xs), k), `n ${n} k ${k}`).toEqual(bySort(Array.from(Float32Array.from(xs)), k));
    }
  });
});

describe("residual-stream decomposition", () => {
  it("sources sum to the cached stream at every state and position (random Pre-LN configs, per head too)", () => {
    for (let i = 0; i < 15; i++) {
      const c = preLN();
      const model = new MiniGPT(c);
      const ids = randomIds(c, rng);
      const { cache } = model.runWithCache(ids);
      for (const s of streamStates(c)) {
        for (let p = 0; p < ids.length; p++) {
          for (const perHead of [false, true]) {
            const d = decompose(model, cache, p, { state: s.index, perHead });
            expect(d.additive).toBe(true);
            expect(relativeError(d.sum, d.actual, 1e-3)).toBeLessThan(1e-5);
            if (perHead && s.index > 0) expect(d.labels).toContain(`attn 0.h${c.n_heads - 1}`);
          }
        }
      }
      const acc = accumulatedResid(cache, ids.length - 1);
      expect(acc.labels).toHaveLength((c.parallel_attn_mlp || c.attn_only ? 1 : 2) * c.n_layers + 1);
      expect(acc.components.at(-1)).toEqual(Array.from(cache.get("resid_post", c.n_layers - 1).data.subarray((ids.length - 1) * c.d_model, ids.length * c.d_model)));
    }
  });
  it("under Post-LN the split is reported as not additive, with the gap", () => {
    const model = new MiniGPT(parseConfig({ norm: "post", init_std: 0.3 }, LOCKED));
    const { cache } = model.runWithCache(canonicalIds());
    const d = decompose(model, cache, 7);
    expect(d.additive).toBe(false);
    expect(d.maxError).toBeGreaterThan(1e-2);
    expect(d.note).toMatch(/NOT the sum/);
  });
});

describe("logit lens and block budget", () => {
  it("the lens's last row equals the model's logits; lens after block k equals budget k", () => {
    for (let i = 0; i < 10; i++) {
      const c = preLN();
      const model = new MiniGPT(c);
      const ids = randomIds(c, rng);
      const { logits, cache } = model.runWithCache(ids);
      const p = ids.length - 1;
      const lens = logitLens(model, cache, p);
      const V = c.vocab_size;
      expect(relativeError(lens.rows.at(-1)!.logits, logits.data.subarray(p * V, (p + 1) * V))).toBeLessThan(1e-5);
      for (let k = 0; k <= c.n_layers; k++) {
        expect(relativeError(lens.rows[stateAfterBlocks(c, k).index]!.logits, blockBudget(model, ids, k)[p]!)).toBeLessThan(1e-5);
      }
      lens.rows.forEach((r) => expect(Math.abs(r.probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9));
    }
  });
  it("k = 0 is the bigram floor LN(W_E[t] + p_t)·W_Eᵀ computed directly; k = n_layers is the full forward", () => {
    for (const positional of ["rope", "learned", "sinusoidal"] as const) {
      const c = parseConfig({ ...LOCKED, positional, init_std: 0.3 }, null);
      const model = new MiniGPT(c);
      const ids = canonicalIds();
      const floor = blockBudget(model, ids, 0);
      const d = c.d_model, WE = model.embed.W_E.data;
      const w = model.ln_final!.w.data, b = model.ln_final!.b!.data;
      ids.forEach((t, p) => {
        const x = Array.from({ length: d }, (_, i) => WE[t * d + i]! + (positional === "learned" ? model.pos_embed!.W_pos.data[p * d + i]! : positional === "sinusoidal" ? (i % 2 === 0 ? Math.sin(p / 10000 ** ((i - (i % 2)) / d)) : Math.cos(p / 10000 ** ((i - (i % 2)) / d))) : 0));
        const mu = x.reduce((a, v) => a + v, 0) / d;
        const sd = Math.sqrt(x.reduce((a, v) => a + (v - mu) ** 2, 0) / d + c.ln_eps);
        const ln = x.map((v, i) => ((v - mu) / sd) * w[i]! + b[i]!);
        const want = Array.from({ length: c.vocab_size }, (_, v) => ln.reduce((s, xi, i) => s + xi * WE[v * d + i]!, 0));
        expect(relativeError(floor[p]!, want)).toBeLessThan(1e-5);
      });
      const full = noGrad(() => model.forward(ids)).data;
      expect(relativeError(blockBudget(model, ids, c.n_layers).flat(), full)).toBe(0);
    }
  });
  it("the budget read from a forward's cache is blockBudget to the bit: every k and position, random configs (Pre- and Post-LN, parallel, GQA, no blocks) and the locked model at GPT-2-like widths", () => {
    const configs = [...Array.from({ length: 12 }, () => randomConfig(rng)), parseConfig({ n_layers: 0 }, LOCKED), parseConfig({ d_model: 256, n_heads: 4, d_ff: 1024, vocab_size: 512 }, LOCKED)];
    const before = kernels();
    // each kernel set in turn: the reference kernels, and the WebAssembly ones the page and CLI use (both flavours)
    try {
      for (const [i, c] of configs.entries()) {
        setKernels([jsKernels, createWasmKernels({ flavour: "fma" }), createWasmKernels({ flavour: "strict" })][i % 3]!);
        const model = new MiniGPT(c);
        const ids = randomIds(c, rng);
        const { cache } = model.runWithCache(ids);
        for (let k = 0; k <= c.n_layers; k++) {
          const rows = blockBudget(model, ids, k);
          ids.forEach((_, p) => {
            const got = blockBudgetAt(model, cache, k, p);
            expect(got.every((x, i) => Object.is(x, rows[p]![i])), `${JSON.stringify(c)} k ${k} position ${p}`).toBe(true);
          });
        }
      }
    } finally {
      setKernels(before);
    }
    const locked = new MiniGPT(LOCKED), { cache } = locked.runWithCache([1, 2]);
    expect(() => blockBudgetAt(locked, cache, 3, 0)).toThrow(/block budget 3 must be a whole number from 0 to n_layers = 2/);
    expect(() => blockBudgetAt(locked, cache, 1, 2)).toThrow(/position 2 is out of range: the cached input has positions 0 to 1/);
  });
  it("under Post-LN the lens says it is not valid", () => {
    const model = new MiniGPT(parseConfig({ norm: "post" }, LOCKED));
    const { cache } = model.runWithCache(canonicalIds());
    const lens = logitLens(model, cache, 7);
    expect(lens.valid).toBe(false);
    expect(lens.note).toMatch(/not a valid lens/);
  });
  it("a budget outside 0 … n_layers is refused", () => {
    expect(() => blockBudget(new MiniGPT(LOCKED), [1, 2], 3)).toThrow(/block budget 3 must be a whole number from 0 to n_layers = 2/);
  });
});

describe("direct logit attribution", () => {
  it("contributions + the LayerNorm bias term equal the logit and the logit difference", () => {
    for (let i = 0; i < 10; i++) {
      const c = preLN();
      const model = new MiniGPT(c);
      for (const t of model.namedParameters()) if (t[0].startsWith("ln_final")) for (let j = 0; j < t[1].size; j++) t[1].data[j]! += 0.2 * Math.sin(j + i);
      const ids = randomIds(c, rng);
      const { logits, cache } = model.runWithCache(ids);
      const p = ids.length - 1, V = c.vocab_size;
      for (const perHead of [false, true]) {
        const a = directLogitAttribution(model, cache, p, [1], { perHead });
        expect(Math.abs(a.total - a.actual)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.actual)));
        expect(Math.abs(a.actual - logits.data[p * V + 1]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(a.actual)));
        const diff = directLogitAttribution(model, cache, p, [1, 0], { perHead });
        expect(Math.abs(diff.total - (logits.data[p * V + 1]! - logits.data[p * V]!))).toBeLessThan(1e-4 * Math.max(1, Math.abs(diff.total)));
      }
    }
  });
  it("the embedding's share is ((e − mean e)/σ)·w·u with σ frozen from the full stream", () => {
    const model = new MiniGPT(parseConfig({ init_std: 0.3 }, LOCKED));
    const ids = canonicalIds();
    const { cache } = model.runWithCache(ids);
    const a = directLogitAttribution(model, cache, 7, [9]);
    const d = 64, WE = model.embed.W_E.data, w = model.ln_final!.w.data;
    const h = Array.from(cache.get("resid_post", 1).data.subarray(7 * d, 8 * d));
    const mu = h.reduce((s, x) => s + x, 0) / d;
    const sigma = Math.sqrt(h.reduce((s, x) => s + (x - mu) ** 2, 0) / d + 1e-5);
    const e = Array.from(WE.subarray(ids[7]! * d, (ids[7]! + 1) * d));
    const em = e.reduce((s, x) => s + x, 0) / d;
    const want = e.reduce((s, x, i) => s + ((x - em) / sigma) * w[i]! * WE[9 * d + i]!, 0);
    expect(a.labels[0]).toBe("embed");
    expect(a.contributions[0]).toBeCloseTo(want, 6);
    expect(a.scale).toBeCloseTo(sigma, 6);
  });
});

describe("attention patterns", () => {
  it("rows sum to 1, future keys get 0, and heads are ranked by the weight asked for", () => {
    const model = new MiniGPT(parseConfig({ init_std: 0.4 }, LOCKED));
    const { cache } = model.runWithCache(canonicalIds());
    for (let l = 0; l < 2; l++)
      for (let h = 0; h < 4; h++) {
        const pat = attentionPattern(cache, l, h);
        pat.forEach((row, q) => {
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
          row.forEach((w, k) => k > q && expect(w).toBe(0));
        });
      }
    for (const s of strongestKeys(cache, 7)) {
      const row = attentionPattern(cache, s.layer, s.head)[7]!;
      expect(s.weight).toBe(Math.max(...row));
      expect(row[s.key]).toBe(s.weight);
    }
    const ranked = headsAttendingTo(cache, 7, 1);
    expect(ranked).toHaveLength(8);
    expect(ranked[0]!.weight).toBe(Math.max(...ranked.map((r) => r.weight)));
    expect(ranked[0]!.weight).toBe(attentionPattern(cache, ranked[0]!.layer, ranked[0]!.head)[7]![1]);
  });
});

describe("activation patching", () => {
  const model = new MiniGPT(parseConfig({ init_std: 0.3 }, LOCKED));
  const clean = canonicalIds();
  const corrupted = [...clean];
  corrupted[1] = 18; // ayer → today
  const metric = { good: 50, bad: 49 };
  it("patching the changed position's resid_pre at block 0 restores everything; other positions nothing", () => {
    const r = patchResidual(model, clean, corrupted, metric, "resid_pre");
    expect(r.restored[0]![1]).toBeCloseTo(1, 9);
    for (const p of [0, 2, 3, 4, 5, 6, 7]) expect(r.restored[0]![p]).toBeCloseTo(0, 9);
    expect(r.restored).toHaveLength(2);
    expect(r.restored[0]).toHaveLength(8);
  });
  it("patching the final resid_post at the last position restores everything", () => {
    const r = patchResidual(model, clean, corrupted, metric, "resid_post");
    expect(r.restored[1]![7]).toBeCloseTo(1, 9);
  });
  it("head patching gives one fraction per head; patching every head of the last block and the MLP input would be needed for 1", () => {
    const r = patchHeads(model, clean, corrupted, metric);
    expect(r.restored.map((row) => row.length)).toEqual([4, 4]);
    expect(r.restored.flat().every(Number.isFinite)).toBe(true);
  });
  it("on the §8 block shapes (parallel, attention-only, RMSNorm, GQA): the changed position's resid_pre restores all, the last resid_post too", () => {
    for (const over of [{ parallel_attn_mlp: true, norm_type: "rmsnorm" }, { attn_only: true, n_kv_heads: 2 }, { mlp_gated: true, activation: "silu", rotary_dim: 8 }]) {
      const m = new MiniGPT(parseConfig({ init_std: 0.3, ...over }, LOCKED));
      const r = patchResidual(m, clean, corrupted, metric, "resid_pre");
      expect(r.restored[0]![1], JSON.stringify(over)).toBeCloseTo(1, 6);
      expect(patchResidual(m, clean, corrupted, metric, "resid_post").restored[1]![7]).toBeCloseTo(1, 6);
      expect(patchHeads(m, clean, corrupted, metric).restored.flat().every(Number.isFinite)).toBe(true);
      const bw = bandwidth(m, m.runWithCache(clean).cache);
      expect(bw.blocks[0]!.writers).toBe(64 + (m.config.attn_only ? 0 : 256));
    }
  });
  it("refuses inputs of different lengths and inputs that do not differ", () => {
    expect(() => patchResidual(model, clean, clean.slice(1), metric)).toThrow(/same length/);
    expect(() => patchResidual(model, clean, clean, metric)).toThrow(/same logit difference/);
  });
});

describe("bandwidth and linear algebra", () => {
  it("Gram–Schmidt, Jacobi and principal angles on known cases", () => {
    expect(orthonormalBasis([[1, 0, 0], [2, 0, 0], [1, 1, 0]])).toHaveLength(2);
    const eig = symmetricEigenvalues([[2, 1, 0], [1, 2, 0], [0, 0, 5]]);
    expect(eig[0]).toBeCloseTo(5, 12);
    expect(eig[1]).toBeCloseTo(3, 12);
    expect(eig[2]).toBeCloseTo(1, 12);
    const angles = principalAngles([[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 0, 1]]).map((t) => (t * 180) / Math.PI);
    expect(angles[0]).toBeCloseTo(0, 6);
    expect(angles[1]).toBeCloseTo(90, 6);
    const diag = principalAngles([[1, 1, 0]], [[1, 0, 0]])[0]!;
    expect((diag * 180) / Math.PI).toBeCloseTo(45, 9);
  });
  it("the locked config has (4·16 + 256)/64 = 5 writers per stream dimension; a head overlaps itself fully", () => {
    const model = new MiniGPT(LOCKED);
    const { cache } = model.runWithCache(canonicalIds());
    const bw = bandwidth(model, cache);
    expect(bw.blocks.map((b) => b.ratio)).toEqual([5, 5]);
    for (const b of bw.blocks) {
      b.headOverlap.forEach((row, i) => {
        expect(row[i]).toBeCloseTo(1, 9);
        row.forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
      });
      expect(b.headAngles).toHaveLength(6);
      for (const pair of b.headAngles) pair.degrees.forEach((deg) => expect(deg >= 0 && deg <= 90).toBe(true));
      // Random 16-dim subspaces of R^64 overlap by about 16/64 on average.
      expect(b.headOverlap[0]![1]).toBeGreaterThan(0.1);
      expect(b.headOverlap[0]![1]).toBeLessThan(0.45);
      expect(b.attnNorm).toHaveLength(8);
      expect(b.headNorm).toHaveLength(4);
    }
  });
});

describe("head ablation", () => {
  it("zero-ablating a head removes exactly its write z_h·W_O[h] from attn_out and leaves everything before it untouched", async () => {
    const { Hooks } = await import("../../src/model/hooks.js");
    const { headWrites } = await import("../../src/interp/stream.js");
    for (let i = 0; i < 6; i++) {
      const c = preLN();
      const model = new MiniGPT(c);
      const ids = randomIds(c, rng);
      const l = rng.int(c.n_layers), h = rng.int(c.n_heads);
      const { cache: clean } = model.runWithCache(ids);
      const seen = new Map<string, Float32Array | Float64Array>();
      const hooks = new Hooks()
        .add(`blocks.${l}.attn.hook_z`, (t) => {
          const copy = t.data.slice();
          const [, , T, dh] = t.shape as [number, number, number, number];
          copy.fill(0, h * T * dh, (h + 1) * T * dh); // head h's z, every position
          return new Tensor(copy, t.shape);
        })
        .add("*", (t, name) => void seen.set(name, t.data));
      model.runWithHooks(ids, hooks);
      for (let p = 0; p < ids.length; p++) {
        const removed = headWrites(model, clean, l, p)[h]!;
        const d = c.d_model;
        const before = Array.from(clean.get("attn_out", l).data.subarray(p * d, (p + 1) * d));
        const after = Array.from(seen.get(`blocks.${l}.hook_attn_out`)!.subarray(p * d, (p + 1) * d));
        after.forEach((x, j) => expect(Math.abs(x - (before[j]! - removed[j]!))).toBeLessThan(1e-5));
      }
      expect(Array.from(seen.get(`blocks.${l}.hook_resid_pre`)!)).toEqual(Array.from(clean.get("resid_pre", l).data));
    }
  });
});

describe("reading vectors out of tensors", () => {
  it("vectorAt and attentionPattern copy exactly the stored values (NaN, −0, subnormals and all) into plain arrays", () => {
    const data = Float32Array.from([1.5, Number.NaN, -0, 1e-40, -3.25, Number.POSITIVE_INFINITY, 7, 8]);
    const t = new Tensor(data, [1, 2, 4]);
    const second = vectorAt(t, [0, 1]);
    expect(Array.isArray(second)).toBe(true);
    expect(second.map((x, i) => Object.is(x, data[4 + i]))).toEqual([true, true, true, true]);
    expect(vectorAt(t, [0, 0]).map((x, i) => Object.is(x, data[i]))).toEqual([true, true, true, true]);
    expect(arrayOf(data, 2, 5)).toEqual([-0, data[3], -3.25]);
    expect(Object.is(arrayOf(data, 2, 3)[0], -0)).toBe(true);
    const model = new MiniGPT(LOCKED, { seed: 3 });
    const { cache } = model.runWithCache([1, 2, 3, 4]);
    const p = cache.get("pattern", 1); // [1, H, T, T]
    expect(attentionPattern(cache, 1, 2)).toEqual(Array.from({ length: 4 }, (_, q) => Array.from(p.data.subarray((2 * 4 + q) * 4, (2 * 4 + q + 1) * 4))));
  });
});
