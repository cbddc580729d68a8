/**
 * Bi-encoder (dense retriever) over an engine: query and document encoded separately, mean pooling
 * over real tokens, cosine similarity; trained with InfoNCE over in-batch + hard negatives
 * (objectives/infonce.ts). Embeddings come from Engine.encode in fixed batches. Saved as a plain HF
 * BertModel plus the sentence-transformers files (Transformer → mean Pooling → Normalize).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../models/bert.js';
import { loadEngine, saveEngine, type LoadEngineOptions } from '../models/engine/checkpoint.js';
import { toEncodeInput } from '../models/engine/input.js';
import type { Engine } from '../models/engine/types.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { ENCODE_BATCH, layerTokens, type LayerTokens } from './layer-tokens.js';
import { InfoNceObjective } from './objectives/infonce.js';
import type { RankingModel } from './ranking-model.js';

export interface BiEncoderOptions {
  /** Max tokens per text including specials (default 128). */
  maxLength?: number;
  /** InfoNCE temperature (default 0.05). */
  temperature?: number;
}

export class BiEncoder implements RankingModel {
  readonly kind = 'bi-encoder' as const;
  readonly engine: Engine;
  readonly tokenizer: TextTokenizer;
  readonly maxLength: number;
  readonly temperature: number;
  readonly objective: InfoNceObjective;

  constructor(engine: Engine, tokenizer: TextTokenizer, options: BiEncoderOptions = {}) {
    this.engine = engine;
    this.tokenizer = tokenizer;
    this.maxLength = options.maxLength ?? 128;
    this.temperature = options.temperature ?? 0.05;
    if (tokenizer.vocabSize > engine.config.vocabSize) throw new RangeError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${engine.config.vocabSize}`);
    this.objective = new InfoNceObjective({ tokenizer, maxLength: this.maxLength, temperature: this.temperature });
  }

  /** Loads an HF folder (config.json, model.safetensors, tokenizer.json); the classifier and MLM heads are not loaded. */
  static async fromPretrained(dir: string, options: BiEncoderOptions & Pick<LoadEngineOptions, 'engine' | 'threads'> = {}): Promise<BiEncoder> {
    const tokenizer = await TextTokenizer.fromFile(join(dir, 'tokenizer.json'));
    const engine = await loadEngine(dir, { engine: options.engine, threads: options.threads, heads: { classifier: false, mlm: false } });
    return new BiEncoder(engine, tokenizer, options);
  }

  /** L2-normalised mean-pooled embeddings, texts.length × hidden, row-major. */
  async embed(texts: readonly string[], batchSize = ENCODE_BATCH): Promise<Float32Array> {
    const H = this.engine.config.hiddenSize;
    const out = new Float32Array(texts.length * H);
    for (let s = 0; s < texts.length; s += batchSize) {
      const input = toEncodeInput(this.tokenizer.encodeBatch(texts.slice(s, s + batchSize) as string[], null, { maxLength: this.maxLength }));
      const { pooled } = await this.engine.encode(input, { pooling: 'mean', normalize: true });
      out.set(pooled!, s * H);
    }
    return out;
  }

  async score(queries: string[], docs: string[], batchSize = 64): Promise<Float32Array> {
    if (queries.length !== docs.length) throw new RangeError(`score: ${queries.length} queries but ${docs.length} docs (pairs are scored index by index)`);
    const H = this.engine.config.hiddenSize;
    const q = await this.embed(queries, batchSize);
    const d = await this.embed(docs, batchSize);
    const out = new Float32Array(queries.length);
    for (let i = 0; i < queries.length; i++) {
      let s = 0;
      for (let k = 0; k < H; k++) s += q[i * H + k] * d[i * H + k];
      out[i] = s;
    }
    return out;
  }

  /** Each text's token vectors at hidden state `layer` (default last), unpadded. */
  tokenStates(texts: readonly string[], layer = this.engine.config.numHiddenLayers): Promise<LayerTokens[]> {
    return layerTokens(this.engine, this.tokenizer, texts, layer, this.maxLength);
  }

  async save(dir: string): Promise<void> {
    await mkdir(join(dir, '1_Pooling'), { recursive: true });
    await mkdir(join(dir, '2_Normalize'), { recursive: true });
    await saveEngine(this.engine, dir, { layout: 'encoder', configExtra: { optical: { kind: this.kind, max_length: this.maxLength, temperature: this.temperature, pooling: 'mean', similarity: 'cosine' } } });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizer.json));
    // sentence-transformers layout: Transformer → mean Pooling → Normalize.
    await writeJsonAtomic(join(dir, 'modules.json'), [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]);
    await writeJsonAtomic(join(dir, '1_Pooling', 'config.json'), { word_embedding_dimension: this.engine.config.hiddenSize, pooling_mode_cls_token: false, pooling_mode_mean_tokens: true, pooling_mode_max_tokens: false });
    await writeJsonAtomic(join(dir, 'sentence_bert_config.json'), { max_seq_length: this.maxLength, do_lower_case: false });
  }

  dispose(): void {
    this.engine.dispose();
  }
}
