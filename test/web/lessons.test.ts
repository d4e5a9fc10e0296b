// The lessons' answers, computed in Node from the shipped model and checked against the library
// computed another way: the deltas add up to the stream, the bigram floor is the zero-block
// forward's argmax, the parameter count is the locked 103,680, and every answer exists in both languages.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { blockBudget, BOS, composition, contrastVector, copyingScores, grammarProbeSets, headScores, MiniGPT, noGrad, ovCircuitRows, probeStream, softmaxVec, steeringEffect, topK, VOCAB } from "../../src/index.js";
import { analyse, CANONICAL_TEXT, INDUCTION_TEXT, readText } from "../../web/src/lib/compute.js";
import { blockDeltas, commitDepth, inductionCircuit, LESSONS } from "../../web/src/lib/lessons.js";
import { fromCheckpointBytes } from "../../web/src/lib/models.js";

const loaded = fromCheckpointBytes(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url))), "minigpt.safetensors");
const view = analyse(loaded, readText(CANONICAL_TEXT, loaded.tok).ids);
const ctx = { loaded, view };
const answers = new Map(LESSONS.flatMap((l) => l.steps.map((s, i) => [`${l.id}.${i}`, s.question?.answer(ctx)] as const)));

describe("the lessons, answered by the shipped model", () => {
  it("every question has an answer in English and in Spanish, different texts, each with a number", () => {
    for (const [key, a] of answers) {
      if (a === undefined) continue;
      expect(a[0], key).toMatch(/\d/);
      expect(a[1], key).toMatch(/\d/);
      expect(a[0], key).not.toBe(a[1]);
    }
  });
  it("block deltas: each block's delta is the stream after it minus before it, and they add up to top − embedding", () => {
    const p = view.ids.length - 1, deltas = blockDeltas(ctx, p);
    expect(deltas.map((d) => d.layer)).toEqual([0, 1]);
    const top = view.vectors.at(-1)![p]!, h0 = view.vectors[0]![p]!;
    const whole = Math.sqrt(top.reduce((s, x, i) => s + (x - h0[i]!) ** 2, 0));
    // ‖Δ₀ + Δ₁‖ ≤ ‖Δ₀‖ + ‖Δ₁‖ and block 1's delta is after mlp 1 − after mlp 0
    expect(whole).toBeLessThanOrEqual(deltas[0]!.norm + deltas[1]!.norm + 1e-6);
    const mid = view.vectors[2]![p]!;
    expect(deltas[1]!.norm).toBeCloseTo(Math.sqrt(top.reduce((s, x, i) => s + (x - mid[i]!) ** 2, 0)), 5);
  });
  it("the bigram floor's answer is the zero-block forward's top token, computed by the library directly", () => {
    const p = view.ids.length - 1;
    const floor = topK(softmaxVec(noGrad(() => blockBudget(loaded.model, view.ids, 0))[p]!), 1)[0]!;
    expect(answers.get("residual.3")![0]).toContain(`k = 0 gives “${view.tok.decode([floor.id])}”`);
  });
  it("the parameter count is the locked 103,680 and the formula agrees; the head is tied", () => {
    expect(answers.get("minigpt.1")![0]).toBe("103,680 parameters, counted tensor by tensor; the formula gives the same 103,680.");
    expect(answers.get("minigpt.4")![0]).toMatch(/^Yes: logits = h · W_Eᵀ/);
    expect(answers.get("residual.5")![0]).toBe("GPT-2 small: d_ff : d_model = 3072 : 768 = 4. This model: 256 : 64 = 4.00.");
  });
  it("the commit depth is where the lens's top token becomes and stays the final one", () => {
    const c = commitDepth(ctx, view.ids.length - 1);
    expect(c.state).toBeGreaterThanOrEqual(0);
    expect(c.state).toBeLessThan(c.states);
  });
  it("causality holds on the canonical sequence", () => expect(answers.get("minigpt.5")![0]).toMatch(/^No — checked now on these 8 tokens/));
});

describe("the induction lesson, answered by the induction model", () => {
  const induction = fromCheckpointBytes(new Uint8Array(readFileSync(new URL("../../checkpoints/induction.safetensors", import.meta.url))), "induction.safetensors");
  const ictx = { loaded: induction, view: analyse(induction, readText(INDUCTION_TEXT, induction.tok).ids) };
  const lesson = LESSONS.find((l) => l.id === "induction")!;
  const say = (i: number): string => lesson.steps[i]!.question!.answer(ictx)[0];

  it("names the previous-token heads of block 0 and the induction heads of block 1 with `minigpt heads`'s scores", () => {
    const { scores } = headScores(induction.model, { pool: VOCAB.filter((t) => t.kind !== "special" && t.kind !== "unused").map((t) => t.id), prefix: [BOS] });
    const answer = say(0);
    scores.previous_token[0]!.forEach((s, h) => expect(answer.includes(`0.${h} (${s.toFixed(2)})`)).toBe(s > 0.5));
    scores.induction[1]!.forEach((s, h) => expect(answer.includes(`1.${h} (${s.toFixed(2)})`)).toBe(s > 0.5));
  });
  it("finds the key: the mean K-composition of those pairs, from the library's scores, above Q and V", () => {
    const c = inductionCircuit(ictx);
    const pairs = composition(induction.model).pairs.filter((p) => p.from.layer === 0 && c.prev.some((h) => h.head === p.from.head) && c.induction.some((h) => h.head === p.to.head));
    expect(pairs).toHaveLength(c.prev.length * c.induction.length);
    const k = pairs.reduce((s, p) => s + p.k, 0) / pairs.length;
    expect(c.k).toBeCloseTo(k, 10);
    expect(say(1)).toMatch(new RegExp(`^Through the key: .*K-composition ${k.toFixed(2)}`));
  });
  it("the induction head copies: its copying score and the count of input tokens it raises first", () => {
    const c = inductionCircuit(ictx), h = c.induction[0]!;
    const sources = [...new Set(ictx.view.ids)];
    const first = ovCircuitRows(induction.model, 1, h.head, sources).filter((r) => r.selfRank === 1).length;
    expect(say(2)).toContain(`raises the attended token itself most for ${first} of the ${sources.length} distinct tokens`);
    expect(say(2)).toContain(`1.${h.head}: ${copyingScores(induction.model)[1]![h.head]!.toFixed(2)}`);
    // on a model without the circuit (the verb grammar's), the lesson says so instead of inventing one
    expect(lesson.steps[1]!.question!.answer(ctx)[0]).toMatch(/no induction circuit/);
  });
});

describe("the directions lesson, answered by the shipped model", () => {
  const lesson = LESSONS.find((l) => l.id === "directions")!;
  const say = (i: number): string => answers.get(`directions.${i}`)![0];

  it("the tense: the first state a probe reads it from, from the library's probes taken another way (item by item)", () => {
    const sets = grammarProbeSets(200), items = (which: "train" | "test") => sets[which].map((it, n) => ({ ...it, label: sets.labels.tense[which][n]! }));
    const r = probeStream(loaded.model, items("train"), items("test"), 2);
    const first = r.states.findIndex((s) => s.test >= 0.95);
    expect(first).toBe(1); // after block 0's attention
    expect(say(0)).toContain(`From “after attn 0” on (${(100 * r.states[1]!.test).toFixed(1)}%`);
    expect(say(0)).toContain(`the embedding alone gives ${(100 * r.states[0]!.test).toFixed(1)}%`);
    expect(answers.get("directions.0")![1]).toContain("Desde «tras attn 0»");
  });
  it("person and number against the untrained control, state by state", () => {
    const sets = grammarProbeSets(200), items = (which: "train" | "test") => sets[which].map((it, n) => ({ ...it, label: sets.labels.agreement[which][n]! }));
    const control = probeStream(new MiniGPT(loaded.model.config, { seed: 0 }), items("train"), items("test"), 6);
    expect(say(1)).toContain(`after mlp 1: `);
    expect(say(1)).toContain(`against ${(100 * control.states.at(-1)!.test).toFixed(1)}%.`);
  });
  it("steering: hoy − ayer twice over takes most from caminaron and makes caminan the top prediction", () => {
    const hook = "blocks.1.hook_resid_pre" as const;
    const e = steeringEffect(loaded.model, view.ids, { hook, vector: contrastVector(loaded.model, loaded.tok.encode("<bos> hoy"), loaded.tok.encode("<bos> ayer"), hook), scale: 2 });
    const lost = e.lowered[0]!, top = topK(e.after, 1)[0]!;
    expect(VOCAB[lost.id]!.token).toBe("caminaron");
    expect(VOCAB[top.id]!.token).toBe("caminan");
    expect(say(2)).toContain(`“caminaron” loses most (log-probability −${Math.abs(lost.delta).toFixed(1)})`);
    expect(say(2)).toContain(`to “caminan” (${(100 * top.value).toFixed(1)}%)`);
    expect(lesson.steps[2]!.panel).toBe("steering");
  });
});
