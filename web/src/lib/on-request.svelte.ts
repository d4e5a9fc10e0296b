// A heavy view of a big model (more than 16 heads: GPT-2's shape) waits for a click before it
// computes, once per model — a new model waits again. The heads, circuits and ablation views share
// this; call it while a component initialises (it sets up an effect).

import type { Loaded } from "./models.js";

export interface OnRequest {
  /** True while the model is big and nobody has asked yet: show the button, compute nothing. */
  readonly waiting: boolean;
  ask(): void;
}

export function onRequest(loaded: () => Loaded): OnRequest {
  const state = $state({ asked: false });
  $effect(() => {
    void loaded();
    state.asked = false;
  });
  return {
    get waiting() {
      const c = loaded().model.config;
      return c.n_layers * c.n_heads > 16 && !state.asked;
    },
    ask: () => void (state.asked = true),
  };
}
