/**
 * `npm run bench:queue`: wall time of one small compare grid computed in-process and through the
 * queue (Redis + BullMQ) with 1, 2, … `optical worker` processes on this machine, from the start of
 * `optical compare` to its report — data preparation, the teacher, every unit, the report. Every
 * run starts from an empty folder (the teacher is trained each time) and must produce the same
 * report files (manifest hashes), or the benchmark fails.
 *
 *   node dist/bench/queue/main.js [--workers 1,2] [--repeats 3] [--queue redis://HOST:PORT] [--json F]
 *
 * Without --queue a private redis-server (Debian package) is started on a free port. CPU time is
 * the user + system time of every process of the run (compare, workers and their job processes;
 * Redis not included), read from /proc/self/stat on Linux: unlike wall time, it does not depend on
 * what else the machine runs, so it shows what queue mode costs on top of the in-process run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    repeats: { type: 'string', default: '3' },
    queue: { type: 'string' },
    json: { type: 'string' },
  },
});
const workerCounts = values.workers!.split(',').map(Number);
const repeats = Number(values.repeats);
if (workerCounts.some((n) => !Number.isInteger(n) || n < 1) || !Number.isInteger(repeats) || repeats < 1) {
  throw new RangeError('--workers must list positive integers and --repeats must be a positive integer');
}
const mainJs = resolve('dist/src/cli/main.js');

/** 3 seeds × 4 methods on one fold: 12 units, 10 of them on the shared teacher. */
const grid = {
  name: 'bench-grid',
  languages: ['sw'],
  data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], maxBitext: 200, englishPairs: 200 },
  model: { size: 'tiny', vocabSize: 2000 },
  teacher: { steps: 40, batchSize: 8, pairs: 200 },
  // Units long enough (tens of seconds) that the grid, not process start-up, decides the time.
  budget: { steps: 120, batchSize: 8, maxLength: 48 },
  methods: [
    { name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' },
    { name: 'zero-shot', kind: 'zero-shot' },
    { name: 'bl-cs', kind: 'cs-finetune', p: 0.5 },
    { name: 'optical-real', kind: 'optical', bitext: 'real', maxIter: 30 },
  ],
  seeds: [1, 2, 3],
  stats: { bootstrap: 200 },
};

async function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function run(args: string[]): { proc: ChildProcess; done: Promise<{ code: number; out: string }> } {
  const proc = spawn(process.execPath, [mainJs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { out += d; });
  return { proc, done: new Promise((r) => proc.on('exit', (code) => r({ code: code ?? 1, out }))) };
}

let redis: ChildProcess | undefined;
let queueUrl = values.queue;
if (!queueUrl) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'optical-bench-redis-'));
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  queueUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() !== 'PONG'; i++) {
    if (i > 100) throw new Error('redis-server did not start (install the Debian package redis-server, or pass --queue)');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds (user + system) of the finished, reaped children of this process so far; null off Linux. */
function childrenCpuSeconds(): number | null {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    // After the command name: field 16 cutime and 17 cstime of proc(5), counted from field 3.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

interface Row { mode: string; workers: number; seconds: number[]; cpu: (number | null)[] }
const rows: Row[] = [];
let reference: string | undefined;

async function once(workers: number | 0, rep: number): Promise<{ seconds: number; cpu: number | null }> {
  const out = mkdtempSync(join(tmpdir(), 'optical-bench-queue-'));
  const config = join(out, 'grid.json');
  writeFileSync(config, JSON.stringify(grid));
  const queueName = `bench-${process.pid}-${workers}-${rep}`;
  const cpu0 = childrenCpuSeconds();
  const t0 = performance.now();
  const ws = Array.from({ length: workers }, () => run(['worker', '--queue', queueUrl!, '--queue-name', queueName, '--out', out]));
  const compare = run(['compare', '--config', config, '--out', out, ...(workers > 0 ? ['--queue', queueUrl!, '--queue-name', queueName] : [])]);
  const result = await compare.done;
  const seconds = (performance.now() - t0) / 1000;
  for (const w of ws) w.proc.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.done));
  const cpu1 = childrenCpuSeconds();
  if (result.code !== 0) throw new Error(`compare failed (${workers} workers):\n${result.out}`);
  const files = JSON.stringify(JSON.parse(readFileSync(join(out, grid.name, 'manifest.json'), 'utf8')).files);
  if (reference === undefined) reference = files;
  else if (files !== reference) throw new Error(`the report of the run with ${workers} worker(s) differs from the first run's`);
  rmSync(out, { recursive: true, force: true });
  return { seconds, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 };
}

try {
  for (const workers of [0, ...workerCounts]) {
    const row: Row = { mode: workers === 0 ? 'in-process' : 'queue', workers, seconds: [], cpu: [] };
    for (let rep = 0; rep < repeats; rep++) {
      const r = await once(workers, rep);
      row.seconds.push(r.seconds);
      row.cpu.push(r.cpu);
      process.stderr.write(`${row.mode} ${workers || ''}: ${r.seconds.toFixed(1)} s wall, ${r.cpu?.toFixed(1) ?? '?'} s CPU (load average ${loadavg()[0].toFixed(1)})\n`);
    }
    rows.push(row);
  }
} finally {
  redis?.kill('SIGTERM');
}

const best = (r: Row) => Math.min(...r.seconds);
const one = rows.find((r) => r.mode === 'queue' && r.workers === 1);
console.log(`\nQueue benchmark: ${grid.methods.length} methods × ${grid.seeds.length} seeds = ${grid.methods.length * grid.seeds.length} units + teacher + report, tiny model; ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}); min of ${repeats} run(s); identical report files in every run.\n`);
const cpuMin = (r: Row) => (r.cpu.every((c) => c !== null) ? `${Math.min(...(r.cpu as number[])).toFixed(1)}` : '–');
console.log('| mode | workers | wall time (s), min | all runs (s) | wall vs 1 worker | CPU time (s), min |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.mode} | ${r.mode === 'in-process' ? '–' : r.workers} | ${best(r).toFixed(1)} | ${r.seconds.map((s) => s.toFixed(1)).join(', ')} | ${r.mode === 'queue' && one ? `${(best(one) / best(r)).toFixed(2)}×` : '–'} | ${cpuMin(r)} |`);
}
console.log(`\nLoad average at the end: ${loadavg().map((x) => x.toFixed(1)).join(', ')} (wall times need an otherwise idle machine).`);
if (values.json) writeFileSync(values.json, JSON.stringify({ grid, rows }, null, 2) + '\n');
