// Hand-computed values for cases trec_eval fixtures do not isolate, one measure at a time.
import { describe, expect, it } from 'vitest';
import { rankJudgments } from '../../src/ir/metrics/ranked-judgments.js';
import { averagePrecision } from '../../src/ir/metrics/average-precision.js';
import { ndcg } from '../../src/ir/metrics/ndcg.js';
import { ndcgCut } from '../../src/ir/metrics/ndcg-cut.js';
import { reciprocalRank } from '../../src/ir/metrics/reciprocal-rank.js';
import { recall } from '../../src/ir/metrics/recall.js';
import { precision } from '../../src/ir/metrics/precision.js';
import { rPrecision } from '../../src/ir/metrics/r-precision.js';
import { success } from '../../src/ir/metrics/success.js';
import { judged } from '../../src/ir/metrics/judged.js';
import { parseMeasure, parseMeasures } from '../../src/ir/measure-names.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { compareCodePoints, rankQuery } from '../../src/ir/ranking.js';

const q = (entries: Record<string, number>) => new Map(Object.entries(entries));

describe('ranking', () => {
  it('sorts by score desc and breaks ties by docno desc (trec_eval), ignoring insertion order', () => {
    const ranked = rankQuery(q({ a: 1, c: 1, b: 1, z: 0.5, y: 2 }));
    expect(ranked.map((d) => d.docno)).toEqual(['y', 'c', 'b', 'a', 'z']);
  });
  it('compares docnos in UTF-8 byte order like strcmp', () => {
    // U+FF21 (fullwidth A) < U+1F600 (emoji) in code point order, the reverse in UTF-16 units.
    expect(compareCodePoints('\uFF21', '\u{1F600}')).toBeLessThan(0);
    expect('\uFF21' < '\u{1F600}').toBe(false);
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('b', 'abc')).toBeGreaterThan(0);
  });
});

describe('measures on hand-made rankings', () => {
  const qrels = q({ d1: 2, d2: 0, d3: 1, d4: 1, d5: -1 });
  // Ranking: d9 (not in qrels), d3 (rel), d2 (nonrel), d5 (unjudged), d1 (rel, grade 2).
  const run = q({ d9: 5, d3: 4, d2: 3, d5: 2, d1: 1 });
  const j = rankJudgments(qrels, run);

  it('builds trec_eval-style relevance lists', () => {
    expect([...j.rels]).toEqual([-1, 1, 0, -2, 2]);
    expect(j.numRel).toBe(3);
    expect(j.idealGains).toEqual([2, 1, 1]);
  });
  it('AP divides by all relevant docs in the qrels (3), not by those retrieved', () => {
    expect(averagePrecision().compute(j)).toBeCloseTo((1 / 2 + 2 / 5) / 3, 15);
    expect(averagePrecision(2).compute(j)).toBeCloseTo(1 / 2 / 3, 15);
  });
  it('nDCG uses linear gains and an ideal over all judged docs; nDCG@k cuts the ideal at k', () => {
    const dcg = 1 / Math.log2(3) + 2 / Math.log2(6);
    const idcg = 2 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcg().compute(j)).toBeCloseTo(dcg / idcg, 15);
    expect(ndcgCut(2).compute(j)).toBeCloseTo(1 / Math.log2(3) / (2 + 1 / Math.log2(3)), 15);
  });
  it('RR and RR@k', () => {
    expect(reciprocalRank().compute(j)).toBe(0.5);
    expect(reciprocalRank(1).compute(j)).toBe(0);
    expect(reciprocalRank(2).compute(j)).toBe(0.5);
    expect(parseMeasure('RR@10').trecEvalName).toBeUndefined();
  });
  it('P@k pads short runs with non-relevant docs; R@k and Rprec use R from the qrels', () => {
    expect(precision(10).compute(j)).toBe(2 / 10);
    expect(recall(2).compute(j)).toBeCloseTo(1 / 3, 15);
    expect(rPrecision().compute(j)).toBeCloseTo(1 / 3, 15);
    expect(success(1).compute(j)).toBe(0);
    expect(success(2).compute(j)).toBe(1);
  });
  it('Judged@k counts docs present in the qrels (any value) over min(k, retrieved)', () => {
    expect(judged(1).compute(j)).toBe(0);
    expect(judged(4).compute(j)).toBe(3 / 4);
    expect(judged(100).compute(j)).toBe(4 / 5);
  });
  it('an empty ranking scores 0 everywhere (no NaN)', () => {
    const empty = rankJudgments(qrels, undefined);
    for (const m of parseMeasures(['AP', 'AP@5', 'nDCG', 'nDCG@5', 'RR', 'RR@5', 'R@5', 'P@5', 'Rprec', 'Success@5', 'Judged@5'])) {
      expect(m.compute(empty), m.name).toBe(0);
    }
  });
  it('a query without relevant documents scores 0 everywhere (no NaN)', () => {
    const none = rankJudgments(q({ a: 0, b: 0 }), q({ a: 2, b: 1 }));
    for (const m of parseMeasures(['AP', 'nDCG', 'nDCG@5', 'RR', 'R@5', 'P@5', 'Rprec', 'Success@5'])) {
      expect(m.compute(none), m.name).toBe(0);
    }
    expect(judged(5).compute(none)).toBe(1);
  });
});

describe('measure names', () => {
  it('maps ir_measures names to trec_eval names and accepts trec_eval spellings', () => {
    expect(parseMeasure('AP').trecEvalName).toBe('map');
    expect(parseMeasure('nDCG@10').trecEvalName).toBe('ndcg_cut_10');
    expect(parseMeasure('R@100').trecEvalName).toBe('recall_100');
    expect(parseMeasure('P@5').trecEvalName).toBe('P_5');
    expect(parseMeasure('AP@100').trecEvalName).toBe('map_cut_100');
    expect(parseMeasure('Success@10').trecEvalName).toBe('success_10');
    expect(parseMeasure('ndcg_cut_10').name).toBe('nDCG@10');
    expect(parseMeasure('map').name).toBe('AP');
    expect(parseMeasure('recip_rank').name).toBe('RR');
  });
  it('rejects unknown names, missing or bad cutoffs and duplicates with clear errors', () => {
    expect(() => parseMeasure('MAP@x')).toThrow(/unknown measure 'MAP@x'/);
    expect(() => parseMeasure('P')).toThrow(/needs a cutoff/);
    expect(() => parseMeasure('nDCG@0')).toThrow(RangeError);
    expect(() => parseMeasure('Rprec@5')).toThrow(/takes no cutoff/);
    expect(() => parseMeasures(['AP', 'map'])).toThrow(/repeats AP/);
    expect(() => parseMeasure('nDCG(rel=2)@10')).toThrow(/takes no rel/);
    expect(() => parseMeasure('P(rel=0)@10')).toThrow(/rel must be a positive integer/);
    expect(() => parseMeasure('constructor')).toThrow(/unknown measure/);
    expect(parseMeasure('P(rel=2)@10').name).toBe('P(rel=2)@10');
    expect(parseMeasure('AP(rel=1)').name).toBe('AP');
  });
});

describe('evaluateRun', () => {
  it('refuses a run that shares no query with the qrels', () => {
    expect(() => evaluateRun(new Map([['1', q({ a: 1 })]]), new Map([['2', q({ a: 1 })]]), parseMeasures(['AP']))).toThrow(/no query is in both/);
  });
  it('rejects malformed inputs with messages naming the query and document', () => {
    const qrels = new Map([['1', q({ a: 1 })]]);
    expect(() => evaluateRun(qrels, new Map([['1', q({ a: NaN })]]), parseMeasures(['AP']))).toThrow('score of (1, a) must be a number, got NaN');
    expect(() => evaluateRun({} as never, new Map(), parseMeasures(['AP']))).toThrow(TypeError);
    expect(() => evaluateRun(qrels, new Map([['1', q({ a: 1 })]]), [])).toThrow(/non-empty/);
  });
  it('complete mode scores a missing query 0 and divides by the qrels query count', () => {
    const qrels = new Map([['1', q({ a: 1 })], ['2', q({ b: 1 })]]);
    const run = new Map([['1', q({ a: 1 })]]);
    expect(evaluateRun(qrels, run, parseMeasures(['AP'])).mean.AP).toBe(1);
    const c = evaluateRun(qrels, run, parseMeasures(['AP']), { complete: true });
    expect(c.mean.AP).toBe(0.5);
    expect(c.perQuery['2'].AP).toBe(0);
  });
});
