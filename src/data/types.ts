/** Record types shared by every recipe and reader in src/data (the on-disk formats mirror them). */

/** One aligned pair. `src` is English unless a recipe says otherwise; extra fields carry provenance. */
export interface BitextPair {
  id: string;
  src: string;
  tgt: string;
  srcLang: string;
  tgtLang: string;
  [extra: string]: unknown;
}

export interface Topic {
  qid: string;
  text: string;
  lang: string;
}

export interface Doc {
  docno: string;
  text: string;
  lang: string;
}

/** One TREC qrels line: `qid 0 docno rel`. */
export interface Qrel {
  qid: string;
  docno: string;
  rel: number;
}

/** A CLIR test collection: queries in one language, documents in another, graded judgements. */
export interface ClirSet {
  topics: Topic[];
  collection: Doc[];
  qrels: Qrel[];
}

/** One fold of a leakage-safe split: training bitext plus a CLIR set built only from held-out units. */
export interface Fold {
  fold: number;
  /** Units (articles, pages, ...) held out for testing in this fold. */
  testUnits: string[];
  train: BitextPair[];
  test: ClirSet;
}

/** Lexicon entry as written to TSV: `en\tx\tweight`. */
export interface LexiconPair {
  src: string;
  tgt: string;
  weight: number;
}
