// minigpt attribute: direct logit attribution of one token's logit (or a difference) to each source.

import { directLogitAttribution } from "../interp/attribution.js";
import { str, type Command } from "./command.js";
import { printJson, table, UsageError } from "./common.js";
import { INPUT_FLAGS, inspect, readToken, signed, signedBar } from "./inspect.js";

export const attributeCommand: Command = {
  name: "attribute",
  summary: "direct logit attribution: each source's share of a token's logit (or of a difference, --vs)",
  usage: "minigpt attribute [--checkpoint FILE] [--ids … | --text \"…\"] [--position P] --token T [--vs T2] [--per-head] [--json]",
  flags: { ...INPUT_FLAGS, token: { type: "string" }, vs: { type: "string" }, "per-head": { type: "boolean" } },
  run(values) {
    const { model, cache, ids, position, name, path, tok } = inspect(values);
    const t = str(values, "token");
    if (t === undefined) throw new UsageError("--token T is required (a word or an id)");
    const V = model.config.vocab_size;
    const target = [readToken(tok, t, "--token", V)];
    const vs = str(values, "vs");
    if (vs !== undefined) target.push(readToken(tok, vs, "--vs", V));
    const a = directLogitAttribution(model, cache, position, target, { perHead: Boolean(values["per-head"]) });
    if (values["json"]) {
      printJson({ ids, position, target: a.target, labels: a.labels, contributions: a.contributions, bias_term: a.biasTerm, total: a.total, actual: a.actual, scale: a.scale, valid: a.valid, note: a.note });
      return;
    }
    const what = target.length === 1 ? `logit("${name(target[0]!)}")` : `logit("${name(target[0]!)}") − logit("${name(target[1]!)}")`;
    const widest = Math.max(...a.contributions.map(Math.abs), Math.abs(a.biasTerm));
    const rows = a.labels.map((l, i) => [l, signed(a.contributions[i]!), signedBar(a.contributions[i]!, widest)]);
    rows.push(["LN_final bias", signed(a.biasTerm), signedBar(a.biasTerm, widest)]);
    process.stdout.write(
      [
        `${path}  ·  ${what} at position ${position} ("${name(ids[position]!)}") of: ${ids.map(name).join(" ")}`,
        "",
        table(["source", "contribution", ""], rows, [1]),
        "",
        `sum = ${signed(a.total, 4)}   the model's ${what} = ${signed(a.actual, 4)}   (final LayerNorm scale frozen at σ = ${a.scale.toFixed(4)})`,
        (a.valid ? "✓ " : "✗ ") + a.note,
      ].join("\n") + "\n",
    );
  },
};
