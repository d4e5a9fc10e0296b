// The command line: dispatch, flag parsing (unknown flags are errors), and error reporting.

import { parseArgs } from "node:util";
import { createWasmKernels, relaxedSimdSupported, setKernelFlavour, setKernels, sharedMemorySupported, wasmSimdSupported } from "../tensor/index.js";
import { ablateCommand } from "./ablate.js";
import { attributeCommand } from "./attribute.js";
import { bandwidthCommand } from "./bandwidth.js";
import { causalityCommand } from "./causality.js";
import { circuitsCommand } from "./circuits.js";
import { decomposeCommand } from "./decompose.js";
import { budgetCommand, lensCommand } from "./lens.js";
import { neuronsCommand } from "./neurons.js";
import { steerCommand } from "./steer.js";
import { probeCommand } from "./probe.js";
import { patchCommand } from "./patch.js";
import { patternsCommand } from "./patterns.js";
import type { Command } from "./command.js";
import { TEXT_RULE, UsageError } from "./common.js";
import { exportOnnxCommand } from "./export-onnx.js";
import { exportHfCommand, importCommand } from "./hf.js";
import { headsCommand } from "./heads.js";
import { labCommand } from "./lab.js";
import { saeCommand } from "./sae.js";
import { forwardCommand } from "./forward.js";
import { generateCommand } from "./generate.js";
import { defaultThreads, setThreads, spawnNodeHelper } from "./helper-threads.js";
import { initCommand } from "./init.js";
import { inventoryCommand } from "./inventory.js";
import { trainCommand } from "./train.js";
import { traceCommand } from "./trace.js";
import { vocabCommand } from "./vocab.js";

const COMMANDS: readonly Command[] = [
  traceCommand, inventoryCommand, initCommand, forwardCommand, causalityCommand, trainCommand, generateCommand,
  decomposeCommand, lensCommand, budgetCommand, attributeCommand, patternsCommand, headsCommand, circuitsCommand, ablateCommand, neuronsCommand, steerCommand, probeCommand, saeCommand, labCommand, patchCommand, bandwidthCommand, exportOnnxCommand,
  importCommand, exportHfCommand, vocabCommand,
];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "minigpt — a Mini-GPT you can understand down to the last parameter",
    "",
    "usage: minigpt <command> [flags]",
    "  every command takes --json, --help, --kernels wasm|wasm-strict|wasm-fma|js and --threads N",
    "  (wasm: fused multiply-add where the engine has relaxed SIMD, else strict; wasm-strict gives the",
    "  same bits on every machine; threads split large matrix products: the cores, at most 4, same bits)",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Without --checkpoint, commands use the shipped model in checkpoints/. --checkpoint takes a minigpt",
    "checkpoint or a Hugging Face model folder (gpt2, gpt_neox, llama).",
  ].join("\n");
}

/**
 * The arithmetic backend: "wasm" (SIMD, the default: the fma flavour where relaxed SIMD runs, else
 * strict), "wasm-fma", "wasm-strict" (bit-exact on every machine: reproduces the shipped model)
 * or "js" (the reference kernels).
 */
function selectKernels(name: string, threadsFlag: string | undefined): void {
  const threads = threadsFlag === undefined ? defaultThreads() : Number(threadsFlag);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new UsageError(`--threads ${threadsFlag}: expected a whole number from 1 to 64`);
  setThreads(threads);
  if (name === "js") return setKernels(null);
  if (name !== "wasm" && name !== "wasm-strict" && name !== "wasm-fma") throw new UsageError(`--kernels ${name}: expected wasm, wasm-strict, wasm-fma or js`);
  if (!wasmSimdSupported()) {
    if (name !== "wasm") throw new UsageError(`--kernels ${name}: this engine has no WebAssembly SIMD`);
    return setKernels(null);
  }
  if (name === "wasm-fma" && !relaxedSimdSupported()) throw new UsageError("--kernels wasm-fma: this engine has no relaxed SIMD (run through bin/minigpt, or Node ≥ 22)");
  setKernelFlavour(name === "wasm-strict" ? "strict" : name === "wasm-fma" ? "fma" : null);
  const helpers = sharedMemorySupported() ? threads - 1 : 0;
  setKernels(createWasmKernels(helpers > 0 ? { helpers, spawn: spawnNodeHelper() } : {}));
}

/**
 * `--temperature -1` and `--ids -1,2`: a value that starts with "-" after a flag that takes one is
 * that flag's value (node:util would call it an ambiguous flag), so the command can answer with
 * its own range message.
 */
function attachNegativeValues(args: readonly string[], flags: Command["flags"]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!, next = args[i + 1];
    const name = a.startsWith("--") ? a.slice(2) : null;
    if (name !== null && !name.includes("=") && flags[name]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(help() + "\n");
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`minigpt: unknown command "${name}"\n\n${help()}\n`);
    return 2;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: attachNegativeValues(rest, command.flags),
        options: { ...command.flags, json: { type: "boolean" }, help: { type: "boolean", short: "h" }, kernels: { type: "string" }, threads: { type: "string" } },
        strict: true,
        allowPositionals: (command.positionals ?? 0) > 0,
      });
      if (parsed.positionals.length > (command.positionals ?? 0)) throw new Error(`unexpected argument "${parsed.positionals[command.positionals ?? 0]}"`);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    selectKernels((parsed.values["kernels"] as string | undefined) ?? process.env["MINIGPT_KERNELS"] ?? "wasm",
      (parsed.values["threads"] as string | undefined) ?? process.env["MINIGPT_THREADS"]);
    if (parsed.values["help"]) {
      process.stdout.write(`${command.usage}\n${"text" in command.flags ? `  ${TEXT_RULE}\n` : ""}\n${command.summary}\n`);
      return 0;
    }
    return (await command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals)) ?? 0;
  } catch (err) {
    const e = err as Error;
    if (err instanceof UsageError) {
      process.stderr.write(`minigpt ${name}: ${e.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`minigpt ${name}: error: ${e.message}\n`);
    if (process.env["MINIGPT_DEBUG"]) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
}
