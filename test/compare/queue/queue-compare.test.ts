/**
 * `optical compare --queue` end to end on a real Redis with `optical worker` processes: a tiny
 * compare (real UDHR/CLDR/sotu data) computed by three workers, one of them killed with SIGKILL in
 * the middle of a training unit after its first checkpoint, gives a report byte-identical to the
 * in-process run; the collection is encoded in shards spread over the workers; two compares of the
 * same run at once compute every unit once; `optical queue status` shows who did what.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig, type CompareConfig } from '../../../src/compare/config.js';
import { runCompare } from '../../../src/compare/run-compare.js';
import { sotuEnglishPairs } from '../../../src/compare/english-pairs.js';
import type { StatusRow } from '../../../src/compare/queue/status.js';
import { Cli, ensureBuilt, queueSkipReason, testRedis, uniqueQueueName, waitUntil } from './helpers.js';

function config(name: string, methods: Record<string, unknown>[], seeds = [1, 2]): CompareConfig {
  return validateCompareConfig({
    name,
    languages: ['sw'],
    data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], maxBitext: 60, englishPairs: 60 },
    model: { size: 'tiny', vocabSize: 600 },
    teacher: { steps: 4, batchSize: 4, pairs: 60 },
    budget: { steps: 2, batchSize: 4, maxLength: 24 },
    methods,
    seeds,
    stats: { bootstrap: 200 },
  });
}

const GRID = [
  { name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' },
  { name: 'zero-shot', kind: 'zero-shot' },
  // Documents rewritten word by word: the shard jobs must rewrite them the same way.
  { name: 'tt-doc', kind: 'translate-test', side: 'document' },
  // Long enough to be killed after its first checkpoint (step 10 of 40).
  { name: 'bl-cs', kind: 'cs-finetune', p: 0.5, steps: 40 },
];

function manifestFiles(dir: string): Record<string, string> {
  return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).files;
}

const skip = queueSkipReason();

describe.skipIf(skip !== null)('optical compare --queue (Redis + BullMQ, worker processes)', () => {
  let redis: { url: string; stop(): Promise<void> };
  let root: string;
  const workers: Cli[] = [];

  beforeAll(async () => {
    ensureBuilt();
    redis = await testRedis();
    root = mkdtempSync(join(tmpdir(), 'optical-queue-'));
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
    await redis?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function startWorkers(n: number, queueName: string, out: string, extra: string[] = []): Cli[] {
    const started = Array.from({ length: n }, () => new Cli(['worker', '--queue', redis.url, '--queue-name', queueName, '--out', out, '--lock-seconds', '2', ...extra]));
    workers.push(...started);
    return started;
  }

  async function stopWorkers(ws: Cli[]): Promise<number[]> {
    for (const w of ws) if (w.proc.exitCode === null) w.proc.kill('SIGTERM');
    return Promise.all(ws.map((w) => w.exit));
  }

  async function status(queueName: string, run: string): Promise<StatusRow[]> {
    const cli = new Cli(['queue', 'status', '--queue', redis.url, '--queue-name', queueName, '--run', run, '--json']);
    expect(await cli.exit, cli.out).toBe(0);
    return JSON.parse(cli.out) as StatusRow[];
  }

  it('computes a grid on three workers, survives one killed mid-unit, and writes the in-process report byte for byte', async () => {
    const cfg = config('grid', GRID);
    const inProcess = await runCompare(cfg, { outRoot: join(root, 'local'), englishPairs: sotuEnglishPairs });

    const shared = join(root, 'shared');
    mkdirSync(shared);
    const configPath = join(root, 'grid.json');
    writeFileSync(configPath, JSON.stringify(cfg));
    // A half-written result folder of a writer that died: never trusted, removed by the unit's next writer.
    const partial = join(shared, 'grid', 'results', 'zero-shot', 'seed-2', 'fold-0.tmp-deadhost-1-beef');
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, 'result.json'), '{"truncated');

    const queueName = uniqueQueueName('grid');
    const ws = startWorkers(3, queueName, shared);
    // Shards of 32 documents: the 36-document MLIR pool of every dense unit is encoded in two shard jobs.
    const compare = new Cli(['compare', '--config', configPath, '--out', shared, '--queue', redis.url, '--queue-name', queueName, '--shard-size', '32']);

    // Kill the worker training bl-cs seed 1 once its first checkpoint is on the shared folder.
    const victim = await Promise.race(ws.map((w) => w.waitFor(/unit bl-cs seed 1 fold 0: started/, 240_000).then(() => w)));
    const checkpoint = join(shared, 'grid', 'work', 'bl-cs', 'seed-1', 'fold-0', 'checkpoint', 'trainer-state.json');
    await waitUntil('the first checkpoint of bl-cs seed 1', () => existsSync(checkpoint), 120_000);
    victim.proc.kill('SIGKILL');
    const victimName = victim.out.match(/worker (\S+): serving/)![1];

    expect(await compare.exit, compare.out).toBe(0);
    expect(compare.out).toMatch(/CLIR: \d+ queries/);
    // Every report file (runs, qrels, metrics, plots, report.md) equals the in-process run's.
    expect(manifestFiles(join(shared, 'grid'))).toEqual(manifestFiles(inProcess.dir));
    expect(existsSync(partial)).toBe(false);

    // Another worker took the unit over from the killed one and resumed it from the checkpoint.
    const survivors = ws.filter((w) => w !== victim);
    expect(survivors.map((w) => w.out).join('')).toMatch(/grid unit bl-cs seed 1 fold 0: started \(attempt 1\/3, taken over from a worker that stopped answering\)/);
    const unit = JSON.parse(readFileSync(join(shared, 'grid', 'results', 'bl-cs', 'seed-1', 'fold-0', 'result.json'), 'utf8'));
    expect(unit.worker).not.toBe(victimName);
    expect(unit.curve.map((p: { step: number }) => p.step)).toEqual(inProcess.report.units.find((u) => u.method === 'bl-cs' && u.seed === 1)!.curve.map((p) => p.step));
    // Shard jobs ran on the workers: two per dense unit (MLIR, 36 documents in shards of 32).
    const shardsDone = ws.map((w) => w.out).join('').match(/grid shard [01] of mlir for (zero-shot|tt-doc|bl-cs) seed [12] fold 0: done/g) ?? [];
    expect(new Set(shardsDone).size).toBe(12);

    const rows = await status(queueName, 'grid');
    expect(rows.filter((r) => r.job.startsWith('unit'))).toHaveLength(8);
    expect(rows.every((r) => r.state === 'done')).toBe(true);
    const bl = rows.find((r) => r.job === 'unit bl-cs seed 1 fold 0')!;
    expect(bl.worker).not.toBe(victimName);
    expect(bl.seconds).toBeGreaterThan(0);
    expect((await stopWorkers(survivors)).every((c) => c === 0)).toBe(true);
  }, 600_000);

  it('runs every unit once when two compares of the same run start at once (one worker, concurrency 2), and prints status tables', async () => {
    const cfg = config('twice', [{ name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' }, { name: 'zero-shot', kind: 'zero-shot' }]);
    const shared = join(root, 'twice-shared');
    mkdirSync(shared);
    const configPath = join(root, 'twice.json');
    writeFileSync(configPath, JSON.stringify(cfg));
    const queueName = uniqueQueueName('twice');
    // One worker running two jobs at once (two job processes).
    const ws = startWorkers(1, queueName, shared, ['--concurrency', '2']);
    const args = ['compare', '--config', configPath, '--out', shared, '--queue', redis.url, '--queue-name', queueName];
    const [a, b] = [new Cli(args), new Cli(args)];
    expect(await a.exit, a.out).toBe(0);
    expect(await b.exit, b.out).toBe(0);
    const [follower, enqueuer] = /following it/.test(a.out) ? [a, b] : [b, a];
    expect(follower.out).toMatch(/run twice \(config [0-9a-f]{16}\) is already on queue '.*': following it/);
    expect(enqueuer.out).toMatch(/4 unit\(s\) computed, 0 reused/);
    for (const o of [a.out, b.out]) expect(o).toMatch(/CLIR: \d+ queries/);
    const log = ws.map((w) => w.out).join('');
    for (const unit of ['bm25-lex seed 1', 'bm25-lex seed 2', 'zero-shot seed 1', 'zero-shot seed 2']) {
      expect(log.match(new RegExp(`twice unit ${unit} fold 0: started`, 'g')), unit).toHaveLength(1);
    }
    expect(log.match(/twice teacher: started/g)).toHaveLength(1);
    const table = new Cli(['queue', 'status', '--queue', redis.url, '--queue-name', queueName]);
    expect(await table.exit).toBe(0);
    expect(table.out).toMatch(/run twice \(config [0-9a-f]{16}\) on 'test-twice-.*' at redis:\/\/.*: 0 waiting, 0 active, 6 done, 0 failed/);
    expect(table.out).toMatch(/done\s+unit zero-shot seed 1 fold 0\s+\S+:\d+\s+[\d.]+ s\s+1\/3/);
    expect((await stopWorkers(ws)).every((c) => c === 0)).toBe(true);
  }, 300_000);
});
