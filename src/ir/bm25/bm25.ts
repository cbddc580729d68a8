/**
 * BM25 ranking over an InvertedIndex.
 *   score(d, q) = Σ_t w_t · idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl))
 *   idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))            (Lucene's idf: never negative)
 * w_t is the query weight of term t: its count in the query, or the summed translation weights
 * for lexicon-translated queries. Defaults k1 = 1.2, b = 0.75 (Lucene's).
 */
import type { InvertedIndex } from './inverted-index.js';

/** BM25 defaults (Lucene's k1 and b; TREC's run depth), shared by the library and `optical bm25`. */
export const BM25_DEFAULTS = { k1: 1.2, b: 0.75, depth: 1000 } as const;

export interface Bm25Parameters {
  k1?: number;
  b?: number;
}

export interface Bm25Hit {
  docno: string;
  score: number;
}

/** Weighted query: term → weight (> 0). Build one from tokens with `countTerms`. */
export type WeightedQuery = Map<string, number>;

export function countTerms(terms: readonly string[]): WeightedQuery {
  const q: WeightedQuery = new Map();
  for (const t of terms) q.set(t, (q.get(t) ?? 0) + 1);
  return q;
}

export class Bm25 {
  readonly k1: number;
  readonly b: number;
  private readonly scores: Float64Array;
  private readonly touched: Uint32Array;
  /** 1 while a doc is in `touched` (scores alone cannot tell: a sum can round to 0). */
  private readonly isTouched: Uint8Array;
  private readonly lengthNorm: Float64Array;

  constructor(readonly index: InvertedIndex, params: Bm25Parameters = {}) {
    this.k1 = params.k1 ?? BM25_DEFAULTS.k1;
    this.b = params.b ?? BM25_DEFAULTS.b;
    if (!Number.isFinite(this.k1) || this.k1 < 0) throw new RangeError(`k1 must be a finite number ≥ 0, got ${this.k1}`);
    if (!Number.isFinite(this.b) || this.b < 0 || this.b > 1) throw new RangeError(`b must be in [0, 1], got ${this.b}`);
    const n = index.numDocs;
    this.scores = new Float64Array(n);
    this.touched = new Uint32Array(n);
    this.isTouched = new Uint8Array(n);
    // Precomputed k1·(1 − b + b·|d|/avgdl) per document: the only per-document part of the formula.
    this.lengthNorm = new Float64Array(n);
    const avg = index.averageDocLength || 1;
    for (let d = 0; d < n; d++) this.lengthNorm[d] = this.k1 * (1 - this.b + (this.b * index.docLengths[d]) / avg);
  }

  idf(df: number): number {
    return Math.log(1 + (this.index.numDocs - df + 0.5) / (df + 0.5));
  }

  /** Top-k documents for a weighted query, best first (ties: lower internal doc id first). */
  search(query: WeightedQuery, k: number): Bm25Hit[] {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
    // Validate before touching the shared accumulators, so a bad query cannot leave them dirty.
    for (const [term, weight] of query) {
      if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`query weight of '${term}' must be finite and ≥ 0, got ${weight}`);
    }
    let numTouched = 0;
    const { scores, touched, isTouched, lengthNorm } = this;
    for (const [term, weight] of query) {
      const id = this.index.termId(term);
      if (id === undefined || weight === 0) continue;
      const { docs, tfs } = this.index.postings(id);
      const w = weight * this.idf(docs.length) * (this.k1 + 1);
      for (let i = 0; i < docs.length; i++) {
        const d = docs[i];
        if (isTouched[d] === 0) {
          isTouched[d] = 1;
          touched[numTouched++] = d;
        }
        const tf = tfs[i];
        scores[d] += (w * tf) / (tf + lengthNorm[d]);
      }
    }
    const best = selectTopK(scores, touched, numTouched, k);
    for (let i = 0; i < numTouched; i++) {
      scores[touched[i]] = 0;
      isTouched[touched[i]] = 0;
    }
    return best.map(({ doc, score }) => ({ docno: this.index.docnos[doc], score }));
  }
}

interface DocScore {
  doc: number;
  score: number;
}

/** True when a ranks below b: lower score, or equal score and higher doc id. */
function worse(a: DocScore, b: DocScore): boolean {
  return a.score < b.score || (a.score === b.score && a.doc > b.doc);
}

/**
 * The k best touched documents via a size-k min-heap (O(touched · log k)), returned best first.
 * Only documents sharing at least one query term are candidates.
 */
function selectTopK(scores: Float64Array, touched: Uint32Array, count: number, k: number): DocScore[] {
  const heap: DocScore[] = [];
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l], heap[m])) m = l;
      if (r < heap.length && worse(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (let i = 0; i < count; i++) {
    const cand = { doc: touched[i], score: scores[touched[i]] };
    if (heap.length < k) {
      heap.push(cand);
      for (let j = heap.length - 1; j > 0; ) {
        const parent = (j - 1) >> 1;
        if (!worse(heap[j], heap[parent])) break;
        [heap[j], heap[parent]] = [heap[parent], heap[j]];
        j = parent;
      }
    } else if (worse(heap[0], cand)) {
      heap[0] = cand;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}
