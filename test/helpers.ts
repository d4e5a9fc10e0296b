// Shared test helpers: finite-difference gradient checks and tolerant comparisons.

import { expect } from "vitest";
import { noGrad, ops, Rng, Tensor } from "../src/tensor/index.js";

/** A float64 tensor of standard normals. */
export function randn(shape: number[], rng: Rng, scale = 1): Tensor {
  const t = ops.zeros(shape, "f64");
  for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * scale;
  t.requiresGrad = true;
  return t;
}

/**
 * Check the analytic gradient of fn against central differences in float64.
 * The output is reduced with fixed random weights so every output element matters.
 */
export function gradCheck(fn: (xs: Tensor[]) => Tensor, inputs: Tensor[], { eps = 1e-6, tol = 1e-6, seed = 7 } = {}): void {
  const probe = noGrad(() => fn(inputs));
  const rng = new Rng(seed);
  const weights = ops.zeros([...probe.shape], "f64");
  for (let i = 0; i < weights.size; i++) weights.data[i] = rng.normal();
  const loss = (xs: Tensor[]): Tensor => ops.sum(ops.mul(fn(xs), weights));
  for (const x of inputs) x.grad = null;
  loss(inputs).backward();
  inputs.forEach((x, which) => {
    if (!x.requiresGrad) return;
    for (let i = 0; i < x.size; i++) {
      const keep = x.data[i]!;
      x.data[i] = keep + eps;
      const up = noGrad(() => loss(inputs).item());
      x.data[i] = keep - eps;
      const down = noGrad(() => loss(inputs).item());
      x.data[i] = keep;
      const numeric = (up - down) / (2 * eps);
      const analytic = x.grad === null ? 0 : x.grad.data[i]!;
      const err = Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric));
      if (err > tol) {
        expect.fail(`input ${which} element ${i}: analytic ${analytic} vs numeric ${numeric} (error ${err.toExponential(2)})`);
      }
    }
  });
}

/** max|a − b| / max(max|b|, floor): error relative to the scale of the reference. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = floor;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}
