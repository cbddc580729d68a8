/**
 * Test plumbing for queue mode: a Redis server (the one `.ci/run` starts, named by
 * OPTICAL_TEST_REDIS_URL, or a private throw-away `redis-server` when the binary is installed),
 * the compiled CLI (dist/, rebuilt when a source file is newer), and child processes whose output
 * can be awaited line by line. In CI a missing Redis fails the tests; elsewhere they skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

export const MAIN_JS = resolve('dist/src/cli/main.js');

function newestMtime(dir: string, ext: string): { path: string; mtime: number } {
  let best = { path: '', mtime: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const b = newestMtime(p, ext);
      if (b.mtime > best.mtime) best = b;
    } else if (entry.name.endsWith(ext)) {
      const m = statSync(p).mtimeMs;
      if (m > best.mtime) best = { path: p, mtime: m };
    }
  }
  return best;
}

/** Builds dist/ when a source file is newer than it (CI builds it in `npm ci`). */
export function ensureBuilt(): void {
  const src = newestMtime(resolve('src'), '.ts');
  const target = resolve('dist', relative(resolve('.'), src.path).replace(/\.ts$/, '.js'));
  if (existsSync(MAIN_JS) && existsSync(target) && statSync(target).mtimeMs >= src.mtime) return;
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building dist/ failed (npx tsc -p tsconfig.build.json)');
}

export function redisServerInstalled(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Why the queue tests cannot run here, or null. In CI they never skip: the missing piece is an error. */
export function queueSkipReason(): string | null {
  if (process.env.OPTICAL_TEST_REDIS_URL || redisServerInstalled()) return null;
  const reason = 'no Redis: set OPTICAL_TEST_REDIS_URL or install the Debian package redis-server';
  if (process.env.CI === 'true') return null; // the tests run and fail loudly with `reason`
  console.warn(`queue tests skipped: ${reason}`);
  return reason;
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

/** A throw-away redis-server on a free port with its data in a temporary folder. */
export class PrivateRedis {
  private proc: ChildProcess | undefined;
  private constructor(readonly port: number, readonly dir: string, private readonly appendOnly: boolean) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: { appendOnly?: boolean } = {}): Promise<PrivateRedis> {
    if (!redisServerInstalled()) throw new Error('redis-server is not installed (Debian package redis-server; .ci/install-deps installs it)');
    const r = new PrivateRedis(await freePort(), mkdtempSync(join(tmpdir(), 'optical-redis-')), options.appendOnly ?? false);
    await r.launch();
    return r;
  }

  /** (Re)starts the server on the same port and data folder (AOF replayed when enabled). */
  async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no',
      '--appendonly', this.appendOnly ? 'yes' : 'no', '--appendfsync', 'always', '--maxmemory-policy', 'noeviction'];
    this.proc = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (spawnSync('redis-cli', ['-p', String(this.port), 'ping'], { encoding: 'utf8' }).stdout?.trim() === 'PONG') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`redis-server on port ${this.port} did not answer`);
  }

  /** Kills the server without letting it save anything (a crash). */
  async crash(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    await this.crash();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The Redis of this test file: .ci/run's (OPTICAL_TEST_REDIS_URL) or a private one. */
export async function testRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const env = process.env.OPTICAL_TEST_REDIS_URL;
  if (env) return { url: env, stop: async () => {} };
  if (!redisServerInstalled()) throw new Error('queue tests need Redis: set OPTICAL_TEST_REDIS_URL (.ci/run does) or install the Debian package redis-server');
  const r = await PrivateRedis.start();
  return { url: r.url, stop: () => r.stop() };
}

/** A CLI process whose output (stdout + stderr) is collected and can be awaited. */
export class Cli {
  readonly proc: ChildProcess;
  out = '';
  readonly exit: Promise<number>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.proc = spawn(process.execPath, [MAIN_JS, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    this.proc.stderr!.on('data', (d: Buffer) => { this.out += d.toString(); });
    this.exit = new Promise((res) => this.proc.on('exit', (code, signal) => res(code ?? (signal === 'SIGKILL' ? 137 : 128))));
  }

  get pid(): number {
    return this.proc.pid!;
  }

  /** Resolves with the first match of `re` in the output (waiting up to `timeoutMs`). */
  async waitFor(re: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
    const t0 = Date.now();
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.proc.exitCode !== null || Date.now() - t0 > timeoutMs) throw new Error(`no ${re} in the output of ${this.proc.spawnargs.slice(2).join(' ')}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function waitUntil(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A queue name no other test (or test run) uses. */
export function uniqueQueueName(label: string): string {
  return `test-${label}-${process.pid}-${Date.now().toString(36)}`;
}
