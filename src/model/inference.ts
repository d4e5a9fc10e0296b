// A compiled inference session: the forward pass with every weight packed once into one flat
// memory and every activation preallocated there — no tensor objects, no graph, no hooks, a
// handful of fused operations per block through the runtime seam (runtime/runtime.ts: the
// WebAssembly SIMD kernels, or their plain-TypeScript reference). Each layer keeps the q, k, v
// rows of every position it has seen, so `append` continues a sequence at the cost of the new
// positions only (a KV cache). It is a snapshot: later changes to the model's weights are not
// seen. The tensor forward (MiniGPT.forward) is its tested reference.

import { createRuntime, pad16, type Packed, type Runtime, type RuntimeActivation, type SpawnHelper } from "../runtime/index.js";
import type { ModelSpec } from "./architecture.js";
import type { ModelConfig } from "./config.js";
import type { MiniGPT } from "./minigpt.js";
import { ropeTables, sinusoidalTable } from "./positional.js";
import { checkTokenIds, InputError, toTokenBatch } from "./tokens.js";

/**
 * Float offsets of one block's weights; 0 for an absent bias (or norm bias, or MLP). Biases are
 * padded with zeros to whole 16-column panels: the products add them.
 */
interface Layer {
  qkv: Packed; o: Packed; in: Packed | null; gate: Packed | null; out: Packed | null;
  bqkv: number; bO: number; bIn: number; bGate: number; bOut: number;
  ln1w: number; ln1b: number; ln2w: number; ln2b: number;
  cache: number; // [context_len, pad16(H·d_head + 2·n_kv_heads·d_head)]: this layer's q | k | v rows by position
}

/** Embeddings of at most this many floats (1 MiB) are also kept in the runtime's memory. */
const SMALL_EMBEDDING = 1 << 18;

export interface SessionOptions {
  /** The backend: the WebAssembly runtime by default where SIMD is there, else the TypeScript reference. */
  readonly runtime?: Runtime;
  /** With the default WebAssembly runtime: extra threads for the large products (default 0), started by `spawn`; the same bits for any count. */
  readonly helpers?: number;
  readonly spawn?: SpawnHelper;
}

export class InferenceSession {
  readonly config: ModelConfig;
  private readonly spec: ModelSpec;
  private readonly rt: Runtime;
  private readonly layers: Layer[] = [];
  private readonly unembed: Packed;
  private readonly WE: Float32Array;
  private readonly heapWE: number; // W_E's offset in the runtime's memory too, when it is small (0: not there)
  private readonly pos: number; // learned or sinusoidal rows [T, d] in the runtime's memory (0: none)
  private readonly rope: { cos: number; sin: number } | null;
  private readonly lnf: { w: number; b: number } | null;
  private readonly buf: { h: number; xn: number; z: number; attn: number; mlp: number; gate: number; mlpOut: number; logits: number };
  private seen = 0;

  constructor(model: MiniGPT, { runtime, helpers = 0, spawn }: SessionOptions = {}) {
    const c = (this.config = model.config), spec = (this.spec = model.spec), A = spec.block.attn;
    const d = c.d_model, H = A.n_heads, Hkv = A.n_kv_heads, dh = A.d_head, D = H * dh, Dkv = Hkv * dh, F = c.d_ff, V = c.vocab_size, T = c.context_len;
    const rt = (this.rt = runtime ?? createRuntime({ helpers, ...(spawn === undefined ? {} : { spawn }) }));
    const sd = model.stateDict();
    const get = (name: string): Float32Array => Float32Array.from(sd.get(name)!.data);
    const put = (name: string): number => (sd.has(name) ? rt.put(get(name)) : 0);
    const padded = (b: Float32Array): number => {
      const p = new Float32Array(pad16(b.length));
      p.set(b);
      return rt.put(p);
    };
    const putBias = (name: string): number => (sd.has(name) ? padded(get(name)) : 0);
    const packIf = (name: string, k: number, n: number): Packed | null => (sd.has(name) ? rt.pack(get(name), k, n, false) : null);

    const width = D + 2 * Dkv;
    for (let l = 0; l < c.n_layers; l++) {
      const p = `blocks.${l}.`;
      // [d, D + 2·Dkv]: the Q heads, then the K heads, then the V heads, so one product makes them all.
      const qkv = new Float32Array(d * width);
      const heads = [H, Hkv, Hkv], at0 = [0, D, D + Dkv];
      ["W_Q", "W_K", "W_V"].forEach((name, which) => {
        const W = get(`${p}attn.${name}`); // [heads, d, dh]
        for (let h = 0; h < heads[which]!; h++) for (let i = 0; i < d; i++) for (let e = 0; e < dh; e++) qkv[i * width + at0[which]! + h * dh + e] = W[(h * d + i) * dh + e]!;
      });
      let bqkv = 0;
      if (sd.has(`${p}attn.b_Q`)) {
        const b = new Float32Array(width);
        ["b_Q", "b_K", "b_V"].forEach((name, which) => b.set(get(`${p}attn.${name}`), at0[which]!));
        bqkv = padded(b);
      }
      this.layers.push({
        qkv: rt.pack(qkv, d, width, false), o: rt.pack(get(`${p}attn.W_O`), D, d, false),
        in: packIf(`${p}mlp.W_in`, d, F), gate: packIf(`${p}mlp.W_gate`, d, F), out: packIf(`${p}mlp.W_out`, F, d),
        bqkv, bO: putBias(`${p}attn.b_O`), bIn: putBias(`${p}mlp.b_in`), bGate: putBias(`${p}mlp.b_gate`), bOut: putBias(`${p}mlp.b_out`),
        ln1w: put(`${p}ln1.w`), ln1b: put(`${p}ln1.b`), ln2w: put(`${p}ln2.w`), ln2b: put(`${p}ln2.b`),
        cache: rt.alloc(T * pad16(width)),
      });
    }
    this.WE = get("embed.W_E");
    // A small embedding also in the runtime's memory: its rows are then one `gather` call, not a
    // subarray made and copied per token (~1 µs of a 32-token locked forward); a large one is not
    // held twice.
    this.heapWE = this.WE.length <= SMALL_EMBEDDING ? rt.put(this.WE) : 0;
    this.unembed = c.tied_embeddings ? rt.pack(this.WE, d, V, true) : rt.pack(get("unembed.W_U"), d, V, false);
    this.pos = c.positional === "learned" ? put("pos_embed.W_pos") : c.positional === "sinusoidal" ? rt.put(sinusoidalTable(T, d, "f32").data) : 0;
    if (A.rotary_dim > 0) {
      const { cos, sin } = ropeTables(T, A.rotary_dim, c.rope_base, "f32");
      this.rope = { cos: rt.put(cos.data), sin: rt.put(sin.data) };
    } else this.rope = null;
    this.lnf = spec.ln_final !== null ? { w: put("ln_final.w"), b: put("ln_final.b") } : null;
    this.buf = {
      h: rt.alloc(T * d), xn: rt.alloc(T * d), z: rt.alloc(T * D), attn: rt.alloc(T * pad16(d)),
      mlp: rt.alloc(T * pad16(F)), gate: rt.alloc(T * pad16(F)), mlpOut: rt.alloc(T * pad16(d)), logits: rt.alloc(T * pad16(V)),
    };
    // Room for the runtime's scratch (attention's) past the top, taken now so that no operation
    // grows — and so replaces — the memory in the middle of a step.
    const mark = rt.top;
    rt.alloc(rt.attentionScratch(T, A.d_head) + T + 64); // and `gather`'s ids
    rt.top = mark;
  }

  /** The backend this session runs on ("wasm", "wasm, 2 threads", "js"). */
  get runtime(): string {
    return this.rt.name;
  }

  /** How many positions the session holds (the next `append` starts there). */
  get length(): number {
    return this.seen;
  }

  /** Forget the sequence. */
  reset(): void {
    this.seen = 0;
  }

  /** Logits [T · vocab_size] for one whole sequence (causal); the session then holds it. */
  forward(ids: readonly number[]): Float32Array {
    if (ids.length === 0 || ids.length > this.config.context_len) toTokenBatch(ids, this.config); // its messages for an empty or too long sequence
    this.seen = 0;
    return this.append(ids);
  }

  /** Continue the held sequence with `ids`; logits [ids.length · vocab_size] for the new positions. */
  append(ids: readonly number[]): Float32Array {
    const c = this.config, T0 = this.seen, T = ids.length;
    if (T0 + T > c.context_len) throw new InputError(`sequence of ${T0 + T} tokens exceeds context_len ${c.context_len} (the session holds ${T0})`);
    checkTokenIds(ids, c.vocab_size, T0);
    const rt = this.rt, spec = this.spec, A = spec.block.attn, M = spec.block.mlp;
    const d = c.d_model, H = A.n_heads, dh = A.d_head, D = H * dh, F = c.d_ff, V = c.vocab_size;
    const q3 = pad16(D + 2 * A.n_kv_heads * dh), dP = pad16(d), fP = pad16(F), vP = pad16(V);
    const { h, xn, z, attn, mlp, gate, mlpOut, logits } = this.buf;
    // h = W_E[id] (+ W_pos[T0 + t]): a small embedding's rows in one call
    if (this.heapWE !== 0) rt.gather(this.heapWE, V, ids, d, h);
    else for (let t = 0; t < T; t++) rt.heap.set(this.WE.subarray(ids[t]! * d, ids[t]! * d + d), h + t * d);
    if (this.pos !== 0) rt.addRows(h, d, this.pos + T0 * d, d, 0, T, d);
    const norm = (src: number, dst: number, w: number, b: number): void => {
      if (spec.block.ln1.kind === "layernorm") rt.layerNorm(src, dst, w, b, T, d, c.ln_eps);
      else rt.rmsNorm(src, dst, w, T, d, c.ln_eps);
    };
    const activate = (at: number): void => rt.activate(at, T * fP, M!.activation as RuntimeActivation); // padding columns stay act(0) = 0

    // The output products add straight into the residual stream, their biases with them, where its
    // rows are as wide as the products' (d a multiple of 16) and the block does not read the stream
    // again before the add (a parallel block normalises it for its MLP after attention). Every
    // other bias is added by its product too: no pass of its own.
    const intoStream = d === dP && spec.block.residual !== "parallel";
    for (const L of this.layers) {
      // attn(x) → attn (or into h): q, k, v of the new positions go into this layer's cache rows T0 … T0+T−1.
      const attention = (x: number): void => {
        const qkv = L.cache + T0 * q3;
        rt.gemm(x, d, L.qkv, qkv, T, false, L.bqkv);
        if (this.rope !== null) rt.rope(qkv, q3, T, H + A.n_kv_heads, dh, A.rotary_dim, this.rope.cos, this.rope.sin, T0);
        rt.attention(L.cache, q3, z, D, T, T0, H, A.n_kv_heads, dh, 1 / Math.sqrt(dh));
        if (intoStream) rt.gemm(z, D, L.o, h, T, true, L.bO);
        else rt.gemm(z, D, L.o, attn, T);
      };
      // mlp(x) → mlpOut (or into h)
      const mlpForward = (x: number): void => {
        rt.gemm(x, d, L.in!, mlp, T, false, L.bIn);
        if (L.gate !== null) {
          rt.gemm(x, d, L.gate, gate, T, false, L.bGate);
          activate(gate);
          rt.mul(mlp, gate, T * fP);
        } else activate(mlp);
        if (intoStream) rt.gemm(mlp, fP, L.out!, h, T, true, L.bOut);
        else rt.gemm(mlp, fP, L.out!, mlpOut, T);
      };
      // h += attn + b_O, h += mlp + b_out (products and biases already in h when intoStream)
      const addAttn = (): void => {
        if (!intoStream) rt.addRows(h, d, attn, dP, L.bO, T, d);
      };
      const addMlp = (): void => {
        if (!intoStream) rt.addRows(h, d, mlpOut, dP, L.bOut, T, d);
      };

      switch (spec.block.residual) {
        case "pre":
          norm(h, xn, L.ln1w, L.ln1b);
          attention(xn);
          addAttn();
          if (M === null) break;
          norm(h, xn, L.ln2w, L.ln2b);
          mlpForward(xn);
          addMlp();
          break;
        case "parallel":
          norm(h, xn, L.ln1w, L.ln1b);
          attention(xn);
          if (M !== null) {
            norm(h, xn, L.ln2w, L.ln2b);
            mlpForward(xn);
          }
          addAttn();
          if (M !== null) addMlp();
          break;
        case "post":
          rt.heap.copyWithin(xn, h, h + T * d);
          attention(xn);
          addAttn();
          norm(h, h, L.ln1w, L.ln1b);
          if (M === null) break;
          rt.heap.copyWithin(xn, h, h + T * d);
          mlpForward(xn);
          addMlp();
          norm(h, h, L.ln2w, L.ln2b);
          break;
      }
    }
    if (this.lnf !== null) norm(h, xn, this.lnf.w, this.lnf.b);
    else rt.heap.copyWithin(xn, h, h + T * d);
    rt.gemm(xn, d, this.unembed, logits, T);
    this.seen = T0 + T;
    const out = new Float32Array(T * V);
    const result = rt.heap;
    if (V === vP) out.set(result.subarray(logits, logits + T * V));
    else for (let t = 0; t < T; t++) out.set(result.subarray(logits + t * vP, logits + t * vP + V), t * V);
    return out;
  }
}
