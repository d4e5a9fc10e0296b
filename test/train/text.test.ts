// Training on a text of one's own: the character vocabulary and its tokenizer.json, the split,
// the window stream, the validation loss (against the float64 reference forward), and a run.

import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { referenceForward } from "../../src/reference/forward64.js";
import { HfTokenizer } from "../../src/train/hf-tokenizer.js";
import { tokenLabel } from "../../src/train/tokenizer.js";
import { charTokenizerJson, prepareText, textConfig, textLoss, textMetadata, TextStream, textWindows } from "../../src/train/text.js";
import { parseTrainConfig } from "../../src/train/train-config.js";
import { Trainer } from "../../src/train/trainer.js";

const TEXT = "the cat sat on the mat.\nthe dog ran to the cat.\n".repeat(40);

describe("a text of one's own", () => {
  it("its characters are the vocabulary, in code-point order (newlines, accents and emoji each one), its first 90% the training part", () => {
    const d = prepareText("añb😀\na".repeat(10), 5, "t.txt");
    expect(d.chars).toEqual(["\n", "a", "b", "ñ", "😀"]);
    expect(d.train.length + d.val.length).toBe(60); // code points, not UTF-16 units
    expect(d.train.length).toBe(54);
    expect(Array.from(d.train.subarray(0, 6))).toEqual([1, 3, 2, 4, 0, 1]);
  });
  it("refuses an empty text, one too short for a held-out window, and more characters than the vocabulary, saying which", () => {
    expect(() => prepareText("", 33, "e.txt")).toThrow(/e.txt is empty/);
    expect(() => prepareText("abc".repeat(50), 33, "s.txt")).toThrow(/s.txt has 150 characters; with windows of 33 \(context_len \+ 1\) it needs at least 321/);
    expect(() => prepareText("abcdefg".repeat(100), 33, "v.txt", 5)).toThrow(/v.txt has 7 distinct characters but the model's vocab_size is 5: raise vocab_size in --config to at least 7/);
  });
  it("the tokenizer.json encodes every character as its id and decodes back to the text; an unknown character is named", () => {
    const d = prepareText(TEXT + "ü😀 . , ' !", 33, "t.txt");
    const tok = new HfTokenizer(charTokenizerJson(d.chars));
    const ids = tok.encode(TEXT + "ü😀 . , ' !");
    expect(ids).toEqual([...d.train, ...d.val]);
    expect(tok.decode(ids)).toBe(TEXT + "ü😀 . , ' !"); // exactly: no space "cleaned up" before punctuation
    expect(tok.token(d.chars.indexOf("\n"))).toBe("\n");
    expect(() => tok.encode("the cow")).toThrow(/"w" \(piece 7 of 7\) is not in this tokenizer's vocabulary/);
    // labels: white space made visible (a space or newline alone would print as nothing)
    const spaces = new HfTokenizer(charTokenizerJson(["t", " ", "\n", "\u00a0"]));
    expect([0, 1, 2, 3].map((id) => tokenLabel(spaces, id))).toEqual(["t", "␣", "↵", "U+00A0"]);
  });
  it("the metadata: the characters as tokenizer.json, the file's name and hash, and a whole line of the held-out part to start from", () => {
    for (const shift of ["", "xyz ", "a\n", "the cat s"]) { // the 90% cut at a line's start, or inside one
      const t = shift + TEXT, d = prepareText(t, 33, "dir/story.txt"), meta = textMetadata(d);
      expect(t.split("\n")).toContain(meta["example_text"]);
      expect([meta["task"], meta["data"], meta["data_hash"]]).toEqual(["text", "story.txt", d.hash]);
      expect(new HfTokenizer(meta["tokenizer"]!).decode([...d.val])).toBe(Array.from(t).slice(d.train.length).join(""));
    }
  });
  it("windows: the stream draws whole slices of the training part, seeded, resumable; the validation windows spread evenly to its end", () => {
    const d = prepareText(TEXT, 33, "t.txt");
    const train = Array.from(d.train).join(",");
    const a = new TextStream(d.train, 33, 7), b = new TextStream(d.train, 33, 7);
    const drawn = Array.from({ length: 20 }, () => a.next().ids);
    for (const w of drawn) expect(w).toHaveLength(33), expect(train.includes(w.join(","))).toBe(true);
    expect(Array.from({ length: 20 }, () => b.next().ids)).toEqual(drawn);
    const state = a.getState(), next = a.next().ids;
    b.setState(state);
    expect(b.next().ids).toEqual(next);
    const val = textWindows(d.val, 33, 4);
    expect(val).toHaveLength(4);
    expect(val[0]).toEqual(Array.from(d.val.subarray(0, 33)));
    expect(val[3]).toEqual(Array.from(d.val.subarray(d.val.length - 33)));
    expect(textWindows(d.val, 33, 10_000)).toHaveLength(d.val.length - 33 + 1); // no more windows than starts
  });
  it("the validation loss is the mean over every position of −log p(next character), as the float64 reference forward computes it", () => {
    const d = prepareText(TEXT, 17, "t.txt");
    const model = new MiniGPT(textConfig(parseConfig({ d_model: 16, n_heads: 2, n_layers: 2, d_ff: 32, context_len: 16, seed: 3 }, LOCKED), d));
    const windows = textWindows(d.val, 17, 5);
    const weights = new Map(model.namedParameters().map(([n, p]) => [n, p.data]));
    let sum = 0, n = 0;
    for (const w of windows) {
      const { logits } = referenceForward(model.config, weights, w.slice(0, -1));
      logits.forEach((row, t) => {
        const max = Math.max(...row), lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
        sum += lse - row[w[t + 1]!]!;
        n++;
      });
    }
    expect(n).toBe(5 * 16);
    expect(textLoss(model, windows, 2)).toBeCloseTo(sum / n, 4);
  });
  it("trains: every character counts as a target (id 0 too, which the grammar keeps for <pad>), and the loss falls far below a uniform guess", () => {
    const d = prepareText(TEXT, 33, "t.txt");
    expect(d.chars[0]).toBe("\n");
    const model = new MiniGPT(textConfig(parseConfig({ d_model: 32, n_heads: 2, n_layers: 1, d_ff: 64 }, LOCKED), d));
    const trainer = new Trainer(model, parseTrainConfig({ steps: 150, batch_size: 8, warmup_steps: 10, lr: 1e-2, min_lr: 1e-3 }), new TextStream(d.train, 33, 1));
    const val = textWindows(d.val, 33, 16);
    const before = textLoss(model, val);
    expect(before).toBeGreaterThan(Math.log(d.chars.length) - 0.3);
    const first = trainer.trainStep();
    expect(first.tokens).toBe(8 * 32); // no target skipped
    while (!trainer.done) trainer.trainStep();
    expect(textLoss(model, val)).toBeLessThan(0.5 * before);
  });
});
