// A compiled inference session: the forward pass of one sequence with every weight packed
// once into WebAssembly memory and every activation preallocated there — no tensor objects,
// no graph, no hooks. It is a snapshot: later changes to the model's weights are not seen.
// The tensor forward (MiniGPT.forward) is its tested reference.

import { erfFast as erf } from "../tensor/erf.js";
import { jsKernels } from "../tensor/kernels-js.js";
import { instantiateGemm, type WasmGemm } from "../tensor/kernels-wasm.js";
import { dHead, type ModelConfig } from "./config.js";
import type { MiniGPT } from "./minigpt.js";
import { ropeTables, sinusoidalTable } from "./positional.js";
import { toTokenBatch } from "./tokens.js";

const pad16 = (n: number): number => Math.ceil(n / 16) * 16;

interface Packed { at: number; k: number; n: number; n16: number }
interface LayerWeights {
  qkv: Packed; o: Packed; in: Packed; out: Packed;
  bqkv: Float32Array | null; bo: Float32Array | null; bin: Float32Array | null; bout: Float32Array | null;
  ln1w: Float32Array; ln1b: Float32Array; ln2w: Float32Array; ln2b: Float32Array;
}

export class InferenceSession {
  readonly config: ModelConfig;
  private readonly wasm: WasmGemm;
  private heap!: Float32Array;
  private top = 0; // floats allocated so far
  private readonly layers: LayerWeights[] = [];
  private readonly unembed: Packed;
  private readonly WE: Float32Array;
  private readonly pos: Float32Array | null; // learned or sinusoidal rows [T, d]
  private readonly rope: { cos: Float32Array; sin: Float32Array } | null;
  private readonly lnf: { w: Float32Array; b: Float32Array } | null;
  private readonly lnXhat: Float32Array; // scratch for the LayerNorm kernel
  private readonly lnRstd: Float32Array;
  private readonly buf: { h: number; xn: number; qkv: number; z: number; attn: number; pre: number; post: number; mlp: number; logits: number };

  constructor(model: MiniGPT) {
    const c = (this.config = model.config);
    const d = c.d_model, H = c.n_heads, dh = dHead(c), D = H * dh, F = c.d_ff, V = c.vocab_size, T = c.context_len;
    this.wasm = instantiateGemm();
    const sd = model.stateDict();
    const get = (name: string): Float32Array => Float32Array.from(sd.get(name)!.data);
    const maybe = (name: string): Float32Array | null => (sd.has(name) ? get(name) : null);

    // Reserve everything up front so the memory never grows during a forward pass.
    const packedSize = c.n_layers * (d * pad16(3 * D) + D * pad16(d) + d * pad16(F) + F * pad16(d)) + d * pad16(V);
    const work = T * (d + d + pad16(3 * D) + D + pad16(d) + pad16(F) + F + pad16(d) + pad16(V));
    const staging = Math.max(d * 3 * D, F * d, d * V);
    this.grow(packedSize + work + staging);

    const pack = (data: Float32Array, k: number, n: number, trans: boolean): Packed => {
      const n16 = pad16(n), at = this.alloc(k * n16);
      const stage = packedSize + work; // scratch after the work area
      this.heap.set(data, stage);
      this.wasm.packB(stage * 4, at * 4, k, n, n16, trans ? 1 : 0);
      return { at, k, n, n16 };
    };
    for (let l = 0; l < c.n_layers; l++) {
      const p = `blocks.${l}.`;
      const [WQ, WK, WV] = ["W_Q", "W_K", "W_V"].map((w) => get(`${p}attn.${w}`));
      const qkv = new Float32Array(d * 3 * D); // [d, 3D]: Q heads, then K heads, then V heads
      [WQ!, WK!, WV!].forEach((W, which) => {
        for (let h = 0; h < H; h++) for (let i = 0; i < d; i++) for (let e = 0; e < dh; e++) qkv[i * 3 * D + which * D + h * dh + e] = W[(h * d + i) * dh + e]!;
      });
      const bq = maybe(`${p}attn.b_Q`);
      let bqkv: Float32Array | null = null;
      if (bq !== null) {
        bqkv = new Float32Array(3 * D);
        bqkv.set(bq, 0);
        bqkv.set(get(`${p}attn.b_K`), D);
        bqkv.set(get(`${p}attn.b_V`), 2 * D);
      }
      this.layers.push({
        qkv: pack(qkv, d, 3 * D, false),
        o: pack(get(`${p}attn.W_O`), D, d, false),
        in: pack(get(`${p}mlp.W_in`), d, F, false),
        out: pack(get(`${p}mlp.W_out`), F, d, false),
        bqkv, bo: maybe(`${p}attn.b_O`), bin: maybe(`${p}mlp.b_in`), bout: maybe(`${p}mlp.b_out`),
        ln1w: get(`${p}ln1.w`), ln1b: get(`${p}ln1.b`), ln2w: get(`${p}ln2.w`), ln2b: get(`${p}ln2.b`),
      });
    }
    this.WE = get("embed.W_E");
    this.unembed = c.tied_embeddings ? pack(this.WE, d, V, true) : pack(get("unembed.W_U"), d, V, false);
    this.pos = c.positional === "learned" ? get("pos_embed.W_pos") : c.positional === "sinusoidal" ? Float32Array.from(sinusoidalTable(T, d, "f32").data) : null;
    if (c.positional === "rope") {
      const { cos, sin } = ropeTables(T, dh, c.rope_base, "f32");
      this.rope = { cos: Float32Array.from(cos.data), sin: Float32Array.from(sin.data) };
    } else this.rope = null;
    this.lnf = c.norm === "pre" ? { w: get("ln_final.w"), b: get("ln_final.b") } : null;
    this.lnXhat = new Float32Array(T * d);
    this.lnRstd = new Float32Array(T);
    this.buf = {
      h: this.alloc(T * d), xn: this.alloc(T * d), qkv: this.alloc(T * pad16(3 * D)), z: this.alloc(T * D), attn: this.alloc(T * pad16(d)),
      pre: this.alloc(T * pad16(F)), post: this.alloc(T * F), mlp: this.alloc(T * pad16(d)), logits: this.alloc(T * pad16(V)),
    };
  }

  private grow(floats: number): void {
    const bytes = floats * 4, have = this.wasm.memory.buffer.byteLength;
    if (bytes > have) this.wasm.memory.grow(Math.ceil((bytes - have) / 65536));
    this.heap = new Float32Array(this.wasm.memory.buffer);
  }

  private alloc(floats: number): number {
    const at = this.top;
    this.top += floats;
    return at;
  }

  private matmul(a: number, w: Packed, c: number, m: number): void {
    this.wasm.gemm(a * 4, w.at * 4, c * 4, m, w.k, w.n16);
  }

  /** LayerNorm of T dense rows at `src` into `dst` (the two may be the same), by the shared kernel. */
  private layerNorm(src: number, dst: number, T: number, w: Float32Array, b: Float32Array): void {
    const n = T * this.config.d_model;
    jsKernels.layerNorm(this.heap.subarray(src, src + n), w, b, this.config.ln_eps, this.config.d_model, this.heap.subarray(dst, dst + n), this.lnXhat, this.lnRstd);
  }

  /** Logits [T · vocab_size] for one sequence (causal). */
  forward(ids: readonly number[]): Float32Array {
    const c = this.config, Hp = this.heap;
    const { h: hAt, xn: xnAt, qkv: qkvAt, z: zAt, attn: attnAt, pre: preAt, post: postAt, mlp: mlpAt } = this.buf;
    const { seq: T } = toTokenBatch(ids, c);
    const d = c.d_model, H = c.n_heads, dh = dHead(c), D = H * dh, F = c.d_ff;
    const q3 = pad16(3 * D), dP = pad16(d), fP = pad16(F), half = dh / 2;
    const WE = this.WE, pos = this.pos, cos = this.rope?.cos, sin = this.rope?.sin;
    for (let t = 0; t < T; t++) {
      const id = ids[t]!;
      for (let i = 0; i < d; i++) Hp[hAt + t * d + i] = WE[id * d + i]! + (pos === null ? 0 : pos[t * d + i]!);
    }
    const scores = new Float64Array(T);
    const scale = 1 / Math.sqrt(dh);
    const exact = c.activation === "gelu";
    for (const L of this.layers) {
      // Attention: xn = LN₁(h) (Pre-LN) or h (Post-LN); q, k, v for every head in one product.
      if (c.norm === "pre") this.layerNorm(hAt, xnAt, T, L.ln1w, L.ln1b);
      else Hp.copyWithin(xnAt, hAt, hAt + T * d);
      this.matmul(xnAt, L.qkv, qkvAt, T);
      const bqkv = L.bqkv;
      for (let t = 0; t < T; t++) {
        const row = qkvAt + t * q3;
        if (bqkv !== null) for (let j = 0; j < 3 * D; j++) Hp[row + j] = Hp[row + j]! + bqkv[j]!;
        if (cos !== undefined && sin !== undefined) {
          for (let at = row; at < row + 2 * D; at += dh) {
            for (let i = 0; i < half; i++) {
              const cs = cos[t * dh + i]!, sn = sin[t * dh + i]!;
              const x1 = Hp[at + i]!, x2 = Hp[at + i + half]!;
              Hp[at + i] = x1 * cs - x2 * sn;
              Hp[at + i + half] = x2 * cs + x1 * sn;
            }
          }
        }
      }
      for (let h = 0; h < H; h++) {
        const qOff = qkvAt + h * dh, kOff = qkvAt + D + h * dh, vOff = qkvAt + 2 * D + h * dh;
        for (let i = 0; i < T; i++) {
          const qi = qOff + i * q3;
          let m = -Infinity;
          for (let j = 0; j <= i; j++) {
            const kj = kOff + j * q3;
            let s = 0;
            for (let e = 0; e < dh; e++) s += Hp[qi + e]! * Hp[kj + e]!;
            s *= scale;
            scores[j] = s;
            if (s > m) m = s;
          }
          let z = 0;
          for (let j = 0; j <= i; j++) {
            const e = Math.exp(scores[j]! - m);
            scores[j] = e;
            z += e;
          }
          const zi = zAt + i * D + h * dh;
          for (let e = 0; e < dh; e++) Hp[zi + e] = 0;
          for (let j = 0; j <= i; j++) {
            const p = scores[j]! / z, vj = vOff + j * q3;
            for (let e = 0; e < dh; e++) Hp[zi + e] = Hp[zi + e]! + p * Hp[vj + e]!;
          }
        }
      }
      this.matmul(zAt, L.o, attnAt, T);
      const bo = L.bo;
      for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) Hp[hAt + t * d + i] = Hp[hAt + t * d + i]! + Hp[attnAt + t * dP + i]! + (bo === null ? 0 : bo[i]!);
      if (c.norm === "post") this.layerNorm(hAt, hAt, T, L.ln1w, L.ln1b);
      // MLP.
      if (c.norm === "pre") this.layerNorm(hAt, xnAt, T, L.ln2w, L.ln2b);
      else Hp.copyWithin(xnAt, hAt, hAt + T * d);
      this.matmul(xnAt, L.in, preAt, T);
      const bin = L.bin;
      for (let t = 0; t < T; t++) for (let f = 0; f < F; f++) {
        const x = Hp[preAt + t * fP + f]! + (bin === null ? 0 : bin[f]!);
        Hp[postAt + t * F + f] = exact ? 0.5 * x * (1 + erf(x * Math.SQRT1_2)) : 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
      }
      this.matmul(postAt, L.out, mlpAt, T);
      const bout = L.bout;
      for (let t = 0; t < T; t++) for (let i = 0; i < d; i++) Hp[hAt + t * d + i] = Hp[hAt + t * d + i]! + Hp[mlpAt + t * dP + i]! + (bout === null ? 0 : bout[i]!);
      if (c.norm === "post") this.layerNorm(hAt, hAt, T, L.ln2w, L.ln2b);
    }
    const b = this.buf, V = c.vocab_size;
    if (this.lnf !== null) this.layerNorm(b.h, b.xn, T, this.lnf.w, this.lnf.b);
    else Hp.copyWithin(b.xn, b.h, b.h + T * d);
    this.matmul(b.xn, this.unembed, b.logits, T);
    const out = new Float32Array(T * V);
    const vP = pad16(V);
    for (let t = 0; t < T; t++) out.set(Hp.subarray(b.logits + t * vP, b.logits + t * vP + V), t * V);
    return out;
  }
}
