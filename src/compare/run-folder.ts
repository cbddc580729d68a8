/**
 * The run folder of a compare (`<out>/<name>/`) and the identity checks that keep its results
 * from mixing: the config it was started with (config.json, compared canonically), a hash of that
 * config and a fingerprint of the data built from it — what a worker on another machine must see
 * identically before it may add a unit — and where the locks of the folder live.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../data/formats.js';
import type { CompareConfig } from './config.js';
import type { ExperimentData } from './experiment-data.js';
import type { UnitKey } from './result-store.js';

/** JSON with object keys sorted, so equal configs give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

export function configHash(config: CompareConfig): string {
  return sha256(canonicalJson(config)).slice(0, 16);
}

export function runDir(outRoot: string, name: string): string {
  return join(outRoot, name);
}

/** Shared teachers live beside the run folders, keyed by everything their weights depend on. */
export function teachersRoot(outRoot: string): string {
  return join(outRoot, '.teachers');
}

export function runLockPath(dir: string): string {
  return join(dir, 'locks', 'run.lock');
}

export function unitLockPath(dir: string, k: UnitKey): string {
  return join(dir, 'locks', `unit.${k.method}.seed-${k.seed}.fold-${k.fold}.lock`);
}

export function teacherLockPath(outRoot: string, key: string): string {
  return join(teachersRoot(outRoot), `${key}.lock`);
}

/**
 * Creates the run folder with its config.json, or checks that an existing one holds the same
 * config (resuming with another config would mix results). Returns the folder and config hash.
 */
export function openRunFolder(config: CompareConfig, outRoot: string): { dir: string; hash: string; resumed: boolean } {
  const dir = runDir(outRoot, config.name);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.json');
  if (existsSync(configPath)) {
    const old = JSON.parse(readFileSync(configPath, 'utf8'));
    if (canonicalJson(old) !== canonicalJson(config)) {
      throw new RangeError(`${dir} already holds a compare with a different config (resuming would mix results); use another 'name' or delete ${dir}`);
    }
    return { dir, hash: configHash(config), resumed: true };
  }
  writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');
  return { dir, hash: configHash(config), resumed: false };
}

/** A worker's view of a run folder differs from the compare's (another --out, other data): it must not add units. */
export class RunViewError extends Error {
  override name = 'RunViewError';
}

/** Reads the config of run `name` under `outRoot` and checks it is the one with `hash`. */
export function readRunConfig(outRoot: string, name: string, hash: string): CompareConfig {
  const path = join(runDir(outRoot, name), 'config.json');
  if (!existsSync(path)) {
    throw new RunViewError(`${path} does not exist: this worker's --out (${outRoot}) is not the shared folder the compare of run '${name}' writes to (mount the same folder on every machine and give its path as --out)`);
  }
  const config = JSON.parse(readFileSync(path, 'utf8')) as CompareConfig;
  const mine = configHash(config);
  if (mine !== hash) {
    throw new RunViewError(`${path} holds config ${mine}, the queued run '${name}' has config ${hash}: this worker sees another run folder under the same name (a different --out, or the folder was replaced)`);
  }
  return config;
}

/**
 * Fingerprint of everything the units train and test on (lexicons, folds and their evaluation
 * sets, English pairs, vocabulary texts, notes). Two machines with different installed data (say
 * FreeDict present on one only) get different fingerprints, so a worker never mixes its units in.
 */
export function dataFingerprint(data: ExperimentData): string {
  const lexicons = [...data.lexicons].map(([lang, lex]) => [lang, sha256(lex.toPairs().map((p) => `${p.src}\t${p.tgt}\t${p.weight}`).join('\n'))]);
  const folds = data.folds.map((f) => ({
    fold: f.fold, testUnits: f.testUnits, bitext: sha256(canonicalJson(f.bitext)),
    sets: [...f.sets].map(([scenario, s]) => ({
      scenario, topics: sha256(canonicalJson(s.topics)), collection: sha256(canonicalJson(s.collection)), qrels: sha256(canonicalJson(s.qrels)),
      exclude: [...s.exclude].map(([q, d]) => [q, [...d]]), groups: s.parallelGroups ? [...s.parallelGroups] : null,
    })),
  }));
  return sha256(canonicalJson({
    languages: data.languages, lexicons, folds,
    english: sha256(data.englishPairs.map((p) => `${p.query}\t${p.doc}`).join('\n')),
    vocabulary: sha256(data.vocabularyTexts.join('\u0000')),
    counts: data.counts, notes: data.notes,
  })).slice(0, 16);
}
