// The corpus: every verb is grammatical, the split is clean, sequences fit the context.

import { describe, expect, it } from "vitest";
import { HELD_OUT, isGrammatical, MAX_SEQUENCE_LENGTH, sampleExample, TrainingStream, validationSet, verbForm } from "../../src/train/corpus.js";
import { Rng } from "../../src/tensor/index.js";
import { LOCKED } from "../../src/model/presets.js";
import { VOCAB, BOS, EOS } from "../../src/train/vocab.js";

const tokenOf = (id: number) => VOCAB[id]!;

describe("corpus", () => {
  const train = Array.from({ length: 4000 }, ((s) => () => s.next())(new TrainingStream(9)));
  const val = validationSet(1000);

  it("is deterministic for a seed", () => {
    const a = new TrainingStream(3), b = new TrainingStream(3);
    for (let i = 0; i < 50; i++) expect(a.next()).toEqual(b.next());
    expect(validationSet(20)).toEqual(validationSet(20));
  });
  it("every sequence is <bos> … <eos> and fits context_len", () => {
    for (const e of [...train, ...val]) {
      expect(e.ids[0]).toBe(BOS);
      expect(e.ids.at(-1)).toBe(EOS);
      expect(e.ids.length).toBeLessThanOrEqual(MAX_SEQUENCE_LENGTH);
    }
    expect(MAX_SEQUENCE_LENGTH).toBeLessThanOrEqual(LOCKED.context_len);
    expect(Math.max(...train.map((e) => e.ids.length))).toBeGreaterThan(24); // long sequences do occur
  });
  it("every verb slot holds a grammatical form, and only verbs sit in slots", () => {
    for (const e of [...train, ...val]) {
      const slots = new Set(e.verbs.map((v) => v.position));
      e.ids.forEach((id, p) => expect(tokenOf(id).kind === "verb").toBe(slots.has(p)));
      for (const v of e.verbs) expect(isGrammatical(tokenOf(e.ids[v.position]!), v)).toBe(true);
    }
  });
  it("one language per sequence, both languages about equally often", () => {
    let es = 0;
    for (const e of train) {
      const langs = new Set(e.ids.map((id) => tokenOf(id).lang).filter((l) => l !== null));
      expect(langs.size).toBe(1);
      if (langs.has("es")) es++;
    }
    expect(Math.abs(es / train.length - 0.5)).toBeLessThan(0.05);
  });
  it("the training stream never shows a held-out combination; every validation sequence opens with one", () => {
    expect(train.every((e) => e.verbs.every((v) => !v.heldOut))).toBe(true);
    expect(val.every((e) => e.verbs[0]!.heldOut)).toBe(true);
    expect(HELD_OUT.length).toBe(8);
  });
  it("the time word decides the tense, even across the second sentence", () => {
    const rng = new Rng(1);
    for (let i = 0; i < 500; i++) {
      const e = sampleExample(rng);
      for (const v of e.verbs) {
        const before = e.ids.slice(0, v.position).map(tokenOf).filter((t) => t.kind === "time");
        expect(before.at(-1)!.tense).toEqual([v.tense]);
      }
    }
  });
  it("verb forms: she walks, they walked, ellos caminaron, nosotros hablamos", () => {
    expect(verbForm("en", "walk", "3sg", "present").token).toBe("walks");
    expect(verbForm("en", "walk", "3pl", "past").token).toBe("walked");
    expect(verbForm("es", "caminar", "3pl", "past").token).toBe("caminaron");
    expect(verbForm("es", "hablar", "1pl", "past").token).toBe("hablamos");
  });
});
