// A value computed in the analysis worker, for a component: the request re-runs when what it reads
// changes, and the newest answer to arrive is kept (an older request answering late is not shown
// over a newer one). Until the first answer, the value is null.

import { Superseded } from "./analyst.js";

export interface Latest<T> {
  readonly value: T | null;
  /** The last request failed: why (the value stays the last good one). */
  readonly error: string;
  /** A newer request than the value answers is under way (for aria-busy: tests and screen readers wait on it). */
  readonly busy: boolean;
}

/** `request` returns a promise, or null when there is nothing to ask (the value becomes null). */
export function latest<T>(request: () => Promise<T> | null): Latest<T> {
  let value = $state.raw<T | null>(null);
  let error = $state("");
  let busy = $state(false);
  let asked = 0, shown = 0; // plain counters: the effect must not depend on them
  $effect(() => {
    const p = request();
    const n = ++asked;
    if (p === null) return void ((shown = n), (value = null), (busy = false));
    busy = true;
    p.then(
      (v) => {
        if (n < shown) return;
        shown = n;
        value = v;
        error = "";
        if (n === asked) busy = false;
      },
      (e: Error) => {
        if (e instanceof Superseded || n < shown) return;
        error = e.message;
        if (n === asked) busy = false;
      },
    );
  });
  return {
    get value() {
      return value;
    },
    get error() {
      return error;
    },
    get busy() {
      return busy;
    },
  };
}
