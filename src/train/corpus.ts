// The verb-grammar corpus: English and Spanish sentences whose verb forms depend on
// earlier tokens — the subject (person, number) and the sentence's time word (tense).
//
//   sequence := <bos> sentence [sentence] <eos>            (a second sentence 1 time in 4)
//   sentence := time [","] clause [conj clause] "."
//   clause   := subject [adverb | adverb₁ adverb₂] verb       (also never / también nunca)
//   subject  := pronoun | det noun                         (the dog / los perros)
//
// One language per sequence. The time word sets the tense of every verb up to the next
// sentence's time word (yesterday/ayer → past; today, now/hoy, ahora → present); each verb
// agrees with its clause's subject. Adverbs and a second clause put 1–14 tokens between
// a verb and the words that decide it. The verb's lemma (walk/talk, caminar/hablar) is free.
//
// Split: a clause is a (subject, tense, lemma) combination. HELD_OUT lists combinations the
// training stream never produces; every validation sequence has one in its first clause.
// So validation measures agreement on combinations the model has never seen.

import { Rng, type RngState } from "../tensor/index.js";
import { BOS, EOS, VOCAB, type Agreement, type Lang, type Tense, type TokenInfo } from "./vocab.js";

/** A verb position: the grammar's requirement for the token at `position`. */
export interface VerbSlot {
  readonly position: number; // index of the verb in the sequence
  readonly lang: Lang;
  readonly agreement: Agreement;
  readonly tense: Tense;
  readonly heldOut: boolean;
}

export interface Example {
  readonly ids: number[];
  readonly verbs: VerbSlot[];
}

interface Subject {
  readonly words: readonly string[];
  readonly agreement: Agreement;
}

interface Language {
  readonly times: readonly { word: string; tense: Tense }[];
  readonly subjects: readonly Subject[];
  readonly adverbs: readonly string[];
  readonly conj: string;
  readonly lemmas: readonly string[];
}

const LANGUAGES: Readonly<Record<Lang, Language>> = {
  en: {
    times: [{ word: "yesterday", tense: "past" }, { word: "today", tense: "present" }, { word: "now", tense: "present" }],
    subjects: [
      { words: ["I"], agreement: "1sg" }, { words: ["you"], agreement: "2sg" }, { words: ["he"], agreement: "3sg" },
      { words: ["she"], agreement: "3sg" }, { words: ["we"], agreement: "1pl" }, { words: ["they"], agreement: "3pl" },
      { words: ["the", "dog"], agreement: "3sg" }, { words: ["the", "dogs"], agreement: "3pl" },
    ],
    adverbs: ["also", "never"],
    conj: "and",
    lemmas: ["walk", "talk"],
  },
  es: {
    times: [{ word: "ayer", tense: "past" }, { word: "hoy", tense: "present" }, { word: "ahora", tense: "present" }],
    subjects: [
      { words: ["yo"], agreement: "1sg" }, { words: ["tú"], agreement: "2sg" }, { words: ["él"], agreement: "3sg" },
      { words: ["ella"], agreement: "3sg" }, { words: ["nosotros"], agreement: "1pl" }, { words: ["ellos"], agreement: "3pl" },
      { words: ["el", "perro"], agreement: "3sg" }, { words: ["los", "perros"], agreement: "3pl" },
    ],
    adverbs: ["también", "nunca"],
    conj: "y",
    lemmas: ["caminar", "hablar"],
  },
};

/** (subject, tense, lemma) combinations that only the validation set contains. */
export const HELD_OUT: readonly string[] = [
  "she|present|talk", "the dogs|past|walk", "we|present|walk", "I|past|talk",
  "ellos|past|hablar", "tú|present|caminar", "los perros|past|caminar", "nosotros|present|hablar",
];

const byToken = new Map(VOCAB.map((t) => [t.token, t]));
const idOf = (word: string): number => {
  const t = byToken.get(word);
  if (t === undefined) throw new Error(`corpus: "${word}" is not in the vocabulary`);
  return t.id;
};

/** The verb form of `lemma` for an agreement and tense (unique by construction of the vocabulary). */
export function verbForm(lang: Lang, lemma: string, agreement: Agreement, tense: Tense): TokenInfo {
  const forms = VOCAB.filter((t) => t.kind === "verb" && t.lang === lang && t.lemma === lemma && t.agreement.includes(agreement) && t.tense.includes(tense));
  if (forms.length !== 1) throw new Error(`corpus: ${forms.length} forms of ${lemma} for ${agreement} ${tense}`);
  return forms[0]!;
}

/** Whether a verb token is grammatical for a slot (any lemma of the slot's language). */
export function isGrammatical(token: TokenInfo, slot: Pick<VerbSlot, "lang" | "agreement" | "tense">): boolean {
  return token.kind === "verb" && token.lang === slot.lang && token.agreement.includes(slot.agreement) && token.tense.includes(slot.tense);
}

const heldOut = new Set(HELD_OUT);
const comboKey = (s: Subject, tense: Tense, lemma: string): string => `${s.words.join(" ")}|${tense}|${lemma}`;

type Want = "train" | "validation";

function sentence(rng: Rng, L: Language, lang: Lang, out: number[], verbs: VerbSlot[], want: Want, first: boolean): void {
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const time = pick(L.times);
  out.push(idOf(time.word));
  if (rng.uniform() < 0.3) out.push(idOf(","));
  const clauses = rng.uniform() < 0.5 ? 2 : 1;
  for (let c = 0; c < clauses; c++) {
    if (c > 0) out.push(idOf(L.conj));
    let subject: Subject, lemma: string, held: boolean;
    const mustHoldOut = want === "validation" && first && c === 0;
    do {
      subject = pick(L.subjects);
      lemma = pick(L.lemmas);
      held = heldOut.has(comboKey(subject, time.tense, lemma));
    } while (mustHoldOut ? !held : want === "train" && held);
    for (const w of subject.words) out.push(idOf(w));
    const adverbs = rng.int(3); // none, one, or both in their fixed order ("also never")
    if (adverbs === 1) out.push(idOf(pick(L.adverbs)));
    if (adverbs === 2) for (const a of L.adverbs) out.push(idOf(a));
    verbs.push({ position: out.length, lang, agreement: subject.agreement, tense: time.tense, heldOut: held });
    out.push(verbForm(lang, lemma, subject.agreement, time.tense).id);
  }
  out.push(idOf("."));
}

/** One sequence from the training distribution (`train`) or the held-out one (`validation`). */
export function sampleExample(rng: Rng, want: Want = "train"): Example {
  const lang: Lang = rng.uniform() < 0.5 ? "en" : "es";
  const L = LANGUAGES[lang];
  const ids = [BOS];
  const verbs: VerbSlot[] = [];
  sentence(rng, L, lang, ids, verbs, want, true);
  if (rng.uniform() < 0.25) sentence(rng, L, lang, ids, verbs, want === "validation" ? "train" : want, false);
  ids.push(EOS);
  return { ids, verbs };
}

/** The fixed validation set: `n` sequences from their own seed, each with a held-out clause first. */
export function validationSet(n: number, seed = 0x5eed): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => sampleExample(rng, "validation"));
}

/** The training stream: an endless, seeded sequence of examples whose position can be saved. */
export class TrainingStream {
  private readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  next(): Example {
    return sampleExample(this.rng, "train");
  }
  getState(): RngState {
    return this.rng.getState();
  }
  setState(s: RngState): void {
    this.rng.setState(s);
  }
}

/** What a probe of the verb grammar may ask of the position before a verb: the tense, person and number, or language it must take. */
export type GrammarProperty = "tense" | "agreement" | "lang";
export const GRAMMAR_CLASSES: Readonly<Record<GrammarProperty, readonly string[]>> = {
  tense: ["past", "present"],
  agreement: ["1sg", "2sg", "3sg", "1pl", "2pl", "3pl"],
  lang: ["en", "es"],
};

/**
 * Probe items from examples: at the token before each verb — where the model must already know
 * the verb's form to predict it — the property the verb takes, as a class of GRAMMAR_CLASSES.
 */
export function grammarProbeItems(examples: readonly Example[], property: GrammarProperty): { ids: number[]; position: number; label: number }[] {
  const classes = GRAMMAR_CLASSES[property];
  return examples.flatMap((ex) => ex.verbs.map((v) => ({ ids: ex.ids.slice(0, v.position), position: v.position - 1, label: classes.indexOf(v[property]) })));
}

/** Probe positions from `sentences` training sentences (seeded) and the held-out set, with every property's classes. */
export interface GrammarProbeSets {
  readonly sentences: { readonly train: number; readonly test: number };
  readonly train: { ids: number[]; position: number; label: number }[];
  readonly test: { ids: number[]; position: number; label: number }[];
  readonly labels: Readonly<Record<GrammarProperty, { readonly train: Int32Array; readonly test: Int32Array }>>;
}

export function grammarProbeSets(sentences: number, { seed = 7, heldOut = 200, context = MAX_SEQUENCE_LENGTH }: { seed?: number; heldOut?: number; context?: number } = {}): GrammarProbeSets {
  const rng = new Rng(seed);
  const train = Array.from({ length: sentences }, () => sampleExample(rng, "train")), test = validationSet(heldOut);
  // a model with a shorter context sees only the verbs within it
  const items = (examples: Example[], p: GrammarProperty) => grammarProbeItems(examples, p).filter((it) => it.ids.length <= context);
  const labels = (examples: Example[], p: GrammarProperty): Int32Array => Int32Array.from(items(examples, p), (it) => it.label);
  const props = Object.keys(GRAMMAR_CLASSES) as GrammarProperty[];
  return {
    sentences: { train: sentences, test: heldOut },
    // the positions are the same for every property (the token before each verb)
    train: items(train, "tense"), test: items(test, "tense"),
    labels: Object.fromEntries(props.map((p) => [p, { train: labels(train, p), test: labels(test, p) }])) as GrammarProbeSets["labels"],
  };
}

/** The longest sequence the grammar can produce (fits context_len 32). */
export const MAX_SEQUENCE_LENGTH = 1 + 2 * (1 + 1 + 2 * (2 + 2 + 1) + 1 + 1) + 1;

/**
 * Read a generated sequence with the corpus grammar's rules and check every verb:
 * its tense against the last time word, its person and number against the last subject.
 * Returns one entry per verb (for measuring how grammatical sampled text is).
 */
export function checkVerbs(ids: readonly number[]): { position: number; ok: boolean }[] {
  const out: { position: number; ok: boolean }[] = [];
  let tense: Tense | null = null;
  let agreement: Agreement | null = null;
  let lang: Lang | null = null;
  ids.forEach((id, position) => {
    const t = VOCAB[id];
    if (t === undefined) return;
    if (t.kind === "time") tense = t.tense[0]!;
    if ((t.kind === "pronoun" || t.kind === "noun") && t.agreement.length === 1) agreement = t.agreement[0]!;
    if (t.lang !== null && t.kind !== "verb") lang = t.lang;
    if (t.kind === "verb") {
      out.push({ position, ok: tense !== null && agreement !== null && lang !== null && isGrammatical(t, { lang, agreement, tense }) });
      agreement = null;
    }
  });
  return out;
}
