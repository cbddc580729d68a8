/**
 * `npm run bench:train` / `optical bench train`: one OPTICAL distillation training step — student
 * forward + backward, the OT loss against precomputed teacher token states at the last layer, and
 * AdamW with clipping — on the native engine (CPU), the tfjs engine, PyTorch and the native engine
 * on a GPU (cuda rows, where a device is usable), in one run (usage and geometries:
 * step-usage.ts), with a roofline line per geometry (bench/cuda/train-roofline.ts). The native and tfjs rows run the same StepSpec through the engine API
 * (Engine.step + Engine.optimizerStep); the PyTorch row runs bench/nn/step_torch.py (an eager
 * implementation of the same step) on the same shapes and thread count. Every row is its own child
 * process, so peak RSS and caches are per row.
 *
 * Reported per row: ms/step (median and min of the timed steps, after one warm-up step), tokens/s,
 * GFLOP/s of the encoder's matrix products (forward 8·T·H² + 4·T·H·I + 4·B·L²·H per layer, T = B·L;
 * a training step counted as 3 × forward; embeddings, LayerNorm and the OT step not counted), the
 * share of the step per op family, mean Sinkhorn iterations and peak RSS. Op families: the native
 * engine's own timers; tfjs from tf.profile kernel times (every matmul kernel counts as gemm, the
 * attention products included; LayerNorm, dropout and the OT op fall in 'other'); PyTorch from
 * torch.autograd.profiler self times by aten op (mm/addmm = gemm, bmm/softmax = attention, …).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { listOption, parseCommandArgs, rangeOption } from '../../src/cli/args.js';
import { BASE_BERT, TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { nativeEngineClass, randomEngine } from '../../src/models/engine/index.js';
import type { CudaPrecision } from '../../src/models/engine/native-engine.js';
import type { NativeEngine } from '../../src/models/engine/native-engine.js';
import type { Engine, OpFamily, StepSpec } from '../../src/models/engine/types.js';
import { packageRoot } from '../../src/ot/backend.js';
import { Rng } from '../../src/random/rng.js';
import { machineInfo, type MachineInfo } from '../sinkhorn/machine.js';
import { encoderParameters, trainRoofline, trainRooflineLine } from '../cuda/train-roofline.js';
import { TRAIN_BENCH_DEFAULTS as D, TRAIN_BENCH_ENGINES, TRAIN_BENCH_USAGE, type TrainBenchEngine } from './step-usage.js';

interface Geometry {
  config: Omit<BertConfig, 'vocabSize'>;
  batch: number;
  length: number;
  /** Timed steps by default: native and torch / tfjs. */
  steps: number;
  tfjsSteps: number;
}

export const GEOMETRIES: Record<string, Geometry> = {
  tiny: { config: { ...TINY_BERT, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 256 }, batch: 16, length: 64, steps: 20, tfjsSteps: 5 },
  small: { config: { ...TINY_BERT, hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 2, intermediateSize: 512 }, batch: 32, length: 128, steps: 10, tfjsSteps: 2 },
  base: { config: BASE_BERT, batch: 8, length: 128, steps: 3, tfjsSteps: 1 },
};

const SINKHORN = { eps: 0.05, maxIter: 200, tol: 1e-4 };

export type Family = OpFamily | 'optimizer';
export const FAMILIES: Family[] = ['gemm', 'attention', 'layernorm', 'gelu', 'embeddings', 'dropout', 'losses', 'ot', 'optimizer', 'other'];

export interface TrainBenchRow {
  geometry: string;
  batch: number;
  tokens: number;
  /** CPU threads (0 for the GPU rows). */
  threads: number;
  engine: TrainBenchEngine;
  /** GPU rows: the GEMMs' precision. */
  precision?: CudaPrecision;
  msPerStep?: number;
  msPerStepMin?: number;
  tokensPerSecond?: number;
  gflops?: number;
  /** Timed steps. */
  steps?: number;
  /** Share of the step per op family (fractions summing to 1), when measured. */
  share?: Partial<Record<Family, number>>;
  /** Mean Sinkhorn iterations per problem. */
  sinkhornIterations?: number;
  peakRssMiB?: number;
  parameters?: number;
  /** Which kernels / versions: GEMM kind and ISA (native), tfjs backend, torch version and threads. */
  detail?: string;
  /** Why the row has no timing. */
  error?: string;
}

export interface TrainBenchReport {
  date: string;
  machine: MachineInfo;
  loadBefore: number[];
  loadAfter: number[];
  vocab: number;
  rows: TrainBenchRow[];
  targets: string[];
  /** One line per geometry: the step's roofline on an H100 (and the GPU row against it). */
  rooflines: string[];
}

/** FLOPs of the encoder's matrix products in one training step (3 × forward). */
export function stepFlops(c: Omit<BertConfig, 'vocabSize'>, batch: number, length: number): number {
  const T = batch * length;
  const H = c.hiddenSize;
  const forward = c.numHiddenLayers * (8 * T * H * H + 4 * T * H * c.intermediateSize + 4 * batch * length * length * H);
  return 3 * forward;
}

function stepSpec(config: BertConfig, batch: number, length: number, seed: number, profile: boolean): StepSpec {
  const rng = new Rng(seed);
  const T = batch * length;
  const ids = Int32Array.from({ length: T }, () => 1 + rng.int(config.vocabSize - 1));
  const mask = new Uint8Array(T).fill(1);
  const rows = new Int32Array(batch).fill(length);
  const teacher = Float32Array.from({ length: T * config.hiddenSize }, () => rng.normal());
  return {
    inputs: [{ ids, mask, batch, length }],
    terms: [{ kind: 'ot', input: 0, teacher, rows, cost: 'cosine', sinkhorn: SINKHORN }],
    training: true,
    seed,
    profile,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timedRow(base: TrainBenchRow, times: number[], g: Omit<BertConfig, 'vocabSize'>): TrainBenchRow {
  const ms = median(times);
  return {
    ...base, steps: times.length, msPerStep: ms, msPerStepMin: Math.min(...times), tokensPerSecond: (base.batch * base.tokens) / (ms / 1000),
    gflops: stepFlops(g, base.batch, base.tokens) / (ms / 1000) / 1e9,
  };
}

function shares(ms: Partial<Record<Family, number>>): Partial<Record<Family, number>> {
  const total = Object.values(ms).reduce((a, b) => a + (b ?? 0), 0);
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, (v ?? 0) / total]));
}

/** tfjs kernel name → op family (what can be told from a kernel name). */
function tfjsFamily(kernel: string): Family {
  if (/MatMul/.test(kernel)) return 'gemm';
  if (kernel === 'Softmax') return 'attention';
  if (kernel === 'Erf') return 'gelu';
  if (/Gather|Scatter|UnsortedSegmentSum/.test(kernel)) return 'embeddings';
  return 'other';
}

/** Engines that run in a child process of this module (native on the CPU, tfjs, native on a GPU). */
type ChildEngine = 'native' | 'tfjs' | 'cuda';

/** One native, tfjs or cuda row, in this (child) process (the parent pins the native engine's
 *  device through OPTICAL_BACKEND: cpu for native, cuda for cuda). */
async function engineRow(engineName: ChildEngine, geometry: string, threads: number, steps: number, budgetSec: number, vocab: number, batchOverride?: number, lengthOverride?: number, precision?: CudaPrecision): Promise<TrainBenchRow> {
  const g = GEOMETRIES[geometry];
  const batch = batchOverride ?? g.batch;
  const length = lengthOverride ?? g.length;
  const config: BertConfig = { ...g.config, vocabSize: vocab, maxPositionEmbeddings: Math.max(512, length) };
  const gpu = engineName === 'cuda';
  const engine: Engine = await randomEngine(config, { engine: gpu ? 'native' : engineName, threads, seed: 1, ...(gpu ? { precision } : {}) });
  const base: TrainBenchRow = { geometry, batch, tokens: length, threads, engine: engineName, ...(gpu ? { precision } : {}) };
  const totals: Partial<Record<Family, number>> = {};
  const add = (f: Family, ms: number) => { totals[f] = (totals[f] ?? 0) + ms; };
  const times: number[] = [];
  let iterations = 0;
  const start = performance.now();
  for (let s = 0; s <= steps; s++) {
    const spec = stepSpec(config, batch, length, s, engineName !== 'tfjs');
    const t0 = performance.now();
    const r = await engine.step(spec);
    const t1 = performance.now();
    await engine.optimizerStep({ lr: 1e-4, weightDecay: 0.01, clipNorm: 1 });
    const t2 = performance.now();
    if (s === 0) continue; // warm-up: first-touch page faults, workspace allocation, kernel compilation
    times.push(t2 - t0);
    iterations += r.terms[0].extras.iterations;
    if (r.profile) for (const f of FAMILIES) if (f !== 'optimizer') add(f, r.profile[f as OpFamily]);
    add('optimizer', t2 - t1);
    if ((performance.now() - start) / 1000 > budgetSec) break;
  }
  let detail: string;
  if (engineName !== 'tfjs') {
    const info = (engine as NativeEngine).info();
    if (gpu && info.engine !== 'cuda') throw new Error(`the cuda row ran on the ${info.engine}`);
    // (GPU rows profile with a device sync around every op family: their times include that.)
    detail = gpu ? `${info.deviceName}, gemm ${info.gemm}, profiled` : `gemm ${info.gemm}, ${info.isa}`;
    base.parameters = info.parameters;
    base.share = shares(totals);
  } else {
    const { tf } = await import('../../src/models/tf.js');
    detail = `tfjs-${tf.getBackend()}`;
    base.parameters = [...(await engine.getParameters()).values()].reduce((n, t) => n + t.data.length, 0);
    // One more step under tf.profile for the op families (its own overhead stays out of the timings).
    const spec = stepSpec(config, batch, length, steps + 1, false);
    const t0 = performance.now();
    let optimizerMs = 0;
    const info = await tf.profile(async () => {
      await engine.step(spec);
      const o0 = performance.now();
      await engine.optimizerStep({ lr: 1e-4, weightDecay: 0.01, clipNorm: 1 });
      optimizerMs = performance.now() - o0;
      return tf.scalar(0);
    });
    const wall = performance.now() - t0;
    const ms: Partial<Record<Family, number>> = { optimizer: optimizerMs };
    let attributed = 0;
    for (const k of info.kernels) {
      const f = tfjsFamily(k.name);
      if (f === 'other') continue;
      const t = Number(await (k.kernelTimeMs as unknown as Promise<number> | number));
      ms[f] = (ms[f] ?? 0) + t;
      attributed += t;
    }
    ms.other = Math.max(0, wall - optimizerMs - attributed);
    base.share = shares(ms);
  }
  engine.dispose();
  return {
    ...timedRow(base, times, g.config), sinkhornIterations: iterations / times.length, detail,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

/** One PyTorch row: bench/nn/step_torch.py with the thread count in the environment too. */
function torchRow(python: string, geometry: string, threads: number, steps: number, budgetSec: number, vocab: number, batchOverride?: number, lengthOverride?: number): TrainBenchRow {
  const g = GEOMETRIES[geometry];
  const batch = batchOverride ?? g.batch;
  const length = lengthOverride ?? g.length;
  const base: TrainBenchRow = { geometry, batch, tokens: length, threads, engine: 'torch' };
  const config = { ...g.config, vocabSize: vocab, maxPositionEmbeddings: Math.max(512, length) };
  const job = { threads, config, batch, length, steps, budgetSec, ...SINKHORN, seed: 1 };
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const r = spawnSync(python, [join(packageRoot(), 'bench', 'nn', 'step_torch.py')], { input: JSON.stringify(job), encoding: 'utf8', env, maxBuffer: 1 << 22 });
  if (r.error) return { ...base, error: `cannot run ${python}: ${r.error.message}` };
  if (r.status !== 0) return { ...base, error: `${python} step_torch.py exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
    error?: string; torch?: string; threads?: number; timesMs?: number[]; iterations?: number; peakRssMiB?: number; parameters?: number;
    profile?: Partial<Record<Family, number>> & { error?: string };
  };
  if (out.error) return { ...base, error: out.error };
  const profile = out.profile && !out.profile.error ? shares(out.profile) : undefined;
  return {
    ...timedRow(base, out.timesMs!, g.config), share: profile, sinkhornIterations: out.iterations, peakRssMiB: out.peakRssMiB,
    parameters: out.parameters, detail: `torch ${out.torch}, ${out.threads} threads`,
  };
}

/** Runs one row in a child process (this module with --child), so peak RSS and caches are per row. */
function childRow(engine: ChildEngine, geometry: string, threads: number, steps: number, budgetSec: number, vocab: number, batch?: number, length?: number, precision?: CudaPrecision): TrainBenchRow {
  const self = fileURLToPath(import.meta.url);
  // From dist/ the module runs as is; from the TypeScript sources (tests) through the repository's TS runner.
  const entry = self.endsWith('.ts') ? [join(packageRoot(), 'test', 'helpers', 'run-ts.mjs'), self] : [self];
  const args = [...entry, '--child', `${engine}:${geometry}:${threads}`, '--steps', String(steps), '--budget', String(budgetSec), '--vocab', String(vocab)];
  if (batch !== undefined) args.push('--batch', String(batch));
  if (length !== undefined) args.push('--length', String(length));
  if (precision !== undefined) args.push('--precision', precision);
  const g = GEOMETRIES[geometry];
  const base: TrainBenchRow = { geometry, batch: batch ?? g.batch, tokens: length ?? g.length, threads, engine };
  const backend = engine === 'cuda' ? { OPTICAL_BACKEND: 'cuda' } : engine === 'native' ? { OPTICAL_BACKEND: 'cpu' } : {};
  try {
    const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 22, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OPTICAL_QUIET: '1', ...backend } });
    return JSON.parse(out.trim().split('\n').pop()!) as TrainBenchRow;
  } catch (err) {
    const e = err as { status?: number; signal?: string; stderr?: string; message: string };
    const tail = (e.stderr ?? '').trim().split('\n').filter((l) => l.trim()).slice(-2).join(' | ');
    const why = /Aborted\(\)|out of memory|Cannot enlarge memory/i.test(e.stderr ?? '') ? 'out of memory (the tfjs-wasm heap stops at 4 GiB)' : tail || e.message.split('\n')[0];
    return { ...base, error: `the row's process failed (${e.signal ?? `exit ${e.status}`}): ${why}` };
  }
}

export interface TrainBenchConfig {
  geometries: string[];
  threads: number[];
  engines: TrainBenchEngine[];
  steps?: number;
  budgetSec: number;
  vocab: number;
  batch?: number;
  length?: number;
  precision: CudaPrecision;
  python: string;
  json?: string;
  log: (line: string) => void;
}

/** Checks the options; every bad value is a UsageError naming the option. */
export function parseTrainBenchArgs(argv: string[]): Omit<TrainBenchConfig, 'log'> {
  const { values: v } = parseCommandArgs(argv, {
    geometries: { type: 'string' }, threads: { type: 'string' }, engines: { type: 'string' }, steps: { type: 'string' }, budget: { type: 'string' },
    vocab: { type: 'string' }, batch: { type: 'string' }, length: { type: 'string' }, python: { type: 'string' }, json: { type: 'string' },
    precision: { type: 'string' },
  });
  const precision = v.precision ?? D.precision;
  if (!['fp32', 'tf32', 'bf16'].includes(precision)) throw new UsageError(`--precision must be fp32, tf32 or bf16, got '${precision}'`);
  const geometries = listOption(v.geometries, D.geometries.split(','));
  for (const g of geometries) if (!GEOMETRIES[g]) throw new UsageError(`--geometries: unknown geometry '${g}' (known: ${Object.keys(GEOMETRIES).join(', ')})`);
  const engines = listOption(v.engines, D.engines.split(','));
  for (const e of engines) if (!(TRAIN_BENCH_ENGINES as readonly string[]).includes(e)) throw new UsageError(`--engines: unknown engine '${e}' (known: ${TRAIN_BENCH_ENGINES.join(', ')})`);
  const threads = listOption(v.threads, D.threads.split(',')).map((t) => rangeOption('threads', t, 1, { min: 1, max: 1024, int: true }));
  if (geometries.length === 0 || engines.length === 0 || threads.length === 0) throw new UsageError('--geometries, --engines and --threads must each name at least one value');
  const opt = (name: string, value: string | undefined, max: number) => (value === undefined ? undefined : rangeOption(name, value, 0, { min: 1, max, int: true }));
  return {
    geometries, engines: engines as TrainBenchEngine[], threads,
    steps: opt('steps', v.steps, 1e6), budgetSec: rangeOption('budget', v.budget, D.budget, { gt: 0 }), vocab: rangeOption('vocab', v.vocab, D.vocab, { min: 2, max: 1e7, int: true }),
    batch: opt('batch', v.batch, 65536), length: opt('length', v.length, 65536), precision: precision as CudaPrecision, python: v.python ?? D.python, json: v.json,
  };
}

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined ? '' : n.toFixed(digits);
}

/** The issue's targets, evaluated from the rows: native ≥ 1.5× PyTorch at equal threads, ≥ 5× tfjs-wasm (native at 1 thread vs tfjs). */
export function evaluateTargets(rows: readonly TrainBenchRow[]): string[] {
  const find = (g: string, e: TrainBenchEngine, t: number) => rows.find((r) => r.geometry === g && r.engine === e && r.threads === t && r.msPerStep !== undefined);
  const out: string[] = [];
  for (const g of [...new Set(rows.map((r) => r.geometry))]) {
    for (const t of [...new Set(rows.map((r) => r.threads))]) {
      const n = find(g, 'native', t);
      const p = find(g, 'torch', t);
      if (n && p) {
        const x = p.msPerStep! / n.msPerStep!;
        out.push(`${g} ${t} thread${t > 1 ? 's' : ''}: native ${x.toFixed(2)}× PyTorch (target 1.5×) ${x >= 1.5 ? 'MET' : 'MISS'}`);
      }
    }
    const n1 = find(g, 'native', 1);
    const f = find(g, 'tfjs', 1);
    if (n1 && f) {
      const x = f.msPerStep! / n1.msPerStep!;
      out.push(`${g}: native (1 thread) ${x.toFixed(1)}× tfjs-wasm (target 5×) ${x >= 5 ? 'MET' : 'MISS'}`);
    }
  }
  return out;
}

export async function runTrainBench(argv: string[], log: (line: string) => void = (l) => console.log(l)): Promise<number> {
  const cfg = parseTrainBenchArgs(argv);
  const loadBefore = loadavg();
  const machine = machineInfo();
  log(`training step (student fwd + bwd + OT loss + AdamW), vocab ${cfg.vocab}; ${cpus().length} cores (${machine.cpuModel}), node ${process.version}, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  log(`${'geometry'.padEnd(9)}${'batch×len'.padStart(10)}  thr  ${'engine'.padEnd(7)}${'ms/step'.padStart(10)} ${'(min)'.padStart(9)} ${'tok/s'.padStart(8)} ${'GFLOP/s'.padStart(8)} ${'×torch'.padStart(7)}  RSS MiB  share: ${FAMILIES.join(' / ')}`);
  const rows: TrainBenchRow[] = [];
  const rooflines: string[] = [];
  // The GPU rows need a usable device (asked once, here; the row says why not).
  const gpu = cfg.engines.includes('cuda') ? nativeEngineClass('cuda') : undefined;
  for (const geometry of cfg.geometries) {
    const g = GEOMETRIES[geometry];
    for (const [ti, threadCount] of cfg.threads.entries()) {
      // PyTorch first, so the other rows can print their speed-up over it.
      for (const engine of [...cfg.engines].sort((a, b) => Number(b === 'torch') - Number(a === 'torch'))) {
        if (engine === 'cuda' && ti > 0) continue; // one GPU row per geometry
        const threads = engine === 'cuda' ? 0 : threadCount;
        let row: TrainBenchRow;
        if (engine === 'torch') row = torchRow(cfg.python, geometry, threads, cfg.steps ?? g.steps, cfg.budgetSec, cfg.vocab, cfg.batch, cfg.length);
        else if (engine === 'cuda' && !gpu?.NnModel) {
          row = { geometry, batch: cfg.batch ?? g.batch, tokens: cfg.length ?? g.length, threads, engine, precision: cfg.precision, error: `no GPU row: ${gpu?.reason}` };
        } else if (engine === 'cuda') {
          row = childRow(engine, geometry, 1, cfg.steps ?? g.steps, cfg.budgetSec, cfg.vocab, cfg.batch, cfg.length, cfg.precision);
          row.threads = 0;
        } else if (engine === 'tfjs' && threads !== 1) {
          row = { geometry, batch: cfg.batch ?? g.batch, tokens: cfg.length ?? g.length, threads, engine, error: 'tfjs-wasm runs one thread in Node (no worker threads): see its 1-thread row' };
        } else row = childRow(engine, geometry, threads, cfg.steps ?? (engine === 'tfjs' ? g.tfjsSteps : g.steps), cfg.budgetSec, cfg.vocab, cfg.batch, cfg.length);
        rows.push(row);
        const torch = rows.find((r) => r.geometry === geometry && r.threads === threads && r.engine === 'torch' && r.msPerStep !== undefined);
        const lead = `${geometry.padEnd(9)}${`${row.batch}×${row.tokens}`.padStart(10)}  ${(engine === 'cuda' ? 'gpu' : String(threads)).padStart(3)}  ${engine.padEnd(7)}`;
        if (row.error) {
          log(`${lead}${' '.repeat(10)} ${row.error}`);
          continue;
        }
        const vsTorch = torch && engine !== 'torch' ? `${(torch.msPerStep! / row.msPerStep!).toFixed(2)}×` : '';
        const share = row.share ? FAMILIES.map((f) => `${(100 * (row.share![f] ?? 0)).toFixed(0)}%`).join(' / ') : 'n/a';
        log(`${lead}${fmt(row.msPerStep).padStart(10)} ${`(${fmt(row.msPerStepMin)})`.padStart(9)} ${fmt(row.tokensPerSecond, 0).padStart(8)} ${fmt(row.gflops).padStart(8)} ${vsTorch.padStart(7)}  ${fmt(row.peakRssMiB, 0).padStart(7)}  ${share}   ${row.detail ?? ''}`);
      }
    }
    // The step's bound on an H100, with the measured Sinkhorn iterations (GPU row, else a CPU row
    // of the same problem, else the maxIter bound).
    const mine = rows.filter((r) => r.geometry === geometry && r.msPerStep !== undefined);
    const gpuRow = mine.find((r) => r.engine === 'cuda');
    const batch = cfg.batch ?? g.batch;
    const length = cfg.length ?? g.length;
    const config = { ...g.config, maxPositionEmbeddings: Math.max(512, length) };
    const est = trainRoofline({
      config, batch, length, precision: cfg.precision,
      parameters: encoderParameters(config, cfg.vocab),
      sinkhornIterations: (gpuRow ?? mine.find((r) => r.sinkhornIterations !== undefined))?.sinkhornIterations ?? SINKHORN.maxIter,
    });
    const line = trainRooflineLine(geometry, est, gpuRow?.msPerStep);
    rooflines.push(line);
    log(`  ${line}`);
  }
  const targets = evaluateTargets(rows);
  log('');
  log('targets (benchmark, not tests):');
  for (const t of targets) log(`  ${t}`);
  const report: TrainBenchReport = { date: new Date().toISOString(), machine, loadBefore, loadAfter: loadavg(), vocab: cfg.vocab, rows, targets, rooflines };
  if (cfg.json) writeFileSync(cfg.json, JSON.stringify(report, null, 2) + '\n');
  return 0;
}

/** `--child engine:geometry:threads`: one row, printed as JSON on stdout. */
async function child(argv: string[]): Promise<void> {
  const { values: v } = parseCommandArgs(argv, {
    child: { type: 'string' }, steps: { type: 'string' }, budget: { type: 'string' }, vocab: { type: 'string' }, batch: { type: 'string' }, length: { type: 'string' },
    precision: { type: 'string' },
  });
  const [engine, geometry, threads] = v.child!.split(':');
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const row = await engineRow(engine as ChildEngine, geometry, Number(threads), Number(v.steps), Number(v.budget), Number(v.vocab), num(v.batch), num(v.length), v.precision as CudaPrecision | undefined);
  process.stdout.write(JSON.stringify(row) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const run = argv.includes('--child') ? child(argv).then(() => 0)
    : argv.includes('--help') || argv.includes('-h') ? Promise.resolve(console.log(TRAIN_BENCH_USAGE)).then(() => 0)
      : runTrainBench(argv);
  run.then((code) => { process.exitCode = code; }, (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`bench:train: ${err.message}\n\n${TRAIN_BENCH_USAGE}`);
      process.exitCode = 2;
    } else {
      console.error(err);
      process.exitCode = 1;
    }
  });
}
