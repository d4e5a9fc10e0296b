// Training on a text of one's own, as nanoGPT's shakespeare_char: the vocabulary is the text's
// characters, the data random windows of context_len + 1 characters from its first 90%, the
// validation loss measured on windows from the last 10%. The vocabulary travels with the model as
// a tokenizer.json (word level over single characters, fused back on decoding), so every command
// and the page read and write text in it — and the Hugging Face libraries load it as it is.

import type { ModelConfig } from "../model/config.js";
import { generate } from "../model/generate.js";
import type { MiniGPT } from "../model/minigpt.js";
import { F, noGrad, Rng, type RngState } from "../tensor/index.js";
import type { Example } from "./corpus.js";
import { TokenizerError } from "./tokenizer.js";

/** The share of the text trained on; the rest is held out for the validation loss. */
export const TRAIN_SHARE = 0.9;

export interface TextData {
  /** The text's distinct characters (Unicode code points) in code-point order; a character's id is its index. */
  readonly chars: readonly string[];
  /** The first 90% of the text as ids, and the last 10%. */
  readonly train: Int32Array;
  readonly val: Int32Array;
  /** FNV-1a of the text's UTF-16 code units, in hex: a resumed run checks it trains on the same text. */
  readonly hash: string;
  /** Where the text came from (a file's name), for messages and the checkpoint's metadata. */
  readonly source: string;
}

/**
 * A text split for training with windows of `window` ids (context_len + 1). Refuses an empty text,
 * one whose either part is shorter than a window, and one with more distinct characters than
 * `maxVocab` (the model's vocab_size, when the model is given), saying which and by how much.
 */
export function prepareText(text: string, window: number, source: string, maxVocab = Infinity): TextData {
  const points = Array.from(text);
  if (points.length === 0) throw new TokenizerError(`${source} is empty: give a text to train on`);
  const chars = [...new Set(points)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  if (chars.length > maxVocab) throw new TokenizerError(`${source} has ${chars.length} distinct characters but the model's vocab_size is ${maxVocab}: raise vocab_size in --config to at least ${chars.length}`);
  const id = new Map(chars.map((c, i) => [c, i]));
  const ids = Int32Array.from(points, (c) => id.get(c)!);
  const cut = Math.floor(ids.length * TRAIN_SHARE);
  if (ids.length - cut < window) {
    let need = window;
    while (need - Math.floor(need * TRAIN_SHARE) < window) need++;
    throw new TokenizerError(`${source} has ${ids.length} characters; with windows of ${window} (context_len + 1) it needs at least ${need}, so that its last 10% (held out) holds one window`);
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return { chars, train: ids.subarray(0, cut), val: ids.subarray(cut), hash: h.toString(16).padStart(8, "0"), source };
}

/** The model for a text when none is given: the given config (the locked one) with one id per character. */
export function textConfig(base: ModelConfig, data: TextData): ModelConfig {
  return { ...base, vocab_size: data.chars.length };
}

/**
 * The characters as a Hugging Face tokenizer.json: each character one piece (a Split on every
 * code point), each piece a word of a WordLevel vocabulary, fused back without separators on
 * decoding. A character outside the vocabulary is an error (HfTokenizer names it).
 */
export function charTokenizerJson(chars: readonly string[]): string {
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: "Split", pattern: { Regex: "[\\s\\S]" }, behavior: "Isolated", invert: false },
    post_processor: null,
    decoder: { type: "Fuse" },
    model: { type: "WordLevel", vocab: Object.fromEntries(chars.map((c, i) => [c, i])), unk_token: "" },
  });
}

/**
 * What a text model's checkpoints carry: the task, the characters as a tokenizer.json, which text
 * (its file's name and hash), and a line of it to start from (the held-out part's first whole line,
 * up to 24 characters: the explorer's one-line input opens the model on it).
 */
export function textMetadata(text: TextData): Record<string, string> {
  const held = Array.from(text.val.subarray(0, 400), (id) => text.chars[id]!).join("");
  const lines = held.split(/[\r\n]+/), cutMidLine = !/[\r\n]/.test(text.chars[text.train[text.train.length - 1]!] ?? "\n");
  const line = (cutMidLine ? lines.slice(1) : lines).find((l) => l.trim() !== "") ?? held; // a whole line, not the tail of one the 90% cut split
  const example = Array.from(line).slice(0, 24).join("");
  return { task: "text", tokenizer: charTokenizerJson(text.chars), data: text.source.split(/[\\/]/).pop()!, data_hash: text.hash, example_text: example };
}

/** The endless, seeded stream of windows of `window` ids from `ids`, at uniformly drawn starts; every target counts. */
export class TextStream {
  /** No target is padding: every window is full. */
  readonly ignore = null;
  private readonly rng: Rng;
  constructor(private readonly ids: Int32Array, private readonly window: number, seed: number) {
    if (ids.length < window) throw new Error(`TextStream: ${ids.length} ids cannot hold a window of ${window}`);
    this.rng = new Rng(seed);
  }
  next(): Example {
    const start = this.rng.int(this.ids.length - this.window + 1);
    return { ids: Array.from(this.ids.subarray(start, start + this.window)), verbs: [] };
  }
  getState(): RngState {
    return this.rng.getState();
  }
  setState(s: RngState): void {
    this.rng.setState(s);
  }
}

/** Up to `count` windows of `window` ids spread evenly over `ids` (the same ones every time). */
export function textWindows(ids: Int32Array, window: number, count: number): number[][] {
  const room = ids.length - window;
  const n = Math.max(1, Math.min(count, room + 1));
  return Array.from({ length: n }, (_, i) => {
    const start = n === 1 ? 0 : Math.round((i * room) / (n - 1));
    return Array.from(ids.subarray(start, start + window));
  });
}

/** A context's worth of characters sampled at temperature 1 (seed 0) after the held-out part's first character: what the model writes, as it learns. */
export function textSample(model: MiniGPT, text: TextData): string {
  const g = generate(model, [text.val[0]!], { maxNew: model.config.context_len - 1, seed: 0 });
  return g.ids.map((id) => text.chars[id] ?? "").join("");
}

/** The mean next-token loss (nats per character) over windows, every position predicted. */
export function textLoss(model: MiniGPT, windows: readonly (readonly number[])[], batch = 32): number {
  let sum = 0, n = 0;
  for (let b = 0; b < windows.length; b += batch) {
    const chunk = windows.slice(b, b + batch);
    const inputs = chunk.map((w) => w.slice(0, -1));
    const targets = Int32Array.from(chunk.flatMap((w) => w.slice(1)));
    const loss = noGrad(() => F.crossEntropy(model.forward(inputs), targets)).item();
    sum += loss * targets.length;
    n += targets.length;
  }
  return sum / n;
}
