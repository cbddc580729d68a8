/**
 * `optical cs-pretrain-sweep` — the seed question "does code-switching during pre-training make a
 * retriever more robust to domain shift?":
 *  1. K encoders pre-trained (optical pretrain) from the same corpus recipe, seed and budget,
 *     differing only in codeSwitch.p, i.e. in the CS frequency of their corpus (measured: switched
 *     English tokens / English tokens);
 *  2. each used as `model.pretrained` of the same compare (the base config: teacher fine-tuned on
 *     English pairs, then its methods, seeds and folds), so every encoder is fine-tuned identically;
 *  3. per encoder × seed, one analysed method's in-domain and shifted effectiveness and their drop,
 *     related to the measured CS frequency by Pearson and Spearman correlation with CIs
 *     (src/ir/stats), a scatter plot and a per-encoder table.
 * The pre-training's heldOut block is set from the base compare's data, so the leak check of
 * model.pretrained passes by construction. Every step resumes: finished encoders and compare units
 * are reused, an interrupted pre-training or unit continues from its checkpoint.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pearson, spearman, type CorrelationResult } from '../ir/stats/correlation.js';
import { scatterSpec } from '../plots/specs.js';
import { writePlot } from '../plots/render.js';
import type { Progress } from '../data/progress.js';
import { silentProgress } from '../data/progress.js';
import type { EngineChoice } from '../models/engine/types.js';
import { pretrain, type PretrainManifest } from '../train/pretrain/pretrain.js';
import { validatePretrainConfig, type PretrainConfig } from '../train/pretrain/config.js';
import { isTrained, validateCompareConfig, type CompareConfig } from './config.js';
import { runCompare, type CompareRunOptions, type CompareRunResult } from './run-compare.js';
import { corrText } from './sweeps.js';

export interface PretrainSweepOptions {
  /** Parent of runs/pretrain/ and the compare run folders (default 'runs'). */
  outRoot?: string;
  engine?: EngineChoice;
  progress?: Progress;
  /** Method whose drop is analysed (default: the base's first trained method, else its first zero-shot). */
  method?: string;
  /** Metric (default nDCG@10). */
  metric?: string;
  /** Replaces the English-pair source of the compares (tests). */
  englishPairs?: CompareRunOptions['englishPairs'];
}

export interface PretrainSweepModel {
  encoder: string;
  p: number;
  /** Measured: switched English tokens / English tokens of the corpus. */
  csFrequency: number;
  /** Switched tokens / all corpus tokens. */
  corpusCsFrequency: number;
  devMlmAccuracy: number | null;
  pretrainSeconds: number;
  compare: string;
  /** Mean over seeds per method: in-domain, shifted and drop of the metric. */
  methods: Record<string, { inDomain: number; shifted: number; drop: number }>;
}

export interface PretrainSweepPoint {
  encoder: string;
  p: number;
  seed: number;
  csFrequency: number;
  inDomain: number;
  shifted: number;
  drop: number;
}

export interface PretrainSweepResult {
  dir: string;
  method: string;
  metric: string;
  models: PretrainSweepModel[];
  points: PretrainSweepPoint[];
  pearson?: CorrelationResult;
  spearman?: CorrelationResult;
  files: string[];
}

function label(x: number): string {
  return String(Number(x.toFixed(4)));
}

/** The encoder configs of a sweep: the base pre-training with each p, held out exactly as the compare. */
export function sweepPretrainConfigs(pretrainBase: PretrainConfig, compare: CompareConfig, values: readonly number[]): PretrainConfig[] {
  if (values.length < 2) throw new RangeError('cs-pretrain-sweep: give at least two CS probabilities (--p), e.g. 0,0.25,0.5,1');
  values.forEach((v, i) => { if (!(v >= 0 && v <= 1)) throw new RangeError(`cs-pretrain-sweep: --p item ${i + 1} must be in [0, 1], got ${v}`); });
  if (new Set(values).size !== values.length) throw new RangeError('cs-pretrain-sweep: a --p value is listed twice');
  if (!compare.data.shiftTest) throw new RangeError("cs-pretrain-sweep measures the drop under domain shift: the compare config needs data.shiftTest (e.g. test 'libreoffice' with shiftTest 'udhr' for om)");
  if (JSON.stringify(pretrainBase.languages) !== JSON.stringify(compare.languages)) {
    throw new RangeError(`cs-pretrain-sweep: the pretrain config's languages (${pretrainBase.languages.join(', ')}) must equal the compare's (${compare.languages.join(', ')})`);
  }
  const d = compare.data;
  return values.map((p) => validatePretrainConfig({
    ...pretrainBase,
    name: `${pretrainBase.name}-cs${label(p)}`,
    heldOut: { test: d.test, folds: d.folds, evalFolds: d.evalFolds, ...(d.shiftTest ? { shiftTest: d.shiftTest } : {}) },
    codeSwitch: { ...pretrainBase.codeSwitch, p },
  }, `cs-pretrain-sweep encoder p=${p}`));
}

/** The compare of one encoder: the base with model.pretrained set (same methods, budget, seeds). */
export function sweepCompareConfig(base: CompareConfig, encoderDir: string, p: number): CompareConfig {
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  raw.name = `${base.name}-pt-cs${label(p)}`;
  raw.model = { pretrained: encoderDir };
  return validateCompareConfig(raw, `cs-pretrain-sweep compare p=${p}`);
}

function analysedMethod(base: CompareConfig, method?: string): string {
  if (method !== undefined) {
    const m = base.methods.find((x) => x.name === method);
    if (!m) throw new RangeError(`cs-pretrain-sweep: --method '${method}' is not a method of the compare config (${base.methods.map((x) => x.name).join(', ')})`);
    if (m.kind === 'bm25') throw new RangeError(`cs-pretrain-sweep: --method '${method}' is BM25, which does not use the encoder`);
    return method;
  }
  const pick = base.methods.find(isTrained) ?? base.methods.find((x) => x.kind === 'zero-shot');
  if (!pick) throw new RangeError('cs-pretrain-sweep: the compare config has no dense method (zero-shot or a trained one) to analyse');
  return pick.name;
}

/** Per seed: the metric of `method` in the CLIR and shift tables of a compare. */
function methodSeeds(result: CompareRunResult, method: string, metric: string): { seed: number; inDomain: number; shifted: number }[] {
  const clir = result.report.tables.find((t) => t.scenario === 'clir');
  const shift = result.report.tables.find((t) => t.scenario === 'shift');
  if (!clir || !shift) throw new RangeError('cs-pretrain-sweep: a compare produced no CLIR or shift table');
  if (!clir.metrics.includes(metric)) throw new RangeError(`cs-pretrain-sweep: metric '${metric}' is not in stats.metrics (${clir.metrics.join(', ')})`);
  const row = clir.rows.find((r) => r.method === method);
  const srow = shift.rows.find((r) => r.method === method);
  if (!row || !srow) return [];
  return row.seeds.map((seed, i) => ({ seed, inDomain: row.metrics[metric].seedMeans[i], shifted: srow.metrics[metric].seedMeans[srow.seeds.indexOf(seed)] }));
}

export async function runPretrainSweep(pretrainBase: PretrainConfig, compareBase: CompareConfig, values: readonly number[], options: PretrainSweepOptions = {}): Promise<PretrainSweepResult> {
  const progress = options.progress ?? silentProgress;
  const outRoot = options.outRoot ?? 'runs';
  const metric = options.metric ?? 'nDCG@10';
  const method = analysedMethod(compareBase, options.method);
  const encoders = sweepPretrainConfigs(pretrainBase, compareBase, values);
  const models: PretrainSweepModel[] = [];
  const points: PretrainSweepPoint[] = [];
  for (const [i, pc] of encoders.entries()) {
    progress.log(`[${i + 1}/${encoders.length}] encoder ${pc.name} (codeSwitch.p = ${pc.codeSwitch.p})`);
    const pt = await pretrain(pc, { outRoot, engine: options.engine, progress });
    const manifest = pt.manifest as PretrainManifest;
    const cc = sweepCompareConfig(compareBase, pt.dir, pc.codeSwitch.p);
    progress.log(`[${i + 1}/${encoders.length}] compare ${cc.name}`);
    const result = await runCompare(cc, { outRoot, engine: options.engine, progress, ...(options.englishPairs ? { englishPairs: options.englishPairs } : {}) });
    const perMethod: PretrainSweepModel['methods'] = {};
    for (const m of cc.methods) {
      const seeds = methodSeeds(result, m.name, metric);
      if (seeds.length === 0) continue;
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const inDomain = mean(seeds.map((s) => s.inDomain));
      const shifted = mean(seeds.map((s) => s.shifted));
      perMethod[m.name] = { inDomain, shifted, drop: inDomain - shifted };
    }
    const cs = manifest.corpus.codeSwitch;
    for (const s of methodSeeds(result, method, metric)) {
      points.push({ encoder: pc.name, p: pc.codeSwitch.p, seed: s.seed, csFrequency: cs.csFrequency, inDomain: s.inDomain, shifted: s.shifted, drop: s.inDomain - s.shifted });
    }
    models.push({
      encoder: pc.name, p: pc.codeSwitch.p, csFrequency: cs.csFrequency, corpusCsFrequency: cs.corpusCsFrequency,
      devMlmAccuracy: manifest.training.dev?.accuracy ?? null, pretrainSeconds: manifest.training.seconds, compare: result.dir, methods: perMethod,
    });
  }
  return writePretrainSweepReport(join(outRoot, `${compareBase.name}-cs-pretrain-sweep`), compareBase, { method, metric, models, points, confidence: compareBase.stats.confidence });
}

/** Writes cs-pretrain-sweep.{md,json} and the scatter plot into `dir`. */
export async function writePretrainSweepReport(dir: string, base: CompareConfig, r: { method: string; metric: string; models: PretrainSweepModel[]; points: PretrainSweepPoint[]; confidence: number }): Promise<PretrainSweepResult> {
  mkdirSync(join(dir, 'plots'), { recursive: true });
  const files: string[] = [];
  const safe = (f: () => CorrelationResult) => { try { return f(); } catch { return undefined; } };
  const x = r.points.map((p) => p.csFrequency);
  const y = r.points.map((p) => p.drop);
  const pr = x.length >= 3 ? safe(() => pearson(x, y, r.confidence)) : undefined;
  const sr = x.length >= 3 ? safe(() => spearman(x, y, r.confidence)) : undefined;
  const methods = [...new Set(r.models.flatMap((m) => Object.keys(m.methods)))];
  const f3 = (v: number | undefined | null) => (v === undefined || v === null ? '–' : v.toFixed(3));
  const lines = [`# CS frequency in pre-training vs robustness to domain shift — ${base.name}`, ''];
  lines.push(`${r.models.length} encoders pre-trained identically except for the code-switching probability p of their corpus; each fine-tuned by the same compare `
    + `(teacher on English pairs, then ${methods.join(', ')}; seeds ${base.seeds.join(', ')}). Metric ${r.metric} on CLIR ${base.data.test} (in-domain) and ${base.data.shiftTest} (shifted); drop = in-domain − shifted.`, '');
  lines.push('## Per encoder (means over seeds)', '');
  lines.push(`| encoder | p | CS frequency (English tokens) | CS frequency (all tokens) | dev MLM accuracy | pre-training s | ${methods.map((m) => `${m} in / shift / drop`).join(' | ')} |`);
  lines.push(`|---|---|---|---|---|---|${methods.map(() => '---').join('|')}|`);
  for (const m of r.models) {
    lines.push(`| ${m.encoder} | ${m.p} | ${(m.csFrequency * 100).toFixed(2)} % | ${(m.corpusCsFrequency * 100).toFixed(2)} % | ${f3(m.devMlmAccuracy)} | ${m.pretrainSeconds.toFixed(0)} | `
      + `${methods.map((k) => (m.methods[k] ? `${f3(m.methods[k].inDomain)} / ${f3(m.methods[k].shifted)} / ${f3(m.methods[k].drop)}` : '–')).join(' | ')} |`);
  }
  lines.push('', `## Correlation of CS frequency with the ${r.method} drop (one point per encoder × seed)`, '');
  lines.push(`${corrText('Pearson', pr)}; ${corrText('Spearman', sr)}.`, '');
  if (r.points.length > 0) {
    const plot = await writePlot(join(dir, 'plots'), 'cs-pretrain-frequency-vs-drop', scatterSpec({
      title: `CS frequency of the pre-training corpus vs ${r.metric} drop of ${r.method}`,
      points: r.points.map((p) => ({ x: p.csFrequency, y: p.drop, label: `p=${p.p} s${p.seed}` })),
      xLabel: 'CS frequency of the corpus (switched English tokens / English tokens)', yLabel: `${r.metric} drop (in-domain − shifted)`,
    }), 'plots');
    files.push(plot.svg, plot.spec);
    lines.push('![CS frequency vs drop](plots/cs-pretrain-frequency-vs-drop.svg)', '');
  }
  lines.push('| encoder | seed | CS frequency | in-domain | shifted | drop |', '|---|---|---|---|---|---|');
  for (const p of r.points) lines.push(`| ${p.encoder} | ${p.seed} | ${p.csFrequency.toFixed(4)} | ${p.inDomain.toFixed(3)} | ${p.shifted.toFixed(3)} | ${p.drop.toFixed(3)} |`);
  lines.push('');
  writeFileSync(join(dir, 'cs-pretrain-sweep.md'), lines.join('\n'));
  writeFileSync(join(dir, 'cs-pretrain-sweep.json'), JSON.stringify({ method: r.method, metric: r.metric, models: r.models, points: r.points, pearson: pr, spearman: sr }, null, 2) + '\n');
  files.push('cs-pretrain-sweep.md', 'cs-pretrain-sweep.json');
  return { dir, method: r.method, metric: r.metric, models: r.models, points: r.points, pearson: pr, spearman: sr, files };
}
