// minigpt trace: the shape of every intermediate tensor for the canonical sequence — or one hook
// point's values (--hook), or every activation saved to a safetensors file (--save), as
// TransformerLens's run_with_cache gives them — or (--toy) every value of one toy block, small
// enough to check on paper.

import { activationsFile, describeHook, toyModel, TOY_TOKENS, traceForward } from "../interp/trace.js";
import { configToJson } from "../model/config.js";
import { hookNames, type HookName } from "../model/hooks.js";
import type { MiniGPT } from "../model/minigpt.js";
import { str, type Command } from "./command.js";
import { tokenLabel } from "../train/tokenizer.js";
import { displayPath, formatShapeList, openCheckpoint, printJson, readTokens, table, UsageError, writeFileAtomic } from "./common.js";

export const traceCommand: Command = {
  name: "trace",
  summary: "print every intermediate tensor's shape (or, with --toy, every value of a toy block)",
  usage:
    "minigpt trace [--checkpoint FILE] [--ids 1,2,3 | --text \"…\"] [--hook NAME] [--save FILE.safetensors] [--toy] [--json]\n" +
    "  --hook NAME: that hook point's values (docs/MODEL.md §6), not every shape\n" +
    "  --save FILE: every activation of the forward pass, each named by its hook point, as float32 tensors in a\n" +
    "  safetensors file (numpy: safetensors.numpy.load_file) — the cache TransformerLens's run_with_cache returns",
  flags: { checkpoint: { type: "string" }, ids: { type: "string" }, text: { type: "string" }, hook: { type: "string" }, save: { type: "string" }, toy: { type: "boolean" } },
  run(values) {
    const hook = str(values, "hook"), save = str(values, "save");
    if (values["toy"]) {
      if (hook !== undefined || save !== undefined) throw new UsageError("--toy prints every value of the toy block already; --hook and --save read a model's forward");
      return traceToy(Boolean(values["json"]));
    }
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    const ids = readTokens(tok, str(values, "ids"), str(values, "text"));
    const names = hookNames(model.config);
    if (hook !== undefined && !names.includes(hook as HookName)) throw new UsageError(`--hook: no hook point "${hook}" in this model; its hook points are ${names.join(", ")}`);
    const tokens = ids.map((id) => tokenLabel(tok, id));
    if (hook === undefined && save === undefined) return shapeTrace(values, model, path, ids, tokens);
    const { cache } = model.runWithCache(ids);
    if (save !== undefined) writeFileAtomic(save, activationsFile(cache, ids, tokens, { checkpoint: path }));
    const saved = save === undefined ? {} : { saved: save };
    if (hook !== undefined) {
      const t = cache.get(hook), shape = [...t.shape], what = describeHook(hook as HookName);
      if (values["json"]) return printJson({ checkpoint: path, ids, tokens, hook, shape, what, values: t.toArray(), ...saved });
      process.stdout.write([`${hook} ${formatShapeList(shape)}  ${what}  ·  ${path}`, `input: ${tokens.join(" ")}`, formatValues(t.toArray(), shape, 4)].join("\n") + "\n");
    }
    if (save !== undefined) {
      const entries = cache.entries(), floats = entries.reduce((n, [, t]) => n + t.size, 0);
      if (values["json"]) return printJson({ checkpoint: path, ids, tokens, ...saved, hooks: entries.map(([name, t]) => ({ name, shape: [...t.shape] })) });
      process.stdout.write(`wrote ${displayPath(save)}: ${entries.length} activations (${floats.toLocaleString("en-US")} float32 values) of ${tokens.join(" ")}, each named by its hook point\n`);
    }
  },
};

/** Every hook point's shape, from a forward of its own (no values kept). */
function shapeTrace(values: Readonly<Record<string, string | boolean | undefined>>, model: MiniGPT, path: string, ids: number[], tokens: string[]): void {
  const rows = traceForward(model, ids);
  if (values["json"]) return printJson({ checkpoint: path, ids, tokens, config: configToJson(model.config), rows });
  const c = model.config;
  const out = [
    `Shape trace of one forward pass  ·  ${path}`,
    `input: ${tokens.join(" ")}   (B = 1, T = ${ids.length})`,
    `config: d_model ${c.d_model}, n_heads ${c.n_heads} (d_head ${c.d_model / c.n_heads}), n_layers ${c.n_layers}, d_ff ${c.d_ff}, vocab ${c.vocab_size}, ${c.positional}, ${c.norm}-LN`,
    "",
    table(["hook point", "shape", "what it holds"], rows.map((r) => [r.name, formatShapeList(r.shape), r.what])),
  ];
  process.stdout.write(out.join("\n") + "\n");
}

function traceToy(json: boolean): void {
  const model = toyModel();
  const rows = traceForward(model, TOY_TOKENS, { withValues: true });
  const weights = model.namedParameters().map(([name, t]) => ({ name, shape: [...t.shape], values: t.toArray() }));
  if (json) {
    printJson({ config: configToJson(model.config), ids: TOY_TOKENS, weights, rows });
    return;
  }
  const out: string[] = [
    "Block by hand (lab 00): one Pre-LN block, d_model 4, 2 heads of d_head 2, d_ff 8, 2 tokens.",
    `Weights are N(0, 0.5²) rounded to one decimal; tokens ${JSON.stringify(TOY_TOKENS)}. Batch axis (B = 1) dropped below.`,
    "",
    "── weights ──",
  ];
  for (const w of weights) out.push(`${w.name} ${formatShapeList(w.shape)}`, formatValues(w.values, w.shape, 1));
  out.push("", "── forward, in order ──");
  for (const r of rows) out.push(`${r.name} ${formatShapeList(r.shape)}  ${r.what}`, formatValues(r.values, r.shape, 4));
  process.stdout.write(out.join("\n") + "\n");
}

/** Print nested arrays as matrices of the last two axes, labelled by the leading indices (a leading 1 is dropped). */
function formatValues(values: unknown, shape: readonly number[], digits: number): string {
  const cell = (v: number): string => (v === -Infinity ? "-inf" : v.toFixed(digits)).padStart(digits + 4);
  const lines: string[] = [];
  const walk = (v: unknown, depth: number, label: string): void => {
    const rest = shape.length - depth;
    if (rest <= 2) {
      const rows = rest === 2 ? (v as number[][]) : rest === 1 ? [v as number[]] : [[v as number]];
      if (label !== "") lines.push(`  ${label}`);
      for (const row of rows) lines.push("    " + row.map(cell).join(" "));
      return;
    }
    const arr = v as unknown[];
    const skip = depth === 0 && shape[0] === 1;
    arr.forEach((x, i) => walk(x, depth + 1, skip ? label : `${label}[${i}]`));
  };
  walk(values, 0, "");
  return lines.join("\n");
}
