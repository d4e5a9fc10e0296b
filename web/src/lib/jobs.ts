// The explorer's heavy work as jobs: what the analysis worker runs on its own copy of the model
// (analysis-worker.ts) while the page's thread keeps to the input and the drawing. Each job takes
// the model in the worker and, where it needs one, the analysed input, and returns plain data
// (structured-cloneable). No DOM here: the jobs are unit-tested in Node like compute.ts.

import { adoptData, loadSae, loadTunedLens, MiniGPT, saveSae, saveTunedLens, tokenizerFor } from "minigpt";
import {
  ablation, analyse, budget, probes, probesOnData, steer, type SteerDirection, featureBrowser, featureDetail, headCircuits, headDetection, ovRows, latentsAt, lensGrid, neurons, patchEdges, packView, patchSetup, patchStates, perturbation, sample,
  type FeatureBrowser, type PatchSetup, type Prediction, type StreamView,
} from "./compute.js";
import { lessonById } from "./lessons.js";
import type { Loaded } from "./models.js";

/** What a job is given: the model (with its tokenizer, lens and SAE) and the input, analysed on first use. */
export interface JobContext {
  readonly loaded: Loaded;
  /** The forward over the request's ids with every hook cached (memoised per model and input). */
  view(): StreamView;
}

/** The feature browser's index stays in the worker; the page gets the list. */
const browsers = new WeakMap<Loaded, FeatureBrowser | null>();
const browserOf = (l: Loaded): FeatureBrowser | null => {
  if (!browsers.has(l)) browsers.set(l, featureBrowser(l));
  return browsers.get(l)!;
};

export const JOBS = {
  /** The logit lens (or the tuned lens shipped with the model) over every grid cell. */
  lens: (c: JobContext, tuned: boolean): Prediction[][] => lensGrid(c.loaded.model, c.view(), tuned ? (c.loaded.lens ?? null) : null),
  budget: (c: JobContext, position: number, k: number, top?: number): Prediction[] => budget(c.loaded.model, c.view(), position, k, top),
  perturbation: (c: JobContext, position: number, replacement: number): number[][] => perturbation(c.loaded.model, c.view(), position, replacement),
  patchSetup: (c: JobContext, position: number, replacement: number): PatchSetup | null => patchSetup(c.loaded.model, c.view(), position, replacement),
  patchStates: (c: JobContext, setup: PatchSetup, only: { state: number; position: number }, method: "activation" | "attribution"): (number | null)[][] =>
    patchStates(c.loaded.model, c.view(), setup, only, method),
  patchEdges: (c: JobContext, setup: PatchSetup) => patchEdges(c.loaded.model, c.view(), setup),
  heads: (c: JobContext) => headDetection(c.loaded),
  /** Composition between heads and copying scores, from the weights (no input). */
  circuits: (c: JobContext) => headCircuits(c.loaded),
  /** Each head and MLP ablated alone: the loss it costs (on the view's input only for a model outside the verb grammar). */
  ablation: (c: JobContext, kind: "mean" | "zero") => ablation(c.loaded, kind, () => c.view().ids),
  /** A head's OV circuit for some source tokens. */
  ovRows: (c: JobContext, layer: number, head: number, sources: number[]) => ovRows(c.loaded, layer, head, sources),
  features: (c: JobContext): FeatureBrowser["latents"] | null => browserOf(c.loaded)?.latents ?? null,
  featureDetail: (c: JobContext, latent: number) => {
    const b = browserOf(c.loaded);
    return b === null ? null : featureDetail(c.loaded, b, latent);
  },
  latentsAt: (c: JobContext, position: number) => latentsAt(c.loaded, c.view(), position),
  /** Block `layer`'s MLP neurons at a position: the strongest writers, what they fired and push. */
  neurons: (c: JobContext, layer: number, position: number) => neurons(c.loaded, c.view(), layer, position),
  /** A lesson step's question, answered [English, Spanish] by the model on the input. */
  lessonAnswer: (c: JobContext, lesson: string, step: number): readonly [string, string] => {
    const q = lessonById(lesson)?.steps[step]?.question;
    if (q === undefined) throw new Error(`lesson ${lesson} has no question at step ${step}`);
    return q.answer({ loaded: c.loaded, view: c.view() });
  },
  /** Linear probes for the verb grammar's properties, the model's and the untrained control's (no input). */
  probes: (c: JobContext, sentences?: number) => probes(c.loaded, sentences),
  /** Linear probes on positions labelled in a file of the user's (any model). */
  probesOnData: (c: JobContext, name: string, content: string) => probesOnData(c.loaded, name, content),
  /** Steering on an input: the prediction and a continuation, with and without the direction added. */
  steer: (c: JobContext, ids: number[], direction: SteerDirection, scale: number) => steer(c.loaded, ids, direction, scale),
  sample: (c: JobContext, ids: number[], opts: { temperature: number; topK: number; topP: number; seed: number; maxNew?: number }) => sample(c.loaded, ids, opts),
};

export type Jobs = typeof JOBS;

/**
 * The jobs that cost one forward or less: on a small model the page runs these in its own thread,
 * within the keystroke's frame; the others (patching's many runs, causality's second input, the
 * SAE's index, head scores, sampling, lesson answers — some fit probes for seconds) go to the
 * worker whatever the model's size.
 */
export type JobName = keyof Jobs;
export const LIGHT: ReadonlySet<JobName | "analyse"> = new Set<JobName | "analyse">(["analyse", "lens", "budget", "latentsAt", "neurons"]);
/** A job's arguments after its context. */
export type JobArgs<K extends JobName> = Jobs[K] extends (c: JobContext, ...args: infer A) => unknown ? A : never;
export type JobResult<K extends JobName> = ReturnType<Jobs[K]>;

/** A model as the page sends it to the worker: its config, metadata and weights (copies, moved), its lens and SAE as files. */
export interface ModelMessage {
  readonly type: "model";
  readonly key: number;
  readonly config: Loaded["model"]["config"];
  readonly metadata: Readonly<Record<string, string>>;
  readonly weights: [string, Float32Array][];
  readonly lens?: Uint8Array;
  readonly sae?: Uint8Array;
}

/** A job for the model `key` on the input `ids` (null: the job reads no input). */
export interface RunMessage {
  readonly type: "run";
  readonly id: number;
  readonly key: number;
  readonly job: JobName | "analyse";
  readonly ids: number[] | null;
  readonly causal: boolean;
  readonly args: unknown[];
}

export type ToWorker = ModelMessage | RunMessage | { readonly type: "drop"; readonly key: number };
export type FromWorker = { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly message: string };

/** The message that gives the worker its copy of a model, and the buffers it moves. */
export function modelMessage(l: Loaded, key: number): { message: ModelMessage; transfer: ArrayBuffer[] } {
  const weights = l.model.namedParameters().map(([name, t]) => [name, new Float32Array(t.data)] as [string, Float32Array]);
  const lens = l.lens === undefined ? undefined : saveTunedLens(l.lens), sae = l.sae === undefined ? undefined : saveSae(l.sae);
  const message: ModelMessage = { type: "model", key, config: l.model.config, metadata: l.metadata, weights, ...(lens === undefined ? {} : { lens }), ...(sae === undefined ? {} : { sae }) };
  return { message, transfer: [...weights.map(([, w]) => w.buffer as ArrayBuffer), ...[lens, sae].filter((b) => b !== undefined).map((b) => b.buffer as ArrayBuffer)] };
}

/** The worker's copy of a model, from its message (the same weights, tokenizer, lens and SAE). */
export function loadedFrom(m: ModelMessage): Loaded {
  const model = new MiniGPT(m.config, { init: false });
  const byName = new Map(m.weights);
  for (const [name, t] of model.namedParameters()) {
    const w = byName.get(name);
    if (w === undefined || w.length !== t.size) throw new Error(`the page sent no weights for ${name}, or the wrong number`);
    adoptData(t, w); // moved here by the page: the worker's alone, so no copy (0.5 GB of fresh pages for GPT-2's shape)
  }
  const l: Loaded = { model, tok: tokenizerFor(m.metadata, m.config.vocab_size), metadata: m.metadata };
  return { ...l, ...(m.lens === undefined ? {} : { lens: loadTunedLens(m.lens, model) }), ...(m.sae === undefined ? {} : { sae: loadSae(m.sae, model) }) };
}

/** The inputs analysed last for one model (a few), so the jobs after an edit share its forward. */
export type Views = Map<string, StreamView>;

/** Run a job, or the analysis itself ("analyse": the StreamView), on `l` and the input `ids`. */
export function runJob(l: Loaded, views: Views, job: JobName | "analyse", ids: number[] | null, causal: boolean, args: readonly unknown[]): unknown {
  const view = (): StreamView => {
    if (ids === null) throw new Error(`${job} needs an input`);
    const k = `${causal ? "c" : "e"}${ids.join(",")}`;
    let v = views.get(k);
    if (v === undefined) {
      v = analyse(l, ids, causal);
      views.set(k, v);
      if (views.size > 4) views.delete(views.keys().next().value!); // the oldest
    }
    return v;
  };
  if (job === "analyse") return view();
  return (JOBS[job] as (c: JobContext, ...args: unknown[]) => unknown)({ loaded: l, view }, ...args);
}

/**
 * The worker's side: the models it holds and the inputs it analysed last, a job's reply and the
 * buffers it moves (a view goes as its activations). Kept apart from the Worker so Node tests
 * drive it directly.
 */
export class JobServer {
  private readonly models = new Map<number, { loaded: Loaded; views: Views; unpin: () => void }>();

  handle(m: ToWorker): { reply: FromWorker; transfer: ArrayBuffer[] } | null {
    if (m.type === "model") {
      // Nothing here changes a model's weights: the kernels may keep them packed from one job to
      // the next (a GPT-2-shaped forward spends a third of its time packing them otherwise).
      const loaded = loadedFrom(m);
      this.models.get(m.key)?.unpin();
      this.models.set(m.key, { loaded, views: new Map(), unpin: loaded.model.pinWeights() });
      return null;
    }
    if (m.type === "drop") return void (this.models.get(m.key)?.unpin(), this.models.delete(m.key)), null;
    try {
      const held = this.models.get(m.key);
      if (held === undefined) throw new Error(`the worker holds no model ${m.key}`);
      const result = runJob(held.loaded, held.views, m.job, m.ids, m.causal, m.args);
      if (m.job !== "analyse") return { reply: { id: m.id, ok: true, result }, transfer: [] };
      const { packed, transfer } = packView(result as StreamView);
      return { reply: { id: m.id, ok: true, result: packed }, transfer };
    } catch (err) {
      return { reply: { id: m.id, ok: false, message: (err as Error).message }, transfer: [] };
    }
  }
}
