// Compute → view model: everything the explorer shows, computed by the library (imported by its
// package name) from the model in the page. No DOM here, so it is unit-tested in Node like the rest.
// Components call only this module, models.ts, checks.ts and i18n — never the library directly.

import {
  activeLatents, attentionPattern, attributionPatchHooks, edgeAttributionPatching, patchCells, blockBudget, blockBudgetAt, featureIndex, featureView, headScores, tunedDecode, validationSet, BOS, causalityCheck, checkGenerateInput, chooseEngine, configToJson, costPerToken, decodeVectors, decompose,
  ablationScan, activationsFile, composition, copyingScores, halfLength, inductionSet, ovCircuitRows, describeHook, describeModel, formulaCount, generate, blocksWithMlp, neuronsAt, InferenceSession, inventory, norm, parseConfig, patchOne, softmaxVec, streamStates, streamVector, specialTokens, splitWords, tokenLabel, Tokenizer, topK, usesVerbGrammar,
  contrastVector, featureSteering, steerableHooks, steeringEffect, steeringHooks, type Steering, grammarProbeSets, parseProbeData, probeProperties, GRAMMAR_CLASSES, type GrammarProperty,
  Tensor, ActivationCache, VOCAB, type Composition, type Decomposition, type FeatureIndex, type HeadScores, type HookName, type Inventory, type TunedLens, MiniGPT, type ModelConfig, type TextTokenizer,
} from "minigpt";
import type { Loaded } from "./models.js";
import type { StatePart } from "./state-names.js";
import { sessionThreads } from "./threads.js";

export type { MiniGPT, ModelConfig, TextTokenizer } from "minigpt";
export { CANONICAL_TEXT } from "minigpt";

/** A sequence for the induction model: <bos>, eight words, the same eight again. */
export const INDUCTION_TEXT = "<bos> perro ayer hablan I nunca walks ellos , perro ayer hablan I nunca walks ellos ,";

export interface Prediction {
  readonly id: number;
  readonly token: string;
  readonly prob: number;
}

/** A token id's display name: its token, or #id past the tokenizer's vocabulary. */
export const tokenName = tokenLabel;

/** A signed figure as the views print it: "+0.52", "−0.52" (a true minus), no sign where it rounds to 0. */
export function signed(x: number, digits: number): string {
  const magnitude = Math.abs(x).toFixed(digits);
  return (Number(magnitude) === 0 ? "" : x > 0 ? "+" : "−") + magnitude;
}

export interface StreamView {
  readonly ids: number[];
  readonly tokens: string[];
  readonly causal: boolean;
  /** Stream states h₀, after attn 0, after mlp 0, … (index into the grid's rows). */
  readonly states: number[];
  /** Each state's block (−1 for h₀) and how far into it, for its label. */
  readonly stateParts: StatePart[];
  /** [state][position][d_model] */
  readonly vectors: number[][][];
  /** [state][position] ‖h‖ */
  readonly norms: number[][];
  /** [layer][head][query][key] */
  readonly patterns: number[][][][];
  readonly cache: ActivationCache;
  readonly tok: TextTokenizer;
}

/** The stream's vectors [state][position][d_model] read from a cache. */
function gridOf(cache: ActivationCache, ids: readonly number[]): { states: number[]; vectors: number[][][] } {
  const states = streamStates(cache.config).map((s) => s.index);
  return { states, vectors: states.map((s) => ids.map((_, p) => streamVector(cache, s, p))) };
}

/** The stream's vectors [state][position][d_model] and the cache they came from. */
function streamGrid(model: MiniGPT, ids: number[], causal: boolean): { cache: ActivationCache; states: number[]; vectors: number[][][] } {
  const { cache } = model.runWithCache(ids, { causal });
  return { cache, ...gridOf(cache, ids) };
}

/** One forward with every hook cached, and what the panels draw from it. */
export function analyse({ model, tok }: Loaded, ids: number[], causal = true): StreamView {
  return viewOf(model.runWithCache(ids, { causal }).cache, tok, ids, causal);
}

/** What the panels draw, read from a forward's cache (the forward may have run in another thread). */
function viewOf(cache: ActivationCache, tok: TextTokenizer, ids: number[], causal: boolean): StreamView {
  const { states, vectors } = gridOf(cache, ids);
  const norms = vectors.map((row) => row.map(norm));
  const { n_layers: L, n_heads: H } = cache.config;
  const patterns = Array.from({ length: L }, (_, l) => Array.from({ length: H }, (_, h) => attentionPattern(cache, l, h)));
  const stateParts = streamStates(cache.config).map(({ layer, after }) => ({ layer, after }));
  return { ids, tokens: ids.map((id) => tokenName(tok, id)), causal, states, stateParts, vectors, norms, patterns, cache, tok };
}

/** A view as a worker sends it: the ids and the cache's activations. */
export interface PackedView {
  readonly ids: number[];
  readonly causal: boolean;
  readonly activations: { readonly name: HookName; readonly shape: number[]; readonly data: Float32Array }[];
}

/** A view packed for postMessage: copies of its activations, and their buffers to move (the sender keeps its view whole). */
export function packView(view: StreamView): { packed: PackedView; transfer: ArrayBuffer[] } {
  const activations = view.cache.entries().map(([name, t]) => ({ name, shape: [...t.shape], data: new Float32Array(t.data) }));
  return { packed: { ids: view.ids, causal: view.causal, activations }, transfer: activations.map((a) => a.data.buffer as ArrayBuffer) };
}

/** The view again, on the receiving side: the same numbers as `analyse` on the same model and ids. */
export function unpackView(p: PackedView, config: ModelConfig, tok: TextTokenizer): StreamView {
  const cache = new ActivationCache(config, new Map(p.activations.map((a) => [a.name, new Tensor(a.data, a.shape)])));
  return viewOf(cache, tok, p.ids, p.causal);
}

/** The logit lens's top prediction for each of `vectors`, decoded through the final norm and the unembedding in one product per row of the grid. */
function lensTop(model: MiniGPT, tok: TextTokenizer, vectors: number[][]): Prediction[] {
  const V = model.config.vocab_size, logits = decodeVectors(model, vectors);
  return vectors.map((_, r) => {
    const best = topK(softmaxVec(logits.subarray(r * V, (r + 1) * V)), 1)[0]!;
    return { id: best.id, token: tokenName(tok, best.id), prob: best.value };
  });
}

/** [state][position] the lens's top prediction (computed when the grid shows it): the logit lens, or a tuned lens. */
export function lensGrid(model: MiniGPT, view: StreamView, tuned: TunedLens | null = null): Prediction[][] {
  if (tuned === null) return view.vectors.map((row) => lensTop(model, view.tok, row));
  return view.vectors.map((row, s) =>
    row.map((h) => {
      const best = topK(softmaxVec(tunedDecode(model, tuned, s, h)), 1)[0]!;
      return { id: best.id, token: tokenLabel(view.tok, best.id), prob: best.value };
    }),
  );
}

export interface FeatureBrowser {
  readonly index: FeatureIndex;
  /** The latents that fire, most frequent first. */
  readonly latents: { latent: number; frequency: number; context: { tokens: string[]; at: number } | null }[];
}

/** Tokens up to a position (the last six; "…" first when there were more), and which of them is the active one. */
function around(tok: TextTokenizer, ids: readonly number[], p: number): { tokens: string[]; at: number } {
  const from = Math.max(0, p - 5), cut = from > 0 ? ["…"] : [];
  return { tokens: [...cut, ...ids.slice(from, p + 1).map((id) => tokenLabel(tok, id))], at: p - from + cut.length };
}

/** The SAE's features over held-out sentences (the verb grammar's validation set), encoded once. */
export function featureBrowser({ model, tok, sae }: Loaded): FeatureBrowser | null {
  if (sae === undefined) return null;
  const index = featureIndex(model, sae, validationSet(96, 12).map((e) => e.ids.slice(0, model.config.context_len)));
  const latents = Array.from({ length: sae.m }, (_, i) => featureView(model, sae, index, i, { top: 1 }))
    .filter((v) => v.frequency > 0)
    .sort((a, b) => b.frequency - a.frequency)
    .map((v) => ({ latent: v.latent, frequency: v.frequency, context: v.top[0] === undefined ? null : around(tok, index.sequences[v.top[0].sequence]!, v.top[0].position) }));
  return { index, latents };
}

/** A token pushed up or down directly, for the views' chips. */
export interface TokenEffect {
  readonly token: string;
  readonly value: number;
  /** Never a training target (the verb grammar's <pad> and unused slots): its unembedding direction only ever learned to go down. */
  readonly untrained: boolean;
}

/** Token effects (id, value) named, each marked when it was never a training target. */
export function tokenEffects(tok: TextTokenizer, vocabSize: number, xs: readonly { id: number; value: number }[]): TokenEffect[] {
  const verb = usesVerbGrammar(tok, vocabSize);
  return xs.map((x) => ({ token: tokenLabel(tok, x.id), value: x.value, untrained: verb && (VOCAB[x.id]!.kind === "unused" || VOCAB[x.id]!.token === "<pad>") }));
}

/** One feature in full: contexts with the active token marked, the histogram, the tokens it pushes. */
export function featureDetail({ model, tok, sae }: Loaded, browser: FeatureBrowser, latent: number) {
  const v = featureView(model, sae!, browser.index, latent, { top: 8 });
  return {
    latent, frequency: v.frequency, histogram: v.histogram,
    contexts: v.top.map((t) => ({ value: t.value, count: t.count, ...around(tok, browser.index.sequences[t.sequence]!, t.position) })),
    up: tokenEffects(tok, model.config.vocab_size, v.logitsUp),
    down: tokenEffects(tok, model.config.vocab_size, v.logitsDown),
  };
}

/** The block whose MLP a grid state belongs to or follows: its own block, the embedding's first; null without MLPs. */
export function neuronBlock(model: MiniGPT, view: StreamView, state: number): number | null {
  const withMlp = blocksWithMlp(model);
  if (withMlp.length === 0) return null;
  const part = view.stateParts[state]!, layer = part.after === "embed" ? 0 : part.layer;
  return withMlp.find((l) => l >= layer) ?? withMlp.at(-1)!;
}

/** Block `layer`'s MLP neurons at a position (interp/neurons.ts), with token names, for the neurons view. */
export function neurons({ model, tok }: Loaded, view: StreamView, layer: number, position: number, top = 10) {
  const r = neuronsAt(model, view.cache, layer, position, { top });
  const named = (xs: readonly { id: number; value: number }[]) => tokenEffects(tok, model.config.vocab_size, xs);
  return { ...r, neurons: r.neurons.map((n) => ({ neuron: n.neuron, activation: n.activation, write: n.write, up: named(n.up), down: named(n.down) })) };
}

/** Every pair of heads' Q/K/V-composition and each head's copying score, from the weights alone (interp/circuits.ts): `minigpt circuits`. */
export function headCircuits({ model }: Loaded): { composition: Composition; copying: number[][] } {
  return { composition: composition(model), copying: copyingScores(model) };
}

/** A head's OV circuit for some source tokens, named: what it raises and lowers most when it attends to each, and each one's own rank. */
export function ovRows({ model, tok }: Loaded, layer: number, head: number, sources: readonly number[], top = 3) {
  const named = (xs: readonly { id: number; value: number }[]) => tokenEffects(tok, model.config.vocab_size, xs);
  return ovCircuitRows(model, layer, head, sources, top).map((r) => ({ source: r.source, token: tokenLabel(tok, r.source), selfRank: r.selfRank, up: named(r.up), down: named(r.down) }));
}

/** Whether the ablation view measures on the input: only for a model outside the verb grammar (its own data is there otherwise). */
export function ablationOnInput({ model, tok }: Loaded): boolean {
  return !usesVerbGrammar(tok, model.config.vocab_size);
}

/** Which sequences the ablation view measures on: the induction task for an attention-only model of the verb grammar (the induction model), its held-out sentences for the others on that vocabulary, else the input. */
export function ablationData(loaded: Loaded, input: () => readonly number[]): { data: "induction" | "verb" | "input"; sequences: number[][] } {
  const c = loaded.model.config;
  if (ablationOnInput(loaded)) return { data: "input", sequences: [[...input()]] };
  if (c.attn_only) return { data: "induction", sequences: inductionSet(64, halfLength(c.context_len), 77) }; // `minigpt ablate --data induction`
  return { data: "verb", sequences: validationSet(64).map((e) => e.ids.slice(0, c.context_len)) }; // `minigpt ablate`
}

/** Each head and MLP ablated alone on ablationData's sequences: the loss and its rise. */
export function ablation(loaded: Loaded, kind: "mean" | "zero", input: () => readonly number[]) {
  const { data, sequences } = ablationData(loaded, input);
  const r = ablationScan(loaded.model, sequences, { kind });
  return { data, sequences: sequences.length, clean: r.clean, predictions: r.predictions, components: r.components.map((c) => ({ name: c.name, layer: c.layer, head: c.head, loss: c.loss, delta: c.delta })) };
}

/** The latents active on the current input at a position, strongest first. */
export function latentsAt({ model, sae }: Loaded, view: StreamView, position: number): { latent: number; value: number }[] {
  if (sae === undefined) return [];
  return activeLatents(model, sae, view.ids, position).map(([latent, value]) => ({ latent, value }));
}

/** Head detection on the loaded model: the verb grammar's words after <bos>, or any token. */
export function headDetection({ model, tok }: Loaded): HeadScores["scores"] {
  const verb = usesVerbGrammar(tok, model.config.vocab_size);
  const pool = verb ? VOCAB.filter((t) => t.kind !== "special" && t.kind !== "unused").map((t) => t.id) : undefined;
  return headScores(model, pool === undefined ? {} : { pool, prefix: [BOS] }).scores; // the defaults of `minigpt heads`: the same numbers
}

export function decomposition(model: MiniGPT, view: StreamView, state: number, position: number, perHead: boolean): Decomposition {
  return decompose(model, view.cache, position, { state, perHead });
}

/** The next-token distribution at a position with only the first k blocks (k = 0: the bigram floor). */
export function budget(model: MiniGPT, view: StreamView, position: number, k: number, top = 8): Prediction[] {
  const probs = softmaxVec(blockBudgetAt(model, view.cache, k, position)); // blockBudget's row, read from the view's cache
  return topK(probs, top).map(({ id, value }) => ({ id, token: tokenName(view.tok, id), prob: value }));
}

/** Which grid cells change when the token at `position` becomes `replacement`: [state][position] max |Δh|. */
export function perturbation(model: MiniGPT, view: StreamView, position: number, replacement: number): number[][] {
  const changed = [...view.ids];
  changed[position] = replacement;
  const other = streamGrid(model, changed, view.causal).vectors;
  return view.vectors.map((row, s) => row.map((v, p) => v.reduce((m, x, i) => Math.max(m, Math.abs(x - other[s]![p]![i]!)), 0)));
}

export interface PatchSetup {
  readonly corrupted: number[];
  /** logit(good) − logit(bad) at the last position: the clean run's top token against the corrupted run's. */
  readonly metric: { good: number; bad: number };
  readonly goodToken: string;
  readonly badToken: string;
}

/** The corrupted input (one token changed) and the metric it is measured by, chosen from the two runs' predictions. */
export function patchSetup(model: MiniGPT, view: StreamView, position: number, replacement: number): PatchSetup | null {
  const corrupted = [...view.ids];
  corrupted[position] = replacement;
  const V = model.config.vocab_size, last = view.ids.length - 1;
  const top = (ids: number[]): number[] => topK(softmaxVec(blockBudget(model, ids, model.config.n_layers)[last]!), 2).map((t) => t.id);
  const [good, second] = top(view.ids), [bad] = top(corrupted);
  const b = bad !== good ? bad! : second!;
  if (good === undefined || b === undefined || V < 2) return null;
  return { corrupted, metric: { good, bad: b }, goodToken: tokenLabel(view.tok, good), badToken: tokenLabel(view.tok, b) };
}

/**
 * The fraction of the metric restored by patching the clean stream at each (state, position) into
 * the corrupted run — every cell when the grid is small (a forward each), else only `only`; or,
 * with attribution patching, every cell's first-order estimate from one backward pass.
 */
/** Edge attribution patching in the page: small models only (one backward per downstream head). */
export const EDGE_LIMIT = 64;
export function edgesAvailable(model: MiniGPT): boolean {
  const c = model.config;
  return c.n_layers >= 2 && c.n_layers * c.n_heads <= EDGE_LIMIT && model.spec.block.residual !== "post";
}

/** Every head-to-head edge's estimated share restored: rows upstream heads "l.h", columns downstream heads. */
export function patchEdges(model: MiniGPT, view: StreamView, setup: PatchSetup): { from: string[]; to: string[]; restored: (number | null)[][] } | null {
  let r;
  try {
    r = edgeAttributionPatching(model, view.ids, setup.corrupted, setup.metric);
  } catch {
    return null; // the two inputs give the same metric: nothing to restore
  }
  const key = (h: { layer: number; head: number }): string => `${h.layer}.${h.head}`;
  const from = [...new Set(r.edges.map((e) => key(e.from)))], to = [...new Set(r.edges.map((e) => key(e.to)))];
  const restored = from.map((u) => to.map((d) => r.edges.find((e) => key(e.from) === u && key(e.to) === d)?.restored ?? null));
  return { from, to, restored };
}

export function patchStates(model: MiniGPT, view: StreamView, setup: PatchSetup, only: { state: number; position: number }, method: "activation" | "attribution" = "activation"): (number | null)[][] {
  const states = streamStates(model.config);
  if (method === "attribution") return attributionPatchHooks(model, view.ids, setup.corrupted, setup.metric, states.map((s) => s.hook as HookName)).restored;
  const every = states.length * view.ids.length <= 200;
  if (every) {
    // every cell in one batched forward (the same numbers as a forward per cell)
    const cells = states.flatMap((s) => view.ids.map((_, p) => ({ hook: s.hook as HookName, position: p })));
    let r: number[];
    try {
      r = patchCells(model, view.ids, setup.corrupted, setup.metric, cells).restored;
    } catch {
      return states.map(() => view.ids.map(() => null)); // the two inputs give the same metric: nothing to restore
    }
    return states.map((_, i) => view.ids.map((_, p) => r[i * view.ids.length + p]!));
  }
  return states.map((s, i) =>
    view.ids.map((_, p) => {
      if (!every && !(i === only.state && p === only.position)) return null;
      try {
        return patchOne(model, view.ids, setup.corrupted, setup.metric, s.hook as HookName, p).restored;
      } catch {
        return null; // the two inputs give the same metric: nothing to restore
      }
    }),
  );
}

/** The library's own causality verdict for the same input (used as a cross-check in the page). */
export function causalityHolds(model: MiniGPT, ids: number[]): boolean {
  return causalityCheck(model, ids).holds;
}

/** Every hook point's shape and meaning, read from the view's cache (no second forward). */
export function shapeTrace(view: StreamView): { name: string; shape: number[]; what: string }[] {
  return view.cache.entries().map(([name, t]) => ({ name, shape: [...t.shape], what: describeHook(name) }));
}

/** Every activation of the view's forward as one safetensors file (the library's activationsFile: what `minigpt trace --save` writes). */
export function viewActivationsFile(view: StreamView): Uint8Array {
  return activationsFile(view.cache, view.ids, view.tokens);
}

export function parameterInventory(model: MiniGPT): Inventory {
  return inventory(model.config, model);
}

export interface ReadText {
  /** The known pieces' ids, in order. */
  readonly ids: number[];
  readonly unknown: { word: string; index: number; suggestions: string[] }[];
  /** Every piece in place: its id, or null where it is unknown (for marking it where it stands). */
  readonly words: { word: string; id: number | null }[];
}

/**
 * Read text into ids, or say which words are unknown (with suggestions) without throwing: word by
 * word with the verb grammar; through the model's own tokenizer.json otherwise.
 */
export function readText(text: string, tok: TextTokenizer): ReadText {
  if (!(tok instanceof Tokenizer)) {
    try {
      const ids = tok.encode(text);
      return { ids, unknown: [], words: ids.map((id) => ({ word: tok.token(id), id })) };
    } catch (err) {
      const message = (err as Error).message;
      return { ids: [], unknown: [{ word: message, index: 0, suggestions: [] }], words: [{ word: text, id: null }] };
    }
  }
  const ids: number[] = [];
  const unknown: { word: string; index: number; suggestions: string[] }[] = [];
  const words = splitWords(text).map((w, index) => {
    try {
      const id = tok.id(w);
      ids.push(id);
      return { word: w, id };
    } catch {
      unknown.push({ word: w, index, suggestions: tok.nearest(w, 3) });
      return { word: w, id: null };
    }
  });
  return { ids, unknown, words };
}

/** The text with word `index` replaced (a suggestion taken). */
export function replaceWord(text: string, index: number, word: string): string {
  const words = splitWords(text);
  words[index] = word;
  return words.join(" ");
}

/** Tokens to pick from a list (the verb grammar's; a 50k BPE vocabulary is typed, not listed). */
export function vocabularyChoices(tok: TextTokenizer): { id: number; token: string; kind: string }[] {
  return tok instanceof Tokenizer ? VOCAB.filter((t) => t.kind !== "unused").map((t) => ({ id: t.id, token: t.token, kind: t.kind })) : [];
}

/**
 * Tokens of a big vocabulary whose display string contains `query` (case-insensitive): exact
 * matches first, then prefixes, then the rest, shorter before longer; "#123" names an id. A 50k
 * vocabulary is searched, not listed.
 */
export function searchTokens(tok: TextTokenizer, query: string, limit = 12): { id: number; token: string }[] {
  const q = query.trim().toLowerCase();
  if (q === "") return [];
  const byId = /^#(\d+)$/.exec(q);
  if (byId !== null) {
    const id = Number(byId[1]);
    return id < tok.size ? [{ id, token: tokenName(tok, id) }] : [];
  }
  const found: { id: number; token: string; rank: number }[] = [];
  for (let id = 0; id < tok.size; id++) {
    const token = tokenName(tok, id), t = token.toLowerCase().trim();
    const at = t.indexOf(q);
    if (at < 0) continue;
    found.push({ id, token, rank: (t === q ? 0 : at === 0 ? 1 : 2) * 1000 + t.length });
  }
  return found.sort((a, b) => a.rank - b.rank || a.id - b.id).slice(0, limit).map(({ id, token }) => ({ id, token }));
}

/** The index of the final stream state (after the last block). */
export function lastState(model: MiniGPT): number {
  return streamStates(model.config).length - 1;
}

/** How many tokens the generation panel asks for at first: a few lines of a character model, else 64 (a context's end stops it sooner). */
export function defaultMaxNew({ metadata }: Pick<Loaded, "metadata">): number {
  return metadata["task"] === "text" ? 160 : 64;
}

/** One compiled session per model the page holds (the weights of a loaded model do not change). */
const sessions = new WeakMap<MiniGPT, InferenceSession>();

/**
 * A sampled continuation (the engine chosen as in the CLI); stops at the model's end token (<eos>;
 * an import's eos_token_id), if it has one. A character model (minigpt train --data) slides past
 * its context, as generate --slide, to write a few lines.
 */
export function sample({ model, metadata }: Loaded, ids: number[], { maxNew, ...opts }: { temperature: number; topK: number; topP: number; seed: number; maxNew?: number }): { prompt: number[]; generated: number[] } {
  const special = specialTokens(metadata, model.config.vocab_size);
  const slide = metadata["task"] === "text";
  const prompt = ids.length > 0 && ids.length < model.config.context_len ? ids : [special.bos ?? 0];
  const engine = chooseEngine();
  let session: InferenceSession | undefined;
  if (engine === "session") {
    session = sessions.get(model) ?? new InferenceSession(model, sessionThreads());
    sessions.set(model, session);
  }
  const asked = maxNew ?? defaultMaxNew({ metadata });
  const options = { maxNew: slide ? asked : Math.min(model.config.context_len - prompt.length, asked), ...opts, stopAt: special.eos, engine, slide, ...(session === undefined ? {} : { session }) };
  checkGenerateInput(model, prompt, options);
  return { prompt, generated: generate(model, prompt, options).generated };
}

/**
 * Where steering may add its direction (the stream and what adds to it, block by block) and where it
 * starts: the middle block's input; for the verb grammar, the README's tense, "<bos> hoy" − "<bos> ayer";
 * for a model with its own word-piece tokenizer (an import), ActAdd's first example, " Love" − " Hate"
 * (Turner et al. 2023); a character model's text is the user's to write.
 */
export function steeringPoints({ model, tok, metadata }: Loaded): { hooks: HookName[]; initial: HookName; towards: string; away: string } {
  const hooks = steerableHooks(model), initial = `blocks.${Math.floor(model.config.n_layers / 2)}.hook_resid_pre` as HookName;
  if (usesVerbGrammar(tok, model.config.vocab_size)) return { hooks, initial, towards: "<bos> hoy", away: "<bos> ayer" };
  if (metadata["tokenizer"] !== undefined && metadata["task"] !== "text") return { hooks, initial, towards: " Love", away: " Hate" };
  return { hooks, initial, towards: "", away: "" };
}

/** A steering direction: the stream on one input minus on another at a hook (last positions), or an SAE latent's decoder row. */
export type SteerDirection =
  | { readonly kind: "contrast"; readonly towards: readonly number[]; readonly away: readonly number[]; readonly hook: HookName }
  | { readonly kind: "feature"; readonly latent: number };

export interface SteerView {
  readonly hook: HookName;
  /** The length of the vector added at every position, and the activation's mean length there. */
  readonly addedNorm: number;
  readonly activationNorm: number;
  readonly kl: number;
  /** The five likeliest next tokens, unsteered and steered. */
  readonly before: Prediction[];
  readonly after: Prediction[];
  readonly raised: TokenEffect[];
  readonly lowered: TokenEffect[];
  /** Greedy continuations of `prompt`, unsteered and steered. */
  readonly prompt: number[];
  readonly plain: number[];
  readonly steered: number[];
}

/**
 * Steering (minigpt steer) on the input: `scale` times the direction added at every position. A
 * difference of two inputs is added as it is (scale 1: the whole difference); a feature's direction
 * at a quarter of the stream's mean length there, as the CLI's default. Greedy continuations of up to
 * `maxNew` tokens, in the model's own forward (the hooks; not the compiled session).
 */
export function steer({ model, tok, metadata, sae }: Loaded, ids: number[], direction: SteerDirection, scale: number, maxNew = 8): SteerView {
  let steering: Steering;
  if (direction.kind === "contrast") steering = { hook: direction.hook, vector: contrastVector(model, direction.towards, direction.away, direction.hook), scale };
  else {
    if (sae === undefined) throw new Error("this model has no SAE to take a feature from");
    const unit = featureSteering(model, sae, direction.latent, ids); // scale 1: the library's default length
    steering = { ...unit, scale: scale * unit.scale };
  }
  const hook = steering.hook;
  const e = steeringEffect(model, ids, steering);
  const top = (p: Float64Array): Prediction[] => topK(p, 5).map(({ id, value }) => ({ id, token: tokenName(tok, id), prob: value }));
  const effects = (xs: readonly { id: number; delta: number }[]): TokenEffect[] => tokenEffects(tok, model.config.vocab_size, xs.map((x) => ({ id: x.id, value: x.delta })));
  const stopAt = specialTokens(metadata, model.config.vocab_size).eos;
  const room = Math.max(0, Math.min(maxNew, model.config.context_len - ids.length));
  const continuation = (hooks: boolean): number[] =>
    generate(model, ids, { maxNew: room, temperature: 0, stopAt, engine: "tensor", ...(hooks ? { hooks: steeringHooks([steering]) } : {}) }).generated;
  return {
    hook, addedNorm: e.addedNorm, activationNorm: e.activationNorm, kl: e.kl, before: top(e.before), after: top(e.after),
    raised: effects(e.raised), lowered: effects(e.lowered), prompt: ids, plain: continuation(false), steered: continuation(true),
  };
}

/** Held-out accuracy of linear probes per stream state, for the trained model and the untrained control (minigpt probe). */
export interface ProbeView {
  /** Each state as the grid names it (stateLabel). */
  readonly states: StatePart[];
  /** Positions fitted on and held out (the grammar's: sentences; a file's: its lines). */
  readonly sentences: { readonly train: number; readonly test: number };
  /** The grammar's three properties, or a file's one ("label", its classes its distinct labels). */
  readonly properties: { readonly property: GrammarProperty | "label"; readonly classes: readonly string[]; readonly majority: number; readonly trained: number[]; readonly control: number[] }[];
}

/** Whether the probes view applies: the model speaks the verb grammar, whose sentences label the positions. */
export function probesApply({ model, tok }: Loaded): boolean {
  return usesVerbGrammar(tok, model.config.vocab_size);
}

/**
 * `minigpt probe` on a verb-grammar model: at the token before each verb, a probe per state for the
 * verb's tense, person and number, and language — the model's and the untrained model's (seed 0).
 * Fewer training sentences than the CLI's 400 by default: the page's figures come in half the time.
 */
export function probes({ model }: Loaded, sentences = 200): ProbeView {
  // the view and the lesson's questions ask for the same figures: fitted once per model
  const done = probesFitted.get(model)?.get(sentences);
  if (done !== undefined) return done;
  const view = fitProbes(model, sentences);
  probesFitted.set(model, (probesFitted.get(model) ?? new Map<number, ProbeView>()).set(sentences, view));
  return view;
}
const probesFitted = new WeakMap<MiniGPT, Map<number, ProbeView>>();

/** Probes on positions labelled in a JSON Lines file (minigpt probe --data): any model, beside its untrained control. */
export function probesOnData({ model, tok }: Loaded, name: string, content: string): ProbeView {
  const d = parseProbeData(name, content, (t) => tok.encode(t), model.config.context_len);
  const asked = [{ classes: d.classes.length, ...d.labels }];
  const [[trained], [control]] = [model, new MiniGPT(model.config, { seed: 0 })].map((m) => probeProperties(m, d.train, d.test, asked));
  return {
    states: trained!.states.map(({ state }) => ({ layer: state.layer, after: state.after })), sentences: { train: d.train.length, test: d.test.length },
    properties: [{ property: "label", classes: d.classes, majority: trained!.majority, trained: trained!.states.map((s) => s.test), control: control!.states.map((s) => s.test) }],
  };
}

function fitProbes(model: MiniGPT, sentences: number): ProbeView {
  const sets = grammarProbeSets(sentences, { context: model.config.context_len });
  const names = Object.keys(GRAMMAR_CLASSES) as GrammarProperty[];
  const asked = names.map((p) => ({ classes: GRAMMAR_CLASSES[p].length, ...sets.labels[p] }));
  const [trained, control] = [model, new MiniGPT(model.config, { seed: 0 })].map((m) => probeProperties(m, sets.train, sets.test, asked));
  return {
    states: trained![0]!.states.map(({ state }) => ({ layer: state.layer, after: state.after })), sentences: sets.sentences,
    properties: names.map((property, i) => ({
      property, classes: GRAMMAR_CLASSES[property], majority: trained![i]!.majority,
      trained: trained![i]!.states.map((s) => s.test), control: control![i]!.states.map((s) => s.test),
    })),
  };
}

/** Ids as the page writes them: the verb grammar's words with spaces between, another tokenizer's pieces as the text they decode to. */
export function writtenText({ model, tok }: Loaded, ids: readonly number[]): string {
  return usesVerbGrammar(tok, model.config.vocab_size) ? ids.map((id) => tokenName(tok, id)).join(" ") : tok.decode(ids);
}

/** One box of the architecture diagram, from the model description (not drawn per config by hand). */
export interface DiagramBox {
  readonly label: string;
  readonly kind: "norm" | "attn" | "mlp" | "add" | "io" | "both" | "more";
  /** The stream state (streamStates' index) this box leads to: the map's link to the grid. */
  readonly state?: number;
  /** The block of an attention or MLP box: the map's link to that block's views. */
  readonly layer?: number;
}

/** The block diagram of a config: embedding → blocks (their sublayers, norms and residual joins) → final norm → unembedding. */
export function diagram(c: ModelConfig, maxBlocks = 4): DiagramBox[] {
  const spec = describeModel(c), b = spec.block;
  const n = b.ln1.kind === "layernorm" ? "LN" : "RMSNorm";
  const attn = (l: number): string => `Attn ${l}${b.attn.n_kv_heads !== b.attn.n_heads ? ` · GQA ${b.attn.n_heads}→${b.attn.n_kv_heads} kv` : ""}${b.attn.rotary_dim > 0 && b.attn.rotary_dim < b.attn.d_head ? ` · RoPE ${b.attn.rotary_dim}/${b.attn.d_head}` : ""}`;
  const mlp = (l: number): string => (b.mlp === null ? "" : `MLP ${l} · ${b.mlp.gated ? (b.mlp.activation === "silu" ? "SwiGLU" : `gated ${b.mlp.activation}`) : b.mlp.activation.toUpperCase()}`);
  const boxes: DiagramBox[] = [{ label: "W_E[token]" + (c.positional === "learned" ? " + W_pos" : c.positional === "sinusoidal" ? " + sin/cos" : ""), kind: "io", state: 0 }];
  // a deep model: the first blocks, then a note for the rest (all alike)
  const drawn = spec.n_layers > maxBlocks ? maxBlocks - 1 : spec.n_layers;
  const split = b.residual !== "parallel" && b.mlp !== null; // two stream states per block, else one
  for (let l = 0; l < drawn; l++) {
    const afterAttn = split ? 1 + 2 * l : 1 + l, afterMlp = split ? 2 + 2 * l : 1 + l;
    if (b.residual === "parallel") {
      boxes.push({ label: `${n}₁ → ${attn(l)}`, kind: "attn", state: afterAttn, layer: l });
      if (b.mlp !== null) boxes.push({ label: `${n}₂ → ${mlp(l)}  (∥ same input)`, kind: "both", state: afterMlp, layer: l });
      boxes.push({ label: "⊕", kind: "add", state: afterMlp });
    } else if (b.residual === "pre") {
      boxes.push({ label: `${n}₁ → ${attn(l)}`, kind: "attn", state: afterAttn, layer: l }, { label: "⊕", kind: "add", state: afterAttn });
      if (b.mlp !== null) boxes.push({ label: `${n}₂ → ${mlp(l)}`, kind: "mlp", state: afterMlp, layer: l }, { label: "⊕", kind: "add", state: afterMlp });
    } else {
      boxes.push({ label: attn(l), kind: "attn", state: afterAttn, layer: l }, { label: `⊕ → ${n}₁`, kind: "add", state: afterAttn });
      if (b.mlp !== null) boxes.push({ label: mlp(l), kind: "mlp", state: afterMlp, layer: l }, { label: `⊕ → ${n}₂`, kind: "add", state: afterMlp });
    }
  }
  if (drawn < spec.n_layers) boxes.push({ label: `${drawn}–${spec.n_layers - 1}`, kind: "more" }); // drawn as "blocks a–b, the same"
  if (spec.ln_final !== null) boxes.push({ label: `${n}_final`, kind: "norm" });
  boxes.push({ label: c.tied_embeddings ? "· W_Eᵀ → logits" : "· W_U → logits", kind: "io" });
  return boxes;
}

/** A config with some keys changed (the architecture panel's switches), or the reason it is not valid. */
export function variant(c: ModelConfig, changes: Partial<Record<keyof ModelConfig, unknown>>): { config: ModelConfig } | { error: string } {
  try {
    return { config: parseConfig({ ...configToJson(c), ...changes }, c, "variant") };
  } catch (err) {
    return { error: (err as Error).message.replace(/^variant: /, "") };
  }
}

export function variantCost(c: ModelConfig): { params: number; perToken: number } {
  return { params: formulaCount(c), perToken: costPerToken(c).reduce((s, t) => s + t.count, 0) };
}
