/**
 * minigpt — a Pre-LN decoder-only transformer you can understand down to the last
 * parameter: the tensor + autograd core, the model and its hook points, checkpoints,
 * the numerical reference and the inspection tools. Runs in Node and the browser.
 */

// Tensors and autograd
export { Tensor, noGrad, ops, F, Rng, kernels, setKernels, jsKernels } from "./tensor/index.js";
export type { DType, Kernels, Data, Shape, RngState } from "./tensor/index.js";

// The model
export { MiniGPT } from "./model/minigpt.js";
export type { ForwardOptions } from "./model/minigpt.js";
export { parseConfig, parseConfigYaml, configToJson, dHead, ConfigError, CONFIG_KEYS } from "./model/config.js";
export type { ModelConfig, Positional, Norm, Activation } from "./model/config.js";
export { LOCKED, GPT2_SMALL, TOY, PRESETS } from "./model/presets.js";
export { Hooks, hookNames, blockHook } from "./model/hooks.js";
export type { HookName, BlockHookName, HookFn } from "./model/hooks.js";
export { ActivationCache } from "./model/cache.js";
export { InputError } from "./model/tokens.js";
export type { Tokens } from "./model/tokens.js";
export { inventory, formulaCount, formulaTerms } from "./model/inventory.js";
export type { Inventory, InventoryRow, FormulaTerm } from "./model/inventory.js";

// The numerical reference
export { referenceForward } from "./reference/forward64.js";
export type { ReferenceResult, Weights } from "./reference/forward64.js";

// Inspection
export { traceForward, describeHook, toyModel, TOY_TOKENS } from "./interp/trace.js";
export type { TraceRow } from "./interp/trace.js";
export { causalityCheck } from "./interp/causality.js";
export type { CausalityReport, CausalityRow } from "./interp/causality.js";

// Vocabulary
export { Tokenizer, TokenizerError, canonicalIds, splitWords } from "./train/tokenizer.js";
export { VOCAB, CANONICAL_TEXT, PAD, BOS, EOS } from "./train/vocab.js";
export type { TokenInfo, Lang, Tense, Agreement, Kind } from "./train/vocab.js";

// Files
export { saveCheckpoint, loadCheckpoint, CheckpointError } from "./io/checkpoint.js";
export type { LoadedCheckpoint } from "./io/checkpoint.js";
export { encodeSafetensors, decodeSafetensors, SafetensorsError, MAX_HEADER_BYTES } from "./io/safetensors.js";
export type { SafetensorsFile, NamedArray } from "./io/safetensors.js";
