// Training hyperparameters: one validated object, like the model config, from flags or YAML.

import { fraction, nonNegativeInt, nonNegativeNumber, parseWithRules, positiveInt, positiveNumber, seedRule, type Rule } from "../model/config.js";
import { ConfigError } from "../model/config.js";

export interface TrainConfig {
  readonly steps: number; // optimizer updates
  readonly batch_size: number; // sequences per micro-batch
  readonly grad_accum: number; // micro-batches per update
  readonly lr: number; // peak learning rate
  readonly min_lr: number; // floor of the cosine decay
  readonly warmup_steps: number;
  readonly weight_decay: number; // AdamW, weight matrices only
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly grad_clip: number; // global-norm clip; 0 turns clipping off
  readonly eval_every: number;
  readonly eval_sequences: number; // validation sequences per periodic evaluation
  readonly log_every: number;
  readonly checkpoint_every: number;
  readonly data_seed: number;
}

const RULES: Readonly<Record<keyof TrainConfig, Rule>> = {
  steps: positiveInt,
  batch_size: positiveInt,
  grad_accum: positiveInt,
  lr: positiveNumber,
  min_lr: nonNegativeNumber,
  warmup_steps: nonNegativeInt,
  weight_decay: nonNegativeNumber,
  beta1: fraction,
  beta2: fraction,
  eps: positiveNumber,
  grad_clip: nonNegativeNumber,
  eval_every: positiveInt,
  eval_sequences: positiveInt,
  log_every: positiveInt,
  checkpoint_every: positiveInt,
  data_seed: seedRule,
};

export const TRAIN_KEYS = Object.keys(RULES) as readonly (keyof TrainConfig)[];

/** The defaults: what `minigpt train` uses to produce the shipped model. */
export const DEFAULT_TRAIN: TrainConfig = Object.freeze({
  steps: 2000,
  batch_size: 32,
  grad_accum: 1,
  lr: 3e-3,
  min_lr: 3e-4,
  warmup_steps: 100,
  weight_decay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  grad_clip: 1.0,
  eval_every: 250,
  eval_sequences: 512,
  log_every: 10,
  checkpoint_every: 250,
  data_seed: 1,
});

export function parseTrainConfig(raw: unknown, defaults: TrainConfig | null = DEFAULT_TRAIN, source = "training config"): TrainConfig {
  const c = parseWithRules<TrainConfig>(raw, RULES, defaults, source);
  if (c.min_lr > c.lr) throw new ConfigError(`${source}: min_lr = ${c.min_lr} is above lr = ${c.lr}`);
  return Object.freeze(c);
}
