// ActivationCache: every hook point's tensor from one forward pass, by name.

import type { Tensor } from "../tensor/index.js";
import type { ModelConfig } from "./config.js";
import type { HookName } from "./hooks.js";

export class ActivationCache {
  constructor(readonly config: ModelConfig, private readonly store: ReadonlyMap<HookName, Tensor>) {}

  /**
   * An activation by full name (`blocks.0.attn.hook_pattern`) or by short name and
   * layer, as in TransformerLens (`get("pattern", 0)`, `get("resid_post", 1)`, `get("embed")`).
   */
  get(name: string, layer?: number): Tensor {
    const full = this.resolve(name, layer);
    const t = this.store.get(full as HookName);
    if (t === undefined) throw new Error(`no activation "${full}" in the cache; it has ${[...this.store.keys()].join(", ")}`);
    return t;
  }

  has(name: string, layer?: number): boolean {
    return this.store.has(this.resolve(name, layer) as HookName);
  }

  names(): HookName[] {
    return [...this.store.keys()];
  }

  entries(): [HookName, Tensor][] {
    return [...this.store.entries()];
  }

  private resolve(name: string, layer?: number): string {
    if (this.store.has(name as HookName)) return name;
    const short = name.startsWith("hook_") ? name : `hook_${name}`;
    const candidates = [...this.store.keys()].filter((k) =>
      layer === undefined ? k === short || k.endsWith(`.${short}`) : k.startsWith(`blocks.${layer}.`) && k.endsWith(`.${short}`),
    );
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length > 1) throw new Error(`"${name}" is ambiguous: ${candidates.join(", ")}; give a layer or the full name`);
    return layer === undefined ? name : `blocks.${layer}.${name}`;
  }
}
