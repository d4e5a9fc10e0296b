// What every command shares: files (atomic writes), the default checkpoint and
// config, token input, and plain-text tables. The only Node-specific corner besides main.ts.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCheckpoint, type LoadedCheckpoint } from "../io/checkpoint.js";
import { importHf } from "../io/hf.js";
import { parseConfigYaml, type ModelConfig } from "../model/config.js";
import { LOCKED } from "../model/presets.js";
import { tokenizerFor } from "../train/hf-tokenizer.js";
import type { TextTokenizer } from "../train/tokenizer.js";
import { readHfFolder } from "./hf-folder.js";
import { CANONICAL_TEXT } from "../train/vocab.js";

/** A mistake in how the command was called: reported with its usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The project root: the nearest folder above this file with minigpt's package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "minigpt") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find minigpt's package.json above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The shipped checkpoints, best first: the trained model, then the seed-0 initialisation. */
export function defaultCheckpointPath(): string {
  const dir = join(projectRoot(), "checkpoints");
  for (const name of ["minigpt.safetensors", "minigpt-seed0.safetensors"]) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`no shipped checkpoint in ${dir}; run \`minigpt init --out ${join(dir, "minigpt-seed0.safetensors")}\``);
}

/** A file's bytes: the buffer read, not a copy of it (a fresh copy of a 0.5 GB file costs ~2 s of page faults here). */
export function readBytes(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${what} ${path} does not exist`);
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * `--config FILE` (partial files fill in from the locked config), else the locked preset. The root
 * config.yaml is the locked configuration written out (a test keeps them equal); it is not read
 * implicitly, so editing it cannot silently change what the commands build — pass it with --config.
 */
export function readConfig(path: string | undefined): ModelConfig {
  if (path === undefined) return LOCKED;
  if (!existsSync(path)) throw new UsageError(`--config ${path}: no such file`);
  return parseConfigYaml(readFileSync(resolve(path), "utf8"), LOCKED, path);
}

/** A path as short as it can be for messages: relative to the working directory when inside it. */
export function displayPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r !== "" && !r.startsWith("..") && !isAbsolute(r) ? r : p;
}

/**
 * A checkpoint file (SPEC §5), or a Hugging Face model folder (SPEC §9) converted as it loads,
 * with its tokenizer (its tokenizer.json, the verb grammar's, or ids only).
 */
export function openCheckpoint(path: string | undefined): LoadedCheckpoint & { path: string; tok: TextTokenizer } {
  const p = displayPath(path ?? defaultCheckpointPath());
  const loaded: LoadedCheckpoint = existsSync(p) && statSync(p).isDirectory()
    ? (({ model, metadata }) => ({ model, config: model.config, metadata }))(importHf(readHfFolder(p)))
    : loadCheckpoint(readBytes(p, "checkpoint"), p, { adopt: true }); // the bytes are ours alone: the weights stay in them
  return { ...loaded, path: p, tok: tokenizerFor(loaded.metadata, loaded.config.vocab_size) };
}

/** Write through a temporary file, flushed, then renamed: a reader sees the old file or the new one, never half of one. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) throw new Error(`cannot write ${path}: the directory ${displayPath(dir)} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new Error(`cannot write ${path}: it is a directory`);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      const buf = typeof bytes === "string" ? Buffer.from(bytes) : bytes;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** How --text becomes tokens, the same in every command (shown in --help). */
export const TEXT_RULE =
  "--text is encoded exactly as written, nothing added: with the verb grammar, words split on spaces, \".\" and \",\" stand alone, case is ignored, " +
  "and <bos> is a word you write; a model with its own tokenizer.json encodes with it, adding no special tokens";

/** Token ids from `--ids 1,2,3` or `--text "…"`, else the canonical sequence. */
export function readTokens(tokenizer: TextTokenizer, ids: string | undefined, text: string | undefined): number[] {
  if (ids !== undefined && text !== undefined) throw new UsageError("give --ids or --text, not both");
  if (ids !== undefined) {
    const parts = ids.split(",").map((s) => s.trim());
    if (parts.length === 0 || parts.some((s) => s === "")) throw new UsageError(`--ids "${ids}" is not a comma-separated list of token ids`);
    return parts.map((s, i) => {
      const n = Number(s);
      if (!Number.isInteger(n)) throw new UsageError(`--ids: "${s}" (item ${i + 1}) is not an integer token id`);
      return n;
    });
  }
  return tokenizer.encode(text ?? CANONICAL_TEXT);
}

/** A finite number from a flag's value (undefined when the flag is absent). */
export function parseNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`${flag} ${value}: expected a number`);
  return n;
}

export function parseInteger(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} ${value}: expected an integer ≥ ${min}`);
  return n;
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatShapeList(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** A plain-text table; columns listed in `right` are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const width = (s: string): number => [...s].length;
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right.includes(i) ? " ".repeat(widths[i]! - width(c)) + c : c + " ".repeat(widths[i]! - width(c))))
      .join("  ")
      .trimEnd();
  return [line(headers), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}
