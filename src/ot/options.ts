/**
 * Option defaults and checks. Turns the user-facing SinkhornOptions (POT/ott-jax style names) into
 * the fully specified NativeOptions that every backend receives, so that all backends run exactly
 * the same algorithm with the same numbers.
 */
import type { NativeOptions } from './native-addon.js';
import type { CostKind, CostOptions, OtLossOptions, SinkhornOptions } from './types.js';

export const DEFAULTS = {
  eps: 0.05,
  maxIter: 1000,
  tol: 1e-6,
  checkEvery: 10,
  method: 'auto',
  errorNorm: 'l1',
  kind: 'cosine',
} as const;

/** The option names each entry point knows; any other key is a RangeError that lists these. */
export const SINKHORN_OPTION_KEYS = ['eps', 'maxIter', 'tol', 'checkEvery', 'method', 'errorNorm', 'rho', 'tau', 'epsSchedule', 'backend', 'threads', 'warn', 'returnPlan'] as const;
export const LOSS_OPTION_KEYS = [...SINKHORN_OPTION_KEYS, 'kind'] as const;
export const COST_OPTION_KEYS = ['kind', 'backend', 'threads'] as const;
const EPS_SCHEDULE_KEYS = ['init', 'decay'] as const;

/**
 * Rejects keys of an options object that `fn` does not know (a misspelt `epsilon` would otherwise
 * be ignored and the default used), naming the key and listing the known ones.
 */
export function checkOptionKeys(fn: string, what: string, opts: object, known: readonly string[]): void {
  for (const key of Object.keys(opts)) {
    if (!known.includes(key)) {
      throw new RangeError(`${fn}: unknown option ${what}.${key}; known options: ${known.join(', ')}`);
    }
  }
}

const METHODS = ['auto', 'log', 'scaling'] as const;
const NORMS = ['l1', 'l2'] as const;
const KINDS: readonly CostKind[] = ['cosine', 'sqeuclidean', 'dot'];

function num(fn: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${fn}: options.${name} must be a number, got ${String(v)}`);
  return v;
}

function int(fn: string, name: string, v: unknown, fallback: number, min: number): number {
  const n = num(fn, name, v, fallback);
  if (!Number.isInteger(n)) throw new TypeError(`${fn}: options.${name} must be an integer, got ${n}`);
  if (n < min) throw new RangeError(`${fn}: options.${name} must be ≥ ${min}, got ${n}`);
  return n;
}

function oneOf<T extends string>(fn: string, name: string, v: unknown, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new RangeError(`${fn}: options.${name} must be one of ${allowed.map((s) => `'${s}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** Normalises and checks Sinkhorn options (`known`: the keys the calling entry point accepts). */
export function sinkhornOptions(fn: string, opts: SinkhornOptions = {}, known: readonly string[] = SINKHORN_OPTION_KEYS): NativeOptions {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  checkOptionKeys(fn, 'options', opts, known);
  const eps = num(fn, 'eps', opts.eps, DEFAULTS.eps);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new RangeError(`${fn}: options.eps must be a finite number > 0, got ${eps}`);
  const maxIter = int(fn, 'maxIter', opts.maxIter, DEFAULTS.maxIter, 1);
  const tol = num(fn, 'tol', opts.tol, DEFAULTS.tol);
  if (!(tol >= 0)) throw new RangeError(`${fn}: options.tol must be ≥ 0, got ${tol}`);
  const checkEvery = int(fn, 'checkEvery', opts.checkEvery, DEFAULTS.checkEvery, 1);
  const method = oneOf(fn, 'method', opts.method, METHODS, DEFAULTS.method);
  const errorNorm = oneOf(fn, 'errorNorm', opts.errorNorm, NORMS, DEFAULTS.errorNorm);
  const threads = int(fn, 'threads', opts.threads, 0, 0);

  let rho = Infinity;
  if (opts.rho !== undefined && opts.tau !== undefined) throw new TypeError(`${fn}: give options.rho or options.tau, not both`);
  if (opts.rho !== undefined) {
    rho = num(fn, 'rho', opts.rho, Infinity);
    if (!(rho > 0)) throw new RangeError(`${fn}: options.rho must be > 0 (Infinity = balanced), got ${rho}`);
  } else if (opts.tau !== undefined) {
    const tau = num(fn, 'tau', opts.tau, 1);
    if (!(tau > 0 && tau <= 1)) throw new RangeError(`${fn}: options.tau must be in (0, 1] (1 = balanced), got ${tau}`);
    // tau = rho / (rho + eps)  ⇔  rho = eps·tau / (1 − tau)
    rho = tau === 1 ? Infinity : (eps * tau) / (1 - tau);
  }

  let epsInit = eps;
  let epsDecay = 1;
  if (opts.epsSchedule !== undefined) {
    const s = opts.epsSchedule;
    if (s === null || typeof s !== 'object') throw new TypeError(`${fn}: options.epsSchedule must be {init, decay}`);
    checkOptionKeys(fn, 'options.epsSchedule', s, EPS_SCHEDULE_KEYS);
    epsInit = num(fn, 'epsSchedule.init', s.init, eps);
    epsDecay = num(fn, 'epsSchedule.decay', s.decay, 1);
    if (!(epsInit >= eps) || !Number.isFinite(epsInit)) throw new RangeError(`${fn}: options.epsSchedule.init must be finite and ≥ eps (${eps}), got ${epsInit}`);
    if (!(epsDecay > 0 && epsDecay <= 1)) throw new RangeError(`${fn}: options.epsSchedule.decay must be in (0, 1], got ${epsDecay}`);
  }
  if (opts.returnPlan !== undefined && typeof opts.returnPlan !== 'boolean') {
    throw new TypeError(`${fn}: options.returnPlan must be a boolean, got ${String(opts.returnPlan)}`);
  }
  const out: NativeOptions = { eps, maxIter, tol, checkEvery, method, errorNorm, rho, epsInit, epsDecay, threads };
  if (opts.returnPlan !== undefined) out.returnPlan = opts.returnPlan;
  return out;
}

export function costKind(fn: string, kind: unknown): CostKind {
  return oneOf(fn, 'kind', kind, KINDS, DEFAULTS.kind);
}

export function lossOptions(fn: string, opts: OtLossOptions = {}): NativeOptions {
  const base = sinkhornOptions(fn, opts, LOSS_OPTION_KEYS);
  return { ...base, kind: costKind(fn, opts.kind), returnPlan: opts.returnPlan === true };
}

/** Normalises and checks cost-matrix options. */
export function costOptions(fn: string, opts: CostOptions = {}): NativeOptions {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  checkOptionKeys(fn, 'options', opts, COST_OPTION_KEYS);
  return { ...sinkhornOptions(fn, { threads: opts.threads }), kind: costKind(fn, opts.kind) };
}

/** eps used at iteration t (0-based) of the schedule. */
export function epsAt(o: Pick<NativeOptions, 'eps' | 'epsInit' | 'epsDecay'>, t: number): number {
  if (o.epsDecay === 1 || o.epsInit === o.eps) return o.eps;
  return Math.max(o.eps, o.epsInit * Math.pow(o.epsDecay, t));
}
