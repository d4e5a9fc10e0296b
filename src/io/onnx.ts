// ONNX export: the model as a standard ONNX graph (opset 17), weights stored in the graph,
// any valid config. Input `input_ids` int64 [batch, seq] (seq ≤ context_len), output `logits`
// float32 [batch, seq, vocab_size], causal. Runs on any ONNX runtime; checked against
// onnxruntime-node in the tests.
//
// With { kvCache: true } the graph also carries the attention cache, in the names Hugging Face's
// exports use: inputs `past_key_values.{l}.key` / `.value` float32 [batch, n_heads, past, d_head]
// (keys after RoPE), outputs `present.{l}.key` / `.value` [batch, n_heads, past + seq, d_head].
// The new tokens sit at positions past … past + seq − 1. Prefill passes a past of length 0; each
// decode step feeds the presents back with one new token.

import { dHead } from "../model/config.js";
import type { MiniGPT } from "../model/minigpt.js";
import { ProtoWriter } from "./protobuf.js";

const FLOAT = 1, INT64 = 7;
const ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7;

type Attr = { name: string; f?: number; i?: number; ints?: number[] };
interface Node { op: string; inputs: string[]; outputs: string[]; attrs: Attr[] }
interface Init { name: string; dims: number[]; type: typeof FLOAT | typeof INT64; raw: Uint8Array }

class Graph {
  readonly nodes: Node[] = [];
  readonly inits: Init[] = [];
  private count = 0;

  op(op: string, inputs: string[], attrs: Attr[] = []): string {
    const out = `${op.toLowerCase()}_${this.count++}`;
    this.nodes.push({ op, inputs, outputs: [out], attrs });
    return out;
  }

  floats(name: string, dims: number[], data: ArrayLike<number>): string {
    const f = Float32Array.from(data as ArrayLike<number>);
    this.inits.push({ name, dims, type: FLOAT, raw: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) });
    return name;
  }

  scalar(value: number): string {
    return this.floats(`const_${this.count++}`, [], [value]);
  }

  ints(values: number[]): string {
    const name = `const_${this.count++}`;
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    this.inits.push({ name, dims: [values.length], type: INT64, raw: new Uint8Array(data.buffer) });
    return name;
  }
}

export interface OnnxExportOptions {
  /** Add the KV-cache inputs and outputs (see the top of this file). Default false. */
  readonly kvCache?: boolean;
}

export function exportOnnx(model: MiniGPT, { kvCache = false }: OnnxExportOptions = {}): Uint8Array {
  const c = model.config;
  if (kvCache && c.n_layers === 0) throw new Error("ONNX export: a model with no layers has no attention cache; export it without kvCache");
  const d = c.d_model, H = c.n_heads, dh = dHead(c), T = c.context_len, V = c.vocab_size;
  const g = new Graph();
  const w = (name: string): string => {
    const t = model.stateDict().get(name);
    if (t === undefined) throw new Error(`ONNX export: no parameter ${name}`);
    return g.floats(name, [...t.shape], t.data);
  };

  // The new tokens' positions start … end − 1 (1-element int64 tensors), for slicing the
  // position tables and the causal mask: start is the cache's length, or 0 without a cache.
  const dim = (x: string, axis: number): string => g.op("Gather", [g.op("Shape", [x]), g.ints([axis])], [{ name: "axis", i: 0 }]);
  const pastKey = (l: number): string => `past_key_values.${l}.key`, pastValue = (l: number): string => `past_key_values.${l}.value`;
  const start = kvCache ? dim(pastKey(0), 2) : g.ints([0]);
  const end = kvCache ? g.op("Add", [start, dim("input_ids", 1)]) : dim("input_ids", 1);
  const rows = (table: string): string => g.op("Slice", [table, start, end, g.ints([0])]);

  let h = g.op("Gather", [w("embed.W_E"), "input_ids"], [{ name: "axis", i: 0 }]);
  if (c.positional === "learned") h = g.op("Add", [h, rows(w("pos_embed.W_pos"))]);
  if (c.positional === "sinusoidal") {
    const pe = new Float32Array(T * d);
    for (let p = 0; p < T; p++) for (let j = 0; j < d; j++) { const a = p / Math.pow(10000, (j - (j % 2)) / d); pe[p * d + j] = j % 2 === 0 ? Math.sin(a) : Math.cos(a); }
    h = g.op("Add", [h, rows(g.floats("sinusoidal_table", [T, d], pe))]);
  }
  let cos = "", sin = "";
  if (c.positional === "rope") {
    const ct = new Float32Array(T * dh), st = new Float32Array(T * dh);
    for (let p = 0; p < T; p++) for (let i = 0; i < dh / 2; i++) {
      const a = p * Math.pow(c.rope_base, (-2 * i) / dh);
      ct[p * dh + i] = ct[p * dh + i + dh / 2] = Math.cos(a);
      st[p * dh + i] = st[p * dh + i + dh / 2] = Math.sin(a);
    }
    cos = rows(g.floats("rope_cos", [T, dh], ct));
    sin = rows(g.floats("rope_sin", [T, dh], st));
  }
  const maskTable = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) maskTable[i * T + j] = -Infinity;
  // rows start … end − 1 (the new queries), columns 0 … end − 1 (every key they may see)
  const concat = (xs: string[], axis: number): string => g.op("Concat", xs, [{ name: "axis", i: axis }]);
  const mask = g.op("Slice", [g.floats("causal_mask", [T, T], maskTable), concat([start, g.ints([0])], 0), concat([end, end], 0), g.ints([0, 1])]);

  const layerNorm = (x: string, prefix: string): string =>
    g.op("LayerNormalization", [x, w(`${prefix}.w`), w(`${prefix}.b`)], [{ name: "axis", i: -1 }, { name: "epsilon", f: c.ln_eps }]);
  const rope = (x: string): string => {
    const first = g.op("Slice", [x, g.ints([0]), g.ints([dh / 2]), g.ints([3])]);
    const second = g.op("Slice", [x, g.ints([dh / 2]), g.ints([dh]), g.ints([3])]);
    const rotated = g.op("Concat", [g.op("Neg", [second]), first], [{ name: "axis", i: 3 }]);
    return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotated, sin])]);
  };
  const gelu = (x: string): string => {
    const half = g.op("Mul", [x, g.scalar(0.5)]);
    if (c.activation === "gelu") return g.op("Mul", [half, g.op("Add", [g.op("Erf", [g.op("Mul", [x, g.scalar(Math.SQRT1_2)])]), g.scalar(1)])]);
    const cube = g.op("Mul", [g.op("Mul", [x, x]), x]);
    const inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))]);
    return g.op("Mul", [half, g.op("Add", [g.op("Tanh", [inner]), g.scalar(1)])]);
  };
  const attention = (x: string, l: number): string => {
    const a = model.blocks[l]!.attn;
    const xu = g.op("Unsqueeze", [x, g.ints([1])]); // [B, 1, T, d]
    const project = (W: string, b: string | null): string => {
      const y = g.op("MatMul", [xu, w(`blocks.${l}.attn.${W}`)]); // [B, H, T, dh]
      return b === null ? y : g.op("Add", [y, g.floats(`blocks.${l}.attn.${b}.heads`, [H, 1, dh], model.stateDict().get(`blocks.${l}.attn.${b}`)!.data)]);
    };
    let q = project("W_Q", a.b_Q === null ? null : "b_Q");
    let k = project("W_K", a.b_K === null ? null : "b_K");
    let v = project("W_V", a.b_V === null ? null : "b_V");
    if (c.positional === "rope") {
      q = rope(q);
      k = rope(k);
    }
    if (kvCache) {
      k = concat([pastKey(l), k], 2);
      v = concat([pastValue(l), v], 2);
      g.nodes.push({ op: "Identity", inputs: [k], outputs: [`present.${l}.key`], attrs: [] });
      g.nodes.push({ op: "Identity", inputs: [v], outputs: [`present.${l}.value`], attrs: [] });
    }
    const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], [{ name: "perm", ints: [0, 1, 3, 2] }])]), g.scalar(1 / Math.sqrt(dh))]), mask]);
    const z = g.op("MatMul", [g.op("Softmax", [scores], [{ name: "axis", i: -1 }]), v]);
    const flat = g.op("Reshape", [g.op("Transpose", [z], [{ name: "perm", ints: [0, 2, 1, 3] }]), g.ints([0, 0, H * dh])]);
    const out = g.op("MatMul", [flat, g.floats(`blocks.${l}.attn.W_O.flat`, [H * dh, d], a.W_O.data)]);
    return a.b_O === null ? out : g.op("Add", [out, w(`blocks.${l}.attn.b_O`)]);
  };
  const mlp = (x: string, l: number): string => {
    const m = model.blocks[l]!.mlp;
    let pre = g.op("MatMul", [x, w(`blocks.${l}.mlp.W_in`)]);
    if (m.b_in !== null) pre = g.op("Add", [pre, w(`blocks.${l}.mlp.b_in`)]);
    let out = g.op("MatMul", [gelu(pre), w(`blocks.${l}.mlp.W_out`)]);
    if (m.b_out !== null) out = g.op("Add", [out, w(`blocks.${l}.mlp.b_out`)]);
    return out;
  };

  for (let l = 0; l < c.n_layers; l++) {
    if (c.norm === "pre") {
      h = g.op("Add", [h, attention(layerNorm(h, `blocks.${l}.ln1`), l)]);
      h = g.op("Add", [h, mlp(layerNorm(h, `blocks.${l}.ln2`), l)]);
    } else {
      h = layerNorm(g.op("Add", [h, attention(h, l)]), `blocks.${l}.ln1`);
      h = layerNorm(g.op("Add", [h, mlp(h, l)]), `blocks.${l}.ln2`);
    }
  }
  if (c.norm === "pre") h = layerNorm(h, "ln_final");
  let unembed: string;
  if (c.tied_embeddings) {
    const WE = model.embed.W_E.data, WET = new Float32Array(d * V);
    for (let v = 0; v < V; v++) for (let i = 0; i < d; i++) WET[i * V + v] = WE[v * d + i]!;
    unembed = g.floats("embed.W_E.T", [d, V], WET);
  } else unembed = w("unembed.W_U");
  const logits = g.op("MatMul", [h, unembed]);
  g.nodes.push({ op: "Identity", inputs: [logits], outputs: ["logits"], attrs: [] });

  const valueInfo = (name: string, elem: number, dims: (string | number)[]) => (vi: ProtoWriter): void => {
    vi.string(1, name).message(2, (tp) =>
      tp.message(1, (tt) => tt.int(1, elem).message(2, (shape) => {
        for (const dim of dims) shape.message(1, (dm) => (typeof dim === "string" ? dm.string(2, dim) : dm.int(1, dim)));
      })),
    );
  };
  const graph = (gw: ProtoWriter): void => {
    g.nodes.forEach((n, i) =>
      gw.message(1, (nw) => {
        for (const x of n.inputs) nw.string(1, x);
        for (const y of n.outputs) nw.string(2, y);
        nw.string(3, `n${i}_${n.op}`).string(4, n.op);
        for (const a of n.attrs) {
          nw.message(5, (aw) => {
            aw.string(1, a.name);
            if (a.f !== undefined) aw.float(2, a.f).int(20, ATTR_FLOAT);
            else if (a.ints !== undefined) aw.packedInts(8, a.ints).int(20, ATTR_INTS);
            else aw.int(3, a.i!).int(20, ATTR_INT);
          });
        }
      }),
    );
    gw.string(2, "minigpt");
    for (const t of g.inits) gw.message(5, (tw) => tw.packedInts(1, t.dims).int(2, t.type).string(8, t.name).bytes(9, t.raw));
    gw.message(11, valueInfo("input_ids", INT64, ["batch", "seq"]));
    if (kvCache) for (let l = 0; l < c.n_layers; l++) for (const name of [pastKey(l), pastValue(l)]) gw.message(11, valueInfo(name, FLOAT, ["batch", H, "past", dh]));
    gw.message(12, valueInfo("logits", FLOAT, ["batch", "seq", V]));
    if (kvCache) for (let l = 0; l < c.n_layers; l++) for (const name of [`present.${l}.key`, `present.${l}.value`]) gw.message(12, valueInfo(name, FLOAT, ["batch", H, "past + seq", dh]));
  };
  return new ProtoWriter()
    .int(1, 8) // IR version 8 (ONNX 1.13+), for opset 17
    .string(2, "minigpt")
    .string(3, "0.1.0")
    .message(7, graph)
    .message(8, (o) => o.string(1, "").int(2, 17))
    .finish();
}
