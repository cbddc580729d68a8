// compare-runs tables and the SVG bar chart writer.
import { describe, expect, it } from 'vitest';
import { compareRuns, comparisonSpec, comparisonToCsv, comparisonToJson, comparisonToMarkdown, comparisonToSvg } from '../../src/ir/report/compare-runs.js';
import { parseMeasures } from '../../src/ir/measure-names.js';
import type { Qrels, Run } from '../../src/ir/types.js';

// 12 queries, each with one relevant doc 'rel'. The good run puts it first everywhere; the baseline
// at rank 3; the noisy run at rank 3 too except for one query.
const qids = Array.from({ length: 12 }, (_, i) => `q${i + 1}`);
const qrels: Qrels = new Map(qids.map((q) => [q, new Map([['rel', 1]])]));
const ranking = (pos: number) => new Map([['rel', 10 - pos], ['a', 9], ['b', 8.5], ['c', 7.5]]);
const baseline: Run = new Map(qids.map((q) => [q, ranking(2.5)])); // rel between b and c → rank 3
const good: Run = new Map(qids.map((q) => [q, ranking(0)])); // rank 1
const noisy: Run = new Map(qids.map((q, i) => [q, ranking(i === 0 ? 0 : 2.5)]));

describe('compareRuns', () => {
  const measures = parseMeasures(['RR', 'P@1']);
  const c = compareRuns(qrels, { name: 'base', run: baseline }, [{ name: 'good', run: good }, { name: 'noisy', run: noisy }], { measures, bootstrapResamples: 2000 });

  it('computes means, deltas, corrected p-values and CIs', () => {
    expect(c.qids).toHaveLength(12);
    expect(c.rows[0].cells.RR.mean).toBeCloseTo(1 / 3, 15);
    expect(c.rows[1].cells.RR.delta).toBeCloseTo(2 / 3, 15);
    // Every query improves by the same amount: the exact randomization p is 2/4096 ... but with
    // 10,000 permutations ≥ 2^12 = 4096 it is enumerated exactly: only the two all-same-sign flips.
    expect(c.rows[1].cells.RR.pValue).toBeCloseTo(2 / 4096, 15);
    expect(c.rows[1].cells.RR.significant).toBe(true);
    // One query of 12 improved: p = 1 under sign flips (half the flips give the same |sum|).
    expect(c.rows[2].cells.RR.pValue).toBe(1);
    expect(c.rows[2].cells.RR.significant).toBe(false);
    // Holm over 2 runs: smallest p doubled.
    expect(c.rows[1].cells.RR.adjustedP).toBeCloseTo(4 / 4096, 15);
    expect(c.rows[1].cells.RR.lower).toBe(1);
    expect(c.rows[0].cells.RR.lower).toBeCloseTo(1 / 3, 15);
  });
  it('renders markdown with significance markers, CSV and JSON', () => {
    const md = comparisonToMarkdown(c);
    expect(md).toContain('| run | RR | P@1 |');
    expect(md).toContain('| base (baseline) | 0.3333 | 0.0000 |');
    expect(md).toContain('| good | 1.0000 (+0.6667)† | 1.0000 (+1.0000)† |');
    expect(md).toMatch(/\| noisy \| 0\.3889 \(\+0\.0556\) \|/);
    const csv = comparisonToCsv(c).trim().split('\n');
    expect(csv[0]).toBe('run,baseline,measure,mean,ci_lower,ci_upper,delta,p_value,p_adjusted,significant');
    expect(csv).toHaveLength(1 + 3 * 2);
    expect(csv[1]).toMatch(/^base,true,RR,0\.333/);
    expect(JSON.parse(comparisonToJson(c)).rows[1].cells['P@1'].significant).toBe(true);
  });
  it('uses the paired t-test when asked and rejects duplicate names', () => {
    const t = compareRuns(qrels, { name: 'base', run: baseline }, [{ name: 'noisy', run: noisy }], { measures, test: 't', correction: 'none' });
    // d = (2/3, 0 × 11) gives t = 1 exactly, df = 11: scipy 2·t.sf(1, 11) = 0.3388006961962016.
    expect(t.rows[1].cells.RR.pValue).toBeCloseTo(0.3388006961962016, 12);
    expect(t.rows[1].cells.RR.adjustedP).toBe(t.rows[1].cells.RR.pValue);
    expect(() => compareRuns(qrels, { name: 'x', run: baseline }, [{ name: 'x', run: good }], { measures })).toThrow(/unique/);
  });
});

describe('comparison chart', () => {
  it('charts a comparison (SVG from its Vega-Lite spec)', async () => {
    const c = compareRuns(qrels, { name: 'base', run: baseline }, [{ name: 'good', run: good }], { measures: parseMeasures(['RR']), bootstrapResamples: 500 });
    const spec = comparisonSpec(c, 'UDHR');
    expect((spec.data as { values: unknown[] }).values).toHaveLength(2);
    const svg = await comparisonToSvg(c, 'UDHR');
    expect(svg).toContain('base (baseline)');
    expect(svg).toContain('good †');
  });
});
