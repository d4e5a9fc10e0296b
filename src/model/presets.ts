// Named configurations: the locked Mini-GPT, GPT-2 small's shape, and the toy of lab 00.

import { parseConfig, type ModelConfig } from "./config.js";

/** The locked course configuration: 103,680 parameters. Mirrors config.yaml. */
export const LOCKED: ModelConfig = parseConfig(
  {
    d_model: 64, n_heads: 4, n_layers: 2, d_ff: 256, vocab_size: 64, context_len: 32,
    positional: "rope", rope_base: 10000, norm: "pre", activation: "gelu",
    attn_bias: false, mlp_bias: true, ln_eps: 1e-5, tied_embeddings: true, init_std: 0.02, seed: 0,
  },
  null,
  "locked preset",
);

/** GPT-2 small's shape: 124,439,808 parameters. */
export const GPT2_SMALL: ModelConfig = parseConfig(
  {
    d_model: 768, n_heads: 12, n_layers: 12, d_ff: 3072, vocab_size: 50257, context_len: 1024,
    positional: "learned", attn_bias: true, activation: "gelu_tanh",
  },
  LOCKED,
  "gpt2-small preset",
);

/** Lab 00's block by hand: one block, d_model 4, two heads of 2, two tokens. */
export const TOY: ModelConfig = parseConfig(
  { d_model: 4, n_heads: 2, n_layers: 1, d_ff: 8, vocab_size: 8, context_len: 2 },
  LOCKED,
  "toy preset",
);

export const PRESETS: Readonly<Record<string, ModelConfig>> = { locked: LOCKED, "gpt2-small": GPT2_SMALL, toy: TOY };
