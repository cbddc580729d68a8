#!/usr/bin/env node
// One process of the GEMM benchmark (bench/nn/gemm-harness.ts spawns one per ISA level, with
// OPTICAL_ISA set, because the kernels are chosen once per process). Plain JavaScript so that the
// harness can start it both from dist/ and from the TypeScript sources under vitest.
//
// stdin: {"addonPath", "cases": [{id, m, n, k, batch, transA, transB}], "threads": [1, 2],
//         "impls": ["own"] | ["own", "openblas"], "budgetSec", "minReps", "peakSeconds" (0: no peak), "seed"}
// stdout (one JSON line): {"info": gemmInfo(), "peaks": [{threads, gflops}],
//         "rows": [{id, threads, impl, status, timesSec?, maxRelDiffVsOwn?, reason?}]}
//
// Timing: one untimed warm-up call, then calls until both minReps and budgetSec are reached (at
// most 1000); the harness reports the best and the median. Inputs are uniform in [−1, 1) from a
// fixed seed; beta = 0 (C is overwritten, as the engine's forward and backward products do).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const job = JSON.parse(readFileSync(0, 'utf8'));
const addon = createRequire(import.meta.url)(job.addonPath);
const info = addon.gemmInfo();

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function filled(length, r) {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = r() * 2 - 1;
  return x;
}

function maxRelDiff(x, ref) {
  let scale = 0;
  let d = 0;
  for (let i = 0; i < ref.length; i++) {
    scale = Math.max(scale, Math.abs(ref[i]));
    d = Math.max(d, Math.abs(x[i] - ref[i]));
  }
  return d / Math.max(scale, 1e-30);
}

function time(fn) {
  fn();
  const times = [];
  const start = performance.now();
  while (times.length < job.minReps || ((performance.now() - start) / 1000 < job.budgetSec && times.length < 1000)) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  return times;
}

const peaks = job.peakSeconds <= 0 ? [] : job.threads.map((threads) => ({ threads, gflops: addon.gemmPeak({ threads, seconds: job.peakSeconds }) }));
const rows = [];
const r = rng(job.seed);
for (const c of job.cases) {
  const a = filled(c.batch * c.m * c.k, r);
  const b = filled(c.batch * c.k * c.n, r);
  const own = new Float32Array(c.batch * c.m * c.n);
  const args = { m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, batch: c.batch, a, b };
  for (const threads of job.threads) {
    for (const impl of job.impls) {
      const row = { id: c.id, threads, impl };
      if (impl === 'openblas' && !info.openblasAvailable) {
        rows.push({ ...row, status: 'absent', reason: info.openblas || info.note });
        continue;
      }
      try {
        const out = impl === 'own' ? own : new Float32Array(own.length);
        const call = () => addon.gemm({ ...args, c: out, threads, backend: impl });
        row.timesSec = time(call);
        if (impl !== 'own') row.maxRelDiffVsOwn = maxRelDiff(out, own);
        row.status = 'ok';
      } catch (err) {
        row.status = 'error';
        row.reason = err.message;
      }
      rows.push(row);
    }
  }
}
process.stdout.write(`${JSON.stringify({ info, peaks, rows })}\n`);
