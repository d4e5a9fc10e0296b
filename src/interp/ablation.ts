// Ablation: how much the model's loss rises when one component's contribution is taken away — a
// head's z (its read values, before W_O) or a block's MLP output — replaced by zeros ("zero") or by
// its mean over every position of the sequences ("mean", TransformerLens's mean ablation: what the
// component writes on average stays, what it writes for this input goes). One forward per
// component over the sequences, through the hook points (no second forward implementation).

import { Hooks, type HookName } from "../model/hooks.js";
import type { MiniGPT } from "../model/minigpt.js";
import { F, noGrad, Tensor } from "../tensor/index.js";

export type AblationKind = "zero" | "mean";

export interface ComponentAblation {
  /** "L.H" for a head, "mlp L" for an MLP. */
  readonly name: string;
  readonly layer: number;
  /** The head (null: the block's MLP). */
  readonly head: number | null;
  /** Mean next-token loss with the component ablated, and its rise over the clean loss. */
  readonly loss: number;
  readonly delta: number;
}

export interface AblationReport {
  readonly kind: AblationKind;
  /** Mean next-token loss over every prediction of the sequences (nats). */
  readonly clean: number;
  readonly predictions: number;
  /** Every head, then every MLP, in model order. */
  readonly components: readonly ComponentAblation[];
}

/** Mean next-token cross-entropy over the sequences (each predicts tokens 1 … end), with `hooks` in the forward. */
export function meanLoss(model: MiniGPT, sequences: readonly (readonly number[])[], hooks: Hooks | null = null): { loss: number; predictions: number } {
  let total = 0, n = 0;
  for (const ids of sequences) {
    if (ids.length < 2) continue;
    const logits = noGrad(() => model.forward(ids.slice(0, -1), { hooks }));
    const loss = noGrad(() => F.crossEntropy(logits, Int32Array.from(ids.slice(1)))).data[0]!;
    total += loss * (ids.length - 1);
    n += ids.length - 1;
  }
  if (n === 0) throw new Error("ablation needs sequences of at least two tokens");
  return { loss: total / n, predictions: n };
}

/** A component's hook point and how to take its contribution away there. */
interface Target {
  readonly name: string;
  readonly layer: number;
  readonly head: number | null;
  readonly hook: HookName;
}

function targets(model: MiniGPT): Target[] {
  const { n_layers: L, n_heads: H } = model.config;
  const heads = Array.from({ length: L * H }, (_, i): Target => {
    const layer = Math.floor(i / H), head = i % H;
    return { name: `${layer}.${head}`, layer, head, hook: `blocks.${layer}.attn.hook_z` };
  });
  const mlps = model.blocks.flatMap((b, layer): Target[] => (b.mlp === null ? [] : [{ name: `mlp ${layer}`, layer, head: null, hook: `blocks.${layer}.hook_mlp_out` }]));
  return [...heads, ...mlps];
}

/**
 * The mean of each target's hook output over every position of the sequences: per head its z
 * ([d_head]), per MLP its output ([d_model]) — one forward per sequence with those hooks read.
 */
function means(model: MiniGPT, sequences: readonly (readonly number[])[], ts: readonly Target[]): Map<string, Float64Array> {
  const sums = new Map<string, Float64Array>();
  let count = 0;
  const hooks = new Hooks();
  for (const hook of new Set(ts.map((t) => t.hook))) {
    hooks.add(hook, (t) => {
      if (hook.endsWith("hook_z")) {
        const [, Hh, T, dh] = t.shape as [number, number, number, number];
        for (let h = 0; h < Hh; h++) {
          const key = `${hook}#${h}`, s = sums.get(key) ?? new Float64Array(dh);
          for (let p = 0; p < T; p++) for (let e = 0; e < dh; e++) s[e]! += t.data[(h * T + p) * dh + e]!;
          sums.set(key, s);
        }
      } else {
        const [, T, d] = t.shape as [number, number, number];
        const s = sums.get(hook) ?? new Float64Array(d);
        for (let p = 0; p < T; p++) for (let e = 0; e < d; e++) s[e]! += t.data[p * d + e]!;
        sums.set(hook, s);
      }
    });
  }
  for (const ids of sequences) {
    if (ids.length < 2) continue;
    noGrad(() => model.forward(ids.slice(0, -1), { hooks }));
    count += ids.length - 1;
  }
  for (const s of sums.values()) for (let i = 0; i < s.length; i++) s[i]! /= count;
  return sums;
}

/** A hook that replaces the target's contribution by zeros or by its mean. */
function ablating(t: Target, mean: Float64Array | null): Hooks {
  return new Hooks().add(t.hook, (x) => {
    const data = x.data.slice();
    if (t.head !== null) {
      const [, , T, dh] = x.shape as [number, number, number, number];
      for (let p = 0; p < T; p++) for (let e = 0; e < dh; e++) data[(t.head * T + p) * dh + e] = mean === null ? 0 : mean[e]!;
    } else {
      const [, T, d] = x.shape as [number, number, number];
      for (let p = 0; p < T; p++) for (let e = 0; e < d; e++) data[p * d + e] = mean === null ? 0 : mean[e]!;
    }
    return new Tensor(data, x.shape);
  });
}

/** Each head, then each MLP, ablated alone: the loss over the sequences and its rise over the clean loss. */
export function ablationScan(
  model: MiniGPT, sequences: readonly (readonly number[])[],
  { kind = "mean", onProgress }: { kind?: AblationKind; onProgress?: (done: number, total: number) => void } = {},
): AblationReport {
  const ts = targets(model);
  const clean = meanLoss(model, sequences);
  const mean = kind === "mean" ? means(model, sequences, ts) : null;
  const components = ts.map((t, i): ComponentAblation => {
    const m = mean === null ? null : mean.get(t.head === null ? t.hook : `${t.hook}#${t.head}`)!;
    const { loss } = meanLoss(model, sequences, ablating(t, m));
    onProgress?.(i + 1, ts.length);
    return { name: t.name, layer: t.layer, head: t.head, loss, delta: loss - clean.loss };
  });
  return { kind, clean: clean.loss, predictions: clean.predictions, components };
}
