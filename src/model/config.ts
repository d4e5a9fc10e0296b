// The model configuration (SPEC §1): one readonly object, validated with
// messages that name the key, the value and what is allowed.

import { parse as parseYaml } from "yaml";

export type Positional = "rope" | "learned" | "sinusoidal" | "none";
export type Norm = "pre" | "post";
export type Activation = "gelu" | "gelu_tanh";

export interface ModelConfig {
  readonly d_model: number;
  readonly n_heads: number;
  readonly n_layers: number;
  readonly d_ff: number;
  readonly vocab_size: number;
  readonly context_len: number;
  readonly positional: Positional;
  readonly rope_base: number;
  readonly norm: Norm;
  readonly activation: Activation;
  readonly attn_bias: boolean;
  readonly mlp_bias: boolean;
  readonly ln_eps: number;
  readonly tied_embeddings: boolean;
  readonly init_std: number;
  readonly seed: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A rule returns null for a valid value, else a phrase saying what is allowed. */
export type Rule = (v: unknown) => string | null;

export const positiveInt: Rule = (v) => (typeof v === "number" && Number.isInteger(v) && v >= 1 ? null : "a positive integer");
export const nonNegativeInt: Rule = (v) => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? null : "a non-negative integer");
export const positiveNumber: Rule = (v) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? null : "a positive number");
export const nonNegativeNumber: Rule = (v) => (typeof v === "number" && Number.isFinite(v) && v >= 0 ? null : "a number ≥ 0");
export const fraction: Rule = (v) => (typeof v === "number" && v >= 0 && v < 1 ? null : "a number in [0, 1)");
export const boolean: Rule = (v) => (typeof v === "boolean" ? null : "true or false");
export const oneOf = (...allowed: string[]): Rule => (v) => (typeof v === "string" && allowed.includes(v) ? null : `one of ${allowed.join(" | ")}`);
export const seedRule: Rule = (v) => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? null : "an integer from 0 to 4294967295");

/** Every key, its rule, in SPEC order. */
const RULES: Readonly<Record<keyof ModelConfig, Rule>> = {
  d_model: positiveInt,
  n_heads: positiveInt,
  n_layers: nonNegativeInt,
  d_ff: positiveInt,
  vocab_size: positiveInt,
  context_len: positiveInt,
  positional: oneOf("rope", "learned", "sinusoidal", "none"),
  rope_base: positiveNumber,
  norm: oneOf("pre", "post"),
  activation: oneOf("gelu", "gelu_tanh"),
  attn_bias: boolean,
  mlp_bias: boolean,
  ln_eps: positiveNumber,
  tied_embeddings: boolean,
  init_std: positiveNumber,
  seed: seedRule,
};

export const CONFIG_KEYS = Object.keys(RULES) as readonly (keyof ModelConfig)[];

function describe(v: unknown): string {
  if (typeof v === "string") return `"${v}" (a string)`;
  if (v === null || v === undefined) return String(v);
  if (typeof v === "object") return `${JSON.stringify(v)} (${Array.isArray(v) ? "a list" : "a mapping"})`;
  return String(v);
}

/**
 * Check a raw mapping against a table of rules: unknown keys are errors, keys left out
 * take their value from `defaults`, and a bad value names key, value and what is allowed.
 */
export function parseWithRules<T>(raw: unknown, rules: Readonly<Record<string, Rule>>, defaults: T | null, source: string): T {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${source}: expected a mapping of config keys, got ${describe(raw)}`);
  }
  const keys = Object.keys(rules);
  const entries = raw as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!(key in rules)) throw new ConfigError(`${source}: unknown key "${key}"; the keys are ${keys.join(", ")}`);
  }
  const merged: Record<string, unknown> = {};
  for (const key of keys) {
    const value = key in entries ? entries[key] : (defaults as Record<string, unknown> | null)?.[key];
    if (value === undefined) throw new ConfigError(`${source}: missing key "${key}" (${rules[key]!(undefined)})`);
    const allowed = rules[key]!(value);
    if (allowed !== null) throw new ConfigError(`${source}: ${key} = ${describe(value)} is not allowed; expected ${allowed}`);
    merged[key] = value;
  }
  return merged as T;
}

/**
 * Validate a raw object (from YAML, JSON or code) into a ModelConfig.
 * Keys left out take their value from `defaults`; unknown keys are errors.
 * `source` names where the values came from, for the error message.
 */
export function parseConfig(raw: unknown, defaults: ModelConfig | null, source = "config"): ModelConfig {
  const c = parseWithRules<ModelConfig>(raw, RULES, defaults, source);
  if (c.d_model % c.n_heads !== 0) {
    throw new ConfigError(`${source}: d_model = ${c.d_model} is not divisible by n_heads = ${c.n_heads}; d_head = d_model / n_heads must be a whole number`);
  }
  if (c.positional === "rope" && dHead(c) % 2 !== 0) {
    throw new ConfigError(`${source}: positional = rope needs an even d_head, but d_model / n_heads = ${c.d_model} / ${c.n_heads} = ${dHead(c)}; use an even d_head or another positional`);
  }
  return Object.freeze(c);
}

export function dHead(c: ModelConfig): number {
  return c.d_model / c.n_heads;
}

/** The config as a plain JSON object with keys in SPEC order (for checkpoints and output). */
export function configToJson(c: ModelConfig): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const key of CONFIG_KEYS) out[key] = c[key];
  return out;
}

/** Parse a YAML document (e.g. config.yaml) into a validated config. */
export function parseConfigYaml(text: string, defaults: ModelConfig | null, source = "config.yaml"): ModelConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source}: not valid YAML: ${(err as Error).message}`);
  }
  return parseConfig(raw ?? {}, defaults, source);
}
