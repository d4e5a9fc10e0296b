// Steering: add a direction to the residual stream and see what the model does with it —
// activation addition (Turner et al. 2023, "ActAdd"; Rimsky et al. 2024, contrastive activation
// addition). The direction is the difference of the stream on two inputs ("towards" minus "away
// from", at their last positions or averaged over them), or an SAE latent's decoder row; it is
// added, scaled, at every position of one hook point through the model's own hooks, so the
// forward, the KV cache and generation need nothing of their own.

import { hookNames, Hooks, type HookName } from "../model/hooks.js";
import type { MiniGPT } from "../model/minigpt.js";
import { noGrad, Tensor } from "../tensor/index.js";
import type { SparseAutoencoder } from "./sae.js";
import { topK } from "./vectors.js";

/** A direction added at a hook point: `scale · vector` at every position. */
export interface Steering {
  readonly hook: HookName;
  readonly vector: Float64Array;
  readonly scale: number;
}

/** The hook points steering may use: those that hold one d_model vector per position (the stream and what adds to it). */
export function steerableHooks(model: MiniGPT): HookName[] {
  return hookNames(model.config).filter((h) => /^blocks\.\d+\.(hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out)$/.test(h));
}

/** Refuse a hook point that is not one of this model's steerable ones, naming those that are. */
export function checkSteerableHook(model: MiniGPT, hook: string): HookName {
  const ok = steerableHooks(model);
  if (!ok.includes(hook as HookName)) throw new Error(`cannot steer at "${hook}": steering adds a vector to one of ${ok.join(", ")}`);
  return hook as HookName;
}

/** The activation at `hook` on `ids`: at the last position, or the mean over every position. */
export function activationAt(model: MiniGPT, ids: readonly number[], hook: HookName, at: "last" | "mean" = "last"): Float64Array {
  const t = model.runWithCache([...ids]).cache.get(hook);
  const d = t.shape.at(-1)!, T = t.size / d;
  const out = new Float64Array(d);
  const first = at === "last" ? T - 1 : 0;
  for (let p = first; p < T; p++) for (let e = 0; e < d; e++) out[e]! += t.data[p * d + e]!;
  for (let e = 0; e < d; e++) out[e]! /= T - first;
  return out;
}

/** The contrast "towards" − "away": the direction in which the stream differs between two inputs at `hook`. */
export function contrastVector(model: MiniGPT, towards: readonly number[], away: readonly number[], hook: HookName, at: "last" | "mean" = "last"): Float64Array {
  checkSteerableHook(model, hook);
  if (towards.length === 0 || away.length === 0) throw new Error("a steering contrast needs two non-empty inputs");
  const a = activationAt(model, towards, hook, at), b = activationAt(model, away, hook, at);
  return a.map((x, e) => x - b[e]!);
}

/** An SAE latent's decoder row, scaled to unit length: the direction the latent writes (at the SAE's hook point). */
export function featureDirection(sae: SparseAutoencoder, latent: number): Float64Array {
  if (!Number.isInteger(latent) || latent < 0 || latent >= sae.m) throw new Error(`latent ${latent}: this SAE has latents 0 to ${sae.m - 1}`);
  const row = Float64Array.from(sae.W_dec.data.subarray(latent * sae.d, (latent + 1) * sae.d));
  const n = Math.hypot(...row);
  if (n === 0) throw new Error(`latent ${latent}'s decoder row is zero: it has no direction`);
  return row.map((x) => x / n);
}

/** The mean length, over the positions, of the rows of an activation [.., T, d]. */
function meanRowNorm(t: Tensor): number {
  const d = t.shape.at(-1)!, T = t.size / d;
  let norms = 0;
  for (let p = 0; p < T; p++) {
    let s = 0;
    for (let e = 0; e < d; e++) s += t.data[p * d + e]! ** 2;
    norms += Math.sqrt(s);
  }
  return norms / T;
}

/** The activation's mean length at `hook` over the positions of `ids` (the scale a steering is measured against). */
export function meanActivationNorm(model: MiniGPT, ids: readonly number[], hook: HookName): number {
  return meanRowNorm(model.runWithCache([...ids]).cache.get(checkSteerableHook(model, hook)));
}

/**
 * An SAE latent as a steering at the SAE's hook point: its unit decoder row times `length` — by
 * default a quarter of the activation's mean length there on `ids`, enough to move a prediction
 * without drowning the stream (the CLI's default, the page's scale 1).
 */
export function featureSteering(model: MiniGPT, sae: SparseAutoencoder, latent: number, ids: readonly number[], length?: number): Steering {
  const hook = checkSteerableHook(model, sae.hook), vector = featureDirection(sae, latent);
  return { hook, vector, scale: length ?? meanActivationNorm(model, ids, hook) / 4 };
}

/** Hooks that add each steering's `scale · vector` at every position of its hook point. */
export function steeringHooks(steerings: readonly Steering[]): Hooks {
  const hooks = new Hooks();
  for (const { hook, vector, scale } of steerings) {
    hooks.add(hook, (t) => {
      const d = t.shape.at(-1)!;
      if (d !== vector.length) throw new Error(`steering at ${hook}: a vector of ${vector.length} for activations of width ${d}`);
      const out = new Tensor(t.data.slice(), [...t.shape]); // a fresh array: the activation may be cached
      for (let i = 0; i < out.size; i++) out.data[i]! += scale * vector[i % d]!;
      return out;
    });
  }
  return hooks;
}

export interface TokenShift {
  readonly id: number;
  /** log p(token) steered minus unsteered, at the last position (nats). */
  readonly delta: number;
}

export interface SteeringEffect {
  /** ‖scale · vector‖, and the mean norm of the activation it is added to over the input's positions. */
  readonly addedNorm: number;
  readonly activationNorm: number;
  /** Next-token probabilities at the last position, without and with the steering. */
  readonly before: Float64Array;
  readonly after: Float64Array;
  /** KL(after ‖ before) in nats. */
  readonly kl: number;
  /** The tokens whose log-probability rose (fell) the most, of those likely in either distribution. */
  readonly raised: readonly TokenShift[];
  readonly lowered: readonly TokenShift[];
}

function softmax64(logits: ArrayLike<number>, from: number, V: number): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < V; i++) m = Math.max(m, logits[from + i]!);
  const p = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) z += p[i] = Math.exp(logits[from + i]! - m);
  for (let i = 0; i < V; i++) p[i]! /= z;
  return p;
}

/** Next-token probabilities at the last position of `ids`, with the steerings added (none: the model as it is). */
export function nextTokenProbabilities(model: MiniGPT, ids: readonly number[], steerings: readonly Steering[] = []): Float64Array {
  const V = model.config.vocab_size;
  const logits = noGrad(() => model.forward([...ids], { hooks: steerings.length === 0 ? null : steeringHooks(steerings) })).data;
  return softmax64(logits, logits.length - V, V);
}

/**
 * What a steering does to the prediction at the last position of `ids`: both distributions, their
 * KL, and the tokens it raises and lowers most (among those with probability ≥ `floor` in either
 * distribution, so shifts among tokens neither run would choose do not fill the lists).
 */
export function steeringEffect(model: MiniGPT, ids: readonly number[], steering: Steering, { top = 5, floor = 0.01 } = {}): SteeringEffect {
  checkSteerableHook(model, steering.hook);
  const { logits, cache } = model.runWithCache([...ids]); // the unsteered run: its logits and the activation steered
  const V = model.config.vocab_size;
  const before = softmax64(logits.data, logits.size - V, V), after = nextTokenProbabilities(model, ids, [steering]);
  let kl = 0;
  for (let i = 0; i < before.length; i++) if (after[i]! > 0) kl += after[i]! * (Math.log(after[i]!) - Math.log(before[i]!));
  const likely = [...before.keys()].filter((i) => before[i]! >= floor || after[i]! >= floor);
  const delta = Float64Array.from(likely, (i) => Math.log(after[i]!) - Math.log(before[i]!));
  const pick = (sign: 1 | -1): TokenShift[] =>
    topK(delta.map((x) => sign * x), top).filter(({ value }) => value > 0).map(({ id }) => ({ id: likely[id]!, delta: delta[id]! }));
  return { addedNorm: Math.abs(steering.scale) * Math.hypot(...steering.vector), activationNorm: meanRowNorm(cache.get(steering.hook)), before, after, kl: Math.max(0, kl), raised: pick(1), lowered: pick(-1) };
}

export interface SweepPoint {
  readonly scale: number;
  /** The most likely next token and its probability. */
  readonly top: number;
  readonly p: number;
  /** The probability of each token asked about, in order. */
  readonly watched: readonly number[];
}

/** The next-token prediction at the last position of `ids` as the steering's scale runs over `scales`. */
export function steeringSweep(model: MiniGPT, ids: readonly number[], hook: HookName, vector: Float64Array, scales: readonly number[], watch: readonly number[] = []): SweepPoint[] {
  checkSteerableHook(model, hook);
  return scales.map((scale) => {
    const p = nextTokenProbabilities(model, ids, scale === 0 ? [] : [{ hook, vector, scale }]);
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
    return { scale, top: best, p: p[best]!, watched: watch.map((id) => p[id]!) };
  });
}
