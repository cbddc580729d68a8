import { describe, expect, test } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type TensorMap } from '../../src/models/safetensors.js';
import { activeBackend, initTf } from '../../src/models/tf.js';

/** Builds a safetensors buffer by hand (independent of our writer). */
function handmade(entries: { name: string; dtype: string; shape: number[]; bytes: number[] }[]): Uint8Array {
  let offset = 0;
  const header: Record<string, unknown> = {};
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const e of entries) { out.set(e.bytes, p); p += e.bytes.length; }
  return out;
}

describe('safetensors', () => {
  test('reads F16, BF16, F64 and I64 tensors as float32 values', () => {
    // F16: 1.0 = 0x3C00, -2.0 = 0xC000, 0.5 = 0x3800; BF16: 1.0 = 0x3F80, -0.15625 = 0xBE20.
    const buf = handmade([
      { name: 'h', dtype: 'F16', shape: [3], bytes: [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38] },
      { name: 'b', dtype: 'BF16', shape: [2], bytes: [0x80, 0x3f, 0x20, 0xbe] },
      { name: 'd', dtype: 'F64', shape: [1], bytes: [...new Uint8Array(new Float64Array([0.25]).buffer)] },
      { name: 'i', dtype: 'I64', shape: [2], bytes: [...new Uint8Array(new BigInt64Array([3n, -4n]).buffer)] },
    ]);
    const { tensors } = parseSafetensors(buf);
    expect(Array.from(tensors.get('h')!.data)).toEqual([1, -2, 0.5]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([1, -0.15625]);
    expect(Array.from(tensors.get('d')!.data)).toEqual([0.25]);
    expect(Array.from(tensors.get('i')!.data)).toEqual([3, -4]);
  });

  test('writes F32 with an 8-byte aligned header and reads it back exactly', async () => {
    const tensors: TensorMap = new Map([
      ['b.weight', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) }],
      ['a.bias', { shape: [1], data: Float32Array.from([-0.1]) }],
    ]);
    const bytes = serializeSafetensors(tensors);
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const dir = await mkdtemp(join(tmpdir(), 'optical-st-'));
    await writeSafetensors(join(dir, 'm.safetensors'), tensors);
    expect(new Uint8Array(await readFile(join(dir, 'm.safetensors')))).toEqual(bytes);
    const back = await readSafetensors(join(dir, 'm.safetensors'));
    expect([...back.keys()].sort()).toEqual(['a.bias', 'b.weight']);
    expect(back.get('b.weight')).toEqual(tensors.get('b.weight'));
    expect(() => serializeSafetensors(new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(/needs 4 values/);
  });

  test('rejects truncated or inconsistent files with the tensor named', () => {
    expect(() => parseSafetensors(new Uint8Array(4))).toThrow(/too short/);
    const bad = handmade([{ name: 'w', dtype: 'F32', shape: [2], bytes: [0, 0, 0, 0] }]);
    expect(() => parseSafetensors(bad)).toThrow(/tensor 'w' offsets/);
    const odd = handmade([{ name: 'q', dtype: 'F8_E4M3', shape: [1], bytes: [0] }]);
    expect(() => parseSafetensors(odd)).toThrow(/unsupported dtype 'F8_E4M3'/);
    const big = new Uint8Array(16);
    new DataView(big.buffer).setBigUint64(0, 1000n, true);
    expect(() => parseSafetensors(big)).toThrow(/exceeds file size/);
  });
});

describe('initTf', () => {
  test('initialises wasm once and refuses to switch backends afterwards', async () => {
    expect(await initTf()).toBe('wasm');
    expect(activeBackend()).toBe('wasm');
    await expect(initTf({ backend: 'cpu' })).rejects.toThrow(/already initialised with backend 'wasm'/);
    await expect(initTf({ backend: 'gpu' as never })).rejects.toThrow(RangeError);
  });
});
