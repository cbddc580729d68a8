/**
 * The units of work of a compare, in the one order both ways of running it use (in-process loop
 * and queue flow): every method × seed × evaluated fold, OPTICAL variants last. Untrained methods
 * are deterministic but still run once per seed, so every table row has the same seeds.
 */
import type { CompareConfig, MethodConfig } from './config.js';
import type { UnitKey } from './result-store.js';

export interface MethodUnit {
  method: MethodConfig;
  seed: number;
  fold: number;
}

/** Folds that are evaluated (known from the config alone, before any data is read). */
export function evalFoldNumbers(config: CompareConfig): number[] {
  if (config.data.folds === 1) return [0];
  return config.data.evalFolds === 'all' ? [...Array(config.data.folds).keys()] : [...config.data.evalFolds];
}

/** Methods run in config order, except that OPTICAL variants go last (they depend on the most code). */
export function methodOrder(config: CompareConfig): CompareConfig['methods'] {
  return [...config.methods.filter((m) => m.kind !== 'optical'), ...config.methods.filter((m) => m.kind === 'optical')];
}

export function compareUnits(config: CompareConfig): MethodUnit[] {
  const folds = evalFoldNumbers(config);
  return methodOrder(config).flatMap((method) => config.seeds.flatMap((seed) => folds.map((fold) => ({ method, seed, fold }))));
}

/** BM25 is the only method that never loads the shared teacher. */
export function needsTeacher(m: MethodConfig): boolean {
  return m.kind !== 'bm25';
}

export function unitKey(u: MethodUnit): UnitKey {
  return { method: u.method.name, seed: u.seed, fold: u.fold };
}

export function unitLabel(u: MethodUnit | UnitKey): string {
  const name = typeof u.method === 'string' ? u.method : u.method.name;
  return `${name} seed ${u.seed} fold ${u.fold}`;
}
