// MiniGPT: embed → n_layers blocks → final norm → tied LM head (architecture.ts: the variations).
// Every activation passes a named hook point (hooks.ts), so the cache and
// interventions need no second forward implementation.

import { makeNorm, Module, type Norm } from "../nn/index.js";
import { allocate, kernels, noGrad, ops, Tensor, type DType } from "../tensor/index.js";
import { describeModel, type ModelSpec } from "./architecture.js";
import { TransformerBlock } from "./block.js";
import { ActivationCache } from "./cache.js";
import { parseConfig, type ModelConfig } from "./config.js";
import { Embed, PosEmbed, Unembed } from "./embed.js";
import { hook, Hooks, type HookName } from "./hooks.js";
import { initParameters } from "./init.js";
import type { KVCache } from "./kv-cache.js";
import { ropeTables, sinusoidalTable } from "./positional.js";
import { InputError, toTokenBatch, type Tokens } from "./tokens.js";

export interface ForwardOptions {
  /** Causal mask on (decoder, the default) or off (encoder mode). */
  readonly causal?: boolean;
  readonly hooks?: Hooks | null;
  /**
   * Incremental decoding (batch 1): the tokens continue the cached sequence, sit at
   * positions cache.length …, and are appended to the cache.
   */
  readonly kvCache?: KVCache | null;
  /**
   * Block budget: run only the first k blocks and replace the rest by the identity
   * (k = 0 is the bigram floor, k = n_layers the full model).
   */
  readonly blocks?: number;
}

export class MiniGPT extends Module {
  readonly embed: Embed;
  readonly pos_embed: PosEmbed | null = null;
  readonly blocks: TransformerBlock[];
  readonly ln_final: Norm | null = null;
  readonly unembed: Unembed | null = null;
  /** The architecture this model instantiates (one description; architecture.ts). */
  readonly spec: ModelSpec;
  private readonly rope: { cos: Tensor; sin: Tensor } | null = null; // [context_len, rotary_dim]
  private readonly sinusoid: Tensor | null = null; // [context_len, d_model]

  /**
   * A model with freshly initialised weights (seeded by config.seed unless `seed` is given).
   * `init: false` leaves every parameter zero, for counting or for loading a checkpoint.
   */
  readonly config: ModelConfig;

  constructor(config: ModelConfig, { dtype = "f32", seed, init = true }: { dtype?: DType; seed?: number; init?: boolean } = {}) {
    super(dtype);
    // Checked again here: a config built by spreading another ({ ...LOCKED, n_heads: 2 }) keeps
    // keys that no longer fit (n_kv_heads, rotary_dim); parseConfig says which.
    const c = (this.config = parseConfig(config, null, "model config"));
    const spec = (this.spec = describeModel(c));
    this.embed = this.child("embed", new Embed(c.vocab_size, c.d_model, dtype));
    if (c.positional === "learned") this.pos_embed = this.child("pos_embed", new PosEmbed(c.context_len, c.d_model, dtype));
    this.blocks = Array.from({ length: c.n_layers }, (_, l) => this.child(`blocks.${l}`, new TransformerBlock(spec.block, l, dtype)));
    if (spec.ln_final !== null) this.ln_final = this.child("ln_final", makeNorm(spec.ln_final, dtype));
    if (!c.tied_embeddings) this.unembed = this.child("unembed", new Unembed(c.d_model, c.vocab_size, dtype));
    if (spec.block.attn.rotary_dim > 0) this.rope = ropeTables(c.context_len, spec.block.attn.rotary_dim, c.rope_base, dtype);
    if (c.positional === "sinusoidal") this.sinusoid = sinusoidalTable(c.context_len, c.d_model, dtype);
    if (init) initParameters(this, seed ?? c.seed);
  }

  /** Logits [B, T, vocab_size] for a sequence (B = 1) or a batch of equal-length sequences. */
  forward(tokens: Tokens, { causal = true, hooks = null, kvCache = null, blocks = this.config.n_layers }: ForwardOptions = {}): Tensor {
    const c = this.config;
    if (!Number.isInteger(blocks) || blocks < 0 || blocks > c.n_layers) throw new InputError(`block budget ${blocks} must be a whole number from 0 to n_layers = ${c.n_layers}`);
    const { ids, batch: B, seq: T } = toTokenBatch(tokens, c);
    const offset = kvCache?.length ?? 0;
    if (kvCache !== null) {
      if (B !== 1) throw new Error(`the KV cache decodes one sequence at a time, got a batch of ${B}`);
      kvCache.checkRoom(T);
    }

    let h = hook(hooks, "hook_embed", this.embed.forward(ids, B, T));
    const pos = this.positionRows(offset, T);
    if (pos !== null) h = ops.add(h, hook(hooks, "hook_pos_embed", ops.expand(pos, [B, T, c.d_model])));

    const rows = (table: Tensor): Tensor => ops.slice(table, 0, offset, offset + T);
    const rope = this.rope === null ? null : { cos: rows(this.rope.cos), sin: rows(this.rope.sin) };
    for (const block of this.blocks.slice(0, blocks)) h = block.forward(h, { rope, causal, hooks, kvCache });
    if (kvCache !== null) kvCache.advance(T);

    return this.readout(h, hooks);
  }

  /**
   * Promise the kernels that this model's weights will not change until the returned release is
   * called: the WebAssembly backend then keeps them packed from one forward to the next (packing
   * is a third of a GPT-2-shaped forward). For whatever only reads a model: the CLI's analysis
   * commands, the explorer's analysis worker.
   */
  pinWeights(): () => void {
    return kernels().pin?.(this.parameters().map((p) => p.data)) ?? ((): void => {});
  }

  /** Logits [..., vocab_size] of stream vectors [..., d_model]: the final norm (if any), then the unembedding — the forward's last step. */
  readout(h: Tensor, hooks: Hooks | null = null): Tensor {
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

  /**
   * The forward pass with every hook point cached, and the gradient of `metric` (a scalar computed
   * from the logits) with respect to every cached activation. Each hook adds a leaf of zeros δ to
   * its activation, so ∂metric/∂δ = ∂metric/∂activation and one backward pass fills them all
   * (the substrate of attribution patching). Parameters' gradients are left as they were.
   */
  runWithGradCache(tokens: Tokens, metric: (logits: Tensor) => Tensor, options: Omit<ForwardOptions, "hooks" | "kvCache"> = {}): { logits: Tensor; metric: number; cache: ActivationCache; grads: ActivationCache } {
    const store = new Map<HookName, Tensor>(), deltas = new Map<HookName, Tensor>();
    const hooks = new Hooks().add("*", (t, name) => {
      const delta = new Tensor(allocate(t.dtype, t.size), t.shape, null, true);
      store.set(name, t.detach());
      deltas.set(name, delta);
      return ops.add(t, delta);
    });
    const saved = this.parameters().map((p) => p.grad);
    const logits = this.forward(tokens, { ...options, hooks });
    const value = metric(logits);
    if (value.size !== 1) throw new InputError(`runWithGradCache: the metric must be a scalar, got shape [${value.shape.join(", ")}]`);
    value.backward();
    this.parameters().forEach((p, i) => (p.grad = saved[i]!));
    const grads = new Map<HookName, Tensor>();
    for (const [name, d] of deltas) grads.set(name, d.grad ?? new Tensor(allocate(d.dtype, d.size), d.shape));
    return { logits: logits.detach(), metric: value.item(), cache: new ActivationCache(this.config, store), grads: new ActivationCache(this.config, grads) };
  }

  /** The forward pass with the caller's hooks attached (read or replace activations; no gradients). */
  runWithHooks(tokens: Tokens, hooks: Hooks, options: Omit<ForwardOptions, "hooks"> = {}): Tensor {
    return noGrad(() => this.forward(tokens, { ...options, hooks }));
  }

  /** Positional rows added to the stream for positions offset … offset+T−1 ([1, T, d] or null). */
  private positionRows(offset: number, T: number): Tensor | null {
    if (this.pos_embed !== null) return this.pos_embed.forward(T, offset);
    if (this.sinusoid !== null) return ops.reshape(ops.slice(this.sinusoid, 0, offset, offset + T), [1, T, this.config.d_model]);
    return null;
  }
}
