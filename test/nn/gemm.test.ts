/**
 * The native GEMM (native/nn/gemm.h through the addon's gemm()): every transpose combination, edge
 * and odd shapes, leading dimensions, alpha/beta, strided batches — against a float64 reference with
 * the rigorous float32 error bound — and bit-identical results for 1 and 2 threads.
 *
 * ISA levels: the kernels are chosen once per process (OPTICAL_ISA), so with OPTICAL_ISA unset this
 * file re-runs itself in a child vitest for every lower level the CPU supports; with OPTICAL_ISA set
 * (a child, or the CI loop over levels) it tests that level only.
 * OpenBLAS (loaded at run time when Debian libopenblas0 is installed): the same checks on
 * backend 'openblas'; in CI its absence fails, elsewhere it skips with the reason.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addon, addonPath, rng } from '../native/helpers.js';
import { nativeGemm, type GemmArgs, type GemmBackend, type IsaLevel } from '../../src/models/native-gemm.js';

const native = nativeGemm(addon);
const info = native.gemmInfo();
const LEVELS: IsaLevel[] = ['baseline', 'x86-64-v3', 'x86-64-v4'];

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Extra floats added to each default leading dimension. */
  pad?: [number, number, number];
  batch?: number;
  /** Extra floats between batch entries; strideA = 0 when shareA. */
  gap?: number;
  shareA?: boolean;
}

interface Built {
  args: GemmArgs;
  c0: Float32Array;
}

function build(cs: Case, seed: number): Built {
  const r = rng(seed);
  const { m, n, k } = cs;
  const transA = cs.transA ?? false;
  const transB = cs.transB ?? false;
  const [pa, pb, pc] = cs.pad ?? [0, 0, 0];
  const lda = Math.max(1, transA ? m : k) + pa;
  const ldb = Math.max(1, transB ? k : n) + pb;
  const ldc = Math.max(1, n) + pc;
  const batch = cs.batch ?? 1;
  const gap = cs.gap ?? 0;
  const strideA = cs.shareA ? 0 : (transA ? k : m) * lda + gap;
  const strideB = (transB ? n : k) * ldb + gap;
  const strideC = m * ldc + gap;
  const a = new Float32Array(Math.max(1, strideA * (batch - 1) + (transA ? k : m) * lda));
  const b = new Float32Array(Math.max(1, strideB * (batch - 1) + (transB ? n : k) * ldb));
  const c = new Float32Array(Math.max(1, strideC * (batch - 1) + m * ldc));
  for (let i = 0; i < a.length; i++) a[i] = r() * 2 - 1;
  for (let i = 0; i < b.length; i++) b[i] = r() * 2 - 1;
  for (let i = 0; i < c.length; i++) c[i] = r() * 2 - 1;
  const args: GemmArgs = { a, b, c, m, n, k, transA, transB, lda, ldb, ldc, batch, strideA, strideB, strideC };
  if (cs.alpha !== undefined) args.alpha = cs.alpha;
  if (cs.beta !== undefined) args.beta = cs.beta;
  return { args, c0: c.slice() };
}

/**
 * Checks args.c against the float64 product of the inputs (c0 = c before the call): every entry
 * within the float32 bound (K + 8)·2⁻²⁴·(|alpha|·Σ|a·b| + |beta·c0|) (summation, the beta·C product
 * and the final update each round once per step), entries outside the matrices untouched.
 * Returns the largest error relative to its bound (≤ 1 passes).
 */
function checkAgainstReference({ args, c0 }: Built): number {
  const { a, b, c, m, n, k } = args;
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  const lda = args.lda!, ldb = args.ldb!, ldc = args.ldc!;
  const batch = args.batch ?? 1;
  const u = 2 ** -24;
  let worst = 0;
  const written = new Uint8Array(c.length);
  for (let t = 0; t < batch; t++) {
    const oa = t * args.strideA!, ob = t * args.strideB!, oc = t * args.strideC!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let sAbs = 0;
        for (let p = 0; p < k; p++) {
          const av = args.transA ? a[oa + p * lda + i] : a[oa + i * lda + p];
          const bv = args.transB ? b[ob + j * ldb + p] : b[ob + p * ldb + j];
          s += av * bv;
          sAbs += Math.abs(av * bv);
        }
        const prev = c0[oc + i * ldc + j];
        const ref = alpha * s + (beta === 0 ? 0 : beta * prev);
        const bound = (k + 8) * u * 1.01 * (Math.abs(alpha) * sAbs + (beta === 0 ? 0 : Math.abs(beta * prev))) + 1e-30;
        const got = c[oc + i * ldc + j];
        const err = Math.abs(got - ref) / bound;
        if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
        written[oc + i * ldc + j] = 1;
      }
    }
  }
  for (let i = 0; i < c.length; i++) {
    if (!written[i] && !Object.is(c[i], c0[i])) return Infinity; // padding / gaps must stay untouched
  }
  return worst;
}

function run(built: Built, backend: GemmBackend, threads = 0): Float32Array {
  built.args.c.set(built.c0);
  native.gemm({ ...built.args, backend, threads });
  return built.args.c;
}

function bitsEqual(x: Float32Array, y: Float32Array): boolean {
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const TRANSPOSES: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** Edge and odd shapes: register-tile edges (MR 12/6/4, NR 32/16/8), K-block edges (kc 384/256), primes. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 1, 7], [2, 3, 1], [7, 13, 17], [37, 53, 101], [5, 6, 7], [6, 16, 8], [11, 15, 9], [12, 32, 255],
  [13, 33, 256], [25, 31, 257], [14, 17, 383], [12, 64, 384], [29, 47, 385], [3, 130, 513], [130, 3, 769],
  [1, 97, 64], [97, 1, 64],
];

function shapeCases(): Case[] {
  const cases: Case[] = [];
  let v = 0;
  for (const [m, n, k] of SHAPES) {
    for (const [transA, transB] of TRANSPOSES) {
      const alpha = [1, -0.5, 2.5][v % 3];
      const beta = [0, 1, -1.5, 0.25][v % 4];
      const pad: [number, number, number] = v % 2 === 0 ? [0, 0, 0] : [1 + (v % 5), (v * 3) % 7, 2];
      cases.push({ m, n, k, transA, transB, alpha, beta, pad });
      v++;
    }
  }
  return cases;
}

function name(cs: Case): string {
  const t = `${cs.transA ? 'T' : 'N'}${cs.transB ? 'T' : 'N'}`;
  const extra = [cs.alpha !== undefined ? `α=${cs.alpha}` : '', cs.beta !== undefined ? `β=${cs.beta}` : '', cs.pad?.some((p) => p) ? 'padded' : '', cs.batch ? `batch ${cs.batch}` : '']
    .filter(Boolean).join(' ');
  return `${cs.m}×${cs.n}×${cs.k} ${t} ${extra}`;
}

/** The correctness and determinism checks, for one back end. */
function suite(backend: GemmBackend) {
  it('matches the float64 reference within the float32 bound: all transposes, edge and prime shapes, alpha/beta, lda > K', () => {
    const failures: string[] = [];
    shapeCases().forEach((cs, i) => {
      const built = build(cs, 100 + i);
      run(built, backend);
      const worst = checkAgainstReference(built);
      if (!(worst <= 1)) failures.push(`${name(cs)}: error ${worst.toFixed(2)}× the bound`);
    });
    expect(failures).toEqual([]);
  });

  it('beta = 0 never reads C (NaN in C does not propagate); K = 0 gives beta·C; alpha = 0 does not read A or B', () => {
    for (const [transA, transB] of TRANSPOSES) {
      const nanC = build({ m: 19, n: 23, k: 29, transA, transB, alpha: 1.5, beta: 0 }, 7);
      nanC.c0.fill(Number.NaN);
      run(nanC, backend);
      expect(checkAgainstReference(nanC)).toBeLessThanOrEqual(1);
      expect(nanC.args.c.every((x) => Number.isFinite(x))).toBe(true);

      const k0 = build({ m: 9, n: 40, k: 0, transA, transB, beta: -0.5 }, 8);
      run(k0, backend);
      for (let i = 0; i < 9 * 40; i++) expect(k0.args.c[i]).toBe(Math.fround(-0.5 * k0.c0[i]));
      const k0zero = build({ m: 9, n: 40, k: 0, transA, transB, beta: 0 }, 9);
      k0zero.c0.fill(Number.NaN);
      run(k0zero, backend);
      expect(Array.from(k0zero.args.c.subarray(0, 9 * 40))).toEqual(new Array(9 * 40).fill(0));

      const a0 = build({ m: 8, n: 8, k: 8, transA, transB, alpha: 0, beta: 2 }, 10);
      a0.args.a.fill(Number.NaN);
      a0.args.b.fill(Number.POSITIVE_INFINITY);
      run(a0, backend);
      for (let i = 0; i < 64; i++) expect(a0.args.c[i]).toBe(Math.fround(2 * a0.c0[i]));
    }
  });

  it('NaN and Inf in A or B propagate to the entries they touch', () => {
    const built = build({ m: 20, n: 40, k: 30 }, 11);
    built.args.a[3 * 30 + 5] = Number.NaN; // row 3 of A
    built.args.b[7 * 40 + 33] = Number.POSITIVE_INFINITY; // column 33 of B
    const c = run(built, backend);
    for (let j = 0; j < 40; j++) expect(Number.isNaN(c[3 * 40 + j])).toBe(true);
    for (let i = 0; i < 20; i++) if (i !== 3) expect(Math.abs(c[i * 40 + 33])).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(c[0])).toBe(true);
  });

  it('strided batches (attention shapes, padded strides, a shared A) match the reference and equal one call per entry bit for bit', () => {
    const cases: Case[] = [
      { m: 16, n: 16, k: 8, transB: true, batch: 6, alpha: 0.125 },
      { m: 13, n: 9, k: 17, batch: 5, gap: 3, pad: [1, 2, 3], beta: 1 },
      { m: 7, n: 33, k: 12, transA: true, transB: true, batch: 4, shareA: true, beta: -1 },
      { m: 24, n: 10, k: 24, transA: true, batch: 3 },
    ];
    cases.forEach((cs, i) => {
      const built = build(cs, 200 + i);
      const c = run(built, backend).slice();
      expect(checkAgainstReference(built), name(cs)).toBeLessThanOrEqual(1);
      // Entry by entry through the single-product path.
      const single = built.c0.slice();
      for (let t = 0; t < cs.batch!; t++) {
        const { args } = built;
        native.gemm({
          ...args, batch: 1, backend,
          a: args.a.subarray(t * args.strideA!), b: args.b.subarray(t * args.strideB!), c: single.subarray(t * args.strideC!),
        });
      }
      expect(bitsEqual(c, single), name(cs)).toBe(true);
    });
  });

  it('results are bit-identical for 1 and 2 threads (large and batched products, every transpose, denormal inputs)', () => {
    const cases: Case[] = [
      ...TRANSPOSES.map(([transA, transB]) => ({ m: 131, n: 197, k: 517, transA, transB, beta: 0.5 })),
      { m: 300, n: 64, k: 900, alpha: -1 },
      { m: 12, n: 1000, k: 300, transB: true },
      { m: 64, n: 64, k: 32, transB: true, batch: 24, alpha: 0.125 },
      { m: 64, n: 32, k: 64, transA: true, batch: 7 },
    ];
    cases.forEach((cs, i) => {
      const built = build(cs, 300 + i);
      if (i === 0) for (let q = 0; q < built.args.a.length; q += 3) built.args.a[q] *= 1e-38; // denormal products
      const one = run(built, backend, 1).slice();
      const two = run(built, backend, 2).slice();
      const all = run(built, backend, 0).slice();
      expect(bitsEqual(one, two), `${name(cs)}: 1 vs 2 threads`).toBe(true);
      expect(bitsEqual(one, all), `${name(cs)}: 1 thread vs the whole pool`).toBe(true);
      expect(checkAgainstReference(built), name(cs)).toBeLessThanOrEqual(1);
    });
  });
}

describe(`native GEMM, own kernels (${info.kernel}, ${info.isa})`, () => {
  it('gemmInfo says what runs; an OPTICAL_ISA level is honoured', () => {
    expect(['own', 'openblas']).toContain(info.backend);
    expect(LEVELS).toContain(info.isa);
    expect(info.kernel).toMatch(/^(avx512|avx2|portable) \d+x\d+$/);
    expect(info.threads).toBeGreaterThanOrEqual(1);
    const want = process.env.OPTICAL_ISA;
    if (want && (LEVELS as string[]).includes(want)) expect(info.isa).toBe(want);
    const expectedKernel = { 'x86-64-v4': 'avx512', 'x86-64-v3': 'avx2', baseline: 'portable' }[info.isa];
    expect(info.kernel.startsWith(expectedKernel)).toBe(true);
  });

  suite('own');

  it('gemmPeak measures a positive FMA throughput and rejects levels this CPU lacks', () => {
    const peak = native.gemmPeak({ threads: 1, seconds: 0.05 });
    expect(peak).toBeGreaterThan(0.1);
    expect(Number.isFinite(peak)).toBe(true);
    const unsupported = LEVELS.slice(LEVELS.indexOf(info.isa) + 1);
    // Only meaningful when the CPU itself lacks a level (a forced lower level still supports the higher ones).
    if (!process.env.OPTICAL_ISA) for (const isa of unsupported) expect(() => native.gemmPeak({ isa })).toThrow(RangeError);
    expect(() => native.gemmPeak({ isa: 'avx9' as IsaLevel })).toThrow(/args\.isa/);
    expect(() => native.gemmPeak({ seconds: -1 })).toThrow(/args\.seconds/);
  });
});

describe('native GEMM, OpenBLAS back end', () => {
  const why = info.openblasAvailable ? '' : info.openblas || info.note;
  if (!info.openblasAvailable && process.env.CI) {
    it('OpenBLAS (Debian libopenblas0, .ci/debian-packages) must be available in CI', () => {
      throw new Error(`OpenBLAS is not available in CI: ${why}`);
    });
  } else if (!info.openblasAvailable) {
    it.skip(`OpenBLAS not available (${why})`, () => {});
  } else {
    suite('openblas');
  }
});

describe('gemm argument checks name the argument', () => {
  const ok = (): GemmArgs => ({ a: new Float32Array(6), b: new Float32Array(12), c: new Float32Array(8), m: 2, n: 4, k: 3 });
  it.each<[string, (a: GemmArgs) => unknown, RegExp, ErrorConstructor]>([
    ['a not a Float32Array', (a) => ({ ...a, a: new Float64Array(6) }), /args\.a must be a Float32Array, got Float64Array/, TypeError],
    ['c missing', (a) => ({ ...a, c: undefined }), /args\.c must be a Float32Array, got undefined/, TypeError],
    ['m missing', (a) => ({ ...a, m: undefined }), /args\.m is required/, TypeError],
    ['k fractional', (a) => ({ ...a, k: 2.5 }), /args\.k must be an integer, got 2\.5/, TypeError],
    ['n negative', (a) => ({ ...a, n: -1 }), /args\.n must be an integer ≥ 0, got -1/, RangeError],
    ['lda below k', (a) => ({ ...a, lda: 2 }), /args\.lda must be an integer ≥ 3, got 2/, RangeError],
    ['ldb below k with transB', (a) => ({ ...a, transB: true, ldb: 2 }), /args\.ldb must be an integer ≥ 3/, RangeError],
    ['ldc below n', (a) => ({ ...a, ldc: 3 }), /args\.ldc must be an integer ≥ 4/, RangeError],
    ['a too short', (a) => ({ ...a, a: new Float32Array(5) }), /args\.a has 5 elements but .* need 6/, RangeError],
    ['b too short for ldb', (a) => ({ ...a, ldb: 5 }), /args\.b has 12 elements but .* need 14/, RangeError],
    ['c too short for the batch', (a) => ({ ...a, a: new Float32Array(12), b: new Float32Array(24), batch: 2 }), /args\.c has 8 elements but .* need 16/, RangeError],
    ['c entries overlapping', (a) => ({ ...a, a: new Float32Array(12), b: new Float32Array(24), c: new Float32Array(16), batch: 2, strideC: 4 }), /args\.strideC must be ≥ .*8/, RangeError],
    ['c aliasing a', (a) => { const buf = new Float32Array(20); return { ...a, a: buf.subarray(0, 6), c: buf.subarray(4, 12) }; }, /args\.c overlaps args\.a/, RangeError],
    ['alpha NaN', (a) => ({ ...a, alpha: Number.NaN }), /args\.alpha must be a finite float32 number/, RangeError],
    ['beta a string', (a) => ({ ...a, beta: '1' }), /args\.beta must be a number, got string/, TypeError],
    ['transA not boolean', (a) => ({ ...a, transA: 1 }), /args\.transA must be a boolean, got number/, TypeError],
    ['unknown backend', (a) => ({ ...a, backend: 'mkl' }), /args\.backend must be 'auto', 'own' or 'openblas', got 'mkl'/, RangeError],
    ['threads negative', (a) => ({ ...a, threads: -2 }), /args\.threads must be an integer ≥ 0/, RangeError],
  ])('%s', (_label, mutate, message, kind) => {
    const bad = mutate(ok()) as GemmArgs;
    expect(() => native.gemm(bad)).toThrow(kind);
    expect(() => native.gemm(bad)).toThrow(message);
  });

  it('not an object', () => {
    expect(() => (native.gemm as unknown as (x: unknown) => void)(5)).toThrow(/gemm: args must be an object, got number/);
  });

  it('arrays that are only too short for what is not read are accepted (k = 0 reads neither A nor B)', () => {
    const c = new Float32Array(8).fill(3);
    native.gemm({ a: new Float32Array(0), b: new Float32Array(0), c, m: 2, n: 4, k: 0, beta: 2 });
    expect(Array.from(c)).toEqual(new Array(8).fill(6));
  });
});

describe('OPTICAL_GEMM and OPTICAL_ISA are read once per process and reported', () => {
  const probe = (env: Record<string, string>) => {
    const r = spawnSync(process.execPath, ['-e', `console.log(JSON.stringify(require(${JSON.stringify(addonPath)}).gemmInfo()))`], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as typeof info;
  };
  it('own / openblas / a bad value', () => {
    const own = probe({ OPTICAL_GEMM: 'own' });
    expect(own.backend).toBe('own');
    expect(own.openblasAvailable).toBe(false);
    const bad = probe({ OPTICAL_GEMM: 'fastest' });
    expect(bad.note).toMatch(/OPTICAL_GEMM=fastest is not one of auto, own, openblas/);
    const blas = probe({ OPTICAL_GEMM: 'openblas' });
    if (info.openblasAvailable) expect(blas.backend).toBe('openblas');
    else expect(blas.note).toMatch(/OPTICAL_GEMM=openblas but/);
    const base = probe({ OPTICAL_ISA: 'baseline' });
    expect(base.isa).toBe('baseline');
    expect(base.kernel).toMatch(/^portable/);
  });

  it('without OpenBLAS: auto and OPTICAL_GEMM=openblas use the own kernels and say why; naming it is a RangeError', () => {
    const env = { ...process.env, OPTICAL_OPENBLAS: '/nonexistent/libopenblas.so.0', OPTICAL_GEMM: 'openblas' };
    const script = `const a = require(${JSON.stringify(addonPath)});
      const c = new Float32Array(4);
      a.gemm({ a: new Float32Array([1, 2, 3, 4]), b: new Float32Array([5, 6, 7, 8]), c, m: 2, n: 2, k: 2 });
      let err = '';
      try { a.gemm({ a: new Float32Array(4), b: new Float32Array(4), c, m: 2, n: 2, k: 2, backend: 'openblas' }); } catch (e) { err = e.constructor.name + ': ' + e.message; }
      console.log(JSON.stringify({ info: a.gemmInfo(), c: Array.from(c), err }));`;
    const r = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { info: typeof info; c: number[]; err: string };
    expect(out.info.openblasAvailable).toBe(false);
    expect(out.info.backend).toBe('own');
    expect(out.info.openblas).toMatch(/OpenBLAS not found .*libopenblas0/);
    expect(out.info.note).toMatch(/OPTICAL_GEMM=openblas but OpenBLAS not found/);
    expect(out.c).toEqual([19, 22, 43, 50]);
    expect(out.err).toMatch(/^RangeError: gemm: args\.backend is 'openblas' but OpenBLAS is not available/);
  });
});

// Every lower ISA level, in a child vitest running this file with OPTICAL_ISA set.
const lower = process.env.OPTICAL_ISA ? [] : LEVELS.slice(0, LEVELS.indexOf(info.isa));
describe.runIf(lower.length > 0)('every ISA level this CPU supports (child processes)', () => {
  it.each(lower)('OPTICAL_ISA=%s passes this whole file', (level) => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-gemm-isa-'));
    try {
      const report = join(dir, 'report.json');
      const env: Record<string, string | undefined> = { ...process.env, OPTICAL_ISA: level };
      for (const key of Object.keys(env)) if (key.startsWith('VITEST')) delete env[key];
      const root = resolve(import.meta.dirname, '..', '..');
      const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/nn/gemm.test.ts', '--reporter=json', `--outputFile=${report}`], {
        cwd: root, env, encoding: 'utf8', timeout: 300_000,
      });
      const json = JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number; testResults: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }[] };
      const failed = json.testResults.flatMap((f) => f.assertionResults).filter((t) => t.status === 'failed');
      expect(failed.map((t) => `${t.fullName}: ${t.failureMessages.join(' ').slice(0, 500)}`)).toEqual([]);
      expect(json.numPassedTests).toBeGreaterThan(10);
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
