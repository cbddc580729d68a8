/**
 * Evaluates a run against qrels like trec_eval 10 with the same measures:
 *  - Queries are those in the qrels, in qid strcmp order (trec_eval's order). A run query absent
 *    from the qrels is ignored. A qrels query with no relevant document (only 0/negative values)
 *    is evaluated like any other and scores 0 on every measure here — trec_eval does not skip it.
 *  - Default: a qrels query absent from the run is skipped, so the mean is over queries present in
 *    both (trec_eval's documented default; note: trec_eval 10.0 itself aborts with "result qid not
 *    found in qrels" in that case unless -c is given, which is a bug in that release).
 *  - complete: true = trec_eval `-c`: every qrels query counts, missing ones with an empty ranking
 *    (0 on every measure here), and the mean divides by the number of qrels queries.
 */
import type { Qrels, Run } from './types.js';
import type { Measure } from './metrics/measure.js';
import { rankJudgments } from './metrics/ranked-judgments.js';
import { compareCodePoints } from './ranking.js';
import { INT32_MAX, INT32_MIN } from './formats/numbers.js';

export interface EvaluateOptions {
  /** trec_eval -c. */
  complete?: boolean;
}

export interface Evaluation {
  /** measure name → mean over evaluated queries. */
  mean: Record<string, number>;
  /** qid → measure name → value, for every evaluated query. */
  perQuery: Record<string, Record<string, number>>;
  /** Evaluated qids in output order. */
  qids: string[];
  /** Measures in request order. */
  measures: Measure[];
}

export function evaluateRun(qrels: Qrels, run: Run, measures: Measure[], options: EvaluateOptions = {}): Evaluation {
  if (!(qrels instanceof Map)) throw new TypeError('evaluateRun: qrels must be a Map<qid, Map<docno, rel>> (see readQrelsFile)');
  if (!(run instanceof Map)) throw new TypeError('evaluateRun: run must be a Map<qid, Map<docno, score>> (see readRunFile)');
  if (!Array.isArray(measures) || measures.length === 0) throw new RangeError('evaluateRun: measures must be a non-empty array (see parseMeasures)');
  for (const [qid, docs] of run) {
    if (!(docs instanceof Map)) throw new TypeError(`evaluateRun: run entry for query '${qid}' must be a Map<docno, score>`);
    for (const [docno, score] of docs) {
      // A NaN score would make the ranking order undefined (trec_eval never sees one: atof).
      if (typeof score !== 'number' || Number.isNaN(score)) throw new TypeError(`evaluateRun: score of (${qid}, ${docno}) must be a number, got ${String(score)}`);
    }
  }
  for (const [qid, docs] of qrels) {
    if (!(docs instanceof Map)) throw new TypeError(`evaluateRun: qrels entry for query '${qid}' must be a Map<docno, rel>`);
    for (const [docno, rel] of docs) {
      // The metrics hold grades in Int32 arrays (as trec_eval holds them in C longs): reject rather than wrap.
      if (!Number.isInteger(rel) || rel < INT32_MIN || rel > INT32_MAX) {
        throw new RangeError(`evaluateRun: relevance of (${qid}, ${docno}) must be an integer in ${INT32_MIN}..${INT32_MAX}, got ${String(rel)}`);
      }
    }
  }
  const qids = [...qrels.keys()].sort(compareCodePoints).filter((qid) => options.complete || run.has(qid));
  const perQuery: Record<string, Record<string, number>> = {};
  const sums = new Float64Array(measures.length);
  for (const qid of qids) {
    const judgments = rankJudgments(qrels.get(qid), run.get(qid));
    const values: Record<string, number> = {};
    measures.forEach((m, j) => {
      const v = m.compute(judgments);
      values[m.name] = v;
      sums[j] += v;
    });
    perQuery[qid] = values;
  }
  if (qids.length === 0) {
    // trec_eval stops here too ("No queries with both results and relevance info"): almost always
    // a run and qrels from different collections.
    throw new RangeError('evaluateRun: no query is in both the qrels and the run (use complete: true to score missing queries as 0)');
  }
  const mean: Record<string, number> = {};
  measures.forEach((m, j) => {
    mean[m.name] = sums[j] / qids.length;
  });
  return { mean, perQuery, qids, measures };
}
