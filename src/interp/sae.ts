// Sparse autoencoders on any hook point (Anthropic, "Towards Monosemanticity", 2023; TopK from
// Gao et al., 2024): an activation x [d] is written as a sparse, non-negative combination of m
// learned directions, f = ReLU((x − b_dec)·W_enc + b_enc) (TopK: only the k largest kept),
// x̂ = f·W_dec + b_dec. ReLU SAEs minimise ‖x − x̂‖² + λ·Σᵢ fᵢ‖W_dec[i]‖ with λ warmed up from 0;
// latents that stop firing are resampled towards inputs the SAE reconstructs worst.

import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";
import { configToJson, type ModelConfig } from "../model/config.js";
import { hookNames, Hooks, type HookName } from "../model/hooks.js";
import type { MiniGPT } from "../model/minigpt.js";
import { AdamW } from "../nn/adamw.js";
import { BufferPool, F, noGrad, ops, Rng, Tensor } from "../tensor/index.js";
import { topK } from "./vectors.js";

export interface SaeOptions {
  /** Latents (default 4·d). */
  readonly latents?: number;
  /** "relu" with the decoder-norm-weighted L1 penalty, or "topk" keeping the k largest. */
  readonly kind?: "relu" | "topk";
  readonly k?: number;
  /** The L1 coefficient λ (ReLU), reached linearly over the first `l1_warmup` steps. */
  readonly l1?: number;
  readonly l1_warmup?: number;
  readonly steps?: number;
  readonly batch?: number;
  readonly lr?: number;
  readonly seed?: number;
  /** Resample the latents dead for `dead_window` steps at these steps (ReLU). */
  readonly resample_at?: readonly number[];
  readonly dead_window?: number;
  /** Called after every step with the step count and that step's loss (progress). */
  readonly onStep?: (step: number, loss: number) => void;
}

export class SparseAutoencoder {
  readonly W_enc: Tensor; // [d, m]
  readonly b_enc: Tensor; // [m]
  readonly W_dec: Tensor; // [m, d]
  readonly b_dec: Tensor; // [d]

  constructor(readonly d: number, readonly m: number, readonly kind: "relu" | "topk" = "relu", readonly k = 0, readonly hook = "", readonly modelConfig: ModelConfig | null = null) {
    const leaf = (shape: number[]): Tensor => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, null, true);
    this.W_enc = leaf([d, m]);
    this.b_enc = leaf([m]);
    this.W_dec = leaf([m, d]);
    this.b_dec = leaf([d]);
  }

  parameters(): [string, Tensor][] {
    return [["W_enc", this.W_enc], ["b_enc", this.b_enc], ["W_dec", this.W_dec], ["b_dec", this.b_dec]];
  }

  /** Latent activations f [N, m] for activations x [N, d]. */
  encode(x: Tensor): Tensor {
    const pre = F.relu(ops.add(ops.matmul(ops.sub(x, this.b_dec), this.W_enc), this.b_enc));
    if (this.kind === "relu") return pre;
    // TopK: keep each row's k largest (a constant mask; the gradient flows through the kept ones)
    const [N, m] = pre.shape as [number, number];
    const keep = new Float32Array(N * m);
    for (let r = 0; r < N; r++) for (const { id } of topK(pre.data.subarray(r * m, (r + 1) * m), this.k)) keep[r * m + id] = 1;
    return ops.mul(pre, new Tensor(keep, pre.shape));
  }

  decode(f: Tensor): Tensor {
    return ops.add(ops.matmul(f, this.W_dec), this.b_dec);
  }

  /** ‖W_dec[i]‖ for each latent. */
  decoderNorms(): Float32Array {
    const out = new Float32Array(this.m);
    for (let i = 0; i < this.m; i++) {
      let s = 0;
      for (let j = 0; j < this.d; j++) s += this.W_dec.data[i * this.d + j]! ** 2;
      out[i] = Math.sqrt(s);
    }
    return out;
  }
}

/** Rows [N, d] of an activation from the model over `sequences` (every position). */
export function collectActivations(model: MiniGPT, hook: string, sequences: readonly (readonly number[])[]): Float32Array {
  if (!hookNames(model.config).includes(hook as HookName)) throw new Error(`no hook point "${hook}" in this model; its hook points are ${hookNames(model.config).join(", ")}`);
  const rows: Float32Array[] = [];
  for (const ids of sequences) rows.push(model.runWithCache(ids).cache.get(hook as HookName).data as Float32Array);
  const width = rows[0]!.length / sequences[0]!.length, total = rows.reduce((s, r) => s + r.length, 0);
  if (!Number.isInteger(width)) throw new Error(`hook "${hook}" is not one vector per position`);
  const out = new Float32Array(total);
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
}

export interface SaeMetrics {
  /** Mean number of active latents per input. */
  readonly l0: number;
  /** 1 − Σ‖x − x̂‖² / Σ‖x − mean x‖². */
  readonly varianceExplained: number;
  /** Latents that never fired on the data measured. */
  readonly deadFraction: number;
  readonly mse: number;
}

export function saeMetrics(sae: SparseAutoencoder, data: Float32Array): SaeMetrics {
  const d = sae.d, N = data.length / d;
  return noGrad(() => {
    const x = new Tensor(data, [N, d]);
    const f = sae.encode(x), xh = sae.decode(f);
    const fired = new Uint8Array(sae.m);
    let active = 0;
    for (let r = 0; r < N; r++) for (let i = 0; i < sae.m; i++) if (f.data[r * sae.m + i]! > 0) { active++; fired[i] = 1; }
    const mean = new Float64Array(d);
    for (let r = 0; r < N; r++) for (let j = 0; j < d; j++) mean[j]! += data[r * d + j]! / N;
    let err = 0, tot = 0;
    for (let i = 0; i < N * d; i++) {
      err += (data[i]! - xh.data[i]!) ** 2;
      tot += (data[i]! - mean[i % d]!) ** 2;
    }
    return { l0: active / N, varianceExplained: 1 - err / tot, deadFraction: 1 - fired.reduce((a, b) => a + b, 0) / sae.m, mse: err / N };
  });
}

/**
 * Train an SAE on activation rows [N, d]. ReLU: MSE + λ·Σ fᵢ‖W_dec[i]‖ (λ warmed up), with dead
 * latents resampled at `resample_at`; TopK: MSE alone. Returns the SAE and its loss per step.
 */
export function trainSae(data: Float32Array, d: number, options: SaeOptions = {}, meta: { hook?: string; modelConfig?: ModelConfig | null } = {}): { sae: SparseAutoencoder; losses: number[]; resampled: number } {
  const { latents = 4 * d, kind = "relu", k = 4, l1 = 1e-3, l1_warmup = 200, steps = 1000, batch = 256, lr = 1e-3, seed = 0, resample_at = [], dead_window = 200, onStep } = options;
  const N = data.length / d, rng = new Rng(seed);
  const sae = new SparseAutoencoder(d, latents, kind, k, meta.hook ?? "", meta.modelConfig ?? null);
  // W_dec: random unit rows; W_enc its transpose; b_dec: the data's mean
  for (let i = 0; i < latents; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (sae.W_dec.data[i * d + j] = rng.normal()) ** 2;
    for (let j = 0; j < d; j++) {
      sae.W_dec.data[i * d + j]! /= Math.sqrt(s);
      sae.W_enc.data[j * latents + i] = sae.W_dec.data[i * d + j]!;
    }
  }
  for (let r = 0; r < N; r++) for (let j = 0; j < d; j++) sae.b_dec.data[j]! += data[r * d + j]! / N;
  const opt = new AdamW(sae.parameters(), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 }, () => false);
  const lastFired = new Int32Array(latents);
  const losses: number[] = [];
  const pool = new BufferPool(); // a step's arrays, reused by the next
  let resampled = 0;
  for (let step = 0; step < steps; step++) {
    if (kind === "relu" && resample_at.includes(step)) resampled += resample(sae, opt, data, lastFired, step, dead_window, rng);
    const rows = new Float32Array(batch * d);
    for (let b = 0; b < batch; b++) {
      const r = rng.int(N);
      rows.set(data.subarray(r * d, (r + 1) * d), b * d);
    }
    pool.recycle(); // the last step's tensors, gradients included, are no longer read
    pool.use(() => {
      const x = new Tensor(rows, [batch, d]);
      const f = sae.encode(x);
      const err = ops.sub(sae.decode(f), x);
      let loss = ops.div(ops.sum(ops.mul(err, err)), batch);
      if (kind === "relu") {
        const norms = new Tensor(sae.decoderNorms(), [latents]);
        const lambda = l1 * Math.min(1, (step + 1) / Math.max(1, l1_warmup));
        loss = ops.add(loss, ops.mul(ops.div(ops.sum(ops.mul(f, norms)), batch), lambda));
      }
      for (let i = 0; i < latents; i++) {
        let on = false;
        for (let b = 0; b < batch && !on; b++) on = f.data[b * latents + i]! > 0;
        lastFired[i] = on ? step : lastFired[i]!;
      }
      for (const [, p] of sae.parameters()) p.grad = null;
      loss.backward();
      opt.step(lr);
      losses.push(loss.item());
    });
    onStep?.(step + 1, losses.at(-1)!);
  }
  for (const [, p] of sae.parameters()) p.grad = null;
  return { sae, losses, resampled };
}

/**
 * Resample the latents that have not fired for `window` steps (Towards Monosemanticity): each gets
 * an input drawn with probability ∝ its squared reconstruction error; the decoder row becomes that
 * input's unit direction, the encoder column the same scaled to 0.2 × the mean live encoder norm, the
 * bias 0, and the optimizer's moments for them are reset. Returns how many were resampled.
 */
export function resample(sae: SparseAutoencoder, opt: AdamW, data: Float32Array, lastFired: Int32Array, step: number, window: number, rng: Rng): number {
  const { d, m } = sae;
  const dead = Array.from({ length: m }, (_, i) => i).filter((i) => step - lastFired[i]! >= window);
  if (dead.length === 0) return 0;
  const N = data.length / d;
  const loss = noGrad(() => {
    const x = new Tensor(data, [N, d]), xh = sae.decode(sae.encode(x));
    return Float64Array.from({ length: N }, (_, r) => {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[r * d + j]! - xh.data[r * d + j]!) ** 2;
      return s * s;
    });
  });
  const total = loss.reduce((a, b) => a + b, 0);
  const alive = Array.from({ length: m }, (_, i) => i).filter((i) => !dead.includes(i));
  const encNorm = (i: number): number => Math.sqrt(Array.from({ length: d }, (_, j) => sae.W_enc.data[j * m + i]! ** 2).reduce((a, b) => a + b, 0));
  const meanAlive = alive.length === 0 ? 1 : alive.reduce((s, i) => s + encNorm(i), 0) / alive.length;
  for (const i of dead) {
    let u = rng.uniform() * total, r = 0;
    while (r < N - 1 && (u -= loss[r]!) > 0) r++;
    const v = Array.from({ length: d }, (_, j) => data[r * d + j]! - sae.b_dec.data[j]!);
    const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
    for (let j = 0; j < d; j++) {
      sae.W_dec.data[i * d + j] = v[j]! / n;
      sae.W_enc.data[j * m + i] = (0.2 * meanAlive * v[j]!) / n;
    }
    sae.b_enc.data[i] = 0;
    for (const slot of opt.slots) {
      const zero = (idx: number): void => {
        slot.m[idx] = 0;
        slot.v[idx] = 0;
      };
      if (slot.name === "W_dec") for (let j = 0; j < d; j++) zero(i * d + j);
      if (slot.name === "W_enc") for (let j = 0; j < d; j++) zero(j * m + i);
      if (slot.name === "b_enc") zero(i);
    }
    lastFired[i] = step;
  }
  return dead.length;
}

/** Cross-entropy of the model's next-token predictions with the hook's activations replaced by the SAE's reconstruction (and as they are). */
export function spliceLoss(model: MiniGPT, sae: SparseAutoencoder, sequences: readonly (readonly number[])[]): { clean: number; spliced: number; zeroAblated: number } {
  const hook = sae.hook as HookName;
  const run = (replace: ((t: Tensor) => Tensor) | null): number => {
    let total = 0, count = 0;
    for (const ids of sequences) {
      const hooks = replace === null ? new Hooks() : new Hooks().add(hook, replace);
      const logits = model.runWithHooks(ids.slice(0, -1), hooks);
      total += noGrad(() => F.crossEntropy(logits, Int32Array.from(ids.slice(1))).item()) * (ids.length - 1);
      count += ids.length - 1;
    }
    return total / count;
  };
  return {
    clean: run(null),
    spliced: run((t) => noGrad(() => ops.reshape(sae.decode(sae.encode(ops.reshape(t, [-1, sae.d]))), t.shape))),
    zeroAblated: run((t) => new Tensor(new Float32Array(t.size), t.shape)),
  };
}

export function saveSae(sae: SparseAutoencoder): Uint8Array {
  return encodeSafetensors(sae.parameters().map(([n, t]) => [n, t]), {
    kind: "sae", hook: sae.hook, activation: sae.kind, k: String(sae.k), latents: String(sae.m),
    ...(sae.modelConfig === null ? {} : { model_config: JSON.stringify(configToJson(sae.modelConfig)) }),
  });
}

/** A saved SAE, checked against the model it is meant for (same config) and its hook point. */
export function loadSae(bytes: Uint8Array, model: MiniGPT | null, source = "SAE"): SparseAutoencoder {
  const file = decodeSafetensors(bytes, source);
  const meta = file.metadata;
  if (meta["kind"] !== "sae") throw new Error(`${source}: not a sparse autoencoder (its metadata has no kind = sae)`);
  const W_enc = file.tensors.get("W_enc");
  if (W_enc === undefined || W_enc.shape.length !== 2) throw new Error(`${source}: no W_enc [d, m]`);
  const [d, m] = W_enc.shape as [number, number];
  if (model !== null) {
    const mine = JSON.stringify(configToJson(model.config));
    if (meta["model_config"] !== undefined && meta["model_config"] !== mine) throw new Error(`${source}: the SAE was trained on another model (${meta["model_config"]}); this one is ${mine}`);
    if (!hookNames(model.config).includes(meta["hook"] as HookName)) throw new Error(`${source}: its hook point "${meta["hook"]}" does not exist in this model`);
  }
  const sae = new SparseAutoencoder(d, m, meta["activation"] === "topk" ? "topk" : "relu", Number(meta["k"] ?? 0), meta["hook"] ?? "", model?.config ?? null);
  for (const [name, t] of sae.parameters()) {
    const v = file.tensors.get(name);
    if (v === undefined || v.data.length !== t.size) throw new Error(`${source}: tensor ${name} is missing or has the wrong size`);
    t.data.set(v.data);
  }
  return sae;
}

export interface FeatureView {
  readonly latent: number;
  /**
   * The strongest activations, one per distinct context: which sequence and position, how strong,
   * and at how many of the positions it fires on the same tokens lead up to it (the model is
   * causal, so those all have this activation: "<bos> ahora" is one context, not eight rows).
   */
  readonly top: { readonly sequence: number; readonly position: number; readonly value: number; readonly count: number }[];
  /** Counts of nonzero activations in `bins` equal bins from 0 to the maximum. */
  readonly histogram: { readonly max: number; readonly counts: number[] };
  /** W_dec[i]·W_U (W_Eᵀ when tied): the tokens the feature pushes up and down, directly. */
  readonly logitsUp: { readonly id: number; readonly value: number }[];
  readonly logitsDown: { readonly id: number; readonly value: number }[];
  readonly frequency: number;
}

/** The activations the feature browser reads: the hook's rows over `sequences`, encoded once. */
export interface FeatureIndex {
  readonly sequences: readonly (readonly number[])[];
  /** [N, m] latent activations, rows in the sequences' order. */
  readonly acts: Float32Array;
  readonly where: readonly [number, number][];
  /** Per row, a number naming the tokens up to and including its position: equal for equal prefixes. */
  readonly prefix: Int32Array;
}

export function featureIndex(model: MiniGPT, sae: SparseAutoencoder, sequences: readonly (readonly number[])[]): FeatureIndex {
  const data = collectActivations(model, sae.hook, sequences);
  const N = data.length / sae.d;
  const acts = noGrad(() => sae.encode(new Tensor(data, [N, sae.d]))).data as Float32Array;
  // prefixes numbered as a trie's nodes: a node is its parent's number and the next token
  const prefix = new Int32Array(N), nodes = new Map<string, number>();
  let r = 0;
  for (const ids of sequences) {
    let node = -1;
    for (const id of ids) {
      const key = `${node} ${id}`;
      node = nodes.get(key) ?? nodes.set(key, nodes.size).size - 1;
      prefix[r++] = node;
    }
  }
  return { sequences, acts, where: sequences.flatMap((ids, s) => ids.map((_, p): [number, number] => [s, p])), prefix };
}

/** A latent as the feature browser shows it. */
export function featureView(model: MiniGPT, sae: SparseAutoencoder, index: FeatureIndex, latent: number, { top = 8, bins = 10 } = {}): FeatureView {
  const { d, m } = sae, N = index.where.length;
  if (!(Number.isInteger(latent) && latent >= 0 && latent < m)) throw new Error(`latent ${latent} is out of range: 0 to ${m - 1}`);
  const order: [number, number][] = [];
  for (let r = 0; r < N; r++) if (index.acts[r * m + latent]! > 0) order.push([index.acts[r * m + latent]!, r]);
  order.sort((a, b) => b[0] - a[0]);
  const max = order.length === 0 ? 0 : order[0]![0];
  const counts = new Array<number>(bins).fill(0);
  for (const [v] of order) counts[Math.min(bins - 1, Math.floor((v / max) * bins))]!++;
  const V = model.config.vocab_size;
  const dir = sae.W_dec.data.subarray(latent * d, (latent + 1) * d);
  const logit = Array.from({ length: V }, (_, v) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += dir[j]! * (model.unembed === null ? model.embed.W_E.data[v * d + j]! : model.unembed.W_U.data[j * V + v]!);
    return { id: v, value: s };
  }).sort((a, b) => b.value - a.value);
  // one row per distinct context, strongest first, with how many of the firing positions share it
  const contexts: { sequence: number; position: number; value: number; count: number }[] = [];
  const byPrefix = new Map<number, { count: number } | null>(); // null: a context past the first `top`
  for (const [value, r] of order) {
    const seen = byPrefix.get(index.prefix[r]!);
    if (seen !== undefined) {
      if (seen !== null) seen.count++;
      continue;
    }
    const context = contexts.length < top ? { sequence: index.where[r]![0], position: index.where[r]![1], value, count: 1 } : null;
    byPrefix.set(index.prefix[r]!, context);
    if (context !== null) contexts.push(context);
  }
  return {
    latent,
    top: contexts,
    histogram: { max, counts },
    logitsUp: logit.slice(0, 5),
    logitsDown: logit.slice(-5).reverse(),
    frequency: order.length / N,
  };
}

/** The latents active on one input at one position, strongest first: [latent, activation]. */
export function activeLatents(model: MiniGPT, sae: SparseAutoencoder, ids: readonly number[], position: number): [number, number][] {
  const row = collectActivations(model, sae.hook, [ids]).subarray(position * sae.d, (position + 1) * sae.d);
  const f = noGrad(() => sae.encode(new Tensor(Float32Array.from(row), [1, sae.d]))).data;
  return Array.from(f, (v, i): [number, number] => [i, v]).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1]);
}
