/**
 * Core in-memory shapes shared by the IR readers, metrics and BM25.
 * Maps keep insertion order, so a reader's output preserves file order; metrics never rely on it
 * (ranking is always recomputed from scores, as trec_eval does).
 */

/** qid → docno → graded relevance (integer; ≥ 1 relevant, 0 judged non-relevant, < 0 "in pool, unjudged"). */
export type Qrels = Map<string, Map<string, number>>;

/** qid → docno → retrieval score (higher is better). The rank column of a run file is not kept. */
export type Run = Map<string, Map<string, number>>;

/** One query. `lang` is an ISO 639 code when known. */
export interface Topic {
  qid: string;
  text: string;
  lang?: string;
}

/** One document of a collection. */
export interface CollectionDocument {
  docno: string;
  text: string;
  lang?: string;
}
