// AdamW (Loshchilov & Hutter): Adam's update with weight decay applied to the weights
// directly, only for the parameters in the decay group. Moments are kept in the
// parameters' dtype, so a saved and restored optimizer continues bit for bit.

import { allocateOwned, type Tensor } from "../tensor/index.js";

export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weight_decay: number;
}

export interface ParamSlot {
  readonly name: string;
  readonly param: Tensor;
  readonly decay: boolean;
  readonly m: Tensor["data"];
  readonly v: Tensor["data"];
}

export class AdamW {
  readonly slots: ParamSlot[];
  /** Updates taken so far (for bias correction). */
  t = 0;

  /** `decay(name)` says which parameters are decayed (weight matrices, not LayerNorm gains or biases). */
  constructor(named: readonly [string, Tensor][], readonly options: AdamWOptions, decay: (name: string) => boolean) {
    this.slots = named.map(([name, param]) => ({ name, param, decay: decay(name), m: allocateOwned(param.dtype, param.size), v: allocateOwned(param.dtype, param.size) }));
  }

  /** One update with learning rate `lr` from the gradients in `param.grad`. */
  step(lr: number): void {
    const { beta1, beta2, eps, weight_decay } = this.options;
    this.t++;
    const c1 = 1 - Math.pow(beta1, this.t);
    const c2 = 1 - Math.pow(beta2, this.t);
    for (const { param, decay, m, v } of this.slots) {
      const g = param.grad?.data;
      if (g === undefined) continue;
      const p = param.data;
      const shrink = decay ? 1 - lr * weight_decay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        p[i] = p[i]! * shrink - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    }
  }
}

/** The decay group: weight matrices and embeddings (W_*); LayerNorm gains and biases are not decayed. */
export function isDecayed(name: string): boolean {
  return name.slice(name.lastIndexOf(".") + 1).startsWith("W_");
}
