// The ONNX export round-trips through onnxruntime-node: same logits as our forward within 1e-4,
// for the locked and trained models and for random configs exercising every option.

import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { exportOnnx } from "../../src/io/onnx.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { LOCKED } from "../../src/model/presets.js";
import { noGrad, Rng } from "../../src/tensor/index.js";
import { canonicalIds } from "../../src/train/tokenizer.js";
import { relativeError } from "../helpers.js";
import { randomConfig, randomIds } from "../random-configs.js";

async function runOnnx(bytes: Uint8Array, batch: number[][]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const T = batch[0]!.length;
  const input = new ort.Tensor("int64", BigInt64Array.from(batch.flat().map(BigInt)), [batch.length, T]);
  const out = await session.run({ input_ids: input });
  return out["logits"]!.data as Float32Array;
}

describe("ONNX export", () => {
  it("the locked model matches onnxruntime-node on the canonical sequence, batched", async () => {
    const model = new MiniGPT(LOCKED);
    const batch = [canonicalIds(), canonicalIds().reverse()];
    const ours = noGrad(() => model.forward(batch)).data;
    expect(relativeError(await runOnnx(exportOnnx(model), batch), ours)).toBeLessThan(1e-4);
  });
  it("the shipped trained model matches, at several lengths (dynamic seq)", async () => {
    const { model } = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url))));
    const bytes = exportOnnx(model);
    for (const T of [1, 5, 8, 32]) {
      const ids = [Array.from({ length: T }, (_, i) => [1, 20, 26, 28, 32, 49, 35, 16][i % 8]!)];
      expect(relativeError(await runOnnx(bytes, ids), noGrad(() => model.forward(ids)).data)).toBeLessThan(1e-4);
    }
  });
  it("random configs with every option (positional, Post-LN, GELU tanh, biases, untied) match", async () => {
    const rng = new Rng(66);
    for (let i = 0; i < 16; i++) {
      const c = randomConfig(rng);
      const model = new MiniGPT(c);
      const T = 1 + rng.int(c.context_len);
      const batch = [randomIds(c, rng, T), randomIds(c, rng, T)];
      const ours = noGrad(() => model.forward(batch)).data;
      expect(relativeError(await runOnnx(exportOnnx(model), batch), ours), JSON.stringify(c)).toBeLessThan(1e-4);
    }
  });
});
