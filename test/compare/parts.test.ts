/** The model-free pieces of a compare: evaluation sets, aggregation, drops, sweeps, plots, baseline data. */
import { describe, expect, it } from 'vitest';
import { buildEvalSets, type HeldOutUnit } from '../../src/compare/eval-sets.js';
import { mergeRuns, summarize, type MethodScores } from '../../src/compare/aggregate.js';
import { domainDrops, languageShares } from '../../src/compare/report.js';
import { parseSweepValues, sweepConfig, writeSweepReport } from '../../src/compare/sweeps.js';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig } from '../../src/compare/config.js';
import { Lexicon } from '../../src/data/lexicon.js';
import { codeSwitchedExamples } from '../../src/train/methods/codeswitched-examples.js';
import { crossLingualPool } from '../../src/train/methods/hybrid-batches.js';
import { reverseLexicon, translateWords } from '../../src/train/methods/word-translation.js';
import type { Run } from '../../src/ir/types.js';
import { buildMergedLexicon } from '../../src/compare/experiment-data.js';
import type { SourceRecord } from '../../src/data/manifest.js';
import { silentProgress } from '../../src/data/progress.js';

const doc = (docno: string, lang: string) => ({ docno, text: `${docno} text`, lang });

function unit(n: number, paragraphs: number): HeldOutUnit {
  const en = Array.from({ length: paragraphs }, (_, i) => doc(`en-a${n}-p${i + 1}`, 'en'));
  const sw = Array.from({ length: paragraphs }, (_, i) => doc(`sw-a${n}-p${i + 1}`, 'sw'));
  return { qid: `q${n}`, query: en[0].text, docs: new Map([['en', en], ['sw', sw]]), queryDoc: new Map([['en', en[0]], ['sw', sw[0]]]) };
}

describe('evaluation sets', () => {
  const sets = buildEvalSets([unit(1, 1), unit(2, 3)], ['sw'], ['clir', 'mlir', 'moir']);

  it('CLIR: every English query, all target paragraphs relevant, nothing excluded', () => {
    const s = sets.get('clir')!;
    expect(s.topics.map((t) => t.qid)).toEqual(['q1', 'q2']);
    expect(s.qrels.filter((q) => q.qid === 'q2')).toHaveLength(3);
    expect(s.exclude.size).toBe(0);
  });

  it('MoIR: the query paragraph is excluded; a unit with one paragraph has no query', () => {
    const s = sets.get('moir')!;
    expect(s.topics.map((t) => t.qid)).toEqual(['q2']);
    expect(s.topics[0].lang).toBe('sw');
    expect(s.exclude.get('q2')).toEqual(new Set(['sw-a2-p1']));
    expect(s.qrels.map((q) => q.docno)).toEqual(['sw-a2-p2', 'sw-a2-p3']);
  });

  it('MLIR: pooled languages, own English paragraph excluded, parallel groups for language bias', () => {
    const s = sets.get('mlir')!;
    expect(s.collection).toHaveLength(8);
    expect(s.qrels.filter((q) => q.qid === 'q1').map((q) => q.docno)).toEqual(['sw-a1-p1']);
    expect(s.parallelGroups!.get('q2')).toEqual([['sw-a2-p1'], ['en-a2-p2', 'sw-a2-p2'], ['en-a2-p3', 'sw-a2-p3']].filter((g) => g.length >= 2));
  });
});

describe('aggregation', () => {
  const stats = validateCompareConfig({ name: 'x', languages: ['sw'], methods: [{ name: 'base', kind: 'zero-shot' }, { name: 'a', kind: 'bm25' }], seeds: [1, 2], stats: { metrics: ['AP'], bootstrap: 500 } }).stats;
  const qids = ['q1', 'q2', 'q3', 'q4'];
  const scores: MethodScores[] = [
    { method: 'base', perSeed: new Map([[1, { AP: { q1: 0.1, q2: 0.2, q3: 0.3, q4: 0.4 } }], [2, { AP: { q1: 0.1, q2: 0.2, q3: 0.3, q4: 0.4 } }]]) },
    { method: 'a', perSeed: new Map([[1, { AP: { q1: 0.5, q2: 0.6, q3: 0.7, q4: 0.9 } }], [2, { AP: { q1: 0.3, q2: 0.6, q3: 0.7, q4: 0.7 } }]]) },
  ];
  const t = summarize('clir', scores, qids, stats);

  it('means over seeds, sd over seed means, per-seed means kept', () => {
    const a = t.rows[1].metrics.AP;
    expect(a.seedMeans).toEqual([0.675, 0.575]);
    expect(a.mean).toBeCloseTo(0.625, 12);
    expect(a.sdSeeds).toBeCloseTo(Math.SQRT2 * 0.05, 12);
    expect(t.rows[0].metrics.AP.sdSeeds).toBe(0);
  });

  it('tests against the baseline on seed-averaged per-query scores with an adjusted p', () => {
    const a = t.rows[1].metrics.AP;
    expect(a.delta).toBeCloseTo(0.625 - 0.25, 12);
    expect(a.pValue).toBeGreaterThan(0);
    expect(a.pAdjusted).toBe(a.pValue); // one comparison: Bonferroni × 1
    expect(t.rows[0].metrics.AP.pValue).toBeUndefined();
  });

  it('a query missing from a method scores 0, not skipped', () => {
    const missing: MethodScores[] = [scores[0], { method: 'a', perSeed: new Map([[1, { AP: { q1: 1, q2: 1, q3: 1 } }]]) }];
    expect(summarize('clir', missing, qids, stats).rows[1].metrics.AP.mean).toBe(0.75);
  });

  it('merging fold runs refuses a query in two folds', () => {
    const r: Run = new Map([['q1', new Map([['d', 1]])]]);
    expect(() => mergeRuns([r, r])).toThrow(/appears in two folds/);
  });

  it('domain drop = in-domain − shifted with a CI around it', () => {
    const shifted = summarize('shift', scores.map((s) => ({ ...s, perSeed: new Map([...s.perSeed].map(([k, v]) => [k, { AP: Object.fromEntries(Object.entries(v.AP).map(([q, x]) => [q, x / 2])) }])) })), qids, stats);
    const d = domainDrops(t, shifted).find((x) => x.method === 'a')!;
    expect(d.drop).toBeCloseTo(0.3125, 12);
    expect(d.relativeDrop).toBeCloseTo(0.5, 12);
    expect(d.ciLower).toBeLessThan(d.drop);
    expect(d.ciUpper).toBeGreaterThan(d.drop);
  });

  it('language shares of the top k', () => {
    const run: Run = new Map([['q', new Map([['e1', 3], ['s1', 2], ['s2', 1], ['e2', 0]])]]);
    const lang = new Map([['e1', 'en'], ['e2', 'en'], ['s1', 'sw'], ['s2', 'sw']]);
    expect(languageShares(run, lang, 2).shares).toEqual({ en: 0.5, sw: 0.5 });
    expect(languageShares(run, lang, 1).shares).toEqual({ en: 1 });
  });
});

describe('sweeps', () => {
  const base = validateCompareConfig({ name: 'b', languages: ['om'], data: { test: 'libreoffice', shiftTest: 'udhr', folds: 5, evalFolds: [0] }, methods: [{ name: 'bm25', kind: 'bm25' }], seeds: [1, 2], scenarios: ['clir'] });

  it('derives a validated config with zero-shot plus one CS method per value', () => {
    const c = sweepConfig(base, 'cs', [0.2, 0.8]);
    expect(c.name).toBe('b-cs-sweep');
    expect(c.methods.map((m) => `${m.name}:${'p' in m ? m.p : ''}`)).toEqual(['zero-shot:', 'cs-p0.2:0.2', 'cs-p0.8:0.8']);
    expect(c.stats.baseline).toBe('zero-shot');
    const mix = sweepConfig(base, 'mix', [0, 0.5], { p: 0.3 });
    expect(mix.methods.slice(1).map((m) => (m.kind === 'cs-finetune' ? [m.monolingualRatio, m.p] : []))).toEqual([[0, 0.3], [0.5, 0.3]]);
  });

  it('rejects a CS sweep without a shift test, bad values and a ratio of 1', () => {
    const noShift = validateCompareConfig({ name: 'b', languages: ['sw'], methods: [{ name: 'z', kind: 'zero-shot' }], seeds: [1] });
    expect(() => sweepConfig(noShift, 'cs', [0.5])).toThrow(/needs data\.shiftTest/);
    expect(() => sweepConfig(base, 'cs', [1.5])).toThrow(/value 0 must be in \[0, 1\]/);
    expect(() => sweepConfig(base, 'mix', [1])).toThrow(/monolingual share of 1/);
  });

  it('writes the sweep report with its chart as SVG and Vega-Lite spec', async () => {
    const c = sweepConfig(base, 'cs', [0.2, 0.5, 0.8]);
    const cs = c.methods.filter((m) => m.kind === 'cs-finetune').map((m) => m.name);
    const row = (method: string, i: number, shift: number) => ({ method, seeds: [1, 2], metrics: { AP: { seedMeans: [0.3 + 0.1 * i, 0.32 + 0.1 * i].map((x) => x - shift * i) } } });
    const report = {
      tables: [
        { scenario: 'clir', metrics: ['AP'], rows: cs.map((m, i) => row(m, i, 0)) },
        { scenario: 'shift', metrics: ['AP'], rows: cs.map((m, i) => row(m, i, 0.05)) },
      ],
      units: cs.flatMap((m, i) => [1, 2].map((seed) => ({ method: m, seed, info: { csFrequency: 0.1 + 0.2 * i } }))),
    };
    const dir = mkdtempSync(join(tmpdir(), 'optical-sweep-'));
    mkdirSync(join(dir, 'plots'));
    const r = await writeSweepReport(dir, c, report as never, 'cs', 'AP');
    expect(r.points).toHaveLength(6);
    expect(r.files).toEqual(['plots/cs-frequency-vs-drop.svg', 'plots/cs-frequency-vs-drop.vl.json', 'cs-sweep.md', 'cs-sweep.json']);
    expect(readFileSync(join(dir, 'plots', 'cs-frequency-vs-drop.svg'), 'utf8')).toMatch(/^<svg[\s\S]*p=0\.8 s2[\s\S]*<\/svg>\n$/);
    expect(JSON.parse(readFileSync(join(dir, 'plots', 'cs-frequency-vs-drop.vl.json'), 'utf8')).data.values).toHaveLength(6);
    expect(() => parseSweepValues('p', ['0.1', 'x'])).toThrow(/--p: item 2 \('x'\) is not a number/);
  });
});

describe('lexicon sources', () => {
  it('uses FreeDict when present and notes its absence otherwise (no Oromo FreeDict exists)', async () => {
    const config = validateCompareConfig({ name: 'x', languages: ['om'], methods: [{ name: 'z', kind: 'zero-shot' }], seeds: [1] });
    const notes: string[] = [];
    const sources: SourceRecord[] = [];
    const lex = await buildMergedLexicon('om', config, notes, sources, silentProgress);
    expect(lex.size).toBeGreaterThan(100);
    expect(notes.join(' ')).toMatch(/FreeDict EN↔om is not installed here, so the lexicon is CLDR only/);
    expect(sources.some((s) => s.package.startsWith('cldr-'))).toBe(true);
  });
});

describe('baseline training data', () => {
  const lex = Lexicon.fromPairs([{ src: 'right', tgt: 'haki', weight: 1 }, { src: 'freedom', tgt: 'uhuru', weight: 1 }], 'en', 'sw');
  const pairs = Array.from({ length: 200 }, (_, i) => ({ query: `freedom and right ${i}`, doc: `every right is freedom ${i}` }));

  it('word-by-word translation replaces every covered word; the reversed lexicon goes back', () => {
    expect(translateWords('Freedom is a right', lex).tgt).toBe('Uhuru is a haki');
    expect(translateWords('uhuru na haki', reverseLexicon(lex)).tgt).toBe('freedom na right');
  });

  it('code-switched data: p and the monolingual share show in the measured statistics', () => {
    const all = codeSwitchedExamples(pairs, { scheme: 'bl', lexicons: [lex], p: 1, monolingualRatio: 0, seed: 1 });
    expect(all.switchedPairs).toBe(200);
    expect(all.stats.replacementRate).toBe(1);
    const half = codeSwitchedExamples(pairs, { scheme: 'bl', lexicons: [lex], p: 1, monolingualRatio: 0.5, seed: 1 });
    expect(half.switchedPairs).toBeGreaterThan(70);
    expect(half.switchedPairs).toBeLessThan(130);
    expect(half.overall.switchRate).toBeLessThan(all.overall.switchRate);
    expect(half.examples.filter((e) => e.query.startsWith('freedom')).length).toBe(200 - half.switchedPairs);
    expect(() => codeSwitchedExamples(pairs, { scheme: 'bl', lexicons: [lex], p: 0.5, monolingualRatio: 1, seed: 1 })).toThrow(/monolingualRatio/);
  });

  it('hybrid cross-lingual pool says where its pairs came from', () => {
    const bitext = [{ src: 'All are free', tgt: 'Wote ni huru' }, { src: 'Rights', tgt: 'Haki' }];
    const auto = crossLingualPool({ source: 'auto', side: 'document', english: pairs.slice(0, 5), bitext, lexicons: [lex], seed: 1 });
    expect(auto.counts).toEqual({ bitext: 2, lexicon: 5, codeswitch: 0 });
    expect(auto.examples[2].positive).toBe('kila haki is uhuru 0'.replace('kila', 'every'));
    const onlyBitext = crossLingualPool({ source: 'bitext', side: 'document', english: pairs, bitext, lexicons: [lex], seed: 1 });
    expect(onlyBitext.counts).toEqual({ bitext: 2, lexicon: 0, codeswitch: 0 });
  });
});
