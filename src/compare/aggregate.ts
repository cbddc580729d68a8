/**
 * From per-seed TREC runs to the numbers of the report, with src/ir doing every measurement:
 *  - each (method, seed) run is scored per query with trec_eval semantics (`-c`: a query the run
 *    misses scores 0, so a method cannot look better by skipping hard queries);
 *  - mean ± sd over seeds (seed-to-seed variation of the training);
 *  - a bootstrap CI over queries of the seed-averaged per-query scores (query sampling variation,
 *    which dominates with ~30 queries);
 *  - a paired t-test over queries (seed-averaged) against the baseline method, with Bonferroni
 *    (or Holm) adjustment over all methods compared in that table, and its minimum detectable
 *    difference (power 0.8 at the corrected level; src/ir/stats/power.ts), so a report says which
 *    differences its number of queries can resolve at all.
 */
import { evaluateRun } from '../ir/evaluate.js';
import { parseMeasures } from '../ir/measure-names.js';
import type { Qrels, Run } from '../ir/types.js';
import { bootstrapMeanCI } from '../ir/stats/bootstrap.js';
import { pairedTTest } from '../ir/stats/paired-t-test.js';
import { bonferroni, holm } from '../ir/stats/multiple-comparisons.js';
import { pairedMinimumDetectableDifference } from '../ir/stats/power.js';
import type { StatsConfig } from './config.js';

export interface MethodScores {
  method: string;
  /** seed → metric → qid → value. */
  perSeed: Map<number, Record<string, Record<string, number>>>;
}

export interface MetricSummary {
  mean: number;
  /** Mean over queries for each seed, in the order of MethodRow.seeds. */
  seedMeans: number[];
  /** Standard deviation of the per-seed means (0 with one seed or a deterministic method). */
  sdSeeds: number;
  ciLower: number;
  ciUpper: number;
  /** Versus the baseline (undefined for the baseline itself). */
  delta?: number;
  pValue?: number;
  pAdjusted?: number;
  significant?: boolean;
  /**
   * Minimum detectable difference vs the baseline: the smallest mean difference the paired t-test
   * over these queries detects with power 0.8 at α / m (m = methods tested in the table; the
   * Bonferroni level, also the strictest Holm step), given the observed sd of per-query differences.
   */
  mde?: number;
}

export interface MethodRow {
  method: string;
  seeds: number[];
  queries: number;
  metrics: Record<string, MetricSummary>;
}

export interface ScenarioTable {
  scenario: string;
  metrics: string[];
  baseline: string;
  correction: StatsConfig['correction'];
  rows: MethodRow[];
}

/** Scores one run per query (trec_eval -c). Returns metric name → qid → value. */
export function scoreRun(qrels: Qrels, run: Run, metrics: string[]): Record<string, Record<string, number>> {
  const ev = evaluateRun(qrels, run, parseMeasures(metrics), { complete: true });
  const out: Record<string, Record<string, number>> = {};
  for (const m of ev.measures) {
    out[m.name] = {};
    for (const qid of ev.qids) out[m.name][qid] = ev.perQuery[qid][m.name];
  }
  return out;
}

function meanOf(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = meanOf(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** Seed-averaged per-query scores of one metric, in the order of `qids`. */
function seedAveraged(s: MethodScores, metric: string, qids: string[]): number[] {
  const seeds = [...s.perSeed.values()];
  return qids.map((q) => meanOf(seeds.map((r) => r[metric]?.[q] ?? 0)));
}

/** Builds one table (one scenario). `qids` = the qrels queries (all methods are scored on all of them). */
export function summarize(scenario: string, scores: MethodScores[], qids: string[], stats: StatsConfig): ScenarioTable {
  const metrics = parseMeasures(stats.metrics).map((m) => m.name);
  const base = scores.find((s) => s.method === stats.baseline);
  const differenceSd = new Map<string, number>();
  const rows: MethodRow[] = scores.map((s) => {
    const row: MethodRow = { method: s.method, seeds: [...s.perSeed.keys()], queries: qids.length, metrics: {} };
    for (const metric of metrics) {
      const seedMeans = [...s.perSeed.values()].map((r) => meanOf(qids.map((q) => r[metric]?.[q] ?? 0)));
      const avg = seedAveraged(s, metric, qids);
      const ci = bootstrapMeanCI(avg, { level: stats.confidence, resamples: stats.bootstrap, seed: 1 });
      const summary: MetricSummary = { mean: meanOf(seedMeans), seedMeans, sdSeeds: sd(seedMeans), ciLower: ci.lower, ciUpper: ci.upper };
      if (base && s !== base && qids.length >= 2) {
        const b = seedAveraged(base, metric, qids);
        const t = pairedTTest(avg, b);
        summary.delta = t.meanDifference;
        summary.pValue = t.pValue;
        differenceSd.set(`${s.method}\t${metric}`, sd(avg.map((v, i) => v - b[i])));
      }
      row.metrics[metric] = summary;
    }
    return row;
  });
  // Family = all methods compared with the baseline on this metric and scenario.
  for (const metric of metrics) {
    const tested = rows.filter((r) => r.metrics[metric].pValue !== undefined);
    const ps = tested.map((r) => r.metrics[metric].pValue!);
    const adjusted = ps.length === 0 ? [] : stats.correction === 'holm' ? holm(ps) : bonferroni(ps);
    tested.forEach((r, i) => {
      r.metrics[metric].pAdjusted = adjusted[i];
      r.metrics[metric].significant = adjusted[i] < stats.alpha;
      r.metrics[metric].mde = pairedMinimumDetectableDifference(differenceSd.get(`${r.method}\t${metric}`)!, qids.length, { alpha: stats.alpha / tested.length });
    });
  }
  return { scenario, metrics, baseline: stats.baseline, correction: stats.correction, rows };
}

/** Merges per-fold runs (disjoint query sets) into one run; a repeated qid is an error. */
export function mergeRuns(runs: Run[]): Run {
  const out: Run = new Map();
  for (const r of runs) {
    for (const [qid, docs] of r) {
      if (out.has(qid)) throw new RangeError(`mergeRuns: query '${qid}' appears in two folds`);
      out.set(qid, docs);
    }
  }
  return out;
}
