/**
 * Exhaustive dense retrieval with a bi-encoder: every document of an evaluation set is embedded
 * once, every query is scored against all of them (cosine of L2-normalised mean-pooled vectors),
 * and the full ranking becomes a Run. Collections here are small (≤ a few thousand documents), so
 * exact search is cheaper than building an ANN index and has no approximation error to explain.
 */
import type { BiEncoder } from '../train/bi-encoder.js';
import type { Run } from '../ir/types.js';
import type { Progress } from '../data/progress.js';
import type { EvalSet } from './eval-sets.js';

export interface DenseRetrievalOptions {
  /** Rewrites a query before encoding (e.g. word-by-word translation); default identity. */
  queryText?: (text: string, lang: string) => string;
  /** Rewrites a document before encoding; default identity. */
  docText?: (text: string, lang: string) => string;
  /** Separate query encoder (e.g. the English teacher); default the same model. */
  queryEncoder?: BiEncoder;
  batchSize?: number;
  progress?: Progress;
}

async function embedAll(model: BiEncoder, texts: string[], batchSize: number, progress?: Progress, label = ''): Promise<Float32Array> {
  const dim = model.encoder.config.hiddenSize;
  const out = new Float32Array(texts.length * dim);
  for (let s = 0; s < texts.length; s += batchSize) {
    const t = model.embed(texts.slice(s, s + batchSize));
    out.set((await t.data()) as Float32Array, s * dim);
    t.dispose();
    progress?.update(Math.min(s + batchSize, texts.length), texts.length, label);
  }
  return out;
}

/** Ranks every document of `set` for every topic; excluded documents are left out of that query's ranking. */
export async function denseRun(model: BiEncoder, set: EvalSet, options: DenseRetrievalOptions = {}): Promise<Run> {
  const batchSize = options.batchSize ?? 32;
  const docTexts = set.collection.map((d) => (options.docText ? options.docText(d.text, d.lang) : d.text));
  const queryTexts = set.topics.map((t) => (options.queryText ? options.queryText(t.text, t.lang) : t.text));
  const D = await embedAll(model, docTexts, batchSize, options.progress, `${set.scenario} documents`);
  const Q = await embedAll(options.queryEncoder ?? model, queryTexts, batchSize, options.progress, `${set.scenario} queries`);
  const dim = model.encoder.config.hiddenSize;
  if ((options.queryEncoder ?? model).encoder.config.hiddenSize !== dim) throw new RangeError('denseRun: query and document encoders have different hidden sizes');
  const run: Run = new Map();
  set.topics.forEach((t, qi) => {
    const skip = set.exclude.get(t.qid);
    const scores = new Map<string, number>();
    set.collection.forEach((d, di) => {
      if (skip?.has(d.docno)) return;
      let s = 0;
      for (let k = 0; k < dim; k++) s += Q[qi * dim + k] * D[di * dim + k];
      if (!Number.isFinite(s)) throw new RangeError(`denseRun: score of query '${t.qid}' and document '${d.docno}' is ${s} (the model produced non-finite embeddings)`);
      scores.set(d.docno, s);
    });
    run.set(t.qid, scores);
  });
  return run;
}
