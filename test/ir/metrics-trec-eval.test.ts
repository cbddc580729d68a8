// Every measure with a trec_eval counterpart must reproduce trec_eval 10.0 on the fixtures, per
// query and as the mean, in both the default and the -c mode.
import { describe, expect, it } from 'vitest';
import { parseQrels } from '../../src/ir/formats/qrels.js';
import { parseRun } from '../../src/ir/formats/trec-run.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { parseMeasures } from '../../src/ir/measure-names.js';
import { EXPECTED_A, EXPECTED_B, EXPECTED_B_COMPLETE, QRELS_A, QRELS_B, RUN_A, RUN_B, type TrecEvalValues } from './fixtures/trec-eval-fixtures.js';

const NAMES = [
  'AP', 'AP@1', 'AP@3', 'AP@5', 'AP@10', 'nDCG', 'nDCG@1', 'nDCG@3', 'nDCG@5', 'nDCG@10', 'RR',
  'R@1', 'R@3', 'R@5', 'R@10', 'P@1', 'P@3', 'P@5', 'P@10', 'Rprec', 'Success@1', 'Success@3', 'Success@5', 'Success@10',
];

async function check(qrelsText: string, runText: string, expected: TrecEvalValues, complete: boolean) {
  const qrels = await parseQrels(qrelsText);
  const { run } = await parseRun(runText);
  const measures = parseMeasures(NAMES);
  const ev = evaluateRun(qrels, run, measures, { complete });
  const expectedQids = Object.keys(expected).filter((q) => q !== 'all');
  expect(ev.qids).toEqual(expectedQids);
  let compared = 0;
  for (const m of measures) {
    const trecName = m.trecEvalName!;
    for (const qid of expectedQids) {
      // 1e-15 absolute: identical operation order gives identical doubles; allow one ulp of slack
      // for libm's log2 versus V8's.
      expect(Math.abs(ev.perQuery[qid][m.name] - expected[qid][trecName]), `${m.name} ${qid}`).toBeLessThan(1e-15);
      compared++;
    }
    expect(Math.abs(ev.mean[m.name] - expected.all[trecName]), `${m.name} mean`).toBeLessThan(1e-15);
  }
  expect(compared).toBe(NAMES.length * expectedQids.length);
}

describe('metrics equal trec_eval 10.0', () => {
  it('fixture A (ir_measures pytrec_eval test data, with -1 judgments)', async () => {
    await check(QRELS_A, RUN_A, EXPECTED_A, false);
  });
  it('fixture A matches the values quoted in ir_measures tests', async () => {
    const ev = evaluateRun(await parseQrels(QRELS_A), (await parseRun(RUN_A)).run, parseMeasures(['AP', 'Success@2']));
    expect(ev.perQuery['0'].AP).toBeCloseTo(0.8333, 4);
    expect(ev.perQuery['1'].AP).toBe(0.125);
    expect(ev.mean.AP).toBeCloseTo(0.47916666666666663, 15);
  });
  it('fixture A with rel=2 matches the AP(rel=2) values quoted in ir_measures tests', async () => {
    const ev = evaluateRun(await parseQrels(QRELS_A), (await parseRun(RUN_A)).run, parseMeasures(['AP(rel=2)', 'P(rel=2)@5']));
    expect(ev.perQuery['0']['AP(rel=2)']).toBeCloseTo(0.33333, 4);
    expect(ev.perQuery['1']['AP(rel=2)']).toBeCloseTo(0.25, 4);
    expect(ev.mean['AP(rel=2)']).toBeCloseTo(0.2917, 4);
    expect(ev.perQuery['0']['P(rel=2)@5']).toBe(0.2);
  });
  it('fixture B, default mode (queries in both run and qrels)', async () => {
    await check(QRELS_B, RUN_B, EXPECTED_B, false);
  });
  it('fixture B, complete mode (trec_eval -c)', async () => {
    await check(QRELS_B, RUN_B, EXPECTED_B_COMPLETE, true);
  });
  it('ir_measures Success fixture: Success@2 = 1, 0 (mean 0.5)', async () => {
    const qrels = await parseQrels('0 0 D0 0\n0 0 D1 1\n0 0 D2 2\n0 0 D3 2\n0 0 D4 0\n1 0 D0 1\n1 0 D3 2\n1 0 D5 0\n');
    const { run } = await parseRun(RUN_A);
    const ev = evaluateRun(qrels, run, parseMeasures(['Success@2']));
    expect(ev.perQuery['0']['Success@2']).toBe(1);
    expect(ev.perQuery['1']['Success@2']).toBe(0);
    expect(ev.mean['Success@2']).toBe(0.5);
  });
});
