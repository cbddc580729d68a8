/**
 * Teacher token representations, computed once per bitext pair. The teacher is frozen, so its
 * hidden states for a given English sentence never change during distillation; caching them halves
 * the encoder work of every step after the first epoch.
 */
import { tf } from '../models/tf.js';
import type { BertModel } from '../models/bert.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import { tokenWeights, type TokenWeightOptions } from './token-weights.js';

export interface CachedTokens {
  /** [count × hidden] row-major. */
  vectors: Float32Array;
  /** Transport weights (sum 1). */
  weights: Float32Array;
  tokens: string[];
  count: number;
}

export class TeacherTokenCache {
  private readonly cache = new Map<number, CachedTokens>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly teacher: BertModel,
    private readonly tokenizer: TextTokenizer,
    private readonly layer: number,
    private readonly maxLength: number,
    private readonly weightOptions: TokenWeightOptions,
  ) {}

  get size(): number {
    return this.cache.size;
  }

  /** Representations of texts[k] for the given keys (bitext indices), computing the missing ones in one batch. */
  get(keys: readonly number[], texts: readonly string[]): CachedTokens[] {
    const missing = keys.map((k, i) => [k, i] as const).filter(([k]) => !this.cache.has(k));
    this.hits += keys.length - missing.length;
    this.misses += missing.length;
    if (missing.length > 0) {
      const enc = this.tokenizer.encodeBatch(missing.map(([, i]) => texts[i]), null, { maxLength: this.maxLength, padding: 'longest' });
      const hidden = tf.tidy(() => {
        const ids = tf.tensor2d(enc.inputIds, undefined, 'int32');
        const mask = tf.tensor2d(enc.attentionMask, undefined, 'int32');
        const out = this.teacher.apply(ids, mask, undefined, { training: false });
        return out.hiddenStates[this.layer];
      });
      const data = hidden.dataSync() as Float32Array;
      const [, L, H] = hidden.shape;
      hidden.dispose();
      missing.forEach(([key], r) => {
        const e = enc.encodings[r];
        const count = e.attentionMask.reduce((s, v) => s + v, 0);
        const vectors = data.slice(r * L * H, r * L * H + count * H);
        const special = e.sequenceIds.map((s) => s === null);
        this.cache.set(key, { vectors, weights: tokenWeights(e.tokens, special, 0, count, this.weightOptions), tokens: e.tokens.slice(0, count), count });
      });
    }
    return keys.map((k) => this.cache.get(k)!);
  }
}
