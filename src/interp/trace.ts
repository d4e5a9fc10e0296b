// The forward pass made visible: the course's shape trace (every intermediate
// tensor's shape), every activation as one file, and lab 00's block by hand (every value of a toy block).

import { encodeSafetensors } from "../io/safetensors.js";
import type { ActivationCache } from "../model/cache.js";
import { MiniGPT } from "../model/minigpt.js";
import type { HookName } from "../model/hooks.js";
import { TOY } from "../model/presets.js";
import type { Tokens } from "../model/tokens.js";

export interface TraceRow {
  readonly name: HookName;
  readonly shape: readonly number[];
  readonly what: string;
  /** Values as nested arrays (only when asked for). */
  readonly values?: unknown;
}

/** What each hook point holds, in the course's notation. */
export function describeHook(name: HookName): string {
  const leaf = name.replace(/^blocks\.\d+\./, "");
  const table: Record<string, string> = {
    hook_embed: "h₀ = W_E[token]",
    hook_pos_embed: "positional rows added to h₀",
    hook_resid_pre: "residual stream entering the block",
    "ln1.hook_normalized": "LN₁(h) (LayerNorm or RMSNorm)",
    "attn.hook_q": "queries per head (after RoPE when used)",
    "attn.hook_k": "keys per key/value head (after RoPE when used)",
    "attn.hook_v": "values per key/value head",
    "attn.hook_attn_scores": "q·kᵀ/√d_head, masked",
    "attn.hook_pattern": "softmax over earlier positions",
    "attn.hook_z": "pattern · v per head",
    hook_attn_out: "Σ_h z_h·W_O[h]: attention's write to the stream",
    hook_resid_mid: "stream after the attention add",
    "ln2.hook_normalized": "LN₂(h) (LayerNorm or RMSNorm)",
    "mlp.hook_pre": "the activation's input: x·W_in + b_in (x·W_gate + b_gate when gated)",
    "mlp.hook_pre_linear": "a gated MLP's linear half: x·W_in + b_in",
    "mlp.hook_post": "act(pre) (⊙ pre_linear when gated)",
    hook_mlp_out: "post·W_out + b_out: the MLP's write to the stream",
    hook_resid_post: "stream leaving the block",
    "ln_final.hook_normalized": "LN_final(h) (LayerNorm or RMSNorm)",
    hook_logits: "logits = LN_final(h)·W_Eᵀ (·W_U when untied)",
  };
  return table[leaf] ?? "";
}

/** Every hook point in forward order with its shape (and values when `withValues`). */
export function traceForward(model: MiniGPT, tokens: Tokens, { withValues = false } = {}): TraceRow[] {
  const { cache } = model.runWithCache(tokens);
  return cache.entries().map(([name, t]) => ({
    name,
    shape: [...t.shape],
    what: describeHook(name),
    ...(withValues ? { values: t.toArray() } : {}),
  }));
}

/**
 * Every activation of a cached forward as one safetensors file: float32 tensors named by their hook
 * points, in the forward's order, with the input in the metadata (and `extra`, such as the
 * checkpoint) — what `minigpt trace --save` writes and the explorer downloads.
 */
export function activationsFile(cache: ActivationCache, ids: readonly number[], tokens: readonly string[], extra: Readonly<Record<string, string>> = {}): Uint8Array {
  return encodeSafetensors(cache.entries(), { format: "minigpt activations", ...extra, ids: JSON.stringify(ids), tokens: JSON.stringify(tokens) });
}

/**
 * Lab 00's toy: one block, d_model 4, two heads of 2, d_ff 8, with weights drawn at
 * std 0.5 and rounded to one decimal so every product can be done on paper.
 */
export function toyModel(): MiniGPT {
  const model = new MiniGPT({ ...TOY, init_std: 0.5 });
  for (const [name, t] of model.namedParameters()) {
    if (name.split(".").pop()!.startsWith("W_")) for (let i = 0; i < t.size; i++) t.data[i] = Math.round(t.data[i]! * 10) / 10;
  }
  return model;
}

/** The toy's two input tokens. */
export const TOY_TOKENS: readonly number[] = [3, 5];
