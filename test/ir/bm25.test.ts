// BM25 pieces on tiny hand-checkable inputs.
import { describe, expect, it } from 'vitest';
import { createAnalyzer, tokenizeWords } from '../../src/ir/bm25/analyzer.js';
import { stopwordsFor } from '../../src/ir/bm25/stopwords.js';
import { InvertedIndexBuilder } from '../../src/ir/bm25/inverted-index.js';
import { Bm25, countTerms } from '../../src/ir/bm25/bm25.js';
import { LexiconLookup, translateQuery } from '../../src/ir/bm25/query-translation.js';
import { parseLexiconTsv } from '../../src/ir/formats/lexicon-tsv.js';
import { languageCandidates } from '../../src/ir/language-codes.js';

describe('analyzer', () => {
  it('applies NFKC, lowercase, keeps inner apostrophes and Unicode letters', () => {
    expect(tokenizeWords('Ｆｕｌｌ-width ＡＢＣ, ng’ombe! Élan 42')).toEqual(['full', 'width', 'abc', "ng'ombe", 'élan', '42']);
  });
  it('removes per-language stopwords and stems English on request', () => {
    expect(createAnalyzer({ lang: 'en' })('The rights of all people')).toEqual(['rights', 'people']);
    expect(createAnalyzer({ lang: 'en', stem: true })('The rights of all people')).toEqual(['right', 'peopl']);
    expect(createAnalyzer({ lang: 'sw' })('Kila mtu ana haki ya kuishi')).not.toContain('ya');
    expect(createAnalyzer({ lang: 'swh' })('haki ya')).toEqual(createAnalyzer({ lang: 'sw' })('haki ya'));
    expect(createAnalyzer({ stopwords: false })('the a')).toEqual(['the', 'a']);
    expect(() => createAnalyzer({ lang: 'sw', stem: true })).toThrow(/only English/);
  });
  it('resolves language codes through CLDR aliases', () => {
    expect(languageCandidates('swh')).toEqual(expect.arrayContaining(['swh', 'sw', 'swa']));
    expect(languageCandidates('en-GB')).toEqual(expect.arrayContaining(['en', 'eng']));
    expect(stopwordsFor('om').size).toBe(0);
  });
});

describe('inverted index and BM25', () => {
  const docs: [string, string[]][] = [
    ['d1', ['a', 'b', 'a']],
    ['d2', ['b', 'c']],
    ['d3', ['c', 'c', 'c', 'd']],
  ];
  const builder = new InvertedIndexBuilder();
  for (const [id, terms] of docs) builder.add(id, terms);
  const index = builder.build();

  it('stores typed-array postings sorted by doc id', () => {
    expect(index.numDocs).toBe(3);
    expect(index.numTerms).toBe(4);
    const c = index.postings(index.termId('c')!);
    expect([...c.docs]).toEqual([1, 2]);
    expect([...c.tfs]).toEqual([1, 3]);
    expect(index.averageDocLength).toBe(3);
    expect(() => new InvertedIndexBuilder().add('', [])).toThrow(TypeError);
    const dup = new InvertedIndexBuilder();
    dup.add('x', []);
    expect(() => dup.add('x', [])).toThrow("duplicate docno 'x' (document 1)");
  });

  it('scores with Lucene idf and the classic tf saturation', () => {
    const bm25 = new Bm25(index, { k1: 1.2, b: 0.75 });
    const hits = bm25.search(countTerms(['c']), 10);
    const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
    const score = (tf: number, len: number) => (idf * tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * len) / 3));
    expect(hits.map((h) => h.docno)).toEqual(['d3', 'd2']);
    expect(hits[0].score).toBeCloseTo(score(3, 4), 14);
    expect(hits[1].score).toBeCloseTo(score(1, 2), 14);
    // Query weights multiply a term's contribution; k limits the list; unknown terms are ignored.
    expect(bm25.search(new Map([['c', 2]]), 1)[0].score).toBeCloseTo(2 * score(3, 4), 14);
    expect(bm25.search(countTerms(['zzz']), 5)).toEqual([]);
    // The accumulator is reset between queries.
    expect(bm25.search(countTerms(['c']), 10)).toEqual(hits);
    expect(() => bm25.search(countTerms(['c']), 0)).toThrow(RangeError);
    // A rejected query leaves no partial scores behind.
    expect(() => bm25.search(new Map([['c', 1], ['a', NaN]]), 5)).toThrow("query weight of 'a' must be finite and ≥ 0, got NaN");
    expect(bm25.search(countTerms(['c']), 10)).toEqual(hits);
    expect(() => new Bm25(index, { b: 2 })).toThrow(/b must be in \[0, 1\]/);
  });
});

describe('query translation', () => {
  it('spreads each source word over its senses by weight, splits phrases, keeps unknown words', async () => {
    const lexicon = await parseLexiconTsv('right\thaki\t3\nright\tkulia\t1\nhuman\tbinadamu\nfree\tbila malipo\n');
    const lookup = new LexiconLookup(lexicon);
    const target = createAnalyzer({ stopwords: false });
    const all = translateQuery(['rights', 'human', 'free', 'unesco'], lookup, { targetAnalyzer: target });
    expect(Object.fromEntries(all.query)).toEqual({ haki: 0.75, kulia: 0.25, binadamu: 1, bila: 0.5, malipo: 0.5, unesco: 1 });
    expect(all.untranslated).toEqual(['unesco']);
    const first = translateQuery(['right'], lookup, { targetAnalyzer: target, senses: 'first', keepUntranslated: false });
    expect(Object.fromEntries(first.query)).toEqual({ haki: 1 });
    const noStem = translateQuery(['rights'], lookup, { targetAnalyzer: target, stemFallback: false, keepUntranslated: false });
    expect(noStem.query.size).toBe(0);
  });
  it('reads lexicon TSV with file:line errors', async () => {
    await expect(parseLexiconTsv('a\tb\tx\n', 'l.tsv')).rejects.toThrow("l.tsv:1: weight 'x' must be a finite number ≥ 0");
    await expect(parseLexiconTsv('a\n', 'l.tsv')).rejects.toThrow('l.tsv:1: lexicon line needs');
    const lex = await parseLexiconTsv('# header\nA\tB\nA\tb\t2\n');
    expect(lex.get('a')).toEqual([{ term: 'b', weight: 3 }]);
  });
});
