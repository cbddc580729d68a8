/**
 * Cross-encoder ranker over an engine: `[CLS] query [SEP] document [SEP]` through the encoder, the
 * pooled [CLS] vector through the classifier head to one logit (HF BertForSequenceClassification,
 * num_labels 1: pooler → dropout → classifier), trained with binary cross-entropy
 * (objectives/bce.ts). Scores are the logits of Engine.encode in batches; saved folders load in
 * transformers and in sentence-transformers' CrossEncoder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadEngine, saveEngine, type LoadEngineOptions } from '../models/engine/checkpoint.js';
import { toEncodeInput } from '../models/engine/input.js';
import type { Engine } from '../models/engine/types.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { BceObjective } from './objectives/bce.js';
import type { RankingModel } from './ranking-model.js';

export interface CrossEncoderOptions {
  /** Max tokens of query + document + specials (default 256). */
  maxLength?: number;
  /** Negatives per query when an example has none: other positives of the batch (default 1). */
  inBatchNegatives?: number;
}

export class CrossEncoder implements RankingModel {
  readonly kind = 'cross-encoder' as const;
  readonly engine: Engine;
  readonly tokenizer: TextTokenizer;
  readonly maxLength: number;
  readonly inBatchNegatives: number;
  readonly objective: BceObjective;

  /** `engine` must have the classifier head (randomEngine(config, { heads: { classifier: true } }) or a loaded cross-encoder). */
  constructor(engine: Engine, tokenizer: TextTokenizer, options: CrossEncoderOptions = {}) {
    if (!engine.heads.classifier) throw new RangeError('CrossEncoder needs an engine with the classifier head (randomEngine(config, { heads: { classifier: true } }))');
    if (tokenizer.vocabSize > engine.config.vocabSize) throw new RangeError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${engine.config.vocabSize}`);
    this.engine = engine;
    this.tokenizer = tokenizer;
    this.maxLength = options.maxLength ?? 256;
    this.inBatchNegatives = options.inBatchNegatives ?? 1;
    this.objective = new BceObjective({ tokenizer, maxLength: this.maxLength, inBatchNegatives: this.inBatchNegatives });
  }

  /**
   * Loads a folder saved by `save` (or any HF BertForSequenceClassification with num_labels 1); a
   * bare BertModel folder gets a fresh head (pooler and classifier drawn from `seed`).
   */
  static async fromPretrained(dir: string, options: CrossEncoderOptions & Pick<LoadEngineOptions, 'engine' | 'threads'> = {}, seed = 0): Promise<CrossEncoder> {
    const tokenizer = await TextTokenizer.fromFile(join(dir, 'tokenizer.json'));
    const engine = await loadEngine(dir, { engine: options.engine, threads: options.threads, heads: { classifier: true, mlm: false }, seed });
    return new CrossEncoder(engine, tokenizer, options);
  }

  /** Logits of (queries[i], docs[i]) for every i. */
  async score(queries: string[], docs: string[], batchSize = 32): Promise<Float32Array> {
    if (queries.length !== docs.length) throw new RangeError(`score: ${queries.length} queries but ${docs.length} docs (pairs are scored index by index)`);
    const out = new Float32Array(queries.length);
    for (let s = 0; s < queries.length; s += batchSize) {
      const input = toEncodeInput(this.tokenizer.encodeBatch(queries.slice(s, s + batchSize), docs.slice(s, s + batchSize), { maxLength: this.maxLength }));
      const { logits } = await this.engine.encode(input, { logits: true });
      out.set(logits!, s);
    }
    return out;
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await saveEngine(this.engine, dir, { layout: 'cross-encoder', configExtra: { optical: { kind: this.kind, max_length: this.maxLength } } });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizer.json));
  }

  dispose(): void {
    this.engine.dispose();
  }
}
