/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length N, N bytes of JSON header {name: {dtype, shape, data_offsets}},
 * then the raw little-endian tensor bytes. No npm package fits (the `safetensors` name on npm is an
 * unmaintained 0.0.1), and the format is small enough to implement exactly.
 *
 * Reads F32, F16, BF16 (widened to F32), F64 (narrowed to F32) and integer/bool tensors (as F32
 * values; e.g. BERT's position_ids buffer). Writes F32 only, with tensors in name order and 8-byte aligned header
 * padding (spaces), as the reference implementation does.
 */
import { readFile, writeFile, rename } from 'node:fs/promises';

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export type TensorMap = Map<string, NamedTensor>;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

// Reinterprets a bfloat16 (upper 16 bits of a float32) without allocating per value.
const scratch = new DataView(new ArrayBuffer(4));

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Parses a safetensors buffer; `source` names the file in error messages. */
export function parseSafetensors(buf: Uint8Array, source = 'safetensors buffer'): { tensors: TensorMap; metadata: Record<string, string> } {
  if (buf.byteLength < 8) throw new RangeError(`${source}: too short for a safetensors header (${buf.byteLength} bytes)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buf.byteLength - 8) throw new RangeError(`${source}: header length ${headerLen} exceeds file size ${buf.byteLength}`);
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
  } catch (err) {
    throw new RangeError(`${source}: header is not valid JSON (${(err as Error).message})`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const tensors: TensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as HeaderEntry;
    const width = BYTES[entry.dtype];
    if (width === undefined) throw new RangeError(`${source}: tensor '${name}' has unsupported dtype '${entry.dtype}'`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = entry.data_offsets;
    if (!(begin >= 0 && end <= dataLen && end - begin === count * width)) {
      throw new RangeError(`${source}: tensor '${name}' offsets [${begin}, ${end}] do not match shape [${entry.shape}] × ${entry.dtype} within ${dataLen} data bytes`);
    }
    const off = dataStart + begin;
    if (entry.dtype === 'F32') {
      // Fast path (checkpoints are mostly F32): one copy of the bytes; the data section may be
      // unaligned for a Float32Array view, so copy first, then view (Buffer.slice would not copy).
      // Node runs on little-endian hosts only, so the bytes need no swapping.
      tensors.set(name, { shape: [...entry.shape], data: new Float32Array(new Uint8Array(buf.subarray(off, off + count * 4)).buffer) });
      continue;
    }
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const p = off + i * width;
      switch (entry.dtype) {
        case 'F64': out[i] = view.getFloat64(p, true); break;
        case 'F16': out[i] = halfToFloat(view.getUint16(p, true)); break;
        // bfloat16 is the top half of a float32.
        case 'BF16': scratch.setUint32(0, view.getUint16(p, true) << 16, true); out[i] = scratch.getFloat32(0, true); break;
        case 'I64': out[i] = Number(view.getBigInt64(p, true)); break;
        case 'I32': out[i] = view.getInt32(p, true); break;
        case 'I16': out[i] = view.getInt16(p, true); break;
        case 'I8': out[i] = view.getInt8(p); break;
        default: out[i] = view.getUint8(p); break;
      }
    }
    tensors.set(name, { shape: [...entry.shape], data: out });
  }
  return { tensors, metadata };
}

/** The first NaN or ±Infinity among the tensors (name order), or null. Weights must never hold one. */
export function findNonFinite(tensors: TensorMap): { name: string; index: number; value: number } | null {
  for (const name of [...tensors.keys()].sort()) {
    const data = tensors.get(name)!.data;
    for (let i = 0; i < data.length; i++) {
      // x - x is 0 for every finite x and NaN for NaN and ±Infinity: one compare per value.
      if (data[i] - data[i] !== 0) return { name, index: i, value: data[i] };
    }
  }
  return null;
}

/** Throws a RangeError naming `path` and the tensor when `tensors` holds a non-finite value. */
export function assertFiniteTensors(tensors: TensorMap, path: string, action: 'read' | 'write'): void {
  const bad = findNonFinite(tensors);
  if (!bad) return;
  throw new RangeError(action === 'read'
    ? `${path}: tensor '${bad.name}' holds ${bad.value} at index ${bad.index}: the file is damaged or was written by a diverged run`
    : `refusing to write ${path}: tensor '${bad.name}' holds ${bad.value} at index ${bad.index} (training diverged?)`);
}

export async function readSafetensors(path: string): Promise<TensorMap> {
  const buf = await readFile(path);
  return parseSafetensors(buf, path).tensors;
}

/** Serialises tensors as F32 safetensors (names sorted, so output is byte-stable). */
export function serializeSafetensors(tensors: TensorMap, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new RangeError(`tensor '${name}': shape [${t.shape}] needs ${count} values, data has ${t.data.length}`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data section starts 8-byte aligned (what the Rust writer does).
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    for (let i = 0; i < data.length; i++, p += 4) view.setFloat32(p, data[i], true);
  }
  return out;
}

/** Writes atomically: a crash mid-write leaves the previous file intact. */
export async function writeSafetensors(path: string, tensors: TensorMap, metadata?: Record<string, string>): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, serializeSafetensors(tensors, metadata));
  await rename(tmp, path);
}
