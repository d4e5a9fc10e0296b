// The project vocabulary as data: 60 English + Spanish verb-grammar tokens and 4 padding slots.
// Each token carries its grammatical features, so the corpus generator and the agreement
// metric read grammar from here rather than from lists of their own.
//
// The design: a verb's form depends on earlier tokens — its subject (person and number)
// and the sentence's time word (tense) — in both languages, at distances that vary
// with determiners, adverbs and coordination. A model must look back to predict it.

export type Lang = "en" | "es";
export type Tense = "present" | "past";
/** Person and number: 1sg, 2sg, 3sg, 1pl, 2pl, 3pl. */
export type Agreement = "1sg" | "2sg" | "3sg" | "1pl" | "2pl" | "3pl";
export type Kind = "special" | "punct" | "pronoun" | "time" | "det" | "noun" | "adverb" | "conj" | "verb" | "unused";

export interface TokenInfo {
  readonly id: number;
  readonly token: string;
  readonly kind: Kind;
  readonly lang: Lang | null;
  /** Subjects: the agreement they impose. Verbs: every agreement the form fits. */
  readonly agreement: readonly Agreement[];
  /** Time words: the tense they set. Verbs: every tense the form fits. */
  readonly tense: readonly Tense[];
  /** Verbs: the infinitive. */
  readonly lemma: string | null;
  readonly gloss: string;
}

type Row = [token: string, kind: Kind, lang: Lang | null, agreement: Agreement[], tense: Tense[], lemma: string | null, gloss: string];

const ALL: Agreement[] = ["1sg", "2sg", "3sg", "1pl", "2pl", "3pl"];
const NOT_3SG: Agreement[] = ["1sg", "2sg", "1pl", "2pl", "3pl"];

const ROWS: Row[] = [
  ["<pad>", "special", null, [], [], null, "padding (ignored by the loss)"],
  ["<bos>", "special", null, [], [], null, "beginning of sequence"],
  ["<eos>", "special", null, [], [], null, "end of sequence"],
  [".", "punct", null, [], [], null, "full stop"],
  [",", "punct", null, [], [], null, "comma"],
  ["I", "pronoun", "en", ["1sg"], [], null, "yo"],
  ["you", "pronoun", "en", ["2sg"], [], null, "tú"],
  ["he", "pronoun", "en", ["3sg"], [], null, "él"],
  ["she", "pronoun", "en", ["3sg"], [], null, "ella"],
  ["we", "pronoun", "en", ["1pl"], [], null, "nosotros"],
  ["they", "pronoun", "en", ["3pl"], [], null, "ellos"],
  ["yo", "pronoun", "es", ["1sg"], [], null, "I"],
  ["tú", "pronoun", "es", ["2sg"], [], null, "you"],
  ["él", "pronoun", "es", ["3sg"], [], null, "he"],
  ["ella", "pronoun", "es", ["3sg"], [], null, "she"],
  ["nosotros", "pronoun", "es", ["1pl"], [], null, "we"],
  ["ellos", "pronoun", "es", ["3pl"], [], null, "they"],
  ["yesterday", "time", "en", [], ["past"], null, "ayer"],
  ["today", "time", "en", [], ["present"], null, "hoy"],
  ["now", "time", "en", [], ["present"], null, "ahora"],
  ["ayer", "time", "es", [], ["past"], null, "yesterday"],
  ["hoy", "time", "es", [], ["present"], null, "today"],
  ["ahora", "time", "es", [], ["present"], null, "now"],
  ["the", "det", "en", [], [], null, "el / los"],
  ["dog", "noun", "en", ["3sg"], [], null, "perro"],
  ["dogs", "noun", "en", ["3pl"], [], null, "perros"],
  ["el", "det", "es", ["3sg"], [], null, "the (singular)"],
  ["los", "det", "es", ["3pl"], [], null, "the (plural)"],
  ["perro", "noun", "es", ["3sg"], [], null, "dog"],
  ["perros", "noun", "es", ["3pl"], [], null, "dogs"],
  ["also", "adverb", "en", [], [], null, "también"],
  ["never", "adverb", "en", [], [], null, "nunca"],
  ["también", "adverb", "es", [], [], null, "also"],
  ["nunca", "adverb", "es", [], [], null, "never"],
  ["and", "conj", "en", [], [], null, "y"],
  ["y", "conj", "es", [], [], null, "and"],
  ["walk", "verb", "en", NOT_3SG, ["present"], "walk", "caminar"],
  ["walks", "verb", "en", ["3sg"], ["present"], "walk", "camina"],
  ["walked", "verb", "en", ALL, ["past"], "walk", "caminó"],
  ["talk", "verb", "en", NOT_3SG, ["present"], "talk", "hablar"],
  ["talks", "verb", "en", ["3sg"], ["present"], "talk", "habla"],
  ["talked", "verb", "en", ALL, ["past"], "talk", "habló"],
  ["camino", "verb", "es", ["1sg"], ["present"], "caminar", "I walk"],
  ["caminas", "verb", "es", ["2sg"], ["present"], "caminar", "you walk"],
  ["camina", "verb", "es", ["3sg"], ["present"], "caminar", "he/she walks"],
  ["caminamos", "verb", "es", ["1pl"], ["present", "past"], "caminar", "we walk / walked"],
  ["caminan", "verb", "es", ["3pl"], ["present"], "caminar", "they walk"],
  ["caminé", "verb", "es", ["1sg"], ["past"], "caminar", "I walked"],
  ["caminaste", "verb", "es", ["2sg"], ["past"], "caminar", "you walked"],
  ["caminó", "verb", "es", ["3sg"], ["past"], "caminar", "he/she walked"],
  ["caminaron", "verb", "es", ["3pl"], ["past"], "caminar", "they walked"],
  ["hablo", "verb", "es", ["1sg"], ["present"], "hablar", "I talk"],
  ["hablas", "verb", "es", ["2sg"], ["present"], "hablar", "you talk"],
  ["habla", "verb", "es", ["3sg"], ["present"], "hablar", "he/she talks"],
  ["hablamos", "verb", "es", ["1pl"], ["present", "past"], "hablar", "we talk / talked"],
  ["hablan", "verb", "es", ["3pl"], ["present"], "hablar", "they talk"],
  ["hablé", "verb", "es", ["1sg"], ["past"], "hablar", "I talked"],
  ["hablaste", "verb", "es", ["2sg"], ["past"], "hablar", "you talked"],
  ["habló", "verb", "es", ["3sg"], ["past"], "hablar", "he/she talked"],
  ["hablaron", "verb", "es", ["3pl"], ["past"], "hablar", "they talked"],
  ["<unused0>", "unused", null, [], [], null, "padding slot (never produced)"],
  ["<unused1>", "unused", null, [], [], null, "padding slot (never produced)"],
  ["<unused2>", "unused", null, [], [], null, "padding slot (never produced)"],
  ["<unused3>", "unused", null, [], [], null, "padding slot (never produced)"],
];

export const VOCAB: readonly TokenInfo[] = Object.freeze(
  ROWS.map(([token, kind, lang, agreement, tense, lemma, gloss], id) => Object.freeze({ id, token, kind, lang, agreement, tense, lemma, gloss })),
);

export const PAD = 0;
export const BOS = 1;
export const EOS = 2;

/**
 * The canonical 8-token sequence, used wherever the course says "the canonical sequence":
 * "ayer el perro también caminó y ellos" — yesterday the dog also walked and they …
 * The next token must be a third-person-plural past form (caminaron / hablaron) or an
 * adverb: the model has to read "ayer" six positions back and "ellos" right here.
 */
export const CANONICAL_TEXT = "<bos> ayer el perro también caminó y ellos";
