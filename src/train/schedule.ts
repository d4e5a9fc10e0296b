// The learning-rate schedule: linear warm-up, then cosine decay to a floor.

export interface ScheduleOptions {
  readonly lr: number;
  readonly min_lr: number;
  readonly warmup_steps: number;
  readonly steps: number;
}

/** Learning rate for update number `step` (0-based). */
export function learningRate(step: number, { lr, min_lr, warmup_steps, steps }: ScheduleOptions): number {
  if (step < warmup_steps) return (lr * (step + 1)) / warmup_steps;
  if (step >= steps) return min_lr;
  const progress = (step - warmup_steps) / Math.max(1, steps - warmup_steps);
  return min_lr + 0.5 * (lr - min_lr) * (1 + Math.cos(Math.PI * progress));
}
