// The command line as a user runs it: ./bin/minigpt in a child process (built by `npm test`'s tsc step).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, root } from "./run-cli.js";

const { tmp, run, json } = cli();

describe("minigpt CLI", () => {
  it("inventory --json: 103,680 for the locked config, rows per SPEC §7", () => {
    const out = json("inventory");
    expect(out["total"]).toBe(103_680);
    expect(out["formula"]).toBe(103_680);
    expect((out["rows"] as { name: string; shape: number[]; count: number }[])[0]).toMatchObject({ name: "embed.W_E", shape: [64, 64], count: 4096 });
  });
  it("inventory of GPT-2 small and of a user config file", () => {
    expect(json("inventory", "--preset", "gpt2-small")["total"]).toBe(124_439_808);
    writeFileSync(join(tmp, "small.yaml"), "d_model: 32\nn_layers: 1\ntied_embeddings: false\n");
    const out = json("inventory", "--config", "small.yaml");
    expect(out["total"]).toBe(64 * 32 + (2 * 32 + 4 * 32 * 32 + 2 * 32 + 2 * 32 * 256 + 256 + 32) + 2 * 32 + 64 * 32);
  });
  it("a bad config value names the file, key, value and what is allowed", () => {
    writeFileSync(join(tmp, "bad.yaml"), "d_model: 64\nn_heads: 5\n");
    const r = run("inventory", "--config", "bad.yaml");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml: d_model = 64 is not divisible by n_heads = 5/);
    expect(r.stdout).toBe("");
  });
  it("init then forward --json: one row of vocab_size logits per position", () => {
    const ckpt = join(tmp, "m.safetensors");
    expect(json("init", "--out", ckpt, "--seed", "3")["parameters"]).toBe(103_680);
    const out = json("forward", "--checkpoint", ckpt, "--ids", "1,20,26");
    expect(out["ids"]).toEqual([1, 20, 26]);
    const logits = out["logits"] as number[][];
    expect(logits).toHaveLength(3);
    expect(logits.every((r) => r.length === 64 && r.every(Number.isFinite))).toBe(true);
    const byText = json("forward", "--checkpoint", ckpt, "--text", "<bos> ayer el");
    expect(byText["logits"]).toEqual(logits);
  });
  it("init --seed 0 reproduces the shipped seed-0 checkpoint byte for byte", () => {
    const out = join(tmp, "seed0.safetensors");
    json("init", "--seed", "0", "--out", out);
    expect(readFileSync(out).equals(readFileSync(join(root, "checkpoints/minigpt-seed0.safetensors")))).toBe(true);
  });
  it("forward on the shipped checkpoint reproduces the golden logits", () => {
    const golden = JSON.parse(readFileSync(join(root, "data/golden/canonical-seed0.json"), "utf8")) as { ids: number[]; logits: number[][] };
    const out = json("forward", "--checkpoint", join(root, "checkpoints/minigpt-seed0.safetensors"), "--ids", golden.ids.join(","));
    const got = (out["logits"] as number[][]).flat();
    const want = golden.logits.flat();
    const scale = Math.max(...want.map(Math.abs));
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!))) / scale).toBeLessThan(1e-5);
  });
  it("bad input: over-long sequence, unknown word, unknown id, corrupt checkpoint, missing file", () => {
    const long = run("forward", "--ids", Array.from({ length: 33 }, () => "1").join(","));
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/33 tokens but context_len is 32/);
    expect(run("forward", "--text", "yo camnio").stderr).toMatch(/unknown word "camnio".*did you mean "camino"/);
    expect(run("forward", "--ids", "1,99").stderr).toMatch(/token id 99 at position 1 is outside the vocabulary/);
    writeFileSync(join(tmp, "junk.safetensors"), "this is not a checkpoint at all");
    const junk = run("forward", "--checkpoint", join(tmp, "junk.safetensors"));
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/junk\.safetensors: header length \d+ exceeds|junk\.safetensors: truncated/);
    expect(run("forward", "--checkpoint", join(tmp, "nope.safetensors")).stderr).toMatch(/nope\.safetensors does not exist/);
  });
  it("usage errors exit 2: unknown flag, unknown command, missing --out", () => {
    const flag = run("forward", "--bogus");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--bogus'/);
    expect(flag.stderr).toMatch(/usage: minigpt forward/);
    expect(run("frobnicate").code).toBe(2);
    expect(run("init").stderr).toMatch(/--out FILE\.safetensors is required/);
  });
  it("trace --json lists every hook; trace --toy prints values", () => {
    const out = json("trace");
    const rows = out["rows"] as { name: string; shape: number[] }[];
    expect(rows[0]).toMatchObject({ name: "hook_embed", shape: [1, 8, 64] });
    expect(rows.at(-1)).toMatchObject({ name: "hook_logits", shape: [1, 8, 64] });
    const toy = run("trace", "--toy");
    expect(toy.code).toBe(0);
    expect(toy.stdout).toMatch(/blocks\.0\.attn\.hook_pattern \[1, 2, 2, 2\]/);
    expect(toy.stdout).toMatch(/-inf/);
  });
  it("trace --hook prints one hook point's values; --save writes every activation as a safetensors file others can read", () => {
    const forward = json<{ logits: number[][] }>("forward").logits; // model.forward, not the cached run
    const pattern = json<{ shape: number[]; values: number[][][][] }>("trace", "--hook", "blocks.1.attn.hook_pattern");
    expect(pattern.shape).toEqual([1, 4, 8, 8]);
    for (const head of pattern.values[0]!) head.forEach((row, q) => {
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row.slice(q + 1).every((w) => w === 0)).toBe(true); // nothing from the future
    });
    expect(run("trace", "--hook", "blocks.1.attn.hook_pattern").stdout).toMatch(/^blocks\.1\.attn\.hook_pattern \[1, 4, 8, 8\]/);
    const toy = run("trace", "--toy", "--hook", "hook_embed");
    expect(toy.code).toBe(2);
    expect(toy.stderr).toMatch(/--toy prints every value of the toy block already/);
    const bad = run("trace", "--hook", "blocks.7.hook_resid_post");
    expect(bad.code).toBe(2); // a flag's value, refused as such
    expect(bad.stderr).toMatch(/--hook: no hook point "blocks.7.hook_resid_post" in this model; its hook points are hook_embed, /);
    // the file, read by hand as any safetensors reader would: an 8-byte header length, the JSON header, raw little-endian float32
    expect(run("trace", "--save", "acts.safetensors").stdout).toMatch(/^wrote acts\.safetensors: 33 activations/);
    const bytes = readFileSync(join(tmp, "acts.safetensors"));
    const n = Number(bytes.readBigUInt64LE(0)), header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> & { __metadata__: Record<string, string> };
    expect(Object.keys(header).filter((k) => k !== "__metadata__")).toEqual(json<{ rows: { name: string }[] }>("trace").rows.map((r) => r.name));
    expect(JSON.parse(header.__metadata__["ids"]!)).toEqual([1, 20, 26, 28, 32, 49, 35, 16]);
    const read = (name: string): number[] => {
      const { dtype, data_offsets: [a, b] } = header[name]!;
      expect(dtype).toBe("F32");
      return Array.from({ length: (b - a) / 4 }, (_, i) => bytes.readFloatLE(8 + n + a + 4 * i));
    };
    const logits = read("hook_logits");
    forward.flat().forEach((v, i) => expect(logits[i]).toBeCloseTo(v, 4));
    expect(read("blocks.1.attn.hook_pattern")).toEqual(pattern.values.flat(3).map((v) => Math.fround(v)));
  });
  it("causality holds with the mask and leaks in encoder mode", () => {
    const c = json("causality");
    expect(c["holds"]).toBe(true);
    const e = json("causality", "--encoder");
    expect(e["holds"]).toBe(false);
    expect(run("causality").stdout).toMatch(/result: holds/);
  });
  it("vocab --json lists 64 tokens and the canonical sequence", () => {
    const v = json("vocab");
    expect((v["tokens"] as unknown[]).length).toBe(64);
    expect((v["canonical"] as { ids: number[] }).ids).toHaveLength(8);
  });
  it("export-onnx --verify: the graph, plain and with its KV cache, agrees with our forward in onnxruntime-node", () => {
    for (const extra of [[], ["--kv-cache"]]) {
      const out = json("export-onnx", "--out", "m.onnx", "--verify", ...extra);
      expect(out["kv_cache"]).toBe(extra.length > 0);
      expect(out["verified_relative_error"]).toBeLessThan(1e-4);
      expect(readFileSync(join(tmp, "m.onnx")).length).toBe(out["bytes"]);
    }
    expect(run("export-onnx", "--verify").code).toBe(2);
  });
  it("help lists the commands", () => {
    const h = run("--help");
    expect(h.code).toBe(0);
    for (const c of ["trace", "inventory", "init", "forward", "causality", "vocab"]) expect(h.stdout).toContain(c);
  });
});
