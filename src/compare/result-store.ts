/**
 * On-disk results of a compare, one directory per finished unit of work (method × seed × fold):
 *     runs/<name>/results/<method>/seed-<s>/fold-<k>/{result.json, <scenario>.run}
 * A unit is written into a temporary sibling directory and renamed into place only when complete,
 * so an interrupted compare never leaves a half-written result that a restart would trust; on
 * restart, finished units are skipped and leftover temporary directories are removed. Writers on
 * several machines may share the folder (queue workers): temporary names carry host and pid.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Run } from '../ir/types.js';
import { formatRunLines, parseRun } from '../ir/formats/trec-run.js';
import { sha256 } from '../data/formats.js';
import type { Scenario } from './eval-sets.js';

/** One point of a training curve. */
export interface CurvePoint {
  step: number;
  loss: number;
}

export interface UnitResult {
  method: string;
  kind: string;
  seed: number;
  fold: number;
  seconds: number;
  finishedAt: string;
  /** The engine that trained and encoded (absent in results of optical < 0.2, all tfjs). */
  engine?: string;
  /** Training curve (empty for untrained methods). */
  curve: CurvePoint[];
  /** Free-form facts the report prints (which cross-lingual source was used, CS frequency, ...). */
  info: Record<string, string | number>;
  /** The process (host:pid) that ran it. */
  worker?: string;
  /** scenario → file name and sha256 of its TREC run. */
  runs: Partial<Record<Scenario, { file: string; sha256: string }>>;
}

export interface UnitKey {
  method: string;
  seed: number;
  fold: number;
}

export class ResultStore {
  constructor(readonly dir: string) {}

  unitDir(k: UnitKey): string {
    return join(this.dir, 'results', k.method, `seed-${k.seed}`, `fold-${k.fold}`);
  }

  has(k: UnitKey): boolean {
    return existsSync(join(this.unitDir(k), 'result.json'));
  }

  /**
   * Removes the temporary directories an interrupted writer of unit `k` left (they are never
   * read). Call it holding the unit's lock, so no live writer's directory is removed.
   */
  cleanPartial(k: UnitKey): number {
    const unit = this.unitDir(k);
    const parent = dirname(unit);
    let removed = 0;
    for (const entry of safeList(parent)) {
      if (entry.startsWith(`${basename(unit)}.tmp-`)) {
        rmSync(join(parent, entry), { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Writes a finished unit atomically (temporary directory, then rename). */
  write(k: UnitKey, result: Omit<UnitResult, 'runs'>, runs: Partial<Record<Scenario, Run>>, tag: string): UnitResult {
    const final = this.unitDir(k);
    // Unique across the machines that share the run folder.
    const tmp = `${final}.tmp-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    mkdirSync(tmp, { recursive: true });
    const written: UnitResult['runs'] = {};
    for (const [scenario, run] of Object.entries(runs) as [Scenario, Run][]) {
      const file = `${scenario}.run`;
      const text = [...formatRunLines(run, tag)].join('');
      writeFileSync(join(tmp, file), text);
      written[scenario] = { file, sha256: sha256(text) };
    }
    const full: UnitResult = { ...result, runs: written };
    writeFileSync(join(tmp, 'result.json'), JSON.stringify(full, null, 2) + '\n');
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    return full;
  }

  read(k: UnitKey): UnitResult {
    const path = join(this.unitDir(k), 'result.json');
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as UnitResult;
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as Error).message} (delete that directory to recompute the unit)`);
    }
  }

  /** Reads one scenario's run of a finished unit, checking its hash against result.json. */
  async readRun(k: UnitKey, scenario: Scenario): Promise<Run> {
    const r = this.read(k);
    const entry = r.runs[scenario];
    if (!entry) throw new RangeError(`${this.unitDir(k)}: no ${scenario} run`);
    const path = join(this.unitDir(k), entry.file);
    const text = readFileSync(path, 'utf8');
    if (sha256(text) !== entry.sha256) throw new Error(`${path} does not match the hash in result.json (edited or corrupted); delete the directory to recompute`);
    return (await parseRun(text, path)).run;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
