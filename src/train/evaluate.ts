// Evaluation: validation loss and agreement accuracy — at each verb position, whether the
// verb form the model scores highest (among all verb forms) is grammatical there.

import type { MiniGPT } from "../model/minigpt.js";
import { F, noGrad } from "../tensor/index.js";
import { isGrammatical, type Example } from "./corpus.js";
import { PAD, VOCAB } from "./vocab.js";

export interface Accuracy {
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
}

export interface Evaluation {
  readonly loss: number; // mean cross-entropy per predicted token
  readonly agreement: Accuracy; // every verb position
  readonly en: Accuracy;
  readonly es: Accuracy;
  readonly heldOut: Accuracy; // positions whose (subject, tense, lemma) never occurs in training
}

const VERBS = VOCAB.filter((t) => t.kind === "verb");

/** Inputs [B][T] and their next-token targets (B·T, <pad> where no target counts). */
export interface Batch {
  readonly inputs: number[][];
  readonly targets: Int32Array;
  /** The target id the loss skips: <pad> when absent; null: every target counts. */
  readonly ignore?: number | null;
}

/** Inputs and next-token targets for a batch, right-padded with <pad> (ignored by the loss). */
export function makeBatch(examples: readonly Example[]): Batch & { length: number } {
  const length = Math.max(...examples.map((e) => e.ids.length)) - 1;
  const inputs = examples.map((e) => Array.from({ length }, (_, t) => e.ids[t] ?? PAD));
  const targets = new Int32Array(examples.length * length).fill(PAD);
  examples.forEach((e, b) => {
    for (let t = 0; t + 1 < e.ids.length; t++) targets[b * length + t] = e.ids[t + 1]!;
  });
  return { inputs, targets, length };
}

export function evaluate(model: MiniGPT, examples: readonly Example[], batchSize = 64): Evaluation {
  const V = model.config.vocab_size;
  let lossSum = 0, tokens = 0;
  const tally = { all: [0, 0], en: [0, 0], es: [0, 0], heldOut: [0, 0] };
  noGrad(() => {
    for (let start = 0; start < examples.length; start += batchSize) {
      const chunk = examples.slice(start, start + batchSize);
      const { inputs, targets, length } = makeBatch(chunk);
      const logits = model.forward(inputs);
      const counted = targets.reduce((n, t) => n + (t === PAD ? 0 : 1), 0);
      lossSum += F.crossEntropy(logits, targets, PAD).item() * counted;
      tokens += counted;
      chunk.forEach((e, b) => {
        for (const slot of e.verbs) {
          const row = (b * length + slot.position - 1) * V; // the position that predicts the verb
          let best = VERBS[0]!;
          for (const v of VERBS) if (logits.data[row + v.id]! > logits.data[row + best.id]!) best = v;
          const ok = isGrammatical(best, slot) ? 1 : 0;
          for (const key of ["all", slot.lang, ...(slot.heldOut ? ["heldOut"] : [])] as const) {
            tally[key as keyof typeof tally][0]! += ok;
            tally[key as keyof typeof tally][1]! += 1;
          }
        }
      });
    }
  });
  const acc = ([correct, total]: number[]): Accuracy => ({ correct: correct!, total: total!, accuracy: total! === 0 ? NaN : correct! / total! });
  return { loss: lossSum / tokens, agreement: acc(tally.all), en: acc(tally.en), es: acc(tally.es), heldOut: acc(tally.heldOut) };
}
