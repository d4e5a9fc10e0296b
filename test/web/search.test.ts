// Searching a vocabulary too big to list: exact, then prefix, then substring matches; #id by number.

import { describe, expect, it } from "vitest";
import { HfTokenizer } from "../../src/train/hf-tokenizer.js";
import { Tokenizer } from "../../src/train/tokenizer.js";
import { searchTokens } from "../../web/src/lib/compute.js";
import { byteLevelBpe } from "../tokenizer-files.js";

describe("searchTokens", () => {
  const bpe = new HfTokenizer(byteLevelBpe(["h e", "t he", "Ġ t", "Ġt he"]));
  it("ranks an exact match first, then prefixes, then the rest, shorter first", () => {
    const found = searchTokens(bpe, "the").map((m) => m.token);
    expect(found[0]!.trim()).toBe("the");
    expect(found.every((t) => t.toLowerCase().includes("the"))).toBe(true);
    expect(searchTokens(bpe, "h").length).toBeGreaterThan(1);
  });
  it("names an id with #, and finds nothing for an empty query or an id past the vocabulary", () => {
    expect(searchTokens(bpe, "#104")).toEqual([{ id: 104, token: bpe.token(104) }]);
    expect(searchTokens(bpe, "  ")).toEqual([]);
    expect(searchTokens(bpe, `#${bpe.size}`)).toEqual([]);
  });
  it("works on the verb grammar's word vocabulary too", () => {
    const verb = new Tokenizer();
    expect(searchTokens(verb, "camin").map((m) => m.token)).toEqual(expect.arrayContaining(["caminó", "camina"]));
  });
});
