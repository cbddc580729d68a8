/**
 * Bi-encoder (dense retriever): query and document encoded separately, mean pooling over real
 * tokens, cosine similarity; trained with InfoNCE over in-batch negatives (every other query's
 * documents) plus hard negatives, with temperature τ (logits = cos / τ), as in the hybrid-batch
 * CLIR training recipe. Saved as a plain HF BertModel plus sentence-transformers pooling files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../models/tf.js';
import { BertModel, readCheckpointFolder, writeJsonAtomic } from '../models/bert.js';
import { TextTokenizer } from '../models/tokenizer.js';
import type { LossOptions, RankingModel, TokenRepresentations, TrainingExample } from './ranking-model.js';

export interface BiEncoderOptions {
  /** Max tokens per text including specials (default 128). */
  maxLength?: number;
  /** InfoNCE temperature (default 0.05). */
  temperature?: number;
}

export class BiEncoder implements RankingModel {
  readonly kind = 'bi-encoder' as const;
  readonly encoder: BertModel;
  readonly tokenizer: TextTokenizer;
  readonly maxLength: number;
  readonly temperature: number;

  constructor(encoder: BertModel, tokenizer: TextTokenizer, options: BiEncoderOptions = {}) {
    this.encoder = encoder;
    this.tokenizer = tokenizer;
    this.maxLength = options.maxLength ?? 128;
    this.temperature = options.temperature ?? 0.05;
    if (!(this.temperature > 0)) throw new RangeError(`temperature must be > 0, got ${this.temperature}`);
  }

  static async fromPretrained(dir: string, options: BiEncoderOptions = {}): Promise<BiEncoder> {
    const { config, tensors } = await readCheckpointFolder(dir);
    return new BiEncoder(BertModel.fromTensors(config, tensors), await TextTokenizer.fromFile(join(dir, 'tokenizer.json')), options);
  }

  namedVariables(): Map<string, tf.Variable> {
    return new Map(this.encoder.params);
  }

  /** L2-normalised mean-pooled embeddings [n, hidden]. */
  embed(texts: string[], options: Partial<LossOptions> = {}): tf.Tensor2D {
    const enc = this.tokenizer.encodeBatch(texts, null, { maxLength: this.maxLength });
    return tf.tidy(() => {
      const mask = tf.tensor2d(enc.attentionMask, undefined, 'int32');
      const out = this.encoder.apply(tf.tensor2d(enc.inputIds, undefined, 'int32'), mask, undefined, { training: options.training ?? false, seed: options.seed });
      const m = mask.toFloat().expandDims(2);
      const mean = out.lastHidden.mul(m).sum(1).div(m.sum(1));
      // Explicit norm (not tf.norm/euclideanNorm) keeps the gradient defined on every backend.
      return mean.div(mean.square().sum(1, true).add(1e-12).sqrt()) as tf.Tensor2D;
    });
  }

  loss(batch: TrainingExample[], options: LossOptions): tf.Scalar {
    const queries = batch.map((e) => e.query);
    const docs = [...batch.map((e) => e.positive), ...batch.flatMap((e) => e.negatives)];
    const q = this.embed(queries, options);
    // A different seed for the document side so both towers do not share dropout masks.
    const d = this.embed(docs, { ...options, seed: options.seed + 500_000 });
    const logits = tf.matMul(q, d, false, true).div(this.temperature);
    // Query i's positive is document i. Built directly, not with tf.oneHot: that refuses depth 1, and
    // a batch of one example without negatives has exactly one document (its loss is 0: nothing to
    // contrast; the Trainer refuses data where every batch is like that).
    const targets = new Float32Array(batch.length * docs.length);
    for (let i = 0; i < batch.length; i++) targets[i * docs.length + i] = 1;
    const labels = tf.tensor2d(targets, [batch.length, docs.length]);
    return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
  }

  async score(queries: string[], docs: string[], batchSize = 64): Promise<Float32Array> {
    if (queries.length !== docs.length) throw new RangeError(`score: ${queries.length} queries but ${docs.length} docs (pairs are scored index by index)`);
    const out = new Float32Array(queries.length);
    for (let s = 0; s < queries.length; s += batchSize) {
      const t = tf.tidy(() => this.embed(queries.slice(s, s + batchSize)).mul(this.embed(docs.slice(s, s + batchSize))).sum(1));
      out.set(await t.data() as Float32Array, s);
      t.dispose();
    }
    return out;
  }

  tokenRepresentations(texts: string[], layer = this.encoder.config.numHiddenLayers): TokenRepresentations {
    const enc = this.tokenizer.encodeBatch(texts, null, { maxLength: this.maxLength });
    const hidden = tf.tidy(() => this.encoder.apply(tf.tensor2d(enc.inputIds, undefined, 'int32'), tf.tensor2d(enc.attentionMask, undefined, 'int32')).hiddenStates[layer]);
    return { hidden, attentionMask: enc.attentionMask, wordIds: enc.wordIds, tokens: enc.encodings.map((e) => e.tokens) };
  }

  async save(dir: string): Promise<void> {
    await mkdir(join(dir, '1_Pooling'), { recursive: true });
    await mkdir(join(dir, '2_Normalize'), { recursive: true });
    await this.encoder.save(dir, { configExtra: { optical: { kind: this.kind, max_length: this.maxLength, temperature: this.temperature, pooling: 'mean', similarity: 'cosine' } } });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizer.json));
    // sentence-transformers layout: Transformer → mean Pooling → Normalize.
    await writeJsonAtomic(join(dir, 'modules.json'), [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]);
    await writeJsonAtomic(join(dir, '1_Pooling', 'config.json'), { word_embedding_dimension: this.encoder.config.hiddenSize, pooling_mode_cls_token: false, pooling_mode_mean_tokens: true, pooling_mode_max_tokens: false });
    await writeJsonAtomic(join(dir, 'sentence_bert_config.json'), { max_seq_length: this.maxLength, do_lower_case: false });
  }

  dispose(): void {
    this.encoder.dispose();
  }
}
