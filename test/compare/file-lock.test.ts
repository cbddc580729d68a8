/**
 * The locks that keep two processes from computing the same run folder, teacher or unit at once:
 * exclusive, naming their holder, recovered when the holder died (same machine: at once; another
 * machine: after staleMs without a heartbeat), and exclusive across real processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileLock, LockHeldError, lockHolder, type LockHolder } from '../../src/compare/file-lock.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'optical-lock-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opts = { purpose: 'test holder', what: 'the test resource' };

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function plant(path: string, holder: Partial<LockHolder>, ageMs = 0): void {
  const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  writeFileSync(path, JSON.stringify({ host: hostname(), bootId, pid: process.pid, purpose: 'planted', since: new Date().toISOString(), token: 'planted-token', ...holder }));
  if (ageMs > 0) {
    const t = new Date(Date.now() - ageMs);
    utimesSync(path, t, t);
  }
}

describe('FileLock', () => {
  it('is exclusive and names its holder to the process that is refused', async () => {
    const path = join(dir, 'a.lock');
    const lock = await FileLock.acquire(path, { ...opts, purpose: 'optical compare mini (in-process)' });
    const err = await FileLock.acquire(path, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toMatch(new RegExp(`the test resource is in use by pid ${process.pid} on ${hostname()} \\(optical compare mini \\(in-process\\), since \\d{4}-`));
    expect(lockHolder(path)?.pid).toBe(process.pid);
    lock.release();
    expect(existsSync(path)).toBe(false);
    const again = await FileLock.acquire(path, opts);
    again.release();
  });

  it('waits for the holder when asked to, telling who it waits for', async () => {
    const path = join(dir, 'b.lock');
    const first = await FileLock.acquire(path, opts);
    setTimeout(() => first.release(), 300);
    const waitedFor: (LockHolder | null)[] = [];
    const t0 = Date.now();
    const second = await FileLock.acquire(path, { ...opts, wait: true, pollMs: 50, onWait: (h) => waitedFor.push(h) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(waitedFor).toHaveLength(1);
    expect(waitedFor[0]?.token).toBe(first.holder.token);
    second.release();
    // A bounded wait gives up with the holder's name.
    const third = await FileLock.acquire(path, opts);
    await expect(FileLock.acquire(path, { ...opts, wait: true, pollMs: 20, timeoutMs: 100 })).rejects.toThrow(/in use by pid/);
    third.release();
  });

  it('recovers a lock whose holder on this machine is gone (kill -9) at once', async () => {
    const path = join(dir, 'c.lock');
    const pid = deadPid();
    plant(path, { pid });
    expect(lockHolder(path)).toBeNull();
    const lock = await FileLock.acquire(path, opts);
    expect(lock.holder.pid).toBe(process.pid);
    lock.release();
  });

  it('keeps a lock held from another machine until it has gone stale, then recovers it', async () => {
    const path = join(dir, 'd.lock');
    plant(path, { host: 'other-machine', bootId: 'x', pid: 1 });
    await expect(FileLock.acquire(path, { ...opts, staleMs: 60_000 })).rejects.toThrow(/in use by pid 1 on other-machine \(planted/);
    plant(path, { host: 'other-machine', bootId: 'x', pid: 1 }, 120_000);
    const lock = await FileLock.acquire(path, { ...opts, staleMs: 60_000 });
    expect(lock.holder.host).toBe(hostname());
    lock.release();
  });

  it('heartbeats while held, and never removes a lock that another process took over', async () => {
    const path = join(dir, 'e.lock');
    const lost: string[] = [];
    const lock = await FileLock.acquire(path, { ...opts, staleMs: 200, onLost: (p) => lost.push(p) });
    const old = new Date(Date.now() - 10_000);
    utimesSync(path, old, old);
    await new Promise((r) => setTimeout(r, 150));
    expect(Date.now() - statSync(path).mtimeMs).toBeLessThan(5_000);
    // Another process judged this holder dead and took the lock.
    plant(path, { host: 'other-machine', bootId: 'x', pid: 1, token: 'thief' });
    await new Promise((r) => setTimeout(r, 150));
    expect(lost).toEqual([path]);
    lock.release();
    expect(JSON.parse(readFileSync(path, 'utf8')).token).toBe('thief');
  });

  it('lets exactly one of several processes in at a time', async () => {
    const lockJs = resolve('dist/src/compare/file-lock.js');
    if (!existsSync(lockJs)) throw new Error('dist/ is not built: run npm run build:ts');
    const path = join(dir, 'f.lock');
    const log = join(dir, 'f.log');
    writeFileSync(log, '');
    const script = `
      import { FileLock } from ${JSON.stringify(lockJs)};
      import { appendFileSync } from 'node:fs';
      for (let i = 0; i < 5; i++) {
        await FileLock.with(${JSON.stringify(path)}, { purpose: 'p' + process.pid, what: 'f', wait: true, pollMs: 5 }, async () => {
          appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
          await new Promise((r) => setTimeout(r, 10));
          appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
        });
      }`;
    const runs = Array.from({ length: 4 }, () => new Promise<number>((res) => {
      spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }).on('exit', (code) => res(code ?? 1));
    }));
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(40);
    for (let i = 0; i < lines.length; i += 2) {
      expect(lines[i].startsWith('in ')).toBe(true);
      expect(lines[i + 1]).toBe(lines[i].replace('in ', 'out '));
    }
  }, 60_000);
});
