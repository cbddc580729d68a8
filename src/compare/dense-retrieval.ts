/**
 * Exhaustive dense retrieval with a bi-encoder: every document of an evaluation set is embedded
 * once, every query is scored against all of them (cosine of L2-normalised mean-pooled vectors),
 * and the ranking becomes a Run. Exact search, no ANN index: no approximation error to explain.
 *
 * The collection is encoded in shards (src/compare/dense-shards.ts): one shard stays in memory; a
 * larger collection can be persisted shard by shard (an interrupted encoding resumes, and queue
 * workers encode shards in parallel). Queries are scored one shard at a time, keeping an exact
 * top-`depth` per shard that is merged into the exact top-`depth` overall (default: every
 * document, which is the full ranking).
 */
import type { BiEncoder } from '../train/bi-encoder.js';
import type { Run } from '../ir/types.js';
import type { Progress } from '../data/progress.js';
import type { EvalSet } from './eval-sets.js';
import { DEFAULT_SHARD_SIZE, mergeTopK, readShard, shardRanges, shardReady, topK, writeShard, type Hit, type ShardExpectation, type ShardRange } from './dense-shards.js';

/** Where the shards of one collection are kept, and by which model they are encoded. */
export interface ShardStorage {
  dir: string;
  /** sha256 of the encoding model's weights and tokenizer: shards of any other model are not used. */
  modelId: string;
  /** Has the listed missing shards encoded elsewhere (queue workers); resolves when they are on disk. */
  distribute?: (missing: number[]) => Promise<void>;
}

export interface DenseRetrievalOptions {
  /** Rewrites a query before encoding (e.g. word-by-word translation); default identity. */
  queryText?: (text: string, lang: string) => string;
  /** Rewrites a document before encoding; default identity. */
  docText?: (text: string, lang: string) => string;
  /** Separate query encoder (e.g. the English teacher); default the same model. */
  queryEncoder?: BiEncoder;
  batchSize?: number;
  progress?: Progress;
  /** Documents per encoding shard, a multiple of batchSize (default 10 240). */
  shardSize?: number;
  /** Documents kept per query (exact top-k over all shards); default every document. */
  depth?: number;
  /** Storage for the shards of a collection larger than one shard; without it they stay in memory. */
  persist?: () => Promise<ShardStorage>;
}

export const DENSE_BATCH_SIZE = 32;

async function embedAll(model: BiEncoder, texts: string[], batchSize: number, progress?: Progress, label = '', offset = 0, total = texts.length): Promise<Float32Array> {
  const dim = model.engine.config.hiddenSize;
  const out = new Float32Array(texts.length * dim);
  for (let s = 0; s < texts.length; s += batchSize) {
    out.set(await model.embed(texts.slice(s, s + batchSize), batchSize), s * dim);
    progress?.update(offset + Math.min(s + batchSize, texts.length), total, label);
  }
  return out;
}

/** The texts that are encoded for the documents of `set` (after the method's rewrite). */
export function documentTexts(set: EvalSet, options: Pick<DenseRetrievalOptions, 'docText'> = {}): string[] {
  return set.collection.map((d) => (options.docText ? options.docText(d.text, d.lang) : d.text));
}

/** What a stored shard of `set` must match. */
export function shardExpectation(set: EvalSet, texts: readonly string[], range: ShardRange, modelId: string): ShardExpectation {
  return { modelId, start: range.start, texts: texts.slice(range.start, range.end), docnos: set.collection.slice(range.start, range.end).map((d) => d.docno) };
}

/** Encodes one shard of `set` and stores it (the one way a shard is made, here or on a queue worker). */
export async function encodeShard(model: BiEncoder, set: EvalSet, texts: readonly string[], range: ShardRange, storage: Pick<ShardStorage, 'dir' | 'modelId'>, options: { batchSize?: number; progress?: Progress } = {}): Promise<Float32Array> {
  const matrix = await embedAll(model, texts.slice(range.start, range.end), options.batchSize ?? DENSE_BATCH_SIZE, options.progress, `${set.scenario} documents`, range.start, texts.length);
  writeShard(storage.dir, range.index, shardExpectation(set, texts, range, storage.modelId), matrix, model.engine.config.hiddenSize);
  return matrix;
}

/** Ranks every document of `set` for every topic; excluded documents are left out of that query's ranking. */
export async function denseRun(model: BiEncoder, set: EvalSet, options: DenseRetrievalOptions = {}): Promise<Run> {
  const batchSize = options.batchSize ?? DENSE_BATCH_SIZE;
  const depth = options.depth;
  if (depth !== undefined && (!Number.isInteger(depth) || depth < 1)) throw new RangeError(`denseRun: depth must be a positive integer, got ${depth}`);
  const queryEncoder = options.queryEncoder ?? model;
  const dim = model.engine.config.hiddenSize;
  if (queryEncoder.engine.config.hiddenSize !== dim) throw new RangeError('denseRun: query and document encoders have different hidden sizes');
  const docTexts = documentTexts(set, options);
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  if (shardSize % batchSize !== 0) throw new RangeError(`denseRun: the shard size (${shardSize}) must be a multiple of the encoding batch size (${batchSize}), so shards hold the same batches as an unsharded encoding`);
  const ranges = shardRanges(set.collection.length, shardSize);
  const storage = ranges.length > 1 && options.persist ? await options.persist() : undefined;
  if (storage?.distribute) {
    const missing = ranges.filter((r) => !shardReady(storage.dir, r.index, shardExpectation(set, docTexts, r, storage.modelId))).map((r) => r.index);
    if (missing.length > 0) await storage.distribute(missing);
  }
  const queryTexts = set.topics.map((t) => (options.queryText ? options.queryText(t.text, t.lang) : t.text));
  const Q = await embedAll(queryEncoder, queryTexts, batchSize, options.progress, `${set.scenario} queries`);

  const hits: Hit[][] = set.topics.map(() => []);
  for (const range of ranges) {
    let D = storage ? readShard(storage.dir, range.index, shardExpectation(set, docTexts, range, storage.modelId))?.matrix : undefined;
    if (!D) {
      D = storage
        ? await encodeShard(model, set, docTexts, range, storage, { batchSize, progress: options.progress })
        : await embedAll(model, docTexts.slice(range.start, range.end), batchSize, options.progress, `${set.scenario} documents`, range.start, docTexts.length);
    }
    set.topics.forEach((t, qi) => {
      const skip = set.exclude.get(t.qid);
      const shardHits: Hit[] = [];
      for (let di = range.start; di < range.end; di++) {
        const docno = set.collection[di].docno;
        if (skip?.has(docno)) continue;
        const row = (di - range.start) * dim;
        let s = 0;
        for (let k = 0; k < dim; k++) s += Q[qi * dim + k] * D[row + k];
        if (!Number.isFinite(s)) throw new RangeError(`denseRun: score of query '${t.qid}' and document '${docno}' is ${s} (the model produced non-finite embeddings)`);
        shardHits.push({ docno, score: s });
      }
      hits[qi] = depth === undefined ? hits[qi].concat(shardHits) : mergeTopK([hits[qi], topK(shardHits, depth)], depth);
    });
  }
  const run: Run = new Map();
  set.topics.forEach((t, qi) => run.set(t.qid, new Map(hits[qi].map((h) => [h.docno, h.score]))));
  return run;
}
