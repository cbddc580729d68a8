/**
 * Hybrid batches: every training batch is monolingual English with probability alpha, otherwise
 * cross-lingual (English query → target-language passage). The Trainer samples batches from one
 * example list, so the batch type is decided inside the model's loss: this wrapper draws a
 * Bernoulli(alpha) from the step's seed (the same on resume) and, for a cross-lingual step,
 * replaces the batch by one drawn (seeded) from the cross-lingual pool.
 *
 * The cross-lingual pool is made from what exists offline (no translated training collection):
 *  - 'bitext': real parallel pairs as (English sentence → its translation);
 *  - 'lexicon': English pairs with the passage (or query) translated word by word;
 *  - 'codeswitch': English pairs with the passage (or query) fully code-switched (p = 1, senses
 *    sampled by weight);
 *  - 'auto': real bitext and lexicon-translated English pairs together.
 */
import type { tf } from '../../models/tf.js';
import type { BertModel } from '../../models/bert.js';
import type { TextTokenizer } from '../../models/tokenizer.js';
import { codeSwitch } from '../../codeswitch/codeswitch.js';
import type { Lexicon } from '../../data/lexicon.js';
import { Rng } from '../../random/rng.js';
import type { LossOptions, RankingModel, TrainingExample } from '../ranking-model.js';
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

/** A RankingModel whose batches are monolingual with probability alpha, else cross-lingual. */
export class HybridBatchModel implements RankingModel {
  readonly kind = 'bi-encoder' as const;
  /** Number of cross-lingual / monolingual batches seen (training steps only). */
  readonly batches = { monolingual: 0, crossLingual: 0 };

  constructor(readonly inner: RankingModel, readonly cross: readonly TrainingExample[], readonly alpha: number) {
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
    if (cross.length === 0) throw new RangeError('HybridBatchModel: the cross-lingual pool is empty');
  }

  get encoder(): BertModel { return this.inner.encoder; }
  get tokenizer(): TextTokenizer { return this.inner.tokenizer; }
  namedVariables(): Map<string, tf.Variable> { return this.inner.namedVariables(); }

  loss(batch: TrainingExample[], options: LossOptions): tf.Scalar {
    if (!options.training) return this.inner.loss(batch, options);
    // Derived from the step's dropout seed, so a resumed run makes the same choices.
    const rng = new Rng(`hybrid:${options.seed}`);
    if (rng.next() < this.alpha) {
      this.batches.monolingual++;
      return this.inner.loss(batch, options);
    }
    this.batches.crossLingual++;
    const picked = new Set<number>();
    const size = Math.min(batch.length, this.cross.length);
    while (picked.size < size) picked.add(rng.int(this.cross.length));
    return this.inner.loss([...picked].map((i) => this.cross[i]), options);
  }

  score(queries: string[], docs: string[], batchSize?: number): Promise<Float32Array> { return this.inner.score(queries, docs, batchSize); }
  save(dir: string): Promise<void> { return this.inner.save(dir); }
  dispose(): void { this.inner.dispose(); }
}
