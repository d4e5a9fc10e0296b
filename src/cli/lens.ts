// minigpt lens: the logit lens — the stream decoded at every depth; minigpt budget: the block budget.

import { blockBudget, logitLens } from "../interp/lens.js";
import { softmaxVec, topK } from "../interp/vectors.js";
import { str, type Command } from "./command.js";
import { parseInteger, printJson, table, UsageError } from "./common.js";
import { INPUT_FLAGS, inspect, percent } from "./inspect.js";

export const lensCommand: Command = {
  name: "lens",
  summary: "logit lens: decode the stream after every sublayer (grid of top tokens, or the top k at one --position)",
  usage: "minigpt lens [--checkpoint FILE] [--ids … | --text \"…\"] [--position P] [--top K] [--json]",
  flags: { ...INPUT_FLAGS, top: { type: "string" } },
  run(values) {
    const { model, cache, ids, position, name, path } = inspect(values);
    const k = parseInteger(str(values, "top"), "--top", 1) ?? 5;
    const positions = str(values, "position") === undefined ? ids.map((_, p) => p) : [position];
    const lenses = positions.map((p) => logitLens(model, cache, p, k));
    if (values["json"]) {
      printJson({ ids, valid: lenses[0]!.valid, note: lenses[0]!.note, positions: lenses.map((l) => ({ position: l.position, rows: l.rows.map(({ state, label, probs, top }) => ({ state, label, probs, top })) })) });
      return;
    }
    const out = [`${path}  ·  logit lens: LN_final(h)·W_Eᵀ at every state (LayerNorm recomputed for each vector)`, ""];
    if (positions.length > 1) {
      const header = ["state", ...ids.map((id, p) => `${p}:${name(id)}`)];
      const rows = lenses[0]!.rows.map((r, s) => [r.label, ...lenses.map((l) => { const t = l.rows[s]!.top[0]!; return `${name(t.id)} ${percent(t.prob, 0)}`; })]);
      out.push(table(header, rows), "", "each cell: the top next-token prediction read from that state at that position; --position P for the top k");
    } else {
      const l = lenses[0]!;
      out.push(`position ${position} ("${name(ids[position]!)}"):`, "", table(["state", `top ${k}`], l.rows.map((r) => [r.label, r.top.map((t) => `${name(t.id)} ${percent(t.prob)}`).join("  ")])));
    }
    out.push("", (lenses[0]!.valid ? "✓ " : "✗ ") + lenses[0]!.note);
    process.stdout.write(out.join("\n") + "\n");
  },
};

export const budgetCommand: Command = {
  name: "budget",
  summary: "block budget: run only the first k blocks (k = 0 is the bigram floor) and show the next-token distribution",
  usage: "minigpt budget [--checkpoint FILE] [--ids … | --text \"…\"] [--position P] [--k K] [--top N] [--json]",
  flags: { ...INPUT_FLAGS, k: { type: "string" }, top: { type: "string" } },
  run(values) {
    const { model, ids, position, name, path } = inspect(values);
    const L = model.config.n_layers;
    const kOnly = parseInteger(str(values, "k"), "--k");
    if (kOnly !== undefined && kOnly > L) throw new UsageError(`--k ${kOnly}: this model has ${L} blocks, so k runs from 0 to ${L}`);
    const n = parseInteger(str(values, "top"), "--top", 1) ?? 5;
    const ks = kOnly === undefined ? Array.from({ length: L + 1 }, (_, k) => k) : [kOnly];
    const results = ks.map((k) => {
      const probs = softmaxVec(blockBudget(model, ids, k)[position]!);
      return { k, probs, top: topK(probs, n).map(({ id, value }) => ({ id, prob: value })) };
    });
    if (values["json"]) {
      printJson({ ids, position, budgets: results });
      return;
    }
    const rows = results.map((r) => [r.k === 0 ? "0 (bigram floor)" : r.k === L ? `${r.k} (full model)` : String(r.k), r.top.map((t) => `${name(t.id)} ${percent(t.prob)}`).join("  ")]);
    process.stdout.write(
      [`${path}  ·  block budget at position ${position} ("${name(ids[position]!)}") of: ${ids.map(name).join(" ")}`, "", table(["k blocks", `top ${n} next tokens`], rows), "", "k = 0: softmax(LN(W_E[t] + p)·W_Eᵀ), the embedding alone; each block adds a correction."].join("\n") + "\n",
    );
  },
};
