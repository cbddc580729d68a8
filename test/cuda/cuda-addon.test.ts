/**
 * The CUDA addon (build-cuda/Release/optical_cuda.node, `npm run build:cuda`).
 *
 * Always: the addon is built (a missing build fails under CI, skips locally), loads on this machine
 * whether or not a driver exists, reports the machine through probe(), and its compute entry points
 * fail with a clear Error — never a crash — when there is no usable device.
 * With a GPU (probe().available): the kernels agree with the CPU addon and the pure-TS oracle, on the
 * on-chip and the streaming path, sync and async, and a failed call leaves the addon usable. Without
 * one these are skipped and the reason is printed.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CudaProbe, NativeAddon } from '../../src/ot/native-addon.js';
import { costMatricesReference } from '../../src/ot/reference/cost.js';
import { otLossReference } from '../../src/ot/reference/loss.js';
import { sinkhornReference } from '../../src/ot/reference/sinkhorn.js';
import { maxRelDiff, nativeOptions, randomEmbeddings, rng, type Shape } from '../helpers/ot.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cudaPath = resolve(root, process.env.OPTICAL_CUDA_PATH ?? 'build-cuda/Release/optical_cuda.node');
const cpuPath = resolve(root, process.env.OPTICAL_NATIVE_PATH ?? 'build/Release/optical.node');
const load = createRequire(import.meta.url);

const built = existsSync(cudaPath);
const cuda: NativeAddon | undefined = built ? (load(cudaPath) as NativeAddon) : undefined;
const probe: CudaProbe | undefined = cuda?.probe?.();
const gpu = probe?.available === true;
if (!built) console.warn(`CUDA addon tests: ${cudaPath} is not built (npm run build:cuda)${process.env.CI ? ' — required in CI' : '; skipping'}`);
else if (!gpu) console.info(`CUDA kernel tests skipped: ${probe?.reason ?? 'probe() missing'}`);


function problem(seed: number, shapes: Shape[], weights = false) {
  const r = rng(seed);
  const rows = Int32Array.from(shapes.map((s) => s[0]));
  const cols = Int32Array.from(shapes.map((s) => s[1]));
  const cost = Float32Array.from({ length: shapes.reduce((acc, [n, m]) => acc + n * m, 0) }, () => r());
  if (!weights) return { rows, cols, cost };
  const marg = (sizes: Int32Array, maskEvery: number) => {
    const out = new Float32Array(sizes.reduce((a, v) => a + v, 0));
    let o = 0;
    for (const n of sizes) {
      let s = 0;
      for (let i = 0; i < n; i++) s += out[o + i] = n > 2 && i % maskEvery === 1 ? 0 : 0.2 + r();
      for (let i = 0; i < n; i++) out[o + i] /= s;
      o += n;
    }
    return out;
  };
  return { rows, cols, cost, a: marg(rows, 3), b: marg(cols, 4) };
}

const opts = nativeOptions;

/** Embeddings in [−0.5, 0.5): the scale the CUDA tolerances below were set for. */
function embeddings(seed: number, shapes: Shape[], dim: number) {
  return randomEmbeddings(seed, shapes, dim, -0.5, 0.5);
}

describe('CUDA addon: build, load, probe (runs everywhere)', () => {
  it('is built (npm run build:cuda); required in CI', (ctx) => {
    if (!built && !process.env.CI) ctx.skip();
    expect(built, `${cudaPath} is missing: npm run build:cuda must produce it`).toBe(true);
  });

  describe.skipIf(!built)('the built addon', () => {
    it('exports the NativeAddon contract with backend "cuda" and probe()', () => {
      expect(cuda!.backend).toBe('cuda');
      expect(typeof cuda!.version).toBe('string');
      expect(cuda!.threads()).toBe(1);
      for (const fn of ['sinkhornSync', 'sinkhorn', 'costMatricesSync', 'costMatrices', 'otLossSync', 'otLoss', 'probe'] as const) {
        expect(typeof cuda![fn], fn).toBe('function');
      }
    });

    it('probe() describes the machine: runtime 13.x, consistent device list, a reason', () => {
      const p = probe!;
      expect(p.runtimeVersion).toBeGreaterThanOrEqual(13000);
      expect(p.reason.length).toBeGreaterThan(10);
      expect(p.devices.length).toBe(p.deviceCount);
      if (p.available) {
        expect(p.deviceCount).toBeGreaterThan(0);
        expect(p.driverVersion).toBeGreaterThanOrEqual(p.runtimeVersion);
        for (const d of p.devices) {
          expect(d.name.length).toBeGreaterThan(0);
          expect(d.computeCapability).toMatch(/^\d+\.\d+$/);
          expect(d.totalMemory).toBeGreaterThan(0);
        }
      } else if (p.driverVersion === 0) {
        // No NVIDIA driver at all (this CI machine): say which driver the runtime needs.
        expect(p.deviceCount).toBe(0);
        expect(p.reason).toMatch(/CUDA runtime 13\.\d+ needs driver ≥ 580; found none/);
      } else {
        expect(p.reason).toMatch(/device|driver/i);
      }
    });

    it('on a machine without an NVIDIA driver, probe() reports driver version 0 and no devices', (ctx) => {
      if (existsSync('/proc/driver/nvidia/version')) ctx.skip();
      expect(probe!.available).toBe(false);
      expect(probe!.driverVersion).toBe(0);
      expect(probe!.deviceCount).toBe(0);
      expect(probe!.devices).toEqual([]);
      // probe() is cached and cheap: the same answer again.
      expect(cuda!.probe!()).toEqual(probe);
    });

    it.skipIf(gpu)('without a device every compute entry point fails with a clear Error (sync throws, async rejects)', async () => {
      const p = problem(1, [[2, 3]]);
      const pairs = embeddings(2, [[2, 3]], 4);
      const loss = { rows: pairs.rows, cols: pairs.cols, dim: 4, teacher: pairs.x, student: pairs.y };
      const message = /optical cuda: no usable CUDA device: .+/;
      const check = (e: unknown) => {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(message);
        expect((e as Error).message).toContain(probe!.reason);
        expect((e as { code?: string }).code).toBe('ERR_OPTICAL_NO_CUDA_DEVICE');
      };
      for (const call of [
        () => cuda!.sinkhornSync(p, opts()),
        () => cuda!.costMatricesSync(pairs, { ...opts(), kind: 'cosine' }),
        () => cuda!.otLossSync(loss, { ...opts(), kind: 'dot' }),
      ]) {
        let thrown: unknown;
        try { call(); } catch (e) { thrown = e; }
        check(thrown);
      }
      for (const call of [
        () => cuda!.sinkhorn(p, opts()),
        () => cuda!.costMatrices(pairs, { ...opts(), kind: 'sqeuclidean' }),
        () => cuda!.otLoss(loss, opts()),
      ]) {
        let rejected: unknown;
        await call().catch((e: unknown) => { rejected = e; });
        check(rejected);
      }
      // Still usable afterwards.
      expect(cuda!.probe!().available).toBe(false);
    });
  });
});

describe.skipIf(!gpu)('CUDA kernels on the GPU', () => {
  const cpu: NativeAddon | undefined = existsSync(cpuPath) ? (load(cpuPath) as NativeAddon) : undefined;
  const shapes: Shape[] = [[1, 1], [3, 7], [17, 5], [40, 33], [70, 129], [9, 64]];

  for (const method of ['log', 'scaling', 'auto'] as const) {
    it(`${method}: matches the TS oracle (ragged batch, masked weights)`, () => {
      const p = problem(10, shapes, true);
      // tol 1e-6: the float32 kernels' marginal error has a floor near 1e-7 (as on the CPU).
      const o = opts({ method, eps: 0.05, tol: 1e-6, maxIter: 3000, checkEvery: 10 });
      const got = cuda!.sinkhornSync(p, o);
      const ref = sinkhornReference(p, o);
      expect(maxRelDiff(got.plan, ref.plan)).toBeLessThan(2e-4);
      shapes.forEach((_, k) => {
        expect(Math.abs(got.cost[k] - ref.cost[k]), `cost ${k}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.cost[k])));
        expect(Math.abs(got.value[k] - ref.value[k]), `value ${k}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.value[k])));
        expect(got.converged[k], `problem ${k}`).toBe(1);
        expect(got.error[k]).toBeLessThanOrEqual(1e-6);
      });
      for (const v of [...got.f, ...got.g]) expect(Number.isFinite(v)).toBe(true);
    });
  }

  it.skipIf(!cpu)('agrees with the CPU addon: unbalanced, eps schedule, L2, tol = 0', () => {
    const p = problem(11, shapes, true);
    for (const o of [
      opts({ rho: 0.5, eps: 0.05 }),
      opts({ eps: 0.02, epsInit: 1, epsDecay: 0.8, maxIter: 2000 }),
      opts({ errorNorm: 'l2', tol: 0, maxIter: 37, checkEvery: 5, method: 'log' }),
    ]) {
      const a = cpu!.sinkhornSync(p, o);
      const b = cuda!.sinkhornSync(p, o);
      expect(maxRelDiff(a.plan, b.plan)).toBeLessThan(2e-4);
      expect(maxRelDiff(a.value, b.value)).toBeLessThan(2e-4);
      a.iterations.forEach((it, k) => expect(Math.abs(it - b.iterations[k]), `iterations ${k}`).toBeLessThanOrEqual(o.checkEvery));
    }
  });

  it('the streaming path (problems larger than shared memory) agrees with the oracle', () => {
    const big: Shape[] = [[300, 400], [6, 600]];
    const p = problem(12, big, true);
    for (const method of ['log', 'auto'] as const) {
      const o = opts({ method, eps: 0.05, tol: 1e-6, maxIter: 2000 });
      const got = cuda!.sinkhornSync(p, o);
      const ref = sinkhornReference(p, o);
      expect(maxRelDiff(got.plan, ref.plan)).toBeLessThan(5e-4);
      big.forEach((_, k) => expect(got.converged[k]).toBe(1));
    }
  });

  it('async results equal the sync ones bit for bit', async () => {
    const p = problem(13, shapes, true);
    const o = opts({ eps: 0.05 });
    const s = cuda!.sinkhornSync(p, o);
    const a = await cuda!.sinkhorn(p, o);
    expect(Array.from(a.plan)).toEqual(Array.from(s.plan));
    expect(Array.from(a.iterations)).toEqual(Array.from(s.iterations));
  });

  it('cost matrices match the oracle for every kind', () => {
    const pairs = embeddings(14, [[5, 7], [33, 40], [1, 3]], 45);
    for (const kind of ['cosine', 'sqeuclidean', 'dot'] as const) {
      const got = cuda!.costMatricesSync(pairs, { ...opts(), kind });
      const ref = costMatricesReference(pairs, { kind });
      for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-5 * (1 + Math.abs(ref[i])));
    }
  });

  it('otLoss: cost, value and gradient match the oracle for every kind', () => {
    const e = embeddings(15, [[6, 9], [20, 13]], 40);
    const input = { rows: e.rows, cols: e.cols, dim: e.dim, teacher: e.x, student: e.y };
    for (const kind of ['cosine', 'sqeuclidean', 'dot'] as const) {
      const o = { ...opts({ eps: 0.1, tol: 1e-6, maxIter: 3000 }), kind, returnPlan: true };
      const got = cuda!.otLossSync(input, o);
      const ref = otLossReference(input, o);
      expect(maxRelDiff(got.grad, ref.grad), kind).toBeLessThan(5e-4);
      expect(maxRelDiff(got.value, ref.value), kind).toBeLessThan(2e-4);
      expect(got.plan).toBeInstanceOf(Float32Array);
    }
  });

  it('a faulting kernel becomes an Error named after the CUDA error, and the next call works', async () => {
    const p = problem(17, [[4, 5]]);
    process.env.OPTICAL_CUDA_TEST_FAULT = '1';
    let thrown: unknown;
    try {
      cuda!.sinkhornSync(p, opts());
    } catch (e) {
      thrown = e;
    } finally {
      delete process.env.OPTICAL_CUDA_TEST_FAULT;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as { code?: string }).code).toBe('cudaErrorIllegalAddress');
    expect((thrown as Error).message).toMatch(/cudaErrorIllegalAddress/);
    const after = cuda!.sinkhornSync(p, opts());
    expect(after.converged[0]).toBe(1);
    const again = await cuda!.sinkhorn(p, opts());
    expect(Array.from(again.plan)).toEqual(Array.from(after.plan));
  });

  it('bad arguments give the same TypeError/RangeError as the CPU addon, and the addon stays usable', () => {
    const p = problem(16, [[2, 3]]);
    expect(() => cuda!.sinkhornSync({ ...p, cost: new Float32Array(5) }, opts())).toThrow(RangeError);
    expect(() => cuda!.sinkhornSync({ ...p, rows: [2] as unknown as Int32Array }, opts())).toThrow(TypeError);
    expect(() => cuda!.sinkhornSync(p, opts({ eps: -1 }))).toThrow(/options\.eps/);
    const ok = cuda!.sinkhornSync(p, opts());
    expect(ok.converged[0]).toBe(1);
  });
});
