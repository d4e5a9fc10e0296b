// The vocabulary and tokenizer.

import { describe, expect, it } from "vitest";
import { canonicalIds, Tokenizer } from "../../src/train/tokenizer.js";
import { CANONICAL_TEXT, VOCAB } from "../../src/train/vocab.js";
import { LOCKED } from "../../src/model/presets.js";

describe("vocabulary", () => {
  it("has 60 real tokens and 4 padding slots: vocab_size 64", () => {
    expect(VOCAB).toHaveLength(LOCKED.vocab_size);
    expect(VOCAB.filter((t) => t.kind !== "unused")).toHaveLength(60);
    expect(VOCAB.every((t, i) => t.id === i)).toBe(true);
    expect(new Set(VOCAB.map((t) => t.token.toLowerCase())).size).toBe(64);
  });
  it("every subject has an agreement; every verb form fits some agreement and tense", () => {
    for (const t of VOCAB) {
      if (t.kind === "pronoun" || t.kind === "noun") expect(t.agreement.length, t.token).toBe(1);
      if (t.kind === "verb") {
        expect(t.agreement.length, t.token).toBeGreaterThan(0);
        expect(t.tense.length, t.token).toBeGreaterThan(0);
        expect(t.lemma).not.toBeNull();
      }
    }
  });
  it("Spanish verbs distinguish all five persons in each tense (except the shared -amos)", () => {
    for (const lemma of ["caminar", "hablar"]) {
      const forms = VOCAB.filter((t) => t.lemma === lemma);
      expect(forms).toHaveLength(9);
      for (const tense of ["present", "past"] as const)
        for (const a of ["1sg", "2sg", "3sg", "1pl", "3pl"] as const) expect(forms.filter((f) => f.tense.includes(tense) && f.agreement.includes(a))).toHaveLength(1);
    }
  });
});

describe("tokenizer", () => {
  const tok = new Tokenizer();
  it("the canonical sequence has 8 tokens and round-trips", () => {
    const ids = canonicalIds();
    expect(ids).toHaveLength(8);
    expect(tok.decode(ids)).toBe(CANONICAL_TEXT);
  });
  it("ignores case and splits punctuation", () => {
    expect(tok.encode("Yesterday I walked.")).toEqual([tok.id("yesterday"), tok.id("I"), tok.id("walked"), tok.id(".")]);
    expect(tok.encode("hoy, yo   camino")).toEqual([tok.id("hoy"), tok.id(","), tok.id("yo"), tok.id("camino")]);
  });
  it("an unknown word is an error that says where and suggests the nearest words", () => {
    expect(() => tok.encode("yo camnio")).toThrow(/unknown word "camnio" at word 2 of 2; did you mean "camino"/);
    expect(() => tok.encode("ayer yo camine")).toThrow(/did you mean "caminé"/);
    expect(() => tok.encode("   ")).toThrow(/empty/);
  });
  it("ids outside the vocabulary are refused on decode", () => {
    expect(() => tok.decode([1, 64])).toThrow(/token id 64 is outside the vocabulary/);
  });
});
