/**
 * Runs the Python peers (peers.py: POT's scaling and log Sinkhorn looped over the batch, PyTorch
 * batched log-domain Sinkhorn, and the PyTorch OPTICAL step) on the inputs the harness generated,
 * and reads back their timings and plans. The interpreter is /usr/bin/python3 by default (the Debian
 * python3-pot / python3-torch packages), not whatever `python3` is first on PATH.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/ot/backend.js';
import type { SinkhornCase, StepCase } from './cases.js';
import type { TimingPolicy } from './timing.js';

export type PeerId = 'pot-scaling' | 'pot-log' | 'torch-log' | 'torch-step';

export interface PythonProbe {
  /** Whether POT and torch both import (the peers need both to be complete). */
  ok: boolean;
  python: string;
  versions: Record<string, string>;
  /** What is missing or why the interpreter could not run. */
  problem?: string;
}

export interface PeerResult {
  caseId: string;
  impl: PeerId;
  status: 'ok' | 'absent' | 'error';
  reason?: string;
  timesSec?: number[];
  warmupOnly?: boolean;
  planFile?: string;
  gradFile?: string;
  costFile?: string;
  iterations?: number[];
  /** torch rows: torch.get_num_threads() during the run. */
  threads?: number;
}

export interface PeerRun {
  results: PeerResult[];
}

export function peersScript(): string {
  return join(packageRoot(), 'bench', 'sinkhorn', 'peers.py');
}

/** `python -c "import ot, torch"` in spirit, but also reports versions and what is missing. */
export function probePython(python: string): PythonProbe {
  const r = spawnSync(python, [peersScript(), 'probe'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { ok: false, python, versions: {}, problem: `cannot run ${python}: ${r.error.message}` };
  if (r.status !== 0) return { ok: false, python, versions: {}, problem: `${python} peers.py probe exited ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  const info = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  const versions: Record<string, string> = {};
  for (const k of ['python', 'numpy', 'numpyBlas', 'scipy', 'pot', 'torch', 'torchBuild']) if (typeof info[k] === 'string') versions[k] = info[k] as string;
  const missing = (info.missing as string[] | undefined) ?? [];
  return { ok: missing.length === 0, python, versions, problem: missing.length ? `missing: ${missing.join(', ')}` : undefined };
}

export interface PeerManifestCase {
  id: string;
  B: number;
  n: number;
  m: number;
  eps: number;
  iters: number;
  costFile: string;
}

export interface PeerJob {
  python: string;
  workDir: string;
  cases: PeerManifestCase[];
  impls: PeerId[];
  step?: StepCase & { teacherFile: string; studentFile: string };
  policy: TimingPolicy;
  /** One torch row per entry (torch.set_num_threads before each). */
  torchThreads: number[];
}

/** Runs peers.py on the cases of one job (the harness sends one case at a time, so that peers and
 * local rows of a case share the same machine load). Progress goes to stderr. */
export async function runPeers(job: PeerJob): Promise<PeerRun> {
  const manifest = join(job.workDir, 'peers-manifest.json');
  const out = join(job.workDir, 'peers-out.json');
  writeFileSync(manifest, JSON.stringify({
    reps: job.policy.reps,
    warmup: job.policy.warmup,
    budgetSec: job.policy.budgetSec,
    torchThreads: job.torchThreads,
    outDir: job.workDir,
    impls: job.impls.filter((i) => i !== 'torch-step'),
    cases: job.cases,
    step: job.step ?? null,
  }));
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(job.python, [peersScript(), 'run', manifest, out], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new Error(`${job.python} peers.py exited with code ${code} (its stderr is above)`);
  return JSON.parse(readFileSync(out, 'utf8')) as PeerRun;
}

export function caseToManifest(c: SinkhornCase, costFile: string): PeerManifestCase {
  return { id: c.id, B: c.B, n: c.n, m: c.m, eps: c.eps, iters: c.iters, costFile };
}

/** Reads a little-endian float32 file written by peers.py. */
export function readFloat32File(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function readFloat64File(path: string): Float64Array {
  const buf = readFileSync(path);
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Writes a typed array as raw little-endian bytes (x86/ARM Node is little-endian). */
export function writeRaw(path: string, data: Float32Array): void {
  writeFileSync(path, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
