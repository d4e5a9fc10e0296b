// BufferPool: op results drawn from arrays a loop already made, zeroed; owned arrays never pooled.

import { describe, expect, it } from "vitest";
import { allocate, allocateOwned, BufferPool, ops } from "../../src/tensor/index.js";

describe("BufferPool", () => {
  it("hands back its recycled arrays, zeroed, for results of the same size and type; none before recycle", () => {
    const pool = new BufferPool();
    const sum = pool.use(() => ops.add(ops.full([4, 8], 1, "f32"), ops.full([4, 8], 2, "f32")));
    expect(Array.from(sum.data).every((v) => v === 3)).toBe(true);
    expect(pool.size).toBe(3); // two fulls and their sum
    const before = pool.use(() => allocate("f32", 32)); // not recycled yet: a new array
    expect(pool.size).toBe(4);
    pool.recycle();
    const again = pool.use(() => [allocate("f32", 32), allocate("f32", 32), allocate("f32", 32), allocate("f32", 32)]);
    expect(pool.size).toBe(4); // all four reused, none made
    expect(new Set([...again.map((d) => d.buffer)])).toEqual(new Set([sum.data.buffer, before.buffer, ...again.map((d) => d.buffer)]));
    expect(again.every((d) => d.every((v) => v === 0))).toBe(true); // the sum's threes are gone
    expect(pool.use(() => allocate("f64", 32))).toBeInstanceOf(Float64Array); // another type: another array
    expect(pool.size).toBe(5);
  });
  it("serves a shorter request with the start of a longer free array (up to an octave), not a longer one with a shorter", () => {
    const pool = new BufferPool();
    const long = pool.use(() => allocate("f32", 1000));
    long.fill(7);
    pool.recycle();
    const short = pool.use(() => allocate("f32", 600));
    expect(short.length).toBe(600);
    expect(short.buffer).toBe(long.buffer); // a view on the held array
    expect(short.every((v) => v === 0)).toBe(true);
    pool.recycle();
    pool.use(() => allocate("f32", 400)); // more than an octave below 1000: a new array
    expect(pool.size).toBe(2);
    pool.recycle();
    pool.use(() => allocate("f32", 2000)); // longer than any held: a new array
    expect(pool.size).toBe(3);
    expect(pool.values).toBeLessThan(1.25 * (1000 + 400 + 2000));
  });
  it("lets go of arrays no step used in 16 recycles", () => {
    const pool = new BufferPool();
    pool.use(() => [allocate("f32", 256), allocate("f32", 4096)]);
    for (let i = 0; i < 40; i++) {
      pool.recycle();
      pool.use(() => allocate("f32", 256));
    }
    expect(pool.size).toBe(1);
  });
  it("draws nothing outside use, nor for owned arrays (parameters, moments), and restores the pool outside a nested use", () => {
    const outer = new BufferPool(), inner = new BufferPool();
    allocate("f32", 16);
    expect(outer.size).toBe(0);
    outer.use(() => {
      allocateOwned("f32", 16);
      inner.use(() => allocate("f32", 16));
      allocate("f32", 16);
    });
    expect([outer.size, inner.size]).toEqual([1, 1]);
    expect(() => outer.use(() => { throw new Error("inside"); })).toThrow("inside");
    allocate("f32", 16);
    expect(outer.size).toBe(1);
  });
});
