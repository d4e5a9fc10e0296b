// Safetensors and checkpoints: round trips, every kind of bad file refused with a clear
// message, and a fuzzer that feeds the reader random and mutated bytes.

import { parseConfig } from "../../src/model/config.js";
import { describe, expect, it } from "vitest";
import { CheckpointError, loadCheckpoint, saveCheckpoint } from "../../src/io/checkpoint.js";
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES, SafetensorsError, widen } from "../../src/io/safetensors.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { noGrad, Rng } from "../../src/tensor/index.js";
import { canonicalIds } from "../../src/train/tokenizer.js";

/** Build a safetensors file by hand (independently of the encoder) from a header object and data bytes. */
function handMade(header: unknown, data: Uint8Array, lengthOverride?: number): Uint8Array {
  const head = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

const f32bytes = (xs: number[]): Uint8Array => new Uint8Array(Float32Array.from(xs).buffer);

describe("safetensors format", () => {
  it("the encoder writes the layout the format defines", () => {
    const bytes = encodeSafetensors([["a", { shape: [2], data: [1.5, -2] }], ["b", { shape: [1, 1], data: [3] }]], { note: "hi" });
    const view = new DataView(bytes.buffer);
    const n = Number(view.getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({
      __metadata__: { note: "hi" },
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [1, 1], data_offsets: [8, 12] },
    });
    expect([view.getFloat32(8 + n, true), view.getFloat32(12 + n, true), view.getFloat32(16 + n, true)]).toEqual([1.5, -2, 3]);
  });
  it("widen with view: aligned F32 bytes are viewed, not copied; unaligned bytes, and F16, are widened into a new array", () => {
    const bytes = f32bytes([1.5, -2, 3]);
    const viewed = widen(bytes, "F32", true);
    expect(viewed.buffer).toBe(bytes.buffer);
    expect(Array.from(viewed)).toEqual([1.5, -2, 3]);
    expect(widen(bytes, "F32").buffer).not.toBe(bytes.buffer);
    const shifted = new Uint8Array(14);
    shifted.set(bytes, 2);
    const odd = widen(shifted.subarray(2), "F32", true);
    expect(odd.buffer).not.toBe(shifted.buffer);
    expect(Array.from(odd)).toEqual([1.5, -2, 3]);
    const half = new Uint8Array([0x00, 0x3c, 0x00, 0xc0]); // F16 1 and −2
    expect(Array.from(widen(half, "F16", true))).toEqual([1, -2]);
  });
  it("reads a hand-made file, in any header order", () => {
    const file = handMade({ y: { dtype: "F32", shape: [1], data_offsets: [8, 12] }, x: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, f32bytes([1, 2, 3]));
    const { tensors } = decodeSafetensors(file);
    expect(Array.from(tensors.get("x")!.data)).toEqual([1, 2]);
    expect(Array.from(tensors.get("y")!.data)).toEqual([3]);
  });
  const bad: [string, Uint8Array, RegExp][] = [
    ["fewer than 8 bytes", new Uint8Array(5), /truncated: 5 bytes/],
    ["an oversized header", handMade({}, new Uint8Array(0), MAX_HEADER_BYTES + 1), /exceeds the 100000000-byte limit/],
    ["a header longer than the file", handMade({}, new Uint8Array(0), 400), /truncated: the header claims 400 bytes/],
    ["a header that is not JSON", handMade("{nope", new Uint8Array(0)), /not valid UTF-8 JSON/],
    ["a header that is a list", handMade([1, 2], new Uint8Array(0)), /not a JSON object/],
    ["a wrong dtype", handMade({ x: { dtype: "I8", shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)), /dtype "I8" is not supported/],
    ["a shape that does not match its bytes", handMade({ x: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes but data_offsets span 8/],
    ["a negative shape", handMade({ x: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, new Uint8Array(0)), /not a list of non-negative integers/],
    ["data cut short", handMade({ x: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /truncated: tensor "x" ends at byte 16/],
    ["a hole between tensors", handMade({ x: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /starts at byte 4 but the previous tensor ends at 0/],
    ["overlapping tensors", handMade({ x: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, y: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /overlap or hole/],
    ["trailing bytes", handMade({ x: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(12)), /8 bytes after the last tensor/],
    ["non-string metadata", handMade({ __metadata__: { step: 3 } }, new Uint8Array(0)), /__metadata__\.step is not a string/],
  ];
  for (const [what, bytes, message] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => decodeSafetensors(bytes, "f.safetensors")).toThrow(SafetensorsError);
      expect(() => decodeSafetensors(bytes, "f.safetensors")).toThrow(message);
    });
  }
});

describe("checkpoints", () => {
  const model = new MiniGPT(LOCKED);
  const bytes = saveCheckpoint(model, { step: "0" });

  it("round-trip: same config, same weights, same logits, metadata kept", () => {
    const loaded = loadCheckpoint(bytes);
    expect(loaded.config).toEqual(LOCKED);
    expect(loaded.metadata["step"]).toBe("0");
    expect(JSON.parse(loaded.metadata["config"]!)).toMatchObject({ d_model: 64, positional: "rope" });
    const ids = canonicalIds();
    expect(Array.from(noGrad(() => loaded.model.forward(ids)).data)).toEqual(Array.from(noGrad(() => model.forward(ids)).data));
  });
  it("adopt: the weights are views on the file's bytes (no copy), the same values; without it, copies the bytes cannot change; unaligned bytes are copied", () => {
    const own = bytes.slice();
    const adopted = loadCheckpoint(own, "checkpoint", { adopt: true }).model;
    const copied = loadCheckpoint(own).model;
    const pairs = adopted.namedParameters().map(([name, t], i) => [name, t, copied.namedParameters()[i]![1]] as const);
    for (const [name, a, c] of pairs) {
      expect(a.data.buffer, name).toBe(own.buffer);
      expect(c.data.buffer).not.toBe(own.buffer);
      expect(Array.from(a.data)).toEqual(Array.from(c.data));
    }
    const ids = canonicalIds();
    expect(Array.from(noGrad(() => adopted.forward(ids)).data)).toEqual(Array.from(noGrad(() => model.forward(ids)).data));
    // write a float into the file's bytes where W_E's first value is: the adopted model sees it, the copy does not
    const [, aE, cE] = pairs.find(([name]) => name === "embed.W_E")!;
    const before = cE.data[0]!;
    new DataView(own.buffer).setFloat32(aE.data.byteOffset, 123.5, true);
    expect(aE.data[0]).toBe(123.5);
    expect(cE.data[0]).toBe(before);
    // bytes that start 2 past an aligned address cannot be viewed as floats: copied, the same values
    const shifted = new Uint8Array(bytes.length + 2);
    shifted.set(bytes, 2);
    const odd = loadCheckpoint(shifted.subarray(2), "checkpoint", { adopt: true }).model;
    odd.namedParameters().forEach(([name, t], i) => {
      expect(t.data.buffer, name).not.toBe(shifted.buffer);
      expect(Array.from(t.data)).toEqual(Array.from(copied.namedParameters()[i]![1].data));
    });
  });
  it("the same model gives the same bytes", () => {
    expect(Buffer.from(saveCheckpoint(new MiniGPT(LOCKED), { step: "0" })).equals(Buffer.from(bytes))).toBe(true);
  });
  it("refuses a file without config metadata", () => {
    const f = encodeSafetensors([...model.stateDict()].map(([k, t]) => [k, t]));
    expect(() => loadCheckpoint(f, "x.safetensors")).toThrow(/x\.safetensors: no "config" in __metadata__/);
  });
  it("refuses an invalid config in the metadata", () => {
    const f = encodeSafetensors([], { config: JSON.stringify({ ...LOCKED, d_model: 63 }) });
    expect(() => loadCheckpoint(f, "x")).toThrow(/d_model = 63 is not divisible by n_heads = 4/);
  });
  it("refuses a missing tensor, an extra tensor, a wrong shape", () => {
    const entries = [...model.stateDict()].map(([k, t]) => [k, { shape: t.shape as number[], data: t.data }] as [string, { shape: number[]; data: Float32Array }]);
    const meta = { config: JSON.stringify(LOCKED) };
    expect(() => loadCheckpoint(encodeSafetensors(entries.slice(1), meta))).toThrow(/missing tensor "embed\.W_E" \[64, 64\]/);
    expect(() => loadCheckpoint(encodeSafetensors([...entries, ["extra", { shape: [1], data: Float32Array.of(1) }]], meta))).toThrow(/unexpected tensor "extra"/);
    const wrong = entries.map(([k, v]): [string, { shape: number[]; data: Float32Array }] => [k, k === "ln_final.w" ? { shape: [8, 8], data: v.data } : v]);
    expect(() => loadCheckpoint(encodeSafetensors(wrong, meta))).toThrow(/"ln_final\.w" has shape \[8, 8\], expected \[64\]/);
  });
  it("refuses non-finite weights, naming the tensor", () => {
    const m = new MiniGPT(LOCKED);
    m.blocks[1]!.mlp!.W_in.data[5] = NaN;
    expect(() => loadCheckpoint(saveCheckpoint(m), "nan.safetensors")).toThrow(/"blocks\.1\.mlp\.W_in" holds NaN at index 5/);
    const [name, last] = [...new MiniGPT(LOCKED).namedParameters()].at(-1)!;
    for (const bad of [Infinity, -Infinity]) {
      const n = new MiniGPT(LOCKED);
      const t = new Map(n.namedParameters()).get(name)!;
      t.data[t.data.length - 1] = bad; // the very last value of the last tensor
      expect(() => loadCheckpoint(saveCheckpoint(n), "inf.safetensors")).toThrow(`"${name}" holds ${bad} at index ${last.data.length - 1}`);
    }
  });
  it("refuses every truncation of a real checkpoint", () => {
    for (const cut of [0, 7, 8, 100, 500, bytes.length - 4, bytes.length - 1]) {
      expect(() => loadCheckpoint(bytes.subarray(0, cut), "cut")).toThrow(CheckpointError);
    }
  });
});

describe("fuzzing the reader", () => {
  const clean = saveCheckpoint(new MiniGPT(parseConfig({ d_model: 8, n_heads: 2, d_ff: 8, vocab_size: 8, n_layers: 1 }, LOCKED)));
  const rng = new Rng(4242);
  const onlyClearErrors = (f: () => unknown): void => {
    try {
      f();
    } catch (err) {
      if (!(err instanceof CheckpointError)) throw err;
      expect((err as Error).message.length).toBeGreaterThan(10);
    }
  };
  it("2,000 random byte strings: refused with a CheckpointError, nothing else", () => {
    for (let i = 0; i < 2000; i++) {
      const n = rng.int(i % 2 === 0 ? 64 : 4096);
      const b = new Uint8Array(n);
      for (let j = 0; j < n; j++) b[j] = rng.int(256);
      if (n >= 8 && i % 3 === 0) new DataView(b.buffer).setBigUint64(0, BigInt(rng.int(n)), true); // plausible lengths
      onlyClearErrors(() => loadCheckpoint(b, "fuzz"));
    }
  });
  it("2,000 mutations of a valid checkpoint: loaded whole or refused with a CheckpointError", () => {
    for (let i = 0; i < 2000; i++) {
      const b = clean.slice();
      const flips = 1 + rng.int(4);
      for (let f = 0; f < flips; f++) b[rng.int(Math.min(b.length, i % 2 === 0 ? 400 : b.length))] = rng.int(256);
      onlyClearErrors(() => loadCheckpoint(b, "mutant"));
    }
  });
});
