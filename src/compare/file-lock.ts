/**
 * Exclusive locks on shared folders (a run folder, a shared teacher, one unit of a run), for every
 * process that writes them: two local `optical compare`s of the same config, queue workers on
 * several machines, or both at once.
 *
 * A lock is a small JSON file created with O_EXCL (atomic on local filesystems and on NFSv3+),
 * naming its holder (host, pid, boot id, command, start time) and a random token. The holder
 * touches it every `staleMs / 4`, so a lock can be judged abandoned two ways:
 *  - on the same machine (same host name and kernel boot id) as soon as the holder's pid is gone
 *    (`kill -9` of a compare or worker is recovered at once);
 *  - from another machine, when the file has not been touched for `staleMs` (default 5 min: long
 *    enough that a busy holder is never robbed, short enough that a dead machine's work moves on).
 * Recovery renames the abandoned file away first and checks it really was the file judged stale,
 * so two processes recovering the same lock at once cannot delete each other's fresh lock.
 */
import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface LockHolder {
  host: string;
  /** Kernel boot id: tells a reused host name on another machine (or after a reboot) apart. */
  bootId: string;
  pid: number;
  /** What holds it, e.g. `optical compare mini` or `optical worker (unit bl-cs seed 1 fold 0)`. */
  purpose: string;
  since: string;
  token: string;
}

export interface LockOptions {
  /** Shown to anyone who finds the lock held. */
  purpose: string;
  /** What the lock protects, for the error message (e.g. `run folder runs/mini`). */
  what: string;
  /** Wait for the holder to finish (polling) instead of throwing LockHeldError. */
  wait?: boolean;
  /** Give up waiting after this long (default: wait forever). */
  timeoutMs?: number;
  /** A lock untouched this long is abandoned even when its holder is on another machine. */
  staleMs?: number;
  pollMs?: number;
  /** Called once when the lock is found held and waiting starts. */
  onWait?: (holder: LockHolder | null) => void;
  /** Called when a heartbeat finds the lock taken over (this holder was judged dead). */
  onLost?: (path: string) => void;
}

/** The lock is held by a live process (and `wait` was not asked for, or timed out). */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(readonly path: string, readonly holder: LockHolder | null, what: string) {
    super(`${what} is in use by ${describeHolder(holder)} (lock ${path}); wait for it to finish or stop that process — a lock left by a killed process is recovered automatically`);
  }
}

export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'a process that is still writing its lock file';
  return `pid ${h.pid} on ${h.host} (${h.purpose}, since ${h.since})`;
}

let cachedBootId: string | undefined;
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      cachedBootId = 'unknown';
    }
  }
  return cachedBootId;
}

export function defaultStaleMs(): number {
  const env = Number(process.env.OPTICAL_LOCK_STALE_SECONDS);
  return Number.isFinite(env) && env > 0 ? env * 1000 : 5 * 60_000;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): LockHolder | null {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h.token === 'string' && typeof h.pid === 'number' ? h : null;
  } catch {
    return null;
  }
}

/** Why the lock at `path` may be taken over, or null while its holder may still be alive. */
function abandonment(path: string, staleMs: number): { holder: LockHolder | null; reason: string } | null {
  let mtime: number;
  try {
    mtime = statSync(path).mtimeMs;
  } catch {
    return null; // released meanwhile: the next create attempt decides
  }
  const holder = readHolder(path);
  const age = Date.now() - mtime;
  if (holder && holder.host === hostname() && holder.bootId === bootId() && !pidAlive(holder.pid)) {
    return { holder, reason: `its holder pid ${holder.pid} on this machine is gone` };
  }
  // An unreadable file younger than a few seconds is a holder between create and write.
  if (age > staleMs || (!holder && age > Math.min(staleMs, 10_000))) {
    return { holder, reason: `it was last touched ${(age / 1000).toFixed(0)} s ago` };
  }
  return null;
}

export class FileLock {
  private heartbeat: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(readonly path: string, readonly holder: LockHolder, private readonly onLost?: (path: string) => void) {}

  /** Takes the lock at `path` (its folder is created), waiting or throwing LockHeldError when it is held. */
  static async acquire(path: string, options: LockOptions): Promise<FileLock> {
    const staleMs = options.staleMs ?? defaultStaleMs();
    const pollMs = options.pollMs ?? 500;
    const start = Date.now();
    let announced = false;
    mkdirSync(dirname(path), { recursive: true });
    for (;;) {
      const lock = FileLock.tryCreate(path, options, staleMs);
      if (lock) return lock;
      const stale = abandonment(path, staleMs);
      if (stale) {
        FileLock.recover(path, stale.holder);
        continue;
      }
      const holder = readHolder(path);
      if (!options.wait || (options.timeoutMs !== undefined && Date.now() - start > options.timeoutMs)) {
        throw new LockHeldError(path, holder, options.what);
      }
      if (!announced) {
        options.onWait?.(holder);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Runs `fn` holding the lock; releases it afterwards, also when `fn` throws. */
  static async with<T>(path: string, options: LockOptions, fn: (lock: FileLock) => Promise<T>): Promise<T> {
    const lock = await FileLock.acquire(path, options);
    try {
      return await fn(lock);
    } finally {
      lock.release();
    }
  }

  private static tryCreate(path: string, options: LockOptions, staleMs: number): FileLock | null {
    const holder: LockHolder = {
      host: hostname(), bootId: bootId(), pid: process.pid, purpose: options.purpose,
      since: new Date().toISOString(), token: randomBytes(12).toString('hex'),
    };
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw err;
    }
    try {
      writeSync(fd, JSON.stringify(holder) + '\n');
    } finally {
      closeSync(fd);
    }
    const lock = new FileLock(path, holder, options.onLost);
    lock.heartbeat = setInterval(() => lock.touch(), Math.max(50, staleMs / 4));
    lock.heartbeat.unref();
    return lock;
  }

  /** Moves an abandoned lock aside; puts it back when it turns out to be someone's fresh lock. */
  private static recover(path: string, judged: LockHolder | null): void {
    const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(path, aside);
    } catch {
      return; // someone else moved or released it: retry
    }
    const moved = readHolder(aside);
    if (judged && moved && moved.token !== judged.token) {
      // Another process recovered and re-took the lock between our check and the rename.
      try {
        linkSync(aside, path);
      } catch {
        // a third process holds `path` now; the owner of `moved` learns it lost the lock on its next heartbeat
      }
    }
    rmSync(aside, { force: true });
  }

  /** True while the lock file still carries this holder's token. */
  stillHeld(): boolean {
    return !this.released && readHolder(this.path)?.token === this.holder.token;
  }

  private touch(): void {
    if (!this.stillHeld()) {
      clearInterval(this.heartbeat);
      this.onLost?.(this.path);
      return;
    }
    const now = new Date();
    try {
      utimesSync(this.path, now, now);
    } catch {
      // a shared filesystem hiccup: the next beat retries
    }
  }

  release(): void {
    if (this.released) return;
    clearInterval(this.heartbeat);
    if (this.stillHeld()) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
    this.released = true;
  }
}

/** Holder of the lock at `path`, or null when it is free (or abandoned). */
export function lockHolder(path: string, staleMs = defaultStaleMs()): LockHolder | null {
  if (!existsSync(path)) return null;
  return abandonment(path, staleMs) ? null : readHolder(path);
}
