// End-to-end CLIR sanity check on real data (DATA.md): English UDHR article queries against Swahili
// paragraphs. Untranslated English queries find almost nothing; word-by-word lexicon translation
// must lift MRR far above that.
import { describe, expect, it } from 'vitest';
import { buildUdhrClirSet } from './helpers/udhr-clir.js';
import { cldrEnSwLexicon, enSwLexicon, freedictAvailable } from './helpers/en-sw-lexicon.js';
import { createAnalyzer } from '../../src/ir/bm25/analyzer.js';
import { buildIndex, retrieve } from '../../src/ir/bm25/retrieve.js';
import { LexiconLookup } from '../../src/ir/bm25/query-translation.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { parseMeasures } from '../../src/ir/measure-names.js';

const MEASURES = parseMeasures(['RR@10', 'RR', 'R@10', 'nDCG@10', 'AP']);

describe('UDHR EN→sw CLIR with BM25', () => {
  it('builds the set described in DATA.md: 30 English queries, 60 Swahili paragraphs', () => {
    const set = buildUdhrClirSet('eng', 'en', 'swh', 'sw');
    expect(set.topics).toHaveLength(30);
    expect(set.docs).toHaveLength(60);
    expect(set.topics[0].text).toMatch(/^All human beings are born free and equal in dignity and rights/);
    expect([...set.qrels.get('a1')!.keys()]).toEqual(['sw-a1-p1']);
  });

  it('lexicon-translated queries score far above untranslated ones', async () => {
    const set = buildUdhrClirSet('eng', 'en', 'swh', 'sw');
    const swAnalyzer = createAnalyzer({ lang: 'sw' });
    const enAnalyzer = createAnalyzer({ lang: 'en' });
    const index = await buildIndex(set.docs, swAnalyzer);
    const untranslated = evaluateRun(set.qrels, retrieve(index, set.topics, { queryAnalyzer: enAnalyzer, depth: 100 }), MEASURES, { complete: true });
    const { lexicon, source } = enSwLexicon();
    const translatedRun = retrieve(index, set.topics, {
      queryAnalyzer: enAnalyzer,
      depth: 100,
      translation: { lookup: new LexiconLookup(lexicon), targetAnalyzer: swAnalyzer, senses: 'all' },
    });
    const translated = evaluateRun(set.qrels, translatedRun, MEASURES, { complete: true });
    console.log(`UDHR EN→sw BM25 (${set.topics.length} queries, ${set.docs.length} docs, lexicon ${source}: ${lexicon.size} EN words)`);
    console.log(`  untranslated: ${JSON.stringify(untranslated.mean)}`);
    console.log(`  translated:   ${JSON.stringify(translated.mean)}`);
    expect(untranslated.mean['RR@10']).toBeLessThan(0.1);
    if (source === 'freedict') {
      // DATA.md: ≈ 0.37 with FreeDict (we measure 0.58: stem fallback and weighted senses).
      expect(translated.mean['RR@10']).toBeGreaterThan(0.3);
      expect(translated.mean['RR@10']).toBeGreaterThan(untranslated.mean['RR@10'] + 0.25);
    } else {
      // Without FreeDict (apt-get install dict-freedict-eng-swh dict-freedict-swh-eng) only the CLDR
      // fallback exists; it covers almost none of the UDHR vocabulary, so only "not worse" holds.
      console.log('  FreeDict not installed: CLDR fallback, the strong check is skipped');
      expect(translated.mean['RR@10']).toBeGreaterThanOrEqual(untranslated.mean['RR@10']);
    }
  });

  it.runIf(freedictAvailable())('the CLDR fallback lexicon (emoji and place names) is far weaker than FreeDict', async () => {
    const set = buildUdhrClirSet('eng', 'en', 'swh', 'sw');
    const swAnalyzer = createAnalyzer({ lang: 'sw' });
    const index = await buildIndex(set.docs, swAnalyzer);
    const lexicon = cldrEnSwLexicon();
    const run = retrieve(index, set.topics, {
      queryAnalyzer: createAnalyzer({ lang: 'en' }),
      translation: { lookup: new LexiconLookup(lexicon), targetAnalyzer: swAnalyzer },
    });
    const ev = evaluateRun(set.qrels, run, MEASURES, { complete: true });
    console.log(`  CLDR lexicon (${lexicon.size} EN words): ${JSON.stringify(ev.mean)}`);
    expect(lexicon.size).toBeGreaterThan(300);
    expect(ev.mean['RR@10']).toBeLessThan(0.2);
  });
});
