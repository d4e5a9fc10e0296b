// The trainer: one optimizer update at a time — micro-batches from the seeded stream,
// masked cross-entropy, backward, global-norm clipping, AdamW at the scheduled rate —
// and a state (weights, moments, step, data-stream position) that saves and restores exactly.

import { loadCheckpoint, saveCheckpoint } from "../io/checkpoint.js";
import { decodeSafetensors, encodeSafetensors } from "../io/safetensors.js";
import type { MiniGPT } from "../model/minigpt.js";
import { AdamW, isDecayed } from "../nn/adamw.js";
import { arithmetic, BufferPool, F, ops, type RngState } from "../tensor/index.js";
import { TrainingStream, type Example } from "./corpus.js";
import { makeBatch, type Batch } from "./evaluate.js";
import { learningRate } from "./schedule.js";
import { parseTrainConfig, type TrainConfig } from "./train-config.js";
import { PAD } from "./vocab.js";

export class TrainingError extends Error {
  override name = "TrainingError";
}

export interface StepInfo {
  readonly step: number; // updates completed, after this one
  readonly loss: number; // mean over the update's micro-batches
  readonly lr: number;
  readonly gradNorm: number; // before clipping
  readonly tokens: number; // predicted tokens in this update
}

interface SavedState {
  readonly step: number;
  readonly tokens_seen: number;
  readonly stream: RngState;
  readonly adam_t: number;
}

/** Where training sequences come from: an endless seeded stream whose position saves and restores. */
export interface DataStream {
  next(): Example;
  /** The target id the loss skips: the grammar's <pad> when absent; null when every target counts (a text's full windows). */
  readonly ignore?: number | null;
  getState(): RngState;
  setState(s: RngState): void;
}

export class Trainer {
  readonly optimizer: AdamW;
  readonly stream: DataStream;
  step = 0;
  tokensSeen = 0;
  /** The arrays of one update, reused by the next (fresh ones cost page faults and collections). */
  readonly buffers = new BufferPool();

  /** `stream`: the verb-grammar corpus by default (seeded by data_seed); the induction task's, or another. */
  constructor(readonly model: MiniGPT, readonly config: TrainConfig, stream?: DataStream) {
    this.optimizer = new AdamW(model.namedParameters(), config, isDecayed);
    this.stream = stream ?? new TrainingStream(config.data_seed);
  }

  get done(): boolean {
    return this.step >= this.config.steps;
  }

  /** One optimizer update on the next micro-batches of the stream. Throws TrainingError (before touching the weights) on a non-finite loss or gradient. */
  trainStep(): StepInfo {
    const c = this.config;
    const ignore = this.stream.ignore;
    return this.update(Array.from({ length: c.grad_accum }, () => ({ ...makeBatch(Array.from({ length: c.batch_size }, () => this.stream.next())), ...(ignore === undefined ? {} : { ignore }) })));
  }

  /**
   * One optimizer update on the given micro-batches (their gradients averaged), at the schedule's
   * rate for this step. The step's tensors come from the trainer's BufferPool: they, and the
   * parameters' gradients, stay readable until the next update begins.
   */
  update(batches: readonly Batch[]): StepInfo {
    if (batches.length === 0) throw new TrainingError("an update needs at least one micro-batch");
    const c = this.config;
    const lr = learningRate(this.step, c);
    this.model.zeroGrad();
    this.buffers.recycle();
    return this.buffers.use(() => {
      let lossSum = 0, tokens = 0;
      batches.forEach(({ inputs, targets, ignore = PAD }, micro) => {
        const skip = ignore ?? -1;
        const loss = F.crossEntropy(this.model.forward(inputs), targets, skip);
        const value = loss.item();
        if (!Number.isFinite(value)) throw new TrainingError(`the loss is ${value} at step ${this.step + 1} (micro-batch ${micro + 1}); stopping before the weights change`);
        lossSum += value;
        tokens += targets.reduce((n, t) => n + (t === skip ? 0 : 1), 0);
        loss.backward(ops.full(loss.shape, 1 / batches.length, loss.dtype)); // average over micro-batches
      });
      const gradNorm = this.clipGradients(c.grad_clip);
      this.optimizer.step(lr);
      this.step++;
      this.tokensSeen += tokens;
      return { step: this.step, loss: lossSum / batches.length, lr, gradNorm, tokens };
    });
  }

  /** Scale gradients so their global L2 norm is at most `maxNorm` (0: no clipping); returns the norm before. */
  private clipGradients(maxNorm: number): number {
    let sq = 0;
    for (const p of this.model.parameters()) if (p.grad !== null) for (const g of p.grad.data) sq += g * g;
    const norm = Math.sqrt(sq);
    if (!Number.isFinite(norm)) throw new TrainingError(`the gradient norm is ${norm} at step ${this.step + 1}; stopping before the weights change`);
    if (maxNorm > 0 && norm > maxNorm) {
      const scale = maxNorm / norm;
      for (const p of this.model.parameters()) if (p.grad !== null) for (let i = 0; i < p.grad.size; i++) p.grad.data[i]! *= scale;
    }
    return norm;
  }

  /** The whole training state as two files: the model checkpoint (SPEC §5) and the optimizer moments. */
  save(metadata: Record<string, string> = {}): { checkpoint: Uint8Array; optimizer: Uint8Array } {
    const state: SavedState = { step: this.step, tokens_seen: this.tokensSeen, stream: this.stream.getState(), adam_t: this.optimizer.t };
    const moments = this.optimizer.slots.flatMap((s) => [
      [`m.${s.name}`, { shape: s.param.shape, data: s.m }],
      [`v.${s.name}`, { shape: s.param.shape, data: s.v }],
    ]) as [string, { shape: readonly number[]; data: ArrayLike<number> }][];
    return {
      checkpoint: saveCheckpoint(this.model, {
        ...metadata,
        format: "minigpt",
        step: String(this.step),
        kernels: arithmetic(),
        train_config: JSON.stringify(this.config),
        train_state: JSON.stringify(state),
      }),
      optimizer: encodeSafetensors(moments, { step: String(this.step), adam_t: String(this.optimizer.t) }),
    };
  }

  /** Rebuild a trainer from `save()`'s two files; it continues exactly where the saved one stopped. */
  static restore(checkpoint: Uint8Array, optimizer: Uint8Array, source = "checkpoint", stream?: (config: TrainConfig, model: MiniGPT) => DataStream): Trainer {
    const { model, metadata } = loadCheckpoint(checkpoint, source);
    const rawConfig = metadata["train_config"], rawState = metadata["train_state"];
    if (rawConfig === undefined || rawState === undefined) throw new TrainingError(`${source} has no training state (train_config, train_state); it cannot be resumed`);
    const config = parseTrainConfig(JSON.parse(rawConfig), null, `${source} (train_config)`);
    const trainer = new Trainer(model, config, stream?.(config, model));
    const state = JSON.parse(rawState) as SavedState;
    const moments = decodeSafetensors(optimizer, `${source} (optimizer state)`);
    if (moments.metadata["step"] !== String(state.step)) {
      throw new TrainingError(`${source}: the optimizer state is from step ${moments.metadata["step"]} but the checkpoint is at step ${state.step}`);
    }
    for (const slot of trainer.optimizer.slots) {
      for (const [key, target] of [["m", slot.m], ["v", slot.v]] as const) {
        const t = moments.tensors.get(`${key}.${slot.name}`);
        if (t === undefined || t.data.length !== target.length) throw new TrainingError(`${source}: optimizer state lacks ${key}.${slot.name} of ${target.length} values`);
        target.set(t.data);
      }
    }
    trainer.optimizer.t = state.adam_t;
    trainer.step = state.step;
    trainer.tokensSeen = state.tokens_seen;
    trainer.stream.setState(state.stream);
    return trainer;
  }
}
