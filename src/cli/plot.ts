// The loss curve: a Vega-Lite chart of training and validation loss (and agreement
// accuracy) from the metrics log, rendered to SVG by Vega — in Node or the browser.

import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { LabPoint, LabRun } from "../train/norms-lab.js";

/** One line of metrics.jsonl. */
export type MetricsRecord =
  | { readonly kind: "train"; readonly step: number; readonly loss: number; readonly lr: number; readonly grad_norm: number; readonly tokens_per_s?: number; readonly elapsed_s?: number }
  | {
      readonly kind: "eval";
      readonly step: number;
      readonly val_loss: number;
      readonly agreement: number;
      readonly agreement_en: number;
      readonly agreement_es: number;
      readonly agreement_held_out: number;
      readonly elapsed_s?: number;
    }
  | { readonly kind: "induction"; readonly step: number; readonly loss_first: number; readonly loss_repeat: number; readonly induction: number; readonly elapsed_s?: number }
  /** A text run's validation loss (nats per character on windows of its held-out part). */
  | { readonly kind: "text"; readonly step: number; readonly val_loss: number; readonly elapsed_s?: number };

/**
 * The induction task's phase change on one time axis: the loss on each half of held-out repeated
 * sequences, and the strongest head's induction score.
 */
export function phaseChangeSpec(records: readonly MetricsRecord[], title = "minigpt · induction"): TopLevelSpec {
  const ind = records.filter((r): r is Extract<MetricsRecord, { kind: "induction" }> => r.kind === "induction");
  const losses = ind.flatMap((r) => [{ step: r.step, loss: r.loss_first, series: "first half (unpredictable)" }, { step: r.step, loss: r.loss_repeat, series: "repeated half" }]);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    config: { font: "sans-serif", view: { stroke: null }, legend: { orient: "top", labelLimit: 240 } },
    resolve: { scale: { x: "shared", color: "independent" } },
    vconcat: [
      {
        width: 560, height: 180, data: { values: losses }, mark: { type: "line", strokeWidth: 1.5 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "held-out loss (nats / token)" },
          color: { field: "series", type: "nominal", title: null, scale: { range: ["#7f7f7f", "#d62728"] } },
        },
      },
      {
        width: 560, height: 120, data: { values: ind.map((r) => ({ step: r.step, score: r.induction })) }, mark: { type: "line", point: true, color: "#6a51a3" },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "score", type: "quantitative", title: "top induction score", scale: { domain: [0, 1] } },
        },
      },
    ],
  };
}

export function lossCurveSpec(records: readonly MetricsRecord[], title = "minigpt training"): TopLevelSpec {
  const losses = records.flatMap((r) =>
    r.kind === "train" ? [{ step: r.step, loss: r.loss, series: "train" }] : r.kind === "eval" || r.kind === "text" ? [{ step: r.step, loss: r.val_loss, series: "validation" }] : [],
  );
  const accuracy = records.flatMap((r) =>
    r.kind === "eval"
      ? [
          { step: r.step, accuracy: r.agreement_en, series: "English" },
          { step: r.step, accuracy: r.agreement_es, series: "Spanish" },
          { step: r.step, accuracy: r.agreement_held_out, series: "held-out combinations" },
        ]
      : [],
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    config: { font: "sans-serif", view: { stroke: null }, legend: { orient: "top", labelLimit: 240 } },
    resolve: { scale: { x: "shared", color: "independent" }, legend: { color: "independent" } },
    vconcat: [
      {
        width: 560,
        height: 220,
        data: { values: losses },
        mark: { type: "line", point: false, strokeWidth: 1.5 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "loss", type: "quantitative", title: "cross-entropy (nats / token)", scale: { type: "log" } },
          color: { field: "series", type: "nominal", title: null, scale: { domain: ["train", "validation"], range: ["#1f77b4", "#d62728"] } },
        },
      },
      ...(accuracy.length === 0 ? [] : [ // the grammar's agreement; a text run has none
        {
          width: 560,
          height: 140,
          data: { values: accuracy },
          mark: { type: "line" as const, point: true },
          encoding: {
            x: { field: "step", type: "quantitative" as const, title: "step" },
            y: { field: "accuracy", type: "quantitative" as const, title: "agreement accuracy (validation)", scale: { domain: [0, 1] }, axis: { format: "%" } },
            color: {
              field: "series",
              type: "nominal" as const,
              title: null,
              scale: { domain: ["English", "Spanish", "held-out combinations"], range: ["#2ca02c", "#ff7f0e", "#9467bd"] },
            },
          },
        },
      ]),
    ],
  };
}

/** The Pre-LN vs Post-LN lab: loss curves per depth, and each block's gradient norm at initialisation. */
export function normsLabSpec(runs: readonly LabRun[], title = "minigpt · Pre-LN vs Post-LN"): TopLevelSpec {
  const name = (r: LabPoint): string => `${r.norm === "pre" ? "Pre-LN" : "Post-LN"}${r.warmup ? ", warm-up" : ", no warm-up"}`;
  const every = Math.max(1, Math.floor((runs[0]?.losses.length ?? 0) / 100)); // ≤ ~100 points per curve
  const losses = runs.flatMap((r) => r.losses.filter((_, i) => i % every === every - 1).map((l) => ({ depth: `${r.depth} blocks`, step: l.step, loss: l.loss, run: name(r) })));
  const grads = runs.filter((r) => !r.warmup).flatMap((r) => r.gradNorms.map((g) => ({ depth: `${r.depth} blocks`, block: g.block, norm: g.ffn, placement: r.norm === "pre" ? "Pre-LN" : "Post-LN" })));
  const depthSort = [...new Set(runs.map((r) => `${r.depth} blocks`))];
  const colors = { domain: ["Pre-LN, no warm-up", "Pre-LN, warm-up", "Post-LN, no warm-up", "Post-LN, warm-up"], range: ["#1f77b4", "#9ecae1", "#d62728", "#fc9272"] };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title,
    config: { font: "sans-serif", legend: { orient: "top", labelLimit: 240 } },
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
    vconcat: [
      {
        data: { values: losses },
        facet: { column: { field: "depth", type: "nominal", title: null, sort: depthSort } },
        spec: {
          width: 220, height: 160, mark: { type: "line", strokeWidth: 1.5 },
          encoding: {
            x: { field: "step", type: "quantitative", title: "step" },
            y: { field: "loss", type: "quantitative", title: "training loss (nats / token)", scale: { type: "log" } },
            color: { field: "run", type: "nominal", title: null, scale: colors },
          },
        },
      },
      {
        data: { values: grads },
        facet: { column: { field: "depth", type: "nominal", title: null, sort: depthSort } },
        resolve: { scale: { x: "independent" } },
        spec: {
          width: 220, height: 140, mark: { type: "line", point: true },
          encoding: {
            x: { field: "block", type: "quantitative", title: "block (0 = nearest the input)", axis: { tickMinStep: 1 } },
            y: { field: "norm", type: "quantitative", title: "‖∇ FFN weights‖ at init", scale: { type: "log" } },
            color: { field: "placement", type: "nominal", title: null, scale: { domain: ["Pre-LN", "Post-LN"], range: ["#1f77b4", "#d62728"] } },
          },
        },
      },
    ],
  };
}

/** A steering sweep: each token's next-token probability as the scale runs (one line per token). */
export function steeringSweepSpec(points: readonly { scale: number; token: string; p: number }[], title: string, subtitle: readonly string[]): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle: [...subtitle], anchor: "start" },
    config: { font: "sans-serif", legend: { orient: "right", labelLimit: 200 } },
    data: { values: [...points] },
    width: 420, height: 240,
    layer: [
      { mark: { type: "rule", strokeDash: [4, 3], color: "#888" }, encoding: { x: { datum: 0 } } },
      {
        mark: { type: "line", point: true, strokeWidth: 1.5 },
        encoding: {
          x: { field: "scale", type: "quantitative", title: "scale (0: the model as it is)" },
          y: { field: "p", type: "quantitative", title: "next-token probability", scale: { domain: [0, 1] } },
          color: { field: "token", type: "nominal", title: "token", sort: null },
        },
      },
    ],
  };
}

/** Linear probes: held-out accuracy per stream state, trained model and control, one panel per property (the majority class dashed). */
export function probeSpec(points: readonly { property: string; state: string; order: number; model: string; accuracy: number }[], majorities: readonly { property: string; majority: number }[]): TopLevelSpec {
  const majority = new Map(majorities.map((m) => [m.property, m.majority]));
  const states = [...new Map(points.map((p) => [p.order, p.state])).entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "minigpt probe", subtitle: ["held-out accuracy of a linear probe at the token before each verb", "dashed: always answering the most frequent class"], anchor: "start" },
    config: { font: "sans-serif", legend: { orient: "top" } },
    data: { values: points.map((p) => ({ ...p, majority: majority.get(p.property) ?? 0 })) },
    facet: { column: { field: "property", type: "nominal", title: null, sort: majorities.map((m) => m.property) } },
    spec: {
      width: 200, height: 180,
      layer: [
        { mark: { type: "rule", strokeDash: [4, 3], color: "#888" }, encoding: { y: { field: "majority", type: "quantitative", aggregate: "max" } } },
        {
          mark: { type: "line", point: true, strokeWidth: 1.5 },
          encoding: {
            x: { field: "state", type: "ordinal", title: null, sort: states, axis: { labelAngle: -40 } },
            y: { field: "accuracy", type: "quantitative", title: "held-out accuracy", scale: { domain: [0, 1] } },
            color: { field: "model", type: "nominal", title: null, scale: { domain: ["trained", "untrained (control)"], range: ["#1f77b4", "#aaaaaa"] } },
          },
        },
      ],
    },
  };
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  return view.toSVG();
}
