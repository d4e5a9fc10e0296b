// MiniGPT: embed → n_layers blocks → final LayerNorm → tied LM head.
// Every activation passes a named hook point (hooks.ts), so the cache and
// interventions need no second forward implementation.

import { LayerNorm, Module } from "../nn/index.js";
import { noGrad, ops, type DType, type Tensor } from "../tensor/index.js";
import { TransformerBlock } from "./block.js";
import { ActivationCache } from "./cache.js";
import { dHead, type ModelConfig } from "./config.js";
import { Embed, PosEmbed, Unembed } from "./embed.js";
import { hook, Hooks, type HookName } from "./hooks.js";
import { initParameters } from "./init.js";
import { ropeTables, sinusoidalTable } from "./positional.js";
import { toTokenBatch, type Tokens } from "./tokens.js";

export interface ForwardOptions {
  /** Causal mask on (decoder, the default) or off (encoder mode). */
  readonly causal?: boolean;
  readonly hooks?: Hooks | null;
}

export class MiniGPT extends Module {
  readonly embed: Embed;
  readonly pos_embed: PosEmbed | null = null;
  readonly blocks: TransformerBlock[];
  readonly ln_final: LayerNorm | null = null;
  readonly unembed: Unembed | null = null;
  private readonly rope: { cos: Tensor; sin: Tensor } | null = null; // [context_len, d_head]
  private readonly sinusoid: Tensor | null = null; // [context_len, d_model]

  /**
   * A model with freshly initialised weights (seeded by config.seed unless `seed` is given).
   * `init: false` leaves every parameter zero, for counting or for loading a checkpoint.
   */
  constructor(readonly config: ModelConfig, { dtype = "f32", seed, init = true }: { dtype?: DType; seed?: number; init?: boolean } = {}) {
    super(dtype);
    const c = config;
    this.embed = this.child("embed", new Embed(c.vocab_size, c.d_model, dtype));
    if (c.positional === "learned") this.pos_embed = this.child("pos_embed", new PosEmbed(c.context_len, c.d_model, dtype));
    this.blocks = Array.from({ length: c.n_layers }, (_, l) => this.child(`blocks.${l}`, new TransformerBlock(c, l, dtype)));
    if (c.norm === "pre") this.ln_final = this.child("ln_final", new LayerNorm(c.d_model, c.ln_eps, dtype));
    if (!c.tied_embeddings) this.unembed = this.child("unembed", new Unembed(c.d_model, c.vocab_size, dtype));
    if (c.positional === "rope") this.rope = ropeTables(c.context_len, dHead(c), c.rope_base, dtype);
    if (c.positional === "sinusoidal") this.sinusoid = sinusoidalTable(c.context_len, c.d_model, dtype);
    if (init) initParameters(this, seed ?? c.seed);
  }

  /** Logits [B, T, vocab_size] for a sequence (B = 1) or a batch of equal-length sequences. */
  forward(tokens: Tokens, { causal = true, hooks = null }: ForwardOptions = {}): Tensor {
    const c = this.config;
    const { ids, batch: B, seq: T } = toTokenBatch(tokens, c);

    let h = hook(hooks, "hook_embed", this.embed.forward(ids, B, T));
    const pos = this.positionRows(T);
    if (pos !== null) h = ops.add(h, hook(hooks, "hook_pos_embed", ops.expand(pos, [B, T, c.d_model])));

    const rope = this.rope === null ? null : { cos: ops.slice(this.rope.cos, 0, 0, T), sin: ops.slice(this.rope.sin, 0, 0, T) };
    for (const block of this.blocks) h = block.forward(h, { rope, causal, hooks });

    if (this.ln_final !== null) h = hook(hooks, "ln_final.hook_normalized", this.ln_final.forward(h));
    const logits = this.unembed === null ? ops.matmul(h, this.embed.W_E, false, true) : ops.matmul(h, this.unembed.W_U);
    return hook(hooks, "hook_logits", logits);
  }

  /** The forward pass with every hook point recorded (no gradients). */
  runWithCache(tokens: Tokens, options: Omit<ForwardOptions, "hooks"> = {}): { logits: Tensor; cache: ActivationCache } {
    const store = new Map<HookName, Tensor>();
    const hooks = new Hooks().add("*", (t, name) => void store.set(name, t));
    const logits = noGrad(() => this.forward(tokens, { ...options, hooks }));
    return { logits, cache: new ActivationCache(this.config, store) };
  }

  /** The forward pass with the caller's hooks attached (read or replace activations; no gradients). */
  runWithHooks(tokens: Tokens, hooks: Hooks, options: Omit<ForwardOptions, "hooks"> = {}): Tensor {
    return noGrad(() => this.forward(tokens, { ...options, hooks }));
  }

  /** Positional rows added to the stream for positions 0..T−1 ([1, T, d] or null). */
  private positionRows(T: number): Tensor | null {
    if (this.pos_embed !== null) return this.pos_embed.forward(T);
    if (this.sinusoid !== null) return ops.reshape(ops.slice(this.sinusoid, 0, 0, T), [1, T, this.config.d_model]);
    return null;
  }
}
