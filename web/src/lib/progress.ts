// A run's pace for the page's progress line, from the library's (the CLI's progress bar's) figures.

import { formatDuration, formatRate, rateAndEta } from "minigpt";

/** Steps per second since `started` (performance.now() then), tokens per second, and the time left as m:ss. */
export function pace(done: number, total: number, started: number, tokens: number): { steps: string; tokens: string; left: string } {
  const seconds = (performance.now() - started) / 1000, { rate, eta } = rateAndEta(done, total, seconds);
  return { steps: rate.toFixed(1), tokens: formatRate(tokens / Math.max(seconds, 1e-9)), left: formatDuration(eta) };
}
