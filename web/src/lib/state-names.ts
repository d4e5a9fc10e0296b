// A stream state's name in English and Spanish, as the grid's rows write it. Plain data: i18n's
// stateLabel picks the page's language; the lessons (run in Node tests too) write both at once.

export type StatePart = { readonly layer: number; readonly after: "embed" | "attn" | "mlp" | "block" };

/** h₀, or after block l's attention / MLP / whole block (blocks from 0, as in the hook names): [English, Spanish]. */
export function stateNames(part: StatePart): readonly [string, string] {
  if (part.after === "embed") return ["h₀ (embed)", "h₀ (embedding)"];
  const [en, es] = { attn: ["after attn", "tras attn"], mlp: ["after mlp", "tras mlp"], block: ["after block", "tras el bloque"] }[part.after];
  return [`${en} ${part.layer}`, `${es} ${part.layer}`];
}
