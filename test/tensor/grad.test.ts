// Finite-difference gradient checks for every primitive op and every composed function.

import { describe, expect, it } from "vitest";
import { F, ops, Rng } from "../../src/tensor/index.js";
import { gradCheck, randn } from "../helpers.js";

const rng = new Rng(123);

describe("primitive ops match finite differences (float64)", () => {
  it("add / sub / mul / div with broadcasting", () => {
    const a = randn([2, 3, 4], rng);
    const b = randn([3, 1], rng);
    gradCheck(([x, y]) => ops.add(x!, y!), [a, b]);
    gradCheck(([x, y]) => ops.sub(x!, y!), [a, b]);
    gradCheck(([x, y]) => ops.mul(x!, y!), [a, b]);
    const pos = randn([4], rng);
    for (let i = 0; i < pos.size; i++) pos.data[i] = 1 + Math.abs(pos.data[i]!);
    gradCheck(([x, y]) => ops.div(x!, y!), [a, pos]);
  });
  it("unary: neg, exp, log, sqrt, tanh, erf, abs", () => {
    const x = randn([3, 5], rng);
    const pos = randn([3, 5], rng);
    for (let i = 0; i < pos.size; i++) pos.data[i] = 0.5 + Math.abs(pos.data[i]!);
    gradCheck(([t]) => ops.neg(t!), [x]);
    gradCheck(([t]) => ops.exp(t!), [x]);
    gradCheck(([t]) => ops.log(t!), [pos]);
    gradCheck(([t]) => ops.sqrt(t!), [pos]);
    gradCheck(([t]) => ops.tanh(t!), [x]);
    gradCheck(([t]) => ops.erf(t!), [x]);
    gradCheck(([t]) => ops.abs(t!), [pos]);
  });
  it("sum, mean and max over an axis", () => {
    const x = randn([2, 3, 4], rng);
    for (const axis of [0, 1, 2, -1]) {
      gradCheck(([t]) => ops.sum(t!, axis, true), [x]);
      gradCheck(([t]) => ops.mean(t!, axis), [x]);
      gradCheck(([t]) => ops.max(t!, axis), [x]);
    }
    gradCheck(([t]) => ops.sum(t!), [x]);
  });
  it("batched matmul with broadcast batches and every transpose", () => {
    const a = randn([2, 1, 3, 4], rng);
    const b = randn([3, 4, 5], rng);
    gradCheck(([x, y]) => ops.matmul(x!, y!), [a, b]);
    const at = randn([3, 4, 3], rng);
    const bt = randn([5, 4], rng);
    gradCheck(([x, y]) => ops.matmul(x!, y!, true, false), [at, b]);
    gradCheck(([x, y]) => ops.matmul(x!, y!, false, true), [randn([2, 3, 4], rng), bt]);
    gradCheck(([x, y]) => ops.matmul(x!, y!, true, true), [randn([4, 3], rng), bt]);
  });
  it("reshape, permute, slice, concat", () => {
    const x = randn([2, 3, 4], rng);
    gradCheck(([t]) => ops.reshape(t!, [6, 4]), [x]);
    gradCheck(([t]) => ops.permute(t!, [2, 0, 1]), [x]);
    gradCheck(([t]) => ops.slice(t!, 1, 1, 3), [x]);
    gradCheck(([t, u]) => ops.concat([t!, u!], 2), [x, randn([2, 3, 2], rng)]);
  });
  it("gather (embedding), pick (target logit), maskedFill", () => {
    const table = randn([5, 3], rng);
    gradCheck(([t]) => ops.gather(t!, Int32Array.from([4, 0, 4, 2]), [2, 2]), [table]);
    gradCheck(([t]) => ops.pick(t!, Int32Array.from([1, 0, 2])), [randn([3, 3], rng)]);
    const keep = Uint8Array.from([1, 0, 1, 1]);
    gradCheck(([t]) => ops.maskedFill(t!, keep, [2, 2], -5), [randn([3, 2, 2], rng)]);
  });
});

describe("composed functions match finite differences (float64)", () => {
  it("softmax, logSoftmax", () => {
    const x = randn([3, 6], rng);
    gradCheck(([t]) => F.softmax(t!), [x]);
    gradCheck(([t]) => F.logSoftmax(t!), [x]);
  });
  it("layerNorm through input, gain and bias", () => {
    gradCheck(([x, w, b]) => F.layerNorm(x!, w!, b!, 1e-5), [randn([2, 3, 8], rng), randn([8], rng), randn([8], rng)]);
  });
  it("GELU exact and tanh", () => {
    const x = randn([4, 7], rng, 2);
    gradCheck(([t]) => F.gelu(t!), [x]);
    gradCheck(([t]) => F.geluTanh(t!), [x]);
  });
  it("RoPE", () => {
    const cos = randn([3, 4], rng);
    const sin = randn([3, 4], rng);
    cos.requiresGrad = false;
    sin.requiresGrad = false;
    gradCheck(([t]) => F.rope(t!, cos, sin), [randn([2, 3, 4], rng), cos, sin]);
  });
  it("cross-entropy with an ignored target", () => {
    gradCheck(([t]) => F.crossEntropy(t!, Int32Array.from([2, 0, 9, 4]), 9), [randn([2, 2, 5], rng)]);
  });
});

describe("expand", () => {
  it("broadcasts forward and sums back", () => {
    gradCheck(([t]) => ops.expand(t!, [3, 2, 4]), [randn([2, 1], rng)]);
  });
});

describe("fused ops equal their compositions (values and gradients)", () => {
  const pairs: [string, (xs: import("../../src/tensor/index.js").Tensor[]) => import("../../src/tensor/index.js").Tensor, (xs: import("../../src/tensor/index.js").Tensor[]) => import("../../src/tensor/index.js").Tensor, number[][]][] = [
    ["softmax", ([x]) => F.softmax(x!), ([x]) => F.softmaxComposed(x!), [[3, 7]]],
    ["layerNorm", ([x, w, b]) => F.layerNorm(x!, w!, b!, 1e-5), ([x, w, b]) => F.layerNormComposed(x!, w!, b!, 1e-5), [[2, 3, 8], [8], [8]]],
    ["gelu", ([x]) => F.gelu(x!), ([x]) => F.geluComposed(x!), [[5, 6]]],
    ["geluTanh", ([x]) => F.geluTanh(x!), ([x]) => F.geluTanhComposed(x!), [[5, 6]]],
  ];
  it("rope: the same bits as its composition in float32 (values and gradients), and in float64", () => {
    for (const dtype of ["f32", "f64"] as const) {
      const x = ops.tensor(randn([2, 3, 5, 8], rng, 1.5).data, [2, 3, 5, 8], dtype);
      const cos = ops.tensor(randn([5, 8], rng).data, [5, 8], dtype), sin = ops.tensor(randn([5, 8], rng).data, [5, 8], dtype);
      x.requiresGrad = true;
      const g = ops.tensor(randn([2, 3, 5, 8], rng).data, [2, 3, 5, 8], dtype);
      const run = (f: typeof F.rope): [number[], number[]] => {
        x.grad = null;
        const y = f(x, cos, sin);
        ops.sum(ops.mul(y, g)).backward();
        return [Array.from(y.data), Array.from(x.grad!.data)];
      };
      expect(run(F.rope)).toEqual(run(F.ropeComposed));
    }
    expect(() => F.rope(randn([2, 4, 8], rng), randn([3, 8], rng), randn([3, 8], rng))).toThrow(/needs cos and sin \[4, 8\]/);
  });
  for (const [name, fused, composed, shapes] of pairs) {
    it(name, () => {
      const inputs = shapes.map((s) => randn(s, rng, 1.5));
      const a = fused(inputs), b = composed(inputs);
      for (let i = 0; i < a.size; i++) expect(Math.abs(a.data[i]! - b.data[i]!)).toBeLessThan(1e-12);
      const weights = ops.tensor(Array.from({ length: a.size }, (_, i) => Math.sin(i + 1)), [...a.shape], "f64");
      inputs.forEach((x) => (x.grad = null));
      ops.sum(ops.mul(fused(inputs), weights)).backward();
      const fusedGrads = inputs.map((x) => Array.from(x.grad!.data));
      inputs.forEach((x) => (x.grad = null));
      ops.sum(ops.mul(composed(inputs), weights)).backward();
      inputs.forEach((x, j) => x.grad!.data.forEach((g, i) => expect(Math.abs(g - fusedGrads[j]![i]!)).toBeLessThan(1e-10)));
      gradCheck(composed, inputs);
    });
  }
  it("softmax with −∞ (masked) entries gives 0 there, forward and backward", () => {
    const x = ops.maskedFill(randn([2, 4], rng), Uint8Array.from([1, 1, 0, 0]), [4], -Infinity);
    const y = F.softmax(x);
    expect([y.data[2], y.data[3]]).toEqual([0, 0]);
    gradCheck(([t]) => F.softmax(ops.maskedFill(t!, Uint8Array.from([1, 1, 0, 0]), [4], -Infinity)), [randn([2, 4], rng)]);
  });
});
