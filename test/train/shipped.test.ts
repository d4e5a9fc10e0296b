// The shipped, trained checkpoint: it really learned agreement, and what it writes is grammatical.
// (Trained by `npm run train`, not in CI; this checks the file that ships.)

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../src/io/checkpoint.js";
import { generate } from "../../src/model/generate.js";
import { LOCKED } from "../../src/model/presets.js";
import { checkVerbs, validationSet } from "../../src/train/corpus.js";
import { evaluate } from "../../src/train/evaluate.js";
import { BOS, EOS } from "../../src/train/vocab.js";
import { MiniGPT } from "../../src/model/minigpt.js";
import { createWasmKernels, setKernels } from "../../src/tensor/index.js";
import { DEFAULT_TRAIN } from "../../src/train/train-config.js";
import { Trainer } from "../../src/train/trainer.js";

const shipped = loadCheckpoint(new Uint8Array(readFileSync(new URL("../../checkpoints/minigpt.safetensors", import.meta.url))), "checkpoints/minigpt.safetensors");

describe("the shipped model", () => {
  it("is the locked config (103,680 parameters), trained", () => {
    expect(shipped.config).toEqual(LOCKED);
    expect(Number(shipped.metadata["step"])).toBeGreaterThan(0);
  });
  it("its recipe still computes the same bits: three steps of `npm run train` on the strict kernels match the recorded checksum", () => {
    // Speed work must not change what training computes: `npm run train` (--kernels wasm-strict)
    // reproduces this file only while these bits hold. The checksum was recorded by the code that trained it.
    setKernels(createWasmKernels({ flavour: "strict" }));
    try {
      const trainer = new Trainer(new MiniGPT(LOCKED), DEFAULT_TRAIN);
      for (let i = 0; i < 3; i++) trainer.trainStep();
      let h = 0x811c9dc5; // FNV-1a over every parameter's bytes
      for (const p of trainer.model.parameters()) for (const byte of new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength)) h = Math.imul(h ^ byte, 16777619) >>> 0;
      expect(h.toString(16)).toBe("648965f");
    } finally {
      setKernels(null);
    }
  });
  it("scores ≥ 99% agreement in both languages on the 2,048 held-out validation sequences", () => {
    const e = evaluate(shipped.model, validationSet(2048));
    expect(e.en.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(e.es.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(e.heldOut.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(e.en.total + e.es.total).toBeGreaterThan(3000);
  });
  it("samples grammatical sentences: with nucleus sampling (top-p 0.95) ≥ 99% of verbs agree with their subject and time word", () => {
    let ok = 0, total = 0, finished = 0;
    for (let seed = 0; seed < 150; seed++) {
      const g = generate(shipped.model, [BOS], { maxNew: 31, seed, stopAt: [EOS], topP: 0.95 });
      if (g.stop === "stop_token") finished++;
      for (const v of checkVerbs(g.ids)) {
        total++;
        if (v.ok) ok++;
      }
    }
    expect(total).toBeGreaterThan(150);
    expect(ok / total).toBeGreaterThanOrEqual(0.99);
    expect(finished).toBeGreaterThanOrEqual(145);
  });
  it("the checker can fail: it flags a wrong form", () => {
    const ids = [1, 20, 16, 49, 3, 2]; // <bos> ayer ellos caminó . <eos>
    expect(checkVerbs(ids)).toEqual([{ position: 3, ok: false }]);
  });
});
