/**
 * Glue from files to runs: index a collection with an analyzer, then rank every topic (optionally
 * translated through a lexicon) into a Run.
 */
import type { CollectionDocument, Run, Topic } from '../types.js';
import { Bm25, BM25_DEFAULTS, countTerms, type Bm25Parameters } from './bm25.js';
import { InvertedIndexBuilder, type InvertedIndex } from './inverted-index.js';
import type { Analyzer } from './analyzer.js';
import { LexiconLookup, translateQuery, type TranslationOptions } from './query-translation.js';

export async function buildIndex(docs: Iterable<CollectionDocument> | AsyncIterable<CollectionDocument>, analyzer: Analyzer): Promise<InvertedIndex> {
  const builder = new InvertedIndexBuilder();
  for await (const d of docs) builder.add(d.docno, analyzer(d.text));
  return builder.build();
}

export interface RetrieveOptions extends Bm25Parameters {
  /** Documents per query (default 1000, as TREC runs). */
  depth?: number;
  /** Tokenizer for source-language queries (no stemming when translating: the lexicon needs words). */
  queryAnalyzer: Analyzer;
  /** When set, queries are translated word by word (targetAnalyzer = the collection's analyzer). */
  translation?: TranslationOptions & { lookup: LexiconLookup };
}

export function retrieve(index: InvertedIndex, topics: readonly Topic[], options: RetrieveOptions): Run {
  const bm25 = new Bm25(index, options);
  const depth = options.depth ?? BM25_DEFAULTS.depth;
  const run: Run = new Map();
  for (const topic of topics) {
    const tokens = options.queryAnalyzer(topic.text);
    const query = options.translation ? translateQuery(tokens, options.translation.lookup, options.translation).query : countTerms(tokens);
    const hits = bm25.search(query, depth);
    run.set(topic.qid, new Map(hits.map((h) => [h.docno, h.score])));
  }
  return run;
}
