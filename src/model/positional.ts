// Position tables: RoPE's cos/sin in the rotate-half layout, and the sinusoidal encoding.

import { allocateOwned, Tensor, type DType } from "../tensor/index.js";

/** A table the model keeps: never drawn from a BufferPool. */
const table = (rows: number, cols: number, dtype: DType): Tensor => new Tensor(allocateOwned(dtype, rows * cols), [rows, cols]);

/**
 * cos and sin tables [T, d_head] for RoPE: dimension i pairs with i + d_head/2,
 * both rotated by the angle p·θᵢ with θᵢ = base^(−2i/d_head), positions from 0.
 */
export function ropeTables(contextLen: number, dHead: number, base: number, dtype: DType): { cos: Tensor; sin: Tensor } {
  const half = dHead / 2;
  const cos = table(contextLen, dHead, dtype);
  const sin = table(contextLen, dHead, dtype);
  for (let p = 0; p < contextLen; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(base, (-2 * i) / dHead);
      cos.data[p * dHead + i] = cos.data[p * dHead + i + half] = Math.cos(angle);
      sin.data[p * dHead + i] = sin.data[p * dHead + i + half] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(p / 10000^(2i/d)). */
export function sinusoidalTable(contextLen: number, dModel: number, dtype: DType): Tensor {
  const pe = table(contextLen, dModel, dtype);
  for (let p = 0; p < contextLen; p++) {
    for (let j = 0; j < dModel; j++) {
      const i2 = j - (j % 2);
      const angle = p / Math.pow(10000, i2 / dModel);
      pe.data[p * dModel + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return pe;
}
