// Hugging Face checkpoints in and out (SPEC §9): a folder's config.json and safetensors
// weights, in one of three model_types, mapped onto our config and weight names exactly —
// and back. The tensor conversions are the whole difference between the families' code and
// ours: GPT-2's Conv1D stores [in, out] (x·W), PyTorch's Linear [out, in] (x·Wᵀ); GPT-NeoX
// groups its fused query_key_value rows per head as [n_heads, 3, d_head].
// Nothing here reads files: the CLI and the page hand over bytes.

import { parseConfig, type Activation, type ModelConfig } from "../model/config.js";
import { MiniGPT } from "../model/minigpt.js";
import { adoptData, type Tensor } from "../tensor/index.js";
import { LOCKED } from "../model/presets.js";
import { encodeSafetensors, firstNonFinite, headerLength, parseSafetensorsHeader, widen, type FloatDType, type SafetensorsHeader, type TensorEntry } from "./safetensors.js";

export type HfFamily = "gpt2" | "gpt_neox" | "llama";
export const HF_FAMILIES: readonly HfFamily[] = ["gpt2", "gpt_neox", "llama"];

export class HfError extends Error {
  override name = "HfError";
}

/** A Hugging Face model folder as bytes: config.json, the weights (one file or shards), tokenizer.json. */
export interface HfFolder {
  readonly config: string;
  /** Each safetensors file by its name (model.safetensors, or model-00001-of-00002.safetensors …): its bytes, or a reader of ranges. */
  readonly weights: ReadonlyMap<string, Uint8Array | RangeReader>;
  /** model.safetensors.index.json, when the weights are sharded. */
  readonly index?: string;
  readonly tokenizer?: string;
  /** What to call the folder in messages. */
  readonly source: string;
}

type Json = Record<string, unknown>;

const ACTIVATIONS: Record<string, Activation> = {
  gelu: "gelu", gelu_new: "gelu_tanh", gelu_pytorch_tanh: "gelu_tanh", gelu_fast: "gelu_tanh", relu: "relu", silu: "silu", swish: "silu",
};
const HF_ACTIVATION: Record<HfFamily, Record<Activation, string>> = {
  gpt2: { gelu: "gelu", gelu_tanh: "gelu_new", relu: "relu", silu: "silu" },
  gpt_neox: { gelu: "gelu", gelu_tanh: "gelu_new", relu: "relu", silu: "silu" },
  llama: { gelu: "gelu", gelu_tanh: "gelu_pytorch_tanh", relu: "relu", silu: "silu" },
};

// ---------------------------------------------------------------- config.json → ModelConfig

/** Our config for a config.json, and its family; anything we do not implement is refused by name. */
export function configFromHf(json: unknown, source = "config.json"): { config: ModelConfig; family: HfFamily } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new HfError(`${source}: not a JSON object`);
  const j = json as Json;
  const family = j["model_type"];
  if (typeof family !== "string" || !(HF_FAMILIES as readonly string[]).includes(family)) {
    throw new HfError(`${source}: model_type ${JSON.stringify(family)} is not supported; minigpt reads ${HF_FAMILIES.join(", ")}`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = j[key] ?? fallback;
    if (typeof v !== "number") throw new HfError(`${source}: ${key} is ${v === undefined ? "missing" : JSON.stringify(v)}; expected a number`);
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = j[key] ?? fallback;
    if (typeof v !== "boolean") throw new HfError(`${source}: ${key} = ${JSON.stringify(v)}; expected true or false`);
    return v;
  };
  const act = (key: string, fallback: string): Activation => {
    const v = j[key] ?? fallback;
    const a = typeof v === "string" ? ACTIVATIONS[v] : undefined;
    if (a === undefined) throw new HfError(`${source}: ${key} = ${JSON.stringify(v)} is not supported; minigpt implements ${Object.keys(ACTIVATIONS).join(", ")}`);
    return a;
  };
  const refuse = (key: string, why: string): void => {
    if (j[key] !== undefined && j[key] !== null && j[key] !== false) throw new HfError(`${source}: ${key} = ${JSON.stringify(j[key])} is not supported (${why})`);
  };
  refuse("rope_scaling", "minigpt implements plain RoPE without scaling");

  let raw: Json;
  if (family === "gpt2") {
    refuse("scale_attn_by_inverse_layer_idx", "GPT-2 scores are scaled by 1/√d_head only");
    if (j["scale_attn_weights"] === false) throw new HfError(`${source}: scale_attn_weights = false is not supported (scores are scaled by 1/√d_head)`);
    const d = num("n_embd");
    raw = {
      d_model: d, n_heads: num("n_head"), n_layers: num("n_layer"), d_ff: (j["n_inner"] as number | null | undefined) ?? 4 * d,
      vocab_size: num("vocab_size"), context_len: num("n_positions"), positional: "learned", norm: "pre", norm_type: "layernorm",
      activation: act("activation_function", "gelu_new"), attn_bias: true, mlp_bias: true, ln_eps: num("layer_norm_epsilon", 1e-5),
      tied_embeddings: bool("tie_word_embeddings", true),
    };
  } else if (family === "gpt_neox") {
    const d = num("hidden_size"), H = num("num_attention_heads");
    const rotaryDim = Math.floor((d / H) * num("rotary_pct", num("partial_rotary_factor", 1)));
    raw = {
      d_model: d, n_heads: H, n_layers: num("num_hidden_layers"), d_ff: num("intermediate_size"), vocab_size: num("vocab_size"),
      context_len: num("max_position_embeddings"), positional: "rope", rope_base: num("rotary_emb_base", num("rope_theta", 10000)),
      rotary_dim: rotaryDim, norm: "pre", norm_type: "layernorm", activation: act("hidden_act", "gelu"),
      attn_bias: bool("attention_bias", true), mlp_bias: true, ln_eps: num("layer_norm_eps", 1e-5),
      tied_embeddings: bool("tie_word_embeddings", false), parallel_attn_mlp: bool("use_parallel_residual", true),
    };
  } else {
    const d = num("hidden_size"), H = num("num_attention_heads");
    if (j["head_dim"] !== undefined && j["head_dim"] !== null && j["head_dim"] !== d / H) throw new HfError(`${source}: head_dim = ${JSON.stringify(j["head_dim"])} differs from hidden_size / num_attention_heads = ${d / H}; minigpt needs d_head = d_model / n_heads`);
    raw = {
      d_model: d, n_heads: H, n_kv_heads: num("num_key_value_heads", H), n_layers: num("num_hidden_layers"), d_ff: num("intermediate_size"),
      vocab_size: num("vocab_size"), context_len: num("max_position_embeddings"), positional: "rope", rope_base: num("rope_theta", 10000),
      norm: "pre", norm_type: "rmsnorm", activation: act("hidden_act", "silu"), mlp_gated: true,
      attn_bias: bool("attention_bias", false), mlp_bias: bool("mlp_bias", false), ln_eps: num("rms_norm_eps", 1e-6),
      tied_embeddings: bool("tie_word_embeddings", false),
    };
  }
  try {
    return { config: parseConfig(raw, LOCKED, source), family: family as HfFamily };
  } catch (err) {
    throw new HfError((err as Error).message);
  }
}

// ---------------------------------------------------------------- ModelConfig → config.json

/** Why a family cannot express a config exactly, or null when it can. */
export function familyMismatch(c: ModelConfig, family: HfFamily): string | null {
  const dh = c.d_model / c.n_heads;
  const common: [boolean, string][] = [
    [c.norm === "pre", "norm = post (every family is Pre-LN)"],
    [!c.attn_only, "attn_only = true (every family has MLPs)"],
  ];
  const rules: Record<HfFamily, [boolean, string][]> = {
    gpt2: [
      [c.positional === "learned", `positional = ${c.positional} (GPT-2 learns positions)`],
      [c.norm_type === "layernorm", "norm_type = rmsnorm (GPT-2 uses LayerNorm)"],
      [!c.mlp_gated, "mlp_gated = true (GPT-2's MLP is not gated)"],
      [c.n_kv_heads === c.n_heads, "n_kv_heads ≠ n_heads (GPT-2 has no grouped-query attention)"],
      [!c.parallel_attn_mlp, "parallel_attn_mlp = true (GPT-2 is sequential)"],
      [c.attn_bias && c.mlp_bias, "attn_bias or mlp_bias = false (GPT-2 has every bias)"],
    ],
    gpt_neox: [
      [c.positional === "rope", `positional = ${c.positional} (GPT-NeoX uses RoPE)`],
      [c.norm_type === "layernorm", "norm_type = rmsnorm (GPT-NeoX uses LayerNorm)"],
      [!c.mlp_gated, "mlp_gated = true (GPT-NeoX's MLP is not gated)"],
      [c.n_kv_heads === c.n_heads, "n_kv_heads ≠ n_heads (GPT-NeoX has no grouped-query attention)"],
      [c.mlp_bias, "mlp_bias = false (GPT-NeoX's MLP has biases)"],
    ],
    llama: [
      [c.positional === "rope" && c.rotary_dim === dh, "positional or rotary_dim (LLaMA rotates whole heads)"],
      [c.norm_type === "rmsnorm", "norm_type = layernorm (LLaMA uses RMSNorm)"],
      [c.mlp_gated, "mlp_gated = false (LLaMA's MLP is gated)"],
      [!c.parallel_attn_mlp, "parallel_attn_mlp = true (LLaMA is sequential)"],
    ],
  };
  const broken = [...common, ...rules[family]].find(([ok]) => !ok);
  return broken === undefined ? null : broken[1];
}

/** The first family that expresses the config exactly; refused naming the key otherwise. */
export function chooseFamily(c: ModelConfig): HfFamily {
  const found = HF_FAMILIES.find((f) => familyMismatch(c, f) === null);
  if (found !== undefined) return found;
  throw new HfError(`no Hugging Face family expresses this config exactly: ${HF_FAMILIES.map((f) => `${f}: ${familyMismatch(c, f)}`).join("; ")}`);
}

export function hfConfig(c: ModelConfig, family: HfFamily): Json {
  const why = familyMismatch(c, family);
  if (why !== null) throw new HfError(`model_type ${family} cannot express this config: ${why}`);
  const dh = c.d_model / c.n_heads;
  const act = HF_ACTIVATION[family][c.activation];
  const common = { model_type: family, vocab_size: c.vocab_size, tie_word_embeddings: c.tied_embeddings, torch_dtype: "float32" };
  if (family === "gpt2") {
    return {
      ...common, architectures: ["GPT2LMHeadModel"], n_embd: c.d_model, n_head: c.n_heads, n_layer: c.n_layers, n_inner: c.d_ff,
      n_positions: c.context_len, n_ctx: c.context_len, activation_function: act, layer_norm_epsilon: c.ln_eps,
      resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0,
    };
  }
  if (family === "gpt_neox") {
    return {
      ...common, architectures: ["GPTNeoXForCausalLM"], hidden_size: c.d_model, num_attention_heads: c.n_heads, num_hidden_layers: c.n_layers,
      intermediate_size: c.d_ff, max_position_embeddings: c.context_len, rotary_pct: c.rotary_dim / dh, partial_rotary_factor: c.rotary_dim / dh,
      rotary_emb_base: c.rope_base, rope_theta: c.rope_base, hidden_act: act, layer_norm_eps: c.ln_eps, use_parallel_residual: c.parallel_attn_mlp,
      attention_bias: c.attn_bias, attention_dropout: 0, hidden_dropout: 0,
    };
  }
  return {
    ...common, architectures: ["LlamaForCausalLM"], hidden_size: c.d_model, num_attention_heads: c.n_heads, num_key_value_heads: c.n_kv_heads,
    num_hidden_layers: c.n_layers, intermediate_size: c.d_ff, max_position_embeddings: c.context_len, rope_theta: c.rope_base,
    hidden_act: act, rms_norm_eps: c.ln_eps, attention_bias: c.attn_bias, mlp_bias: c.mlp_bias, head_dim: dh,
  };
}

// ---------------------------------------------------------------- tensor layouts

interface Array2 { readonly shape: readonly number[]; readonly data: Float32Array }

/** out[j, i] = x[i, j] for a [rows, cols] matrix. */
function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  transposeInto(x, rows, cols, out);
  return out;
}

/** Columns colOffset … of a [d, width] x·W matrix → per head [heads, d, dh]; joinHeads is the way back. */
function splitHeadsInto(W: Float32Array, d: number, heads: number, dh: number, colOffset: number, width: number, out: Float32Array): void {
  for (let h = 0; h < heads; h++) for (let i = 0; i < d; i++) for (let e = 0; e < dh; e++) out[(h * d + i) * dh + e] = W[i * width + colOffset + h * dh + e]!;
}
function joinHeads(W: Float32Array, d: number, heads: number, dh: number): Float32Array {
  const out = new Float32Array(d * heads * dh);
  for (let h = 0; h < heads; h++) for (let i = 0; i < d; i++) for (let e = 0; e < dh; e++) out[i * heads * dh + h * dh + e] = W[(h * d + i) * dh + e]!;
  return out;
}

/**
 * How one of our weights is made: from which of their tensors (by name, with the shape config.json
 * implies) and how their values land in ours. A list of these is the whole import, so a loader can
 * read one source at a time and fill the model's parameter in place (no second copy of the model).
 */
interface Recipe {
  readonly ours: string;
  readonly from: readonly { readonly name: string; readonly shape: readonly number[] }[];
  fill(src: readonly Float32Array[], out: Float32Array): void;
  /** Ours is theirs, value for value: a source array the import owns may become the parameter's own. */
  readonly same?: true;
}

/**
 * The conversion of one family, both ways: the recipes for our weights from theirs, and theirs
 * from ours (written side by side so they stay each other's inverse).
 */
interface Mapping {
  /** Hugging Face names this family's files may hold that carry no weights (buffers), as patterns. */
  readonly ignore: readonly RegExp[];
  plan(c: ModelConfig): Recipe[];
  /** Theirs from ours. */
  write(c: ModelConfig, ours: (name: string) => Float32Array): [string, Array2][];
}

const t2 = (shape: number[], data: Float32Array): Array2 => ({ shape, data });
const src = (name: string, shape: readonly number[]): { name: string; shape: readonly number[] } => ({ name, shape });
/** Same values, same order. */
const copy = (ours: string, name: string, shape: readonly number[]): Recipe => ({ ours, from: [src(name, shape)], fill: ([x], out) => out.set(x!), same: true });
/** Theirs is [rows, cols]; ours is its transpose. */
const transposed = (ours: string, name: string, rows: number, cols: number): Recipe => ({
  ours, from: [src(name, [rows, cols])], fill: ([x], out) => transposeInto(x!, rows, cols, out),
});

function transposeInto(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
}

function dims(c: ModelConfig): { d: number; H: number; Hkv: number; dh: number; F: number; V: number; T: number } {
  return { d: c.d_model, H: c.n_heads, Hkv: c.n_kv_heads, dh: c.d_model / c.n_heads, F: c.d_ff, V: c.vocab_size, T: c.context_len };
}

const GPT2: Mapping = {
  ignore: [/\.attn\.bias$/, /\.attn\.masked_bias$/],
  plan(c) {
    const { d, H, dh, F, V, T } = dims(c);
    const r: Recipe[] = [copy("embed.W_E", "wte.weight", [V, d]), copy("pos_embed.W_pos", "wpe.weight", [T, d])];
    for (let l = 0; l < c.n_layers; l++) {
      const p = `h.${l}.`, o = `blocks.${l}.`;
      r.push(copy(`${o}ln1.w`, `${p}ln_1.weight`, [d]), copy(`${o}ln1.b`, `${p}ln_1.bias`, [d]));
      // Conv1D c_attn [d, 3d] = x·W: columns Q | K | V, each heads side by side
      ["Q", "K", "V"].forEach((x, which) => r.push({ ours: `${o}attn.W_${x}`, from: [src(`${p}attn.c_attn.weight`, [d, 3 * d])], fill: ([W], out) => splitHeadsInto(W!, d, H, dh, which * d, 3 * d, out) }));
      ["Q", "K", "V"].forEach((x, which) => r.push({ ours: `${o}attn.b_${x}`, from: [src(`${p}attn.c_attn.bias`, [3 * d])], fill: ([b], out) => out.set(b!.subarray(which * d, (which + 1) * d)) }));
      r.push(
        copy(`${o}attn.W_O`, `${p}attn.c_proj.weight`, [d, d]), // [H·dh, d] is [H, dh, d] in memory
        copy(`${o}attn.b_O`, `${p}attn.c_proj.bias`, [d]),
        copy(`${o}ln2.w`, `${p}ln_2.weight`, [d]), copy(`${o}ln2.b`, `${p}ln_2.bias`, [d]),
        copy(`${o}mlp.W_in`, `${p}mlp.c_fc.weight`, [d, F]), copy(`${o}mlp.b_in`, `${p}mlp.c_fc.bias`, [F]),
        copy(`${o}mlp.W_out`, `${p}mlp.c_proj.weight`, [F, d]), copy(`${o}mlp.b_out`, `${p}mlp.c_proj.bias`, [d]),
      );
    }
    r.push(copy("ln_final.w", "ln_f.weight", [d]), copy("ln_final.b", "ln_f.bias", [d]));
    if (!c.tied_embeddings) r.push(transposed("unembed.W_U", "lm_head.weight", V, d));
    return r;
  },
  write(c, ours) {
    const { d, H, dh, F, V, T } = dims(c);
    const out: [string, Array2][] = [["transformer.wte.weight", t2([V, d], ours("embed.W_E"))], ["transformer.wpe.weight", t2([T, d], ours("pos_embed.W_pos"))]];
    for (let l = 0; l < c.n_layers; l++) {
      const p = `transformer.h.${l}.`, o = `blocks.${l}.`;
      const W = new Float32Array(d * 3 * d), b = new Float32Array(3 * d);
      ["Q", "K", "V"].forEach((x, which) => {
        const part = joinHeads(ours(`${o}attn.W_${x}`), d, H, dh);
        for (let i = 0; i < d; i++) W.set(part.subarray(i * d, (i + 1) * d), i * 3 * d + which * d);
        b.set(ours(`${o}attn.b_${x}`), which * d);
      });
      out.push(
        [`${p}ln_1.weight`, t2([d], ours(`${o}ln1.w`))], [`${p}ln_1.bias`, t2([d], ours(`${o}ln1.b`))],
        [`${p}attn.c_attn.weight`, t2([d, 3 * d], W)], [`${p}attn.c_attn.bias`, t2([3 * d], b)],
        [`${p}attn.c_proj.weight`, t2([d, d], ours(`${o}attn.W_O`))], [`${p}attn.c_proj.bias`, t2([d], ours(`${o}attn.b_O`))],
        [`${p}ln_2.weight`, t2([d], ours(`${o}ln2.w`))], [`${p}ln_2.bias`, t2([d], ours(`${o}ln2.b`))],
        [`${p}mlp.c_fc.weight`, t2([d, F], ours(`${o}mlp.W_in`))], [`${p}mlp.c_fc.bias`, t2([F], ours(`${o}mlp.b_in`))],
        [`${p}mlp.c_proj.weight`, t2([F, d], ours(`${o}mlp.W_out`))], [`${p}mlp.c_proj.bias`, t2([d], ours(`${o}mlp.b_out`))],
      );
    }
    out.push(["transformer.ln_f.weight", t2([d], ours("ln_final.w"))], ["transformer.ln_f.bias", t2([d], ours("ln_final.b"))]);
    if (!c.tied_embeddings) out.push(["lm_head.weight", t2([V, d], transpose(ours("unembed.W_U"), d, V))]);
    return out;
  },
};

/** Linear [rows, d] (x·Wᵀ) → per head [heads, d, dh]: W_ours[h, i, e] = W[rowOf(h, e), i]. */
function fromLinearHeadsInto(W: Float32Array, d: number, heads: number, dh: number, rowOf: (h: number, e: number) => number, out: Float32Array): void {
  for (let h = 0; h < heads; h++) for (let e = 0; e < dh; e++) { const r = rowOf(h, e); for (let i = 0; i < d; i++) out[(h * d + i) * dh + e] = W[r * d + i]!; }
}
function toLinearHeads(W: Float32Array, out: Float32Array, d: number, heads: number, dh: number, rowOf: (h: number, e: number) => number): void {
  for (let h = 0; h < heads; h++) for (let e = 0; e < dh; e++) { const r = rowOf(h, e); for (let i = 0; i < d; i++) out[r * d + i] = W[(h * d + i) * dh + e]!; }
}

const NEOX: Mapping = {
  ignore: [/\.attention\.bias$/, /\.attention\.masked_bias$/, /rotary_emb\.inv_freq$/],
  plan(c) {
    const { d, H, dh, F, V } = dims(c);
    const r: Recipe[] = [copy("embed.W_E", "embed_in.weight", [V, d])];
    for (let l = 0; l < c.n_layers; l++) {
      const p = `layers.${l}.`, o = `blocks.${l}.`;
      r.push(copy(`${o}ln1.w`, `${p}input_layernorm.weight`, [d]), copy(`${o}ln1.b`, `${p}input_layernorm.bias`, [d]));
      // query_key_value [3d, d] (Linear), rows grouped per head: row (h·3 + which)·dh + e
      const rowOf = (which: number) => (h: number, e: number): number => (h * 3 + which) * dh + e;
      ["Q", "K", "V"].forEach((x, which) => r.push({ ours: `${o}attn.W_${x}`, from: [src(`${p}attention.query_key_value.weight`, [3 * d, d])], fill: ([W], out) => fromLinearHeadsInto(W!, d, H, dh, rowOf(which), out) }));
      if (c.attn_bias) {
        ["Q", "K", "V"].forEach((x, which) => r.push({
          ours: `${o}attn.b_${x}`, from: [src(`${p}attention.query_key_value.bias`, [3 * d])],
          fill: ([b], out) => { for (let k = 0; k < H * dh; k++) out[k] = b![rowOf(which)(Math.floor(k / dh), k % dh)]!; },
        }));
      }
      r.push(transposed(`${o}attn.W_O`, `${p}attention.dense.weight`, d, d));
      if (c.attn_bias) r.push(copy(`${o}attn.b_O`, `${p}attention.dense.bias`, [d]));
      r.push(
        copy(`${o}ln2.w`, `${p}post_attention_layernorm.weight`, [d]), copy(`${o}ln2.b`, `${p}post_attention_layernorm.bias`, [d]),
        transposed(`${o}mlp.W_in`, `${p}mlp.dense_h_to_4h.weight`, F, d), copy(`${o}mlp.b_in`, `${p}mlp.dense_h_to_4h.bias`, [F]),
        transposed(`${o}mlp.W_out`, `${p}mlp.dense_4h_to_h.weight`, d, F), copy(`${o}mlp.b_out`, `${p}mlp.dense_4h_to_h.bias`, [d]),
      );
    }
    r.push(copy("ln_final.w", "final_layer_norm.weight", [d]), copy("ln_final.b", "final_layer_norm.bias", [d]));
    if (!c.tied_embeddings) r.push(transposed("unembed.W_U", "embed_out.weight", V, d));
    return r;
  },
  write(c, ours) {
    const { d, H, dh, F, V } = dims(c);
    const out: [string, Array2][] = [["gpt_neox.embed_in.weight", t2([V, d], ours("embed.W_E"))]];
    for (let l = 0; l < c.n_layers; l++) {
      const p = `gpt_neox.layers.${l}.`, o = `blocks.${l}.`;
      const W = new Float32Array(3 * d * d), b = new Float32Array(3 * d);
      ["Q", "K", "V"].forEach((x, which) => {
        const row = (h: number, e: number): number => (h * 3 + which) * dh + e;
        toLinearHeads(ours(`${o}attn.W_${x}`), W, d, H, dh, row);
        if (c.attn_bias) { const bx = ours(`${o}attn.b_${x}`); for (let k = 0; k < H * dh; k++) b[row(Math.floor(k / dh), k % dh)] = bx[k]!; }
      });
      out.push([`${p}input_layernorm.weight`, t2([d], ours(`${o}ln1.w`))], [`${p}input_layernorm.bias`, t2([d], ours(`${o}ln1.b`))]);
      out.push([`${p}attention.query_key_value.weight`, t2([3 * d, d], W)]);
      if (c.attn_bias) out.push([`${p}attention.query_key_value.bias`, t2([3 * d], b)]);
      out.push([`${p}attention.dense.weight`, t2([d, d], transpose(ours(`${o}attn.W_O`), d, d))]);
      if (c.attn_bias) out.push([`${p}attention.dense.bias`, t2([d], ours(`${o}attn.b_O`))]);
      out.push(
        [`${p}post_attention_layernorm.weight`, t2([d], ours(`${o}ln2.w`))], [`${p}post_attention_layernorm.bias`, t2([d], ours(`${o}ln2.b`))],
        [`${p}mlp.dense_h_to_4h.weight`, t2([F, d], transpose(ours(`${o}mlp.W_in`), d, F))], [`${p}mlp.dense_h_to_4h.bias`, t2([F], ours(`${o}mlp.b_in`))],
        [`${p}mlp.dense_4h_to_h.weight`, t2([d, F], transpose(ours(`${o}mlp.W_out`), F, d))], [`${p}mlp.dense_4h_to_h.bias`, t2([d], ours(`${o}mlp.b_out`))],
      );
    }
    out.push(["gpt_neox.final_layer_norm.weight", t2([d], ours("ln_final.w"))], ["gpt_neox.final_layer_norm.bias", t2([d], ours("ln_final.b"))]);
    // Hugging Face's tied GPT-NeoX still saves embed_out; it must equal embed_in.
    out.push(["embed_out.weight", t2([V, d], c.tied_embeddings ? ours("embed.W_E") : transpose(ours("unembed.W_U"), d, V))]);
    return out;
  },
};

const LLAMA: Mapping = {
  ignore: [/rotary_emb\.inv_freq$/],
  plan(c) {
    const { d, H, Hkv, dh, F, V } = dims(c);
    const row = (h: number, e: number): number => h * dh + e;
    const r: Recipe[] = [copy("embed.W_E", "embed_tokens.weight", [V, d])];
    for (let l = 0; l < c.n_layers; l++) {
      const p = `layers.${l}.`, o = `blocks.${l}.`;
      r.push(copy(`${o}ln1.w`, `${p}input_layernorm.weight`, [d]));
      for (const [x, name, heads] of [["Q", "q", H], ["K", "k", Hkv], ["V", "v", Hkv]] as const) {
        r.push({ ours: `${o}attn.W_${x}`, from: [src(`${p}self_attn.${name}_proj.weight`, [heads * dh, d])], fill: ([W], out) => fromLinearHeadsInto(W!, d, heads, dh, row, out) });
        if (c.attn_bias) r.push(copy(`${o}attn.b_${x}`, `${p}self_attn.${name}_proj.bias`, [heads * dh]));
      }
      r.push(transposed(`${o}attn.W_O`, `${p}self_attn.o_proj.weight`, d, H * dh));
      if (c.attn_bias) r.push(copy(`${o}attn.b_O`, `${p}self_attn.o_proj.bias`, [d]));
      r.push(
        copy(`${o}ln2.w`, `${p}post_attention_layernorm.weight`, [d]),
        transposed(`${o}mlp.W_in`, `${p}mlp.up_proj.weight`, F, d),
        transposed(`${o}mlp.W_gate`, `${p}mlp.gate_proj.weight`, F, d),
        transposed(`${o}mlp.W_out`, `${p}mlp.down_proj.weight`, d, F),
      );
      if (c.mlp_bias) r.push(copy(`${o}mlp.b_in`, `${p}mlp.up_proj.bias`, [F]), copy(`${o}mlp.b_gate`, `${p}mlp.gate_proj.bias`, [F]), copy(`${o}mlp.b_out`, `${p}mlp.down_proj.bias`, [d]));
    }
    r.push(copy("ln_final.w", "norm.weight", [d]));
    if (!c.tied_embeddings) r.push(transposed("unembed.W_U", "lm_head.weight", V, d));
    return r;
  },
  write(c, ours) {
    const { d, H, Hkv, dh, F, V } = dims(c);
    const row = (h: number, e: number): number => h * dh + e;
    const out: [string, Array2][] = [["model.embed_tokens.weight", t2([V, d], ours("embed.W_E"))]];
    for (let l = 0; l < c.n_layers; l++) {
      const p = `model.layers.${l}.`, o = `blocks.${l}.`;
      out.push([`${p}input_layernorm.weight`, t2([d], ours(`${o}ln1.w`))]);
      for (const [x, name, heads] of [["Q", "q", H], ["K", "k", Hkv], ["V", "v", Hkv]] as const) {
        const W = new Float32Array(heads * dh * d);
        toLinearHeads(ours(`${o}attn.W_${x}`), W, d, heads, dh, row);
        out.push([`${p}self_attn.${name}_proj.weight`, t2([heads * dh, d], W)]);
        if (c.attn_bias) out.push([`${p}self_attn.${name}_proj.bias`, t2([heads * dh], ours(`${o}attn.b_${x}`))]);
      }
      out.push([`${p}self_attn.o_proj.weight`, t2([d, H * dh], transpose(ours(`${o}attn.W_O`), H * dh, d))]);
      if (c.attn_bias) out.push([`${p}self_attn.o_proj.bias`, t2([d], ours(`${o}attn.b_O`))]);
      out.push(
        [`${p}post_attention_layernorm.weight`, t2([d], ours(`${o}ln2.w`))],
        [`${p}mlp.gate_proj.weight`, t2([F, d], transpose(ours(`${o}mlp.W_gate`), d, F))],
        [`${p}mlp.up_proj.weight`, t2([F, d], transpose(ours(`${o}mlp.W_in`), d, F))],
        [`${p}mlp.down_proj.weight`, t2([d, F], transpose(ours(`${o}mlp.W_out`), F, d))],
      );
      if (c.mlp_bias) {
        out.push([`${p}mlp.gate_proj.bias`, t2([F], ours(`${o}mlp.b_gate`))], [`${p}mlp.up_proj.bias`, t2([F], ours(`${o}mlp.b_in`))], [`${p}mlp.down_proj.bias`, t2([d], ours(`${o}mlp.b_out`))]);
      }
    }
    out.push(["model.norm.weight", t2([d], ours("ln_final.w"))]);
    if (!c.tied_embeddings) out.push(["lm_head.weight", t2([V, d], transpose(ours("unembed.W_U"), d, V))]);
    return out;
  },
};

const MAPPINGS: Record<HfFamily, Mapping> = { gpt2: GPT2, gpt_neox: NEOX, llama: LLAMA };
/** The prefix each family's base model puts before its tensor names (absent in base-model files). */
const PREFIX: Record<HfFamily, string> = { gpt2: "transformer.", gpt_neox: "gpt_neox.", llama: "model." };
/** Output-head names that live outside the prefix. */
const HEADS = ["lm_head.weight", "embed_out.weight"];

// ---------------------------------------------------------------- import

/** Where each tensor of a folder lives: shard, dtype, shape, byte range (every shard's header checked). */
interface TensorIndex {
  readonly entries: Map<string, TensorEntry & { readonly file: string }>;
  readonly bytes: number;
}

/** Index the tensors of every shard from their headers alone, against model.safetensors.index.json when there is one. */
function indexTensors(folder: { source: string; index?: string }, headers: ReadonlyMap<string, SafetensorsHeader>): TensorIndex {
  let wanted: ReadonlyMap<string, string> | null = null;
  if (folder.index !== undefined) {
    let index: unknown;
    try {
      index = JSON.parse(folder.index);
    } catch (err) {
      throw new HfError(`${folder.source}/model.safetensors.index.json: not valid JSON (${(err as Error).message})`);
    }
    const map = (index as { weight_map?: unknown } | null)?.weight_map;
    if (typeof map !== "object" || map === null) throw new HfError(`${folder.source}/model.safetensors.index.json: no weight_map`);
    wanted = new Map(Object.entries(map as Record<string, string>));
    for (const file of new Set(wanted.values())) {
      if (!headers.has(file)) throw new HfError(`${folder.source}: the index names shard ${file}, which is not in the folder`);
    }
  }
  const entries = new Map<string, TensorEntry & { file: string }>();
  let bytes = 0;
  for (const [file, header] of headers) {
    for (const e of header.entries) {
      const other = entries.get(e.name);
      if (other !== undefined) throw new HfError(`${folder.source}: tensor "${e.name}" is in both ${other.file} and ${file}`);
      if (wanted !== null && wanted.get(e.name) !== file) throw new HfError(`${folder.source}/${file}: tensor "${e.name}" is not listed for this shard in model.safetensors.index.json`);
      entries.set(e.name, { ...e, file });
      bytes += e.end - e.begin;
    }
  }
  if (wanted !== null) for (const [name, file] of wanted) if (!entries.has(name)) throw new HfError(`${folder.source}/${file}: tensor "${name}" is listed in the index but missing from the shard`);
  return { entries, bytes };
}

export interface ImportedHf {
  readonly model: MiniGPT;
  readonly family: HfFamily;
  /** Metadata for our checkpoint: the source family and, when the folder has one, tokenizer.json. */
  readonly metadata: Record<string, string>;
}

/** Everything decided before any weight is read: the config, the empty model, and what fills each parameter from where. */
interface ImportPlan {
  readonly family: HfFamily;
  readonly model: MiniGPT;
  readonly steps: { readonly param: Tensor; readonly recipe: Recipe; readonly sources: (TensorEntry & { file: string })[] }[];
  /** Tied output heads to compare with the embedding once it is read. */
  readonly tiedHeads: (TensorEntry & { file: string })[];
  readonly metadata: Record<string, string>;
  readonly bytes: number;
}

function planImport(folder: { config: string; tokenizer?: string; index?: string; source: string }, headers: ReadonlyMap<string, SafetensorsHeader>): ImportPlan {
  let json: unknown;
  try {
    json = JSON.parse(folder.config);
  } catch (err) {
    throw new HfError(`${folder.source}/config.json: not valid JSON (${(err as Error).message})`);
  }
  const { config, family } = configFromHf(json, `${folder.source}/config.json`);
  if (folder.tokenizer !== undefined) {
    try {
      JSON.parse(folder.tokenizer);
    } catch (err) {
      throw new HfError(`${folder.source}/tokenizer.json: not valid JSON (${(err as Error).message})`);
    }
  }
  const { entries, bytes } = indexTensors(folder, headers);
  const prefix = PREFIX[family];
  const byName = new Map<string, TensorEntry & { file: string }>();
  for (const [name, e] of entries) byName.set(name.startsWith(prefix) && !HEADS.includes(name) ? name.slice(prefix.length) : name, e);
  const mapping = MAPPINGS[family];
  const used = new Set<string>();
  const find = (name: string, shape: readonly number[]): TensorEntry & { file: string } => {
    const t = byName.get(name);
    if (t === undefined) throw new HfError(`${folder.source}: tensor "${HEADS.includes(name) ? name : prefix + name}" is missing (model_type ${family}, ${config.n_layers} layers per config.json)`);
    if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) {
      throw new HfError(`${folder.source}: tensor "${name}" has shape [${t.shape.join(", ")}] but config.json implies [${shape.join(", ")}]`);
    }
    used.add(name);
    return t;
  };
  const model = new MiniGPT(config, { init: false });
  const params = model.stateDict();
  const steps = mapping.plan(config).map((recipe) => {
    const out = params.get(recipe.ours);
    if (out === undefined) throw new Error(`import: recipe for ${recipe.ours}, which the model does not have`);
    return { param: out, recipe, sources: recipe.from.map((f) => find(f.name, f.shape)) };
  });
  const filled = new Set(steps.map((s) => s.recipe.ours));
  const unfilled = [...params.keys()].filter((n) => !filled.has(n));
  if (unfilled.length > 0) throw new Error(`import: nothing fills ${unfilled.join(", ")}`);
  // A tied model's file may still carry the output head: it must be the embedding itself.
  const tiedHeads = config.tied_embeddings ? HEADS.filter((h) => byName.has(h) && !used.has(h)).map((h) => (used.add(h), byName.get(h)!)) : [];
  const extra = [...byName.keys()].filter((n) => !used.has(n) && !mapping.ignore.some((re) => re.test(n)));
  if (extra.length > 0) throw new HfError(`${folder.source}: unexpected tensor${extra.length > 1 ? "s" : ""} ${extra.slice(0, 5).map((n) => `"${n}"`).join(", ")}${extra.length > 5 ? " …" : ""} for model_type ${family} with this config.json`);
  const metadata: Record<string, string> = { source_family: family };
  if (folder.tokenizer !== undefined) metadata["tokenizer"] = folder.tokenizer;
  // where a sequence begins and ends (GPT-2: both <|endoftext|>; some configs list several ends), for sampling
  for (const key of ["bos_token_id", "eos_token_id"]) {
    const v = (json as Record<string, unknown>)[key], list = Array.isArray(v) ? v : [v];
    if (list.length > 0 && list.every((id) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < config.vocab_size)) metadata[key] = list.join(",");
  }
  return { family, model, steps, tiedHeads, metadata, bytes };
}

/**
 * Fill one parameter from its sources. A source read afresh for this parameter alone and landing
 * value for value (GPT-2's MLP and embedding: three quarters of its weights) becomes the
 * parameter's array instead of being copied: the model's own fresh pages would cost more than the
 * copy (~1.4 s for 0.5 GB of first touches on these machines), and the file's bytes are not held twice.
 */
function fillStep(step: ImportPlan["steps"][number], values: readonly Float32Array[], owned: boolean, uses: ReadonlyMap<string, number>): void {
  const [only] = values;
  // …and only an array that is its whole buffer: a view into a pool of small buffers (Node's allocUnsafe pool) is shared memory
  const whole = only !== undefined && only.byteOffset === 0 && only.byteLength === only.buffer.byteLength;
  if (owned && whole && step.recipe.same === true && values.length === 1 && uses.get(step.sources[0]!.name) === 1 && only.length === step.param.size) adoptData(step.param, only);
  else step.recipe.fill(values, step.param.data as Float32Array);
}

/** How many parameters each source fills (a fused one, as c_attn, fills three). */
function sourceUses(plan: ImportPlan): Map<string, number> {
  const uses = new Map<string, number>();
  for (const step of plan.steps) for (const e of step.sources) uses.set(e.name, (uses.get(e.name) ?? 0) + 1);
  return uses;
}

function checkTiedHead(plan: ImportPlan, head: TensorEntry, values: Float32Array, source: string): void {
  const e = plan.model.embed.W_E.data;
  let same = values.length === e.length;
  for (let i = 0; same && i < values.length; i++) same = values[i] === e[i]; // a counted loop: 38M values for GPT-2, no callback each
  if (!same) throw new HfError(`${source}: "${head.name}" differs from the token embedding although tie_word_embeddings is true`);
}

function checkFinite(model: MiniGPT, source: string): void {
  for (const [name, t] of model.namedParameters()) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new HfError(`${source}: weight ${name} holds ${t.data[bad]} at index ${bad}; weights must be finite`);
  }
}

/** Reads byte ranges of one file, synchronously (bytes in memory, or a file read in place). */
export interface RangeReader {
  readonly size: number;
  /** Bytes begin … end of the file, in a fresh array each call (the import keeps views on F32 ones until their weight is filled). */
  read(begin: number, end: number): Uint8Array;
}

/** A Hugging Face folder as our model: config mapped, every tensor converted and accounted for. */
export function importHf(folder: HfFolder): ImportedHf {
  const readers = new Map([...folder.weights].map(([name, w]): [string, RangeReader] => [name, w instanceof Uint8Array ? { size: w.length, read: (b, e) => w.subarray(b, e) } : w]));
  const headers = new Map<string, SafetensorsHeader>();
  for (const [name, r] of readers) {
    const source = `${folder.source}/${name}`;
    const len = headerLength(r.read(0, Math.min(8, r.size)), r.size, source);
    headers.set(name, parseSafetensorsHeader(r.read(8, 8 + len), r.size, source));
  }
  const plan = planImport(folder, headers), uses = sourceUses(plan);
  const read = (e: TensorEntry & { file: string }): Float32Array => widen(readers.get(e.file)!.read(e.begin, e.end), e.dtype, true); // a fresh read: viewed, not copied
  let lastName = "", lastData: Float32Array = new Float32Array(0); // a fused source (c_attn, query_key_value) serves three recipes in a row
  for (const step of plan.steps) {
    const values = step.sources.map((e) => {
      if (e.name !== lastName) [lastName, lastData] = [e.name, read(e)];
      return lastData;
    });
    // bytes in memory are the caller's (F32 read as views on them): copied; a reader's reads, and widened copies, are the import's own
    const bytes = folder.weights.get(step.sources[0]!.file);
    fillStep(step, values, !(bytes instanceof Uint8Array) || values[0]!.buffer !== bytes.buffer, uses);
  }
  for (const h of plan.tiedHeads) checkTiedHead(plan, h, read(h), folder.source);
  checkFinite(plan.model, folder.source);
  return { model: plan.model, family: plan.family, metadata: plan.metadata };
}

/** A file the page reads piece by piece (a File: size and slice). */
export interface AsyncRangeReader {
  readonly size: number;
  /** As RangeReader's: a fresh array each call. */
  read(begin: number, end: number): Promise<Uint8Array>;
}

/**
 * The same import reading each tensor's bytes only when its parameter is filled, so the file is
 * never held whole beside the model (the page: a 124M-parameter model, 500 MB, from disk), with
 * progress in bytes.
 */
export async function importHfAsync(
  folder: { config: string; tokenizer?: string; index?: string; source: string; weights: ReadonlyMap<string, AsyncRangeReader> },
  onProgress?: (done: number, total: number) => void,
): Promise<ImportedHf> {
  const headers = new Map<string, SafetensorsHeader>();
  for (const [name, r] of folder.weights) {
    const source = `${folder.source}/${name}`;
    const len = headerLength(await r.read(0, Math.min(8, r.size)), r.size, source);
    headers.set(name, parseSafetensorsHeader(await r.read(8, 8 + len), r.size, source));
  }
  const plan = planImport(folder, headers), uses = sourceUses(plan);
  const read = async (e: TensorEntry & { file: string }): Promise<Float32Array> => widen(await folder.weights.get(e.file)!.read(e.begin, e.end), e.dtype, true); // a fresh read: viewed, not copied
  let done = 0, lastName = "", lastData: Float32Array = new Float32Array(0);
  const counted = new Set<string>();
  onProgress?.(0, plan.bytes);
  for (const step of plan.steps) {
    const values: Float32Array[] = [];
    for (const e of step.sources) {
      if (e.name !== lastName) {
        [lastName, lastData] = [e.name, await read(e)];
        if (!counted.has(e.name)) {
          counted.add(e.name);
          done += e.end - e.begin;
          onProgress?.(done, plan.bytes);
        }
      }
      values.push(lastData);
    }
    fillStep(step, values, true, uses); // every read is fresh (AsyncRangeReader)
  }
  for (const h of plan.tiedHeads) checkTiedHead(plan, h, await read(h), folder.source);
  checkFinite(plan.model, folder.source);
  onProgress?.(plan.bytes, plan.bytes);
  return { model: plan.model, family: plan.family, metadata: plan.metadata };
}

// ---------------------------------------------------------------- export

export interface HfExportOptions {
  readonly family?: HfFamily;
  readonly dtype?: FloatDType;
  /** Split the weights into shards of at most this many bytes (with an index); default one file. */
  readonly shardBytes?: number;
  /** tokenizer.json to write beside the weights. */
  readonly tokenizer?: string;
}

/** A Hugging Face folder's files (name → contents) for a model. */
export function exportHf(model: MiniGPT, { family, dtype = "F32", shardBytes, tokenizer }: HfExportOptions = {}): { family: HfFamily; files: Map<string, Uint8Array | string> } {
  const c = model.config;
  const fam = family ?? chooseFamily(c);
  const config = { ...hfConfig(c, fam), torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[dtype] };
  const sd = model.stateDict();
  const ours = (name: string): Float32Array => {
    const t = sd.get(name);
    if (t === undefined) throw new HfError(`export: the model has no parameter ${name}`);
    return Float32Array.from(t.data);
  };
  const tensors = MAPPINGS[fam].write(c, ours);
  const files = new Map<string, Uint8Array | string>();
  files.set("config.json", JSON.stringify(config, null, 2) + "\n");
  if (tokenizer !== undefined) files.set("tokenizer.json", tokenizer);
  const meta = { format: "pt" };
  const width = dtype === "F32" ? 4 : 2;
  if (shardBytes === undefined) {
    files.set("model.safetensors", encodeSafetensors(tensors, meta, dtype));
    return { family: fam, files };
  }
  const shards: [string, Array2][][] = [[]];
  let size = 0;
  for (const entry of tensors) {
    const bytes = entry[1].data.length * width;
    if (size > 0 && size + bytes > shardBytes) {
      shards.push([]);
      size = 0;
    }
    shards.at(-1)!.push(entry);
    size += bytes;
  }
  const n = shards.length, pad = (k: number): string => String(k).padStart(5, "0");
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, k) => {
    const name = `model-${pad(k + 1)}-of-${pad(n)}.safetensors`;
    files.set(name, encodeSafetensors(shard, meta, dtype));
    for (const [t] of shard) weightMap[t] = name;
  });
  const total = tensors.reduce((s, [, t]) => s + t.data.length * width, 0);
  files.set("model.safetensors.index.json", JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2) + "\n");
  return { family: fam, files };
}
