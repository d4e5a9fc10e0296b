// Seeded initialisation: every weight matrix ~ N(0, init_std²), LayerNorm gains 1, biases 0.
// Values are drawn from one Rng(seed) stream, parameter by parameter in declaration
// order (the order of namedParameters()), element by element in row-major order.
// The Rng (xoshiro128** + Box–Muller) is pure integer arithmetic plus Math.log/sqrt/cos/sin,
// so Node and the browser (same V8 maths library) produce the same bits.

import type { Module } from "../nn/index.js";
import { Rng } from "../tensor/index.js";

export function initParameters(model: Module & { readonly config: { readonly init_std: number } }, seed: number): void {
  const rng = new Rng(seed);
  const std = model.config.init_std;
  for (const [name, t] of model.namedParameters()) {
    const leaf = name.slice(name.lastIndexOf(".") + 1);
    if (leaf.startsWith("W_")) for (let i = 0; i < t.size; i++) t.data[i] = rng.normal() * std;
    else if (leaf === "w") t.data.fill(1);
    else t.data.fill(0);
  }
}
