// Attention patterns per layer and head, and which heads read a given earlier position.

import type { ActivationCache } from "../model/cache.js";
import { arrayOf } from "./vectors.js";

/** pattern[query][key] of one head (batch element 0), each row summing to 1. */
export function attentionPattern(cache: ActivationCache, layer: number, head: number): number[][] {
  const p = cache.get("pattern", layer); // [B, H, T, S]
  const [, H, T, S] = p.shape as [number, number, number, number];
  if (!(head >= 0 && head < H)) throw new Error(`head ${head} is out of range: layer ${layer} has heads 0 to ${H - 1}`);
  return Array.from({ length: T }, (_, q) => arrayOf(p.data, (head * T + q) * S, (head * T + q + 1) * S));
}

export interface HeadScore {
  readonly layer: number;
  readonly head: number;
  /** Attention weight from the query position to the key position. */
  readonly weight: number;
}

/** Every head ranked by how much the query position attends to the key position. */
export function headsAttendingTo(cache: ActivationCache, query: number, key: number): HeadScore[] {
  const scores: HeadScore[] = [];
  for (let l = 0; l < cache.config.n_layers; l++) {
    for (let h = 0; h < cache.config.n_heads; h++) {
      const row = attentionPattern(cache, l, h)[query];
      if (row === undefined || key >= row.length) throw new Error(`positions query ${query}, key ${key} are outside the sequence`);
      scores.push({ layer: l, head: h, weight: row[key]! });
    }
  }
  return scores.sort((a, b) => b.weight - a.weight || a.layer - b.layer || a.head - b.head);
}

/** For each head, the key position the query attends to most (its argmax) and that weight. */
export function strongestKeys(cache: ActivationCache, query: number): { layer: number; head: number; key: number; weight: number }[] {
  const out = [];
  for (let l = 0; l < cache.config.n_layers; l++) {
    for (let h = 0; h < cache.config.n_heads; h++) {
      const row = attentionPattern(cache, l, h)[query]!;
      let key = 0;
      for (let k = 1; k < row.length; k++) if (row[k]! > row[key]!) key = k;
      out.push({ layer: l, head: h, key, weight: row[key]! });
    }
  }
  return out;
}
