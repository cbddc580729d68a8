/**
 * The cross-lingual pool of hybrid batches (src/train/objectives/hybrid.ts: a batch is monolingual
 * English with probability alpha, else drawn from this pool), made from what exists offline (no
 * translated training collection):
 *  - 'bitext': real parallel pairs as (English sentence → its translation);
 *  - 'lexicon': English pairs with the passage (or query) translated word by word;
 *  - 'codeswitch': English pairs with the passage (or query) fully code-switched (p = 1, senses
 *    sampled by weight);
 *  - 'auto': real bitext and lexicon-translated English pairs together.
 */
import { codeSwitch } from '../../codeswitch/codeswitch.js';
import type { Lexicon } from '../../data/lexicon.js';
import { Rng } from '../../random/rng.js';
import type { TrainingExample } from '../ranking-model.js';
import { translateWords } from './word-translation.js';

export type CrossSource = 'auto' | 'bitext' | 'lexicon' | 'codeswitch';

export interface CrossLingualPoolOptions {
  source: CrossSource;
  side: 'query' | 'document';
  english: readonly { query: string; doc: string }[];
  bitext: readonly { src: string; tgt: string }[];
  /** EN → X lexicons; one is picked per example (seeded) when there are several. */
  lexicons: readonly Lexicon[];
  seed: number;
}

export interface CrossLingualPool {
  examples: TrainingExample[];
  /** How many examples came from each source (for the report). */
  counts: { bitext: number; lexicon: number; codeswitch: number };
}

export function crossLingualPool(o: CrossLingualPoolOptions): CrossLingualPool {
  const counts = { bitext: 0, lexicon: 0, codeswitch: 0 };
  const examples: TrainingExample[] = [];
  const rng = new Rng(o.seed);
  const useBitext = o.source === 'bitext' || o.source === 'auto';
  const useLexicon = o.source === 'lexicon' || o.source === 'auto';
  if (useBitext) {
    for (const p of o.bitext) {
      examples.push({ query: p.src, positive: p.tgt, negatives: [] });
      counts.bitext++;
    }
  }
  if (useLexicon || o.source === 'codeswitch') {
    if (o.lexicons.length === 0) throw new RangeError('crossLingualPool: a lexicon is needed for lexicon/codeswitch cross-lingual pairs');
    for (const e of o.english) {
      const lex = o.lexicons[rng.int(o.lexicons.length)];
      const make = (t: string) => (useLexicon ? translateWords(t, lex).tgt : codeSwitch(t, { mode: 'bl', lexicons: [lex], p: 1, seed: rng }).tgt);
      const ex = o.side === 'document' ? { query: e.query, positive: make(e.doc), negatives: [] } : { query: make(e.query), positive: e.doc, negatives: [] };
      examples.push(ex);
      if (useLexicon) counts.lexicon++;
      else counts.codeswitch++;
    }
  }
  if (examples.length < 2) throw new RangeError(`crossLingualPool: source '${o.source}' gave ${examples.length} cross-lingual pairs; need at least 2`);
  return { examples, counts };
}
