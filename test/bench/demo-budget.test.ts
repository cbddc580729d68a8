/**
 * The development-split budget study (bench/compare/demo-budget.ts): the dev split comes from the
 * training side only and is removed from it (bitext, English pairs, vocabulary texts), the test sets
 * are gone from the study's data, the cost projection and the choice follow their stated rules, bad
 * options are usage errors, and a miniature study runs end to end on real data.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/command.js';
import { validateCompareConfig, type CompareConfig, type TrainedMethod } from '../../src/compare/config.js';
import { loadCompareConfig } from '../../src/compare/config-file.js';
import { prepareExperimentData, type ExperimentData } from '../../src/compare/experiment-data.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import { resolveEngine } from '../../src/models/engine/choose.js';
import {
  candidateConfig, chooseCandidate, devEnglishHook, devSplit, parseBudgetArgs, parseCandidate, projectSeconds, runBudgetStudy, type CandidateResult,
} from '../../bench/compare/demo-budget.js';

function miniConfig(): CompareConfig {
  return validateCompareConfig({
    name: 'budget-mini',
    languages: ['sw'],
    data: { folds: 1, bitext: ['cldr'], maxBitext: 200, englishPairs: 40 },
    model: { size: 'tiny', vocabSize: 600 },
    teacher: { steps: 3, batchSize: 4, pairs: 50 },
    budget: { steps: 2, batchSize: 4, maxLength: 24 },
    methods: [
      { name: 'zero-shot', kind: 'zero-shot' },
      { name: 'bl-cs', kind: 'cs-finetune', p: 0.5 },
      { name: 'bl-cs-mix', kind: 'cs-finetune', p: 0.5, monolingualRatio: 0.5 },
      { name: 'optical-real', kind: 'optical', bitext: 'real', maxIter: 20 },
    ],
    seeds: [1, 2],
  });
}

const smallEnglish = (count: number, seed: number, exclude: ReadonlySet<string>) => sotuEnglishPairs(Math.min(count, 200), seed, exclude);

describe('demo budget study (development split)', () => {
  const roots: string[] = [];
  afterAll(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

  it('parses candidates and options, refusing bad ones with the option named', () => {
    const config = loadCompareConfig('demo-sw');
    expect(parseCandidate('small:600:150', config)).toEqual({ size: 'small', teacherSteps: 600, steps: 150, batchSize: config.budget.batchSize, maxLength: config.budget.maxLength });
    expect(parseCandidate('tiny:10:5:8:32', config)).toEqual({ size: 'tiny', teacherSteps: 10, steps: 5, batchSize: 8, maxLength: 32 });
    expect(() => parseCandidate('huge:1:1', config)).toThrow(/--candidates: 'huge:1:1' has an unknown size 'huge'/);
    expect(() => parseCandidate('tiny:1', config)).toThrow(UsageError);
    expect(() => parseCandidate('tiny:1:0', config)).toThrow(/positive integers/);
    expect(() => parseCandidate('tiny:1:1:1', config)).toThrow(/batch ≥ 2/);
    expect(() => parseBudgetArgs(['--seeds', '0'])).toThrow(/--seeds/);
    expect(() => parseBudgetArgs(['--config', 'no-such-config'])).toThrow(/--config: config 'no-such-config' not found/);
    expect(() => parseBudgetArgs(['--target', '-1'])).toThrow(/--target/);
    const args = parseBudgetArgs(['--candidates', 'tiny:5:2', '--methods', 'bl-cs']);
    expect(args).toMatchObject({ candidates: [{ size: 'tiny', teacherSteps: 5, steps: 2 }], methods: ['bl-cs'], seeds: [1], devPairs: 300, target: 540 });
  });

  it('applies a candidate to every trained method (per-method overrides do not bypass it)', () => {
    const base = validateCompareConfig({ ...miniConfig(), methods: [{ name: 'zero-shot', kind: 'zero-shot' }, { name: 'bl-cs', kind: 'cs-finetune', steps: 99, batchSize: 8 }] });
    const cfg = candidateConfig(base, { size: 'small', teacherSteps: 7, steps: 3, batchSize: 6, maxLength: 20 });
    expect(cfg.model.size).toBe('small');
    expect(cfg.teacher.steps).toBe(7);
    expect(cfg.budget).toMatchObject({ steps: 3, batchSize: 6, maxLength: 20 });
    expect((cfg.methods[1] as TrainedMethod).steps).toBeUndefined();
    expect((cfg.methods[1] as TrainedMethod).batchSize).toBeUndefined();
  });

  it('projects the whole config from the studied methods (by name, else by kind) and chooses the best that fits', () => {
    const config = miniConfig();
    const method = (name: string) => config.methods.find((m) => m.name === name) as TrainedMethod;
    // bl-cs-mix is priced like bl-cs (same kind); 2 seeds.
    expect(projectSeconds(config, 10, [{ method: method('bl-cs'), seconds: 3 }, { method: method('optical-real'), seconds: 5 }])).toBe(10 + 2 * (3 + 3 + 5));
    const r = (label: string, projectedSeconds: number, devClir: number) => ({ label, projectedSeconds, devClir }) as CandidateResult;
    expect(chooseCandidate([r('a', 100, 0.2), r('b', 300, 0.4), r('c', 900, 0.9)], 480)).toMatchObject({ chosen: { label: 'b' }, fits: true });
    expect(chooseCandidate([r('a', 100, 0.4), r('b', 300, 0.4)], 480).chosen.label).toBe('a');
    expect(chooseCandidate([r('a', 600, 0.4), r('b', 500, 0.1)], 480)).toMatchObject({ chosen: { label: 'b' }, fits: false });
  });

  it('holds the dev split out of the training side and keeps no test set', async () => {
    const config = miniConfig();
    const full: ExperimentData = await prepareExperimentData(config, { englishPairs: devEnglishHook(30, smallEnglish) });
    const testTexts = new Set([...full.folds[0].sets.values()].flatMap((s) => [...s.topics.map((t) => t.text), ...s.collection.map((d) => d.text)]));
    expect(testTexts.size).toBeGreaterThan(0);
    const split = devSplit(full, config, { devPairs: 40, englishExtra: 30 });
    const train = split.data.folds[0].bitext;
    expect(split.clir.topics).toHaveLength(40);
    expect(split.english.topics.length).toBeGreaterThan(20);
    expect(split.data.folds[0].sets.size).toBe(0);
    // The English pairs trained on are the config's own (the same seeded list, not shifted by the dev slice).
    expect(split.data.englishPairs).toEqual(full.englishPairs.slice(0, 50));
    const devTexts = [...split.clir.topics.map((t) => t.text), ...split.clir.collection.map((d) => d.text), ...split.english.topics.map((t) => t.text), ...split.english.collection.map((d) => d.text)];
    const trainingTexts = new Set([...train.flatMap((p) => [p.src, p.tgt]), ...split.data.englishPairs.flatMap((p) => [p.query, p.doc]), ...split.data.vocabularyTexts]);
    for (const t of devTexts) {
      expect(trainingTexts.has(t)).toBe(false);
      expect(testTexts.has(t)).toBe(false);
    }
    // Every dev CLIR pair was a training pair of the config (the training side, not the test recipe).
    const original = new Set(full.folds[0].bitext.map((p) => `${p.src}\t${p.tgt}`));
    split.clir.topics.forEach((t, i) => expect(original.has(`${t.text}\t${split.clir.collection[i].text}`)).toBe(true));
    expect(train.length).toBeLessThanOrEqual(full.folds[0].bitext.length - 40);
    expect(() => devSplit(full, config, { devPairs: 40, englishExtra: 30 }).data).not.toThrow();
    const noExtra = { ...full, englishPairs: full.englishPairs.slice(0, 50) };
    expect(() => devSplit(noExtra, config, { devPairs: 40, englishExtra: 30 })).toThrow(/none left for dev/);
  }, 120_000);

  it('runs a miniature study end to end: a teacher per candidate, trained methods, dev scores in [0, 1]', async () => {
    const root = mkdtempSync(join(tmpdir(), 'optical-budget-'));
    roots.push(root);
    const config = miniConfig();
    const { results } = await runBudgetStudy(config, {
      candidates: [
        { size: 'tiny', teacherSteps: 2, steps: 2, batchSize: 4, maxLength: 24 },
        { size: 'tiny', teacherSteps: 4, steps: 3, batchSize: 4, maxLength: 24 },
        // Same teacher settings as the first: its teacher is reused, with the CPU time it cost then.
        { size: 'tiny', teacherSteps: 2, steps: 3, batchSize: 4, maxLength: 24 },
      ],
      methods: ['bl-cs', 'optical-real'], seeds: [1], devPairs: 30, devEnglish: 20, outDir: root, engine: resolveEngine(undefined), englishPairs: smallEnglish,
    });
    expect(results.map((r) => r.label)).toEqual(['tiny-t2-m2-b4-L24', 'tiny-t4-m3-b4-L24', 'tiny-t2-m3-b4-L24']);
    expect(results[2].teacherCpuSeconds).toBe(results[0].teacherCpuSeconds);
    expect(results[2].models[0]).toEqual(results[0].models[0]);
    for (const r of results) {
      expect(r.models.map((m) => m.model)).toEqual(['zero-shot', 'bl-cs', 'optical-real']);
      for (const m of r.models) {
        for (const v of [...Object.values(m.clir), ...Object.values(m.english)]) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(Object.keys(m.clir)).toEqual(['nDCG@10', 'RR@10', 'R@100']);
      }
      expect(r.projectedSeconds).toBeGreaterThan(r.teacherCpuSeconds);
      expect(r.projectedWallSeconds).toBeGreaterThan(r.teacherSeconds);
      expect(r.devClir).toBeCloseTo(r.models.reduce((a, m) => a + m.clir['nDCG@10'], 0) / 3, 12);
    }
    await expect(runBudgetStudy(config, { candidates: [], methods: ['zero-shot'], seeds: [1], devPairs: 30, devEnglish: 20, outDir: root, engine: resolveEngine(undefined) }))
      .rejects.toThrow(/--methods: 'zero-shot' is not a trained method/);
  }, 300_000);
});
