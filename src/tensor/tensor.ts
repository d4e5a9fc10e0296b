// The Tensor: a dense row-major array with a shape, and the autograd graph walker.
// Each op (ops.ts) records its parents and a local backward; `backward()` is a
// topological sort and one loop, as in micrograd.

import { kernels, type Data } from "./kernels.js";
import { formatShape, sizeOf, stridesOf, type Shape } from "./shape.js";

export type DType = "f32" | "f64";

/** How a tensor was made: its inputs and the rule that maps the output's gradient to theirs. */
export interface GradNode {
  readonly op: string;
  readonly parents: readonly Tensor[];
  /** Gradients for each parent (null where a parent needs none). Runs with grad recording off. */
  readonly backward: (grad: Tensor) => readonly (Tensor | null)[];
}

let recording = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return recording;
}

/** Run `fn` without recording the graph (inference, optimizer steps, backward itself). */
export function noGrad<T>(fn: () => T): T {
  const before = recording;
  recording = false;
  try {
    return fn();
  } finally {
    recording = before;
  }
}

/** A zero-filled array for an op's result: from the active BufferPool where one is in use. */
export function allocate(dtype: DType, n: number): Data {
  return active?.take(dtype, n) ?? allocateOwned(dtype, n);
}

/** A zero-filled array that no pool will ever take back: parameters, optimizer moments, caches. */
export function allocateOwned(dtype: DType, n: number): Data {
  return dtype === "f64" ? new Float64Array(n) : new Float32Array(n);
}

let active: BufferPool | null = null;

/**
 * Arrays for a loop that makes the same tensors again and again (a training step, ~170 arrays and
 * 41 MB on the locked model): inside `use(fn)`, `allocate` hands out zeroed arrays the pool already
 * holds before it makes new ones, and `recycle()` takes back every array handed out since the last
 * recycle. Fresh arrays cost page faults and V8's collections (a sixth of a training step; more in
 * a busy process); reused ones are a fill. Arrays come in quarter-octave sizes and a request is
 * served by the first n values of the smallest free one up to an octave larger, so steps of
 * different lengths (sequences padded to the batch's longest) share them.
 * The caller promises that nothing made inside `use` is read after `recycle` (the trainer recycles
 * at the start of its next step, once the parameters' gradients are dropped).
 */
export class BufferPool {
  private readonly free = new Map<number, Data[]>();
  private lent: Data[] = [];
  private readonly lastUsed = new Map<Data, number>(); // the recycle that last took an array back
  private generation = 0;

  /** Run `fn` with op results drawn from this pool. */
  use<T>(fn: () => T): T {
    const before = active;
    active = this;
    try {
      return fn();
    } finally {
      active = before;
    }
  }

  /**
   * Every array handed out so far is free again: its tensors must no longer be read. Arrays no
   * step has used in the last 16 recycles are let go (a run's few longest steps keep no memory).
   */
  recycle(): void {
    this.generation++;
    for (const d of this.lent) {
      this.lastUsed.set(d, this.generation);
      const key = poolKey(d instanceof Float64Array ? "f64" : "f32", d.length);
      const list = this.free.get(key);
      if (list === undefined) this.free.set(key, [d]);
      else list.push(d);
    }
    this.lent = [];
    if (this.generation % 16 === 0) {
      for (const [key, list] of this.free) {
        const kept = list.filter((d) => this.generation - this.lastUsed.get(d)! < 16 || !this.lastUsed.delete(d));
        if (kept.length === 0) this.free.delete(key);
        else this.free.set(key, kept);
      }
    }
  }

  /** Arrays held, free or handed out (for tests and memory reports). */
  get size(): number {
    let n = this.lent.length;
    for (const list of this.free.values()) n += list.length;
    return n;
  }

  /** Values held, free or handed out. */
  get values(): number {
    let n = 0;
    for (const d of this.lent) n += d.length;
    for (const list of this.free.values()) for (const d of list) n += d.length;
    return n;
  }

  /** n zeroed values: the start of the smallest free array that holds them and is at most an octave larger, or of a new one. */
  take(dtype: DType, n: number): Data {
    let d: Data | undefined;
    for (let size = sizeClass(n), i = 0; i <= 4 && d === undefined; size = sizeClass(size + 1), i++) d = this.free.get(poolKey(dtype, size))?.pop();
    d ??= allocateOwned(dtype, sizeClass(n));
    this.lent.push(d);
    return (d.length === n ? d : d.subarray(0, n)).fill(0);
  }
}

/** The smallest size of n's quarter octave that holds n (64 at least): 65 → 80, 129 → 160, 1024 → 1024. */
function sizeClass(n: number): number {
  if (n <= 64) return 64;
  const step = 2 ** (Math.floor(Math.log2(n - 1)) - 2);
  return Math.ceil(n / step) * step;
}

const poolKey = (dtype: DType, n: number): number => n * 2 + (dtype === "f64" ? 1 : 0);

/**
 * Give a tensor `data` as its values in place of the array it was made with (the same length and
 * type): a freshly built model's parameters taking a loaded file's arrays without a copy. Only for
 * a tensor no one has read yet — kernels key their packed weights by the data array.
 */
export function adoptData(t: Tensor, data: Data): void {
  if (data.length !== t.data.length || data.constructor !== t.data.constructor) throw new Error(`adoptData: ${data.length} values for a tensor of ${t.data.length}`);
  (t as { data: Data }).data = data; // the one place a tensor's array is replaced
}

export class Tensor {
  readonly shape: Shape;
  readonly data: Data;
  readonly node: GradNode | null;
  requiresGrad: boolean;
  grad: Tensor | null = null;

  constructor(data: Data, shape: Shape, node: GradNode | null = null, requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new Error(`tensor data has ${data.length} values but shape ${formatShape(shape)} needs ${sizeOf(shape)}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.node = node;
    this.requiresGrad = requiresGrad || node !== null;
  }

  get dtype(): DType {
    return this.data instanceof Float64Array ? "f64" : "f32";
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The same values, cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A single value (for one-element tensors). */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape ${formatShape(this.shape)}`);
    return this.data[0]!;
  }

  /** Nested arrays, for printing and JSON. */
  toArray(): unknown {
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(axis + 1));
      return Array.from({ length: this.shape[axis]! }, (_, i) => build(axis + 1, offset + i * stride));
    };
    return build(0, 0);
  }

  /**
   * Backpropagate from this scalar (or from `seed`, a gradient of this tensor's shape).
   * Leaves with requiresGrad accumulate into `.grad`; intermediate gradients are dropped.
   */
  backward(seed?: Tensor): void {
    if (seed === undefined && this.size !== 1) {
      throw new Error(`backward() without a seed needs a scalar, got shape ${formatShape(this.shape)}`);
    }
    const order = topologicalOrder(this);
    const grads = new Map<Tensor, Tensor>();
    grads.set(this, seed ?? new Tensor(allocate(this.dtype, 1).fill(1), this.shape));
    noGrad(() => {
      for (let i = order.length - 1; i >= 0; i--) {
        const t = order[i]!;
        const g = grads.get(t);
        if (g === undefined) continue;
        if (t.node === null) {
          t.grad = t.grad === null ? g : addInto(t.grad, g);
          continue;
        }
        grads.delete(t);
        const parentGrads = t.node.backward(g);
        t.node.parents.forEach((p, j) => {
          const pg = parentGrads[j];
          if (pg === null || pg === undefined || !p.requiresGrad) return;
          const prev = grads.get(p);
          grads.set(p, prev === undefined ? pg : addInto(prev, pg));
        });
      }
    });
  }
}

/** Sum of two same-shaped gradients, written into a fresh tensor. */
function addInto(a: Tensor, b: Tensor): Tensor {
  const out = allocate(a.dtype, a.size), strides = stridesOf(a.shape);
  kernels().binary("add", a.data, strides, b.data, strides, out, a.shape); // one add per element, in whichever backend
  return new Tensor(out, a.shape);
}

/** Tensors reachable from `root` that need gradients, parents before children (iterative DFS). */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t) || !t.requiresGrad) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const p of t.node?.parents ?? []) if (!seen.has(p)) stack.push([p, false]);
  }
  return order;
}
