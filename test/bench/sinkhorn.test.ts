/**
 * Correctness of the Sinkhorn benchmark harness (not its speed): tiny sizes, 2 iterations.
 * The tfjs-ops peer must agree with the pure-TS reference, the report must have the documented JSON
 * structure, NaN must surface instead of vanishing, and the POT / PyTorch peers (when
 * /usr/bin/python3 has them) must run exactly the requested iterations and agree with the reference.
 */
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command as benchCommand } from '../../src/cli/commands/bench.js';
import { sinkhornReference } from '../../src/ot/index.js';
import { sinkhornOptions } from '../../src/ot/options.js';
import { UsageError } from '../../src/cli/command.js';
import { makeCostBatch, parseBatchSize } from '../../bench/sinkhorn/cases.js';
import { parseSinkhornBenchArgs, reportToJson } from '../../bench/sinkhorn/cli.js';
import { runBenchmark, type BenchConfig, type BenchReport } from '../../bench/sinkhorn/harness.js';
import { countNaN, maxAbsDiff, maxMarginalError } from '../../bench/sinkhorn/metrics.js';
import { probePython } from '../../bench/sinkhorn/python-peers.js';
import { formatReport } from '../../bench/sinkhorn/table.js';
import { evaluateTargets } from '../../bench/sinkhorn/targets.js';
import { initTfjs } from '../../bench/sinkhorn/tfjs-backend.js';
import { tfjsSinkhorn } from '../../bench/sinkhorn/tfjs-sinkhorn.js';
import { measure } from '../../bench/sinkhorn/timing.js';

function tinyConfig(over: Partial<BenchConfig> = {}): BenchConfig {
  return {
    sizes: [{ B: 3, n: 8, m: 6 }],
    epsList: [0.1],
    iters: 2,
    backends: ['cpu-auto', 'js', 'tfjs'],
    peers: false,
    python: '/usr/bin/python3',
    policy: { reps: 2, warmup: 1, budgetSec: 10 },
    seed: 7,
    step: { B: 2, n: 4, m: 3, d: 5 },
    stepEps: 0.1,
    callCost: null,
    threads: 0,
    torchThreads: [2, 1],
    workLimits: {},
    log: () => {},
    ...over,
  };
}

describe('tfjs-ops Sinkhorn', () => {
  it('matches the float64 reference on a ragged batch with non-uniform marginals and a zero weight', async () => {
    const { tf } = await initTfjs();
    const rows = Int32Array.from([3, 5, 1]);
    const cols = Int32Array.from([4, 2, 3]);
    const cost = Float32Array.from({ length: 3 * 4 + 5 * 2 + 1 * 3 }, (_, i) => ((i * 37) % 11) / 11);
    // Per-problem marginals with equal mass; problem 0 has a masked (zero-weight) row.
    const a = Float32Array.from([0, 0.5, 0.5, 0.2, 0.2, 0.2, 0.2, 0.2, 1]);
    const b = Float32Array.from([0.25, 0.25, 0.25, 0.25, 0.4, 0.6, 0.3, 0.3, 0.4]);
    for (const eps of [0.5, 0.05]) {
      const iters = 7;
      const ours = await tfjsSinkhorn(tf, { rows, cols, cost, a, b }, { eps, iters });
      const ref = sinkhornReference({ rows, cols, cost, a, b }, sinkhornOptions('test', { eps, maxIter: iters, tol: 0 }));
      expect(ours.plan.length).toBe(ref.plan.length);
      expect(maxAbsDiff(ours.plan, ref.plan)).toBeLessThan(2e-6);
      expect(countNaN(ours.plan)).toBe(0);
      expect(Array.from(ours.iterations)).toEqual([iters, iters, iters]);
      // Potentials of the masked row are not determined by the plan; compare the others.
      for (let i = 1; i < ref.f.length; i++) expect(ours.f[i]).toBeCloseTo(ref.f[i], 4);
      for (let j = 0; j < ref.g.length; j++) expect(ours.g[j]).toBeCloseTo(ref.g[j], 4);
    }
  });

  it('rejects bad arguments with the argument named', async () => {
    const { tf } = await initTfjs();
    const p = { rows: Int32Array.from([2]), cols: Int32Array.from([2]), cost: new Float32Array(4) };
    await expect(tfjsSinkhorn(tf, p, { eps: 0, iters: 2 })).rejects.toThrow(/eps/);
    await expect(tfjsSinkhorn(tf, { ...p, cost: new Float32Array(3) }, { eps: 0.1, iters: 2 })).rejects.toThrow(/cost has 3 entries/);
  });
});

describe('metrics never hide NaN', () => {
  it('propagates NaN through the diff and marginal error, and JSON keeps it', () => {
    expect(maxAbsDiff([0, Number.NaN, 5], [0, 0, 0])).toBeNaN();
    expect(maxAbsDiff([0, 1], [0, 0, 0])).toBe(Infinity);
    expect(maxAbsDiff([1, 2], [1, 2.5])).toBe(0.5);
    expect(maxMarginalError([0.25, Number.NaN, 0.25, 0.25], 1, 2, 2)).toBeNaN();
    expect(countNaN([Number.NaN, 1, Number.NaN])).toBe(2);
    const json = JSON.parse(reportToJson({ cases: [{ rows: [{ maxDiff: Number.NaN }] }] } as unknown as BenchReport));
    expect(json.cases[0].rows[0].maxDiff).toBe('NaN');
  });
});

describe('timing policy', () => {
  it('takes the median of the timed runs and counts them', async () => {
    let calls = 0;
    const { timing } = await measure(() => ++calls, { reps: 3, warmup: 1, budgetSec: 100 });
    expect(calls).toBe(4);
    expect(timing.timesSec).toHaveLength(3);
    expect(timing.warmupOnly).toBe(false);
  });
  it('uses the warm-up as the only sample when it exceeds the budget', async () => {
    let calls = 0;
    const slow = () => { calls++; const t = Date.now(); while (Date.now() - t < 30) { /* spin */ } };
    const { timing } = await measure(slow, { reps: 5, warmup: 1, budgetSec: 0.01 });
    expect(calls).toBe(1);
    expect(timing.warmupOnly).toBe(true);
  });
});

describe('inputs and options', () => {
  it('generates the same costs for the same seed, in [0, 1] with max 1 per problem', () => {
    const s = parseBatchSize('2x5x4');
    const c1 = makeCostBatch(s, 3, 0);
    expect(Array.from(makeCostBatch(s, 3, 0))).toEqual(Array.from(c1));
    expect(Array.from(makeCostBatch(s, 4, 0))).not.toEqual(Array.from(c1));
    for (let k = 0; k < 2; k++) expect(Math.max(...c1.subarray(k * 20, (k + 1) * 20))).toBeCloseTo(1, 6);
    expect(Math.min(...c1)).toBeGreaterThanOrEqual(0);
  });
  it('parses the CLI options and rejects bad ones with a UsageError naming the option', () => {
    const cfg = parseSinkhornBenchArgs(['--sizes', '4x8x8,1x16x16', '--eps', '0.1', '--iters', '3', '--backends', 'js,tfjs', '--step', 'none', '--reps', '2']);
    expect(cfg.sizes).toEqual([{ B: 4, n: 8, m: 8 }, { B: 1, n: 16, m: 16 }]);
    expect(cfg.step).toBeNull();
    expect(cfg.backends).toEqual(['js', 'tfjs']);
    expect(cfg.peers).toBe(false);
    expect(cfg.torchThreads).toEqual([2, 1]);
    expect(parseSinkhornBenchArgs(['--torch-threads', '1']).torchThreads).toEqual([1]);
    expect(() => parseSinkhornBenchArgs(['--torch-threads', '0'])).toThrow(/--torch-threads/);
    expect(() => parseSinkhornBenchArgs(['--sizes', '4x8'])).toThrow(UsageError);
    expect(() => parseSinkhornBenchArgs(['--sizes', '4x8'])).toThrow(/--sizes/);
    expect(() => parseSinkhornBenchArgs(['--backends', 'gpu'])).toThrow(/unknown backend 'gpu'/);
    expect(() => parseSinkhornBenchArgs(['--iters', '0'])).toThrow(/--iters/);
    expect(() => parseSinkhornBenchArgs(['--eps', '-1'])).toThrow(/--eps/);
    expect(() => parseSinkhornBenchArgs(['--bogus'])).toThrow(UsageError);
    // The per-call cost cases: 1×4096² at 1 and 20 iterations by default.
    expect(parseSinkhornBenchArgs([]).callCost).toEqual({ size: { B: 1, n: 4096, m: 4096 }, eps: 0.05, iters: [1, 20] });
    expect(parseSinkhornBenchArgs(['--call-size', 'none']).callCost).toBeNull();
    expect(parseSinkhornBenchArgs(['--call-size', '2x30x40', '--call-iters', '3', '--call-eps', '0.2']).callCost).toEqual({ size: { B: 2, n: 30, m: 40 }, eps: 0.2, iters: [3] });
    expect(() => parseSinkhornBenchArgs(['--call-iters', '0'])).toThrow(/--call-iters/);
    expect(() => parseSinkhornBenchArgs(['--call-size', '4x8'])).toThrow(/--call-size/);
    expect(() => parseSinkhornBenchArgs(['--call-eps', '-1'])).toThrow(/--call-eps/);
  });
});

function checkReportStructure(rep: BenchReport, iters: number): void {
  const json = JSON.parse(reportToJson(rep));
  expect(Number.isNaN(Date.parse(json.date))).toBe(false);
  expect(typeof json.machine.cpuModel).toBe('string');
  expect(json.machine.logicalCores).toBeGreaterThan(0);
  expect(json.machine.node).toBe(process.version);
  expect(json.config.iters).toBe(iters);
  expect(json.load.start).toHaveLength(3);
  expect(json.load.end).toHaveLength(3);
  expect(Array.isArray(json.notes)).toBe(true);
  expect(json.notes.join(' ')).toMatch(/GB\/s/);
  for (const c of json.cases) {
    expect(['sinkhorn', 'step']).toContain(c.kind);
    expect(c.cells).toBe(c.B * c.n * c.m);
    expect(c.bytesPerIteration).toBe(8 * c.cells);
    for (const r of c.rows) {
      expect(['ok', 'absent', 'skipped', 'error']).toContain(r.status);
      if (r.status === 'ok') {
        expect(r.medianSec).toBeGreaterThan(0);
        expect(r.timesSec.length).toBeGreaterThanOrEqual(1);
        expect(r.iterationsMin).toBe(iters);
        expect(r.iterationsMax).toBe(iters);
        expect(r.nanCount).toBe(0);
      } else {
        expect(typeof r.reason).toBe('string');
      }
    }
  }
}

describe('benchmark harness (tiny run)', () => {
  it('runs native (if built), js and tfjs on the same inputs; tfjs agrees with the reference', async () => {
    const rep = await runBenchmark(tinyConfig());
    checkReportStructure(rep, 2);
    expect(rep.cases.map((c) => c.kind)).toEqual(['sinkhorn', 'step']);
    const [sk, step] = rep.cases;
    expect(['cpu-auto', 'js']).toContain(sk.reference);
    const byImpl = Object.fromEntries(sk.rows.map((r) => [r.impl, r]));
    expect(byImpl.js.status).toBe('ok');
    expect(byImpl.tfjs.status).toBe('ok');
    expect(byImpl.tfjs.maxDiff).toBeLessThan(1e-5);
    expect(byImpl.tfjs.maxCostDiff).toBeLessThan(1e-5);
    expect(byImpl.js.maxDiff).toBeLessThan(1e-5);
    expect(byImpl.tfjs.marginalError).toBeGreaterThan(0); // 2 iterations: not converged, and says so
    if (byImpl['cpu-auto'].status === 'ok') expect(byImpl.tfjs.vsNative).toBeGreaterThan(0);
    else expect(byImpl['cpu-auto'].status).toBe('absent');
    const stepJs = step.rows.find((r) => r.impl === 'js')!;
    expect(stepJs.status).toBe('ok');
    expect(stepJs.maxDiff).toBeLessThan(1e-4);
    const text = formatReport(rep);
    expect(text).toContain('tfjs ops (log, batched)');
    expect(text).toContain('cross-check reference');
    expect(text).toContain('OPTICAL step');
  });

  it('per-call cost cases: the same size at each iteration count, with the work-floor row (native only)', async () => {
    const rep = await runBenchmark(tinyConfig({ step: null, backends: ['cpu-auto', 'cpu-floor', 'js'], callCost: { size: { B: 1, n: 40, m: 50 }, eps: 0.1, iters: [1, 3] } }));
    expect(rep.cases.map((c) => c.id)).toEqual(['3x8x6-eps0.1', '1x40x50-eps0.1-it1', '1x40x50-eps0.1-it3']);
    // No floor row outside the per-call cases.
    expect(rep.cases[0].rows.map((r) => r.impl)).toEqual(['cpu-auto', 'js']);
    for (const [k, iters] of [[1, 1], [2, 3]] as const) {
      const rows = Object.fromEntries(rep.cases[k].rows.map((r) => [r.impl, r]));
      expect(rep.cases[k].iters).toBe(iters);
      expect(rows.js.iterationsMax).toBe(iters);
      if (rows['cpu-auto'].status !== 'ok') continue;  // the addon is not built
      expect(rows['cpu-auto'].iterationsMax).toBe(iters);
      expect(rows['cpu-floor'].status).toBe('ok');
      expect(rows['cpu-floor'].medianSec).toBeGreaterThan(0);
      expect(rows['cpu-floor'].iterationsMax).toBeUndefined();
      expect(rows['cpu-floor'].nanCount).toBe(0);
    }
    const text = formatReport(rep);
    expect(text).toContain('1 × (40×50), eps 0.1, 3 iterations');
    expect(text).toContain('work floor (C read, P written, 2 exp/cell)');
    expect(text).toMatch(/Per-call cost cases \(1x40x50 at 1, 3 iterations, eps 0\.1\)/);
  });

  it('caps the slow implementations above their work limit and says why', async () => {
    const rep = await runBenchmark(tinyConfig({ backends: ['js', 'tfjs'], workLimits: { js: 10, tfjs: 10 } }));
    for (const c of rep.cases) {
      for (const row of c.rows) {
        expect(row.status).toBe('skipped');
        expect(row.reason).toMatch(/--uncapped/);
      }
    }
    expect(formatReport(rep)).toMatch(/SKIPPED: B·n·m·iters = 2\.88e\+2 > 1e\+1/);
  });

  const py = probePython('/usr/bin/python3');
  it.skipIf(!py.ok && !process.env.CI)(`Python peers run exactly the requested iterations and agree with the reference (${py.ok ? 'POT + torch present' : `skipped: ${py.problem}`})`, async () => {
    const rep = await runBenchmark(tinyConfig({ peers: true, backends: ['cpu-auto', 'js'], policy: { reps: 1, warmup: 1, budgetSec: 10 } }));
    checkReportStructure(rep, 2);
    const rows = Object.fromEntries(rep.cases[0].rows.map((r) => [r.impl, r]));
    for (const impl of ['pot-scaling', 'pot-log', 'torch-log'] as const) {
      expect(rows[impl].status, `${impl}: ${rows[impl].reason}`).toBe('ok');
      expect(rows[impl].maxDiff).toBeLessThan(1e-5);
    }
    // One torch row per thread count, each labelled with its count.
    expect(rep.cases[0].rows.filter((r) => r.impl === 'torch-log').map((r) => r.threads)).toEqual(['2', '1']);
    const stepTorch = rep.cases[1].rows.filter((r) => r.impl === 'torch-step');
    expect(stepTorch).toHaveLength(2);
    for (const r of stepTorch) {
      expect(r.status, r.reason).toBe('ok');
      expect(r.maxDiff).toBeLessThan(1e-4);
      expect(r.maxCostDiff).toBeLessThan(1e-5);
    }
  });
});

describe('optical bench command', () => {
  it('dispatches to the sinkhorn suite, prints the table and writes the JSON file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-bench-test-'));
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { lines.push(args.join(' ')); });
    try {
      const file = join(dir, 'out.json');
      const code = await benchCommand.run(['sinkhorn', '--sizes', '2x5x4', '--eps', '0.2', '--iters', '2', '--backends', 'js,tfjs', '--step', 'none', '--reps', '1', '--quiet', '--json', file]);
      expect(code).toBe(0);
      expect(lines.join('\n')).toContain('2 × (5×4), eps 0.2, 2 iterations');
      const json = JSON.parse(readFileSync(file, 'utf8'));
      expect(json.cases[0].rows.map((r: { impl: string }) => r.impl)).toEqual(['js', 'tfjs']);
      expect(json.cases[0].reference).toBe('js');
    } finally {
      spy.mockRestore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('rejects a missing or unknown suite with a UsageError', async () => {
    await expect(benchCommand.run([])).rejects.toThrow(UsageError);
    await expect(benchCommand.run(['nope'])).rejects.toThrow(/unknown suite 'nope' \(known: sinkhorn, gemm, train\)/);
  });
});

describe('speed targets', () => {
  it('evaluates met, missed and unmeasured targets from the report, never passing a missing one', () => {
    const row = (impl: string, medianSec: number, nanCount = 0) => ({ impl, label: impl, status: 'ok', medianSec, timesSec: [medianSec], nanCount });
    const rep = {
      cases: [{
        id: 'x', kind: 'sinkhorn', B: 256, n: 64, m: 64, eps: 0.01, iters: 100, cells: 0, bytesPerIteration: 0,
        rows: [row('cpu-auto', 0.1), row('torch-log', 3), row('torch-log', 2), row('pot-scaling', 1), { impl: 'pot-log', label: 'pot-log', status: 'absent', reason: 'no POT' }],
      }],
    } as unknown as BenchReport;
    const t = evaluateTargets(rep);
    const by = (s: string) => t.find((x) => x.target.includes(s))!;
    expect(by('PyTorch batched').met).toBe(true);
    expect(by('PyTorch batched').measured).toBeCloseTo(20, 10); // the faster of the two torch rows
    expect(by('looping POT (scaling').met).toBe(false);
    expect(by('looping POT (log').met).toBeNull();
    expect(by('looping POT (log').detail).toMatch(/no POT/);
    expect(by('OPTICAL step').detail).toBe('case not in this run');
    (rep.cases[0].rows[0] as { nanCount: number }).nanCount = 3;
    expect(evaluateTargets(rep).find((x) => x.target.includes('PyTorch batched'))!.met).toBe(false);
  });

  it('judges the per-call cost targets: 20 iterations against POT, 1 iteration against the work floor', () => {
    const row = (impl: string, medianSec: number) => ({ impl, label: impl, status: 'ok', medianSec, timesSec: [medianSec], nanCount: 0 });
    const callCase = (iters: number, rows: unknown[]) => ({ id: `c${iters}`, kind: 'sinkhorn', B: 1, n: 4096, m: 4096, eps: 0.05, iters, cells: 0, bytesPerIteration: 0, rows });
    const rep = { cases: [callCase(20, [row('cpu-auto', 0.1), row('pot-scaling', 0.16), row('pot-log', 1.5)]), callCase(1, [row('cpu-auto', 0.03), row('cpu-floor', 0.02)])] } as unknown as BenchReport;
    const t = evaluateTargets(rep);
    const by = (s: string) => t.find((x) => x.target.includes(s))!;
    expect(by('20 it, eps 0.05: native ≥ 1.5× POT scaling').met).toBe(true);
    expect(by('20 it, eps 0.05: native ≥ 1.5× POT scaling').measured).toBeCloseTo(1.6, 10);
    expect(by('20 it, eps 0.05: native ≥ 20× POT log').met).toBe(false);
    const floor = by('1 it, eps 0.05: native ≤ 2× the work floor');
    expect(floor.atMost).toBe(true);
    expect(floor.measured).toBeCloseTo(1.5, 10);
    expect(floor.met).toBe(true);
    (rep.cases[1].rows[0] as { medianSec: number }).medianSec = 0.05;
    expect(evaluateTargets(rep).find((x) => x.target.includes('work floor'))!.met).toBe(false);
  });
});

