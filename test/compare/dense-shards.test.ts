/**
 * Sharded dense retrieval: the ranking does not depend on the shard size, stored shards are reused
 * only when they match the model, the texts and their own hashes (a damaged one is encoded again),
 * missing shards are the only ones handed to `distribute`, and the per-shard top-k merge is the
 * exact top-k of the full ranking in trec_eval's order (ties by docno).
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomEngine } from '../../src/models/engine/index.js';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { denseRun, type ShardStorage } from '../../src/compare/dense-retrieval.js';
import { mergeTopK, shardFolder, shardRanges, topK, type Hit } from '../../src/compare/dense-shards.js';
import { rankQuery } from '../../src/ir/ranking.js';
import type { EvalSet } from '../../src/compare/eval-sets.js';
import type { Run } from '../../src/ir/types.js';
import { Rng } from '../../src/random/rng.js';

const WORDS = 'water river rain cloud school teacher book child family house road market food price law court right freedom'.split(' ');

function text(rng: Rng, n: number): string {
  return Array.from({ length: n }, () => WORDS[rng.int(WORDS.length)]).join(' ');
}

let model: BiEncoder;
let set: EvalSet;

beforeAll(async () => {
  const rng = new Rng('dense-shards');
  const collection = Array.from({ length: 47 }, (_, i) => ({ docno: `d${String(i).padStart(2, '0')}`, text: text(rng, 3 + rng.int(9)), lang: 'sw' }));
  const topics = Array.from({ length: 6 }, (_, i) => ({ qid: `q${i}`, text: text(rng, 3), lang: 'en' }));
  set = { scenario: 'clir', topics, collection, qrels: [], exclude: new Map([['q1', new Set(['d03', 'd40'])]]) };
  const tokenizer = new TextTokenizer(trainWordPiece([...WORDS, ...collection.map((d) => d.text)], { vocabSize: 60, minFrequency: 1 }));
  const config = { ...TINY_BERT, vocabSize: tokenizer.vocabSize, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };
  model = new BiEncoder(await randomEngine(config, { seed: 3 }), tokenizer, { maxLength: 16 });
});

function runsEqual(a: Run, b: Run): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [q, docs] of a) expect(rankQuery(b.get(q)!)).toEqual(rankQuery(docs));
}

describe('sharded dense retrieval', () => {
  it('ranks the same for every shard size, in memory and on disk, and leaves excluded documents out', async () => {
    const whole = await denseRun(model, set);
    expect(whole.get('q1')!.has('d03')).toBe(false);
    expect(whole.get('q0')!.size).toBe(47);
    // Batches of 4 here (32 in compares): shards hold whole batches, so the vectors are the same bytes.
    const wholeIn4 = await denseRun(model, set, { batchSize: 4, shardSize: 48 });
    for (const shardSize of [4, 8, 12, 44]) expect(await denseRun(model, set, { batchSize: 4, shardSize })).toEqual(wholeIn4);
    const dir = mkdtempSync(join(tmpdir(), 'optical-shards-'));
    const persist = async (): Promise<ShardStorage> => ({ dir, modelId: 'model-a' });
    expect(await denseRun(model, set, { batchSize: 4, shardSize: 8, persist })).toEqual(wholeIn4);
    expect(readdirSync(dir).sort()).toEqual(shardRanges(47, 8).map((r) => shardFolder('', r.index)));
    await expect(denseRun(model, set, { shardSize: 10 })).rejects.toThrow(/shard size \(10\) must be a multiple of the encoding batch size \(32\)/);
  });

  it('reuses stored shards of the same model and texts, and encodes again a damaged or foreign one', async () => {
    const whole = await denseRun(model, set, { batchSize: 5, shardSize: 50 });
    const dir = mkdtempSync(join(tmpdir(), 'optical-shards-'));
    await denseRun(model, set, { batchSize: 5, shardSize: 10, persist: async () => ({ dir, modelId: 'model-a' }) });
    const embed = vi.spyOn(model, 'embed');
    runsEqual(await denseRun(model, set, { batchSize: 5, shardSize: 10, persist: async () => ({ dir, modelId: 'model-a' }) }), whole);
    // Only the queries are encoded (batches of 5): every shard came from disk.
    expect(embed.mock.calls.map((c) => c[0].length)).toEqual([5, 1]);
    // One flipped byte in shard 2, a half-written temporary folder beside shard 3.
    const f = join(shardFolder(dir, 2), 'embeddings.f32');
    const bytes = readFileSync(f);
    bytes[5] ^= 0xff;
    writeFileSync(f, bytes);
    mkdirSync(`${shardFolder(dir, 3)}.tmp-otherhost-1-abcd`);
    writeFileSync(join(`${shardFolder(dir, 3)}.tmp-otherhost-1-abcd`, 'embeddings.f32'), 'garbage');
    embed.mockClear();
    runsEqual(await denseRun(model, set, { batchSize: 5, shardSize: 10, persist: async () => ({ dir, modelId: 'model-a' }) }), whole);
    expect(embed.mock.calls.map((c) => c[0].length)).toEqual([5, 1, 5, 5]);
    // Shards of another model are never used.
    embed.mockClear();
    await denseRun(model, set, { batchSize: 5, shardSize: 10, persist: async () => ({ dir, modelId: 'model-b' }) });
    expect(embed.mock.calls.map((c) => c[0].length)).toEqual([5, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2]);
    embed.mockRestore();
  });

  it('hands only the missing shards to distribute, then uses what it stored', async () => {
    const whole = await denseRun(model, set, { batchSize: 5, shardSize: 50 });
    const dir = mkdtempSync(join(tmpdir(), 'optical-shards-'));
    // Shards 0 and 1 exist already (encoded "by another worker").
    await denseRun(model, { ...set, collection: set.collection.slice(0, 20) }, { batchSize: 5, shardSize: 10, persist: async () => ({ dir, modelId: 'm' }) });
    const asked: number[][] = [];
    const distribute = async (missing: number[]) => {
      asked.push(missing);
      // Stand-in for the workers: encode exactly those shards into the folder.
      const { encodeShard, documentTexts } = await import('../../src/compare/dense-retrieval.js');
      for (const i of missing) await encodeShard(model, set, documentTexts(set), shardRanges(47, 10)[i], { dir, modelId: 'm' }, { batchSize: 5 });
    };
    const embed = vi.spyOn(model, 'embed');
    runsEqual(await denseRun(model, set, { batchSize: 5, shardSize: 10, persist: async () => ({ dir, modelId: 'm', distribute }) }), whole);
    expect(asked).toEqual([[2, 3, 4]]);
    // The three distributed shards (by the stand-in), then the queries; nothing twice.
    expect(embed.mock.calls.map((c) => c[0].length)).toEqual([5, 5, 5, 5, 5, 2, 5, 1]);
    embed.mockRestore();
    expect(existsSync(shardFolder(dir, 4))).toBe(true);
  });

  it('keeps the exact top-k of the full ranking when a depth is set', async () => {
    const whole = await denseRun(model, set, { batchSize: 4, shardSize: 48 });
    for (const shardSize of [4, 48]) {
      const top = await denseRun(model, set, { batchSize: 4, shardSize, depth: 8 });
      for (const [q, docs] of whole) expect(rankQuery(top.get(q)!)).toEqual(rankQuery(docs).slice(0, 8));
    }
    await expect(denseRun(model, set, { depth: 0 })).rejects.toThrow(/depth must be a positive integer/);
  });

  it('merges per-shard top-k lists into the overall top-k, ties broken by docno as trec_eval does', () => {
    const rng = new Rng('topk');
    for (let trial = 0; trial < 50; trial++) {
      const hits: Hit[] = Array.from({ length: 40 }, (_, i) => ({ docno: `d${i}`, score: rng.int(6) / 5 }));
      const k = 1 + rng.int(12);
      const shards = [hits.slice(0, 13), hits.slice(13, 14), hits.slice(14, 40)];
      const merged = mergeTopK(shards.map((s) => topK([...s], k)), k);
      expect(merged).toEqual(rankQuery(new Map(hits.map((h) => [h.docno, h.score]))).slice(0, k));
    }
  });
});
