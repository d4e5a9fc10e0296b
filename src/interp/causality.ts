// The causality perturbation check: change the token at position j and measure how far
// the logits move at earlier positions (must be exactly 0 with the causal mask) and at
// j and later (must move). In encoder mode the same check shows leakage — proof it can fail.

import type { MiniGPT } from "../model/minigpt.js";
import { noGrad } from "../tensor/index.js";

export interface CausalityRow {
  readonly position: number;
  readonly from: number;
  readonly to: number;
  /** max |Δlogit| over positions < j. */
  readonly maxBefore: number;
  /** max |Δlogit| over positions ≥ j. */
  readonly maxAtOrAfter: number;
}

export interface CausalityReport {
  readonly causal: boolean;
  readonly rows: readonly CausalityRow[];
  /** True when no earlier position moved at all and every perturbation moved something. */
  readonly holds: boolean;
}

export function causalityCheck(model: MiniGPT, ids: readonly number[], { causal = true } = {}): CausalityReport {
  const V = model.config.vocab_size;
  if (V < 2) throw new Error("the causality check needs a vocabulary of at least 2 tokens to perturb");
  const T = ids.length;
  const base = noGrad(() => model.forward(ids, { causal })).data;
  const rows: CausalityRow[] = [];
  for (let j = 0; j < T; j++) {
    const changed = ids.slice();
    changed[j] = (ids[j]! + 1) % V;
    const out = noGrad(() => model.forward(changed, { causal })).data;
    let maxBefore = 0, maxAtOrAfter = 0;
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < V; v++) {
        const d = Math.abs(out[t * V + v]! - base[t * V + v]!);
        if (t < j) maxBefore = Math.max(maxBefore, d);
        else maxAtOrAfter = Math.max(maxAtOrAfter, d);
      }
    }
    rows.push({ position: j, from: ids[j]!, to: changed[j]!, maxBefore, maxAtOrAfter });
  }
  return { causal, rows, holds: rows.every((r) => r.maxBefore === 0 && r.maxAtOrAfter > 0) };
}
