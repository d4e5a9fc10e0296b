// Hugging Face checkpoints in and out (SPEC §9): the tests write their own small model folders in
// each family's layout (F32, F16, BF16, sharded), and compare our imported model's logits with an
// independent float64 forward that reads the Hugging Face tensor names directly (hf-reference.ts)
// — and the other way round for export. Round trips are bit-exact.

import { describe, expect, it } from "vitest";
import { chooseFamily, exportHf, familyMismatch, importHf, importHfAsync, type AsyncRangeReader, type HfFamily, type HfFolder } from "../../src/io/hf.js";
import { fromBF16, fromF16, toBF16, toF16 } from "../../src/io/safetensors.js";
import { parseConfig, type ModelConfig } from "../../src/model/config.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { noGrad, Rng } from "../../src/tensor/index.js";
import { HfTokenizer, specialTokens, verbTokenizerJson } from "../../src/train/hf-tokenizer.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { relativeError } from "../helpers.js";
import { randomConfig } from "../random-configs.js";
import { bf16Value, halfValue, hfForward, readFile, writeFile, type Tensors } from "./hf-reference.js";

type DType = "F32" | "F16" | "BF16";
type Json = Record<string, unknown>;

/** A random value and its stored form: F32 floats, or 16-bit patterns drawn directly (their values by definition). */
function draw(rng: Rng, dtype: DType, norm: boolean): { stored: number; value: number } {
  if (dtype === "F32") {
    const v = Math.fround(norm ? 0.6 + 0.8 * rng.uniform() : 0.35 * rng.normal());
    return { stored: v, value: v };
  }
  const sign = !norm && rng.uniform() < 0.5 ? 1 : 0;
  if (dtype === "F16") {
    const bits = (sign << 15) | ((norm ? 14 + rng.int(2) : 10 + rng.int(5)) << 10) | rng.int(1024);
    return { stored: bits, value: halfValue(bits) };
  }
  const bits = (sign << 15) | ((norm ? 126 + rng.int(2) : 122 + rng.int(5)) << 7) | rng.int(128);
  return { stored: bits, value: bf16Value(bits) };
}

interface Made { folder: HfFolder; cfg: Json; tensors: Tensors }

/** A random model folder of a family: config.json and tensors named and shaped as that family's code saves them. */
function makeFolder(family: HfFamily, rng: Rng, dtype: DType, { shards = 1, prefix = true } = {}): Made {
  const H = 1 + rng.int(3), dh = 2 * (1 + rng.int(3)), d = H * dh, F = 2 + rng.int(12), V = 5 + rng.int(12), T = 6 + rng.int(6), L = 1 + rng.int(2);
  const shapes: [string, number[], boolean][] = [];
  const norm = (name: string, bias = true): void => {
    shapes.push([`${name}.weight`, [d], true]);
    if (bias) shapes.push([`${name}.bias`, [d], false]);
  };
  let cfg: Json;
  const tie = rng.uniform() < 0.5;
  if (family === "gpt2") {
    cfg = { model_type: "gpt2", n_embd: d, n_head: H, n_layer: L, n_inner: F, vocab_size: V, n_positions: T, layer_norm_epsilon: 1e-5, activation_function: ["gelu_new", "gelu", "relu"][rng.int(3)], tie_word_embeddings: tie };
    const p = prefix ? "transformer." : "";
    shapes.push([`${p}wte.weight`, [V, d], false], [`${p}wpe.weight`, [T, d], false]);
    for (let l = 0; l < L; l++) {
      const b = `${p}h.${l}.`;
      norm(`${b}ln_1`);
      shapes.push([`${b}attn.c_attn.weight`, [d, 3 * d], false], [`${b}attn.c_attn.bias`, [3 * d], false], [`${b}attn.c_proj.weight`, [d, d], false], [`${b}attn.c_proj.bias`, [d], false]);
      norm(`${b}ln_2`);
      shapes.push([`${b}mlp.c_fc.weight`, [d, F], false], [`${b}mlp.c_fc.bias`, [F], false], [`${b}mlp.c_proj.weight`, [F, d], false], [`${b}mlp.c_proj.bias`, [d], false]);
    }
    norm(`${p}ln_f`);
    if (!tie) shapes.push(["lm_head.weight", [V, d], false]);
  } else if (family === "gpt_neox") {
    const rd = 2 * (1 + rng.int(dh / 2)), bias = rng.uniform() < 0.6;
    cfg = {
      model_type: "gpt_neox", hidden_size: d, num_attention_heads: H, num_hidden_layers: L, intermediate_size: F, vocab_size: V, max_position_embeddings: T,
      rotary_pct: rd / dh, rotary_emb_base: [10000, 100][rng.int(2)], layer_norm_eps: 1e-5, hidden_act: ["gelu", "gelu_new"][rng.int(2)],
      use_parallel_residual: rng.uniform() < 0.5, attention_bias: bias, tie_word_embeddings: tie,
    };
    const p = prefix ? "gpt_neox." : "";
    shapes.push([`${p}embed_in.weight`, [V, d], false]);
    for (let l = 0; l < L; l++) {
      const b = `${p}layers.${l}.`;
      norm(`${b}input_layernorm`);
      shapes.push([`${b}attention.query_key_value.weight`, [3 * d, d], false], [`${b}attention.dense.weight`, [d, d], false]);
      if (bias) shapes.push([`${b}attention.query_key_value.bias`, [3 * d], false], [`${b}attention.dense.bias`, [d], false]);
      norm(`${b}post_attention_layernorm`);
      shapes.push([`${b}mlp.dense_h_to_4h.weight`, [F, d], false], [`${b}mlp.dense_h_to_4h.bias`, [F], false], [`${b}mlp.dense_4h_to_h.weight`, [d, F], false], [`${b}mlp.dense_4h_to_h.bias`, [d], false]);
    }
    norm(`${p}final_layer_norm`);
    if (!tie) shapes.push(["embed_out.weight", [V, d], false]);
  } else {
    const Hkv = [1, H][rng.int(2)], ab = rng.uniform() < 0.3, mb = rng.uniform() < 0.3;
    cfg = {
      model_type: "llama", hidden_size: d, num_attention_heads: H, num_key_value_heads: Hkv, num_hidden_layers: L, intermediate_size: F, vocab_size: V,
      max_position_embeddings: T, rope_theta: [10000, 500][rng.int(2)], rms_norm_eps: 1e-6, hidden_act: ["silu", "gelu"][rng.int(2)], attention_bias: ab, mlp_bias: mb, tie_word_embeddings: tie,
    };
    const p = prefix ? "model." : "";
    shapes.push([`${p}embed_tokens.weight`, [V, d], false]);
    for (let l = 0; l < L; l++) {
      const b = `${p}layers.${l}.`;
      norm(`${b}input_layernorm`, false);
      for (const [n, out] of [["q_proj", H * dh], ["k_proj", Hkv * dh], ["v_proj", Hkv * dh]] as const) {
        shapes.push([`${b}self_attn.${n}.weight`, [out, d], false]);
        if (ab) shapes.push([`${b}self_attn.${n}.bias`, [out], false]);
      }
      shapes.push([`${b}self_attn.o_proj.weight`, [d, H * dh], false]);
      if (ab) shapes.push([`${b}self_attn.o_proj.bias`, [d], false]);
      norm(`${b}post_attention_layernorm`, false);
      shapes.push([`${b}mlp.gate_proj.weight`, [F, d], false], [`${b}mlp.up_proj.weight`, [F, d], false], [`${b}mlp.down_proj.weight`, [d, F], false]);
      if (mb) shapes.push([`${b}mlp.gate_proj.bias`, [F], false], [`${b}mlp.up_proj.bias`, [F], false], [`${b}mlp.down_proj.bias`, [d], false]);
    }
    norm(`${p}norm`, false);
    if (!tie) shapes.push(["lm_head.weight", [V, d], false]);
  }
  const tensors: Tensors = new Map();
  const entries: [string, { dtype: DType; shape: number[]; values: number[] }][] = [];
  for (const [name, shape, isNorm] of shapes) {
    const count = shape.reduce((a, b) => a * b, 1);
    const drawn = Array.from({ length: count }, () => draw(rng, dtype, isNorm));
    tensors.set(name, { shape, data: Float64Array.from(drawn, (x) => x.value) });
    entries.push([name, { dtype, shape, values: drawn.map((x) => x.stored) }]);
  }
  const weights = new Map<string, Uint8Array>();
  let index: string | undefined;
  if (shards === 1) weights.set("model.safetensors", writeFile(entries));
  else {
    const per = Math.ceil(entries.length / shards), map: Record<string, string> = {};
    for (let k = 0; k < shards; k++) {
      const name = `model-0000${k + 1}-of-0000${shards}.safetensors`;
      const part = entries.slice(k * per, (k + 1) * per);
      weights.set(name, writeFile(part));
      for (const [t] of part) map[t] = name;
    }
    index = JSON.stringify({ metadata: {}, weight_map: map });
  }
  return { folder: { config: JSON.stringify(cfg), weights, ...(index === undefined ? {} : { index }), source: `test-${family}` }, cfg, tensors };
}

const idsFor = (V: number, T: number, rng: Rng): number[] => Array.from({ length: T }, () => rng.int(V));
const logits = (m: MiniGPT, ids: number[]): Float32Array => noGrad(() => m.forward(ids)).data as Float32Array;

describe("import: Hugging Face folders against an independent float64 forward on their own tensor names", () => {
  const rng = new Rng(909);
  for (const family of ["gpt2", "gpt_neox", "llama"] as const) {
    for (const dtype of ["F32", "F16", "BF16"] as const) {
      it(`${family} ${dtype}: 4 random folders`, () => {
        for (let i = 0; i < 4; i++) {
          const made = makeFolder(family, rng, dtype, { shards: i === 3 ? 3 : 1, prefix: i !== 2 });
          const { model, family: got } = importHf(made.folder);
          expect(got).toBe(family);
          const ids = idsFor(model.config.vocab_size, model.config.context_len, rng);
          const ref = hfForward(made.cfg, made.tensors, ids).flat();
          expect(relativeError(logits(model, ids), ref), JSON.stringify(made.cfg)).toBeLessThan(1e-4);
        }
      });
    }
  }
  it("maps each family onto the §8 keys it implies", () => {
    const rng2 = new Rng(3);
    const neox = importHf(makeFolder("gpt_neox", rng2, "F32").folder).model.config;
    expect([neox.positional, neox.norm_type, neox.mlp_gated]).toEqual(["rope", "layernorm", false]);
    const llama = importHf(makeFolder("llama", rng2, "F32").folder).model.config;
    expect([llama.norm_type, llama.mlp_gated, llama.activation === "silu" || llama.activation === "gelu"]).toEqual(["rmsnorm", true, true]);
    const gpt2 = importHf(makeFolder("gpt2", rng2, "F32").folder).model.config;
    expect([gpt2.positional, gpt2.attn_bias, gpt2.mlp_bias]).toEqual(["learned", true, true]);
  });
  it("keeps config.json's bos_token_id and eos_token_id (one or a list; out of range dropped) for sampling: where to start and stop", () => {
    const made = makeFolder("gpt2", new Rng(4), "F32");
    const withIds = (extra: Json): HfFolder => ({ ...made.folder, config: JSON.stringify({ ...(JSON.parse(made.folder.config) as object), ...extra }) });
    const V = (JSON.parse(made.folder.config) as { vocab_size: number }).vocab_size;
    const one = importHf(withIds({ bos_token_id: V - 1, eos_token_id: V - 1 })).metadata;
    expect(specialTokens(one, V)).toEqual({ bos: V - 1, eos: [V - 1] });
    const list = importHf(withIds({ bos_token_id: 1, eos_token_id: [2, 3] })).metadata;
    expect(specialTokens(list, V)).toEqual({ bos: 1, eos: [2, 3] });
    const bad = importHf(withIds({ bos_token_id: V, eos_token_id: null })).metadata;
    expect(specialTokens(bad, V)).toEqual({ bos: null, eos: [] });
    expect(specialTokens({}, 64)).toEqual({ bos: 1, eos: [2] }); // the verb grammar's <bos> and <eos>
  });
});

describe("export: our models as Hugging Face folders, read back by the independent forward", () => {
  const rng = new Rng(515);
  const forFamily = (family: HfFamily): ModelConfig => {
    for (;;) {
      const c = randomConfig(rng);
      const adjusted = parseConfig({
        ...c, norm: "pre", attn_only: false, init_std: 0.3, n_layers: Math.max(1, c.n_layers),
        ...(family === "gpt2" ? { rope_base: 10000, positional: "learned", norm_type: "layernorm", mlp_gated: false, n_kv_heads: c.n_heads, parallel_attn_mlp: false, attn_bias: true, mlp_bias: true, rotary_dim: c.d_model / c.n_heads } : {}),
        ...(family === "gpt_neox" ? { norm_type: "layernorm", mlp_gated: false, n_kv_heads: c.n_heads, mlp_bias: true } : {}),
        ...(family === "llama" ? { norm_type: "rmsnorm", mlp_gated: true, parallel_attn_mlp: false, rotary_dim: c.d_model / c.n_heads } : {}),
      }, null);
      if (familyMismatch(adjusted, family) === null) return adjusted;
    }
  };
  for (const family of ["gpt2", "gpt_neox", "llama"] as const) {
    it(`${family}: logits agree; F32 round-trips bit-exact, sharded too; F16/BF16 re-export byte-identical`, () => {
      for (let i = 0; i < 5; i++) {
        const model = new MiniGPT(forFamily(family));
        const { files } = exportHf(model, { family });
        const cfg = JSON.parse(files.get("config.json") as string) as Json;
        expect(cfg["model_type"]).toBe(family);
        const ids = idsFor(model.config.vocab_size, model.config.context_len, rng);
        const ref = hfForward(cfg, readFile(files.get("model.safetensors") as Uint8Array), ids).flat();
        expect(relativeError(logits(model, ids), ref), JSON.stringify(model.config)).toBeLessThan(1e-4);

        const folder = (f: Map<string, Uint8Array | string>): HfFolder => ({
          config: f.get("config.json") as string,
          weights: new Map([...f].filter(([n]) => n.endsWith(".safetensors")) as [string, Uint8Array][]),
          ...(f.has("model.safetensors.index.json") ? { index: f.get("model.safetensors.index.json") as string } : {}),
          source: "exported",
        });
        const back = importHf(folder(files)).model;
        // init_std and seed describe how a model was initialised, not the model: Hugging Face has no such keys
        expect({ ...back.config, init_std: 0, seed: 0 }).toEqual({ ...model.config, init_std: 0, seed: 0 });
        for (const [name, t] of model.stateDict()) expect(Array.from(back.stateDict().get(name)!.data), name).toEqual(Array.from(t.data));
        const sharded = exportHf(model, { family, shardBytes: 64 }).files;
        expect([...sharded.keys()].filter((n) => n.endsWith(".safetensors")).length).toBeGreaterThan(1);
        const back2 = importHf(folder(sharded)).model;
        for (const [name, t] of model.stateDict()) expect(Array.from(back2.stateDict().get(name)!.data), name).toEqual(Array.from(t.data));
        for (const dtype of ["F16", "BF16"] as const) {
          const once = exportHf(model, { family, dtype }).files;
          const twice = exportHf(importHf(folder(once)).model, { family, dtype }).files;
          expect(Buffer.from(twice.get("model.safetensors") as Uint8Array).equals(Buffer.from(once.get("model.safetensors") as Uint8Array))).toBe(true);
        }
      }
    });
  }
  it("without --family: the first family that expresses the config; the locked model is gpt_neox; others are refused by key", () => {
    expect(chooseFamily(LOCKED)).toBe("gpt_neox");
    expect(chooseFamily(parseConfig({ positional: "learned", attn_bias: true }, LOCKED))).toBe("gpt2");
    expect(chooseFamily(parseConfig({ norm_type: "rmsnorm", mlp_gated: true, activation: "silu" }, LOCKED))).toBe("llama");
    expect(() => chooseFamily(parseConfig({ norm: "post" }, LOCKED))).toThrow(/norm = post/);
    expect(() => chooseFamily(parseConfig({ attn_only: true }, LOCKED))).toThrow(/attn_only/);
    expect(() => exportHf(new MiniGPT(LOCKED), { family: "llama" })).toThrow(/llama cannot express this config: .*norm_type = layernorm/);
  });
  it("the locked model's folder: GPTNeoXForCausalLM, rotary_pct 1, no attention bias, tied; its logits through the reference", () => {
    const model = new MiniGPT(LOCKED);
    const { family, files } = exportHf(model, { tokenizer: verbTokenizerJson() });
    expect(family).toBe("gpt_neox");
    const cfg = JSON.parse(files.get("config.json") as string) as Json;
    expect(cfg).toMatchObject({ architectures: ["GPTNeoXForCausalLM"], use_parallel_residual: false, attention_bias: false, rotary_pct: 1, tie_word_embeddings: true });
    const ids = canonicalIds();
    expect(relativeError(logits(model, ids), hfForward(cfg, readFile(files.get("model.safetensors") as Uint8Array), ids).flat())).toBeLessThan(1e-5);
    // the vocabulary as a tokenizer.json: the canonical sentence encodes to the same ids
    expect(new HfTokenizer(files.get("tokenizer.json") as string).encode("<bos> ayer el perro también caminó y ellos")).toEqual(ids);
  });
});

describe("the streaming import (the page's: each tensor read when its weight is filled)", () => {
  it("gives the same model as the in-memory import, with progress up to the weights' bytes", async () => {
    const rng = new Rng(31);
    for (const family of ["gpt2", "gpt_neox", "llama"] as const) {
      const made = makeFolder(family, rng, "BF16", { shards: 2 });
      const reads: number[] = [];
      const weights = new Map([...made.folder.weights].map(([n, w]): [string, AsyncRangeReader] => {
        const b = w as Uint8Array;
        return [n, { size: b.length, read: async (s, e) => (reads.push(e - s), b.slice(s, e)) }];
      }));
      const progress: [number, number][] = [];
      const a = await importHfAsync({ ...made.folder, weights }, (d, t) => progress.push([d, t]));
      const b = importHf(made.folder);
      for (const [name, t] of b.model.stateDict()) expect(Array.from(a.model.stateDict().get(name)!.data), name).toEqual(Array.from(t.data));
      const total = progress.at(-1)![1];
      expect(progress.at(-1)![0]).toBe(total);
      expect(progress.every(([d], i) => i === 0 || d >= progress[i - 1]![0])).toBe(true);
      // no read is a whole file: headers, then one tensor at a time
      const largest = Math.max(...[...made.folder.weights.values()].map((w) => (w as Uint8Array).length));
      expect(Math.max(...reads)).toBeLessThan(largest);
    }
  });
});

describe("the import's own reads become weights; the caller's bytes never do", () => {
  it("a fresh read that lands value for value is the parameter's array (GPT-2's MLP and embedding), a fused or reshaped one is copied; bytes in memory are copied", async () => {
    const made = makeFolder("gpt2", new Rng(5), "F32");
    const bytes = made.folder.weights.get("model.safetensors") as Uint8Array;
    const returned = new Set<ArrayBufferLike>();
    const fresh = (s: number, e: number): Uint8Array => {
      const b = bytes.slice(s, e);
      returned.add(b.buffer);
      return b;
    };
    const viaAsync = await importHfAsync({ ...made.folder, weights: new Map([["model.safetensors", { size: bytes.length, read: async (s: number, e: number) => fresh(s, e) }]]) });
    const viaReader = importHf({ ...made.folder, weights: new Map([["model.safetensors", { size: bytes.length, read: fresh }]]) });
    const inMemory = importHf(made.folder);
    for (const { model } of [viaAsync, viaReader]) {
      const sd = model.stateDict();
      for (const name of ["embed.W_E", "blocks.0.mlp.W_in", "blocks.0.mlp.W_out"]) expect(returned.has(sd.get(name)!.data.buffer), name).toBe(true);
      expect(returned.has(sd.get("blocks.0.attn.W_Q")!.data.buffer)).toBe(false); // c_attn split into heads: copied
      for (const [name, t] of inMemory.model.stateDict()) expect(Array.from(sd.get(name)!.data), name).toEqual(Array.from(t.data));
    }
    const before = bytes.slice();
    for (const [, t] of inMemory.model.stateDict()) {
      expect(t.data.buffer).not.toBe(bytes.buffer);
      t.data.fill(7); // the model's weights are its own: the caller's bytes do not move
    }
    expect(Buffer.compare(Buffer.from(bytes), Buffer.from(before))).toBe(0);
  });
});

describe("bad folders are refused whole, naming the file and the tensor or key", () => {
  const rng = new Rng(77);
  const base = (): Made => makeFolder("gpt_neox", rng, "F32");
  const withConfig = (m: Made, patch: Json): HfFolder => ({ ...m.folder, config: JSON.stringify({ ...m.cfg, ...patch }) });
  it("an unknown model_type, rope scaling, a config key we cannot honour", () => {
    const m = base();
    expect(() => importHf(withConfig(m, { model_type: "mistral" }))).toThrow(/test-gpt_neox\/config.json: model_type "mistral" is not supported/);
    expect(() => importHf(withConfig(m, { rope_scaling: { type: "linear", factor: 2 } }))).toThrow(/rope_scaling = .* is not supported/);
    expect(() => importHf(withConfig(m, { hidden_act: "mish" }))).toThrow(/hidden_act = "mish" is not supported/);
    expect(() => importHf({ ...m.folder, config: "{ not json" })).toThrow(/config.json: not valid JSON/);
  });
  it("a missing tensor, an extra tensor, a shape that disagrees with config.json", () => {
    const m = base();
    expect(() => importHf(withConfig(m, { num_hidden_layers: (m.cfg["num_hidden_layers"] as number) + 1 }))).toThrow(/tensor "gpt_neox.layers.\d.input_layernorm.weight" is missing/);
    expect(() => importHf(withConfig(m, { intermediate_size: (m.cfg["intermediate_size"] as number) + 1 }))).toThrow(/tensor "layers.0.mlp.dense_h_to_4h.weight" has shape \[\d+, \d+\] but config.json implies/);
    const extra = writeFile([["gpt_neox.layers.0.attention.secret", { dtype: "F32", shape: [1], values: [1] }]]);
    expect(() => importHf({ ...m.folder, weights: new Map([...m.folder.weights, ["model-extra.safetensors", extra]]) })).toThrow(/unexpected tensor "layers.0.attention.secret"/);
  });
  it("a truncated shard, a header larger than the file, a tokenizer.json that does not parse", () => {
    const m = base();
    const bytes = m.folder.weights.get("model.safetensors") as Uint8Array;
    expect(() => importHf({ ...m.folder, weights: new Map([["model.safetensors", bytes.subarray(0, bytes.length - 5)]]) })).toThrow(/test-gpt_neox\/model.safetensors: truncated/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(0, bytes.length * 2, true);
    expect(() => importHf({ ...m.folder, weights: new Map([["model.safetensors", huge]]) })).toThrow(/model.safetensors: truncated: the header claims/);
    expect(() => importHf({ ...m.folder, tokenizer: "{" })).toThrow(/tokenizer.json: not valid JSON/);
  });
  it("an index naming a shard that is not there, or a tensor in the wrong shard", () => {
    const m = makeFolder("llama", rng, "F32", { shards: 2 });
    const [first] = [...m.folder.weights.keys()];
    expect(() => importHf({ ...m.folder, weights: new Map([[first!, m.folder.weights.get(first!) as Uint8Array]]) })).toThrow(/the index names shard model-00002-of-00002.safetensors, which is not in the folder/);
    const idx = JSON.parse(m.folder.index!) as { weight_map: Record<string, string> };
    const name = Object.keys(idx.weight_map)[0]!;
    idx.weight_map[name] = "model-00002-of-00002.safetensors";
    expect(() => importHf({ ...m.folder, index: JSON.stringify(idx) })).toThrow(/is not listed for this shard/);
  });
  it("a tied model whose output head differs from its embedding", () => {
    for (;;) {
      const m = makeFolder("gpt2", rng, "F32", { prefix: true });
      if (m.cfg["tie_word_embeddings"] !== true) continue;
      const wte = m.tensors.get("transformer.wte.weight")!;
      const withHead = (values: number[]): HfFolder => ({ ...m.folder, weights: new Map([...m.folder.weights, ["head.safetensors", writeFile([["lm_head.weight", { dtype: "F32", shape: wte.shape, values }]])]]) });
      expect(importHf(withHead(Array.from(wte.data))).model.config.tied_embeddings).toBe(true); // the embedding itself: accepted
      const last = Array.from(wte.data);
      last[last.length - 1] = Math.fround(last.at(-1)! + 1); // one value off, the very last
      expect(() => importHf(withHead(last))).toThrow(/"lm_head.weight" differs from the token embedding although tie_word_embeddings is true/);
      break;
    }
  });
  it("a weight that is not finite, named with its index (the last value of the last tensor too)", () => {
    const m = base();
    const [name, t] = [...m.tensors].at(-1)!;
    for (const bad of [NaN, Infinity, -Infinity]) {
      const values = Array.from(t.data);
      values[values.length - 1] = bad;
      const entries = [...m.tensors].map(([n, x]) => [n, { dtype: "F32" as const, shape: x.shape, values: n === name ? values : Array.from(x.data) }] as [string, { dtype: "F32"; shape: number[]; values: number[] }]);
      expect(() => importHf({ ...m.folder, weights: new Map([["model.safetensors", writeFile(entries)]]) })).toThrow(new RegExp(`holds ${bad} at index ${values.length - 1}; weights must be finite`));
    }
  });
});

describe("F16 and BF16 conversions", () => {
  it("every half value widens exactly and narrows back to its bits (NaNs aside)", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromF16(h);
      if (Number.isNaN(v)) continue;
      expect(v === halfValue(h) || (h & 0x7c00) === 0x7c00).toBe(true);
      expect(toF16(v)).toBe(h);
    }
  });
  it("every bfloat16 value widens exactly and narrows back", () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = fromBF16(h);
      if (Number.isNaN(v)) continue;
      expect(v).toBe(bf16Value(h));
      expect(toBF16(v)).toBe(h);
    }
  });
  it("narrowing rounds to nearest, ties to even", () => {
    expect(toF16(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and the next half: even (1)
    expect(toF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, rounds up to even
    expect(toF16(65520)).toBe(0x7c00); // past the largest half: ∞
    expect(toF16(2 ** -25)).toBe(0); // half the smallest subnormal: ties to 0
    expect(toF16(3 * 2 ** -26)).toBe(1);
    expect(toBF16(1 + 2 ** -8)).toBe(0x3f80);
    expect(toBF16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});
