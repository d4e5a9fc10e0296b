// Linear probes: the objective's gradient against finite differences; the fitted probe against an
// independent Newton's method on the same objective; the features against the float64 reference's
// stream; the grammar's labels against the verbs' own features; and what the probes find on the
// shipped model beside the untrained control.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { accuracy, fitProbe, probeLoss, probePredict, probeProperties, probeStream, relabel, streamFeatures, type ProbeData } from "../../src/interp/probe.js";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { referenceForward } from "../../src/reference/forward64.js";
import { Rng } from "../../src/tensor/index.js";
import { GRAMMAR_CLASSES, grammarProbeItems, grammarProbeSets, sampleExample, validationSet } from "../../src/train/corpus.js";
import { VOCAB } from "../../src/train/vocab.js";

const rng = new Rng(3);
/** N rows of d features, classes from a noisy linear rule. */
function synthetic(N: number, d: number, C: number, noise: number): ProbeData {
  const x = Float64Array.from({ length: N * d }, () => 3 * rng.normal() + 1);
  const A = Float64Array.from({ length: d * C }, () => rng.normal());
  const y = Int32Array.from({ length: N }, (_, n) => {
    let best = 0, top = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = noise * rng.normal();
      for (let e = 0; e < d; e++) s += x[n * d + e]! * A[e * C + c]!;
      if (s > top) (top = s), (best = c);
    }
    return best;
  });
  return { x, y, d };
}

/** Newton's method on the same objective, written out with its full Hessian (independent of fitProbe). */
function newton(z: Float64Array, y: Int32Array, d: number, C: number, l2: number): { W: Float64Array; b: Float64Array } {
  const N = y.length, P = (d + 1) * C; // parameters: W[e, c] then b[c]
  const theta = new Float64Array(P);
  for (let it = 0; it < 30; it++) {
    const g = new Float64Array(P), H = Array.from({ length: P }, () => new Float64Array(P));
    for (let n = 0; n < N; n++) {
      const f = [...z.subarray(n * d, n * d + d), 1];
      const s = Array.from({ length: C }, (_, c) => f.reduce((acc, v, e) => acc + v * theta[e * C + c]!, 0));
      const m = Math.max(...s), ex = s.map((v) => Math.exp(v - m)), sum = ex.reduce((a, b) => a + b, 0), p = ex.map((v) => v / sum);
      for (let e = 0; e <= d; e++) for (let c = 0; c < C; c++) {
        g[e * C + c]! += (f[e]! * (p[c]! - (c === y[n] ? 1 : 0))) / N;
        for (let e2 = 0; e2 <= d; e2++) for (let c2 = 0; c2 < C; c2++) H[e * C + c]![e2 * C + c2]! += (f[e]! * f[e2]! * p[c]! * ((c === c2 ? 1 : 0) - p[c2]!)) / N;
      }
    }
    for (let i = 0; i < d * C; i++) (g[i]! += l2 * theta[i]!), (H[i]![i]! += l2);
    for (let i = d * C; i < P; i++) H[i]![i]! += 1e-9; // the bias's softmax direction is flat
    // solve H·δ = g by Gaussian elimination with partial pivoting
    const A = H.map((row, i) => [...row, g[i]!]);
    for (let col = 0; col < P; col++) {
      let piv = col;
      for (let r = col + 1; r < P; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
      [A[col], A[piv]] = [A[piv]!, A[col]!];
      for (let r = col + 1; r < P; r++) {
        const k = A[r]![col]! / A[col]![col]!;
        for (let c = col; c <= P; c++) A[r]![c]! -= k * A[col]![c]!;
      }
    }
    const delta = new Float64Array(P);
    for (let r = P - 1; r >= 0; r--) {
      let s = A[r]![P]!;
      for (let c = r + 1; c < P; c++) s -= A[r]![c]! * delta[c]!;
      delta[r] = s / A[r]![r]!;
    }
    for (let i = 0; i < P; i++) theta[i]! -= delta[i]!;
  }
  return { W: theta.slice(0, d * C), b: theta.slice(d * C) };
}

describe("linear probes", () => {
  it("the objective's gradient is its finite-difference slope", () => {
    const { x, y, d } = synthetic(40, 4, 3, 1);
    const W = Float64Array.from({ length: 12 }, () => rng.normal()), b = Float64Array.from({ length: 3 }, () => rng.normal());
    const { gW, gb } = probeLoss(x, y, d, 3, W, b, 0.1);
    const h = 1e-6;
    for (let i = 0; i < 12; i++) {
      const up = W.slice(), down = W.slice();
      up[i]! += h;
      down[i]! -= h;
      expect(gW[i]).toBeCloseTo((probeLoss(x, y, d, 3, up, b, 0.1).loss - probeLoss(x, y, d, 3, down, b, 0.1).loss) / (2 * h), 6);
    }
    for (let c = 0; c < 3; c++) {
      const up = b.slice(), down = b.slice();
      up[c]! += h;
      down[c]! -= h;
      expect(gb[c]).toBeCloseTo((probeLoss(x, y, d, 3, W, up, 0.1).loss - probeLoss(x, y, d, 3, W, down, 0.1).loss) / (2 * h), 6);
    }
  });

  it("fitting reaches the objective's one optimum: Newton's method's, loss and predictions", () => {
    const data = synthetic(120, 3, 3, 2);
    const p = fitProbe(data, 3, { l2: 0.05, steps: 3000 });
    const z = data.x.map((v, i) => (v - p.mean[i % 3]!) * p.scale[i % 3]!);
    const exact = newton(z, data.y, 3, 3, 0.05);
    const ours = probeLoss(z, data.y, 3, 3, p.W, p.b, 0.05).loss, best = probeLoss(z, data.y, 3, 3, exact.W, exact.b, 0.05).loss;
    expect(ours - best).toBeGreaterThanOrEqual(-1e-12);
    expect(ours - best).toBeLessThan(1e-8);
    // softmax is unchanged by a shift common to every class: compare the class differences
    for (let e = 0; e < 3; e++) for (let c = 1; c < 3; c++) expect(p.W[e * 3 + c]! - p.W[e * 3]!).toBeCloseTo(exact.W[e * 3 + c]! - exact.W[e * 3]!, 3);
    // and it is better than chance on this rule
    expect(accuracy(probePredict(p, data.x), data.y)).toBeGreaterThan(0.6);
  });

  it("separable classes are read exactly; a constant feature is ignored; bad labels are refused", () => {
    const four = synthetic(200, 4, 4, 0);
    const x = Float64Array.from({ length: 200 * 5 }, (_, i) => (i % 5 === 4 ? 2.5 : four.x[Math.floor(i / 5) * 4 + (i % 5)]!)); // and a constant fifth feature
    const data = { x, y: four.y, d: 5 };
    const p = fitProbe(data, 4, { l2: 1e-4, steps: 2000 });
    expect(p.scale[4]).toBe(0);
    expect(accuracy(probePredict(p, data.x), data.y)).toBe(1);
    expect(() => fitProbe({ ...data, y: data.y.map(() => 4) }, 4)).toThrow(/label 4 is outside 0 … 3/);
    expect(() => relabel([data], new Int32Array(3))).toThrow(/3 labels for 200 rows/);
  });

  it("the features are the stream: h₀ and the last state against the float64 reference", () => {
    const model = new MiniGPT(parseConfig({ n_layers: 2 }, LOCKED, "test"), { seed: 9 });
    const items = [{ ids: [1, 20, 7, 33], position: 2, label: 0 }, { ids: [1, 5], position: 1, label: 1 }];
    const f = streamFeatures(model, items);
    expect(f).toHaveLength(5); // h₀, after attn 0, after mlp 0, after attn 1, after mlp 1
    const w = new Map([...model.stateDict()].map(([k, t]) => [k, t.data]));
    items.forEach((it, n) => {
      const resid = referenceForward(model.config, w, it.ids).resid;
      for (let e = 0; e < 64; e++) {
        expect(f[0]!.x[n * 64 + e]).toBeCloseTo(resid[0]![it.position]![e]!, 5);
        expect(f[4]!.x[n * 64 + e]).toBeCloseTo(resid[2]![it.position]![e]!, 4);
      }
    });
    expect(() => streamFeatures(model, [{ ids: [1, 2], position: 2, label: 0 }])).toThrow(/position 2 is outside its 2 tokens/);
  });

  it("a model with a short context is probed on the verbs within it", () => {
    const all = grammarProbeSets(50), short = grammarProbeSets(50, { context: 8 });
    expect(short.train.length).toBeGreaterThan(0);
    expect(short.train.length).toBeLessThan(all.train.length);
    for (const it of [...short.train, ...short.test]) expect(it.ids.length).toBeLessThanOrEqual(8);
    for (const p of ["tense", "agreement", "lang"] as const) expect([short.labels[p].train.length, short.labels[p].test.length]).toEqual([short.train.length, short.test.length]);
    const model = new MiniGPT(parseConfig({ context_len: 8 }, LOCKED, "test"), { seed: 2 });
    const [r] = probeProperties(model, short.train, short.test, [{ classes: 2, ...short.labels.tense }]);
    expect(r!.states).toHaveLength(5);
  });
  it("the grammar's labels are the verbs' own features, at the token before each verb", () => {
    const examples = validationSet(30);
    for (const property of ["tense", "agreement", "lang"] as const) {
      const items = grammarProbeItems(examples, property);
      const verbs = examples.flatMap((ex) => ex.verbs.map((v) => VOCAB[ex.ids[v.position]!]!));
      expect(items).toHaveLength(verbs.length);
      items.forEach((it, i) => {
        expect(it.ids).toHaveLength(it.position + 1); // the input up to the token before the verb
        const cls = GRAMMAR_CLASSES[property][it.label]!;
        const v = verbs[i]!;
        expect(v.kind).toBe("verb");
        const has: readonly string[] = property === "tense" ? v.tense : property === "agreement" ? v.agreement : [v.lang!];
        expect(has).toContain(cls);
      });
    }
  });
});

describe("probing the shipped model", () => {
  const { model } = loadCheckpoint(new Uint8Array(readFileSync("checkpoints/minigpt.safetensors")));
  const control = new MiniGPT(model.config, { seed: 0 });
  const r = new Rng(7);
  const train = Array.from({ length: 200 }, () => sampleExample(r, "train"));
  const test = validationSet(100);

  it("the tense is readable after block 0's attention, not from the embedding; person and number more than in the untrained model", () => {
    const tense = probeStream(model, grammarProbeItems(train, "tense"), grammarProbeItems(test, "tense"), 2);
    expect(tense.states[0]!.test).toBeLessThan(0.75); // h₀: the token before the verb alone
    for (const s of tense.states.slice(1)) expect(s.test).toBeGreaterThan(0.95);
    const agreement = (m: MiniGPT) => probeStream(m, grammarProbeItems(train, "agreement"), grammarProbeItems(test, "agreement"), 6);
    const trained = agreement(model), untrained = agreement(control);
    expect(trained.states.at(-1)!.test - untrained.states.at(-1)!.test).toBeGreaterThan(0.05);
    expect(trained.majority).toBeLessThan(0.4);
  });
});
