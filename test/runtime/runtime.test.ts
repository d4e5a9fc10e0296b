// The inference seam: every operation of the WebAssembly runtime against the plain-TypeScript
// reference on random data (odd widths, GQA, partial rotary, a cache offset), and whole sessions
// on the reference runtime against the tensor forward.

import { beforeAll, describe, expect, it } from "vitest";
import { InferenceSession } from "../../src/model/inference.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { createJsRuntime, createWasmRuntime, type Runtime } from "../../src/runtime/index.js";
import { noGrad, Rng, type KernelFlavour } from "../../src/tensor/index.js";
import { erf } from "../../src/tensor/erf.js";
import { relativeError } from "../helpers.js";
import { describeConfig, randomConfig, randomIds } from "../random-configs.js";

const rng = new Rng(4242);
const rand = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => scale * rng.normal());

/** Run `op` on both runtimes over the same inputs; return both results read from `out` (n floats). */
function both(inputs: Float32Array[], n: number, op: (rt: Runtime, at: number[], out: number) => void): [Float32Array, Float32Array] {
  const results = [createJsRuntime(), createWasmRuntime({ flavour })].map((rt) => {
    const at = inputs.map((x) => rt.put(x));
    const out = rt.alloc(n);
    rt.heap.fill(0, out, out + n);
    op(rt, at, out);
    return rt.heap.slice(out, out + n);
  });
  return [results[0]!, results[1]!];
}

let flavour: KernelFlavour = "strict";
for (const f of ["strict", "fma"] as const) {
  describe(`the runtime seam: WebAssembly (${f}) against the TypeScript reference`, () => {
    beforeAll(() => void (flavour = f));
    it("gemm on packed B, every shape remainder, B transposed or not", () => {
      for (const [m, k, n] of [[1, 1, 1], [3, 17, 33], [8, 64, 64], [5, 300, 20], [2, 7, 50], [3, 300, 520]] as const) {
        for (const transposed of [false, true]) {
          const A = rand(m * k), B = rand(k * n);
          const [js, wasm] = both([A], m * Math.ceil(n / 16) * 16, (rt, [a], c) => rt.gemm(a!, k, rt.pack(B, k, n, transposed), c, m));
          expect(relativeError(wasm, js), `${m}×${k}·${k}×${n}`).toBeLessThan(1e-5);
          // and the reference is the product itself
          const row0 = Array.from({ length: n }, (_, j) => {
            let s = 0;
            for (let p = 0; p < k; p++) s += A[p]! * (transposed ? B[j * k + p]! : B[p * n + j]!);
            return s;
          });
          expect(relativeError(js.subarray(0, n), row0)).toBeLessThan(1e-5);
        }
        // added into C (the residual stream) instead of overwriting it: C's old values plus the product
        const n16 = Math.ceil(n / 16) * 16, A = rand(m * k), B = rand(k * n), C0 = rand(m * n16);
        const [js, wasm] = both([A, C0], m * n16, (rt, [a, c0], c) => {
          rt.heap.copyWithin(c, c0!, c0! + m * n16);
          rt.gemm(a!, k, rt.pack(B, k, n, false), c, m, true);
        });
        const [plain] = both([A], m * n16, (rt, [a], c) => rt.gemm(a!, k, rt.pack(B, k, n, false), c, m));
        expect(relativeError(wasm, js), `${m}×${k}·${k}×${n} accumulating`).toBeLessThan(1e-5);
        expect(relativeError(js, plain.map((x, i) => x + C0[i]!)), `${m}×${k}·${k}×${n}: C + A·B`).toBeLessThan(1e-5);
        // with a bias (n16 floats, zero past n), overwriting and accumulating: added once, whatever
        // the path (row pairs, a lone last row, k past one block of 256)
        const bias = new Float32Array(n16);
        bias.set(rand(n));
        for (const accumulate of [false, true]) {
          const [jb, wb] = both([A, C0, bias], m * n16, (rt, [a, c0, b], c) => {
            if (accumulate) rt.heap.copyWithin(c, c0!, c0! + m * n16);
            rt.gemm(a!, k, rt.pack(B, k, n, false), c, m, accumulate, b!);
          });
          expect(relativeError(wb, jb), `${m}×${k}·${k}×${n} + bias, accumulating ${accumulate}`).toBeLessThan(1e-5);
          const want = plain.map((x, i) => x + bias[i % n16]! + (accumulate ? C0[i]! : 0));
          expect(relativeError(jb, want), `${m}×${k}·${k}×${n}: ${accumulate ? "C + " : ""}A·B + bias`).toBeLessThan(1e-5);
        }
      }
    });
    it("LayerNorm and RMSNorm, odd widths (16 at a time, 4 at a time, one at a time), in place too", () => {
      for (const width of [1, 3, 8, 37, 64, 100]) {
        const x = rand(4 * width, 3), w = rand(width), b = rand(width);
        const [jl, wl] = both([x, w, b], 4 * width, (rt, [xa, wa, ba], out) => rt.layerNorm(xa!, out, wa!, ba!, 4, width, 1e-5));
        expect(relativeError(wl, jl), `layerNorm ${width}`).toBeLessThan(1e-5);
        const [, inPlace] = both([x, w, b], 4 * width, (rt, [xa, wa, ba], out) => {
          rt.heap.copyWithin(out, xa!, xa! + 4 * width);
          rt.layerNorm(out, out, wa!, ba!, 4, width, 1e-5); // a post-LN block normalises the stream where it is
        });
        expect(inPlace, `layerNorm in place ${width}`).toEqual(wl);
        const [jr, wr] = both([x, w], 4 * width, (rt, [xa, wa], out) => rt.rmsNorm(xa!, out, wa!, 4, width, 1e-6));
        expect(relativeError(wr, jr), `rmsNorm ${width}`).toBeLessThan(1e-5);
      }
    });
    it("LayerNorm four rows at a time (widths of whole 16s) gives each row the bits it gets alone", () => {
      for (const width of [16, 64, 768]) {
        const rows = 7, x = rand(rows * width, 3), w = rand(width), b = rand(width); // a group of four, then three alone
        const [js, together] = both([x, w, b], rows * width, (rt, [xa, wa, ba], out) => rt.layerNorm(xa!, out, wa!, ba!, rows, width, 1e-5));
        const [, alone] = both([x, w, b], rows * width, (rt, [xa, wa, ba], out) => {
          for (let r = 0; r < rows; r++) rt.layerNorm(xa! + r * width, out + r * width, wa!, ba!, 1, width, 1e-5);
        });
        expect(Array.from(together), `width ${width}`).toEqual(Array.from(alone));
        expect(relativeError(together, js), `width ${width} against the reference`).toBeLessThan(1e-5);
      }
    });
    it("activations in place, act(0) = 0", () => {
      for (const act of ["gelu", "gelu_tanh", "relu", "silu"] as const) {
        const x = rand(37, 4);
        x[5] = 0;
        const [js, wasm] = both([x], 37, (rt, [a], out) => {
          rt.heap.copyWithin(out, a!, a! + 37);
          rt.activate(out, 37, act);
        });
        expect(relativeError(wasm, js), act).toBeLessThan(2e-6);
        expect(js[5]).toBe(0);
      }
    });
    it("the session's GELU (a rational erf, not training's A&S form) against float64 over a dense range: within 2e-7·max(1, |x|), exact past the clamp, NaN stays NaN", () => {
      const n = 24_003; // the SIMD loop and a scalar tail
      const x = Float32Array.from({ length: n }, (_, i) => -12 + (24 * i) / (n - 1));
      x.set([NaN, 0, -0, 5.5437, -5.5437, 1e4, -1e4, Infinity], 0);
      const rt = createWasmRuntime({ flavour }), at = rt.put(x);
      rt.activate(at, n, "gelu");
      const y = rt.heap.slice(at, at + n);
      let worst = 0;
      x.forEach((v, i) => {
        if (Number.isNaN(v)) return void expect(y[i], `GELU(${v})`).toBeNaN();
        if (v === Infinity) return void expect(y[i]).toBe(Infinity);
        const want = 0.5 * v * (1 + erf(v * Math.SQRT1_2)), err = Math.abs(y[i]! - want) / Math.max(1, Math.abs(v));
        worst = Math.max(worst, err);
        expect(err, `GELU(${v}) = ${y[i]}, float64 ${want}`).toBeLessThanOrEqual(2e-7);
        if (v > 5.5437) expect(y[i]).toBe(v); // erf(x/√2) is 1 in float32 there: GELU(x) = x exactly
      });
      expect(worst).toBeGreaterThan(0); // an approximation, checked against an independent float64 erf
    });
    it("the gate product in place, odd lengths (the SIMD body and the scalar tail)", () => {
      for (const n of [1, 7, 64, 37]) {
        const x = rand(n), y = rand(n);
        const [js, wasm] = both([x, y], n, (rt, [a, b], out) => {
          rt.heap.copyWithin(out, a!, a! + n);
          rt.mul(out, b!, n);
        });
        expect(Array.from(wasm), `mul ${n}`).toEqual(Array.from(js)); // one float32 product each: the same bits
      }
    });
    it("causal attention with grouped key/value heads, from a cache offset", () => {
      for (const [H, Hkv, dh, T0, tq] of [[4, 4, 16, 0, 5], [4, 2, 8, 3, 2], [6, 3, 5, 0, 7], [2, 1, 36, 6, 1]] as const) {
        const D = H * dh, width = D + 2 * Hkv * dh, ld = Math.ceil(width / 16) * 16, rows = T0 + tq;
        const qkv = rand(rows * ld);
        const [js, wasm] = both([qkv], tq * D, (rt, [q], z) => rt.attention(q!, ld, z, D, tq, T0, H, Hkv, dh, 1 / Math.sqrt(dh)));
        expect(relativeError(wasm, js), `H ${H} kv ${Hkv} dh ${dh}`).toBeLessThan(1e-5);
      }
    });
    it("attention as products (several query rows, d_head a multiple of 16): pairs and a lone last row, chunks of 32 queries, keys across 16-key panels, keys read in place and copied (past 64), GQA, an offset; nothing read past the last key", () => {
      // [H, Hkv, dh, T0, tq]: the locked shape; two chunks (32 + 5) with a lone row; an offset and GQA; a pair seeing an odd
      // count of keys (17: a lone key row in Sᵀ); a lone row at an offset; one panel exactly; keys copied (> 64) with GQA, an
      // offset and two chunks; copied, 3 rows
      for (const [H, Hkv, dh, T0, tq] of [[4, 4, 16, 0, 32], [2, 2, 64, 0, 37], [4, 2, 32, 20, 13], [3, 1, 16, 15, 2], [2, 2, 16, 14, 3], [1, 1, 48, 0, 16], [4, 2, 32, 50, 41], [2, 2, 16, 70, 3]] as const) {
        const D = H * dh, width = D + 2 * Hkv * dh, ld = Math.ceil(width / 16) * 16, rows = T0 + tq;
        // the cache's rows past the last position hold NaN: read, they would poison the sums
        const qkv = Float32Array.from({ length: (rows + 5) * ld }, (_, i) => (i < rows * ld ? rng.normal() : NaN));
        const [js, wasm] = both([qkv], tq * D, (rt, [q], z) => rt.attention(q!, ld, z, D, tq, T0, H, Hkv, dh, 1 / Math.sqrt(dh)));
        expect(wasm.every(Number.isFinite), `H ${H} kv ${Hkv} dh ${dh} T0 ${T0} tq ${tq}: finite`).toBe(true);
        expect(relativeError(wasm, js), `H ${H} kv ${Hkv} dh ${dh} T0 ${T0} tq ${tq}`).toBeLessThan(1e-5);
      }
    });
    it("RoPE on all or the first dims of each head, at an offset", () => {
      for (const [dh, rd] of [[16, 16], [16, 4], [6, 2]] as const) {
        const rows = 3, blocks = 5, ld = blocks * dh + 3, P = 10;
        const x = rand(rows * ld), cos = rand(P * rd), sin = rand(P * rd);
        const [js, wasm] = both([x, cos, sin], rows * ld, (rt, [xa, ca, sa], out) => {
          rt.heap.copyWithin(out, xa!, xa! + rows * ld);
          rt.rope(out, ld, rows, blocks, dh, rd, ca!, sa!, 4);
        });
        expect(relativeError(wasm, js), `dh ${dh} rd ${rd}`).toBeLessThan(1e-6);
        expect(Array.from(js.subarray(rd, dh))).toEqual(Array.from(x.subarray(rd, dh))); // dims past rd untouched
      }
    });
    it("row adds with a source, a bias, or both; widths of whole vectors and with a tail", () => {
      for (const width of [20, 19]) {
        const dst = rand(3 * width), src = rand(3 * 24), bias = rand(width);
        for (const [useSrc, useBias] of [[true, true], [true, false], [false, true]] as const) {
          const [js, wasm] = both([dst, src, bias], 3 * width, (rt, [d, s, b], out) => {
            rt.heap.copyWithin(out, d!, d! + 3 * width);
            rt.addRows(out, width, useSrc ? s! : 0, 24, useBias ? b! : 0, 3, width);
          });
          expect(relativeError(wasm, js), `width ${width}`).toBeLessThan(1e-6);
          const last = 3 * width - 1; // the last float of the last row: a tail for width 19
          expect(js[last]).toBeCloseTo(dst[last]! + (useSrc ? src[2 * 24 + width - 1]! : 0) + (useBias ? bias[width - 1]! : 0), 5);
        }
      }
    });
    it("gather: each row the table's row of its id, repeats and the last row too; widths of whole vectors and with a tail", () => {
      for (const width of [64, 19, 3]) {
        const rows = 70, table = rand(rows * width), ids = [5, 0, 69, 5, 33, 1, 68, 69];
        const [js, wasm] = both([table], ids.length * width, (rt, [tb], out) => rt.gather(tb!, rows, ids, width, out));
        const expected = Float32Array.from(ids.flatMap((id) => Array.from(table.subarray(id * width, id * width + width))));
        expect(wasm, `width ${width}`).toEqual(expected); // a copy: the very bits
        expect(js, `width ${width}`).toEqual(expected);
      }
    });
    it("gather: ids past 2²⁴ (where float32 stops holding every whole number) name their own rows", () => {
      const rows = 2 ** 24 + 2;
      for (const rt of [createJsRuntime(), createWasmRuntime({ flavour })]) {
        const table = rt.alloc(rows), out = rt.alloc(2);
        rt.heap[table + rows - 2] = 1;
        rt.heap[table + rows - 1] = 2;
        rt.gather(table, rows, [rows - 1, rows - 2], 1, out);
        expect(Array.from(rt.heap.subarray(out, out + 2)), rt.name).toEqual([2, 1]);
      }
    });
    it("gather: an id that is not a row of the table is a RangeError naming it and its index, and nothing is written", () => {
      for (const rt of [createJsRuntime(), createWasmRuntime({ flavour })]) {
        const table = rt.put(rand(10 * 4)), out = rt.alloc(3 * 4), top = rt.top;
        rt.heap.fill(7, out, out + 12);
        for (const [ids, bad, at] of [[[1, 10, 2], 10, 1], [[0, -1], -1, 1], [[2.5], 2.5, 0], [[3, 4, Number.NaN], Number.NaN, 2]] as const) {
          expect(() => rt.gather(table, 10, ids, 4, out), `${rt.name} ${bad}`).toThrow(new RangeError(`gather: id ${bad} at index ${at} is not a row of the table (rows 0 to 9)`));
          expect(Array.from(rt.heap.subarray(out, out + 12)).every((v) => v === 7), `${rt.name} ${bad}: nothing written`).toBe(true);
          expect(rt.top, `${rt.name}: nothing allocated`).toBe(top);
        }
      }
    });
  });
}

describe("sessions on the reference runtime", () => {
  it("match the tensor forward on the locked model and random configs (every §1 and §8 option), prefill then append", () => {
    const r = new Rng(77);
    for (const c of [LOCKED, ...Array.from({ length: 25 }, () => randomConfig(r))]) {
      const model = new MiniGPT(c);
      const session = new InferenceSession(model, { runtime: createJsRuntime() });
      expect(session.runtime).toBe("js");
      const ids = randomIds(c, r);
      const want = noGrad(() => model.forward(ids)).data;
      expect(relativeError(session.forward(ids), want), describeConfig(c)).toBeLessThan(2e-5);
      if (ids.length > 1) {
        const first = session.forward(ids.slice(0, 1));
        const rest = session.append(ids.slice(1));
        expect(relativeError(Float32Array.from([...first, ...rest]), want), describeConfig(c)).toBeLessThan(2e-5);
      }
    }
  });
});
