import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alignCldrTrees, buildCldr, isCldrText, resolveCldrLocale } from '../../src/data/cldr.js';

describe('CLDR tree alignment', () => {
  it('pairs leaves by key path and skips patterns, keyword lists and identity', () => {
    // Shapes copied from cldr-annotations-full (sw) and cldr-dates-full (gregorian).
    const en = {
      identity: { language: 'en' },
      '🏽': { default: ['medium skin tone', 'skin tone', 'type 4'], tts: ['medium skin tone'] },
      days: { format: { wide: { tue: 'Tuesday' } } },
      dateFormats: { long: 'MMMM d, y' },
    };
    const sw = {
      identity: { language: 'sw' },
      '🏽': { default: ['kahawia', 'ngozi ya kahawia', 'rangi ya ngozi'], tts: ['ngozi ya kahawia'] },
      days: { format: { wide: { tue: 'Jumanne' } } },
      dateFormats: { long: 'd MMMM y' },
    };
    expect([...alignCldrTrees(en, sw)]).toEqual([
      ['🏽/tts/0', 'medium skin tone', 'ngozi ya kahawia'],
      ['days/format/wide/tue', 'Tuesday', 'Jumanne'],
    ]);
    expect(isCldrText('{0} km')).toBe(false);
    expect(isCldrText('0K')).toBe(true);
    expect(isCldrText('12')).toBe(false);
  });
});

describe('buildCldr on the real npm packages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optical-cldr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves sw/swh → sw and om/gax/gaz → om', () => {
    expect(resolveCldrLocale('swh')).toBe('sw');
    expect(resolveCldrLocale('gax')).toBe('om');
    expect(resolveCldrLocale('gaz')).toBe('om');
    expect(() => resolveCldrLocale('qqq')).toThrow(/no CLDR locale for language 'qqq'/);
  });

  it('Swahili: thousands of unique phrase pairs and ~1,100 single-word pairs, written with a manifest', async () => {
    const r = await buildCldr({ lang: 'sw', outDir: dir });
    expect(r.pairs.length).toBeGreaterThan(5000);
    expect(r.lexicon.length).toBeGreaterThan(900);
    expect(r.lexicon.length).toBeLessThan(1500);
    expect(r.lexicon).toContainEqual(expect.objectContaining({ src: 'tuesday', tgt: 'jumanne' }));
    expect(r.pairs.every((p) => p.src !== p.tgt && !p.src.includes('{'))).toBe(true);
    expect(new Set(r.pairs.map((p) => `${p.src}\t${p.tgt}`)).size).toBe(r.pairs.length);
    const tsv = readFileSync(join(dir, 'lexicon.tsv'), 'utf8').trim().split('\n');
    expect(tsv).toHaveLength(r.lexicon.length);
    expect(tsv[0].split('\t')).toHaveLength(3);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.sources.map((s: { package: string }) => s.package)).toContain('cldr-annotations-full');
  });

  it('Oromo works too', async () => {
    const r = await buildCldr({ lang: 'om' });
    expect(r.locale).toBe('om');
    expect(r.pairs.length).toBeGreaterThan(2000);
    expect(r.pairs.every((p) => p.tgtLang === 'om')).toBe(true);
  });
});
