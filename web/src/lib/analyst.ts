// The page's side of the analysis worker. A big model's work runs there: the model is copied to
// the worker once (and dropped there when the page lets it go), jobs are sent one at a time, and a
// job still waiting when its channel asks again is replaced — typing ten letters on a big model
// runs the forward for the last one, not ten. The replies are plain data; a view comes back as its
// activations and is read into a StreamView here. On a small model (the locked one: a forward of a
// few milliseconds) the light jobs — the analysis, the lens, the budget — run in the page's
// thread, so an edit is drawn in its own frame rather than a round trip later; its heavy jobs
// still go to the worker.

import type { MiniGPT } from "minigpt";
import { unpackView, type PackedView, type StreamView } from "./compute.js";
import { LIGHT, modelMessage, runJob, type FromWorker, type JobArgs, type JobName, type JobResult, type RunMessage, type ToWorker, type Views } from "./jobs.js";
import type { Loaded } from "./models.js";

/** A request that a later one on its channel replaced before it ran; callers drop it. */
export class Superseded extends Error {
  override name = "Superseded";
}

/** Where the page's messages go: a Worker in the page; JobServer itself in Node tests. */
export interface Port {
  postMessage(m: ToWorker, transfer: Transferable[]): void;
  onmessage: ((e: MessageEvent<FromWorker>) => void) | null;
  /** The worker failed (an uncaught error, out of memory): every job waiting on it is told so. */
  onerror: ((e: ErrorEvent) => void) | null;
}

interface Waiting {
  readonly channel: string;
  readonly message: Omit<RunMessage, "id">;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

export class Analyst {
  private readonly keys = new WeakMap<MiniGPT, number>();
  private nextKey = 1;
  private nextId = 1;
  private readonly queue: Waiting[] = [];
  private running: (Waiting & { id: number }) | null = null;
  // a model the page no longer holds is dropped from the worker too
  private readonly gone = new FinalizationRegistry<number>((key) => this.port.postMessage({ type: "drop", key }, []));

  /** `inlineBelow`: models with fewer parameters are analysed in the page's thread; `onFail`: the worker failed. */
  constructor(
    private readonly port: Port,
    readonly inlineBelow = 5_000_000,
    private readonly onFail: () => void = () => {},
  ) {
    port.onmessage = (e) => this.settle(e.data);
    port.onerror = (e) => this.fail(e.message || "no message");
  }

  /** The worker is gone: its jobs fail with the reason (the page asks a new worker next time). */
  private fail(why: string): void {
    const err = new Error(`the analysis worker stopped (${why}); the views ask a new one on the next change`);
    const pending = [...(this.running === null ? [] : [this.running]), ...this.queue.splice(0)];
    this.running = null;
    for (const w of pending) w.reject(err);
    this.onFail();
  }

  /** The forward over `ids` with every hook cached, run in the worker, as a view of `l`. */
  async analyse(l: Loaded, ids: number[], causal = true, channel = "view"): Promise<StreamView> {
    if (this.inline(l, "analyse")) return this.local(l, "analyse", ids, causal, []) as StreamView;
    const packed = (await this.request(channel, l, "analyse", ids, causal, [])) as PackedView;
    return unpackView(packed, l.model.config, l.tok);
  }

  /** A job of jobs.ts on `l` and an input: a view's (its ids, causal or not), ids (causal), or null for a job that reads none. */
  run<K extends JobName>(channel: string, l: Loaded, job: K, input: StreamView | number[] | null, ...args: JobArgs<K>): Promise<JobResult<K>> {
    const ids = input === null ? null : Array.isArray(input) ? input : input.ids;
    return this.request(channel, l, job, ids, input === null || Array.isArray(input) || input.causal, args) as Promise<JobResult<K>>;
  }

  /** How many jobs wait or run (for tests). */
  get busy(): number {
    return this.queue.length + (this.running === null ? 0 : 1);
  }

  /** A small model (its forward takes a few milliseconds) is analysed in the page's thread, within the keystroke's frame; with `job`, only if that job is light. */
  inline(l: Loaded, job?: JobName | "analyse"): boolean {
    let n = this.sizes.get(l.model);
    if (n === undefined) this.sizes.set(l.model, (n = l.model.parameters().reduce((s, p) => s + p.size, 0)));
    return (job === undefined || LIGHT.has(job)) && n < this.inlineBelow;
  }

  /** Parameter counts, asked on every request: counted once per model. */
  private readonly sizes = new WeakMap<MiniGPT, number>();

  private readonly views = new WeakMap<MiniGPT, Views>();
  private local(l: Loaded, job: JobName | "analyse", ids: number[] | null, causal: boolean, args: unknown[]): unknown {
    let views = this.views.get(l.model);
    if (views === undefined) this.views.set(l.model, (views = new Map()));
    return runJob(l, views, job, ids, causal, args);
  }

  private request(channel: string, l: Loaded, job: JobName | "analyse", ids: number[] | null, causal: boolean, args: unknown[]): Promise<unknown> {
    if (this.inline(l, job)) return new Promise((resolve) => resolve(this.local(l, job, ids, causal, args)));
    const key = this.register(l);
    return new Promise((resolve, reject) => {
      const at = this.queue.findIndex((w) => w.channel === channel);
      if (at >= 0) this.queue.splice(at, 1)[0]!.reject(new Superseded(`${channel}: replaced by a newer request`));
      this.queue.push({ channel, message: { type: "run", key, job, ids, causal, args }, resolve, reject });
      this.pump();
    });
  }

  private register(l: Loaded): number {
    const known = this.keys.get(l.model);
    if (known !== undefined) return known;
    const key = this.nextKey++;
    const { message, transfer } = modelMessage(l, key);
    this.port.postMessage(message, transfer);
    this.keys.set(l.model, key);
    this.gone.register(l.model, key);
    return key;
  }

  private pump(): void {
    if (this.running !== null) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.running = { ...next, id: this.nextId++ };
    this.port.postMessage({ ...next.message, id: this.running.id }, []);
  }

  private settle(r: FromWorker): void {
    const w = this.running;
    if (w === null || w.id !== r.id) return;
    this.running = null;
    if (r.ok) w.resolve(r.result);
    else w.reject(new Error(r.message));
    this.pump();
  }
}

let shared: Analyst | null = null;
/** The page's analyst, its worker started on first use (and again after a failure). */
export function analyst(): Analyst {
  if (shared === null) {
    const worker = new Worker(new URL("./analysis-worker.ts", import.meta.url), { type: "module", name: "analysis" });
    shared = new Analyst(worker as unknown as Port, undefined, () => {
      worker.terminate();
      shared = null;
    });
  }
  return shared;
}
