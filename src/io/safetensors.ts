// The safetensors format: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw bytes.
// The reader trusts nothing: every length, offset and dtype is checked before use.
// F16 and BF16 tensors (Hugging Face files) are widened to F32 exactly; the writer narrows
// with round-to-nearest-even when asked for them.

/** The float types read and written: minigpt checkpoints are F32; Hugging Face files may be any. */
export type FloatDType = "F32" | "F16" | "BF16";
const BYTES: Record<FloatDType, number> = { F32: 4, F16: 2, BF16: 2 };

export interface NamedArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
  /** The dtype stored in the file (data is always widened to float32). */
  readonly dtype?: FloatDType;
}

export interface SafetensorsFile {
  readonly tensors: Map<string, NamedArray>;
  readonly metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

/** Headers above this are refused before parsing (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 bits → bfloat16 bits, rounding to nearest even (NaN kept a NaN). */
export function toBF16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x40;
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

export function fromBF16(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** float32 → IEEE half bits, rounding to nearest even; overflow to ±∞, underflow through subnormals. */
export function toF16(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000, exp = (b >>> 23) & 0xff, mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000, shift = 14 - e;
    const half = 1 << (shift - 1), rest = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rest > half || (rest === half && (out & 1) === 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1) === 1)) out++; // a carry into the exponent is right too
  return sign | out;
}

export function fromF16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeSafetensors(
  tensors: Iterable<[string, { shape: readonly number[]; data: ArrayLike<number> }]>,
  metadata: Record<string, string> = {},
  dtype: FloatDType = "F32",
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new SafetensorsError(`"__metadata__" cannot name a tensor`);
    const raw = narrow(t.data, dtype);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + raw.length] };
    parts.push(raw);
    offset += raw.length;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  // Pad the header with spaces so the data starts 8-byte aligned.
  while ((encoder.encode(json).length + 8) % 8 !== 0) json += " ";
  const head = encoder.encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true);
  view.setUint32(4, 0, true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Little-endian bytes of `data` in `dtype`. */
function narrow(data: ArrayLike<number>, dtype: FloatDType): Uint8Array {
  const n = data.length, out = new Uint8Array(n * BYTES[dtype]), view = new DataView(out.buffer);
  if (dtype === "F32") {
    if (LITTLE_ENDIAN) out.set(new Uint8Array(Float32Array.from(data).buffer));
    else for (let i = 0; i < n; i++) view.setFloat32(i * 4, data[i]!, true);
  } else {
    const to = dtype === "F16" ? toF16 : toBF16;
    for (let i = 0; i < n; i++) view.setUint16(i * 2, to(data[i]!), true);
  }
  return out;
}

/** One tensor's place in a safetensors file: its dtype, shape and byte range (absolute, from the file's start). */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data: 8 + the header's length. */
  readonly dataStart: number;
  readonly entries: readonly TensorEntry[];
  readonly metadata: Record<string, string>;
}

/** The header's length from a file's first 8 bytes (checked against the file's size). */
export function headerLength(first8: Uint8Array, fileSize: number, source = "safetensors file"): number {
  if (fileSize < 8 || first8.length < 8) throw new SafetensorsError(`${source}: truncated: ${fileSize} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(first8.buffer, first8.byteOffset, 8);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLen > MAX_HEADER_BYTES) throw new SafetensorsError(`${source}: header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit; this is not a valid safetensors file`);
  if (8 + headerLen > fileSize) throw new SafetensorsError(`${source}: truncated: the header claims ${headerLen} bytes but only ${fileSize - 8} follow the length prefix`);
  return headerLen;
}

/**
 * Parse and check a header (the JSON bytes after the length prefix) against the file's size: every
 * dtype, shape and byte range, the data covered exactly once. Nothing of the data is read.
 */
export function parseSafetensorsHeader(json: Uint8Array, fileSize: number, source = "safetensors file"): SafetensorsHeader {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch (err) {
    fail(`the header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header is not a JSON object");
  const entries = header as Record<string, unknown>;
  const dataStart = 8 + json.length;
  const dataLen = fileSize - dataStart;

  const metadata: Record<string, string> = {};
  const rawMeta = entries["__metadata__"];
  if (rawMeta !== undefined) {
    if (typeof rawMeta !== "object" || rawMeta === null || Array.isArray(rawMeta)) fail("__metadata__ is not an object of strings");
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`__metadata__.${k} is not a string`);
      metadata[k] = v as string;
    }
  }

  const spans: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    if (name === "__metadata__") continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e !== "object" || e === null) fail(`tensor "${name}": entry is not an object`);
    if (e!.dtype !== "F32" && e!.dtype !== "F16" && e!.dtype !== "BF16") fail(`tensor "${name}": dtype ${JSON.stringify(e!.dtype)} is not supported; the float types read are F32, F16 and BF16`);
    const width = BYTES[e!.dtype as FloatDType];
    const shape = e!.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    const offs = e!.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(offs)} is not a [begin, end] pair`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * width) fail(`tensor "${name}": shape ${JSON.stringify(shape)} in ${e!.dtype} needs ${count * width} bytes but data_offsets span ${end - begin}`);
    if (end > dataLen) fail(`truncated: tensor "${name}" ends at byte ${end} of the data but the file holds ${dataLen} data bytes`);
    spans.push({ name, begin: dataStart + begin, end: dataStart + end, shape: shape as number[], dtype: e!.dtype as FloatDType });
  }
  // The data must be covered exactly once, with no holes and nothing left over.
  const sorted = [...spans].sort((a, b) => a.begin - b.begin);
  let expected = dataStart;
  for (const s of sorted) {
    if (s.begin !== expected) fail(`tensor "${s.name}" starts at byte ${s.begin - dataStart} but the previous tensor ends at ${expected - dataStart} (overlap or hole)`);
    expected = s.end;
  }
  if (expected !== fileSize) fail(`${fileSize - expected} bytes after the last tensor are not described by the header`);
  return { dataStart, entries: sorted, metadata };
}

/**
 * The index of the first value that is NaN or ±∞, or −1. A counted loop: over 124M weights (GPT-2
 * small) findIndex with a callback per value takes 1.8 s, this 0.17–0.19 s.
 */
export function firstNonFinite(data: ArrayLike<number>): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/**
 * A tensor's bytes (little-endian, in its dtype) widened to float32 exactly. With `view`, F32 bytes
 * that sit 4-byte aligned on a little-endian machine come back as a view on the same memory (no copy).
 */
export function widen(bytes: Uint8Array, dtype: FloatDType, view = false): Float32Array {
  const n = bytes.length / BYTES[dtype];
  if (view && dtype === "F32" && LITTLE_ENDIAN && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const data = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32") {
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes);
    else for (let i = 0; i < n; i++) data[i] = dv.getFloat32(i * 4, true);
  } else {
    const from = dtype === "F16" ? fromF16 : fromBF16;
    for (let i = 0; i < n; i++) data[i] = from(dv.getUint16(i * 2, true));
  }
  return data;
}

/**
 * The file's tensors (widened to float32) and metadata. With `views`, aligned F32 tensors are views
 * on `bytes` itself — for a caller that owns the bytes and will not touch them again: a fresh
 * page of memory costs more than the copy into it (a 0.5 GB file: ~1.9 s of first touches here).
 */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors file", { views = false }: { views?: boolean } = {}): SafetensorsFile {
  const headerLen = headerLength(bytes, bytes.length, source);
  const header = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLen), bytes.length, source);
  const tensors = new Map<string, NamedArray>();
  for (const e of header.entries) tensors.set(e.name, { shape: e.shape, data: widen(bytes.subarray(e.begin, e.end), e.dtype, views), dtype: e.dtype });
  return { tensors, metadata: header.metadata };
}
