/**
 * Two local `optical compare`s at once (issue 11, point 5): a second compare of the same run is
 * refused naming the process that holds it; a compare of another run that shares the teacher waits
 * for that teacher instead of training it a second time; locks of a compare killed with SIGKILL are
 * recovered by the next compare, which resumes the teacher.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig, type CompareConfig } from '../../src/compare/config.js';
import { runCompare } from '../../src/compare/run-compare.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import { Cli, ensureBuilt, waitUntil } from './queue/helpers.js';

function config(name: string): CompareConfig {
  return validateCompareConfig({
    name,
    languages: ['sw'],
    data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], maxBitext: 60, englishPairs: 60 },
    model: { size: 'tiny', vocabSize: 600 },
    // Long enough for a second compare to arrive while the first trains it.
    teacher: { steps: 150, batchSize: 4, pairs: 60 },
    budget: { steps: 2, batchSize: 4, maxLength: 24 },
    methods: [{ name: 'bm25-lex', kind: 'bm25', translate: 'lexicon' }, { name: 'zero-shot', kind: 'zero-shot' }],
    seeds: [1],
    stats: { bootstrap: 200 },
  });
}

describe('locks of local compares', () => {
  let root: string;
  const procs: Cli[] = [];

  beforeAll(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), 'optical-compare-lock-'));
  }, 180_000);

  afterAll(() => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  function compareCli(cfg: CompareConfig, out: string): Cli {
    const path = join(root, `${cfg.name}.json`);
    writeFileSync(path, JSON.stringify(cfg));
    const c = new Cli(['compare', '--config', path, '--out', out]);
    procs.push(c);
    return c;
  }

  function teacherLog(out: string): string {
    const teachers = join(out, '.teachers');
    const key = readdirSync(teachers).find((d) => !d.endsWith('.lock'))!;
    return readFileSync(join(teachers, key, 'train-log.jsonl'), 'utf8');
  }

  it('refuses a second compare of the same run, naming the holder; a compare sharing the teacher waits and reuses it', async () => {
    const out = join(root, 'runs');
    // Two runs that share the teacher start together: one trains it, the other waits for it.
    const a = compareCli(config('lock-a'), out);
    const b = compareCli(config('lock-b'), out);
    await a.waitFor(/compare: teacher folder: /);
    // A third compare of run lock-a is refused at once.
    const err = await runCompare(config('lock-a'), { outRoot: out, englishPairs: sotuEnglishPairs }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(new RegExp(`run folder .*lock-a is in use by pid ${a.pid} on ${hostname()} \\(optical compare lock-a \\(in-process\\), since `));
    expect(await a.exit, a.out).toBe(0);
    expect(await b.exit, b.out).toBe(0);
    const [trainer, waiter] = /teacher: \d+ steps on/.test(a.out) ? [a, b] : [b, a];
    const trainerRun = trainer === a ? 'lock-a' : 'lock-b';
    expect(waiter.out).toMatch(new RegExp(`teacher [0-9a-f]{16} is being trained by pid ${trainer.pid} on ${hostname()} \\(optical compare ${trainerRun} \\(in-process\\): teacher of ${trainerRun}`));
    expect(waiter.out).toMatch(/teacher: reusing the finished teacher/);
    expect(waiter.out).not.toMatch(/teacher: \d+ steps on/);
    // Trained once: every step logged once, no interleaved second training.
    const steps = teacherLog(out).split('\n').filter((l) => l.includes('"type":"step"')).map((l) => JSON.parse(l).step as number);
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(150);
    const ma = JSON.parse(readFileSync(join(out, 'lock-a', 'manifest.json'), 'utf8')).teacher;
    const mb = JSON.parse(readFileSync(join(out, 'lock-b', 'manifest.json'), 'utf8')).teacher;
    expect(mb.modelSha256).toBe(ma.modelSha256);
    expect(existsSync(join(out, 'lock-a', 'locks', 'run.lock'))).toBe(false);
  }, 300_000);

  it('recovers the locks of a compare killed with SIGKILL and resumes its teacher', async () => {
    const out = join(root, 'killed');
    const victim = compareCli(config('lock-c'), out);
    // Killed after the teacher's first checkpoint (step 30 of 150), holding the run and teacher locks.
    await waitUntil('the teacher checkpoint', () => existsSync(join(out, '.teachers')) && readdirSync(join(out, '.teachers')).some((d) => existsSync(join(out, '.teachers', d, 'checkpoint', 'trainer-state.json'))), 120_000);
    victim.proc.kill('SIGKILL');
    await victim.exit;
    expect(existsSync(join(out, 'lock-c', 'locks', 'run.lock'))).toBe(true);
    const resumed = await runCompare(config('lock-c'), { outRoot: out, englishPairs: sotuEnglishPairs });
    expect(resumed.computed).toBe(2);
    expect(teacherLog(out)).toMatch(/"type":"resume"/);
    expect(JSON.parse(readFileSync(join(out, 'lock-c', 'manifest.json'), 'utf8')).complete).toBe(true);
  }, 300_000);
});
