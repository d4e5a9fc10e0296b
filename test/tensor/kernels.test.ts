// The reference kernels against naive loops written here, and the PRNG and erf
// against values computed independently (Python's math.erf, a Python xoshiro128**).

import { describe, expect, it } from "vitest";
import { erf, erfFast } from "../../src/tensor/erf.js";
import { jsKernels, ops, Rng } from "../../src/tensor/index.js";
import { relativeError } from "../helpers.js";

const rng = new Rng(99);
const randArray = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

function naiveMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number, tA: boolean, tB: boolean): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (tA ? a[p * m + i]! : a[i * k + p]!) * (tB ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  return c;
}

describe("matmul kernel", () => {
  const shapes = [[1, 1, 1], [1, 7, 1], [3, 5, 7], [4, 4, 4], [5, 3, 9], [8, 64, 64], [13, 17, 11], [1, 768, 6], [33, 2, 5], [0, 3, 4]];
  for (const [m, k, n] of shapes as [number, number, number][]) {
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as [boolean, boolean][]) {
      it(`[${m}×${k}]·[${k}×${n}] transA=${tA} transB=${tB}`, () => {
        const a = randArray(m * k), b = randArray(k * n);
        const want = naiveMatmul(a, b, m, k, n, tA, tB);
        const c = new Float32Array(m * n);
        jsKernels.matmul(a, 0, b, 0, c, 0, m, k, n, tA, tB, false);
        expect(relativeError(c, want)).toBeLessThan(1e-6);
        // accumulate adds onto what is there
        jsKernels.matmul(a, 0, b, 0, c, 0, m, k, n, tA, tB, true);
        expect(relativeError(c, want.map((v) => 2 * v))).toBeLessThan(1e-6);
      });
    }
  }
  it("respects offsets and leaves the rest of C alone", () => {
    const a = randArray(2 + 6), b = randArray(3 + 6);
    const c = new Float32Array(10).fill(7);
    jsKernels.matmul(a, 2, b, 3, c, 4, 2, 3, 2, false, false, false);
    const want = naiveMatmul(a.subarray(2), b.subarray(3), 2, 3, 2, false, false);
    expect(Array.from(c.subarray(0, 4))).toEqual([7, 7, 7, 7]);
    expect(relativeError(c.subarray(4, 8), want)).toBeLessThan(1e-6);
    expect(Array.from(c.subarray(8))).toEqual([7, 7]);
  });
});

describe("elementwise, reduce, permute kernels", () => {
  it("binary add broadcasts [2,1,3] with [4,1] like NumPy", () => {
    const a = ops.tensor([1, 2, 3, 4, 5, 6], [2, 1, 3]);
    const b = ops.tensor([10, 20, 30, 40], [4, 1]);
    const c = ops.add(a, b);
    expect(c.shape).toEqual([2, 4, 3]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expect(c.data[i * 12 + j * 3 + k]).toBe(a.data[i * 3 + k]! + b.data[j]!);
  });
  it("incompatible shapes name both shapes", () => {
    expect(() => ops.add(ops.zeros([2, 3]), ops.zeros([4]))).toThrow(/\[2, 3\] and \[4\]/);
  });
  it("reduce sum and max over each axis", () => {
    const x = ops.tensor(Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) - 5), [2, 3, 4]);
    for (let axis = 0; axis < 3; axis++) {
      const s = ops.sum(x, axis), m = ops.max(x, axis);
      const idx = (i: number, j: number, k: number): number => x.data[i * 12 + j * 4 + k]!;
      const dims = [2, 3, 4];
      const rest = dims.filter((_, d) => d !== axis);
      for (let u = 0; u < rest[0]!; u++)
        for (let v = 0; v < rest[1]!; v++) {
          const vals = Array.from({ length: dims[axis]! }, (_, r) => (axis === 0 ? idx(r, u, v) : axis === 1 ? idx(u, r, v) : idx(u, v, r)));
          expect(s.data[u * rest[1]! + v]).toBe(vals.reduce((p, q) => p + q, 0));
          expect(m.data[u * rest[1]! + v]).toBe(Math.max(...vals));
        }
    }
  });
  it("max propagates NaN", () => {
    expect(Number.isNaN(ops.max(ops.tensor([1, NaN, 3], [3]), 0).item())).toBe(true);
  });
  it("permute matches index arithmetic", () => {
    const x = ops.tensor(Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);
    const y = ops.permute(x, [2, 0, 1]);
    expect(y.shape).toEqual([4, 2, 3]);
    for (let a = 0; a < 4; a++) for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) expect(y.data[a * 6 + b * 3 + c]).toBe(b * 12 + c * 4 + a);
  });
  it("maskedFill broadcasts a trailing mask and a mask with size-1 axes alike", () => {
    const x = ops.tensor(Array.from({ length: 12 }, (_, i) => i + 1), [3, 2, 2]);
    const trailing = ops.maskedFill(x, Uint8Array.from([1, 0, 1, 1]), [2, 2], -1);
    expect(Array.from(trailing.data)).toEqual([1, -1, 3, 4, 5, -1, 7, 8, 9, -1, 11, 12]);
    const column = ops.maskedFill(x, Uint8Array.from([0, 1]), [2, 1], -1);
    expect(Array.from(column.data)).toEqual([-1, -1, 3, 4, -1, -1, 7, 8, -1, -1, 11, 12]);
  });
  it("gather picks rows and rejects out-of-range ids", () => {
    const table = ops.tensor([0, 1, 10, 11, 20, 21], [3, 2]);
    expect(Array.from(ops.gather(table, Int32Array.from([2, 0]), [2]).data)).toEqual([20, 21, 0, 1]);
    expect(() => ops.gather(table, Int32Array.from([3]), [1])).toThrow(/index 3 at position 0 is outside \[0, 3\)/);
  });
});

describe("erf and the PRNG against independent values", () => {
  it("erf matches Python's math.erf to 1e-15", () => {
    const cases: [number, number][] = [[0.5, 0.5204998778130465], [1, 0.8427007929497149], [2.5, 0.999593047982555], [3, 0.9999779095030014], [-0.3, -0.3286267594591274], [5.9, 0.9999999999999999], [0, 0]];
    for (const [x, want] of cases) expect(Math.abs(erf(x) - want)).toBeLessThan(1e-15);
  });
  it("erfFast stays within 1.5e-7 of erf", () => {
    for (let x = -6; x <= 6; x += 0.001) expect(Math.abs(erfFast(x) - erf(x))).toBeLessThan(1.5e-7);
  });
  it("xoshiro128** from state [1,2,3,4] gives the published sequence", () => {
    const r = new Rng(0);
    r.setState({ s: [1, 2, 3, 4], spare: null });
    expect(Array.from({ length: 6 }, () => r.nextUint32())).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });
  it("splitmix32 seeding matches a Python implementation", () => {
    expect(Array.from({ length: 4 }, ((r) => () => r.nextUint32())(new Rng(0)))).toEqual([3809008728, 1133695204, 53579671, 2891528803]);
    expect(Array.from({ length: 4 }, ((r) => () => r.nextUint32())(new Rng(12345)))).toEqual([518667457, 440444462, 4232892992, 3757857622]);
  });
  it("normals have mean ≈ 0 and variance ≈ 1, and state round-trips", () => {
    const r = new Rng(5);
    const xs = Array.from({ length: 20000 }, () => r.normal());
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    r.normal();
    const saved = r.getState();
    const next = [r.normal(), r.normal(), r.uniform()];
    r.setState(saved);
    expect([r.normal(), r.normal(), r.uniform()]).toEqual(next);
  });
});
