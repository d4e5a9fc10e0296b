// The KV cache: keys (after RoPE) and values of every position seen so far, per layer,
// so that decoding one more token computes q, k, v for that token only.

import { allocate, allocateOwned, Tensor, type DType } from "../tensor/index.js";
import { formatShape } from "../tensor/shape.js";
import { dHead, type ModelConfig } from "./config.js";
import { InputError } from "./tokens.js";

interface LayerBuffers {
  readonly k: Tensor["data"]; // [n_kv_heads, context_len, d_head]
  readonly v: Tensor["data"];
  /** Positions written in this layer (length, plus the step in progress). */
  filled: number;
}

export class KVCache {
  private readonly layers: LayerBuffers[];
  private readonly H: number;
  private readonly dh: number;
  private readonly capacity: number;
  /** How many positions the cache holds (the next token's position); only advance() moves it. */
  length = 0;

  constructor(readonly config: ModelConfig, dtype: DType = "f32") {
    this.H = config.n_kv_heads;
    this.dh = dHead(config);
    this.capacity = config.context_len;
    const size = this.H * this.capacity * this.dh;
    this.layers = Array.from({ length: config.n_layers }, () => ({ k: allocateOwned(dtype, size), v: allocateOwned(dtype, size), filled: 0 }));
  }

  /** Bytes held by the buffers (allocated for the whole context up front). */
  get bytes(): number {
    return this.layers.reduce((s, l) => s + l.k.byteLength + l.v.byteLength, 0);
  }

  /** Refuse a step that would run past the context before any work is done. */
  checkRoom(n: number): void {
    if (this.length + n > this.capacity) {
      throw new InputError(`the KV cache holds ${this.length} tokens; ${n} more would exceed context_len ${this.capacity}`);
    }
  }

  /**
   * Store this step's keys and values [1, n_kv_heads, n, d_head] at positions length … length+n−1
   * of `layer`, and return all keys and values so far [1, n_kv_heads, length+n, d_head].
   */
  append(layer: number, k: Tensor, v: Tensor): { k: Tensor; v: Tensor } {
    const [B, H, n, dh] = k.shape as [number, number, number, number];
    if (B !== 1 || H !== this.H || dh !== this.dh) throw new Error(`KV cache: expected keys [1, ${this.H}, n, ${this.dh}], got ${formatShape(k.shape)}`);
    const buf = this.layers[layer]!;
    if (buf.filled !== this.length) throw new Error(`KV cache: layer ${layer} already holds this step's rows; call advance() between steps`);
    const total = this.length + n;
    buf.filled = total;
    const outK = allocate(k.dtype, H * total * dh);
    const outV = allocate(v.dtype, H * total * dh);
    for (let h = 0; h < H; h++) {
      const base = h * this.capacity * dh;
      buf.k.set(k.data.subarray(h * n * dh, (h + 1) * n * dh), base + this.length * dh);
      buf.v.set(v.data.subarray(h * n * dh, (h + 1) * n * dh), base + this.length * dh);
      outK.set(buf.k.subarray(base, base + total * dh), h * total * dh);
      outV.set(buf.v.subarray(base, base + total * dh), h * total * dh);
    }
    return { k: new Tensor(outK, [1, H, total, dh]), v: new Tensor(outV, [1, H, total, dh]) };
  }

  /** End a step: every layer has appended the same n new positions; they now count. */
  advance(n: number): void {
    const behind = this.layers.findIndex((l) => l.filled !== this.length + n);
    if (behind >= 0) throw new Error(`KV cache: layer ${behind} holds ${this.layers[behind]!.filled} positions, not ${this.length + n}; every layer appends each step`);
    this.length += n;
  }

  /** Forget everything (reuse the buffers for a new sequence). */
  reset(): void {
    this.length = 0;
    for (const l of this.layers) l.filled = 0;
  }
}
