/**
 * `optical cs-pretrain-sweep` on a tiny config (EN→om: LibreOffice help fold 0 in domain, UDHR om
 * as the shift test): two encoders × two seeds differing only in codeSwitch.p, each fine-tuned by the same compare;
 * the report's numbers are the compares' own, the CS frequencies are the measured ones and grow with
 * p, and a second call reuses everything (resume by units). Needs the Debian help packages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig } from '../../src/compare/config.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import { runPretrainSweep, sweepPretrainConfigs, type PretrainSweepResult } from '../../src/compare/pretrain-sweep.js';
import { validatePretrainConfig } from '../../src/train/pretrain/config.js';
import { libreOfficeHelpAvailable } from '../../src/data/libreoffice-help.js';

const englishPairs = (count: number, seed: number, exclude: ReadonlySet<string>) => sotuEnglishPairs(Math.min(count, 60), seed, exclude);
const available = libreOfficeHelpAvailable('om');

const compare = validateCompareConfig({
  name: 'pts', languages: ['om'],
  data: { test: 'libreoffice', shiftTest: 'udhr', folds: 5, evalFolds: [0], bitext: ['test-train', 'cldr'], lexicon: ['cldr'], maxBitext: 40, englishPairs: 40 },
  teacher: { steps: 4, batchSize: 4, pairs: 12 },
  budget: { steps: 2, batchSize: 4, maxLength: 24 },
  // One dense method: every unit encodes fold 0's help pages (the cost of this test).
  methods: [{ name: 'bl-cs', kind: 'cs-finetune', p: 0.5 }],
  seeds: [1, 2], scenarios: ['clir'], stats: { bootstrap: 200 },
});
const pre = validatePretrainConfig({
  name: 'pts-enc', languages: ['om'],
  corpus: { sources: ['sotu', 'cldr', 'lexicon'], sotuPassages: 60, lexicon: ['cldr'] }, vocab: { size: 800 }, model: { size: 'tiny' },
  train: { steps: 4, batchSize: 4, maxLength: 24, checkpointEvery: 4 },
});

describe('cs-pretrain-sweep: configs', () => {
  it('sets heldOut from the compare and varies only codeSwitch.p', () => {
    const cs = sweepPretrainConfigs(pre, compare, [0, 0.5, 1]);
    expect(cs.map((c) => c.name)).toEqual(['pts-enc-cs0', 'pts-enc-cs0.5', 'pts-enc-cs1']);
    for (const c of cs) {
      expect(c.heldOut).toEqual({ test: 'libreoffice', folds: 5, evalFolds: [0], shiftTest: 'udhr' });
      expect({ ...c, name: '', codeSwitch: { ...c.codeSwitch, p: 0 } }).toEqual({ ...cs[0], name: '', codeSwitch: { ...cs[0].codeSwitch, p: 0 } });
    }
    expect(() => sweepPretrainConfigs(pre, compare, [0.5])).toThrow(/at least two/);
    expect(() => sweepPretrainConfigs(pre, { ...compare, data: { ...compare.data, shiftTest: undefined } }, [0, 1])).toThrow(/needs data\.shiftTest/);
    expect(() => sweepPretrainConfigs({ ...pre, languages: ['sw'] }, compare, [0, 1])).toThrow(/languages \(sw\) must equal the compare's \(om\)/);
  });
});

describe.skipIf(!available && !process.env.CI)('cs-pretrain-sweep end to end (needs libreoffice-help-en-us + libreoffice-help-om; `optical data libreoffice-help --lang om` fetches them)', () => {
  let root: string;
  let result: PretrainSweepResult;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'optical-pts-'));
    result = await runPretrainSweep(pre, compare, [0, 1], { outRoot: root, engine: 'native', englishPairs, metric: 'AP' });
  }, 600_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('reports one point per encoder × seed with measured CS frequencies that grow with p', () => {
    expect(result.method).toBe('bl-cs');
    expect(result.models.map((m) => m.p)).toEqual([0, 1]);
    expect(result.points.length).toBe(4);
    const f = result.models.map((m) => m.csFrequency);
    expect(f[0]).toBe(0);
    expect(f[1]).toBeGreaterThan(0);
    for (const m of result.models) {
      const manifest = JSON.parse(readFileSync(join(root, 'pretrain', m.encoder, 'manifest.json'), 'utf8'));
      expect(m.csFrequency).toBe(manifest.corpus.codeSwitch.csFrequency);
      // The per-model numbers are the compare's own table (mean over seeds of the CLIR row).
      const table = JSON.parse(readFileSync(join(m.compare, 'metrics.json'), 'utf8')).tables.find((t: { scenario: string }) => t.scenario === 'clir');
      const row = table.rows.find((r: { method: string }) => r.method === 'bl-cs');
      expect(m.methods['bl-cs'].inDomain).toBeCloseTo(row.metrics.AP.mean, 12);
    }
    const md = readFileSync(join(result.dir, 'cs-pretrain-sweep.md'), 'utf8');
    expect(md).toMatch(/Pearson r = -?\d\.\d{3} \[/);
    expect(md).toMatch(/Spearman r = /);
    expect(result.pearson?.n).toBe(4);
    expect(existsSync(join(result.dir, 'plots', 'cs-pretrain-frequency-vs-drop.svg'))).toBe(true);
  });

  it('resumes: a second call reuses every encoder and unit', async () => {
    const again = await runPretrainSweep(pre, compare, [0, 1], { outRoot: root, engine: 'native', englishPairs, metric: 'AP' });
    expect(again.points).toEqual(result.points);
  }, 300_000);
});
