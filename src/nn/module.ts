// Module: a named tree of parameters. Names compose with dots, so the model's
// parameters carry the spec's weight names (blocks.0.attn.W_Q) with no table to keep in sync.

import { adoptData, allocateOwned, Tensor, type DType } from "../tensor/index.js";
import { formatShape, sizeOf, type Shape } from "../tensor/shape.js";

export abstract class Module {
  private readonly ownParams: [string, Tensor][] = [];
  private readonly children: [string, Module][] = [];

  constructor(readonly dtype: DType = "f32") {}

  /** Declare a parameter (zero-filled; init.ts gives it its values). */
  protected param(name: string, shape: Shape): Tensor {
    const t = new Tensor(allocateOwned(this.dtype, sizeOf(shape)), shape, null, true);
    this.ownParams.push([name, t]);
    return t;
  }

  protected child<M extends Module>(name: string, m: M): M {
    this.children.push([name, m]);
    return m;
  }

  /** Every parameter under this module with its dotted name, in declaration order. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = this.ownParams.map(([n, t]) => [prefix + n, t]);
    for (const [name, m] of this.children) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** Parameters by name. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /**
   * Set every parameter from `values` by name (each checked: no unknown, none missing, the right
   * shapes). With `adopt`, a float32 value of a float32 parameter becomes its data instead of being
   * copied in — for a model nobody has read yet, from arrays the caller gives away.
   */
  loadParameters(values: ReadonlyMap<string, { shape: Shape; data: ArrayLike<number> }>, source = "weights", { adopt = false }: { adopt?: boolean } = {}): void {
    const own = this.namedParameters();
    const known = new Set(own.map(([n]) => n));
    for (const name of values.keys()) {
      if (!known.has(name)) throw new Error(`${source}: unexpected tensor "${name}"; this model has no such parameter`);
    }
    for (const [name, t] of own) {
      const v = values.get(name);
      if (v === undefined) throw new Error(`${source}: missing tensor "${name}" ${formatShape(t.shape)}`);
      if (v.shape.length !== t.shape.length || v.shape.some((d, i) => d !== t.shape[i])) {
        throw new Error(`${source}: tensor "${name}" has shape ${formatShape(v.shape)}, expected ${formatShape(t.shape)}`);
      }
      if (adopt && v.data instanceof Float32Array && t.data instanceof Float32Array) adoptData(t, v.data);
      else t.data.set(v.data);
    }
  }

  zeroGrad(): void {
    for (const t of this.parameters()) t.grad = null;
  }
}
