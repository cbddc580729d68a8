import { describe, expect, it } from 'vitest';
import { induceLexicon, type AlignmentSource } from '../../src/data/induce.js';
import { Lexicon, lexiconCoverage, parseLexiconTsv, parseMuseLexicon } from '../../src/data/lexicon.js';
import { stopwordsFor } from '../../src/data/stopwords.js';
import { englishBaseForms } from '../../src/data/inflect.js';
import { buildUdhr } from '../../src/data/udhr.js';

describe('Lexicon', () => {
  it('normalises entries, keeps multiword entries and several weighted senses', () => {
    const lex = new Lexicon('en', 'sw');
    lex.add('Human  Rights', 'Haki za Binadamu', 2);
    lex.add('human rights', 'haki za binadamu', 1);
    lex.add('right', 'haki', 3);
    lex.add('right', 'kulia', 1);
    lex.add('"Right"', 'sahihi', 1);
    expect(lex.get('human rights')).toEqual([{ target: 'haki za binadamu', weight: 3, sources: ['sw'] }]);
    expect(lex.get('RIGHT').map((s) => s.target)).toEqual(['haki', 'kulia', 'sahihi']);
    expect(lex.maxSourceWords).toBe(2);
    lex.normalize();
    expect(lex.get('right').reduce((a, s) => a + s.weight, 0)).toBeCloseTo(1, 12);
    expect(() => lex.add('a', 'b', -1)).toThrow(/weight for 'a' → 'b' must be finite and >= 0/);
  });

  it('merges sources: per-source normalisation, source weights, provenance', () => {
    const a = Lexicon.fromPairs([{ src: 'water', tgt: 'maji', weight: 10 }, { src: 'water', tgt: 'majimaji', weight: 10 }], 'en', 'sw', 'freedict');
    const b = Lexicon.fromPairs([{ src: 'water', tgt: 'maji', weight: 1 }, { src: 'fire', tgt: 'moto', weight: 1 }], 'en', 'sw', 'cldr');
    const m = Lexicon.merge([{ lexicon: a }, { lexicon: b, weight: 2 }]);
    const water = m.get('water');
    // maji: 0.5 (a) + 2·1 (b) = 2.5; majimaji: 0.5 → normalised 2.5/3, 0.5/3.
    expect(water[0]).toMatchObject({ target: 'maji', sources: ['freedict', 'cldr'] });
    expect(water[0].weight).toBeCloseTo(2.5 / 3, 12);
    expect(m.get('fire')[0].weight).toBeCloseTo(1, 12);
    expect(m.headwords).toBe(2);
  });

  it('parses TSV and MUSE text, with line numbers in errors', () => {
    const t = parseLexiconTsv('water\tmaji\t0.7\nwater\tmajimaji\n', { tgtLang: 'sw' });
    expect(t.get('water').map((s) => [s.target, s.weight])).toEqual([['majimaji', 1], ['maji', 0.7]]);
    expect(() => parseLexiconTsv('a\tb\tx\n', { file: 'l.tsv' })).toThrow("l.tsv:1: weight 'x' must be a finite number ≥ 0");
    const m = parseMuseLexicon('water maji\nwater majimaji\nfire moto\n');
    expect(m.size).toBe(3);
    expect(() => parseMuseLexicon('one two three', { file: 'm.txt' })).toThrow(/m.txt:1/);
  });

  it('coverage counts multiword matches and ignores stopwords', () => {
    const lex = new Lexicon('en', 'sw');
    lex.add('human rights', 'haki za binadamu');
    lex.add('dignity', 'heshima');
    const c = lexiconCoverage('The human rights and the dignity of people.', lex, new Set(['the', 'and', 'of']));
    expect(c).toMatchObject({ tokens: 4, coveredTokens: 3, types: 4, coveredTypes: 3 });
  });
});

describe('English base forms', () => {
  it('proposes lemmas for regular inflections and lets lookups fall back to them', () => {
    expect(englishBaseForms('rights')).toContain('right');
    expect(englishBaseForms('studies')).toContain('study');
    expect(englishBaseForms('married')).toContain('marry');
    expect(englishBaseForms('entitled')).toContain('entitle');
    expect(englishBaseForms('stopped')).toContain('stop');
    expect(englishBaseForms('making')).toContain('make');
    expect(englishBaseForms('boxes')).toContain('box');
    expect(englishBaseForms('class')).not.toContain('clas');
    const lex = new Lexicon('en', 'sw');
    lex.add('right', 'haki');
    expect(lex.lookup('Rights')).toBeNull();
    expect(lex.lookup('Rights', englishBaseForms)).toEqual({ headword: 'right', senses: [{ target: 'haki', weight: 1, sources: ['sw'] }] });
    const c = lexiconCoverage('rights and rights', lex, new Set(['and']), englishBaseForms);
    expect(c.coveredTokens).toBe(2);
  });
});

describe('induceLexicon on real UDHR bitext (EN–sw)', () => {
  const stopEn = stopwordsFor('en');
  const stopSw = stopwordsFor('sw');

  it('IBM-1 and Dice find the obvious translations', async () => {
    const { pairs, sentencePairs } = await buildUdhr({ lang: 'sw' });
    const bitext = [...pairs, ...sentencePairs];
    const ibm = induceLexicon(bitext, { method: 'ibm1', srcStopwords: stopEn, tgtStopwords: stopSw });
    expect(ibm.get('rights')[0].target).toBe('haki');
    expect(ibm.get('education')[0].target).toBe('elimu');
    expect(ibm.get('marriage')[0].target).toBe('ndoa');
    const dice = induceLexicon(bitext, { method: 'dice', srcStopwords: stopEn, tgtStopwords: stopSw });
    expect(dice.get('education').map((s) => s.target)).toContain('elimu');
    expect(dice.srcLang).toBe('en');
    expect(dice.tgtLang).toBe('sw');
  });

  it('accepts a pluggable alignment source and validates its links', () => {
    const pairs = [
      { id: '1', src: 'red house', tgt: 'nyumba nyekundu', srcLang: 'en', tgtLang: 'sw' },
      { id: '2', src: 'red car', tgt: 'gari nyekundu', srcLang: 'en', tgtLang: 'sw' },
    ];
    // Crossed alignment (adjective after noun in Swahili), as an OT plan would give.
    const crossed: AlignmentSource = { name: 'crossed', align: () => [{ s: 0, t: 1, weight: 1 }, { s: 1, t: 0, weight: 1 }] };
    const lex = induceLexicon(pairs, { method: crossed, minCount: 1 });
    expect(lex.get('red')).toEqual([{ target: 'nyekundu', weight: 1, sources: ['induced-crossed'] }]);
    expect(lex.get('house')[0].target).toBe('nyumba');
    const bad: AlignmentSource = { name: 'bad', align: () => [{ s: 0, t: 9, weight: 1 }] };
    expect(() => induceLexicon(pairs, { method: bad })).toThrow(/aligner 'bad' gave link \(0, 9\) outside pair 0/);
  });
});
