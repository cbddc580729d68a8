/**
 * English retrieval pairs for the teacher and for fine-tuning methods: inverse-cloze pairs from the
 * State of the Union addresses (src/data/sotu.ts), a seeded subset of the requested size. Passages
 * containing any held-out test text are dropped by the recipe.
 */
import { buildSotu } from '../data/sotu.js';
import type { SourceRecord } from '../data/manifest.js';
import { Rng } from '../random/rng.js';
import type { EnglishPair } from './experiment-data.js';

export async function sotuEnglishPairs(count: number, seed: number, exclude: ReadonlySet<string>): Promise<{ pairs: EnglishPair[]; source?: SourceRecord }> {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`english pairs: count must be a positive integer, got ${count}`);
  const sotu = await buildSotu({ seed, exclude });
  const pairs = new Rng(`compare-sotu:${seed}`).shuffle(sotu.pairs.map((p) => ({ query: p.src, doc: p.tgt }))).slice(0, count);
  return { pairs, source: sotu.manifest.sources[0] };
}
