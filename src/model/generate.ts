// Sampling: greedy, temperature, top-k and top-p (nucleus), seeded; with the KV cache
// each new token costs one position's worth of work instead of a full recompute.

import { kernels, noGrad, Rng } from "../tensor/index.js";
import { InferenceSession } from "./inference.js";
import type { Hooks } from "./hooks.js";
import { KVCache } from "./kv-cache.js";
import type { MiniGPT } from "./minigpt.js";
import { InputError, toTokenBatch } from "./tokens.js";

export interface SampleOptions {
  /** 0 means greedy (argmax). */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1: all). */
  readonly topP?: number;
}

export interface GenerateOptions extends SampleOptions {
  readonly maxNew: number;
  readonly seed?: number;
  /** Token ids that end generation (included in the output). */
  readonly stopAt?: readonly number[];
  /** false: recompute the whole sequence at every step (the reference for the cache). */
  readonly useCache?: boolean;
  /**
   * "tensor" (default): the model's own forward with a KVCache — hooks and all. "session": a
   * compiled InferenceSession (WebAssembly, its own KV cache), several times faster per token.
   */
  readonly engine?: "tensor" | "session";
  /** With engine "session": a session already compiled for this model (reused; helper threads as it was built). */
  readonly session?: InferenceSession;
  /** Called with each new token, for streaming. */
  readonly onToken?: (id: number, probability: number) => void;
  /**
   * Past context_len, go on from the last context_len tokens (nanoGPT's crop: positions start again
   * at 0 for the window, each step computed afresh) instead of stopping.
   */
  readonly slide?: boolean;
  /** Hooks attached to every forward (engine "tensor" only), e.g. steering (interp/steering.ts). */
  readonly hooks?: Hooks;
}

export interface Generation {
  readonly ids: number[]; // prompt + generated
  readonly generated: number[];
  /** The probability each generated token had under the (filtered) sampling distribution. */
  readonly probabilities: number[];
  readonly stop: "stop_token" | "max_new" | "context_len";
}

/** Refuse sampling options out of range (before any work). */
export function checkSampleOptions({ temperature = 1, topK = 0, topP = 1 }: SampleOptions): void {
  if (!(temperature >= 0 && Number.isFinite(temperature))) throw new InputError(`temperature ${temperature} must be a number ≥ 0 (0 is greedy)`);
  if (!(topP > 0 && topP <= 1)) throw new InputError(`top-p ${topP} must be in (0, 1]`);
  if (!Number.isInteger(topK) || topK < 0) throw new InputError(`top-k ${topK} must be a whole number ≥ 0 (0 keeps every token)`);
}

/** Refuse a prompt or options that generate would refuse, before any output (the CLI prints only after this). */
export function checkGenerateInput(model: MiniGPT, prompt: readonly number[], options: GenerateOptions): void {
  const T = model.config.context_len;
  if (prompt.length === 0) throw new InputError("the prompt is empty: give at least one token (e.g. <bos>)");
  if (prompt.length > T) throw new InputError(`the prompt has ${prompt.length} tokens but context_len is ${T}; shorten it to at most ${T}`);
  toTokenBatch(prompt, model.config);
  if (!Number.isInteger(options.maxNew) || options.maxNew < 0) throw new InputError(`max-new ${options.maxNew} must be a whole number ≥ 0`);
  checkSampleOptions(options);
}

/** Probabilities after temperature, top-k and top-p; all-zero except the kept tokens. */
export function samplingDistribution(logits: ArrayLike<number>, { temperature = 1, topK = 0, topP = 1 }: SampleOptions = {}): Float64Array {
  const V = logits.length;
  const p = new Float64Array(V);
  checkSampleOptions({ temperature, topK, topP });
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i]! > logits[best]!) best = i;
    p[best] = 1;
    return p;
  }
  let m = -Infinity;
  for (let i = 0; i < V; i++) m = Math.max(m, logits[i]!);
  let z = 0;
  for (let i = 0; i < V; i++) z += p[i] = Math.exp((logits[i]! - m) / temperature);
  for (let i = 0; i < V; i++) p[i]! /= z;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
  let keep = topK > 0 ? Math.min(topK, V) : V;
  if (topP < 1) {
    let cum = 0;
    for (let r = 0; r < keep; r++) {
      cum += p[order[r]!]!;
      if (cum >= topP) {
        keep = r + 1;
        break;
      }
    }
  }
  let kept = 0;
  for (let r = 0; r < V; r++) if (r >= keep) p[order[r]!] = 0; else kept += p[order[r]!]!;
  for (let i = 0; i < V; i++) p[i]! /= kept;
  return p;
}

/** Draw one index from a distribution with a uniform number from `rng`. */
export function drawFrom(p: ArrayLike<number>, rng: Rng): number {
  const u = rng.uniform();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i]! <= 0) continue;
    last = i;
    cum += p[i]!;
    if (u < cum) return i;
  }
  return last;
}

/**
 * The engine to decode with, chosen in one place for the CLI and the page: the compiled session
 * when the WebAssembly kernels are in use (several times faster per token), else the tensor forward.
 */
export function chooseEngine(): "session" | "tensor" {
  return kernels().name.startsWith("wasm") ? "session" : "tensor";
}

export function generate(model: MiniGPT, prompt: readonly number[], options: GenerateOptions): Generation {
  const { maxNew, seed = 0, stopAt = [], useCache = true, onToken, engine = "tensor", slide = false, hooks = null } = options;
  const T = model.config.context_len;
  const V = model.config.vocab_size;
  checkGenerateInput(model, prompt, options);
  const rng = new Rng(seed);
  const ids = [...prompt];
  const generated: number[] = [];
  const probabilities: number[] = [];
  if (options.session !== undefined && options.session.config !== model.config) throw new Error("generate: the session given was compiled for another model");
  if (hooks !== null && engine === "session") throw new Error("generate: hooks run in the tensor engine only (the compiled session has no hook points)");
  const session = engine === "session" ? (options.session ?? new InferenceSession(model)) : null;
  const cache = useCache && session === null ? new KVCache(model.config, model.dtype) : null;
  let pending: number[] = [...prompt];
  const nextLogits = (): Float32Array | Float64Array => {
    if (ids.length >= T) { // sliding: the window afresh, no cache
      const window = ids.slice(ids.length - T);
      return session !== null ? session.forward(window) : model.forward(window, { hooks }).data;
    }
    if (session !== null) return useCache && session.length > 0 ? session.append(pending) : session.forward(ids);
    return (cache === null ? model.forward(ids, { hooks }) : model.forward(pending, { kvCache: cache, hooks })).data;
  };
  const frozen = kernels().withFrozenOperands?.bind(kernels()) ?? (<T>(fn: () => T): T => fn());
  // Weights do not change while decoding: the backend may keep them prepared between steps.
  return frozen(() => noGrad(() => {
    for (;;) {
      if (generated.length >= maxNew) return { ids, generated, probabilities, stop: "max_new" };
      if (ids.length >= T && !slide) return { ids, generated, probabilities, stop: "context_len" };
      const logits = nextLogits();
      const last = logits.subarray(logits.length - V);
      const p = samplingDistribution(last, options);
      const next = drawFrom(p, rng);
      ids.push(next);
      generated.push(next);
      probabilities.push(p[next]!);
      onToken?.(next, p[next]!);
      pending = [next];
      if (stopAt.includes(next)) return { ids, generated, probabilities, stop: "stop_token" };
    }
  }));
}
