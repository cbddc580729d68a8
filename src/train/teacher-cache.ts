/**
 * Teacher token representations, computed once per bitext pair. The teacher is frozen, so its
 * hidden states for a given English sentence never change during distillation; caching them halves
 * the encoder work of every step after the first epoch.
 */
import type { BertModel } from '../models/bert.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import { tokenWeights, type TokenWeightOptions } from './token-weights.js';
import { layerTokens, specialMask } from './layer-tokens.js';

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
      const out = layerTokens(this.teacher, this.tokenizer, missing.map(([, i]) => texts[i]), this.layer, this.maxLength);
      missing.forEach(([key], r) => {
        const { encoding: e, count, vectors } = out[r];
        this.cache.set(key, { vectors, weights: tokenWeights(e.tokens, specialMask(e), 0, count, this.weightOptions), tokens: e.tokens.slice(0, count), count });
      });
    }
    return keys.map((k) => this.cache.get(k)!);
  }
}
