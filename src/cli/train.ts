// minigpt train: train on the verb-grammar corpus with a progress bar, a metrics log,
// a loss curve, atomic checkpoints, and exact resume after Ctrl-C or a kill.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { saveCheckpoint } from "../io/checkpoint.js";
import { decodeSafetensors } from "../io/safetensors.js";
import { arithmetic } from "../tensor/index.js";
import { CONFIG_KEYS } from "../model/config.js";
import { MiniGPT } from "../model/minigpt.js";
import { validationSet } from "../train/corpus.js";
import { evaluate, type Evaluation } from "../train/evaluate.js";
import { lossCurveSpec, phaseChangeSpec, renderSvg, type MetricsRecord } from "./plot.js";
import { DEFAULT_TRAIN, parseTrainConfig, TRAIN_KEYS, type TrainConfig } from "../train/train-config.js";
import { Trainer, TrainingError, type DataStream } from "../train/trainer.js";
import { TrainingStream } from "../train/corpus.js";
import { halfLength, INDUCTION, inductionLoss, inductionSet, InductionStream, phaseChange, WORDS } from "../train/induction.js";
import { Snapshots, snapshotSteps } from "../train/snapshots.js";
import { headScores } from "../interp/heads.js";
import { formatDuration } from "../train/progress.js";
import { BOS } from "../train/vocab.js";
import { prepareText, textConfig, textLoss, textMetadata, textSample, TextStream, textWindows, type TextData } from "../train/text.js";
import type { ModelConfig } from "../model/config.js";
import { parse as parseYaml } from "yaml";
import { str, type Command } from "./command.js";
import { displayPath, parseInteger, printJson, readBytes, readConfig, UsageError, writeFileAtomic } from "./common.js";
import { ProgressBar } from "./progress.js";

const CHECKPOINT = "checkpoint.safetensors";
const SNAPSHOTS = "snapshots.safetensors";
const METRICS = "metrics.jsonl";
/** Validation sequences for the final evaluation (periodic ones use eval_sequences of them). */
const FINAL_EVAL_SEQUENCES = 2048;

/** Flags that set training keys: --steps, --batch-size, --lr, … (each key of TrainConfig with - for _). */
const TRAIN_FLAGS = Object.fromEntries(TRAIN_KEYS.map((k) => [k.replace(/_/g, "-"), { type: "string" as const }]));

export const trainCommand: Command = {
  name: "train",
  summary: "train on the verb-grammar corpus, the induction task, or a text of your own (resumes the run in --run DIR if it has a checkpoint)",
  usage:
    "minigpt train [--run DIR] [--task grammar|induction|text] [--data FILE.txt] [--config MODEL.yaml] [--train-config TRAIN.yaml] [--steps N] [--batch-size N] [--lr X] … [--snapshots N] [--export FILE] [--json]\n" +
    "  --task induction: random words repeated twice, a two-layer attention-only model by default; evaluations measure the loss on each half and the top induction score\n" +
    "  --data FILE.txt (--task text): a character-level model of your own text, as nanoGPT's shakespeare_char — its characters are the vocabulary (vocab_size set to their count unless --config sets it), random windows of context_len + 1 characters from its first 90% the data, the last 10% the validation loss; the checkpoint carries the characters as its tokenizer.json\n" +
    "  --snapshots N: keep the weights at N log-spaced steps (run dir snapshots.safetensors; exported beside --export)\n" +
    `  training keys (flags or --train-config YAML): ${TRAIN_KEYS.join(", ")}`,
  flags: { run: { type: "string" }, config: { type: "string" }, "train-config": { type: "string" }, export: { type: "string" }, task: { type: "string" }, data: { type: "string" }, snapshots: { type: "string" }, ...TRAIN_FLAGS },
  async run(values) {
    const dir = str(values, "run") ?? "runs/default";
    const requested = readTrainConfig(values);
    const dataPath = str(values, "data");
    const askedTask = str(values, "task") ?? (dataPath !== undefined ? "text" : undefined);
    if (askedTask !== undefined && askedTask !== "grammar" && askedTask !== "induction" && askedTask !== "text") throw new UsageError(`--task ${askedTask}: expected grammar, induction or text`);
    if (askedTask === "text" && dataPath === undefined) throw new UsageError("--task text needs --data FILE.txt, the text to train on");
    if (askedTask !== "text" && dataPath !== undefined) throw new UsageError(`--data is the text task's; --task ${askedTask} makes its own data`);
    const askedSnapshots = parseInteger(str(values, "snapshots"), "--snapshots");
    mkdirSync(dir, { recursive: true });
    const ckptPath = join(dir, CHECKPOINT);
    // `window`: the steps since the last metrics line, saved with each checkpoint, so a resumed
    // run logs the same averages as one that was never interrupted.
    const fresh = (): Run => {
      const task = (askedTask ?? "grammar") as Task;
      const given = str(values, "config");
      let config = given === undefined && task === "induction" ? INDUCTION : readConfig(given);
      const text = task === "text" ? readData(dataPath!, config, given !== undefined) : null;
      if (text !== null && given === undefined) config = textConfig(config, text);
      const tc = requested ?? DEFAULT_TRAIN;
      const model = new MiniGPT(config);
      return { trainer: new Trainer(model, tc, streamFor(task, tc, model, text)), window: { steps: 0, loss: 0 }, task, snapshotSteps: snapshotSteps(tc.steps, askedSnapshots ?? 0), text };
    };
    const { trainer, window, task, snapshotSteps: shotSteps, text } = existsSync(ckptPath) ? resume(dir, requested, values, askedTask, askedSnapshots, dataPath) : fresh();
    const c = trainer.config;
    const shotsPath = join(dir, SNAPSHOTS);
    const shots = new Snapshots(shotSteps, existsSync(shotsPath) ? readBytes(shotsPath, "snapshots") : undefined);
    const runMeta = { ...(task !== "grammar" ? { task } : {}), ...(text !== null ? textMetadata(text) : {}), ...(shotSteps.length > 0 ? { snapshot_steps: JSON.stringify(shotSteps) } : {}) };
    const textWindow = trainer.model.config.context_len + 1;
    const heldInduction = task === "induction" ? inductionSet(64, halfLength(trainer.model.config.context_len)) : [];
    const records = readMetrics(join(dir, METRICS)).filter((r) => r.step <= trainer.step);
    writeFileAtomic(join(dir, METRICS), records.map((r) => JSON.stringify(r) + "\n").join(""));
    const val = validationSet(FINAL_EVAL_SEQUENCES);
    const json = Boolean(values["json"]);
    const say = (line: string): void => void (json ? process.stderr : process.stdout).write(line + "\n");

    const on = task === "induction" ? " on the induction task" : text !== null ? ` on ${displayPath(dataPath!)} (${text.train.length + text.val.length} characters, ${text.chars.length} distinct: vocab_size ${trainer.model.config.vocab_size})` : "";
    say(trainer.step > 0 ? `resuming ${displayPath(dir)} at step ${trainer.step} of ${c.steps}` : `training ${displayPath(dir)}${on}: ${c.steps} steps of ${c.batch_size * c.grad_accum} sequences, lr ${c.lr}, seed ${trainer.model.config.seed}`);
    let interrupted = false;
    const onSignal = (): void => {
      interrupted = true;
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    const bar = new ProgressBar(c.steps, trainer.step);
    const startTokens = trainer.tokensSeen;
    let last: Evaluation | null = null, lastText: number | null = null;
    try {
      while (!trainer.done && !interrupted) {
        const info = trainer.trainStep();
        window.steps++;
        window.loss += info.loss;
        bar.update(info.step, `loss ${info.loss.toFixed(3)}`, { count: info.tokens, unit: "tok" });
        const elapsed = bar.elapsedSeconds;
        if (info.step % c.log_every === 0 || trainer.done) {
          const rec: MetricsRecord = { kind: "train", step: info.step, loss: window.loss / window.steps, lr: info.lr, grad_norm: info.gradNorm, tokens_per_s: (trainer.tokensSeen - startTokens) / elapsed, elapsed_s: elapsed };
          appendMetric(dir, records, rec);
          window.steps = 0;
          window.loss = 0;
        }
        if (shots.record(info.step, trainer.model)) writeFileAtomic(shotsPath, shots.bytes(trainer.model));
        if ((info.step % c.eval_every === 0 || trainer.done) && task === "induction") {
          const rec = inductionRecord(trainer.model, heldInduction, info.step, elapsed);
          appendMetric(dir, records, rec);
          bar.note(`step ${info.step}: loss first half ${rec.loss_first.toFixed(3)}, repeated half ${rec.loss_repeat.toFixed(3)}, top induction score ${rec.induction.toFixed(2)}`);
        } else if ((info.step % c.eval_every === 0 || trainer.done) && text !== null) {
          lastText = textLoss(trainer.model, textWindows(text.val, textWindow, trainer.done ? FINAL_EVAL_SEQUENCES : c.eval_sequences));
          appendMetric(dir, records, { kind: "text", step: info.step, val_loss: lastText, elapsed_s: elapsed });
          bar.note(`step ${info.step}: val loss ${lastText.toFixed(4)} nats/char (this step's training loss ${info.loss.toFixed(4)}) · ${JSON.stringify(textSample(trainer.model, text))}`);
        } else if (info.step % c.eval_every === 0 || trainer.done) {
          last = evaluate(trainer.model, trainer.done ? val : val.slice(0, c.eval_sequences));
          appendMetric(dir, records, evalRecord(info.step, last, elapsed));
          bar.note(`step ${info.step}: val loss ${last.loss.toFixed(4)}  agreement ${pct(last.agreement.accuracy)} (en ${pct(last.en.accuracy)}, es ${pct(last.es.accuracy)}, held-out ${pct(last.heldOut.accuracy)})`);
        }
        if (info.step % c.checkpoint_every === 0 || trainer.done) saveRun(dir, trainer, window, runMeta);
        await new Promise((resolve) => setImmediate(resolve)); // let a pending Ctrl-C be delivered
      }
    } catch (err) {
      bar.finish();
      if (err instanceof TrainingError) {
        const kept = existsSync(ckptPath) ? `the last good checkpoint is ${displayPath(ckptPath)} (step ${readStep(ckptPath)})` : "no checkpoint was written yet";
        throw new TrainingError(`${err.message}; ${kept}. Lower --lr or raise --warmup-steps, then resume or start a new --run.`);
      }
      throw err;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    bar.finish();
    if (interrupted) {
      saveRun(dir, trainer, window, runMeta);
      say(`interrupted at step ${trainer.step}; checkpoint saved. Run the same command to resume.`);
    }
    writeFileSync(join(dir, "loss.svg"), await renderSvg(task === "induction" ? phaseChangeSpec(records, `minigpt · ${displayPath(dir)} · induction`) : lossCurveSpec(records, `minigpt · ${displayPath(dir)}`)));
    const phase = task === "induction" ? inductionPhase(records) : null;
    if (phase !== null) say(phase.text);
    const exportPath = str(values, "export");
    if (trainer.done && exportPath !== undefined) {
      if (task === "induction") writeFileAtomic(exportPath, exportedInduction(trainer, records, phase!));
      else if (text !== null) writeFileAtomic(exportPath, exportedText(trainer, text, lastText ?? textLoss(trainer.model, textWindows(text.val, textWindow, FINAL_EVAL_SEQUENCES))));
      else writeFileAtomic(exportPath, exportedModel(trainer, last ?? evaluate(trainer.model, val)));
      if (shots.recorded.length > 0) writeFileAtomic(exportPath.replace(/\.safetensors$/, "") + "-snapshots.safetensors", shots.bytes(trainer.model));
      say(`exported ${exportPath}${shots.recorded.length > 0 ? ` and its ${shots.recorded.length} snapshots` : ""}`);
    }
    if (text !== null && trainer.done && !json) say(`a sample (temperature 1, seed 0): ${JSON.stringify(textSample(trainer.model, text))}`);
    const seconds = bar.elapsedSeconds;
    const tokensPerSecond = (trainer.tokensSeen - startTokens) / seconds;
    if (json) printJson({ run: dir, step: trainer.step, done: trainer.done, seconds, tokens_per_s: tokensPerSecond, evaluation: text !== null ? (lastText === null ? null : { loss: lastText }) : last });
    else say(`${trainer.done ? "done" : "stopped"}: step ${trainer.step}/${c.steps} in ${formatDuration(seconds)}, ${Math.round(tokensPerSecond)} tokens/s · metrics ${join(dir, METRICS)} · curve ${join(dir, "loss.svg")}`);
    return interrupted ? 130 : 0;
  },
};

function pct(x: number): string {
  return Number.isNaN(x) ? "—" : `${(100 * x).toFixed(2)}%`;
}

function evalRecord(step: number, e: Evaluation, elapsed: number): MetricsRecord {
  return { kind: "eval", step, val_loss: e.loss, agreement: e.agreement.accuracy, agreement_en: e.en.accuracy, agreement_es: e.es.accuracy, agreement_held_out: e.heldOut.accuracy, elapsed_s: elapsed };
}

function readTrainConfig(values: Readonly<Record<string, string | boolean | undefined>>): TrainConfig | null {
  const file = str(values, "train-config");
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    try {
      raw = (parseYaml(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`--train-config ${file}: ${(err as Error).message}`);
    }
  }
  let any = file !== undefined;
  for (const key of TRAIN_KEYS) {
    const v = str(values, key.replace(/_/g, "-"));
    if (v === undefined) continue;
    const n = Number(v);
    if (v.trim() === "" || Number.isNaN(n)) throw new UsageError(`--${key.replace(/_/g, "-")} ${v}: expected a number`);
    raw[key] = n;
    any = true;
  }
  return any ? parseTrainConfig(raw, DEFAULT_TRAIN, file ?? "training flags") : null;
}

interface LogWindow { steps: number; loss: number }

interface Run { trainer: Trainer; window: LogWindow; task: Task; snapshotSteps: number[]; text: TextData | null }

function resume(dir: string, requested: TrainConfig | null, values: Readonly<Record<string, string | boolean | undefined>>, askedTask: string | undefined, askedSnapshots: number | undefined, dataPath: string | undefined): Run {
  const ckpt = join(dir, CHECKPOINT);
  const bytes = readBytes(ckpt, "checkpoint");
  const metadata = readMetadata(bytes, ckpt);
  const optimizerName = metadata["optimizer"];
  if (optimizerName === undefined) throw new TrainingError(`${ckpt} names no optimizer state file; it cannot be resumed`);
  const task: Task = metadata["task"] === "induction" || metadata["task"] === "text" ? metadata["task"] : "grammar";
  if (askedTask !== undefined && askedTask !== task) throw new UsageError(`${displayPath(dir)} already holds a ${task} run; resume it without --task ${askedTask}${dataPath !== undefined ? " and --data" : ""}, or choose another --run`);
  if (task === "text" && dataPath === undefined) throw new UsageError(`${displayPath(dir)} holds a run on ${metadata["data"] ?? "a text"}: resume it with --data and that file`);
  const shotSteps = metadata["snapshot_steps"] === undefined ? [] : (JSON.parse(metadata["snapshot_steps"]) as number[]);
  if (askedSnapshots !== undefined && snapshotSteps(shotSteps.at(-1) ?? 0, askedSnapshots).join() !== shotSteps.join() && !(askedSnapshots === 0 && shotSteps.length === 0)) {
    throw new UsageError(`${displayPath(dir)} already holds a run with ${shotSteps.length} snapshots; resume it without --snapshots, or choose another --run`);
  }
  const recorded = metadata["kernels"], now = arithmetic();
  if (recorded !== undefined && recorded !== now && values["kernels"] === undefined && process.env["MINIGPT_KERNELS"] === undefined) {
    throw new UsageError(`${displayPath(dir)} was trained with the ${recorded} kernels and would resume with ${now}, whose last bits differ: pass --kernels ${recorded} to continue it exactly (or --kernels ${now} to continue with the other arithmetic)`);
  }
  let text: TextData | null = null;
  const trainer = Trainer.restore(bytes, readBytes(join(dir, optimizerName), "optimizer state"), displayPath(ckpt), (tc, model) => {
    if (task === "text") {
      text = readData(dataPath!, model.config, false); // the hash says whether it is the same text (and so fits the vocabulary)
      if (text.hash !== metadata["data_hash"]) throw new UsageError(`${displayPath(dataPath!)} is not the text ${displayPath(dir)} was trained on (${metadata["data"] ?? "?"}, hash ${metadata["data_hash"] ?? "?"}; this one ${text.hash}): resume with that file, or choose another --run`);
    }
    return streamFor(task, tc, model, text);
  });
  if (str(values, "config") !== undefined) {
    const asked = readConfig(str(values, "config"));
    const differs = CONFIG_KEYS.filter((k) => asked[k] !== trainer.model.config[k]);
    if (differs.length > 0) {
      throw new UsageError(`${displayPath(dir)} already holds a run of another model (${differs.map((k) => `${k} ${trainer.model.config[k]} there, ${asked[k]} asked`).join("; ")}); choose another --run`);
    }
  }
  if (requested !== null) {
    const differs = TRAIN_KEYS.filter((k) => requested[k] !== trainer.config[k]);
    if (differs.length > 0) {
      throw new UsageError(`${displayPath(dir)} already holds a run with other settings (${differs.map((k) => `${k} ${trainer.config[k]} there, ${requested[k]} asked`).join("; ")}); resume it without those flags, or choose another --run`);
    }
  }
  const window = metadata["log_window"] === undefined ? { steps: 0, loss: 0 } : (JSON.parse(metadata["log_window"]) as LogWindow);
  return { trainer, window, task, snapshotSteps: shotSteps, text };
}

type Task = "grammar" | "induction" | "text";

/** The data a task trains on, seeded by data_seed. */
function streamFor(task: Task, c: TrainConfig, model: MiniGPT, text: TextData | null): DataStream {
  if (task === "text") return new TextStream(text!.train, model.config.context_len + 1, c.data_seed);
  return task === "induction" ? new InductionStream(c.data_seed, halfLength(model.config.context_len)) : new TrainingStream(c.data_seed);
}

/** --data's text, split and checked against the model (its vocab_size only when the user set it). */
function readData(path: string, config: ModelConfig, vocabGiven: boolean): TextData {
  if (!existsSync(path)) throw new UsageError(`--data ${path}: no such file`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(path));
  } catch (err) {
    throw new UsageError(`--data ${path}: ${err instanceof TypeError ? "not UTF-8 text (the text task reads UTF-8)" : (err as Error).message}`); // TextDecoder's fatal error is a TypeError
  }
  try {
    return prepareText(text, config.context_len + 1, displayPath(path), vocabGiven ? config.vocab_size : Infinity);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function exportedText(trainer: Trainer, text: TextData, valLoss: number): Uint8Array {
  return saveCheckpoint(trainer.model, {
    format: "minigpt",
    ...textMetadata(text),
    step: String(trainer.step),
    kernels: arithmetic(),
    train_config: JSON.stringify(trainer.config),
    validation: JSON.stringify({ windows: Math.min(FINAL_EVAL_SEQUENCES, text.val.length - trainer.model.config.context_len), loss: valLoss }),
  });
}

function inductionRecord(model: MiniGPT, held: number[][], step: number, elapsed: number): Extract<MetricsRecord, { kind: "induction" }> {
  const loss = inductionLoss(model, held);
  const n = halfLength(model.config.context_len);
  const scores = headScores(model, { sequences: 8, length: n, pool: WORDS, prefix: [BOS], seed: 5 }).scores.induction.flat();
  return { kind: "induction", step, loss_first: loss.first, loss_repeat: loss.repeat, induction: Math.max(...scores), elapsed_s: elapsed };
}

interface Phase { readonly loss: ReturnType<typeof phaseChange>; readonly score: ReturnType<typeof phaseChange>; readonly text: string }

/** Where the repeated half's loss falls fastest and the induction score rises fastest, found in the metrics. */
function inductionPhase(records: readonly MetricsRecord[]): Phase {
  const ind = records.filter((r): r is Extract<MetricsRecord, { kind: "induction" }> => r.kind === "induction");
  const loss = phaseChange(ind.map((r) => ({ step: r.step, value: r.loss_repeat })), -1);
  const score = phaseChange(ind.map((r) => ({ step: r.step, value: r.induction })), 1);
  const text = loss === null || score === null ? "too few evaluations to find the phase change" :
    `phase change: the repeated half's loss falls fastest between steps ${loss.from} and ${loss.to} (${(100 * loss.share).toFixed(0)}% of its whole fall), the top induction score rises fastest between steps ${score.from} and ${score.to} (${(100 * score.share).toFixed(0)}% of its rise)`;
  return { loss, score, text };
}

function exportedInduction(trainer: Trainer, records: readonly MetricsRecord[], phase: Phase): Uint8Array {
  return saveCheckpoint(trainer.model, {
    format: "minigpt",
    task: "induction",
    step: String(trainer.step),
    kernels: arithmetic(),
    train_config: JSON.stringify(trainer.config),
    induction_metrics: JSON.stringify(records.filter((r) => r.kind === "induction").map((r) => ({ ...r, elapsed_s: undefined }))),
    phase_change: JSON.stringify({ loss: phase.loss, score: phase.score }),
  });
}

function readMetadata(bytes: Uint8Array, source: string): Record<string, string> {
  return decodeSafetensors(bytes, source).metadata;
}

function readStep(path: string): string {
  return readMetadata(readBytes(path, "checkpoint"), path)["step"] ?? "?";
}

/** Optimizer state first, then the checkpoint that names it (the commit point), then old optimizer files go. */
function saveRun(dir: string, trainer: Trainer, window: LogWindow, meta: Record<string, string> = {}): void {
  const optimizerName = `optimizer-${String(trainer.step).padStart(7, "0")}.safetensors`;
  const { checkpoint, optimizer } = trainer.save({ ...meta, optimizer: optimizerName, log_window: JSON.stringify(window) });
  writeFileAtomic(join(dir, optimizerName), optimizer);
  writeFileAtomic(join(dir, CHECKPOINT), checkpoint);
  for (const f of readdirSync(dir)) if (/^optimizer-\d+\.safetensors$/.test(f) && f !== optimizerName) rmSync(join(dir, f), { force: true });
}

function readMetrics(path: string): MetricsRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as MetricsRecord];
      } catch {
        return []; // a line cut short by a kill
      }
    });
}

function appendMetric(dir: string, records: MetricsRecord[], rec: MetricsRecord): void {
  records.push(rec);
  writeFileSync(join(dir, METRICS), JSON.stringify(rec) + "\n", { flag: "a" });
}

/** The shipped form: weights and config (SPEC §5) plus a deterministic training summary; no optimizer state. */
function exportedModel(trainer: Trainer, e: Evaluation): Uint8Array {
  return saveCheckpoint(trainer.model, {
    format: "minigpt",
    step: String(trainer.step),
    kernels: arithmetic(),
    train_config: JSON.stringify(trainer.config),
    validation: JSON.stringify({ sequences: FINAL_EVAL_SEQUENCES, loss: e.loss, agreement: e.agreement, en: e.en, es: e.es, held_out: e.heldOut }),
  });
}
