// minigpt vocab: the vocabulary with its grammatical features, and the canonical sequence.

import { canonicalIds } from "../train/tokenizer.js";
import { CANONICAL_TEXT, VOCAB } from "../train/vocab.js";
import type { Command } from "./command.js";
import { printJson, table } from "./common.js";

export const vocabCommand: Command = {
  name: "vocab",
  summary: "list the 64-token vocabulary with features, and the canonical sequence",
  usage: "minigpt vocab [--json]",
  flags: {},
  run(values) {
    if (values["json"]) {
      printJson({ tokens: VOCAB, canonical: { text: CANONICAL_TEXT, ids: canonicalIds() } });
      return;
    }
    const rows = VOCAB.map((t) => [String(t.id), t.token, t.kind, t.lang ?? "", t.agreement.join(" "), t.tense.join(" "), t.gloss]);
    process.stdout.write(
      table(["id", "token", "kind", "lang", "agreement", "tense", "gloss"], rows, [0]) +
        `\n\ncanonical sequence: ${CANONICAL_TEXT}\n                    ids ${canonicalIds().join(",")}\n`,
    );
  },
};
