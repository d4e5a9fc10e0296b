// The tensor package: Tensor, primitive ops, composed functions, the kernel seam.

import { jsKernels } from "./kernels-js.js";
import { registerReferenceKernels } from "./kernels.js";

registerReferenceKernels(jsKernels);

export { Tensor, noGrad, isGradEnabled, allocate, allocateOwned, BufferPool, adoptData } from "./tensor.js";
export type { DType, GradNode } from "./tensor.js";
export * as ops from "./ops.js";
export * as F from "./functional.js";
export { arithmetic, kernels, setKernels } from "./kernels.js";
export type { Kernels, Data, UnaryOp, BinaryOp, ReduceOp } from "./kernels.js";
export { jsKernels } from "./kernels-js.js";
export { createWasmKernels, type WasmKernelOptions } from "./kernels-wasm.js";
export { createSharedMemory, GemmPool, MIN_PARALLEL_WORK, serveGemm, sharedMemorySupported, type HelperInit, type SpawnHelper } from "./threads.js";
export { kernelFlavour, relaxedSimdSupported, setKernelFlavour, wasmSimdSupported, type KernelFlavour } from "./wasm-module.js";
export { Rng } from "./rng.js";
export type { RngState } from "./rng.js";
export { sizeOf, formatShape, broadcastShapes } from "./shape.js";
export type { Shape } from "./shape.js";
