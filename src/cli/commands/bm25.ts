/**
 * `optical bm25`: the BM25 baseline run — index a collection, rank every topic, write a TREC run.
 * With --lexicon (TSV `source<TAB>target<TAB>weight`) queries are translated word by word (CLIR).
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCommandArgs, rangeOption } from '../args.js';
import { isKnownLanguage } from '../../ir/language-codes.js';
import { readTopicsFile } from '../../ir/formats/topics.js';
import { iterateCollectionFile } from '../../ir/formats/collection.js';
import { writeRunFile } from '../../ir/formats/trec-run.js';
import { readLexiconTsvFile } from '../../ir/formats/lexicon-tsv.js';
import { createAnalyzer } from '../../ir/bm25/analyzer.js';
import { buildIndex, retrieve } from '../../ir/bm25/retrieve.js';
import { LexiconLookup } from '../../ir/bm25/query-translation.js';
import type { CollectionDocument } from '../../ir/types.js';
import { BM25_DEFAULTS as D } from '../../ir/bm25/bm25.js';

const usage = `usage: optical bm25 --collection DOCS --topics TOPICS --out RUN [--lexicon LEXICON.tsv]
         [--doc-lang sw] [--query-lang en] [--k1 ${D.k1}] [--b ${D.b}] [--depth ${D.depth}]
         [--senses all|first] [--no-stem-fallback] [--drop-untranslated] [--stem] [--tag bm25]

  --collection  JSONL {docno,text,lang} or TSV docno<TAB>text[<TAB>lang] (by extension)
  --topics      TSV qid<TAB>text[<TAB>lang] or JSONL {qid,text,lang}
  --doc-lang    collection language for stopwords (default: the first document's lang, else none)
  --query-lang  topic language (default: the first topic's lang, else --doc-lang)
  --lexicon     translate queries word by word (all senses weighted, or --senses first); unknown
                words are kept unless --drop-untranslated; English plurals etc. fall back to
                Porter-stem matching unless --no-stem-fallback
  --stem        Porter-stem documents and queries (English monolingual runs only)`;

export const command: Command = {
  name: 'bm25',
  summary: 'BM25 baseline run (optionally with lexicon query translation for CLIR)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      collection: { type: 'string' },
      topics: { type: 'string' },
      out: { type: 'string' },
      lexicon: { type: 'string' },
      'doc-lang': { type: 'string' },
      'query-lang': { type: 'string' },
      k1: { type: 'string' },
      b: { type: 'string' },
      depth: { type: 'string' },
      senses: { type: 'string', default: 'all' },
      'no-stem-fallback': { type: 'boolean', default: false },
      'drop-untranslated': { type: 'boolean', default: false },
      stem: { type: 'boolean', default: false },
      tag: { type: 'string', default: 'bm25' },
    });
    if (!values.collection) throw new UsageError('--collection is required');
    if (!values.topics) throw new UsageError('--topics is required');
    if (!values.out) throw new UsageError('--out is required');
    const senses = values.senses ?? 'all';
    if (senses !== 'all' && senses !== 'first') throw new UsageError(`--senses must be all or first, got '${senses}'`);
    const k1 = rangeOption('k1', values.k1, D.k1, { min: 0, max: 1000 });
    const b = rangeOption('b', values.b, D.b, { min: 0, max: 1, why: 'document-length normalisation: 0 = none, 1 = full' });
    const depth = rangeOption('depth', values.depth, D.depth, { min: 1, max: 1e7, int: true });
    for (const opt of ['doc-lang', 'query-lang'] as const) {
      const lang = values[opt];
      if (lang !== undefined && !isKnownLanguage(lang)) throw new UsageError(`--${opt} '${lang}' is not a language code (ISO 639-1 or 639-3, e.g. sw, swh, om, en)`);
    }
    if (values.stem && values.lexicon) throw new UsageError('--stem cannot be combined with --lexicon (stemmed documents would not match dictionary forms)');

    const topics = await readTopicsFile(values.topics);
    if (topics.length === 0) throw new UsageError(`${values.topics}: no topics`);
    // Peek at the first document for its language; the index is still built in one streaming pass.
    let firstLang: string | undefined;
    const docs = (async function* (): AsyncGenerator<CollectionDocument> {
      for await (const d of iterateCollectionFile(values.collection!)) {
        if (firstLang === undefined) firstLang = d.lang ?? '';
        yield d;
      }
    })();
    const docLang = values['doc-lang'];
    // The analyzer is chosen lazily so an unspecified --doc-lang can come from the first document.
    let docAnalyzer: ((text: string) => string[]) | undefined;
    const analyze = (text: string) => {
      docAnalyzer ??= createAnalyzer({ lang: docLang ?? (firstLang || undefined), stem: values.stem });
      return docAnalyzer(text);
    };
    const t0 = Date.now();
    const index = await buildIndex(docs, analyze);
    if (index.numDocs === 0) throw new UsageError(`${values.collection}: no documents`);
    const effectiveDocLang = docLang ?? (firstLang || undefined);
    const queryLang = values['query-lang'] ?? topics[0].lang ?? effectiveDocLang;
    const queryAnalyzer = createAnalyzer({ lang: queryLang, stem: values.stem });
    const translation = values.lexicon
      ? {
          lookup: new LexiconLookup(await readLexiconTsvFile(values.lexicon)),
          targetAnalyzer: createAnalyzer({ lang: effectiveDocLang }),
          senses: senses as 'all' | 'first',
          stemFallback: !values['no-stem-fallback'],
          keepUntranslated: !values['drop-untranslated'],
        }
      : undefined;
    const run = retrieve(index, topics, { k1, b, depth, queryAnalyzer, translation });
    await writeRunFile(values.out, run, values.tag ?? 'bm25');
    // An empty or near-empty run is almost always untranslated queries: say so instead of leaving a
    // run that silently scores 0.
    const crossLingual = queryLang !== undefined && effectiveDocLang !== undefined && queryLang !== effectiveDocLang;
    if (crossLingual && !translation) {
      process.stderr.write(`bm25: warning: the topics are '${queryLang}' and the documents '${effectiveDocLang}', and without --lexicon the queries are not translated (only shared words such as names and numbers can match)\n`);
    }
    const empty = [...run.values()].filter((docs) => docs.size === 0).length;
    if (empty > 0) {
      const why = translation && values['drop-untranslated'] ? ' (with --drop-untranslated a query keeps only words the lexicon translates)' : '';
      const what = empty === topics.length ? 'no topic retrieved any document: the run is empty' : `${empty} of ${topics.length} topics retrieved no document`;
      process.stderr.write(`bm25: warning: ${what}${why}\n`);
    }
    process.stderr.write(
      `bm25: ${index.numDocs} docs (${effectiveDocLang ?? 'no language'}), ${index.numTerms} terms, ${topics.length} topics (${queryLang ?? 'no language'})` +
        `${translation ? `, lexicon ${values.lexicon}` : ''} → ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
    return 0;
  },
};
