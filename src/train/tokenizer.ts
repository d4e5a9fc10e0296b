// A word-level tokenizer over the project vocabulary, with suggestions for unknown words.
// Rule (every command, the page): words are split on white space, "." and "," stand alone,
// and case is ignored ("Ayer" is "ayer"). Special tokens such as <bos> are written out;
// nothing is added that the text does not say.

import { CANONICAL_TEXT, VOCAB, type TokenInfo } from "./vocab.js";

/** Whether a model reads the verb grammar: its word-level tokenizer over the 64-token vocabulary (the course's models), not an imported one's. */
export function usesVerbGrammar(tok: TextTokenizer, vocabSize: number): boolean {
  return tok instanceof Tokenizer && vocabSize === VOCAB.length;
}

export class TokenizerError extends Error {
  override name = "TokenizerError";
}

/** What the CLI and the page need of a tokenizer: the verb-grammar one or a model's tokenizer.json. */
export interface TextTokenizer {
  readonly size: number;
  /** Token ids for a text; unknown pieces are errors that say where. */
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** A token's display string. */
  token(id: number): string;
  id(token: string): number;
  /** Known words close to `word`, for suggestions (may be empty). */
  nearest(word: string, n: number): string[];
}

export class Tokenizer implements TextTokenizer {
  private readonly byKey = new Map<string, number>();

  constructor(readonly vocab: readonly TokenInfo[] = VOCAB) {
    for (const t of vocab) this.byKey.set(key(t.token), t.id);
  }

  get size(): number {
    return this.vocab.length;
  }

  /** Words and punctuation to ids; matching ignores case. Unknown words are errors with suggestions. */
  encode(text: string): number[] {
    const words = splitWords(text);
    if (words.length === 0) throw new TokenizerError("the text is empty: give at least one word");
    return words.map((w, i) => {
      const id = this.byKey.get(key(w));
      if (id === undefined) {
        const near = this.nearest(w, 3).map((s) => `"${s}"`);
        throw new TokenizerError(`unknown word "${w}" at word ${i + 1} of ${words.length}; did you mean ${near.join(", ")}? (see \`minigpt vocab\`)`);
      }
      return id;
    });
  }

  decode(ids: readonly number[]): string {
    return ids.map((id) => this.token(id)).join(" ");
  }

  token(id: number): string {
    const t = this.vocab[id];
    if (t === undefined) throw new TokenizerError(`token id ${id} is outside the vocabulary: ids run from 0 to ${this.vocab.length - 1}`);
    return t.token;
  }

  id(token: string): number {
    const id = this.byKey.get(key(token));
    if (id === undefined) throw new TokenizerError(`"${token}" is not in the vocabulary`);
    return id;
  }

  /** The known tokens closest to `word` by edit distance (accents count half). */
  nearest(word: string, n: number): string[] {
    return this.vocab
      .filter((t) => t.kind !== "unused" && t.kind !== "special")
      .map((t) => ({ token: t.token, d: editDistance(key(word), key(t.token)) }))
      .sort((a, b) => a.d - b.d || a.token.localeCompare(b.token))
      .slice(0, n)
      .map((x) => x.token);
  }
}

/** For a model that carries no tokenizer: ids only, shown as #id. */
export class IdsOnly implements TextTokenizer {
  constructor(readonly size: number) {}
  /** Ids written out ("#12 #5 7", or "12,5,7"); words are refused: there is no vocabulary to read them with. */
  encode(text: string): number[] {
    const pieces = text.split(/[\s,]+/).filter((p) => p !== "");
    if (pieces.length === 0 || pieces.some((p) => !/^#?\d+$/.test(p))) {
      throw new TokenizerError("this model carries no tokenizer (no tokenizer.json was imported with it); give token ids (--ids 12,5,7, or #12 #5 #7 as text)");
    }
    return pieces.map((p) => this.id(p));
  }
  decode(ids: readonly number[]): string {
    return ids.map((id) => this.token(id)).join(" ");
  }
  token(id: number): string {
    return `#${id}`;
  }
  id(token: string): number {
    const id = Number(token.replace(/^#/, ""));
    if (!Number.isInteger(id) || id < 0 || id >= this.size) throw new TokenizerError(`"${token}" is not a token id of this model (0 to ${this.size - 1})`);
    return id;
  }
  nearest(): string[] {
    return [];
  }
}

/** A token id's display name: its token, or #id past the tokenizer's vocabulary (the CLI and the page). */
export function tokenLabel(tok: TextTokenizer, id: number): string {
  if (!(id >= 0 && id < tok.size)) return `#${id}`;
  const t = tok.token(id);
  // a token of white space alone (a character model's space or newline, GPT-2's "\n\n") would print as nothing: shown by symbols
  return t !== "" && /^\s+$/u.test(t) ? Array.from(t, (c) => VISIBLE[c] ?? `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`).join("") : t;
}

const VISIBLE: Readonly<Record<string, string>> = { " ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍" };

/** The canonical sequence's ids. */
export function canonicalIds(tokenizer: Tokenizer = new Tokenizer()): number[] {
  return tokenizer.encode(CANONICAL_TEXT);
}

function key(word: string): string {
  return word.normalize("NFC").toLowerCase();
}

/** Split on white space, with "." and "," as words of their own. */
export function splitWords(text: string): string[] {
  return text
    .replace(/([.,])/g, " $1 ")
    .split(/\s+/)
    .filter((w) => w.length > 0);
}

function stripAccents(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
}

/** Levenshtein distance where a letter differing only by its accent costs ½. */
function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const ca = a[i - 1]!, cb = b[j - 1]!;
      const sub = ca === cb ? 0 : stripAccents(ca) === stripAccents(cb) ? 0.5 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + sub);
    }
    prev.splice(0, prev.length, ...cur);
  }
  return prev[b.length]!;
}
