/**
 * Teacher token states for OPTICAL distillation, computed once per sentence. The teacher is frozen,
 * so its hidden states of a given English sentence never change; after the first epoch a step needs
 * no teacher work at all. A missing sentence is computed with the whole fixed block of
 * ENCODE_BATCH sentences it belongs to (by index), so its states never depend on which batch asked
 * first — a resumed run gets the bits an uninterrupted one had.
 */
import type { Engine } from '../models/engine/types.js';
import { toEncodeInput } from '../models/engine/input.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import { tokenWeights, type TokenWeightOptions } from './token-weights.js';
import { ENCODE_BATCH, layerTokens, specialMask } from './layer-tokens.js';

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
    private readonly teacher: Engine,
    private readonly tokenizer: TextTokenizer,
    /** The sentences, by key (e.g. the English sides of the bitext). */
    private readonly texts: readonly string[],
    private readonly layer: number,
    private readonly maxLength: number,
    private readonly weightOptions: TokenWeightOptions,
  ) {}

  get size(): number {
    return this.cache.size;
  }

  /** Token states of texts[k] for each key k, computing the missing blocks. */
  async get(keys: readonly number[]): Promise<CachedTokens[]> {
    for (const k of keys) {
      if (this.cache.has(k)) { this.hits++; continue; }
      this.misses++;
      const start = k - (k % ENCODE_BATCH);
      const block = this.texts.slice(start, start + ENCODE_BATCH);
      const out = await layerTokens(this.teacher, this.tokenizer, block, this.layer, this.maxLength);
      out.forEach(({ encoding: e, count, vectors }, r) => {
        if (this.cache.has(start + r)) return;
        this.cache.set(start + r, { vectors, weights: tokenWeights(e.tokens, specialMask(e), 0, count, this.weightOptions), tokens: e.tokens.slice(0, count), count });
      });
    }
    return keys.map((k) => this.cache.get(k)!);
  }
}

/**
 * The teacher's sentence vectors (mean over the real tokens of the last hidden state, not
 * normalised: the vectors the teacher retrieves with before normalisation) of texts, computed once
 * per text in the same fixed blocks as TeacherTokenCache, so a resumed run gets the same bits.
 */
export class TeacherPooledCache {
  private readonly cache = new Map<number, Float32Array>();

  constructor(
    private readonly teacher: Engine,
    private readonly tokenizer: TextTokenizer,
    private readonly texts: readonly string[],
    private readonly maxLength: number,
  ) {}

  get size(): number {
    return this.cache.size;
  }

  /** texts[k]'s pooled vector (hidden) for each key k. */
  async get(keys: readonly number[]): Promise<Float32Array[]> {
    const H = this.teacher.config.hiddenSize;
    for (const k of keys) {
      if (this.cache.has(k)) continue;
      const start = k - (k % ENCODE_BATCH);
      const block = this.texts.slice(start, start + ENCODE_BATCH);
      const input = toEncodeInput(this.tokenizer.encodeBatch(block as string[], null, { maxLength: this.maxLength, padding: 'longest' }));
      const { pooled } = await this.teacher.encode(input, { pooling: 'mean' });
      block.forEach((_, r) => { if (!this.cache.has(start + r)) this.cache.set(start + r, pooled!.slice(r * H, (r + 1) * H)); });
    }
    return keys.map((k) => this.cache.get(k)!);
  }
}
