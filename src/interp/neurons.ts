// An MLP's neurons at one position: how strongly each fired (its hook_post value), what it wrote
// into the residual stream (that value times its row of W_out — the MLP's output at the position is
// exactly the sum of the d_ff writes plus b_out), and which tokens its row pushes up and down
// directly (W_out[n]·W_U, or W_E[n]ᵀ tied: before the final norm, so a hint, as for the SAE's
// features). Neurons are ranked by the length of their write, which is what the stream receives.

import type { ActivationCache } from "../model/cache.js";
import type { MiniGPT } from "../model/minigpt.js";
import { noGrad, ops, Tensor } from "../tensor/index.js";
import { topK } from "./vectors.js";

export interface NeuronRead {
  readonly neuron: number;
  /** hook_post at the position: act(pre), or act(gate) ⊙ up for a gated MLP. */
  readonly activation: number;
  /** ‖activation · W_out[neuron]‖: how much it wrote into the stream. */
  readonly write: number;
  /** The tokens W_out[neuron] raises and lowers most, directly: (id, W_out[n]·u_id). */
  readonly up: readonly { readonly id: number; readonly value: number }[];
  readonly down: readonly { readonly id: number; readonly value: number }[];
}

export interface NeuronsAt {
  readonly layer: number;
  readonly position: number;
  readonly dFF: number;
  /** Neurons with a positive activation (GELU's are rarely exactly 0: its negative side is small, not off). */
  readonly positive: number;
  /** The strongest writers, longest write first. */
  readonly neurons: readonly NeuronRead[];
}

/** The blocks that have an MLP, in order (none in an attention-only model). */
export function blocksWithMlp(model: MiniGPT): number[] {
  return model.blocks.flatMap((b, l) => (b.mlp === null ? [] : [l]));
}

/** Block `layer`'s neurons at `position` of a cached forward: the `top` strongest writers, each with `tokens` tokens up and down. */
export function neuronsAt(model: MiniGPT, cache: ActivationCache, layer: number, position: number, { top = 10, tokens = 3 } = {}): NeuronsAt {
  const c = model.config, d = c.d_model, V = c.vocab_size;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < c.n_layers)) throw new Error(`block ${layer} does not exist: blocks run from 0 to ${c.n_layers - 1}`);
  const mlp = model.blocks[layer]!.mlp;
  if (mlp === null) throw new Error(`block ${layer} has no MLP (an attention-only model): it has no neurons`);
  const post = cache.get(`blocks.${layer}.mlp.hook_post`);
  const T = post.shape[1]!, F = c.d_ff;
  if (!(Number.isInteger(position) && position >= 0 && position < T)) throw new Error(`position ${position} is outside the input: positions run from 0 to ${T - 1}`);
  const acts = post.data.subarray(position * F, (position + 1) * F), W = mlp.W_out.data;
  const rowNorm = (n: number): number => {
    let s = 0;
    for (let j = 0; j < d; j++) s += W[n * d + j]! ** 2;
    return Math.sqrt(s);
  };
  const ranked = Array.from({ length: F }, (_, n) => ({ n, write: Math.abs(acts[n]!) * rowNorm(n) })).sort((a, b) => b.write - a.write).slice(0, top);
  // the ranked neurons' rows against the unembedding, as one product through the kernels (GPT-2's
  // 768 × 50,257 for ten rows: ~0.4 G multiply-adds, seconds as loops here)
  const rows = new Tensor(new Float32Array(ranked.length * d), [ranked.length, d]);
  ranked.forEach(({ n }, i) => rows.data.set(W.subarray(n * d, (n + 1) * d), i * d));
  const effects = noGrad(() => (model.unembed === null ? ops.matmul(rows, model.embed.W_E, false, true) : ops.matmul(rows, model.unembed.W_U))).data;
  const neurons = ranked.map(({ n, write }, i) => {
    const effect = effects.subarray(i * V, (i + 1) * V);
    const down = topK(effect.map((x) => -x), tokens).map(({ id }) => ({ id, value: effect[id]! }));
    return { neuron: n, activation: acts[n]!, write, up: topK(effect, tokens), down };
  });
  let positive = 0;
  for (let n = 0; n < F; n++) if (acts[n]! > 0) positive++;
  return { layer, position, dFF: F, positive, neurons };
}
