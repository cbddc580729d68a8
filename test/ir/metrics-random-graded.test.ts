// A larger randomized fixture (seeded, generated once): 18 topics, graded levels 0–3 and -1,
// scores rounded to one decimal (many ties), docnos mixing cases, digits, '-' and '_' (strcmp
// order), a qrels topic absent from the run, run topics absent from the qrels, empty rankings.
// Expected values: trec_eval 10.0 -c -q, printed with %.17g (only the numbers are stored).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readQrelsFile } from '../../src/ir/formats/qrels.js';
import { readRunFile } from '../../src/ir/formats/trec-run.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { parseMeasure } from '../../src/ir/measure-names.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
type Expected = { values: Record<string, Record<string, number>> };
const expected = JSON.parse(readFileSync(fixture('random-graded.expected.json'), 'utf8')) as Expected;
const expectedRel2 = JSON.parse(readFileSync(fixture('random-graded.rel2.expected.json'), 'utf8')) as Expected;

describe('randomized graded fixture equals trec_eval 10.0 -c', () => {
  it('matches every measure on every query and the means', async () => {
    const qrels = await readQrelsFile(fixture('random-graded.qrels'));
    const { run } = await readRunFile(fixture('random-graded.trec'));
    const trecNames = Object.keys(expected.values.all);
    const measures = trecNames.map((n) => parseMeasure(n));
    const ev = evaluateRun(qrels, run, measures, { complete: true });
    const qids = Object.keys(expected.values).filter((q) => q !== 'all');
    expect(ev.qids).toEqual(qids);
    let compared = 0;
    measures.forEach((m, j) => {
      expect(m.trecEvalName).toBe(trecNames[j]);
      for (const q of [...qids, 'all']) {
        const mine = q === 'all' ? ev.mean[m.name] : ev.perQuery[q][m.name];
        expect(Math.abs(mine - expected.values[q][trecNames[j]]), `${m.name} ${q}`).toBeLessThan(1e-15);
        compared++;
      }
    });
    expect(compared).toBe(trecNames.length * (qids.length + 1));
    expect(compared).toBeGreaterThan(400);
  });
});

describe('relevance level 2 (ir_measures rel=2) equals trec_eval 10.0 -c -l 2', () => {
  it('matches AP, AP@k, RR, R@k, P@k, Rprec and Success@k with rel=2', async () => {
    const qrels = await readQrelsFile(fixture('random-graded.qrels'));
    const { run } = await readRunFile(fixture('random-graded.trec'));
    const trecNames = Object.keys(expectedRel2.values.all);
    // trec_eval name → ir_measures name with (rel=2), e.g. P_5 → P(rel=2)@5, map → AP(rel=2).
    const toIrMeasures = (n: string) => {
      const m = /^(map_cut|map|recip_rank|recall|P|Rprec|success)(?:_(\d+))?$/.exec(n);
      if (!m) throw new Error(`unexpected trec_eval measure ${n}`);
      const base = { map_cut: 'AP', map: 'AP', recip_rank: 'RR', recall: 'R', P: 'P', Rprec: 'Rprec', success: 'Success' }[m[1]]!;
      return `${base}(rel=2)${m[2] ? `@${m[2]}` : ''}`;
    };
    const measures = trecNames.map((n) => parseMeasure(toIrMeasures(n)));
    expect(measures.every((m) => m.trecEvalName === undefined)).toBe(true);
    const ev = evaluateRun(qrels, run, measures, { complete: true });
    const qids = Object.keys(expectedRel2.values).filter((q) => q !== 'all');
    expect(ev.qids).toEqual(qids);
    measures.forEach((m, j) => {
      for (const q of [...qids, 'all']) {
        const mine = q === 'all' ? ev.mean[m.name] : ev.perQuery[q][m.name];
        expect(Math.abs(mine - expectedRel2.values[q][trecNames[j]]), `${m.name} ${q}`).toBeLessThan(1e-15);
      }
    });
  });
});
