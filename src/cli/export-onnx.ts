// minigpt export-onnx: write the model as an ONNX graph; --verify runs it in onnxruntime-node.

import { exportOnnx } from "../io/onnx.js";
import { noGrad } from "../tensor/index.js";
import { canonicalIds } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { formatCount, openCheckpoint, printJson, UsageError, writeFileAtomic } from "./common.js";

export const exportOnnxCommand: Command = {
  name: "export-onnx",
  summary: "write the model as a standard ONNX graph (opset 17); --verify checks it in onnxruntime-node",
  usage: "minigpt export-onnx [--checkpoint FILE] --out FILE.onnx [--verify] [--json]",
  flags: { checkpoint: { type: "string" }, out: { type: "string" }, verify: { type: "boolean" } },
  async run(values) {
    const out = str(values, "out");
    if (out === undefined) throw new UsageError("--out FILE.onnx is required");
    const { model, path } = openCheckpoint(str(values, "checkpoint"));
    const bytes = exportOnnx(model);
    writeFileAtomic(out, bytes);
    let maxError: number | null = null;
    if (values["verify"]) {
      let ort: typeof import("onnxruntime-node");
      try {
        ort = await import("onnxruntime-node");
      } catch {
        throw new Error("--verify needs the onnxruntime-node package (npm install onnxruntime-node)");
      }
      const ids = canonicalIds().slice(0, Math.min(8, model.config.context_len)).map((id) => id % model.config.vocab_size);
      const session = await ort.InferenceSession.create(bytes);
      const result = await session.run({ input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
      const theirs = result["logits"]!.data as Float32Array;
      const ours = noGrad(() => model.forward(ids)).data;
      let diff = 0, scale = 1e-12;
      ours.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - theirs[i]!)); scale = Math.max(scale, Math.abs(v)); });
      maxError = diff / scale;
      if (maxError > 1e-4) throw new Error(`onnxruntime-node's logits differ from ours by ${maxError.toExponential(2)} (relative); the export is wrong`);
    }
    if (values["json"]) printJson({ checkpoint: path, out, bytes: bytes.length, verified_relative_error: maxError });
    else process.stdout.write(`wrote ${out} (${formatCount(bytes.length)} bytes, opset 17)${maxError === null ? "" : `; onnxruntime-node agrees: max relative difference ${maxError.toExponential(2)}`}\n`);
  },
};
