/**
 * The per-query input of every metric, built the way trec_eval's form_res_rels builds it: the run is
 * ranked by score desc / docno desc, and each rank gets the qrels value of its document, -1 when the
 * document is not in the qrels at all, -2 when the qrels list it with a negative value (pooled but
 * unjudged). Relevant means value ≥ RELEVANCE_LEVEL (trec_eval's default `-l 1`).
 */
import { rankQuery } from '../ranking.js';

export const RELEVANCE_LEVEL = 1;
/** trec_eval RELVALUE_NONPOOL: retrieved document absent from the qrels. */
export const NOT_IN_QRELS = -1;
/** trec_eval RELVALUE_UNJUDGED: retrieved document listed in the qrels with a negative value. */
export const UNJUDGED = -2;

export interface RankedJudgments {
  /** Relevance value of the document at each rank (index 0 = rank 1). */
  rels: Int32Array;
  /** Number of documents in the qrels with value ≥ RELEVANCE_LEVEL (retrieved or not). */
  numRel: number;
  /** Values > 0 of all judged documents in the qrels, sorted descending: the ideal ranking's gains. */
  idealGains: number[];
}

export function rankJudgments(qrelsDocs: Map<string, number> | undefined, runDocs: Map<string, number> | undefined): RankedJudgments {
  const ranked = runDocs ? rankQuery(runDocs) : [];
  const rels = new Int32Array(ranked.length);
  for (let i = 0; i < ranked.length; i++) {
    const rel = qrelsDocs?.get(ranked[i].docno);
    rels[i] = rel === undefined ? NOT_IN_QRELS : rel < 0 ? UNJUDGED : rel;
  }
  let numRel = 0;
  const idealGains: number[] = [];
  if (qrelsDocs) {
    for (const rel of qrelsDocs.values()) {
      if (rel >= RELEVANCE_LEVEL) numRel++;
      if (rel > 0) idealGains.push(rel);
    }
  }
  idealGains.sort((a, b) => b - a);
  return { rels, numRel, idealGains };
}

export function isRelevant(rel: number, level = RELEVANCE_LEVEL): boolean {
  return rel >= level;
}

/**
 * Relevant documents in the qrels at a relevance level (trec_eval -l): qrels values ≥ level.
 * idealGains holds every positive value sorted descending, so this is a prefix length.
 */
export function countRelevant(q: RankedJudgments, level: number): number {
  if (level === RELEVANCE_LEVEL) return q.numRel;
  let n = 0;
  while (n < q.idealGains.length && q.idealGains[n] >= level) n++;
  return n;
}
