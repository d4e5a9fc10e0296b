// minigpt circuits: what the weights alone say about the heads (interp/circuits.ts) — how each
// later head composes with each earlier one through its query, key and value; each head's copying
// score; and with --head, that head's OV circuit token by token.

import { composition, copyingScore, copyingScores, ovCircuitRows, type Composition, type CompositionKind } from "../interp/circuits.js";
import type { MiniGPT } from "../model/minigpt.js";
import type { TextTokenizer } from "../train/tokenizer.js";
import { str, type Command } from "./command.js";
import { openCheckpoint, parseInteger, printJson, table, UsageError } from "./common.js";
import { readToken, signed, tokenNamer } from "./inspect.js";
import { ProgressBar } from "./progress.js";

const TITLES: Record<CompositionKind, string> = {
  q: "Q-composition: the later head's query reads the earlier head's output",
  k: "K-composition: the later head's key reads it (an induction head reads a previous-token head so)",
  v: "V-composition: the later head's value reads it, and moves it on",
};

/** Up to this many heads a block, and blocks, the scores print as matrices; past it, the strongest pairs. */
const MATRIX_HEADS = 8, MATRIX_LAYERS = 4;

function headName(r: { layer: number; head: number }): string {
  return `${r.layer}.${r.head}`;
}

function compositionText(model: MiniGPT, c: Composition, top: number): string[] {
  const { n_layers: L, n_heads: H } = model.config;
  const out: string[] = [];
  for (const kind of ["q", "k", "v"] as const) {
    out.push(TITLES[kind]);
    const best = [...c.pairs].sort((a, b) => b[kind] - a[kind]);
    if (H <= MATRIX_HEADS && L <= MATRIX_LAYERS) {
      // one matrix per later block: rows the earlier heads, columns its heads
      for (let l2 = 1; l2 < L; l2++) {
        const into = c.pairs.filter((p) => p.to.layer === l2);
        const rows = [...new Set(into.map((p) => headName(p.from)))];
        out.push(table(
          ["from \\ to", ...Array.from({ length: H }, (_, h) => `${l2}.${h}`)],
          rows.map((r) => [r, ...Array.from({ length: H }, (_, h) => into.find((p) => headName(p.from) === r && p.to.head === h)![kind].toFixed(2))]),
          Array.from({ length: H }, (_, h) => h + 1),
        ));
      }
      const b = best[0]!;
      out.push(`strongest: ${headName(b.from)} → ${headName(b.to)} (${b[kind].toFixed(2)}, ${(b[kind] / c.baseline).toFixed(1)}× the baseline)`, "");
    } else {
      out.push(table(["from", "to", "score", "× baseline"], best.slice(0, top).map((p) => [headName(p.from), headName(p.to), p[kind].toFixed(3), (p[kind] / c.baseline).toFixed(1)]), [2, 3]), "");
    }
  }
  return out;
}

function copyingText(scores: number[][]): string[] {
  return [
    "copying score per head: Σλ / Σ|λ| over its OV circuit's eigenvalues (+1: raises the token it attends to; −1: lowers it)",
    table(["block", ...scores[0]!.map((_, h) => `head ${h}`)], scores.map((row, l) => [String(l), ...row.map((s) => signed(s, 2))]), scores[0]!.map((_, h) => h + 1)),
    "",
  ];
}

/** The source tokens for --head: --sources, else the whole vocabulary when it is small. */
function sourcesOf(model: MiniGPT, tok: TextTokenizer, value: string | undefined): number[] {
  const V = model.config.vocab_size;
  if (value !== undefined) return value.split(",").map((s) => readToken(tok, s.trim(), "--sources", V));
  if (V > 256) throw new UsageError(`this vocabulary has ${V} tokens: name the source tokens with --sources a,b,c (words or ids)`);
  return Array.from({ length: V }, (_, i) => i);
}

export const circuitsCommand: Command = {
  name: "circuits",
  summary: "from the weights alone: Q/K/V-composition between heads, each head's copying score, a head's OV circuit (--head)",
  usage:
    "minigpt circuits [--checkpoint FILE] [--top N] [--json]\n" +
    "minigpt circuits --head L.H [--sources a,b,…] [--top N] [--json]\n" +
    "  composition: ‖W_OV^A · W_QK^B‖ / (‖W_OV^A‖‖W_QK^B‖) (K: W_QK^Bᵀ; V: W_OV^B) for every earlier head A and later head B,\n" +
    "  with the score of random weights of the same shapes; the reading norm's centring and gain folded in, biases and RoPE\n" +
    "  left out. --head: what the head writes when it attends to each source token — the tokens it raises most (default:\n" +
    "  every token when the vocabulary has at most 256; --top: how many listed per kind or per token, default 10 and 3)",
  flags: { checkpoint: { type: "string" }, head: { type: "string" }, sources: { type: "string" }, top: { type: "string" } },
  run(values) {
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    model.pinWeights(); // only read: kept packed for the command
    const { n_layers: L, n_heads: H } = model.config;
    const name = tokenNamer(tok);
    const headArg = str(values, "head");
    if (headArg === undefined) {
      if (str(values, "sources") !== undefined) throw new UsageError("--sources names the source tokens of a head's OV circuit: give --head L.H too");
      if (L < 2) throw new UsageError("this model has one block: no head can read another's output");
      const top = parseInteger(str(values, "top"), "--top", 1) ?? 10;
      // a GPT-2-sized model takes seconds: a bar for the two passes
      const bar = L * H > 16 ? new ProgressBar(2 * L - 1) : null;
      const c = composition(model, { onProgress: (done) => bar?.update(done, "composition") });
      const copying = copyingScores(model, { onProgress: (done) => bar?.update(L - 1 + done, "copying scores") });
      bar?.finish();
      if (values["json"]) {
        printJson({ checkpoint: path, ...c, copying });
        return;
      }
      const fold = { layernorm: "LayerNorm's centring and gain folded into each reading side", rmsnorm: "RMSNorm's gain folded into each reading side", none: "Post-LN: the blocks read the stream as it is" }[c.fold];
      process.stdout.write([
        `${path}  ·  head circuits from the weights alone (no input)`,
        `${fold}; biases and RoPE left out. Random weights of these shapes score ${c.baseline.toFixed(2)} (the baseline).`,
        "",
        ...compositionText(model, c, top),
        ...copyingText(copying),
      ].join("\n"));
      return;
    }
    const m = /^(\d+)\.(\d+)$/.exec(headArg);
    if (m === null) throw new UsageError(`--head ${headArg}: expected block.head, e.g. --head 1.3`);
    const [layer, head] = [Number(m[1]), Number(m[2])];
    if (layer >= L) throw new UsageError(`--head ${headArg}: this model has ${L} blocks, 0 to ${L - 1}`);
    if (head >= H) throw new UsageError(`--head ${headArg}: blocks have ${H} heads, 0 to ${H - 1}`);
    const sources = sourcesOf(model, tok, str(values, "sources"));
    const top = parseInteger(str(values, "top"), "--top", 1) ?? 3;
    const rows = ovCircuitRows(model, layer, head, sources, top);
    const copying = copyingScore(model, layer, head);
    if (values["json"]) {
      printJson({ checkpoint: path, layer, head, copying, rows });
      return;
    }
    const list = (xs: readonly { id: number; value: number }[]): string => xs.map((x) => `${name(x.id)} ${signed(x.value, 2)}`).join("  ");
    const first = rows.filter((r) => r.selfRank === 1).length;
    process.stdout.write([
      `${path}  ·  head ${layer}.${head}'s OV circuit: what it writes when it attends to a position holding each source token`,
      "(the token's embedding through the block's norm, · W_V · W_O, through the final norm, · W_U; no biases; a direct effect on the logits)",
      "",
      table(["source", "raises most", "lowers most", "its own rank"], rows.map((r) => [name(r.source), list(r.up), list(r.down), String(r.selfRank)]), [3]),
      "",
      `${first} of ${rows.length} source tokens raise themselves most; copying score ${signed(copying, 2)} (Σλ / Σ|λ| over the whole vocabulary).`,
    ].join("\n") + "\n");
  },
};
