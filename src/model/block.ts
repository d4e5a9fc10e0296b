// One transformer block: attention then MLP, each a side-trip off the residual stream.

import { LayerNorm, Module } from "../nn/index.js";
import { ops, type Tensor } from "../tensor/index.js";
import { Attention, type AttentionContext } from "./attention.js";
import type { ModelConfig } from "./config.js";
import { blockHook, hook, type BlockHookName } from "./hooks.js";
import { MLP } from "./mlp.js";

export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attn: Attention;
  readonly ln2: LayerNorm;
  readonly mlp: MLP;

  constructor(readonly config: ModelConfig, readonly layer: number, dtype: Module["dtype"]) {
    super(dtype);
    this.ln1 = this.child("ln1", new LayerNorm(config.d_model, config.ln_eps, dtype));
    this.attn = this.child("attn", new Attention(config, layer, dtype));
    this.ln2 = this.child("ln2", new LayerNorm(config.d_model, config.ln_eps, dtype));
    this.mlp = this.child("mlp", new MLP(config, layer, dtype));
  }

  /** resid_pre [B, T, d_model] → resid_post [B, T, d_model]. */
  forward(residPre: Tensor, ctx: AttentionContext): Tensor {
    const at = (name: BlockHookName, t: Tensor): Tensor => hook(ctx.hooks, blockHook(this.layer, name), t);
    const ln1 = (x: Tensor): Tensor => at("ln1.hook_normalized", this.ln1.forward(x));
    const ln2 = (x: Tensor): Tensor => at("ln2.hook_normalized", this.ln2.forward(x));
    const attn = (x: Tensor): Tensor => at("hook_attn_out", this.attn.forward(x, ctx));
    const mlp = (x: Tensor): Tensor => at("hook_mlp_out", this.mlp.forward(x, ctx.hooks));

    const h = at("hook_resid_pre", residPre);
    if (this.config.norm === "pre") {
      const residMid = at("hook_resid_mid", ops.add(h, attn(ln1(h))));
      return at("hook_resid_post", ops.add(residMid, mlp(ln2(residMid))));
    }
    // Post-LN (the original Transformer): normalise after each residual add.
    const residMid = at("hook_resid_mid", ln1(ops.add(h, attn(h))));
    return at("hook_resid_post", ln2(ops.add(residMid, mlp(residMid))));
  }
}
