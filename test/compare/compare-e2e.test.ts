/**
 * A miniature `optical compare` end to end on real data (UDHR EN→sw, CLDR/FreeDict lexicon, sotu
 * English pairs): a tiny teacher, a handful of steps, two seeds, one evaluated fold, four methods.
 * Checks the report's structure, that its numbers are the ones src/ir computes from the written
 * TREC runs, resume after an interruption, and refusal to mix configs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig, type CompareConfig } from '../../src/compare/config.js';
import { runCompare, type CompareRunResult } from '../../src/compare/run-compare.js';
import { readRunFile } from '../../src/ir/formats/trec-run.js';
import { readQrelsFile } from '../../src/ir/formats/qrels.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { parseMeasures } from '../../src/ir/measure-names.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import { browserMissing, visitPage } from '../helpers/browser.js';
import { opticalVersion } from '../../src/data/provenance.js';

const englishPairs = (count: number, seed: number, exclude: ReadonlySet<string>) => sotuEnglishPairs(Math.min(count, 120), seed, exclude);

function miniConfig(name = 'mini', only?: string[]): CompareConfig {
  const methods = [
    { name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' },
    { name: 'zero-shot', kind: 'zero-shot' },
    { name: 'bl-cs', kind: 'cs-finetune', p: 0.5 },
    { name: 'optical-real', kind: 'optical', bitext: 'real', maxIter: 20, queryEncoder: 'teacher' },
    { name: 'reimers', kind: 'sentence-distill', bitext: 'real' },
  ].filter((m) => !only || only.includes(m.name));
  return validateCompareConfig({
    name,
    languages: ['sw'],
    data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], maxBitext: 60, englishPairs: 60 },
    model: { size: 'tiny', vocabSize: 600 },
    // 9 pairs in batches of 4: an epoch would end with a batch of one example (issue 11.1).
    teacher: { steps: 4, batchSize: 4, pairs: 9 },
    budget: { steps: 2, batchSize: 4, maxLength: 24 },
    methods,
    seeds: [1, 2],
    stats: { bootstrap: 200 },
  });
}

describe('optical compare (miniature, end to end)', () => {
  let root: string;
  let first: CompareRunResult;
  let second: CompareRunResult;
  let firstMtime: number;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'optical-compare-'));
    // Interrupted after 3 units, then resumed.
    first = await runCompare(miniConfig(), { outRoot: root, englishPairs, maxUnits: 3 });
    firstMtime = statSync(join(first.dir, 'results', 'bm25-lex', 'seed-1', 'fold-0', 'result.json')).mtimeMs;
    second = await runCompare(miniConfig(), { outRoot: root, englishPairs });
  }, 300_000);

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('stops after maxUnits and resumes with only the unfinished units', () => {
    expect(first.interrupted).toBe(true);
    expect(first.computed).toBe(3);
    expect(second.interrupted).toBe(false);
    expect(second.skipped).toBe(3);
    expect(second.computed).toBe(5 * 2 - 3);
    // A finished unit is not rewritten on resume.
    expect(statSync(join(second.dir, 'results', 'bm25-lex', 'seed-1', 'fold-0', 'result.json')).mtimeMs).toBe(firstMtime);
  });

  const noBrowser = browserMissing();
  it.skipIf(noBrowser !== null)(`report.html opens in headless Chromium with every section, no console error and no network request${noBrowser ? ` (skipped: ${noBrowser})` : ''}`, async () => {
    const d = second.dir;
    const metrics = JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8'));
    const significant = metrics.tables.flatMap((t: { rows: { metrics: Record<string, { significant?: boolean }> }[] }) => t.rows.flatMap((r) => Object.values(r.metrics).filter((c) => c.significant))).length;
    const shot = join(d, 'report-screenshot.png');
    const visit = await visitPage(join(d, 'report.html'), async (page) => {
      await page.screenshot({ path: shot, fullPage: true });
      // A string expression: the test is compiled without the DOM library.
      return page.evaluate(`({
        title: document.title,
        sections: [...document.querySelectorAll('main > section[id]')].map((e) => e.id),
        tables: [...document.querySelectorAll('table.results')].map((t) => ({ scenario: t.getAttribute('data-scenario'), rows: t.querySelectorAll('tr[data-method]').length })),
        sigMarks: document.querySelectorAll('table.results .sig').length,
        ciCells: document.querySelectorAll('table.results td.num .ci').length,
        figures: [...document.querySelectorAll('figure[data-plot]')].map((f) => ({ plot: f.getAttribute('data-plot'), width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0 })),
        manifestRows: document.querySelectorAll('#manifest table tr').length,
      })`) as Promise<{ title: string; sections: string[]; tables: { scenario: string; rows: number }[]; sigMarks: number; ciCells: number; figures: { plot: string; width: number }[]; manifestRows: number }>;
    });
    expect(visit.consoleErrors).toEqual([]);
    expect(visit.pageErrors).toEqual([]);
    expect(visit.externalRequests).toEqual([]);
    const r = visit.result;
    expect(r.title).toBe('optical compare: mini');
    expect(r.sections).toEqual(['results', 'language-bias', 'training-curves', 'methods', 'data', 'manifest']);
    expect(r.tables).toEqual(['clir', 'mlir', 'moir'].map((scenario) => ({ scenario, rows: 5 })));
    expect(r.sigMarks).toBe(significant);
    expect(r.ciCells).toBe(3 * 5 * 4);
    const plots = r.figures.map((f) => f.plot);
    for (const p of ['plots/clir-nDCG_10.svg', 'plots/mlir-language-bias.svg', 'plots/training-curves.svg', 'plots/teacher-curve.svg']) expect(plots).toContain(p);
    for (const f of r.figures) expect(f.width, f.plot).toBeGreaterThan(100);
    expect(r.manifestRows).toBeGreaterThan(8);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  }, 120_000);

  it('writes runs, qrels, metrics, plots, report and manifest', () => {
    const d = second.dir;
    for (const m of ['bm25-lex', 'zero-shot', 'bl-cs', 'optical-real']) {
      for (const s of [1, 2]) for (const sc of ['clir', 'mlir', 'moir']) expect(existsSync(join(d, 'trec', `${m}.seed${s}.${sc}.run`))).toBe(true);
    }
    for (const f of ['qrels/clir.txt', 'qrels/mlir.txt', 'qrels/moir.txt', 'metrics.json', 'metrics.tsv', 'report.md', 'report.html', 'manifest.json', 'plots/clir-nDCG_10.svg', 'plots/clir-nDCG_10.vl.json', 'plots/training-curves.svg', 'plots/teacher-curve.svg', 'plots/mlir-language-bias.svg']) {
      expect(existsSync(join(d, f)), f).toBe(true);
    }
    const report = readFileSync(join(d, 'report.md'), 'utf8');
    expect(report).toMatch(/## CLIR \(EN queries → sw documents\)/);
    expect(report).toMatch(/## MLIR language bias/);
    const bias = JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8')).languageBias;
    expect(bias).toHaveLength(5);
    // Rank distance between two parallel versions is at least 1 (they cannot share a rank).
    for (const b of bias) expect(b.rankDistance).toBeGreaterThanOrEqual(1);
    expect(report).toMatch(/\| zero-shot \(baseline\) \|/);
    // Every table says what its number of queries can resolve; the distillation units say what they trained.
    expect(report).toMatch(/Power: with \d+ queries, the smallest nDCG@10 difference from zero-shot this table detects with power 0\.8 .* is \d\.\d{3}/);
    expect(report).toMatch(/\| reimers \| [+-]\d\.\d{3} \(p [^)]*, MDE \d\.\d{3}\)/);
    expect(report).toMatch(/optical-real.*queryEncoder=teacher.*truncatedTargets=/);
    expect(report).toMatch(/reimers.*no OT.*queryEncoder=student/);
    const manifest = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    expect(manifest.complete).toBe(true);
    expect(manifest.seeds).toEqual([1, 2]);
    expect(manifest.config.name).toBe('mini');
    expect(manifest.versions.node).toBe(process.version);
    expect(manifest.versions.optical).toEqual(opticalVersion());
    expect(manifest.data.sources.some((s: { package: string }) => s.package === 'udhr')).toBe(true);
    expect(manifest.timings.units).toHaveLength(10);
    expect(Object.keys(manifest.files)).toContain('trec/optical-real.seed2.clir.run');
    const svg = readFileSync(join(d, 'plots', 'clir-nDCG_10.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).not.toMatch(/NaN/);
  });

  it('reports numbers that src/ir recomputes from the written TREC runs', async () => {
    const d = second.dir;
    const metrics = JSON.parse(readFileSync(join(d, 'metrics.json'), 'utf8'));
    const qrels = await readQrelsFile(join(d, 'qrels', 'clir.txt'));
    const measures = parseMeasures(['nDCG@10', 'AP']);
    for (const method of ['optical-real', 'bm25-lex']) {
      const perSeed = [];
      for (const seed of [1, 2]) {
        const { run } = await readRunFile(join(d, 'trec', `${method}.seed${seed}.clir.run`));
        perSeed.push(evaluateRun(qrels, run, measures, { complete: true }).mean);
      }
      const row = metrics.tables.find((t: { scenario: string }) => t.scenario === 'clir').rows.find((r: { method: string }) => r.method === method);
      for (const m of ['nDCG@10', 'AP']) {
        expect(row.metrics[m].mean).toBeCloseTo((perSeed[0][m] + perSeed[1][m]) / 2, 12);
        expect(row.metrics[m].ciLower).toBeLessThanOrEqual(row.metrics[m].mean + 1e-12);
        expect(row.metrics[m].ciUpper).toBeGreaterThanOrEqual(row.metrics[m].mean - 1e-12);
      }
    }
    // Queries of the evaluated fold only, and every method is scored on all of them.
    const clir = metrics.tables.find((t: { scenario: string }) => t.scenario === 'clir');
    expect(new Set(clir.rows.map((r: { queries: number }) => r.queries)).size).toBe(1);
    expect(clir.rows[0].queries).toBe(qrels.size);
    // Significance is tested against the baseline with an adjusted p-value for every other method.
    for (const r of clir.rows) {
      if (r.method === 'zero-shot') expect(r.metrics.AP.pValue).toBeUndefined();
      else expect(r.metrics.AP.pAdjusted).toBeGreaterThanOrEqual(r.metrics.AP.pValue);
    }
  });

  it('trains: the fine-tuned and distilled models differ from the teacher and log curves', async () => {
    const units = second.report.units;
    const opt = units.find((u) => u.method === 'optical-real' && u.seed === 1)!;
    expect(opt.curve.length).toBeGreaterThan(0);
    expect(opt.curve.every((p) => Number.isFinite(p.loss))).toBe(true);
    expect(Number(opt.info.realPairs)).toBeGreaterThan(0);
    const cs = units.find((u) => u.method === 'bl-cs' && u.seed === 1)!;
    expect(Number(cs.info.csFrequency)).toBeGreaterThan(0);
    const zs = await readRunFile(join(second.dir, 'trec', 'zero-shot.seed1.clir.run'));
    const od = await readRunFile(join(second.dir, 'trec', 'optical-real.seed1.clir.run'));
    const q = [...zs.run.keys()][0];
    const d0 = [...zs.run.get(q)!.keys()][0];
    expect(od.run.get(q)!.get(d0)).not.toBe(zs.run.get(q)!.get(d0));
  });

  it('keeps test text out of training: no training pair shares text with a held-out unit', () => {
    const fold = second.data.folds[0];
    const held = new Set([...fold.sets.values()].flatMap((s) => [...s.topics.map((t) => t.text), ...s.collection.map((c) => c.text)]));
    for (const p of fold.bitext) {
      expect(held.has(p.src)).toBe(false);
      expect(held.has(p.tgt)).toBe(false);
    }
    expect(second.data.vocabularyTexts.some((t) => held.has(t))).toBe(false);
  });

  it('recomputes a deleted unit to the same run (repeatable numbers)', async () => {
    const unitDir = join(second.dir, 'results', 'optical-real', 'seed-1', 'fold-0');
    const before = JSON.parse(readFileSync(join(unitDir, 'result.json'), 'utf8')).runs.clir.sha256;
    rmSync(unitDir, { recursive: true, force: true });
    const third = await runCompare(miniConfig(), { outRoot: root, englishPairs });
    expect(third.computed).toBe(1);
    expect(JSON.parse(readFileSync(join(unitDir, 'result.json'), 'utf8')).runs.clir.sha256).toBe(before);
  }, 120_000);

  it('shares the teacher between compares with the same data and teacher settings', async () => {
    const other = await runCompare(miniConfig('mini-zero-shot', ['zero-shot']), { outRoot: root, englishPairs });
    const a = JSON.parse(readFileSync(join(second.dir, 'manifest.json'), 'utf8')).teacher;
    const b = JSON.parse(readFileSync(join(other.dir, 'manifest.json'), 'utf8')).teacher;
    expect(b.key).toBe(a.key);
    expect(b.modelSha256).toBe(a.modelSha256);
    expect(readdirSync(join(root, '.teachers'))).toEqual([a.key]);
    // Same teacher, same data: the zero-shot runs are identical.
    expect(readFileSync(join(other.dir, 'trec', 'zero-shot.seed1.clir.run'), 'utf8')).toBe(readFileSync(join(second.dir, 'trec', 'zero-shot.seed1.clir.run'), 'utf8'));
  }, 120_000);

  it('uses a local Hugging Face model folder as the teacher (model.path, teacher.steps 0)', async () => {
    const key = JSON.parse(readFileSync(join(second.dir, 'manifest.json'), 'utf8')).teacher.key;
    const hfDir = join(root, '.teachers', key, 'final');
    expect(existsSync(join(hfDir, 'tokenizer.json'))).toBe(true);
    const base = miniConfig('mini-hf', ['zero-shot']);
    const config = validateCompareConfig({ ...base, model: { path: hfDir }, teacher: { ...base.teacher, steps: 0 } });
    const hf = await runCompare(config, { outRoot: root, englishPairs });
    // The same weights and tokenizer loaded from the folder give the same ranking.
    expect(readFileSync(join(hf.dir, 'trec', 'zero-shot.seed1.clir.run'), 'utf8')).toBe(readFileSync(join(second.dir, 'trec', 'zero-shot.seed1.clir.run'), 'utf8'));
  }, 120_000);

  it('refuses to resume a run folder written with a different config', async () => {
    const other = miniConfig();
    other.seeds = [3];
    await expect(runCompare(other, { outRoot: root, englishPairs })).rejects.toThrow(/different config/);
  });
});
