// The WebAssembly SIMD kernels against the reference kernels: random shapes, odd sizes,
// every transpose, accumulation, offsets, and a whole model forward and backward.

import { describe, expect, it } from "vitest";
import { createWasmKernels, wasmSimdSupported } from "../../src/tensor/kernels-wasm.js";
import { F, jsKernels, noGrad, Rng, setKernels } from "../../src/tensor/index.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { relativeError } from "../helpers.js";

const wasm = createWasmKernels();
const rng = new Rng(17);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

describe("WebAssembly SIMD matmul", () => {
  it("is supported here (Node 20)", () => expect(wasmSimdSupported()).toBe(true));
  const shapes = [[16, 16, 16], [17, 33, 15], [1, 768, 64], [2, 5, 300], [64, 64, 64], [33, 1, 47], [128, 257, 31], [3, 700, 17]];
  for (const [m, k, n] of shapes as [number, number, number][]) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
      it(`[${m}×${k}]·[${k}×${n}] transA=${tA} transB=${tB}, with offsets and accumulation`, () => {
        const a = rand(m * k + 3), b = rand(k * n + 5);
        const want = new Float32Array(m * n + 2), got = new Float32Array(m * n + 2);
        jsKernels.matmul(a, 3, b, 5, want, 1, m, k, n, tA, tB, false);
        wasm.matmul(a, 3, b, 5, got, 1, m, k, n, tA, tB, false);
        expect(relativeError(got, want)).toBeLessThan(1e-5);
        expect([got[0], got[m * n + 1]]).toEqual([0, 0]);
        jsKernels.matmul(a, 3, b, 5, want, 1, m, k, n, tA, tB, true);
        wasm.matmul(a, 3, b, 5, got, 1, m, k, n, tA, tB, true);
        expect(relativeError(got, want)).toBeLessThan(1e-5);
      });
    }
  }
  it("grows its memory for a large product", () => {
    const [m, k, n] = [300, 768, 200];
    const a = rand(m * k), b = rand(k * n);
    const want = new Float32Array(m * n), got = new Float32Array(m * n);
    jsKernels.matmul(a, 0, b, 0, want, 0, m, k, n, false, false, false);
    wasm.matmul(a, 0, b, 0, got, 0, m, k, n, false, false, false);
    expect(relativeError(got, want)).toBeLessThan(1e-5);
  });
  it("a model's logits and gradients match the reference kernels", () => {
    const model = new MiniGPT(LOCKED);
    const ids = [canonicalIds(), canonicalIds().reverse()];
    const targets = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 60);
    const run = (): { logits: Float32Array; grads: Float32Array[] } => {
      const logits = noGrad(() => model.forward(ids)).data as Float32Array;
      model.zeroGrad();
      F.crossEntropy(model.forward(ids), targets).backward();
      return { logits, grads: model.parameters().map((p) => p.grad!.data as Float32Array) };
    };
    const ref = run();
    setKernels(wasm);
    try {
      const fast = run();
      expect(relativeError(fast.logits, ref.logits)).toBeLessThan(1e-5);
      fast.grads.forEach((g, i) => expect(relativeError(g, ref.grads[i]!)).toBeLessThan(1e-4));
    } finally {
      setKernels(null);
    }
  });
});

describe("packed operands kept while frozen", () => {
  it("reuses a packed weight inside withFrozenOperands and forgets it after", () => {
    const [m, k, n] = [3, 256, 300];
    const a = rand(m * k), b = rand(k * n);
    const want = new Float32Array(m * n), got = new Float32Array(m * n);
    jsKernels.matmul(a, 0, b, 0, want, 0, m, k, n, false, true, false);
    wasm.withFrozenOperands!(() => {
      for (let i = 0; i < 3; i++) {
        wasm.matmul(a, 0, b, 0, got, 0, m, k, n, false, true, false);
        expect(relativeError(got, want)).toBeLessThan(1e-5);
      }
    });
    b[7] += 1; // outside the scope operands may change again
    jsKernels.matmul(a, 0, b, 0, want, 0, m, k, n, false, true, false);
    wasm.matmul(a, 0, b, 0, got, 0, m, k, n, false, true, false);
    expect(relativeError(got, want)).toBeLessThan(1e-5);
  });
  it("greedy generation gives the same tokens with either backend", async () => {
    const { generate } = await import("../../src/model/generate.js");
    const model = new MiniGPT({ ...LOCKED, init_std: 0.3, d_model: 128, n_heads: 4, d_ff: 512 });
    const ref = generate(model, [1, 20], { maxNew: 10, temperature: 0 });
    setKernels(wasm);
    try {
      expect(generate(model, [1, 20], { maxNew: 10, temperature: 0 }).ids).toEqual(ref.ids);
    } finally {
      setKernels(null);
    }
  });
});
