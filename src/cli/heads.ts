// minigpt heads: previous-token, duplicate-token and induction scores of every head, measured on
// seeded random token sequences repeated twice (interp/heads.ts).

import { HEAD_KINDS, headScores, type HeadKind } from "../interp/heads.js";
import { usesVerbGrammar } from "../train/tokenizer.js";
import { BOS, VOCAB } from "../train/vocab.js";
import { str, type Command } from "./command.js";
import { openCheckpoint, parseInteger, printJson, table } from "./common.js";

const TITLES: Record<HeadKind, string> = {
  previous_token: "previous-token (attends to the position before)",
  duplicate_token: "duplicate-token (attends to the same token's earlier occurrence)",
  induction: "induction (attends to the token after the same token's earlier occurrence)",
};

export const headsCommand: Command = {
  name: "heads",
  summary: "previous-token, duplicate-token and induction scores per head, on seeded random sequences repeated twice",
  usage:
    "minigpt heads [--checkpoint FILE] [--sequences N] [--length N] [--seed S] [--json]\n" +
    "  each sequence: <bos> (with the verb grammar), then N random tokens, then the same N again; a head's score is the\n" +
    "  attention it puts where that kind of head would, averaged over the positions where the kind applies (1 = perfect)",
  flags: { checkpoint: { type: "string" }, sequences: { type: "string" }, length: { type: "string" }, seed: { type: "string" } },
  run(values) {
    const sequences = parseInteger(str(values, "sequences"), "--sequences", 1) ?? 16;
    const length = parseInteger(str(values, "length"), "--length", 2);
    const seed = parseInteger(str(values, "seed"), "--seed") ?? 0;
    const { model, path, tok } = openCheckpoint(str(values, "checkpoint"));
    model.pinWeights(); // only read: kept packed for the command
    // the verb grammar: words only (no specials or unused slots), after <bos> as in training
    const verb = usesVerbGrammar(tok, model.config.vocab_size);
    const pool = verb ? VOCAB.filter((t) => t.kind !== "special" && t.kind !== "unused").map((t) => t.id) : undefined;
    const { scores } = headScores(model, { sequences, seed, ...(length === undefined ? {} : { length }), ...(pool === undefined ? {} : { pool, prefix: [BOS] }) });
    if (values["json"]) {
      printJson({ checkpoint: path, sequences, seed, scores });
      return;
    }
    const out = [`${path}  ·  ${sequences} random sequences repeated twice (seed ${seed})`, ""];
    for (const kind of HEAD_KINDS) {
      const s = scores[kind];
      let best = { l: 0, h: 0, v: -1 };
      s.forEach((row, l) => row.forEach((v, h) => v > best.v && (best = { l, h, v })));
      out.push(TITLES[kind], table(["block", ...s[0]!.map((_, h) => `head ${h}`)], s.map((row, l) => [String(l), ...row.map((v) => v.toFixed(2))]), s[0]!.map((_, h) => h + 1)));
      out.push(`strongest: block ${best.l} head ${best.h} (${best.v.toFixed(2)})`, "");
    }
    process.stdout.write(out.join("\n"));
  },
};
