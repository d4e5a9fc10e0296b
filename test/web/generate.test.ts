// The page's generation panel: what it writes (a word-level model's words, another tokenizer's
// text) and how far a character model goes (past its context, as generate --slide).

import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { HfTokenizer } from "../../src/train/hf-tokenizer.js";
import { charTokenizerJson, prepareText, textConfig, textMetadata } from "../../src/train/text.js";
import { Tokenizer } from "../../src/train/tokenizer.js";
import { sample, writtenText } from "../../web/src/lib/compute.js";

describe("the page's generation", () => {
  const text = prepareText("the cat sat on the mat.\nthe dog ran to the cat.\n".repeat(40), 33, "story.txt");
  const model = new MiniGPT(textConfig(parseConfig({ d_model: 16, n_heads: 2, n_layers: 1, d_ff: 32, init_std: 0.3 }, LOCKED), text));
  const chars = { model, tok: new HfTokenizer(charTokenizerJson(text.chars)), metadata: textMetadata(text) };
  it("a character model writes its characters as text, on past its context (no end token to stop it)", () => {
    const prompt = chars.tok.encode("the c");
    const out = sample(chars, prompt, { temperature: 1, topK: 0, topP: 1, seed: 1 });
    expect(out.prompt).toEqual(prompt);
    expect(out.generated.length).toBeGreaterThan(LOCKED.context_len);
    const written = writtenText(chars, [...out.prompt, ...out.generated]);
    expect(written.startsWith("the c")).toBe(true);
    expect(Array.from(written)).toHaveLength(out.prompt.length + out.generated.length); // one character an id, nothing added between
  });
  it("the verb grammar's model writes words with spaces between, and stops within its context", () => {
    const verb = { model: new MiniGPT(LOCKED), tok: new Tokenizer(), metadata: {} };
    expect(writtenText(verb, verb.tok.encode("<bos> ayer ellos"))).toBe("<bos> ayer ellos");
    const out = sample(verb, [1], { temperature: 1, topK: 0, topP: 1, seed: 1 });
    expect(out.prompt.length + out.generated.length).toBeLessThanOrEqual(LOCKED.context_len);
  });
  it("asks for as many tokens as the panel says: fewer, or (a character model) many more than the context", () => {
    const opts = { temperature: 1, topK: 0, topP: 1, seed: 1 };
    expect(sample(chars, chars.tok.encode("the c"), { ...opts, maxNew: 5 }).generated).toHaveLength(5);
    expect(sample(chars, chars.tok.encode("the c"), { ...opts, maxNew: 300 }).generated).toHaveLength(300);
    // the same seed: the first five of a longer sample are the five of a short one
    expect(sample(chars, chars.tok.encode("the c"), { ...opts, maxNew: 300 }).generated.slice(0, 5)).toEqual(sample(chars, chars.tok.encode("the c"), { ...opts, maxNew: 5 }).generated);
    expect(() => sample(chars, chars.tok.encode("the c"), { ...opts, maxNew: 2.5 })).toThrow(/max-new 2.5 must be a whole number/);
  });
});
