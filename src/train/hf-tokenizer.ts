// A model's own tokenizer from its tokenizer.json (byte-level BPE for GPT-2, GPT-NeoX's BPE,
// LLaMA's SentencePiece-style BPE, word level…) through @huggingface/tokenizers, a pure
// TypeScript port of Hugging Face's tokenizers; and the verb grammar's vocabulary written as a
// tokenizer.json, so an exported model's tokenizer loads in the Hugging Face libraries too.

import { Tokenizer as HfTokenizerImpl } from "@huggingface/tokenizers";
import { IdsOnly, Tokenizer, TokenizerError, type TextTokenizer } from "./tokenizer.js";
import { BOS, EOS, VOCAB } from "./vocab.js";

export class HfTokenizer implements TextTokenizer {
  private readonly impl: HfTokenizerImpl;
  private readonly vocab: Map<number, string>;

  constructor(json: string, source = "tokenizer.json") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new TokenizerError(`${source}: not valid JSON (${(err as Error).message})`);
    }
    try {
      this.impl = new HfTokenizerImpl(parsed as object, {});
    } catch (err) {
      throw new TokenizerError(`${source}: cannot build a tokenizer from it (${(err as Error).message})`);
    }
    this.vocab = new Map([...this.impl.get_vocab(true)].map(([t, id]) => [id, t]));
  }

  get size(): number {
    return this.vocab.size;
  }

  encode(text: string): number[] {
    const { ids, tokens } = this.impl.encode(text, { add_special_tokens: false });
    // the library leaves an id undefined for a piece it cannot map (its types say number[])
    const bad = (ids as (number | undefined)[]).findIndex((id) => id === undefined);
    if (bad >= 0) throw new TokenizerError(`"${tokens[bad]}" (piece ${bad + 1} of ${ids.length}) is not in this tokenizer's vocabulary`);
    if (ids.length === 0) throw new TokenizerError("the text is empty: give at least one token");
    return ids;
  }

  /** The pieces' text exactly, as Hugging Face's tokenizers library decodes: no "clean-up" of spaces before punctuation (transformers' option, which would change a character model's " ." to "."). */
  decode(ids: readonly number[]): string {
    return this.impl.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The token as its text (byte-level BPE's Ġ-style characters decoded to what they print). */
  token(id: number): string {
    if (!this.vocab.has(id)) throw new TokenizerError(`token id ${id} is not in this tokenizer's vocabulary`);
    return this.impl.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  id(token: string): number {
    const id = this.impl.token_to_id(token);
    if (id !== undefined) return id;
    const ids = this.impl.encode(token, { add_special_tokens: false }).ids;
    if (ids.length === 1 && ids[0] !== undefined) return ids[0];
    throw new TokenizerError(`"${token}" is not one token of this tokenizer (it encodes as ${ids.length} pieces)`);
  }

  nearest(word: string, n: number): string[] {
    const w = word.toLowerCase();
    return [...this.vocab.values()].filter((t) => t.toLowerCase().startsWith(w.slice(0, 2))).slice(0, n);
  }
}

/** The tokenizer for a checkpoint: its tokenizer.json when it carries one, else the verb grammar's (64 tokens), else ids only. */
export function tokenizerFor(metadata: Readonly<Record<string, string>>, vocabSize: number): TextTokenizer {
  const json = metadata["tokenizer"];
  if (json !== undefined) return new HfTokenizer(json, "the checkpoint's tokenizer.json");
  return vocabSize === VOCAB.length ? new Tokenizer() : new IdsOnly(vocabSize);
}

/**
 * Where a checkpoint's sequences begin and end, for sampling: the verb grammar's <bos> and <eos>;
 * an imported model's bos_token_id and eos_token_id (its config.json's, kept in the metadata; a
 * list of ends allowed); none for a model without them (a character-level model of a text).
 */
export function specialTokens(metadata: Readonly<Record<string, string>>, vocabSize: number): { bos: number | null; eos: number[] } {
  if (metadata["tokenizer"] === undefined && vocabSize === VOCAB.length) return { bos: BOS, eos: [EOS] };
  const ids = (key: string): number[] => (metadata[key] ?? "").split(",").filter((v) => /^\d+$/.test(v)).map(Number).filter((id) => id < vocabSize);
  return { bos: ids("bos_token_id")[0] ?? null, eos: ids("eos_token_id") };
}

/**
 * The verb-grammar vocabulary as a Hugging Face tokenizer.json: word level, split on white space
 * with punctuation on its own, <pad>/<bos>/<eos> special. Matching is exact here (Hugging Face's
 * WordLevel has no case-folding that keeps "I"), where minigpt's own tokenizer ignores case.
 */
export function verbTokenizerJson(): string {
  const vocab: Record<string, number> = {};
  for (const t of VOCAB) vocab[t.token] = t.id;
  const special = VOCAB.filter((t) => t.kind === "special" || t.kind === "unused");
  return JSON.stringify({
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special.map((t) => ({ id: t.id, content: t.token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" }, { type: "Punctuation", behavior: "Isolated" }] },
    post_processor: null,
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "<pad>" },
  });
}
