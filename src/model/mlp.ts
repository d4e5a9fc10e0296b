// The position-wise feed-forward network: GELU(x·W_in + b_in)·W_out + b_out.

import { Module } from "../nn/index.js";
import { F, ops, type Tensor } from "../tensor/index.js";
import type { ModelConfig } from "./config.js";
import { blockHook, hook, type Hooks } from "./hooks.js";

export class MLP extends Module {
  readonly W_in: Tensor; // [d_model, d_ff]
  readonly b_in: Tensor | null = null; // [d_ff]
  readonly W_out: Tensor; // [d_ff, d_model]
  readonly b_out: Tensor | null = null; // [d_model]

  constructor(readonly config: ModelConfig, readonly layer: number, dtype: Module["dtype"]) {
    super(dtype);
    const { d_model: d, d_ff: f } = config;
    this.W_in = this.param("W_in", [d, f]);
    if (config.mlp_bias) this.b_in = this.param("b_in", [f]);
    this.W_out = this.param("W_out", [f, d]);
    if (config.mlp_bias) this.b_out = this.param("b_out", [d]);
  }

  /** x [B, T, d_model] → [B, T, d_model]. */
  forward(x: Tensor, hooks: Hooks | null): Tensor {
    const h0 = ops.matmul(x, this.W_in);
    const pre = hook(hooks, blockHook(this.layer, "mlp.hook_pre"), this.b_in === null ? h0 : ops.add(h0, this.b_in));
    const act = this.config.activation === "gelu" ? F.gelu(pre) : F.geluTanh(pre);
    const post = hook(hooks, blockHook(this.layer, "mlp.hook_post"), act);
    const out = ops.matmul(post, this.W_out);
    return this.b_out === null ? out : ops.add(out, this.b_out);
  }
}
