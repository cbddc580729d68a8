/**
 * Faults in queue mode: a unit that throws is retried a bounded number of times, then reported
 * failed with its error while the finished units and the report survive; a worker that sees
 * another run folder puts the job back untouched and stops with exit code 2; Redis killed and
 * restarted (append-only file on) loses no finished unit and the run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig, type CompareConfig } from '../../../src/compare/config.js';
import type { StatusRow } from '../../../src/compare/queue/status.js';
import { Cli, ensureBuilt, PrivateRedis, queueSkipReason, testRedis, uniqueQueueName, waitUntil } from './helpers.js';

function config(name: string, methods: Record<string, unknown>[], seeds = [1]): CompareConfig {
  return validateCompareConfig({
    name,
    languages: ['sw'],
    data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], maxBitext: 60, englishPairs: 60 },
    model: { size: 'tiny', vocabSize: 600 },
    teacher: { steps: 4, batchSize: 4, pairs: 60 },
    budget: { steps: 2, batchSize: 4, maxLength: 24 },
    methods,
    seeds,
    stats: { bootstrap: 200, baseline: methods[0].name },
  });
}

const skip = queueSkipReason();

describe.skipIf(skip !== null)('queue mode faults', () => {
  let root: string;
  const procs: Cli[] = [];

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'optical-queue-faults-'));
  }, 180_000);

  afterAll(() => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    if (root) rmSync(root, { recursive: true, force: true });
  });

  function cli(args: string[]): Cli {
    const c = new Cli(args);
    procs.push(c);
    return c;
  }

  function writeConfig(cfg: CompareConfig): string {
    const path = join(root, `${cfg.name}.json`);
    writeFileSync(path, JSON.stringify(cfg));
    return path;
  }

  it('retries a failing unit a bounded number of times, reports it failed, keeps the rest; a worker with another view refuses', async () => {
    const redis = await testRedis();
    try {
      const cfg = config('retry', [{ name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' }, { name: 'bl-cs', kind: 'cs-finetune', p: 0.5 }]);
      const configPath = writeConfig(cfg);
      const shared = join(root, 'shared');
      // A damaged trainer checkpoint in bl-cs's work folder: every attempt of that unit throws.
      const ckpt = join(shared, 'retry', 'work', 'bl-cs', 'seed-1', 'fold-0', 'checkpoint');
      mkdirSync(ckpt, { recursive: true });
      writeFileSync(join(ckpt, 'trainer-state.json'), JSON.stringify({ fingerprint: { steps: 12345 } }));
      const queueName = uniqueQueueName('retry');
      const queue = ['--queue', redis.url, '--queue-name', queueName];
      const enqueue = cli(['compare', '--config', configPath, '--out', shared, ...queue, '--attempts', '2', '--detach']);
      expect(await enqueue.exit, enqueue.out).toBe(0);
      expect(enqueue.out).toMatch(/queued: run retry, 2 unit\(s\) to compute, 0 finished earlier/);

      // A worker whose --out is another (empty) folder: refuses the first job and stops, the job untouched.
      const elsewhere = join(root, 'not-shared');
      mkdirSync(elsewhere);
      const wrong = cli(['worker', ...queue, '--out', elsewhere, '--lock-seconds', '2']);
      expect(await wrong.exit, wrong.out).toBe(2);
      expect(wrong.out).toMatch(/refusing retry (teacher|unit bm25-lex seed 1 fold 0): .*retry[/\\]config\.json does not exist: this worker's --out \(.*not-shared\) is not the shared folder/);
      expect(wrong.out).toMatch(/the job goes back to the queue untouched/);

      const worker = cli(['worker', ...queue, '--out', shared, '--lock-seconds', '2']);
      const follow = cli(['compare', '--config', configPath, '--out', shared, ...queue, '--attempts', '2']);
      expect(await follow.exit, follow.out).toBe(1);
      expect(follow.out).toMatch(/1 unit\(s\) failed \(the report covers the finished ones; run the same command again to retry them\):\n\s+unit bl-cs seed 1 fold 0: .*checkpoint.*(damaged|cannot resume).*\(after 2 attempt\(s\)\)/);
      expect(follow.out).toMatch(/unit bl-cs seed 1 fold 0: attempt 1 failed \(.*checkpoint/);
      expect(worker.out).toMatch(/retry unit bl-cs seed 1 fold 0: failed \(attempt 1\/2\): .*checkpoint.*; will be retried \(1 attempt\(s\) left\)/);
      expect(worker.out).toMatch(/retry unit bl-cs seed 1 fold 0: failed \(attempt 2\/2\): .*checkpoint.*; no attempts left/);

      // The finished unit and the report of what exists are kept.
      const dir = join(shared, 'retry');
      expect(existsSync(join(dir, 'results', 'bm25-lex', 'seed-1', 'fold-0', 'result.json'))).toBe(true);
      expect(readFileSync(join(dir, 'report.md'), 'utf8')).toMatch(/\*\*bl-cs\*\* \(cs-finetune\): not finished/);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.complete).toBe(false);
      expect(manifest.failed).toEqual([{ unit: 'unit bl-cs seed 1 fold 0', error: expect.stringMatching(/checkpoint.* \(after 2 attempt\(s\)\)$/) }]);

      const st = cli(['queue', 'status', ...queue, '--run', 'retry', '--json']);
      expect(await st.exit).toBe(0);
      const rows = JSON.parse(st.out) as StatusRow[];
      const failed = rows.find((r) => r.job === 'unit bl-cs seed 1 fold 0')!;
      expect(failed).toMatchObject({ state: 'failed', attempts: 2, maxAttempts: 2 });
      expect(failed.error).toMatch(/checkpoint/);
      // The job the refusing worker held went back without using an attempt.
      for (const r of rows.filter((x) => x.state === 'done')) expect(r.attempts).toBe(1);
      const text = cli(['queue', 'status', ...queue, '--run', 'retry']);
      expect(await text.exit).toBe(0);
      expect(text.out).toMatch(/failed\s+unit bl-cs seed 1 fold 0\s+\S+\s+[\d.]+ s\s+2\/2\s+\S*checkpoint/);

      // The stale checkpoint removed, the same command computes only the failed unit.
      rmSync(join(shared, 'retry', 'work'), { recursive: true, force: true });
      const bm25 = statSync(join(dir, 'results', 'bm25-lex', 'seed-1', 'fold-0', 'result.json')).mtimeMs;
      const again = cli(['compare', '--config', configPath, '--out', shared, ...queue, '--attempts', '2']);
      expect(await again.exit, again.out).toBe(0);
      expect(again.out).toMatch(/queued run retry \(config [0-9a-f]{16}\) on .*: 1 unit\(s\) to compute, 1 already finished/);
      expect(statSync(join(dir, 'results', 'bm25-lex', 'seed-1', 'fold-0', 'result.json')).mtimeMs).toBe(bm25);
      const complete = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      expect(complete.complete).toBe(true);
      expect(complete.failed).toBeUndefined();

      worker.proc.kill('SIGTERM');
      expect(await worker.exit).toBe(0);
    } finally {
      await redis.stop();
    }
  }, 300_000);

  it('loses no finished unit when Redis is killed and restarted with its append-only file', async () => {
    const redis = await PrivateRedis.start({ appendOnly: true });
    try {
      const cfg = config('restart', [
        { name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' },
        { name: 'zero-shot', kind: 'zero-shot' },
        { name: 'bl-cs', kind: 'cs-finetune', p: 0.5, steps: 40 },
      ], [1, 2]);
      const configPath = writeConfig(cfg);
      const shared = join(root, 'restart-shared');
      mkdirSync(shared);
      const queue = ['--queue', redis.url, '--queue-name', uniqueQueueName('restart')];
      const workers = [0, 1].map(() => cli(['worker', ...queue, '--out', shared, '--lock-seconds', '2']));
      const compare = cli(['compare', '--config', configPath, '--out', shared, ...queue]);
      const results = join(shared, 'restart', 'results');
      const finished = ['bm25-lex/seed-1', 'bm25-lex/seed-2', 'zero-shot/seed-1'].map((u) => join(results, u, 'fold-0', 'result.json'));
      await waitUntil('three finished units', () => finished.every((f) => existsSync(f)), 240_000);
      const mtimes = finished.map((f) => statSync(f).mtimeMs);
      await redis.crash();
      await new Promise((r) => setTimeout(r, 2000));
      await redis.launch();

      expect(await compare.exit, compare.out).toBe(0);
      const manifest = JSON.parse(readFileSync(join(shared, 'restart', 'manifest.json'), 'utf8'));
      expect(manifest.complete).toBe(true);
      expect(manifest.failed).toBeUndefined();
      // The units finished before the crash were not computed again.
      expect(finished.map((f) => statSync(f).mtimeMs)).toEqual(mtimes);
      const log = workers.map((w) => w.out).join('');
      expect(log).toMatch(/Redis connection problem \(retrying\)|queue error \(retrying\)/);
      for (const w of workers) w.proc.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exit))).toEqual([0, 0]);
    } finally {
      await redis.stop();
    }
  }, 300_000);
});
