/**
 * The Sinkhorn benchmark: runs every implementation on the same seeded inputs, times it (warm-up +
 * median of repetitions, see timing.ts), cross-checks its output against the native CPU backend
 * (method auto; the float64 pure-TS reference when the addon is not built) and collects everything
 * into a BenchReport (printed by table.ts, saved as JSON by cli.ts).
 *
 * All runs use tol = 0, so every implementation performs exactly `iters` iterations (POT and the
 * others report the count they actually did, and the table shows it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendInfo, otLossStep, sinkhorn } from '../../src/ot/index.js';
import { resolveBackend } from '../../src/ot/backend.js';
import type { BackendInfo } from '../../src/ot/index.js';
import type { SinkhornMethod, SinkhornResult, OtLossResult } from '../../src/ot/types.js';
import { buildCases, makeCostBatch, makeStepEmbeddings, sizeLabel, type BatchSize, type CallCostCases, type SinkhornCase, type StepCase, type StepSize } from './cases.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { bytesPerIteration, countNaN, effectiveGBps, maxAbsDiff, maxMarginalError, planCosts } from './metrics.js';
import { caseToManifest, probePython, readFloat32File, readFloat64File, runPeers, writeRaw, type PeerId, type PeerJob, type PeerResult, type PythonProbe } from './python-peers.js';
import { describeRoofline, type RooflineNote } from './roofline.js';
import { initTfjs } from './tfjs-backend.js';
import { tfjsSinkhorn } from './tfjs-sinkhorn.js';
import { measure, median, type TimingPolicy } from './timing.js';
import { LOCAL_BACKENDS } from './usage.js';

export type LocalBackend = (typeof LOCAL_BACKENDS)[number];
export type ImplId = LocalBackend | PeerId;

/** The implementation every ratio refers to, and the preferred cross-check reference. */
export const NATIVE_REFERENCE: LocalBackend = 'cpu-auto';
/** Cross-check references in order of preference: when the native addon is not built, plans are
 * still compared — with the float64 pure-TS reference — and the case says which one was used. */
const REFERENCE_ORDER: LocalBackend[] = [NATIVE_REFERENCE, 'js'];

export const IMPL_LABELS: Record<ImplId, string> = {
  'cpu-auto': 'optical cpu (auto)',
  'cpu-log': 'optical cpu (log)',
  'cpu-scaling': 'optical cpu (scaling)',
  'cpu-floor': 'work floor (C read, P written, 2 exp/cell)',
  js: 'optical js (pure TS)',
  tfjs: 'tfjs ops (log, batched)',
  cuda: 'optical cuda (auto)',
  'pot-scaling': 'POT ot.sinkhorn (loop)',
  'pot-log': 'POT sinkhorn_log (loop)',
  'torch-log': 'torch log (batched)',
  'torch-step': 'torch bmm+log+autograd',
};

export interface BenchConfig {
  sizes: BatchSize[];
  epsList: number[];
  iters: number;
  backends: LocalBackend[];
  peers: boolean;
  python: string;
  policy: TimingPolicy;
  seed: number;
  /** null = no OPTICAL step case. */
  step: StepSize | null;
  stepEps: number;
  /** Per-call cost cases (null = none): few iterations on one large problem, plus the work floor. */
  callCost: CallCostCases | null;
  /** Native worker threads (0 = all cores). */
  threads: number;
  /** torch.set_num_threads values: one PyTorch row per entry. */
  torchThreads: number[];
  /** Upper bounds on B·n·m·iters for the slow in-process implementations (pure TS, tfjs ops);
   * larger cases are skipped with the reason in the table. A missing entry = no cap. */
  workLimits: Partial<Record<'js' | 'tfjs', number>>;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface ImplRow {
  impl: ImplId;
  label: string;
  status: 'ok' | 'absent' | 'skipped' | 'error';
  reason?: string;
  threads?: string;
  timesSec?: number[];
  medianSec?: number;
  /** Fastest timed run: less sensitive than the median to other processes sharing the cores. */
  minSec?: number;
  warmupOnly?: boolean;
  iterationsMin?: number;
  iterationsMax?: number;
  /** Batch iterations per second: iterations / median time (every problem of the batch advances). */
  itersPerSec?: number;
  /** Effective GB/s (metrics.ts: 2 × 4 bytes × B·n·m per iteration × iterations / time). */
  gbps?: number;
  /** median time / median time of optical cpu (auto): how many times slower than native. */
  vsNative?: number;
  /** Sinkhorn cases: max |P − P_native|; step: max |grad − grad_native|. null = no reference. */
  maxDiff?: number | null;
  /** max over problems of |cost − cost_native| (cost = <P, C>). */
  maxCostDiff?: number | null;
  nanCount?: number;
  /** Largest L1 marginal error of the returned plan (Sinkhorn cases). */
  marginalError?: number;
  roofline?: RooflineNote;
}

export interface CaseReport {
  id: string;
  kind: 'sinkhorn' | 'step';
  B: number;
  n: number;
  m: number;
  d?: number;
  eps: number;
  iters: number;
  /** B·n·m. */
  cells: number;
  bytesPerIteration: number;
  /** What max|ΔP| / max|Δgrad| and max|Δcost| compare against (absent: nothing to compare with). */
  reference?: ImplId;
  rows: ImplRow[];
}

export interface BenchReport {
  date: string;
  machine: MachineInfo;
  config: Omit<BenchConfig, 'log'>;
  backends: BackendInfo | { error: string };
  tfjs?: string;
  python: PythonProbe | { ok: false; problem: string };
  /** os.loadavg() (1, 5, 15 min) before and after the run: other processes competing for the cores
   * inflate every time in the table, so a result is only comparable with its load alongside. */
  load: { start: number[]; end: number[] };
  notes: string[];
  cases: CaseReport[];
}

/** What a local implementation hands back for the cross-check. */
interface LocalOutput {
  plan: Float32Array;
  iterations: ArrayLike<number>;
}

function methodOf(b: LocalBackend): SinkhornMethod {
  return b === 'cpu-log' ? 'log' : b === 'cpu-scaling' ? 'scaling' : 'auto';
}

function threadsLabel(impl: ImplId, info: BackendInfo | undefined, cfg: BenchConfig, torchThreads?: number): string {
  switch (impl) {
    case 'cpu-auto': case 'cpu-log': case 'cpu-scaling': case 'cpu-floor':
      return String(cfg.threads || info?.attempts.find((a) => a.backend === 'cpu' && a.ok)?.reason.split(' ')[0] || '?');
    case 'js': case 'tfjs': case 'pot-log':
      return '1';
    case 'pot-scaling':
      return 'BLAS';
    case 'torch-log': case 'torch-step':
      return torchThreads === undefined ? '?' : String(torchThreads);
    case 'cuda':
      return 'GPU';
  }
}

function ok(row: ImplRow, timesSec: number[], warmupOnly: boolean, iterations: ArrayLike<number>, c: CaseReport): void {
  row.status = 'ok';
  row.timesSec = timesSec;
  row.medianSec = median(timesSec);
  row.minSec = Math.min(...timesSec);
  row.warmupOnly = warmupOnly;
  if (row.impl === 'cpu-floor') return;  // a probe, not a solver: no iterations, no rates
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0; k < iterations.length; k++) {
    lo = Math.min(lo, iterations[k]);
    hi = Math.max(hi, iterations[k]);
  }
  row.iterationsMin = lo;
  row.iterationsMax = hi;
  if (c.kind === 'sinkhorn') {
    row.itersPerSec = hi / row.medianSec;
    row.gbps = effectiveGBps(c.cells, hi, row.medianSec);
  }
}

/** Fills the cross-check columns of a Sinkhorn row from its plan. */
function crossCheck(row: ImplRow, plan: Float32Array, cost: Float32Array, c: CaseReport, ref: { plan: Float32Array; costs: Float64Array } | undefined): void {
  row.nanCount = countNaN(plan);
  row.marginalError = maxMarginalError(plan, c.B, c.n, c.m);
  if (!ref) {
    row.maxDiff = null;
    row.maxCostDiff = null;
    return;
  }
  row.maxDiff = maxAbsDiff(plan, ref.plan);
  row.maxCostDiff = maxAbsDiff(planCosts(plan, cost, c.B, c.n * c.m), ref.costs);
}

export async function runBenchmark(cfg: BenchConfig): Promise<BenchReport> {
  const log = cfg.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const notes: string[] = [];
  const cases = buildCases(cfg.sizes, cfg.epsList, cfg.iters, cfg.callCost);
  const wantsNative = cfg.backends.some((b) => b !== 'js' && b !== 'tfjs');

  let info: BackendInfo | undefined;
  let backends: BenchReport['backends'];
  try {
    info = backendInfo('auto');
    backends = info;
  } catch (err) {
    backends = { error: (err as Error).message };
  }
  const cpuAttempt = info?.attempts.find((a) => a.backend === 'cpu');
  const cudaAttempt = info?.attempts.find((a) => a.backend === 'cuda');
  const cpuOk = cpuAttempt?.ok === true;
  const cudaOk = cudaAttempt?.ok === true;
  if (wantsNative && !cpuOk) notes.push(`native cpu backend unavailable: ${cpuAttempt?.reason ?? 'backendInfo failed'}; the × native column is empty and plans are cross-checked against the float64 pure-TS reference instead.`);

  let tfjsNote: string | undefined;
  if (cfg.backends.includes('tfjs')) {
    const setup = await initTfjs();
    tfjsNote = setup.note;
    if (setup.backend !== 'wasm') notes.push(`tfjs runs on its ${setup.backend} backend: ${setup.note}`);
  }

  let python: BenchReport['python'] = { ok: false, problem: 'not requested (--peers not given)' };
  if (cfg.peers) {
    python = probePython(cfg.python);
    if (!python.ok) notes.push(`Python peers incomplete (${cfg.python}): ${python.problem}`);
  }

  const workDir = mkdtempSync(join(tmpdir(), 'optical-bench-'));
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    config: configForReport(cfg),
    backends,
    tfjs: tfjsNote,
    python,
    load: { start: loadavg(), end: [] },
    notes,
    cases: [],
  };

  try {
    // The Python peers of a case run right after its local rows (one interpreter per case), so
    // that every row of a case is measured under the same machine load, and no plan has to be kept
    // beyond its case.
    const peerImpls: PeerId[] = ['pot-scaling', 'pot-log', 'torch-log'];
    const pythonUsable = cfg.peers && 'versions' in python && (python.ok || Boolean(python.versions.pot || python.versions.torch));
    const runPeerCase = async (cr: CaseReport, job: Omit<PeerJob, 'python' | 'workDir' | 'policy' | 'torchThreads'>): Promise<PeerResult[]> => {
      if (!pythonUsable) {
        const reason = `Python peers absent: ${python.problem}`;
        const ids: PeerId[] = job.step ? ['torch-step'] : job.impls;
        return ids.map((impl) => ({ caseId: cr.id, impl, status: 'absent' as const, reason }));
      }
      return (await runPeers({ ...job, python: cfg.python, workDir, policy: cfg.policy, torchThreads: cfg.torchThreads })).results;
    };
    let costSize = -1;
    let cost: Float32Array = new Float32Array(0);
    let costFile = '';

    for (const c of cases) {
      if (costSize !== c.sizeIndex) {
        // Cases are ordered sizes-outer, so each size's inputs are generated exactly once.
        costSize = c.sizeIndex;
        cost = makeCostBatch(c, cfg.seed, c.sizeIndex);
        if (cfg.peers) {
          costFile = join(workDir, `cost-${sizeLabel(c)}-${c.sizeIndex}.f32`);
          writeRaw(costFile, cost);
        }
      }
      const cr: CaseReport = { id: c.id, kind: 'sinkhorn', B: c.B, n: c.n, m: c.m, eps: c.eps, iters: c.iters, cells: c.B * c.n * c.m, bytesPerIteration: bytesPerIteration(c.B * c.n * c.m), rows: [] };
      report.cases.push(cr);
      const problem = { rows: new Int32Array(c.B).fill(c.n), cols: new Int32Array(c.B).fill(c.m), cost };
      let ref: { plan: Float32Array; costs: Float64Array } | undefined;

      // The references run first so that every other row can be compared as soon as it finishes.
      // The work-floor probe only belongs to the per-call cost cases.
      const order = referencesFirst(cfg.backends).filter((b) => b !== 'cpu-floor' || c.callCost);
      for (const impl of order) {
        const row: ImplRow = { impl, label: IMPL_LABELS[impl], status: 'ok', threads: threadsLabel(impl, info, cfg) };
        cr.rows.push(row);
        if ((impl.startsWith('cpu') && !cpuOk) || (impl === 'cuda' && !cudaOk)) {
          row.status = 'absent';
          row.reason = (impl === 'cuda' ? cudaAttempt?.reason : cpuAttempt?.reason) ?? 'backendInfo failed';
          if (impl === 'cuda') row.roofline = await describeRoofline(info?.cuda, c, undefined);
          continue;
        }
        const limit = impl === 'js' || impl === 'tfjs' ? cfg.workLimits[impl] : undefined;
        if (limit !== undefined && c.B * c.n * c.m * c.iters > limit) {
          row.status = 'skipped';
          row.reason = `B·n·m·iters = ${(c.B * c.n * c.m * c.iters).toExponential(2)} > ${limit.toExponential(0)}, the default cap for this slow implementation (--uncapped runs it)`;
          continue;
        }
        try {
          if (impl === 'cpu-floor') {
            const { out, timing } = await measure(floorRunner(cost, c, cfg), cfg.policy);
            ok(row, timing.timesSec, timing.warmupOnly, [], cr);
            row.nanCount = countNaN(out);
            logRow(log, cr.id, row);
            continue;
          }
          const run = localRunner(impl, problem, c, cfg);
          const { out, timing } = await measure(run, cfg.policy);
          ok(row, timing.timesSec, timing.warmupOnly, out.iterations, cr);
          if (cr.reference === undefined && REFERENCE_ORDER.includes(impl)) {
            cr.reference = impl;
            ref = { plan: out.plan, costs: planCosts(out.plan, cost, c.B, c.n * c.m) };
          }
          crossCheck(row, out.plan, cost, cr, ref);
          if (impl === 'cuda') row.roofline = await describeRoofline(info?.cuda, c, row.medianSec!);
        } catch (err) {
          row.status = 'error';
          row.reason = (err as Error).message;
        }
        logRow(log, cr.id, row);
      }

      if (cfg.peers) {
        for (const pr of await runPeerCase(cr, { cases: [caseToManifest(c, costFile)], impls: peerImpls })) {
          const row = peerRow(pr, info, cfg);
          cr.rows.push(row);
          if (pr.status !== 'ok') continue;
          ok(row, pr.timesSec!, pr.warmupOnly ?? false, pr.iterations!, cr);
          crossCheck(row, readFloat32File(pr.planFile!), cost, cr, ref);
          logRow(log, cr.id, row);
        }
      }
    }

    if (cfg.step) {
      const stepCase: StepCase = { ...cfg.step, id: `step-${cfg.step.B}x${cfg.step.n}x${cfg.step.m}x${cfg.step.d}-eps${cfg.stepEps}`, eps: cfg.stepEps, iters: cfg.iters };
      const emb = makeStepEmbeddings(cfg.step, cfg.seed);
      const local = await runStepLocal(stepCase, emb, cfg, info, cpuOk, cpuAttempt?.reason, cudaOk, cudaAttempt?.reason, log);
      const cr = local.report;
      report.cases.push(cr);
      if (cfg.peers) {
        const files = { teacherFile: join(workDir, 'step-teacher.f32'), studentFile: join(workDir, 'step-student.f32') };
        writeRaw(files.teacherFile, emb.teacher);
        writeRaw(files.studentFile, emb.student);
        for (const pr of await runPeerCase(cr, { cases: [], impls: ['torch-step'], step: { ...stepCase, ...files } })) {
          const row = peerRow(pr, info, cfg);
          cr.rows.push(row);
          if (pr.status !== 'ok') continue;
          ok(row, pr.timesSec!, pr.warmupOnly ?? false, pr.iterations!, cr);
          const grad = readFloat32File(pr.gradFile!);
          const pcost = readFloat64File(pr.costFile!);
          row.nanCount = countNaN(grad) + countNaN(pcost);
          row.maxDiff = local.ref ? maxAbsDiff(grad, local.ref.grad) : null;
          row.maxCostDiff = local.ref ? maxAbsDiff(pcost, local.ref.cost) : null;
          logRow(log, cr.id, row);
        }
      }
    }

    for (const cr of report.cases) {
      const nat = cr.rows.find((r) => r.impl === NATIVE_REFERENCE && r.status === 'ok');
      for (const r of cr.rows) if (nat && r.status === 'ok') r.vsNative = r.medianSec! / nat.medianSec!;
    }
    notes.push(...standardNotes(cfg));
    report.load.end = loadavg();
    return report;
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The configuration as data (without the progress callback). */
function configForReport(cfg: BenchConfig): BenchReport['config'] {
  const { log: _log, ...config } = cfg;
  return config;
}

function peerRow(pr: PeerResult, info: BackendInfo | undefined, cfg: BenchConfig): ImplRow {
  return { impl: pr.impl, label: IMPL_LABELS[pr.impl], status: pr.status, reason: pr.reason, threads: threadsLabel(pr.impl, info, cfg, pr.threads) };
}

function logRow(log: (line: string) => void, id: string, row: ImplRow): void {
  log(`  ${id.padEnd(22)} ${row.label.padEnd(26)} ${row.status === 'ok' ? `${(row.medianSec! * 1000).toFixed(1)} ms` : `${row.status}: ${row.reason}`}`);
}

function referencesFirst(backends: LocalBackend[]): LocalBackend[] {
  const rank = (b: LocalBackend) => {
    const r = REFERENCE_ORDER.indexOf(b);
    return r < 0 ? REFERENCE_ORDER.length : r;
  };
  return [...backends].sort((x, y) => rank(x) - rank(y));
}

function localRunner(impl: LocalBackend, problem: { rows: Int32Array; cols: Int32Array; cost: Float32Array }, c: SinkhornCase, cfg: BenchConfig): () => Promise<LocalOutput> {
  if (impl === 'tfjs') {
    return async () => {
      const { tf } = await initTfjs();
      return tfjsSinkhorn(tf, problem, { eps: c.eps, iters: c.iters });
    };
  }
  const backend = impl === 'js' ? 'js' : impl === 'cuda' ? 'cuda' : 'cpu';
  return async () => {
    const r: SinkhornResult = await sinkhorn(problem, { eps: c.eps, maxIter: c.iters, tol: 0, method: methodOf(impl), backend, threads: cfg.threads });
    return { plan: r.plan, iterations: r.iterations };
  };
}

/** The work floor of one call on this case's cost (NativeAddon.workFloor), on the native threads.
 * Its plan goes into one array reused by every run, as repeated native calls reuse their result
 * memory: the floor is then the compute and memory traffic, not the OS zeroing fresh pages. */
function floorRunner(cost: Float32Array, c: SinkhornCase, cfg: BenchConfig): () => Float32Array {
  const { addon } = resolveBackend('cpu');
  if (!addon?.workFloor) throw new Error('the cpu addon has no workFloor probe (rebuild it: npm run build:native)');
  const probe = addon.workFloor.bind(addon);
  const plan = new Float32Array(cost.length);
  return () => {
    probe(cost, c.eps, plan, cfg.threads);
    return plan;
  };
}

async function runStepLocal(s: StepCase, emb: { teacher: Float32Array; student: Float32Array }, cfg: BenchConfig,
  info: BackendInfo | undefined, cpuOk: boolean, cpuReason: string | undefined, cudaOk: boolean, cudaReason: string | undefined,
  log: (line: string) => void): Promise<{ report: CaseReport; ref?: { grad: Float32Array; cost: Float64Array } }> {
  const cells = s.B * s.n * s.m;
  const cr: CaseReport = { id: s.id, kind: 'step', B: s.B, n: s.n, m: s.m, d: s.d, eps: s.eps, iters: s.iters, cells, bytesPerIteration: bytesPerIteration(cells), rows: [] };
  const input = { rows: new Int32Array(s.B).fill(s.n), cols: new Int32Array(s.B).fill(s.m), dim: s.d, teacher: emb.teacher, student: emb.student };
  let ref: { grad: Float32Array; cost: Float64Array } | undefined;
  // The step has no tfjs row (tfjs users get this same native step through the otLoss op of
  // src/ot/tfjs-loss.ts) and no per-method native rows: the fused step picks its method itself.
  const impls = referencesFirst(cfg.backends).filter((b): b is 'cpu-auto' | 'js' | 'cuda' => b === 'cpu-auto' || b === 'js' || b === 'cuda');
  for (const impl of impls) {
    const row: ImplRow = { impl, label: IMPL_LABELS[impl], status: 'ok', threads: threadsLabel(impl, info, cfg) };
    cr.rows.push(row);
    if ((impl === 'cpu-auto' && !cpuOk) || (impl === 'cuda' && !cudaOk)) {
      row.status = 'absent';
      row.reason = (impl === 'cuda' ? cudaReason : cpuReason) ?? 'backendInfo failed';
      continue;
    }
    // Cost, its gradient (2 × d multiply-adds per cell) and the Sinkhorn iterations.
    const work = cells * (s.iters + 2 * s.d);
    const limit = impl === 'js' ? cfg.workLimits.js : undefined;
    if (limit !== undefined && work > limit) {
      row.status = 'skipped';
      row.reason = `B·n·m·(iters + 2d) = ${work.toExponential(2)} > ${limit.toExponential(0)}, the default cap for the pure-TS backend (--uncapped runs it)`;
      continue;
    }
    try {
      const backend = impl === 'js' ? 'js' : impl === 'cuda' ? 'cuda' : 'cpu';
      const { out, timing } = await measure(
        (): Promise<OtLossResult> => otLossStep(input, { eps: s.eps, maxIter: s.iters, tol: 0, kind: 'cosine', backend, threads: cfg.threads }),
        cfg.policy,
      );
      ok(row, timing.timesSec, timing.warmupOnly, out.iterations, cr);
      row.nanCount = countNaN(out.grad) + countNaN(out.cost);
      if (!ref && REFERENCE_ORDER.includes(impl)) {
        ref = { grad: out.grad, cost: out.cost };
        cr.reference = impl;
      }
      row.maxDiff = ref ? maxAbsDiff(out.grad, ref.grad) : null;
      row.maxCostDiff = ref ? maxAbsDiff(out.cost, ref.cost) : null;
    } catch (err) {
      row.status = 'error';
      row.reason = (err as Error).message;
    }
    logRow(log, s.id, row);
  }
  return { report: cr, ref };
}

function standardNotes(cfg: BenchConfig): string[] {
  return [
    `All runs: fp32 inputs, uniform marginals, tol = 0 (exactly the case's iterations, ${cfg.iters} unless the title says otherwise; one iteration = one f update + one g update). Costs: points uniform in the unit square, squared Euclidean / max (C ∈ [0, 1]); seed ${cfg.seed}.`,
    ...(cfg.callCost ? [`Per-call cost cases (${sizeLabel(cfg.callCost.size)} at ${cfg.callCost.iters.join(', ')} iterations, eps ${cfg.callCost.eps}): the fixed cost of a call (argument checks and copies, the first iteration, the final plan, fresh output memory) against the iterations. Their "${IMPL_LABELS['cpu-floor']}" row is the least work any call must do — one read of C, one write of the plan, two exps per cell, on the native threads and ISA level (NativeAddon.workFloor; its plan array is reused across runs, as native calls reuse their result memory); × native < 1 there means native takes 1/× times the floor.`] : []),
    `median (and min) of up to ${cfg.policy.reps} timed runs after ${cfg.policy.warmup} warm-up run(s), fewer when they would exceed ${cfg.policy.budgetSec} s per row ('1*' = the warm-up run itself was the only sample). Ratios, it/s and GB/s use the median. The Python peers of a case run right after its local rows (timed inside Python, excluding interpreter start and file reading).`,
    'it/s = iterations / median time (each iteration advances every problem of the batch). GB/s (effective) = bytes of the cost matrix read per iteration (2 passes × 4 bytes × B·n·m: one for the f update, one for the g update) × iterations / time; small blocks stay in cache, so this is a work rate, not a DRAM measurement.',
    `× native = median time / median time of ${IMPL_LABELS[NATIVE_REFERENCE]} (higher = slower than native). max|ΔP| and max|Δcost| compare each plan with the reference named in the case title — the native one, or the float64 pure-TS reference when the addon is not built (cost = <P, C> per problem, recomputed here in float64 from each plan); NaN means the implementation returned NaN. marg.err = largest L1 marginal error ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ of its plan.`,
    'POT: numItermax = iters, stopThr = 0 (its test err < stopThr never holds), looped over the batch. POT counts one v update + one u update as one iteration (log["niter"] = iters − 1 after a full run); it updates v first, so it is given the transposed problem (prepared before timing) to follow our f-then-g order exactly. Its scaling loop stops early and rolls back when it detects a zero or NaN/inf — the iters column then shows fewer iterations. POT (and our native code) also evaluate the marginal error every 10 iterations; the torch and tfjs loops do not.',
    `torch: batched log-domain Sinkhorn with torch.logsumexp on [B, n, m]; one row per torch.set_num_threads value (${cfg.torchThreads.join(', ')}; thr column) — on a busy 2-core machine torch's OpenMP regions can be slower with 2 threads than with 1. tfjs: the same loop with tf.logSumExp on padded [B, n, m] tensors. OPTICAL step: cosine cost + Sinkhorn + <P, C> + gradient w.r.t. the student tokens with P held fixed (torch: bmm of normalised tokens, Sinkhorn under no_grad, autograd backward); its max|Δ| column compares gradients.`,
  ];
}
