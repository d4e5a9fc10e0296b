// minigpt init: a freshly initialised model written as a checkpoint.

import { MiniGPT } from "../model/minigpt.js";
import { saveCheckpoint } from "../io/checkpoint.js";
import { inventory } from "../model/inventory.js";
import { str, type Command } from "./command.js";
import { formatCount, parseInteger, printJson, readConfig, UsageError, writeFileAtomic } from "./common.js";

export const initCommand: Command = {
  name: "init",
  summary: "write a seeded, untrained checkpoint",
  usage: "minigpt init [--config FILE] [--seed N] --out FILE.safetensors [--json]",
  flags: { config: { type: "string" }, seed: { type: "string" }, out: { type: "string" } },
  run(values) {
    const out = str(values, "out");
    if (out === undefined) throw new UsageError("--out FILE.safetensors is required");
    const base = readConfig(str(values, "config"));
    const seed = parseInteger(str(values, "seed"), "--seed") ?? base.seed;
    const config = { ...base, seed };
    const model = new MiniGPT(config);
    writeFileAtomic(out, saveCheckpoint(model, { format: "minigpt", step: "0" }));
    const total = inventory(config, model).total;
    if (values["json"]) printJson({ out, seed, parameters: total });
    else process.stdout.write(`wrote ${out}: ${formatCount(total)} parameters, seed ${seed}\n`);
  },
};
