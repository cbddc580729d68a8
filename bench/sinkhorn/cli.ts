/**
 * `optical bench sinkhorn` and `npm run bench:sinkhorn` (node dist/bench/sinkhorn/main.js): option
 * parsing, the run, the table on stdout and the optional JSON file.
 */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../src/cli/command.js';
import { listOption, numberOption, parseCommandArgs } from '../../src/cli/args.js';
import { parseBatchSize, parseStepSize } from './cases.js';
import { runBenchmark, type BenchConfig, type BenchReport, type LocalBackend } from './harness.js';
import { LOCAL_BACKENDS, SINKHORN_DEFAULTS } from './usage.js';
import { formatReport } from './table.js';
import { evaluateTargets } from './targets.js';

const OPTIONS = {
  sizes: { type: 'string' },
  eps: { type: 'string' },
  iters: { type: 'string' },
  backends: { type: 'string' },
  peers: { type: 'boolean' },
  python: { type: 'string' },
  reps: { type: 'string' },
  warmup: { type: 'string' },
  budget: { type: 'string' },
  step: { type: 'string' },
  'step-eps': { type: 'string' },
  'call-size': { type: 'string' },
  'call-eps': { type: 'string' },
  'call-iters': { type: 'string' },
  threads: { type: 'string' },
  'torch-threads': { type: 'string' },
  seed: { type: 'string' },
  uncapped: { type: 'boolean' },
  json: { type: 'string' },
  quiet: { type: 'boolean' },
} as const;

function intOption(name: string, value: string | undefined, fallback: number, min: number): number {
  const n = numberOption(name, value, fallback);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${value}'`);
  return n;
}

/** Turns command-line arguments into a BenchConfig; every bad value is a UsageError naming the option. */
export function parseSinkhornBenchArgs(argv: string[]): BenchConfig & { json?: string } {
  const { values: v } = parseCommandArgs(argv, OPTIONS);
  const wrap = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      throw new UsageError(`--${name}: ${(err as Error).message}`);
    }
  };
  const sizes = wrap('sizes', () => listOption(v.sizes, SINKHORN_DEFAULTS.sizes.split(',')).map(parseBatchSize));
  if (sizes.length === 0) throw new UsageError('--sizes must name at least one size');
  const epsList = listOption(v.eps, SINKHORN_DEFAULTS.eps.split(',')).map((s) => {
    const e = Number(s);
    if (!(e > 0) || !Number.isFinite(e)) throw new UsageError(`--eps values must be finite numbers > 0, got '${s}'`);
    return e;
  });
  if (epsList.length === 0) throw new UsageError('--eps must name at least one value');
  const backends = listOption(v.backends, [...LOCAL_BACKENDS]).map((b) => {
    if (!(LOCAL_BACKENDS as readonly string[]).includes(b)) throw new UsageError(`--backends: unknown backend '${b}' (known: ${LOCAL_BACKENDS.join(', ')})`);
    return b as LocalBackend;
  });
  const stepSpec = v.step ?? SINKHORN_DEFAULTS.step;
  const step = stepSpec === 'none' ? null : wrap('step', () => parseStepSize(stepSpec));
  const stepEps = numberOption('step-eps', v['step-eps'], SINKHORN_DEFAULTS.stepEps);
  if (!(stepEps > 0)) throw new UsageError(`--step-eps must be > 0, got ${stepEps}`);
  const callSpec = v['call-size'] ?? SINKHORN_DEFAULTS.callSize;
  const callEps = numberOption('call-eps', v['call-eps'], SINKHORN_DEFAULTS.callEps);
  if (!(callEps > 0) || !Number.isFinite(callEps)) throw new UsageError(`--call-eps must be a finite number > 0, got ${v['call-eps']}`);
  const callIters = [...new Set(listOption(v['call-iters'], SINKHORN_DEFAULTS.callIters.split(',')).map((t) => intOption('call-iters', t, 1, 1)))];
  if (callIters.length === 0) throw new UsageError('--call-iters must name at least one iteration count');
  const callCost = callSpec === 'none' ? null : { size: wrap('call-size', () => parseBatchSize(callSpec)), eps: callEps, iters: callIters };
  const budgetSec = numberOption('budget', v.budget, SINKHORN_DEFAULTS.budget);
  if (!(budgetSec > 0)) throw new UsageError(`--budget must be > 0 seconds, got ${budgetSec}`);
  return {
    sizes,
    epsList: [...new Set(epsList)],
    iters: intOption('iters', v.iters, SINKHORN_DEFAULTS.iters, 1),
    backends: [...new Set(backends)],
    peers: v.peers ?? false,
    python: v.python ?? SINKHORN_DEFAULTS.python,
    policy: {
      reps: intOption('reps', v.reps, SINKHORN_DEFAULTS.reps, 1),
      warmup: intOption('warmup', v.warmup, SINKHORN_DEFAULTS.warmup, 0),
      budgetSec,
    },
    seed: intOption('seed', v.seed, SINKHORN_DEFAULTS.seed, 0),
    step,
    stepEps,
    callCost,
    threads: intOption('threads', v.threads, 0, 0),
    torchThreads: [...new Set(listOption(v['torch-threads'], SINKHORN_DEFAULTS.torchThreads.split(',')).map((t) => intOption('torch-threads', t, 1, 1)))],
    workLimits: v.uncapped ? {} : { ...SINKHORN_DEFAULTS.workLimits },
    log: v.quiet ? () => {} : undefined,
    json: v.json,
  };
}

/** JSON with NaN/±Infinity kept as strings (plain JSON.stringify would turn a NaN result into null). */
export function reportToJson(rep: BenchReport, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...rep, ...extra }, (_key, value: unknown) => {
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    if (typeof value === 'function') return undefined;
    return value;
  }, 2);
}

export async function runSinkhornBench(argv: string[]): Promise<number> {
  const cfg = parseSinkhornBenchArgs(argv);
  const { json, ...config } = cfg;
  const report = await runBenchmark(config);
  console.log(formatReport(report));
  if (json) {
    writeFileSync(json, reportToJson(report, { targets: evaluateTargets(report) }) + '\n');
    console.log(`\nJSON written to ${json}`);
  }
  return report.cases.some((c) => c.rows.some((r) => r.status === 'error')) ? 1 : 0;
}
