// Property-based tests of code-switching (fast-check): for any text and lexicon, the recorded
// replacements rebuild the output exactly, offsets and token links point where they claim, p = 0
// changes nothing, the output is a function of the seed; invalid options throw named errors.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codeSwitch, tokenAlignment, type CodeSwitchMode } from '../../src/codeswitch/codeswitch.js';
import { switchStats } from '../../src/codeswitch/measures.js';
import { Lexicon } from '../../src/data/lexicon.js';
import { tokenize } from '../../src/data/tokenize.js';

const RUNS = { numRuns: 200 };
// Words that can be in the lexicon, in several scripts and with inner apostrophes/hyphens.
const WORDS = ['water', 'Right', 'free', "don't", 'well-known', 'the', 'of', 'élan', 'Σωκράτης', 'درس', '水', 'x2', 'AND'];
const word = fc.oneof({ arbitrary: fc.constantFrom(...WORDS), weight: 3 }, { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }), weight: 1 });
const separator = fc.constantFrom(' ', '  ', ', ', '. ', '\t', '\n', ' - ', '"', "'", '', '—', '\u00a0');
const text = fc.array(fc.tuple(word, separator), { maxLength: 14 }).map((parts) => parts.map(([w, s]) => w + s).join(''));
// Translations: one or more words, any script, possibly with punctuation.
const translation = fc.oneof(fc.constantFrom('maji', 'haki ya', 'uhuru!', 'ʻōlelo', 'ni-ni', 'X'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }));
const entries = fc.array(fc.tuple(fc.oneof(fc.constantFrom(...WORDS), fc.constantFrom('well known', 'free water')), translation, fc.double({ min: 0.01, max: 5, noNaN: true })), { minLength: 1, maxLength: 12 });

function lexicon(list: [string, string, number][], lang = 'sw'): Lexicon {
  const lex = new Lexicon('en', lang, lang);
  for (const [s, t, w] of list) lex.add(s, t, w);
  return lex;
}
const options = fc.record({
  mode: fc.constantFrom<CodeSwitchMode>('bl', 'ml', 'wiki'),
  // Evenly spread (fc.double would mostly draw values next to 0 and 1).
  p: fc.integer({ min: 0, max: 20 }).map((k) => k / 20),
  seed: fc.integer(),
  sense: fc.constantFrom<'sample' | 'top'>('sample', 'top'),
  preserveCase: fc.boolean(),
});

describe('codeSwitch properties', () => {
  it('the replacements rebuild the output; offsets, tokens and links are consistent', () => {
    let replaced = 0;
    fc.assert(fc.property(text, entries, entries, options, (t, e1, e2, o) => {
      const lexicons = o.mode === 'bl' ? [lexicon(e1)] : [lexicon(e1, 'sw'), lexicon(e2, 'om')];
      const r = codeSwitch(t, { ...o, lexicons });
      replaced += r.replacements.length;
      expect(r.src).toBe(t);
      // Applying the replacements to src gives tgt, and the offsets point at source/target.
      let rebuilt = '';
      let cursor = 0;
      for (const rep of r.replacements) {
        expect(t.slice(rep.srcCharStart, rep.srcCharEnd)).toBe(rep.source);
        expect(rep.srcCharStart).toBeGreaterThanOrEqual(cursor);
        rebuilt += t.slice(cursor, rep.srcCharStart);
        expect(rebuilt.length).toBe(rep.tgtCharStart);
        rebuilt += rep.target;
        expect(r.tgt.slice(rep.tgtCharStart, rep.tgtCharEnd)).toBe(rep.target);
        cursor = rep.srcCharEnd;
        expect(lexicons.map((l) => l.tgtLang)).toContain(rep.lang);
      }
      expect(rebuilt + t.slice(cursor)).toBe(r.tgt);
      expect(r.srcTokens).toBe(tokenize(r.src).length);
      expect(r.tgtTokens).toBe(tokenize(r.tgt).length);
      expect(r.eligibleTokens).toBeLessThanOrEqual(r.srcTokens);
      for (const [s, g] of tokenAlignment(r)) {
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(r.srcTokens);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThan(r.tgtTokens);
      }
      const st = switchStats([r]);
      expect(st.switchRate).toBeGreaterThanOrEqual(0);
      expect(st.switchRate).toBeLessThanOrEqual(1);
    }), RUNS);
    // The generators do exercise replacements (not only texts the lexicon misses).
    expect(replaced).toBeGreaterThan(RUNS.numRuns / 10);
  });

  it('outside the replaced spans the text is copied verbatim, so unreplaced tokens link one-to-one to themselves', () => {
    fc.assert(fc.property(text, entries, options, (t, e, o) => {
      const r = codeSwitch(t, { ...o, mode: 'bl', lexicons: [lexicon(e)] });
      const src = tokenize(r.src);
      const tgt = tokenize(r.tgt);
      const replacedSrc = new Set(r.replacements.flatMap((x) => Array.from({ length: x.srcTokenEnd - x.srcTokenStart }, (_, k) => x.srcTokenStart + k)));
      const replacedTgt = new Set(r.replacements.flatMap((x) => Array.from({ length: x.tgtTokenEnd - x.tgtTokenStart }, (_, k) => x.tgtTokenStart + k)));
      for (const [s, g] of tokenAlignment(r)) {
        if (!replacedSrc.has(s) && !replacedTgt.has(g)) expect(tgt[g].text).toBe(src[s].text);
      }
    }), RUNS);
  });

  it('p = 0 changes nothing; the same seed gives the same output', () => {
    fc.assert(fc.property(text, entries, options, (t, e, o) => {
      const lexicons = o.mode === 'bl' ? [lexicon(e)] : [lexicon(e), lexicon(e, 'om')];
      const none = codeSwitch(t, { ...o, lexicons, p: 0 });
      expect(none.tgt).toBe(t);
      expect(none.replacements).toEqual([]);
      expect(codeSwitch(t, { ...o, lexicons })).toEqual(codeSwitch(t, { ...o, lexicons }));
    }), RUNS);
  });

  it('invalid options throw a named TypeError/RangeError, never anything else', () => {
    const bad = fc.oneof(
      fc.record({ p: fc.oneof(fc.double({ min: 1.0000001, noNaN: true }), fc.double({ max: -1e-9, noNaN: true }), fc.constant(NaN)) }),
      fc.record({ mode: fc.string().filter((m) => !['bl', 'ml', 'wiki'].includes(m)) }),
      fc.record({ maxNgram: fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 1.1, max: 9, noInteger: true })) }),
      fc.record({ lexicons: fc.constantFrom([], 'sw', null) }),
      fc.record({ mlLanguage: fc.string().filter((m) => m !== 'known' && m !== 'any') }),
    );
    fc.assert(fc.property(text, bad, (t, override) => {
      const call = () => codeSwitch(t, { mode: 'ml', lexicons: [lexicon([['water', 'maji', 1]])], ...(override as object) } as never);
      let caught: unknown;
      try { call(); } catch (err) { caught = err; }
      expect(caught instanceof TypeError || caught instanceof RangeError, String(caught)).toBe(true);
      expect(String((caught as Error).message)).toMatch(/^codeSwitch: (p|mode|maxNgram|lexicons|mlLanguage) /);
    }), RUNS);
  });
});
