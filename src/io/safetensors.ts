// The safetensors format: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw bytes.
// The reader trusts nothing: every length, offset and dtype is checked before use.

export interface NamedArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
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

export function encodeSafetensors(tensors: Iterable<[string, { shape: readonly number[]; data: ArrayLike<number> }]>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const parts: Float32Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__") throw new SafetensorsError(`"__metadata__" cannot name a tensor`);
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    const bytes = data.length * 4;
    header[name] = { dtype: "F32", shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    parts.push(data);
    offset += bytes;
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
    if (LITTLE_ENDIAN) out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
    else for (let i = 0; i < p.length; i++) view.setFloat32(at + i * 4, p[i]!, true);
    at += p.byteLength;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source = "safetensors file"): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, but a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit; this is not a valid safetensors file`);
  if (8 + headerLen > bytes.length) fail(`truncated: the header claims ${headerLen} bytes but only ${bytes.length - 8} follow the length prefix`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    fail(`the header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("the header is not a JSON object");
  const entries = header as Record<string, unknown>;
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const rawMeta = entries["__metadata__"];
  if (rawMeta !== undefined) {
    if (typeof rawMeta !== "object" || rawMeta === null || Array.isArray(rawMeta)) fail("__metadata__ is not an object of strings");
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== "string") fail(`__metadata__.${k} is not a string`);
      metadata[k] = v as string;
    }
  }

  const spans: { name: string; begin: number; end: number; shape: number[] }[] = [];
  for (const [name, raw] of Object.entries(entries)) {
    if (name === "__metadata__") continue;
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof e !== "object" || e === null) fail(`tensor "${name}": entry is not an object`);
    if (e!.dtype !== "F32") fail(`tensor "${name}": dtype ${JSON.stringify(e!.dtype)} is not supported; minigpt checkpoints are F32`);
    const shape = e!.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    const offs = e!.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1]) {
      fail(`tensor "${name}": data_offsets ${JSON.stringify(offs)} is not a [begin, end] pair`);
    }
    const [begin, end] = offs as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4) fail(`tensor "${name}": shape ${JSON.stringify(shape)} needs ${count * 4} bytes but data_offsets span ${end - begin}`);
    if (end > dataLen) fail(`truncated: tensor "${name}" ends at byte ${end} of the data but the file holds ${dataLen} data bytes`);
    spans.push({ name, begin, end, shape: shape as number[] });
  }
  // The data must be covered exactly once, with no holes and nothing left over.
  spans.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const s of spans) {
    if (s.begin !== expected) fail(`tensor "${s.name}" starts at byte ${s.begin} but the previous tensor ends at ${expected} (overlap or hole)`);
    expected = s.end;
  }
  if (expected !== dataLen) fail(`${dataLen - expected} bytes after the last tensor are not described by the header`);

  const tensors = new Map<string, NamedArray>();
  for (const s of spans) {
    const n = (s.end - s.begin) / 4;
    const data = new Float32Array(n);
    const at = dataStart + s.begin;
    if (LITTLE_ENDIAN) new Uint8Array(data.buffer).set(bytes.subarray(at, at + n * 4));
    else for (let i = 0; i < n; i++) data[i] = view.getFloat32(at + i * 4, true);
    tensors.set(s.name, { shape: s.shape, data });
  }
  return { tensors, metadata };
}
