// The parameter inventory (course lab 02): every tensor of a real model counted,
// grouped by component, and checked against SPEC §2's closed-form formula.

import type { ModelConfig } from "./config.js";
import { MiniGPT } from "./minigpt.js";

export interface InventoryRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly count: number;
  /** Component for the stacked bar: embed, pos_embed, blocks.{l}.ln, blocks.{l}.attn, blocks.{l}.mlp, ln_final, unembed. */
  readonly group: string;
}

export interface FormulaTerm {
  readonly label: string;
  readonly expression: string;
  readonly count: number;
}

export interface Inventory {
  readonly total: number; // counted from the model's tensors
  readonly formula: number; // SPEC §2 evaluated
  readonly rows: readonly InventoryRow[];
  readonly groups: readonly { readonly group: string; readonly count: number }[];
  readonly terms: readonly FormulaTerm[];
}

function groupOf(name: string): string {
  const m = /^blocks\.(\d+)\.(ln1|ln2|attn|mlp)\./.exec(name);
  if (m !== null) return `blocks.${m[1]}.${m[2] === "ln1" || m[2] === "ln2" ? "ln" : m[2]}`;
  return name.slice(0, name.indexOf("."));
}

/** SPEC §2, term by term. */
export function formulaTerms(c: ModelConfig): FormulaTerm[] {
  const { d_model: d, vocab_size: V, n_layers: L, d_ff: F, context_len: T } = c;
  const perBlock = 2 * d + 4 * d * d + (c.attn_bias ? 4 * d : 0) + 2 * d + 2 * d * F + (c.mlp_bias ? F + d : 0);
  const blockExpr = ["2d", "4d²", c.attn_bias ? "4d" : null, "2d", "2dF", c.mlp_bias ? "(F + d)" : null].filter((x) => x !== null).join(" + ");
  const terms: FormulaTerm[] = [{ label: "token embedding", expression: "V·d", count: V * d }];
  if (c.positional === "learned") terms.push({ label: "learned positions", expression: "T·d", count: T * d });
  terms.push({ label: `${L} blocks`, expression: `L·(${blockExpr})`, count: L * perBlock });
  if (c.norm === "pre") terms.push({ label: "final LayerNorm", expression: "2d", count: 2 * d });
  if (!c.tied_embeddings) terms.push({ label: "unembedding", expression: "V·d", count: V * d });
  return terms;
}

export function formulaCount(c: ModelConfig): number {
  return formulaTerms(c).reduce((s, t) => s + t.count, 0);
}

/** Count a model's parameters tensor by tensor (without initialising it). */
export function inventory(c: ModelConfig, model: MiniGPT = new MiniGPT(c, { init: false })): Inventory {
  const rows = model.namedParameters().map(([name, t]) => ({ name, shape: [...t.shape], count: t.size, group: groupOf(name) }));
  const groups = new Map<string, number>();
  for (const r of rows) groups.set(r.group, (groups.get(r.group) ?? 0) + r.count);
  return {
    total: rows.reduce((s, r) => s + r.count, 0),
    formula: formulaCount(c),
    rows,
    groups: [...groups].map(([group, count]) => ({ group, count })),
    terms: formulaTerms(c),
  };
}
