// How far along a run is, and how to say it: units per second since the start, the time left at
// that rate, and their short forms. Shared by the CLI's progress bar and the page's.

/** Units per second since the start (units done before it, as on a resumed run, not counted) and the seconds left at that rate. */
export function rateAndEta(done: number, total: number, elapsedSeconds: number, startAt = 0): { rate: number; eta: number } {
  const rate = (done - startAt) / Math.max(elapsedSeconds, 1e-9);
  return { rate, eta: rate > 0 ? Math.max(0, total - done) / rate : Infinity };
}

/** 1234 → "1.2k"; below a thousand, a whole number. */
export function formatRate(x: number): string {
  return x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0);
}

/** Seconds as m:ss, or XhYYm past an hour; "--:--" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}:${String(sec).padStart(2, "0")}`;
}
