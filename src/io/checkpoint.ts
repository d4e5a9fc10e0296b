// Checkpoints (SPEC §5): one safetensors file, F32 weights under the spec's names,
// the full config as JSON in __metadata__.config. Self-describing and checked on load.

import { parseConfig, configToJson, type ModelConfig } from "../model/config.js";
import { MiniGPT } from "../model/minigpt.js";
import { decodeSafetensors, encodeSafetensors, firstNonFinite, SafetensorsError } from "./safetensors.js";

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

/** Serialise a model; `metadata` adds keys beside `config` (vocabulary, training step, …). */
export function saveCheckpoint(model: MiniGPT, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = model.namedParameters().map(([name, t]) => [name, { shape: t.shape, data: t.data }] as [string, { shape: readonly number[]; data: ArrayLike<number> }]);
  return encodeSafetensors(tensors, { ...metadata, config: JSON.stringify(configToJson(model.config)) });
}

export interface LoadedCheckpoint {
  readonly model: MiniGPT;
  readonly config: ModelConfig;
  readonly metadata: Record<string, string>;
}

/**
 * Parse and check a checkpoint: a bad file is refused whole, never half-loaded. With `adopt`, the
 * model's weights are views on `bytes` (no copy: for a caller that owns the bytes and lets them go).
 */
export function loadCheckpoint(bytes: Uint8Array, source = "checkpoint", { adopt = false }: { adopt?: boolean } = {}): LoadedCheckpoint {
  let file;
  try {
    file = decodeSafetensors(bytes, source, { views: adopt });
  } catch (err) {
    if (err instanceof SafetensorsError) throw new CheckpointError(err.message);
    throw err;
  }
  for (const [name, t] of file.tensors) {
    if (t.dtype !== "F32") throw new CheckpointError(`${source}: tensor "${name}" is ${t.dtype}; minigpt checkpoints are F32 (import a Hugging Face folder with \`minigpt import\`)`);
  }
  const rawConfig = file.metadata["config"];
  if (rawConfig === undefined) throw new CheckpointError(`${source}: no "config" in __metadata__; a minigpt checkpoint carries its configuration`);
  let json: unknown;
  try {
    json = JSON.parse(rawConfig);
  } catch (err) {
    throw new CheckpointError(`${source}: __metadata__.config is not valid JSON (${(err as Error).message})`);
  }
  let config: ModelConfig;
  try {
    config = parseConfig(json, null, `${source} (config metadata)`);
  } catch (err) {
    throw new CheckpointError((err as Error).message);
  }
  const model = new MiniGPT(config, { init: false });
  try {
    model.loadParameters(file.tensors, source, { adopt });
  } catch (err) {
    throw new CheckpointError((err as Error).message);
  }
  for (const [name, t] of model.namedParameters()) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new CheckpointError(`${source}: tensor "${name}" holds ${t.data[bad]} at index ${bad}; weights must be finite`);
  }
  return { model, config, metadata: file.metadata };
}

/** FNV-1a over every parameter's float32 bytes, in declaration order: equal checksums, equal weights (Node and the page alike). */
export function parameterChecksum(model: MiniGPT): string {
  let h = 0x811c9dc5;
  for (const [, t] of model.namedParameters()) {
    const bytes = new Uint8Array(Float32Array.from(t.data).buffer);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}
