// CLIR/MLIR/MoIR set builders and the language-bias measure, on hand-made data and on UDHR.
import { describe, expect, it } from 'vitest';
import { buildClirSet, buildMlirSet, buildMoirSet, type ParallelCollection, type ParallelTopics } from '../../src/ir/crosslingual/parallel-settings.js';
import { languageBias, languageBiasForRun } from '../../src/ir/crosslingual/language-bias.js';
import type { Run } from '../../src/ir/types.js';
import { readUdhrArticles } from './helpers/udhr-clir.js';
import { freedictAvailable, freedictEnSwLexicon } from './helpers/en-sw-lexicon.js';
import { createAnalyzer } from '../../src/ir/bm25/analyzer.js';
import { buildIndex } from '../../src/ir/bm25/retrieve.js';
import { Bm25, countTerms } from '../../src/ir/bm25/bm25.js';
import { LexiconLookup, translateQuery } from '../../src/ir/bm25/query-translation.js';

const collection: ParallelCollection = {
  documents: new Map([
    ['en', new Map([['u1', 'cat'], ['u2', 'dog'], ['u3', 'bird']])],
    ['sw', new Map([['u1', 'paka'], ['u2', 'mbwa']])],
  ]),
};
const topics: ParallelTopics = {
  queries: new Map([['en', new Map([['q1', 'cat'], ['q2', 'bird'], ['q3', 'fish']])]]),
  relevance: new Map([['q1', new Map([['u1', 1], ['u2', 0]])], ['q2', new Map([['u3', 2]])]]),
};

describe('parallel set builders', () => {
  it('CLIR keeps the target language only; queries without judged docs there are dropped', () => {
    const s = buildClirSet(collection, topics, 'en', 'sw');
    expect(s.docs.map((d) => d.docno)).toEqual(['sw:u1', 'sw:u2']);
    expect([...s.qrels.keys()]).toEqual(['q1']);
    expect(Object.fromEntries(s.qrels.get('q1')!)).toEqual({ 'sw:u1': 1, 'sw:u2': 0 });
    expect(s.topics).toEqual([{ qid: 'q1', text: 'cat', lang: 'en' }]);
  });
  it('MoIR is same-language', () => {
    const s = buildMoirSet(collection, topics, 'en');
    expect([...s.qrels.keys()]).toEqual(['q1', 'q2']);
    expect(s.docs.every((d) => d.lang === 'en')).toBe(true);
  });
  it('MLIR pools languages and makes each unit relevant in every language it exists in', () => {
    const s = buildMlirSet(collection, topics, 'en', ['en', 'sw']);
    expect(s.docs).toHaveLength(5);
    expect(Object.fromEntries(s.qrels.get('q1')!)).toEqual({ 'en:u1': 1, 'sw:u1': 1, 'en:u2': 0, 'sw:u2': 0 });
    expect(s.parallelGroups.get('q1')).toEqual([['en:u1', 'sw:u1']]);
    expect(s.parallelGroups.get('q2')).toEqual([['en:u3']]);
    expect(() => buildMlirSet(collection, topics, 'xx', ['en'])).toThrow(/no queries in language 'xx'/);
    expect(() => buildMlirSet(collection, topics, 'en', ['en', 'en'])).toThrow(/duplicates/);
  });
});

describe('language bias', () => {
  const groups = new Map([
    ['q1', [['en:u1', 'sw:u1']]],
    ['q2', [['en:u3', 'sw:u3', 'fr:u3'], ['en:u4', 'sw:u4']]],
    ['q3', [['en:u9']]], // single version: no bias defined, skipped
  ]);
  const run: Run = new Map([
    ['q1', new Map([['en:u1', 9], ['x', 8], ['y', 7], ['sw:u1', 6]])], // ranks 1 and 4 → 3
    ['q2', new Map([['sw:u3', 5], ['en:u3', 4], ['fr:u3', 3], ['en:u4', 2]])], // group 1: 3−1 = 2; group 2: sw:u4 missing → rank 5, 5−4 = 1
  ]);
  it('averages max−min rank distances per group, then per query; missing versions rank at depth+1', () => {
    const r = languageBiasForRun(run, groups);
    expect(r.perQuery).toEqual({ q1: 3, q2: 1.5 });
    expect(r.mean).toBe(2.25);
    expect(r.missingVersions).toBe(1);
    expect(r.groups).toBe(3);
  });
  it('averages over query languages with equal weight', () => {
    const other: Run = new Map([['q1', new Map([['en:u1', 2], ['sw:u1', 1]])]]);
    const m = languageBias(new Map([['en', { run, parallelGroups: groups }], ['sw', { run: other, parallelGroups: new Map([['q1', [['en:u1', 'sw:u1']]]]) }]]));
    expect(m.perLanguage.sw.mean).toBe(1);
    expect(m.mean).toBe((2.25 + 1) / 2);
    expect(() => languageBiasForRun(run, new Map([['q3', [['en:u9']]]]))).toThrow(/two or more languages/);
  });

  it.runIf(freedictAvailable())('UDHR en+sw pooled: translated query terms cut the bias of English-only BM25 queries', async () => {
    const docs = new Map<string, Map<string, string>>();
    for (const [lang, code] of [['en', 'eng'], ['sw', 'swh']]) {
      docs.set(lang, new Map(readUdhrArticles(code).flatMap((a) => a.paragraphs.map((p, i) => [`a${a.number}p${i + 1}`, p] as [string, string]))));
    }
    const en = readUdhrArticles('eng');
    const parallelTopics: ParallelTopics = {
      queries: new Map([['en', new Map(en.map((a) => [`a${a.number}`, a.paragraphs[0]]))]]),
      relevance: new Map(en.map((a) => [`a${a.number}`, new Map(a.paragraphs.map((_, i) => [`a${a.number}p${i + 1}`, 1]))])),
    };
    const set = buildMlirSet({ documents: docs }, parallelTopics, 'en', ['en', 'sw']);
    // One analyzer for the pooled collection: English then Swahili stopwords removed.
    const pooled = (text: string) => createAnalyzer({ lang: 'sw' })(createAnalyzer({ lang: 'en' })(text).join(' '));
    const index = await buildIndex(set.docs, pooled);
    const bm25 = new Bm25(index);
    const lookup = new LexiconLookup(freedictEnSwLexicon());
    const englishOnly: Run = new Map();
    const bilingual: Run = new Map();
    for (const t of set.topics) {
      const tokens = createAnalyzer({ lang: 'en' })(t.text);
      englishOnly.set(t.qid, new Map(bm25.search(countTerms(tokens), 1000).map((h) => [h.docno, h.score])));
      const q = translateQuery(tokens, lookup, { targetAnalyzer: pooled, keepUntranslated: false }).query;
      for (const tok of tokens) q.set(tok, (q.get(tok) ?? 0) + 1);
      bilingual.set(t.qid, new Map(bm25.search(q, 1000).map((h) => [h.docno, h.score])));
    }
    const biasEn = languageBiasForRun(englishOnly, set.parallelGroups);
    const biasBi = languageBiasForRun(bilingual, set.parallelGroups);
    console.log(`UDHR MLIR en+sw language bias: English-only queries ${biasEn.mean.toFixed(2)} (missing ${biasEn.missingVersions}), +translation ${biasBi.mean.toFixed(2)} (missing ${biasBi.missingVersions})`);
    expect(biasBi.mean).toBeLessThan(biasEn.mean);
  });
});
