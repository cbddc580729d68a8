/**
 * GPU Sinkhorn benchmark: runs the CUDA addon on ragged token-level batches and prints the measured
 * time next to the roofline model of bench/cuda/roofline.ts. Without a usable GPU it prints the model
 * alone and says why the GPU was not used.
 *
 *   npm run build:ts && node dist/bench/cuda/main.js [--iters 100] [--repeats 5]
 *
 * The timed call is the whole sinkhorn() call (copies included), with tol = 0 so that every problem
 * runs exactly `iters` iterations and the model's iteration count is exact.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon, NativeOptions } from '../../src/ot/native-addon.js';
import { compareWithModel, sinkhornRoofline } from './roofline.js';

interface Case {
  label: string;
  B: number;
  n: number;
  m: number;
  method: 'log' | 'scaling';
}

const CASES: Case[] = [
  { label: 'query×passage tokens', B: 256, n: 32, m: 128, method: 'log' },
  { label: 'query×passage tokens', B: 256, n: 32, m: 128, method: 'scaling' },
  { label: 'sentence pairs', B: 1024, n: 48, m: 48, method: 'log' },
  { label: 'passage pairs', B: 64, n: 128, m: 128, method: 'log' },
  { label: 'long documents (streaming)', B: 16, n: 512, m: 512, method: 'log' },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

function options(method: 'log' | 'scaling', iters: number): NativeOptions {
  return { eps: 0.05, maxIter: iters, tol: 0, checkEvery: 10, method, errorNorm: 'l1', rho: Infinity, epsInit: 0.05, epsDecay: 1, threads: 0 };
}

function batch(c: Case) {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const cost = new Float32Array(c.B * c.n * c.m);
  for (let i = 0; i < cost.length; i++) cost[i] = next();
  return { rows: new Int32Array(c.B).fill(c.n), cols: new Int32Array(c.B).fill(c.m), cost };
}

function main(): void {
  const iters = arg('iters', 100);
  const repeats = arg('repeats', 5);
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  // From dist/bench/cuda the package root is one level further up.
  const path = [resolve(root, 'build-cuda/Release/optical_cuda.node'), resolve(root, '..', 'build-cuda/Release/optical_cuda.node')].find(existsSync);
  let addon: NativeAddon | undefined;
  let why = 'build-cuda/Release/optical_cuda.node is not built (npm run build:cuda)';
  if (path) {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
    const probe = addon.probe?.();
    if (!probe?.available) {
      why = probe?.reason ?? 'the addon has no probe()';
      addon = undefined;
    } else {
      process.stdout.write(`GPU: ${probe.devices.map((d) => `${d.name} (sm_${d.computeCapability.replace('.', '')})`).join(', ')}\n`);
    }
  }
  if (!addon) process.stdout.write(`No GPU run: ${why}. Model only.\n`);
  process.stdout.write(`${iters} iterations per call, tol = 0, eps = 0.05, best of ${repeats}\n\n`);
  for (const c of CASES) {
    const est = sinkhornRoofline({ B: c.B, n: c.n, m: c.m }, { method: c.method, checkEvery: 10 });
    const head = `${c.label.padEnd(28)} B=${c.B} ${c.n}×${c.m} ${c.method.padEnd(7)}`;
    if (!addon) {
      process.stdout.write(`${head} model ${(est.totalSeconds(iters) * 1e3).toPrecision(3)} ms (${est.boundBy}-bound; ${est.onChipProblems} on-chip, ${est.streamingProblems} streaming)\n`);
      continue;
    }
    const p = batch(c);
    const o = options(c.method, iters);
    addon.sinkhornSync(p, o); // warm-up: context creation, module load
    let best = Infinity;
    for (let r = 0; r < repeats; r++) {
      const t0 = process.hrtime.bigint();
      addon.sinkhornSync(p, o);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    process.stdout.write(`${head} ${compareWithModel(best, iters, est)}\n`);
  }
}

main();
