// Linear probes (Alain & Bengio 2016; Belinkov 2022): is a property of the input linearly readable
// from the residual stream at a state? A multinomial logistic regression per stream state, fitted on
// one set of positions and scored on another. Readable is not used — steering and patching ask
// that — and a probe on the untrained model of the same shape is the control: what a random
// stream of these tokens already gives away (Hewitt & Liang 2019 ask the same of their probes).

import type { MiniGPT } from "../model/minigpt.js";
import { streamStates, type StreamState } from "./stream.js";
import type { HookName } from "../model/hooks.js";

/** A position of an input and the class of the property there. */
export interface ProbeItem {
  readonly ids: readonly number[];
  readonly position: number;
  readonly label: number;
}

/** Rows [N, d] of features and their classes. */
export interface ProbeData {
  readonly x: Float64Array;
  readonly y: Int32Array;
  readonly d: number;
}

/** A fitted probe: features standardised by the training set's mean and spread, then x·W + b. */
export interface Probe {
  readonly d: number;
  readonly classes: number;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** [d, classes] */
  readonly W: Float64Array;
  readonly b: Float64Array;
}

export interface ProbeOptions {
  /** L2 penalty on W (on standardised features), default 1e-2. */
  readonly l2?: number;
  /** Accelerated gradient steps, default 400. */
  readonly steps?: number;
}

/** The stream at each state for each item: one ProbeData per state, in streamStates order. */
export function streamFeatures(model: MiniGPT, items: readonly ProbeItem[]): ProbeData[] {
  const states = streamStates(model.config), d = model.config.d_model, N = items.length;
  const xs = states.map(() => new Float64Array(N * d));
  const y = Int32Array.from(items, (it) => it.label);
  items.forEach((it, n) => {
    if (it.position < 0 || it.position >= it.ids.length) throw new Error(`probe item ${n}: position ${it.position} is outside its ${it.ids.length} tokens`);
    const { cache } = model.runWithCache([...it.ids]);
    states.forEach((s, k) => {
      const t = cache.get(s.hook as HookName).data;
      for (let e = 0; e < d; e++) xs[k]![n * d + e] = t[it.position * d + e]!;
    });
  });
  return xs.map((x) => ({ x, y, d }));
}

function standardised(p: Pick<Probe, "mean" | "scale">, x: Float64Array, d: number): Float64Array {
  return x.map((v, i) => (v - p.mean[i % d]!) * p.scale[i % d]!);
}

/** Class scores [N, classes] of standardised rows. */
function scores(z: Float64Array, d: number, W: Float64Array, b: Float64Array, C: number): Float64Array {
  const N = z.length / d, s = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) s[n * C + c] = b[c]!;
    for (let e = 0; e < d; e++) {
      const v = z[n * d + e]!;
      if (v !== 0) for (let c = 0; c < C; c++) s[n * C + c]! += v * W[e * C + c]!;
    }
  }
  return s;
}

/**
 * The probe's objective on standardised rows: mean cross-entropy + l2/2·‖W‖², and its gradient
 * (for W and b) — exported so a test checks the gradient against finite differences.
 */
export function probeLoss(z: Float64Array, y: Int32Array, d: number, C: number, W: Float64Array, b: Float64Array, l2: number): { loss: number; gW: Float64Array; gb: Float64Array } {
  const N = y.length, s = scores(z, d, W, b, C);
  const gW = new Float64Array(d * C), gb = new Float64Array(C);
  let loss = 0;
  const p = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, s[n * C + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += p[c] = Math.exp(s[n * C + c]! - m);
    loss += Math.log(sum) + m - s[n * C + y[n]!]!;
    for (let c = 0; c < C; c++) p[c] = p[c]! / sum - (c === y[n] ? 1 : 0);
    for (let c = 0; c < C; c++) gb[c]! += p[c]! / N;
    for (let e = 0; e < d; e++) {
      const v = z[n * d + e]! / N;
      if (v !== 0) for (let c = 0; c < C; c++) gW[e * C + c]! += v * p[c]!;
    }
  }
  let reg = 0;
  for (let i = 0; i < W.length; i++) (reg += W[i]! * W[i]!), (gW[i]! += l2 * W[i]!);
  return { loss: loss / N + (l2 / 2) * reg, gW, gb };
}

/** The largest eigenvalue of zᵀz/N (power iteration): with it, the gradient's Lipschitz bound. */
function largestEigenvalue(z: Float64Array, d: number): number {
  const N = z.length / d;
  let v = new Float64Array(d).fill(1 / Math.sqrt(d)), lambda = 0;
  for (let it = 0; it < 50; it++) {
    const u = new Float64Array(d);
    for (let n = 0; n < N; n++) {
      let dot = 0;
      for (let e = 0; e < d; e++) dot += z[n * d + e]! * v[e]!;
      for (let e = 0; e < d; e++) u[e]! += (z[n * d + e]! * dot) / N;
    }
    lambda = Math.hypot(...u);
    if (lambda === 0) return 0;
    v = u.map((x) => x / lambda);
  }
  return lambda;
}

/**
 * Fit a probe: multinomial logistic regression with an L2 penalty, by Nesterov's accelerated
 * gradient at the step 1/L the objective's smoothness allows (strongly convex: one optimum,
 * reached from zeros the same way every time).
 */
export function fitProbe(data: ProbeData, classes: number, { l2 = 1e-2, steps = 400 }: ProbeOptions = {}): Probe {
  const { x, y, d } = data, N = y.length;
  if (N === 0) throw new Error("a probe needs at least one example");
  for (const c of y) if (!(c >= 0 && c < classes)) throw new Error(`probe label ${c} is outside 0 … ${classes - 1}`);
  const mean = new Float64Array(d), scale = new Float64Array(d);
  for (let n = 0; n < N; n++) for (let e = 0; e < d; e++) mean[e]! += x[n * d + e]! / N;
  for (let n = 0; n < N; n++) for (let e = 0; e < d; e++) scale[e]! += (x[n * d + e]! - mean[e]!) ** 2 / N;
  for (let e = 0; e < d; e++) scale[e] = scale[e]! > 1e-24 ? 1 / Math.sqrt(scale[e]!) : 0; // a constant feature says nothing
  const z = standardised({ mean, scale }, x, d);
  // softmax cross-entropy's Hessian is at most ½·zᵀz/N per class block (plus the bias), and l2
  const L = 0.5 * (largestEigenvalue(z, d) + 1) + l2, step = 1 / L;
  let W = new Float64Array(d * classes), b = new Float64Array(classes);
  let prevW = W, prevB = b;
  for (let t = 1; t <= steps; t++) {
    const k = (t - 1) / (t + 2);
    const yW = W.map((w, i) => w + k * (w - prevW[i]!)), yB = b.map((w, i) => w + k * (w - prevB[i]!));
    const { gW, gb } = probeLoss(z, y, d, classes, yW, yB, l2);
    prevW = W;
    prevB = b;
    W = yW.map((w, i) => w - step * gW[i]!);
    b = yB.map((w, i) => w - step * gb[i]!);
  }
  return { d, classes, mean, scale, W, b };
}

/** The probe's class for each row. */
export function probePredict(p: Probe, x: Float64Array): Int32Array {
  const s = scores(standardised(p, x, p.d), p.d, p.W, p.b, p.classes), N = x.length / p.d;
  return Int32Array.from({ length: N }, (_, n) => {
    let best = 0;
    for (let c = 1; c < p.classes; c++) if (s[n * p.classes + c]! > s[n * p.classes + best]!) best = c;
    return best;
  });
}

export function accuracy(predicted: Int32Array, y: Int32Array): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) if (predicted[i] === y[i]) right++;
  return y.length === 0 ? 0 : right / y.length;
}

export interface StateProbe {
  readonly state: StreamState;
  readonly train: number;
  readonly test: number;
}

export interface ProbeReport {
  readonly classes: number;
  /** The held-out accuracy of always answering the training set's most frequent class. */
  readonly majority: number;
  readonly states: readonly StateProbe[];
}

/** The same rows with other classes (one forward's features serve every property of the same positions). */
export function relabel(data: readonly ProbeData[], y: Int32Array): ProbeData[] {
  return data.map((d) => {
    if (y.length !== d.y.length) throw new Error(`relabel: ${y.length} labels for ${d.y.length} rows`);
    return { ...d, y };
  });
}

/** A probe per state on features already taken (streamFeatures), fitted on `train` and scored on it and on `test`. */
export function probeStates(states: readonly StreamState[], train: readonly ProbeData[], test: readonly ProbeData[], classes: number, options: ProbeOptions = {}): ProbeReport {
  const counts = new Array<number>(classes).fill(0);
  for (const c of train[0]?.y ?? []) counts[c]!++;
  const most = counts.indexOf(Math.max(...counts)), yt = test[0]?.y ?? new Int32Array(0);
  const majority = yt.length === 0 ? 0 : yt.filter((c) => c === most).length / yt.length;
  return {
    classes, majority,
    states: states.map((state, k) => {
      const p = fitProbe(train[k]!, classes, options);
      return { state, train: accuracy(probePredict(p, train[k]!.x), train[k]!.y), test: accuracy(probePredict(p, test[k]!.x), test[k]!.y) };
    }),
  };
}

/**
 * Several properties of the same positions: the stream taken once (a forward per item), then a
 * probe per state and property. `onProgress(done, total)` counts the forwards' two sets and the properties.
 */
export function probeProperties(
  model: MiniGPT, train: readonly ProbeItem[], test: readonly ProbeItem[],
  properties: readonly { readonly classes: number; readonly train: Int32Array; readonly test: Int32Array }[],
  { onProgress, ...options }: ProbeOptions & { onProgress?: (done: number, total: number) => void } = {},
): ProbeReport[] {
  const total = 2 + properties.length, states = streamStates(model.config);
  const a = streamFeatures(model, train);
  onProgress?.(1, total);
  const b = streamFeatures(model, test);
  onProgress?.(2, total);
  return properties.map((p, i) => {
    const r = probeStates(states, relabel(a, p.train), relabel(b, p.test), p.classes, options);
    onProgress?.(3 + i, total);
    return r;
  });
}

/** A probe per stream state of `model`, fitted on the `train` items and scored on them and on `test`. */
export function probeStream(model: MiniGPT, train: readonly ProbeItem[], test: readonly ProbeItem[], classes: number, options: ProbeOptions = {}): ProbeReport {
  return probeStates(streamStates(model.config), streamFeatures(model, train), streamFeatures(model, test), classes, options);
}

/** Positions to fit and to score, labelled with one of `classes` (their indices in `labels`). */
export interface LabelledPositions {
  readonly train: ProbeItem[];
  readonly test: ProbeItem[];
  readonly classes: string[];
  readonly labels: { readonly train: Int32Array; readonly test: Int32Array };
}

/**
 * Labelled positions from a JSON Lines file: {"text": "…", "label": "…"} a line, with an optional
 * "position" (a token index; negative counts from the end; default the last token) and "split"
 * ("train" or "test"; without any, every fifth line is held out). `encode` reads the text (as
 * --text is read); a bad line is refused with its number.
 */
export function parseProbeData(source: string, content: string, encode: (text: string) => number[], context: number): LabelledPositions {
  const rows: { ids: number[]; position: number; label: string; split: "train" | "test" | null }[] = [];
  content.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${source} line ${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (err) {
      throw new Error(`${where}: not JSON (${(err as Error).message})`);
    }
    const r = row as Record<string, unknown>;
    if (typeof row !== "object" || row === null || typeof r["text"] !== "string" || (typeof r["label"] !== "string" && typeof r["label"] !== "number")) {
      throw new Error(`${where}: expected {"text": "…", "label": "…"} (optional "position", "split")`);
    }
    let ids: number[];
    try {
      ids = encode(r["text"]);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
    if (ids.length === 0) throw new Error(`${where}: the text encodes to no tokens`);
    if (ids.length > context) throw new Error(`${where}: ${ids.length} tokens, more than this model's context of ${context}`);
    const p = r["position"] ?? -1;
    if (typeof p !== "number" || !Number.isInteger(p) || p >= ids.length || p < -ids.length) throw new Error(`${where}: position ${String(p)} is not a token index of its ${ids.length} tokens`);
    const split = r["split"] ?? null;
    if (split !== null && split !== "train" && split !== "test") throw new Error(`${where}: split ${JSON.stringify(split)}: expected "train" or "test"`);
    const position = p < 0 ? ids.length + p : p;
    rows.push({ ids: ids.slice(0, position + 1), position, label: String(r["label"]), split });
  });
  const explicit = rows.some((r) => r.split !== null);
  const isTest = (r: (typeof rows)[number], i: number): boolean => (explicit ? r.split === "test" : i % 5 === 4);
  const train = rows.filter((r, i) => !isTest(r, i)), test = rows.filter(isTest);
  const classes = [...new Set(rows.map((r) => r.label))].sort();
  if (classes.length < 2) throw new Error(`${source}: a probe needs at least two labels; every line says "${classes[0] ?? ""}"`);
  if (train.length < classes.length || test.length === 0) throw new Error(`${source}: ${train.length} positions to fit and ${test.length} held out; give more lines (every fifth is held out unless "split" says)`);
  const item = (r: (typeof rows)[number]): ProbeItem => ({ ids: r.ids, position: r.position, label: classes.indexOf(r.label) });
  return {
    train: train.map(item), test: test.map(item), classes,
    labels: { train: Int32Array.from(train, (r) => classes.indexOf(r.label)), test: Int32Array.from(test, (r) => classes.indexOf(r.label)) },
  };
}
