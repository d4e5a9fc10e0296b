/**
 * minigpt — a decoder-only transformer you can understand down to the last parameter, in
 * any of the family variations (Pre-/Post-LN, LayerNorm/RMSNorm, plain/gated MLP, MHA/GQA,
 * sequential/parallel residual): the tensor + autograd core, the model and its hook points,
 * checkpoints and Hugging Face folders, tokenizers, the numerical reference and the inspection
 * tools. Runs in Node and the browser; the explorer imports it by this name.
 */

// Tensors and autograd
export { Tensor, adoptData, BufferPool, noGrad, ops, F, Rng, kernels, setKernels, arithmetic, jsKernels, createWasmKernels, wasmSimdSupported, relaxedSimdSupported, kernelFlavour, setKernelFlavour, type KernelFlavour } from "./tensor/index.js";
export type { DType, Kernels, Data, Shape, RngState } from "./tensor/index.js";

// Threads: a worker (Node worker_threads or a Web Worker) that calls serveGemm(init) is a helper
export { serveGemm, sharedMemorySupported } from "./tensor/index.js";
export type { HelperInit, SpawnHelper, WasmKernelOptions } from "./tensor/index.js";

// Generation
export { generate, samplingDistribution, checkGenerateInput, chooseEngine } from "./model/generate.js";
export type { GenerateOptions, Generation, SampleOptions } from "./model/generate.js";
export { KVCache } from "./model/kv-cache.js";
export { InferenceSession } from "./model/inference.js";
export type { SessionOptions } from "./model/inference.js";
export { createRuntime, createJsRuntime, createWasmRuntime } from "./runtime/index.js";
export type { Runtime, RuntimeActivation, Packed } from "./runtime/index.js";

// The model
export { MiniGPT } from "./model/minigpt.js";
export type { ForwardOptions } from "./model/minigpt.js";
export { parseConfig, parseConfigYaml, configToJson, dHead, ConfigError, CONFIG_KEYS } from "./model/config.js";
export type { ModelConfig, Positional, Norm, Activation, NormType } from "./model/config.js";
export { describeModel, groupSize } from "./model/architecture.js";
export type { ModelSpec, BlockSpec, AttentionSpec, MlpSpec, NormSpec, Residual } from "./model/architecture.js";
export { LOCKED, GPT2_SMALL, PYTHIA_70M, PYTHIA_160M, SMOLLM_135M, TINYSTORIES_33M, TOY, PRESETS } from "./model/presets.js";
export { Hooks, hookNames, blockHook } from "./model/hooks.js";
export type { HookName, BlockHookName, HookFn } from "./model/hooks.js";
export { ActivationCache } from "./model/cache.js";
export { InputError } from "./model/tokens.js";
export type { Tokens } from "./model/tokens.js";
export { inventory, formulaCount, formulaTerms, costPerToken } from "./model/inventory.js";
export type { Inventory, InventoryRow, FormulaTerm } from "./model/inventory.js";

// The numerical reference
export { referenceForward } from "./reference/forward64.js";
export type { ReferenceResult, Weights } from "./reference/forward64.js";

// Inspection
export { traceForward, describeHook, activationsFile, toyModel, TOY_TOKENS } from "./interp/trace.js";
export type { TraceRow } from "./interp/trace.js";
export { causalityCheck } from "./interp/causality.js";
export type { CausalityReport, CausalityRow } from "./interp/causality.js";

// Vocabulary
export { Tokenizer, TokenizerError, IdsOnly, canonicalIds, splitWords, tokenLabel, usesVerbGrammar } from "./train/tokenizer.js";
export type { TextTokenizer } from "./train/tokenizer.js";
export { HfTokenizer, specialTokens, tokenizerFor, verbTokenizerJson } from "./train/hf-tokenizer.js";
export { VOCAB, CANONICAL_TEXT, PAD, BOS, EOS } from "./train/vocab.js";
export type { TokenInfo, Lang, Tense, Agreement, Kind } from "./train/vocab.js";

// Interpretability
export { decompose, accumulatedResid, streamStates, stateAfterBlocks, streamVector, headWrites } from "./interp/stream.js";
export type { Decomposition, StreamState } from "./interp/stream.js";
export { logitLens, blockBudget, blockBudgetAt, decodeVector, decodeVectors } from "./interp/lens.js";
export type { LensResult, LensRow } from "./interp/lens.js";
export { directLogitAttribution } from "./interp/attribution.js";
export type { Attribution } from "./interp/attribution.js";
export { attentionPattern, headsAttendingTo, strongestKeys } from "./interp/patterns.js";
export { patchResidual, patchHeads, patchOne, patchCells, attributionPatchResidual, attributionPatchHeads, attributionPatchHooks, correlation, edgeAttributionPatching, patchEdge } from "./interp/patching.js";
export { trainTunedLens, evaluateLens, tunedDecode, saveTunedLens, loadTunedLens, identityLens } from "./interp/tuned-lens.js";
export type { TunedLens, TunedLensTraining } from "./interp/tuned-lens.js";
export { SparseAutoencoder, trainSae, saeMetrics, spliceLoss, collectActivations, resample, saveSae, loadSae, featureView, featureIndex, activeLatents } from "./interp/sae.js";
export type { SaeOptions, SaeMetrics, FeatureView, FeatureIndex } from "./interp/sae.js";
export { INDUCTION, InductionStream, inductionSet, inductionLoss, phaseChange, halfLength, WORDS } from "./train/induction.js";
export { charTokenizerJson, prepareText, textMetadata, textSample, textConfig, textLoss, TextStream, textWindows, TRAIN_SHARE } from "./train/text.js";
export type { TextData } from "./train/text.js";
export { Snapshots, snapshotSteps, snapshotList, loadSnapshot } from "./train/snapshots.js";
export { rateAndEta, formatRate, formatDuration } from "./train/progress.js";
export { headScores, detectionPattern, patternScore, repeatedSequences, HEAD_KINDS } from "./interp/heads.js";
export { composition, copyingScore, copyingScores, ovCircuit, ovCircuitRows, COMPOSITION_KINDS, type Composition, type CompositionPair, type CompositionKind, type OvRow } from "./interp/circuits.js";
export { eigenvalues } from "./interp/linalg.js";
export { ablationScan, meanLoss, type AblationKind, type AblationReport, type ComponentAblation } from "./interp/ablation.js";
export { neuronsAt, blocksWithMlp, type NeuronsAt, type NeuronRead } from "./interp/neurons.js";
export { accuracy as probeAccuracy, fitProbe, parseProbeData, probeLoss, probePredict, probeProperties, probeStates, probeStream, relabel, streamFeatures, type LabelledPositions, type Probe, type ProbeData, type ProbeItem, type ProbeOptions, type ProbeReport, type StateProbe } from "./interp/probe.js";
export { activationAt, checkSteerableHook, contrastVector, featureDirection, featureSteering, meanActivationNorm, nextTokenProbabilities, steerableHooks, steeringEffect, steeringHooks, steeringSweep, type Steering, type SteeringEffect, type SweepPoint, type TokenShift } from "./interp/steering.js";
export type { HeadKind, HeadScores, HeadScoreOptions } from "./interp/heads.js";
export type { PatchResult, PatchMetric, ResidHook, HeadRef, EdgeResult } from "./interp/patching.js";
export { bandwidth } from "./interp/bandwidth.js";
export { softmaxVec, topK, vectorAt, norm, applyNorm, normScale } from "./interp/vectors.js";
export type { Bandwidth, BlockBandwidth } from "./interp/bandwidth.js";

// Training
export { Trainer, TrainingError } from "./train/trainer.js";
export type { StepInfo } from "./train/trainer.js";
export { DEFAULT_TRAIN, parseTrainConfig, TRAIN_KEYS } from "./train/train-config.js";
export type { TrainConfig } from "./train/train-config.js";
export { evaluate, makeBatch } from "./train/evaluate.js";
export type { Evaluation, Accuracy } from "./train/evaluate.js";
export { sampleExample, validationSet, TrainingStream, checkVerbs, isGrammatical, verbForm, HELD_OUT, grammarProbeItems, grammarProbeSets, GRAMMAR_CLASSES, type GrammarProbeSets, type GrammarProperty } from "./train/corpus.js";
export type { Example, VerbSlot } from "./train/corpus.js";
export { AdamW, isDecayed } from "./nn/adamw.js";
export { learningRate } from "./train/schedule.js";

// Files
export { saveCheckpoint, loadCheckpoint, CheckpointError, parameterChecksum } from "./io/checkpoint.js";
export type { LoadedCheckpoint } from "./io/checkpoint.js";
export { encodeSafetensors, decodeSafetensors, SafetensorsError, MAX_HEADER_BYTES } from "./io/safetensors.js";
export type { SafetensorsFile, NamedArray, FloatDType } from "./io/safetensors.js";
export { importHf, importHfAsync, exportHf, configFromHf, hfConfig, chooseFamily, familyMismatch, HfError, HF_FAMILIES } from "./io/hf.js";
export type { HfFamily, HfFolder, ImportedHf, HfExportOptions, RangeReader, AsyncRangeReader } from "./io/hf.js";
export { exportOnnx } from "./io/onnx.js";
export type { OnnxExportOptions } from "./io/onnx.js";
export { LAB_DEFAULTS, labConfig, labBatch, labGrid, blockGradNorms, runLabPoint, gradientGrowth } from "./train/norms-lab.js";
export type { LabOptions, LabPoint, LabRun, BlockGradNorm, NormPlacement } from "./train/norms-lab.js";
