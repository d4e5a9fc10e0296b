// Token embedding, learned positions and the untied unembedding: the stream's entry and exit.

import { Module } from "../nn/index.js";
import { ops, type Tensor } from "../tensor/index.js";

export class Embed extends Module {
  readonly W_E: Tensor; // [vocab_size, d_model]
  constructor(vocabSize: number, dModel: number, dtype: Module["dtype"]) {
    super(dtype);
    this.W_E = this.param("W_E", [vocabSize, dModel]);
  }
  /** ids [B·T] → [B, T, d_model]. */
  forward(ids: Int32Array, B: number, T: number): Tensor {
    return ops.gather(this.W_E, ids, [B, T]);
  }
}

export class PosEmbed extends Module {
  readonly W_pos: Tensor; // [context_len, d_model]
  constructor(contextLen: number, dModel: number, dtype: Module["dtype"]) {
    super(dtype);
    this.W_pos = this.param("W_pos", [contextLen, dModel]);
  }
  /** → [1, T, d_model] for positions offset … offset+T−1. */
  forward(T: number, offset = 0): Tensor {
    const rows = this.W_pos.shape[1]!;
    return ops.reshape(ops.slice(this.W_pos, 0, offset, offset + T), [1, T, rows]);
  }
}

export class Unembed extends Module {
  readonly W_U: Tensor; // [d_model, vocab_size]
  constructor(dModel: number, vocabSize: number, dtype: Module["dtype"]) {
    super(dtype);
    this.W_U = this.param("W_U", [dModel, vocabSize]);
  }
}
