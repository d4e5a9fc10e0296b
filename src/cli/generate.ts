// minigpt generate: sample a continuation (greedy, temperature, top-k, top-p), with the KV cache.

import { checkGenerateInput, chooseEngine, generate, type GenerateOptions } from "../model/generate.js";
import { InferenceSession } from "../model/inference.js";
import { sharedMemorySupported } from "../tensor/index.js";
import { spawnNodeHelper, threads } from "./helper-threads.js";
import { specialTokens } from "../train/hf-tokenizer.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { tokenNamer } from "./inspect.js";
import { openCheckpoint, parseInteger, parseNumber, printJson, readTokens, UsageError } from "./common.js";

export const generateCommand: Command = {
  name: "generate",
  summary: "sample a continuation of a prompt (greedy, temperature, top-k, top-p; KV cache)",
  usage:
    "minigpt generate [--checkpoint FILE] [--ids 1,2,3 | --text \"…\"] [--max-new N] [--temperature T] [--top-k K] [--top-p P] [--seed S] [--no-cache] [--engine session|tensor] [--json]\n" +
    "  without --ids or --text the prompt is the model's beginning-of-sequence token (<bos>; an imported model's bos_token_id); generation stops at its end-of-sequence token (<eos>; eos_token_id), after --max-new tokens, or at context_len\n" +
    "  --slide: past context_len, go on from the last context_len tokens (nanoGPT's crop) instead of stopping\n" +
    "  --engine: session (the compiled WebAssembly forward with its KV cache; the default with --kernels wasm) or tensor (the model's own forward)",
  flags: {
    checkpoint: { type: "string" }, ids: { type: "string" }, text: { type: "string" }, "max-new": { type: "string" },
    temperature: { type: "string" }, "top-k": { type: "string" }, "top-p": { type: "string" }, seed: { type: "string" }, "no-cache": { type: "boolean" }, engine: { type: "string" }, slide: { type: "boolean" },
  },
  run(values) {
    const { model, tok, metadata } = openCheckpoint(str(values, "checkpoint"));
    const text = str(values, "text");
    const special = specialTokens(metadata, model.config.vocab_size);
    if (str(values, "ids") === undefined && text === undefined && special.bos === null) throw new UsageError("this model names no beginning-of-sequence token to start from: give a prompt with --text or --ids");
    const prompt = str(values, "ids") === undefined && text === undefined ? [special.bos!] : readTokens(tok, str(values, "ids"), text);
    const number = (flag: string, fallback: number): number => parseNumber(str(values, flag), `--${flag}`) ?? fallback;
    const engine = str(values, "engine") ?? chooseEngine();
    if (engine !== "session" && engine !== "tensor") throw new UsageError(`--engine ${engine}: expected session or tensor`);
    const json = Boolean(values["json"]);
    const name = tokenNamer(tok);
    const options: GenerateOptions = {
      maxNew: parseInteger(str(values, "max-new"), "--max-new") ?? 24,
      temperature: number("temperature", 1),
      topK: parseInteger(str(values, "top-k"), "--top-k") ?? 0,
      topP: number("top-p", 1),
      seed: parseInteger(str(values, "seed"), "--seed") ?? 0,
      stopAt: special.eos,
      useCache: !values["no-cache"],
      slide: Boolean(values["slide"]),
      engine,
      // --threads: the session's large products on helper threads (same bits)
      ...(engine === "session" && threads() > 1 && sharedMemorySupported() ? { session: new InferenceSession(model, { helpers: threads() - 1, spawn: spawnNodeHelper() }) } : {}),
    };
    // Every flag and the prompt are checked before the first byte of output.
    checkGenerateInput(model, prompt, options);
    // The verb grammar's words are written as tokens; another tokenizer's pieces as the text they
    // decode to (streamed: whatever the decoding of all ids so far adds to what is written).
    const words = usesVerbGrammar(tok, model.config.vocab_size), ids = [...prompt];
    let written = "";
    const write = (): void => {
      const all = tok.decode(ids);
      if (!all.startsWith(written) || all.endsWith("\uFFFD")) return; // a multi-byte character waits for its last piece
      process.stdout.write(all.slice(written.length));
      written = all;
    };
    if (!json) words ? process.stdout.write(prompt.map(name).join(" ")) : write();
    const result = generate(model, prompt, {
      ...options,
      onToken: json ? undefined : (id) => (words ? void process.stdout.write(" " + name(id)) : (ids.push(id), write())),
    });
    if (!json && !words && tok.decode(ids).startsWith(written)) process.stdout.write(tok.decode(ids).slice(written.length)); // a last piece held back
    const why = { stop_token: `stopped at ${result.ids.length > 0 ? name(result.ids.at(-1)!) : "an end token"}`, max_new: "reached --max-new", context_len: `reached context_len ${model.config.context_len}` }[result.stop];
    if (json) printJson({ ids: result.ids, prompt, generated: result.generated, tokens: result.ids.map(name), text: tok.decode(result.ids), probabilities: result.probabilities, stop: result.stop });
    else process.stdout.write(`\n(${result.generated.length} new tokens; ${why})\n`);
  },
};
