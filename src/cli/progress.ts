// A progress bar for long work: done/total, a bar, rate and ETA. Redrawn in place on a
// terminal; on a pipe or in CI, a plain line every 10%.

import { formatDuration, formatRate, rateAndEta } from "../train/progress.js";

export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;
  private lastPlainDecile = -1;
  private readonly tty: boolean;

  constructor(private readonly total: number, private readonly startAt = 0, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  /** `done` units finished; `fields` is shown after the rate (e.g. "loss 1.23"). */
  update(done: number, fields: string, unitsPerStep?: { count: number; unit: string }): void {
    const now = performance.now();
    const { rate, eta } = rateAndEta(done, this.total, (now - this.start) / 1000, this.startAt);
    const extra = unitsPerStep === undefined ? "" : `  ${formatRate(rate * unitsPerStep.count)} ${unitsPerStep.unit}/s`;
    const pct = this.total === 0 ? 1 : done / this.total;
    const text = `${String(done).padStart(String(this.total).length)}/${this.total} ${bar(pct, 24)} ${(100 * pct).toFixed(0).padStart(3)}%  ${fields}  ${rate.toFixed(1)} it/s${extra}  ETA ${formatDuration(eta)}`;
    if (this.tty) {
      if (now - this.lastDraw < 80 && done < this.total) return;
      this.lastDraw = now;
      this.out.write(`\r\x1b[2K${text}`);
    } else {
      const decile = Math.floor(pct * 10);
      if (decile !== this.lastPlainDecile) {
        this.lastPlainDecile = decile;
        this.out.write(text + "\n");
      }
    }
  }

  /** A line of its own above the bar. */
  note(line: string): void {
    this.out.write(this.tty ? `\r\x1b[2K${line}\n` : line + "\n");
  }

  finish(): void {
    if (this.tty) this.out.write("\n");
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.start) / 1000;
  }
}

function bar(fraction: number, width: number): string {
  const cells = Math.max(0, Math.min(width, fraction * width));
  const full = Math.floor(cells);
  const partial = " ▏▎▍▌▋▊▉"[Math.floor((cells - full) * 8)] ?? "";
  return "│" + "█".repeat(full) + (full < width ? partial : "") + " ".repeat(Math.max(0, width - full - 1)) + "│";
}
