/**
 * Cross-encoder ranker: `[CLS] query [SEP] document [SEP]` through BERT, the pooled [CLS] vector
 * through a linear head to one logit, trained with binary cross-entropy on the positive (label 1)
 * and the negatives (label 0) of each query (the monoBERT recipe used by the code-switching CLIR
 * work). The head follows HF BertForSequenceClassification with num_labels = 1 (pooler → dropout →
 * classifier), so saved checkpoints load there and in sentence-transformers' CrossEncoder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../models/tf.js';
import { BertModel, readCheckpointFolder } from '../models/bert.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { Rng } from '../random/rng.js';
import type { LossOptions, RankingModel, TokenRepresentations, TrainingExample } from './ranking-model.js';

export interface CrossEncoderOptions {
  /** Max tokens of query + document + specials (default 256). */
  maxLength?: number;
  /** Negatives per query when an example has none: other positives of the batch (default 1). */
  inBatchNegatives?: number;
}

export class CrossEncoder implements RankingModel {
  readonly kind = 'cross-encoder' as const;
  readonly encoder: BertModel;
  readonly tokenizer: TextTokenizer;
  readonly maxLength: number;
  readonly inBatchNegatives: number;
  readonly classifierWeight: tf.Variable;
  readonly classifierBias: tf.Variable;

  constructor(encoder: BertModel, tokenizer: TextTokenizer, options: CrossEncoderOptions = {}, head?: { weight: Float32Array; bias: Float32Array }, seed = 0) {
    if (!encoder.hasPooler) throw new RangeError('CrossEncoder needs an encoder with a pooler (BertModel.random(config, seed, true))');
    this.encoder = encoder;
    this.tokenizer = tokenizer;
    this.maxLength = options.maxLength ?? 256;
    this.inBatchNegatives = options.inBatchNegatives ?? 1;
    const H = encoder.config.hiddenSize;
    let weight = head?.weight;
    if (!weight) {
      const rng = new Rng(seed + 7919);
      weight = Float32Array.from({ length: H }, () => rng.normal() * encoder.config.initializerRange);
    }
    if (weight.length !== H) throw new RangeError(`classifier.weight has ${weight.length} values, expected [1, ${H}]`);
    this.classifierWeight = tf.tidy(() => tf.variable(tf.tensor2d(weight, [1, H]), true));
    this.classifierBias = tf.tidy(() => tf.variable(tf.tensor1d(head?.bias ?? new Float32Array(1)), true));
  }

  /** Loads a folder saved by `save` (or any HF BertForSequenceClassification with num_labels 1; or a bare BertModel, adding a fresh head). */
  static async fromPretrained(dir: string, options: CrossEncoderOptions = {}, seed = 0): Promise<CrossEncoder> {
    const { config, tensors } = await readCheckpointFolder(dir);
    const encoder = BertModel.fromTensors(config, tensors);
    const tokenizer = await TextTokenizer.fromFile(join(dir, 'tokenizer.json'));
    const w = tensors.get('classifier.weight');
    const b = tensors.get('classifier.bias');
    if (w && w.shape[0] !== 1) throw new RangeError(`${dir}: classifier.weight has shape [${w.shape}]; a ranking head needs num_labels = 1`);
    return new CrossEncoder(encoder, tokenizer, options, w && b ? { weight: w.data, bias: b.data } : undefined, seed);
  }

  namedVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, v] of this.encoder.params) out.set(`bert.${name}`, v);
    out.set('classifier.weight', this.classifierWeight);
    out.set('classifier.bias', this.classifierBias);
    return out;
  }

  /** Logits for (queries[i], docs[i]); shape [n]. */
  logits(queries: string[], docs: string[], options: Partial<LossOptions> = {}): tf.Tensor1D {
    const enc = this.tokenizer.encodeBatch(queries, docs, { maxLength: this.maxLength });
    return tf.tidy(() => {
      const ids = tf.tensor2d(enc.inputIds, undefined, 'int32');
      const mask = tf.tensor2d(enc.attentionMask, undefined, 'int32');
      const types = tf.tensor2d(enc.tokenTypeIds, undefined, 'int32');
      const out = this.encoder.apply(ids, mask, types, { training: options.training ?? false, seed: options.seed });
      let pooled: tf.Tensor = this.encoder.pool(out.lastHidden);
      if (options.training && this.encoder.config.hiddenDropoutProb > 0) {
        pooled = tf.dropout(pooled, this.encoder.config.hiddenDropoutProb, undefined, (options.seed ?? 0) * 1000 + 999);
      }
      return tf.matMul(pooled as tf.Tensor2D, this.classifierWeight as tf.Tensor2D, false, true).add(this.classifierBias).reshape([-1]) as tf.Tensor1D;
    });
  }

  /** Pairs of the batch with labels: each positive (1) and its negatives (0). */
  pairs(batch: TrainingExample[]): { queries: string[]; docs: string[]; labels: number[] } {
    const queries: string[] = [];
    const docs: string[] = [];
    const labels: number[] = [];
    batch.forEach((ex, i) => {
      queries.push(ex.query); docs.push(ex.positive); labels.push(1);
      let negatives = ex.negatives;
      if (negatives.length === 0 && batch.length > 1) {
        // No mined negatives (e.g. inverse-cloze pairs): the following examples' positives.
        negatives = [];
        for (let k = 1; k <= Math.min(this.inBatchNegatives, batch.length - 1); k++) negatives.push(batch[(i + k) % batch.length].positive);
      }
      for (const n of negatives) { queries.push(ex.query); docs.push(n); labels.push(0); }
    });
    return { queries, docs, labels };
  }

  loss(batch: TrainingExample[], options: LossOptions): tf.Scalar {
    const { queries, docs, labels } = this.pairs(batch);
    const logits = this.logits(queries, docs, options);
    return tf.losses.sigmoidCrossEntropy(tf.tensor1d(labels), logits) as tf.Scalar;
  }

  async score(queries: string[], docs: string[], batchSize = 32): Promise<Float32Array> {
    if (queries.length !== docs.length) throw new RangeError(`score: ${queries.length} queries but ${docs.length} docs (pairs are scored index by index)`);
    const out = new Float32Array(queries.length);
    for (let s = 0; s < queries.length; s += batchSize) {
      const t = this.logits(queries.slice(s, s + batchSize), docs.slice(s, s + batchSize));
      out.set(await t.data() as Float32Array, s);
      t.dispose();
    }
    return out;
  }

  /** Hidden states of `layer` for query–document pairs (the cross-encoder sees both at once). */
  tokenRepresentations(queries: string[], docs: string[], layer = this.encoder.config.numHiddenLayers): TokenRepresentations {
    const enc = this.tokenizer.encodeBatch(queries, docs, { maxLength: this.maxLength });
    const hidden = tf.tidy(() => {
      const out = this.encoder.apply(tf.tensor2d(enc.inputIds, undefined, 'int32'), tf.tensor2d(enc.attentionMask, undefined, 'int32'), tf.tensor2d(enc.tokenTypeIds, undefined, 'int32'));
      return out.hiddenStates[layer];
    });
    return { hidden, attentionMask: enc.attentionMask, wordIds: enc.wordIds, tokens: enc.encodings.map((e) => e.tokens) };
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const extra = new Map([
      ['classifier.weight', { shape: [1, this.encoder.config.hiddenSize], data: this.classifierWeight.dataSync() as Float32Array }],
      ['classifier.bias', { shape: [1], data: this.classifierBias.dataSync() as Float32Array }],
    ]);
    await this.encoder.save(dir, {
      prefix: 'bert.',
      extraTensors: extra,
      configExtra: { architectures: ['BertForSequenceClassification'], num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 }, optical: { kind: this.kind, max_length: this.maxLength } },
    });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizer.json));
  }

  dispose(): void {
    this.encoder.dispose();
    this.classifierWeight.dispose();
    this.classifierBias.dispose();
  }
}
