// Timing helpers for benchmarks: warm up, then the median of repeated timed batches.

export interface Timing {
  /** Median milliseconds per call. */
  readonly ms: number;
  readonly batches: number;
  readonly callsPerBatch: number;
}

/** Run fn until warm, then time `batches` batches sized to take about `batchMs` each. */
export function measure(fn: () => unknown, { batches = 7, batchMs = 150, warmupMs = 200 } = {}): Timing {
  const t0 = performance.now();
  let calls = 0;
  do {
    fn();
    calls++;
  } while (performance.now() - t0 < warmupMs);
  const perCall = (performance.now() - t0) / calls;
  const callsPerBatch = Math.max(1, Math.round(batchMs / perCall));
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const s = performance.now();
    for (let i = 0; i < callsPerBatch; i++) fn();
    samples.push((performance.now() - s) / callsPerBatch);
  }
  samples.sort((x, y) => x - y);
  return { ms: samples[Math.floor(samples.length / 2)]!, batches, callsPerBatch };
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms < 1000) return `${ms.toFixed(2)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatRate(x: number, unit: string): string {
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)} M${unit}`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)} k${unit}`;
  return `${x.toFixed(1)} ${unit}`;
}
