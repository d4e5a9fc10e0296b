// Random valid configurations that exercise every option of SPEC §1.

import { parseConfig, type ModelConfig } from "../src/model/config.js";
import { LOCKED } from "../src/model/presets.js";
import { Rng } from "../src/tensor/index.js";

export function randomConfig(rng: Rng): ModelConfig {
  const pickOne = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const positional = pickOne(["rope", "learned", "sinusoidal", "none"] as const);
  const dHead = positional === "rope" ? pickOne([2, 4, 6]) : pickOne([1, 2, 3, 4, 5]);
  const nHeads = 1 + rng.int(3);
  return parseConfig(
    {
      d_model: dHead * nHeads,
      n_heads: nHeads,
      n_layers: rng.int(4),
      d_ff: 1 + rng.int(20),
      vocab_size: 2 + rng.int(20),
      context_len: 1 + rng.int(10),
      positional,
      rope_base: pickOne([10000, 100, 7.5]),
      norm: pickOne(["pre", "post"] as const),
      activation: pickOne(["gelu", "gelu_tanh"] as const),
      attn_bias: rng.uniform() < 0.5,
      mlp_bias: rng.uniform() < 0.5,
      ln_eps: pickOne([1e-5, 1e-3, 0.1]),
      tied_embeddings: rng.uniform() < 0.5,
      init_std: pickOne([0.02, 0.3, 0.8]),
      seed: rng.int(1000),
    },
    LOCKED,
    "random config",
  );
}

/** Random token ids valid for the config, of random length up to context_len. */
export function randomIds(c: ModelConfig, rng: Rng, length = 1 + rng.int(c.context_len)): number[] {
  return Array.from({ length }, () => rng.int(c.vocab_size));
}
