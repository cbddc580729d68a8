/**
 * Encoded collection shards: a collection is cut into consecutive shards of `shardSize` documents,
 * a multiple of the encoding batch size, so every shard holds whole batches — exactly the batches
 * of an unsharded encoding (a document's vector depends, in its last bits, on the padded length and
 * size of its batch). A shard's vectors are therefore the same bytes whichever process encodes it,
 * and the ranking does not depend on the shard size. A shard is stored as
 *     shard-00003/ embeddings.f32 (rows × dim float32, little endian), docnos.txt, shard.json
 * written into a temporary sibling folder and renamed into place when complete. shard.json names
 * the model (sha256 of its weights and tokenizer), the sha256 of the encoded texts and of both
 * files; a shard whose record does not match is never used. Retrieval scores every query against
 * one shard at a time and keeps an exact top-k per shard, merged into the exact top-k overall.
 * Temporary folders of a writer that died are never read; they go with the unit's work folder.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { sha256 } from '../data/formats.js';
import { compareCodePoints, type ScoredDoc } from '../ir/ranking.js';

export const SHARD_FORMAT = 'optical-dense-shard/1';
/** Documents per shard when none is configured: 320 batches of 32 (about 31 MB of float32 vectors at dim 768). */
export const DEFAULT_SHARD_SIZE = 10_240;

export interface ShardMeta {
  format: string;
  index: number;
  /** Position of the shard's first document in the collection. */
  start: number;
  rows: number;
  dim: number;
  modelId: string;
  textsSha256: string;
  embeddingsSha256: string;
  docnosSha256: string;
}

export interface ShardRange {
  index: number;
  start: number;
  end: number;
}

export function shardRanges(n: number, shardSize: number): ShardRange[] {
  if (!Number.isInteger(shardSize) || shardSize < 1) throw new RangeError(`shard size must be a positive integer, got ${shardSize}`);
  const out: ShardRange[] = [];
  for (let start = 0, index = 0; start < n; start += shardSize, index++) out.push({ index, start, end: Math.min(n, start + shardSize) });
  return out;
}

export function shardFolder(dir: string, index: number): string {
  return join(dir, `shard-${String(index).padStart(5, '0')}`);
}

export function textsSha256(texts: readonly string[]): string {
  return sha256(texts.join('\u0000'));
}

/** What a stored shard must match to be used. */
export interface ShardExpectation {
  modelId: string;
  texts: readonly string[];
  docnos: readonly string[];
  start: number;
}

function bytesOf(matrix: Float32Array): Uint8Array {
  return new Uint8Array(matrix.buffer, matrix.byteOffset, matrix.byteLength);
}

/** Writes one encoded shard atomically (a temporary folder renamed into place). */
export function writeShard(dir: string, index: number, expect: ShardExpectation, matrix: Float32Array, dim: number): ShardMeta {
  const rows = expect.docnos.length;
  if (matrix.length !== rows * dim) throw new RangeError(`shard ${index}: ${matrix.length} values for ${rows} documents × dim ${dim}`);
  const final = shardFolder(dir, index);
  const tmp = `${final}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  mkdirSync(tmp, { recursive: true });
  const docnosText = expect.docnos.join('\n') + '\n';
  const bytes = bytesOf(matrix);
  writeFileSync(join(tmp, 'embeddings.f32'), bytes);
  writeFileSync(join(tmp, 'docnos.txt'), docnosText);
  const meta: ShardMeta = {
    format: SHARD_FORMAT, index, start: expect.start, rows, dim, modelId: expect.modelId,
    textsSha256: textsSha256(expect.texts), embeddingsSha256: sha256(bytes), docnosSha256: sha256(docnosText),
  };
  writeFileSync(join(tmp, 'shard.json'), JSON.stringify(meta, null, 2) + '\n');
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  return meta;
}

function readMeta(dir: string, index: number): ShardMeta | null {
  try {
    return JSON.parse(readFileSync(join(shardFolder(dir, index), 'shard.json'), 'utf8')) as ShardMeta;
  } catch {
    return null;
  }
}

/** Why the stored shard cannot be used (absent, another model or texts, damaged), or null when it can. */
function mismatch(meta: ShardMeta | null, index: number, expect: ShardExpectation): string | null {
  if (!meta) return 'absent';
  if (meta.format !== SHARD_FORMAT) return `format ${meta.format}`;
  if (meta.index !== index || meta.start !== expect.start || meta.rows !== expect.docnos.length) return 'another range of the collection';
  if (meta.modelId !== expect.modelId) return 'encoded by another model';
  if (meta.textsSha256 !== textsSha256(expect.texts)) return 'encoded from other texts';
  return null;
}

/** Cheap check (shard.json only) that a usable shard is on disk; readShard verifies the bytes. */
export function shardReady(dir: string, index: number, expect: ShardExpectation): boolean {
  return mismatch(readMeta(dir, index), index, expect) === null;
}

/**
 * Reads a stored shard, verifying both files against shard.json; returns null (and removes the
 * folder when it is damaged) so the caller encodes it again.
 */
export function readShard(dir: string, index: number, expect: ShardExpectation): { matrix: Float32Array; dim: number } | null {
  const folder = shardFolder(dir, index);
  const meta = readMeta(dir, index);
  if (mismatch(meta, index, expect) !== null) return null;
  try {
    const bytes = readFileSync(join(folder, 'embeddings.f32'));
    const docnosText = readFileSync(join(folder, 'docnos.txt'), 'utf8');
    if (sha256(bytes) !== meta!.embeddingsSha256 || sha256(docnosText) !== meta!.docnosSha256 || docnosText !== expect.docnos.join('\n') + '\n') throw new Error('hash mismatch');
    if (bytes.byteLength !== meta!.rows * meta!.dim * 4) throw new Error('size mismatch');
    // Copy into an aligned buffer (a Buffer from readFileSync may start at any byte offset).
    const matrix = new Float32Array(meta!.rows * meta!.dim);
    new Uint8Array(matrix.buffer).set(bytes);
    return { matrix, dim: meta!.dim };
  } catch {
    rmSync(folder, { recursive: true, force: true });
    return null;
  }
}

/** A scored document of one query. */
export type Hit = ScoredDoc;

/** The best `k` of `hits` in trec_eval's order (score, then docno descending); all of them when k is undefined. */
export function topK(hits: Hit[], k: number | undefined): Hit[] {
  if (k === undefined || hits.length <= k) return hits;
  hits.sort((p, q) => (p.score > q.score ? -1 : p.score < q.score ? 1 : compareCodePoints(q.docno, p.docno)));
  return hits.slice(0, k);
}

/**
 * Exact merge of per-shard top-k lists: the k best of the union are the k best overall, because
 * each shard's list holds every document of that shard that could be among them.
 */
export function mergeTopK(lists: readonly Hit[][], k: number | undefined): Hit[] {
  return topK(lists.flat(), k);
}

/** Identity of a saved bi-encoder folder: sha256 of its weights and its tokenizer. */
export function modelFolderId(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['model.safetensors', 'tokenizer.json']) h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex').slice(0, 32);
}
