// minigpt patch: activation patching between a clean and a corrupted input.

import { attributionPatchHeads, attributionPatchResidual, correlation, edgeAttributionPatching, patchEdge, patchHeads, patchResidual, type PatchResult, type ResidHook } from "../interp/patching.js";
import type { MiniGPT } from "../model/minigpt.js";
import type { PatchMetric } from "../interp/patching.js";
import { CANONICAL_TEXT } from "../train/vocab.js";
import { str, type Command } from "./command.js";
import { openCheckpoint, parseInteger, printJson, readTokens, table, UsageError } from "./common.js";
import { readToken, signed, tokenNamer } from "./inspect.js";

const HOOKS: readonly ResidHook[] = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"];
const DEFAULT_CORRUPTED = "<bos> hoy el perro también camina y ellos";

export const patchCommand: Command = {
  name: "patch",
  summary: "activation patching (or its first-order estimate, attribution patching): which (layer, position) or head carries the clean run's answer into a corrupted run",
  usage:
    "minigpt patch [--checkpoint FILE] [--clean \"…\" | --clean-ids …] [--corrupted \"…\" | --corrupted-ids …] [--good T --bad T] [--position P] [--hook resid_pre|resid_mid|resid_post|attn_out|mlp_out] [--heads | --edges] [--method activation|attribution|both] [--json]\n" +
    "  --edges: every edge from a head to a head of a later block — edge attribution patching (one backward per downstream head); with --method both, each edge also patched alone\n" +
    "  --method attribution: (a_clean − a_corrupt) · ∂metric/∂a from one backward pass instead of a forward per cell; both: side by side with their correlation\n" +
    `  defaults: clean "${CANONICAL_TEXT}", corrupted "${DEFAULT_CORRUPTED}", metric logit(caminaron) − logit(caminan) at the last position`,
  flags: {
    checkpoint: { type: "string" }, clean: { type: "string" }, "clean-ids": { type: "string" }, corrupted: { type: "string" }, "corrupted-ids": { type: "string" },
    good: { type: "string" }, bad: { type: "string" }, position: { type: "string" }, hook: { type: "string" }, heads: { type: "boolean" }, edges: { type: "boolean" }, method: { type: "string" },
  },
  run(values) {
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    model.pinWeights(); // only read: kept packed for the command
    const name = tokenNamer(tok);
    const clean = readTokens(tok, str(values, "clean-ids"), str(values, "clean"));
    const corruptedText = str(values, "corrupted") ?? (str(values, "corrupted-ids") === undefined ? DEFAULT_CORRUPTED : undefined);
    const corrupted = readTokens(tok, str(values, "corrupted-ids"), corruptedText);
    const V = model.config.vocab_size;
    const good = readToken(tok, str(values, "good") ?? "caminaron", "--good", V);
    const bad = readToken(tok, str(values, "bad") ?? "caminan", "--bad", V);
    const position = parseInteger(str(values, "position"), "--position");
    if (position !== undefined && position >= clean.length) throw new UsageError(`--position ${position} is past the end of the input`);
    const hook = (str(values, "hook") ?? "resid_pre") as ResidHook;
    if (!HOOKS.includes(hook)) throw new UsageError(`--hook ${hook}: expected one of ${HOOKS.join(", ")}`);
    const method = str(values, "method") ?? (values["edges"] ? "attribution" : "activation");
    if (!["activation", "attribution", "both"].includes(method)) throw new UsageError(`--method ${method}: expected activation, attribution or both`);
    const metric = { good, bad, ...(position === undefined ? {} : { position }) };
    if (values["edges"]) {
      if (values["heads"]) throw new UsageError("--edges and --heads are different views: give one");
      if (method === "activation") throw new UsageError("--edges estimates edges by attribution: use --method attribution (the default with --edges) or both");
      return edges(model, clean, corrupted, metric, str(values, "method") === "both", Boolean(values["json"]), path, name);
    }
    const activation = (): PatchResult => (values["heads"] ? patchHeads(model, clean, corrupted, metric) : patchResidual(model, clean, corrupted, metric, hook));
    const attribution = (): PatchResult => (values["heads"] ? attributionPatchHeads(model, clean, corrupted, metric) : attributionPatchResidual(model, clean, corrupted, metric, hook));
    const act = method === "attribution" ? null : activation();
    const att = method === "activation" ? null : attribution();
    const r = (act ?? att)!;
    const corr = act !== null && att !== null ? correlation(act.restored, att.restored) : null;
    if (values["json"]) {
      printJson({
        clean_ids: clean, corrupted_ids: corrupted, good, bad, position: position ?? clean.length - 1, hook: values["heads"] ? "attn.hook_z" : hook, method,
        clean_metric: r.clean, corrupted_metric: r.corrupted, restored: r.restored, ...(att !== null && act !== null ? { attribution: att.restored, correlation: corr } : {}),
        rows: r.rowLabels, columns: r.columnLabels,
      });
      return;
    }
    const columns = values["heads"] ? r.columnLabels : clean.map((id, p) => (id === corrupted[p] ? name(id) : `${name(corrupted[p]!)}→${name(id)}`));
    const pct = (x: number): string => `${Math.round(100 * x) || 0}%`;
    const rows = r.restored.map((row, i) => [r.rowLabels[i]!, ...row.map((x, j) => (act !== null && att !== null ? `${pct(x)} ~${pct(att.restored[i]![j]!)}` : pct(x)))]);
    process.stdout.write(
      [
        `${path}  ·  ${{ activation: "activation patching", attribution: "attribution patching (first-order estimate)", both: "activation patching ~ attribution patching's estimate" }[method]}`,
        `clean:     ${clean.map(name).join(" ")}`,
        `corrupted: ${corrupted.map(name).join(" ")}`,
        `metric: logit("${name(good)}") − logit("${name(bad)}") at position ${position ?? clean.length - 1}:  clean ${signed(r.clean)}, corrupted ${signed(r.corrupted)}`,
        "",
        table([values["heads"] ? "patched hook_z of" : `patched ${hook} at`, ...columns], rows, columns.map((_, i) => i + 1)),
        "",
        "each cell: the share of the clean–corrupted difference restored by copying that one activation from the clean run (100% = fully restored)" +
          (att === null ? "." : act === null ? ", estimated to first order from one backward pass." : `; after ~, attribution patching's estimate. Correlation ${corr!.toFixed(3)}.`),
      ].join("\n") + "\n",
    );
  },
};

/** Edge attribution patching: a table of upstream heads × downstream heads (and, with `both`, each edge patched alone). */
function edges(model: MiniGPT, clean: number[], corrupted: number[], metric: PatchMetric, both: boolean, json: boolean, path: string, name: (id: number) => string): void {
  const r = edgeAttributionPatching(model, clean, corrupted, metric);
  const act = both ? r.edges.map((e) => patchEdge(model, clean, corrupted, metric, e.from, e.to).restored) : null;
  const corr = act === null ? null : correlation([act], [r.edges.map((e) => e.restored)]);
  if (json) {
    printJson({
      clean_ids: clean, corrupted_ids: corrupted, method: both ? "both" : "attribution", clean_metric: r.clean, corrupted_metric: r.corrupted,
      edges: r.edges.map((e, i) => ({ from: e.from, to: e.to, attribution: e.restored, ...(act === null ? {} : { activation: act[i] }) })),
      ...(corr === null ? {} : { correlation: corr }),
    });
    return;
  }
  const head = (h: { layer: number; head: number }): string => `${h.layer}.${h.head}`;
  const ups = [...new Map(r.edges.map((e) => [head(e.from), e.from])).values()];
  const downs = [...new Map(r.edges.map((e) => [head(e.to), e.to])).values()];
  const pct = (x: number): string => `${Math.abs(x) < 5e-4 ? "0.0" : (100 * x).toFixed(1)}%`;
  const cell = (u: string, d: string): string => {
    const i = r.edges.findIndex((e) => head(e.from) === u && head(e.to) === d);
    return i < 0 ? "" : act === null ? pct(r.edges[i]!.restored) : `${pct(act[i]!)} ~${pct(r.edges[i]!.restored)}`;
  };
  const top = [...r.edges].sort((a, b) => Math.abs(b.restored) - Math.abs(a.restored)).slice(0, 5);
  process.stdout.write(
    [
      `${path}  ·  edge attribution patching (head → head)${both ? " ~ each edge patched alone" : ""}`,
      `clean:     ${clean.map(name).join(" ")}`,
      `corrupted: ${corrupted.map(name).join(" ")}`,
      `metric: logit("${name(metric.good)}") − logit("${name(metric.bad)}"):  clean ${signed(r.clean)}, corrupted ${signed(r.corrupted)}`,
      "",
      table(["from \\ to (block.head)", ...downs.map(head)], ups.map((u) => [head(u), ...downs.map((d) => cell(head(u), head(d)))]), downs.map((_, i) => i + 1)),
      "",
      `strongest edges: ${top.map((e) => `${head(e.from)}→${head(e.to)} ${pct(e.restored)}`).join(", ")}`,
      "each cell: the share of the clean–corrupted difference restored when only the downstream head reads the upstream head's clean output" +
        (act === null ? " (first-order estimate from one backward per downstream head)." : `; after ~, the estimate. Correlation ${corr!.toFixed(3)}.`),
    ].join("\n") + "\n",
  );
}
