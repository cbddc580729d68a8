/**
 * The instruction-set level of the CPU kernels (native/core/isa.h): reported by the addon and by
 * backendInfo(), forced by OPTICAL_ISA (how CI runs the native suites once per level the machine
 * supports), and every level this machine can run computes the same results.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { backendInfo, resetBackends } from '../../src/ot/backend.js';
import { addon, addonPath, maxRelDiff } from './helpers.js';

const LEVELS = ['baseline', 'x86-64-v3', 'x86-64-v4'];

describe('ISA level of the CPU kernels', () => {
  const isa = addon.isa!();

  it('is reported by the addon: the active level, the best supported and the levels that can be forced', () => {
    expect(LEVELS).toContain(isa.active);
    expect(LEVELS).toContain(isa.supported);
    expect(isa.levels[0]).toBe('baseline');
    expect(isa.levels[isa.levels.length - 1]).toBe(isa.supported);
    expect(isa.levels).toContain(isa.active);
    expect(isa.requested).toBe(process.env.OPTICAL_ISA ?? '');
  });

  it('OPTICAL_ISA is honoured when the CPU supports the level (always so in CI), reported otherwise', () => {
    const want = process.env.OPTICAL_ISA;
    if (!want) {
      expect(isa.forced).toBe(false);
      expect(isa.active).toBe(isa.supported);
      return;
    }
    if (process.env.CI || isa.levels.includes(want)) {
      expect(isa.note).toBe('');
      expect(isa.forced).toBe(true);
      expect(isa.active).toBe(want);
    } else {
      expect(isa.note).toMatch(/OPTICAL_ISA=/);
      expect(isa.active).toBe(isa.supported);
    }
  });

  it('backendInfo() reports the same level for the cpu backend', () => {
    const saved = process.env.OPTICAL_NATIVE_PATH;
    process.env.OPTICAL_NATIVE_PATH = addonPath;
    resetBackends();
    try {
      const info = backendInfo('cpu');
      expect(info.isa?.active).toBe(isa.active);
      expect(info.attempts.find((a) => a.backend === 'cpu')?.reason).toContain(isa.active);
    } finally {
      if (saved === undefined) delete process.env.OPTICAL_NATIVE_PATH;
      else process.env.OPTICAL_NATIVE_PATH = saved;
      resetBackends();
    }
  });

  it('a level the CPU lacks or a misspelt one is refused with a note, never run', () => {
    const run = (value: string) => spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addonPath)}).isa()))`], {
      encoding: 'utf8',
      env: { ...process.env, OPTICAL_ISA: value },
    });
    const bogus = JSON.parse(run('avx1024').stdout) as typeof isa;
    expect(bogus.active).toBe(isa.supported);
    expect(bogus.note).toMatch(/OPTICAL_ISA=avx1024 is not one of baseline, x86-64-v3, x86-64-v4/);
    if (isa.supported !== 'x86-64-v4') {
      const tooHigh = JSON.parse(run('x86-64-v4').stdout) as typeof isa;
      expect(tooHigh.active).toBe(isa.supported);
      expect(tooHigh.note).toMatch(/not supported by this CPU/);
    }
  });

  it('every level this machine supports gives the same plans, potentials and gradients, without NaN', () => {
    // Each level runs in its own process (the choice is made once per process).
    const script = `
      const a = require(${JSON.stringify(addonPath)});
      let s = 12345;
      const r = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
      // Narrow, wide (one-pass iterations) and split-across-threads blocks; small eps exercises the fallback.
      const shapes = [[1, 1], [3, 5], [17, 9], [40, 300], [300, 400]];
      const rows = Int32Array.from(shapes.map((x) => x[0])), cols = Int32Array.from(shapes.map((x) => x[1]));
      const cost = Float32Array.from({ length: shapes.reduce((t, x) => t + x[0] * x[1], 0) }, () => 2 * r());
      const base = { maxIter: 60, tol: 0, checkEvery: 10, errorNorm: 'l1', rho: Infinity, epsDecay: 1, threads: 0 };
      const out = { isa: a.isa().active };
      for (const method of ['log', 'scaling', 'auto']) for (const eps of [0.1, 0.003]) {
        const res = a.sinkhornSync({ rows, cols, cost }, { ...base, method, eps, epsInit: eps });
        out[method + eps] = { plan: Array.from(res.plan), f: Array.from(res.f), g: Array.from(res.g), value: Array.from(res.value) };
      }
      const dim = 16, x = Float32Array.from({ length: 361 * dim }, () => r() - 0.5), y = Float32Array.from({ length: 715 * dim }, () => r() - 0.5);
      const loss = a.otLossSync({ rows, cols, dim, teacher: x, student: y }, { ...base, method: 'auto', eps: 0.05, epsInit: 0.05, kind: 'cosine' });
      out.grad = Array.from(loss.grad);
      out.costs = Array.from(a.costMatricesSync({ rows, cols, dim, x, y }, { ...base, method: 'auto', eps: 0.05, epsInit: 0.05, kind: 'sqeuclidean' }));
      process.stdout.write(JSON.stringify(out));
    `;
    const results = isa.levels.map((level) => {
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, OPTICAL_ISA: level }, maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(out.isa).toBe(level);
      return out;
    });
    const [ref, ...others] = results;
    for (const out of others) {
      for (const key of Object.keys(ref)) {
        if (key === 'isa') continue;
        const a = ref[key] as Record<string, number[]> | number[];
        const b = out[key] as Record<string, number[]> | number[];
        const pairs = Array.isArray(a) ? [[key, a, b as number[]] as const] : Object.keys(a).map((k) => [`${key}.${k}`, a[k], (b as Record<string, number[]>)[k]] as const);
        for (const [label, x, y] of pairs) {
          expect(y.every(Number.isFinite), `${out.isa} ${label} finite`).toBe(true);
          // Different vector widths sum in different orders: float rounding only (eps = 0.003 puts
          // ~|f|/eps · 6e-8 on plan entries).
          expect(maxRelDiff(y, x), `${out.isa} vs ${ref.isa}: ${label}`).toBeLessThan(label.includes('0.003') ? 1e-4 : 1e-5);
        }
      }
    }
  });
});
