// LayerNorm over the feature axis with a gain w and bias b.

import { F, type DType, type Tensor } from "../tensor/index.js";
import { Module } from "./module.js";

export class LayerNorm extends Module {
  readonly w: Tensor; // [d]
  readonly b: Tensor; // [d]

  constructor(readonly width: number, readonly eps: number, dtype: DType = "f32") {
    super(dtype);
    this.w = this.param("w", [width]);
    this.b = this.param("b", [width]);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.w, this.b, this.eps);
  }
}
