// The WebAssembly SIMD kernels against the reference kernels: random shapes, odd sizes,
// every transpose, accumulation, offsets, and a whole model forward and backward — for both
// flavours of the kernels (strict mul + add, and fused multiply-add).

import { parseConfig } from "../../src/model/config.js";
import { describe, expect, it } from "vitest";
import { createWasmKernels } from "../../src/tensor/kernels-wasm.js";
import { Arena, attentionScratchFloats, instantiateKernels, relaxedSimdSupported, wasmSimdSupported } from "../../src/tensor/wasm-module.js";
import { F, jsKernels, kernels, noGrad, Rng, setKernels } from "../../src/tensor/index.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { erf as erf64 } from "../../src/tensor/erf.js";
import { relativeError } from "../helpers.js";

const rng = new Rng(17);
const rand = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

it("relaxed SIMD is on (test/setup.ts turns it on as bin/minigpt does)", () => expect(relaxedSimdSupported()).toBe(true));

it("MiniGPT.pinWeights: the model's own weights stay packed in the WebAssembly backend until released", () => {
  const before = kernels();
  setKernels(createWasmKernels());
  try {
    const model = new MiniGPT(parseConfig({ d_model: 256, n_heads: 4, d_ff: 1024, vocab_size: 64, context_len: 8 }, LOCKED)); // products large enough to be packed
    const ids = [1, 5, 9, 2];
    const logits = (): number[] => Array.from(noGrad(() => model.forward(ids)).data);
    const fresh = logits();
    const release = model.pinWeights();
    expect(logits()).toEqual(fresh);
    model.blocks[0]!.mlp!.W_in.data[0] += 10; // a broken promise: the packed copy is what the forward reads
    expect(logits()).toEqual(fresh);
    release();
    expect(logits()).not.toEqual(fresh); // released: the changed weight is read
  } finally {
    setKernels(before);
  }
});

describe("the two flavours", () => {
  // a·b + c with a = b = 1 + 2⁻¹², c = −(1 + 2⁻¹¹): the exact a·b is 1 + 2⁻¹¹ + 2⁻²⁴, which rounds
  // to 1 + 2⁻¹¹ in float32, so mul then add gives 0 and a fused multiply-add gives 2⁻²⁴.
  function fusedProbe(flavour: "strict" | "fma"): number[] {
    const k = instantiateKernels(undefined, flavour), arena = new Arena(k.memory);
    const a = arena.put([1 + 2 ** -12, 1 + 2 ** -12]), b = arena.put([1 + 2 ** -12, ...new Array<number>(15).fill(0)]);
    const bp = arena.alloc(16), c = arena.put(new Array<number>(32).fill(-(1 + 2 ** -11)));
    k.packB(b * 4, bp * 4, 1, 16, 16, 0);
    k.gemm(a * 4, 4, bp * 4, c * 4, 2, 1, 16, 1, 0, 16, 0); // the 2×16 tile, accumulating
    return [arena.heap[c]!, arena.heap[c + 16]!];
  }
  it("strict rounds the product before the sum; fma rounds once (this machine has FMA)", () => {
    expect(fusedProbe("strict")).toEqual([0, 0]);
    expect(fusedProbe("fma")).toEqual([2 ** -24, 2 ** -24]);
  });
  it("each flavour is deterministic: the same bits on every run", () => {
    const a = rand(37 * 300), b = rand(300 * 70);
    for (const flavour of ["strict", "fma"] as const) {
      const once = (): Float32Array => {
        const c = new Float32Array(37 * 70);
        createWasmKernels({ flavour }).matmul(a, 0, b, 0, c, 0, 37, 300, 70, false, false, false);
        return c;
      };
      expect(once()).toEqual(once());
    }
  });
});

for (const flavour of ["strict", "fma"] as const) describe(`${flavour} kernels`, () => {
  const wasm = createWasmKernels({ flavour });
  describe("WebAssembly SIMD matmul", () => {
    it("is supported here (Node 20)", () => expect(wasmSimdSupported()).toBe(true));
    const shapes = [[16, 16, 16], [17, 33, 15], [1, 768, 64], [2, 5, 300], [64, 64, 64], [33, 1, 47], [128, 257, 31], [3, 700, 17], [259, 300, 40], [3, 300, 520]];
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
    it("a batch of products (repeated A, B and C blocks, transposes, accumulation) gives the bits of one matmul per entry", () => {
      for (const [m, k, n] of [[32, 16, 32], [8, 64, 16], [5, 33, 17]] as const) {
        for (const [tA, tB, acc] of [[false, false, false], [false, true, false], [true, false, true], [false, true, true]] as const) {
          const a = rand(3 * m * k), b = rand(4 * k * n), c0 = rand(2 * m * n);
          const aOffs = [0, m * k, 2 * m * k, 0, m * k, 2 * m * k], bOffs = [0, 0, k * n, 2 * k * n, 3 * k * n, 3 * k * n];
          const cOffs = acc ? [0, m * n, 0, m * n, 0, m * n] : [0, m * n, 2 * m * n, 3 * m * n, 4 * m * n, 5 * m * n];
          const want = acc ? Float32Array.from(c0) : new Float32Array(6 * m * n), got = Float32Array.from(want);
          for (let i = 0; i < 6; i++) wasm.matmul(a, aOffs[i]!, b, bOffs[i]!, want, cOffs[i]!, m, k, n, tA, tB, acc);
          wasm.matmulBatch!(a, aOffs, b, bOffs, got, cOffs, m, k, n, tA, tB, acc);
          expect(Array.from(got), `${m}×${k}×${n} ${tA} ${tB} ${acc}`).toEqual(Array.from(want));
          const ref = acc ? Float32Array.from(c0) : new Float32Array(6 * m * n);
          for (let i = 0; i < 6; i++) jsKernels.matmul(a, aOffs[i]!, b, bOffs[i]!, ref, cOffs[i]!, m, k, n, tA, tB, acc);
          expect(relativeError(got, ref)).toBeLessThan(1e-5);
        }
      }
    });
    it("the lone-row (decode) tile sums in the same order as the row-pair tile: the same bits for any k", () => {
      for (const k of [1, 7, 256, 300, 768]) {
        const n = 80, row = rand(k), b = rand(k * n);
        const lone = new Float32Array(n), paired = new Float32Array(2 * n);
        wasm.matmul(row, 0, b, 0, lone, 0, 1, k, n, false, false, false); // m = 1: the 1×32 tile (and a 2×16 for the last 16 columns)
        const two = new Float32Array(2 * k);
        two.set(row, 0);
        two.set(row, k);
        wasm.matmul(two, 0, b, 0, paired, 0, 2, k, n, false, false, false); // m = 2: the 2×16 tile
        expect(Array.from(lone), `k ${k}`).toEqual(Array.from(paired.subarray(0, n)));
      }
    });
    it("attention stays inside the scratch attentionScratchFloats gives it and reads none it has not written", () => {
      const k = instantiateKernels(undefined, flavour), arena = new Arena(k.memory), GUARD = 64;
      // [H, Hkv, dh, pos0, tq]: the locked prefill; keys copied (past 64) with GQA and a lone row; two chunks at an offset; a pair; a decode row; dh 20 row by row
      for (const [H, Hkv, dh, pos0, tq] of [[4, 4, 16, 0, 32], [2, 1, 64, 70, 13], [3, 3, 32, 5, 40], [1, 1, 16, 0, 2], [4, 2, 16, 30, 1], [2, 2, 20, 3, 9]] as const) {
        const D = H * dh, ld = Math.ceil((D + 2 * Hkv * dh) / 16) * 16, n = pos0 + tq, floats = attentionScratchFloats(n, dh);
        const qkv = arena.put(rand(n * ld)), z = arena.alloc(tq * D), scratch = arena.alloc(floats + GUARD);
        const run = (fill: number): Float32Array => {
          arena.heap.fill(fill, scratch, scratch + floats);
          arena.heap.fill(12345, scratch + floats, scratch + floats + GUARD);
          k.attention(qkv * 4, ld * 4, z * 4, D * 4, tq, pos0, H, Hkv, dh, 0.25, scratch * 4, 0, H);
          expect(arena.heap.subarray(scratch + floats, scratch + floats + GUARD).every((v) => v === 12345), `H ${H} dh ${dh} pos0 ${pos0} tq ${tq}: past the scratch`).toBe(true);
          return arena.heap.slice(z, z + tq * D);
        };
        const poisoned = run(Number.NaN); // a read of scratch it did not write would poison the sums
        expect(poisoned.every(Number.isFinite), `H ${H} dh ${dh} pos0 ${pos0} tq ${tq}: finite`).toBe(true);
        expect(Array.from(run(0))).toEqual(Array.from(poisoned));
      }
    });
    it("elementwise add, sub, mul, div — same shape, a bias row, one value — give the reference's bits (one IEEE operation each)", () => {
      const shape = [8, 33, 37] as const, size = 8 * 33 * 37; // past the size where SIMD pays; 37: a scalar tail per row
      const a = rand(size), full = rand(size), row = rand(37), one = rand(1);
      full[5] = 0; // a division by zero: ±∞ in both
      const cases: [Float32Array, number[]][] = [[full, [33 * 37, 37, 1]], [row, [0, 0, 1]], [one, [0, 0, 0]]];
      for (const op of ["add", "sub", "mul", "div"] as const) {
        for (const [b, bStrides] of cases) {
          const want = new Float32Array(size), got = new Float32Array(size);
          jsKernels.binary(op, a, [33 * 37, 37, 1], b, bStrides, want, shape);
          wasm.binary(op, a, [33 * 37, 37, 1], b, bStrides, got, shape);
          expect(Array.from(got), `${op} b ${b.length}`).toEqual(Array.from(want));
        }
      }
    });
    it("RoPE forward and transpose match the reference (strict: its bits), and tables the kernel cannot read go to it", () => {
      const T = 9, d = 16, planes = 6, x = rand(planes * T * d);
      const half = (t: Float32Array): Float32Array => t.map((_, i) => t[Math.floor(i / d) * d + (i % d) % (d / 2)]!); // c[i] = c[i + d/2]
      const c = half(rand(T * d)), s = half(rand(T * d)), skew = rand(T * d); // skew: not rotate-half
      for (const [cos, sin] of [[c, s], [c, skew]] as const) {
        for (const transpose of [false, true]) {
          const want = new Float32Array(x.length), got = new Float32Array(x.length);
          jsKernels.rope(x, cos, sin, T, d, want, transpose);
          wasm.rope(x, cos, sin, T, d, got, transpose);
          if (flavour === "strict" || sin === skew) expect(Array.from(got), `transpose ${transpose}`).toEqual(Array.from(want));
          else expect(relativeError(got, want)).toBeLessThan(1e-6);
        }
      }
    });
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
    it("keeps a pinned weight packed across calls until released, and only pinned ones", () => {
      const k2 = createWasmKernels(); // its own arena: pins here do not touch the other tests' kernels
      const [m, k, n] = [4, 256, 272];
      const a = rand(m * k), w = rand(k * n), other = rand(k * n);
      const product = (b: Float32Array): Float32Array => {
        const c = new Float32Array(m * n);
        k2.matmul(a, 0, b, 0, c, 0, m, k, n, false, false, false);
        return c;
      };
      const fresh = product(w);
      const release = k2.pin!([w]);
      expect(Array.from(product(w))).toEqual(Array.from(fresh)); // packed now: the same bits
      w[5] += 1; // breaking the promise shows the packed copy is what is read
      expect(Array.from(product(w))).toEqual(Array.from(fresh));
      const otherBefore = product(other);
      other[3] += 1; // not pinned: read afresh every time, even while something is pinned
      expect(Array.from(product(other))).not.toEqual(Array.from(otherBefore));
      k2.withFrozenOperands!(() => product(other)); // packed for the scope only…
      other[9] += 1;
      const afterScope = product(other);
      k2.withFrozenOperands!(() => expect(Array.from(product(other))).toEqual(Array.from(afterScope))); // …not served stale by a later scope
      release();
      release(); // a second release is nothing
      const want = new Float32Array(m * n);
      jsKernels.matmul(a, 0, w, 0, want, 0, m, k, n, false, false, false);
      expect(relativeError(product(w), want)).toBeLessThan(1e-5); // released: the changed weight is read
    });
    it("frozen scopes while a model is pinned do not grow the memory: a scope's panels go with it", () => {
      const k2 = createWasmKernels();
      const [m, k, n] = [4, 512, 512]; // 1 MiB of panels per product
      const a = rand(m * k), w = rand(k * n), other = rand(k * n), c = new Float32Array(m * n), want = new Float32Array(m * n);
      const release = k2.pin!([w]);
      k2.matmul(a, 0, w, 0, c, 0, m, k, n, false, false, false); // the pinned weight packed, below any scope
      const scope = (): void => void k2.withFrozenOperands!(() => {
        k2.matmul(a, 0, other, 0, c, 0, m, k, n, false, false, false);
        k2.matmul(a, 0, w, 0, c, 0, m, k, n, false, false, false);
      });
      scope();
      const before = process.memoryUsage().rss;
      for (let i = 0; i < 60; i++) scope(); // 60 MiB of panels if each scope's stayed
      expect(process.memoryUsage().rss - before).toBeLessThan(24 * 2 ** 20); // the wasm memory is not an arrayBuffer Node counts; its pages are resident
      other[1] += 1; // and a scope never serves another scope's packed copy
      k2.withFrozenOperands!(() => k2.matmul(a, 0, other, 0, c, 0, m, k, n, false, false, false));
      jsKernels.matmul(a, 0, other, 0, want, 0, m, k, n, false, false, false);
      expect(relativeError(c, want)).toBeLessThan(1e-5);
      release();
    });
    it("greedy generation gives the same tokens with either backend", async () => {
      const { generate } = await import("../../src/model/generate.js");
      const model = new MiniGPT(parseConfig({ init_std: 0.3, d_model: 128, n_heads: 4, d_ff: 512 }, LOCKED));
      const ref = generate(model, [1, 20], { maxNew: 10, temperature: 0 });
      setKernels(wasm);
      try {
        expect(generate(model, [1, 20], { maxNew: 10, temperature: 0 }).ids).toEqual(ref.ids);
      } finally {
        setKernels(null);
      }
    });
  });

  describe("WebAssembly SIMD row and elementwise kernels", () => {
    // [rows, width]: odd widths exercise the scalar tails; every case is above the size where the
    // backend hands small operands back to the reference.
    const shapes = [[13, 7], [5, 33], [32, 64], [65, 1], [2, 768], [64, 3], [3, 50]] as const;
    const close = (got: Float32Array, want: Float32Array, tol = 2e-6): void => expect(relativeError(got, want)).toBeLessThan(tol);
    for (const [rows, width] of shapes) {
      const n = rows * width;
      it(`LayerNorm forward and backward, [${rows}, ${width}]`, () => {
        const x = rand(n).map((v, i) => v * 3 + (i % width)), w = rand(width), b = rand(width), g = rand(n);
        const run = (k: typeof wasm): Float32Array[] => {
          const out = new Float32Array(n), xhat = new Float32Array(n), rstd = new Float32Array(rows);
          k.layerNorm(x, w, b, 1e-5, width, out, xhat, rstd);
          const dx = new Float32Array(n), dw = Float32Array.from(w), db = Float32Array.from(b); // accumulated into
          k.layerNormBackward(g, w, xhat, rstd, width, dx, dw, db);
          return [out, xhat, rstd, dx, dw, db];
        };
        const want = run(jsKernels), got = run(wasm);
        // dx subtracts two means (a little cancellation); dw and db are sums over the rows, taken in
        // another order (64 rows of a width-3 norm: 2.5e-6 seen on one draw)
        got.forEach((v, i) => close(v, want[i]!, i === 3 ? 2e-5 : i >= 4 ? 1e-5 : 2e-6));
      });
      it(`softmax forward and backward, [${rows}, ${width}]`, () => {
        const x = rand(n).map((v) => v * 4), g = rand(n);
        const run = (k: typeof wasm): Float32Array[] => {
          const y = new Float32Array(n), dx = new Float32Array(n);
          k.softmax(x, width, y);
          k.softmaxBackward(g, y, width, dx);
          return [y, dx];
        };
        const want = run(jsKernels), got = run(wasm);
        got.forEach((v, i) => close(v, want[i]!, 1e-5));
      });
      it(`GELU (exact and tanh) forward and backward, ${n} elements`, () => {
        const x = rand(n).map((v) => v * 3), g = rand(n);
        for (const approximate of [false, true]) {
          const run = (k: typeof wasm): Float32Array[] => {
            const y = new Float32Array(n), dx = new Float32Array(n);
            k.gelu(x, approximate, y);
            k.geluBackward(g, x, approximate, dx);
            return [y, dx];
          };
          const want = run(jsKernels), got = run(wasm);
          got.forEach((v, i) => close(v, want[i]!, 1e-5));
        }
      });
    }
    it("softmax against float64: masked −∞ scores weigh exactly 0, large and tiny logits stay finite", () => {
      const width = 9, rows = 12;
      const x = new Float32Array(rows * width);
      for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) x[r * width + i] = i > r ? -Infinity : (r - 6) * 15 + Math.sin(i) * (r + 1) * 10;
      const y = new Float32Array(x.length);
      wasm.softmax(x, width, y);
      for (let r = 0; r < rows; r++) {
        const row = Array.from(x.subarray(r * width, r * width + width));
        const m = Math.max(...row), z = row.reduce((s, v) => s + Math.exp(v - m), 0);
        for (let i = 0; i < width; i++) {
          const want = Math.exp(row[i]! - m) / z, got = y[r * width + i]!;
          if (i > r) expect(got).toBe(0);
          // float32 rounds x − max: a relative error of about |x − max|·2⁻²³ on top of exp's own
          else expect(Math.abs(got - want)).toBeLessThanOrEqual((1e-6 + Math.abs(row[i]! - m) * 1.2e-7) * want + 1e-38);
        }
      }
    });
    it("GELU against float64 over a wide range, and NaN stays NaN (so training can stop on it)", () => {
      const x = Float32Array.from({ length: 400 }, (_, i) => (i - 200) / 10);
      x[7] = NaN;
      x[8] = 1e4;
      x[9] = -1e4;
      const y = new Float32Array(x.length);
      wasm.gelu(x, false, y);
      const phi = (v: number): number => 0.5 * (1 + erf64(v / Math.SQRT2));
      x.forEach((v, i) => {
        if (Number.isNaN(v)) expect(y[i]).toBeNaN();
        else expect(Math.abs(y[i]! - v * phi(v))).toBeLessThanOrEqual(3e-7 * Math.max(1, Math.abs(v)));
      });
    });
    it("float64 data stays on the exact reference kernels", () => {
      const x = Float64Array.from({ length: 256 }, (_, i) => (i - 128) / 16);
      const want = new Float64Array(256), got = new Float64Array(256);
      jsKernels.gelu(x, false, want);
      wasm.gelu(x, false, got);
      expect(Array.from(got)).toEqual(Array.from(want));
    });
  });
});
