/**
 * BERT-compatible transformer encoder in tfjs (post-LN, erf GELU, LayerNorm eps from config), with
 * parameters held as tf.Variables under their Hugging Face names (without the `bert.` prefix), so
 * loading and saving checkpoints is a rename-free copy and training is tf.variableGrads over them.
 *
 * Linear weights keep the PyTorch layout [out, in]; a dense layer is x · Wᵀ + b.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from './tf.js';
import { type BertConfig, fromHfConfig, isRobertaFamily, toHfConfig, validateBertConfig } from './bert-config.js';
import { embeddingLookup } from './embedding-lookup.js';
import { fastMatMul } from './fast-matmul.js';
import { assertFiniteTensors, readSafetensors, writeSafetensors, type TensorMap } from './safetensors.js';
import { Rng } from '../random/rng.js';

/** Where a dropout mask is applied (the engine's counter-based masks are keyed by it). */
export interface DropoutSite {
  kind: 'embeddings' | 'attention-probs' | 'attention-output' | 'feed-forward';
  /** Encoder layer (0 for the embeddings). */
  layer: number;
}

export interface ApplyOptions {
  /** Enables dropout. */
  training?: boolean;
  /** Seed for the dropout masks of this call (deterministic, resumable training). */
  seed?: number;
  /**
   * Replaces tf.dropout when training (called only for rates > 0): e.g. the engine's Philox masks
   * (src/models/engine/philox.ts), which make tfjs and native runs draw the same masks.
   */
  dropout?: (x: tf.Tensor, rate: number, site: DropoutSite) => tf.Tensor;
}

export interface BertOutput {
  /** numHiddenLayers + 1 tensors [batch, length, hidden]: embeddings output, then each layer (HF order). */
  hiddenStates: tf.Tensor3D[];
  /** The last entry of hiddenStates. */
  lastHidden: tf.Tensor3D;
}

/** Prefixes under which task models (BertForSequenceClassification, RobertaModel, ...) nest the encoder. */
const ENCODER_PREFIXES = ['bert.', 'roberta.', 'model.', 'encoder_model.'];

/** Names of the encoder's tensors for a config, in a stable order. */
export function bertParameterNames(config: BertConfig, withPooler: boolean): string[] {
  const names = [
    'embeddings.word_embeddings.weight',
    'embeddings.position_embeddings.weight',
    'embeddings.token_type_embeddings.weight',
    'embeddings.LayerNorm.weight',
    'embeddings.LayerNorm.bias',
  ];
  for (let l = 0; l < config.numHiddenLayers; l++) {
    const p = `encoder.layer.${l}.`;
    for (const part of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'attention.output.LayerNorm', 'intermediate.dense', 'output.dense', 'output.LayerNorm']) {
      names.push(`${p}${part}.weight`, `${p}${part}.bias`);
    }
  }
  if (withPooler) names.push('pooler.dense.weight', 'pooler.dense.bias');
  return names;
}

/** Shape of an encoder tensor (HF name without prefix) under a config. */
export function expectedShape(config: BertConfig, name: string): number[] {
  const H = config.hiddenSize;
  if (name === 'embeddings.word_embeddings.weight') return [config.vocabSize, H];
  if (name === 'embeddings.position_embeddings.weight') return [config.maxPositionEmbeddings, H];
  if (name === 'embeddings.token_type_embeddings.weight') return [config.typeVocabSize, H];
  if (name.endsWith('LayerNorm.weight') || name.endsWith('LayerNorm.bias')) return [H];
  if (name.includes('intermediate.dense')) return name.endsWith('weight') ? [config.intermediateSize, H] : [config.intermediateSize];
  if (/encoder\.layer\.\d+\.output\.dense/.test(name)) return name.endsWith('weight') ? [H, config.intermediateSize] : [H];
  return name.endsWith('weight') ? [H, H] : [H];
}

/** Old TF-converted checkpoints call LayerNorm parameters gamma/beta. */
function canonicalName(name: string): string {
  return name.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/**
 * Splits a checkpoint's tensors into encoder tensors (prefix removed) and the rest (e.g. classifier
 * heads). Accepts names with or without a `bert.`-style prefix.
 */
export function splitEncoderTensors(tensors: TensorMap): { encoder: TensorMap; rest: TensorMap; prefix: string } {
  let prefix = '';
  for (const p of ENCODER_PREFIXES) {
    if (tensors.has(`${p}embeddings.word_embeddings.weight`)) prefix = p;
  }
  const encoder: TensorMap = new Map();
  const rest: TensorMap = new Map();
  for (const [rawName, t] of tensors) {
    const name = canonicalName(rawName);
    if (name.startsWith(prefix) && /^(embeddings|encoder|pooler)\./.test(name.slice(prefix.length))) {
      encoder.set(name.slice(prefix.length), t);
    } else {
      rest.set(name, t);
    }
  }
  return { encoder, rest, prefix };
}

/** x · wᵀ + b over the last axis (PyTorch weight layout [out, in]). */
export function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const y = fastMatMul(x.reshape([-1, inDim]), w, false, true).add(b);
  return y.reshape([...lead, w.shape[0]]);
}

/** LayerNorm written with sub/square: tf.moments uses squaredDifference, whose broadcast gradient is wrong on wasm. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const mean = x.mean(-1, true);
  const centred = x.sub(mean);
  const variance = centred.square().mean(-1, true);
  return centred.mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
}

/** GELU, exact erf form (HF `gelu`). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(tf.erf(x.mul(Math.SQRT1_2)).add(1)).mul(0.5);
}

/**
 * Random encoder tensors (HF names, no prefix) as HF `_init_weights` draws them: weights
 * normal(0, initializerRange), biases 0, LayerNorm gains 1, the padding token's embedding 0.
 */
export function randomBertTensors(config: BertConfig, seed = 0, withPooler = true): TensorMap {
  validateBertConfig(config);
  const rng = new Rng(seed);
  const out: TensorMap = new Map();
  for (const name of bertParameterNames(config, withPooler)) {
    const shape = expectedShape(config, name);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name.endsWith('LayerNorm.weight')) data.fill(1);
    else if (name.endsWith('weight')) for (let i = 0; i < size; i++) data[i] = rng.normal() * config.initializerRange;
    if (name === 'embeddings.word_embeddings.weight' && config.padTokenId < config.vocabSize) {
      data.fill(0, config.padTokenId * config.hiddenSize, (config.padTokenId + 1) * config.hiddenSize);
    }
    out.set(name, { shape, data });
  }
  return out;
}

export class BertModel {
  readonly config: BertConfig;
  /** Encoder parameters by HF name (no prefix). */
  readonly params: Map<string, tf.Variable>;
  private disposed = false;

  private constructor(config: BertConfig, params: Map<string, tf.Variable>) {
    this.config = config;
    this.params = params;
  }

  get hasPooler(): boolean {
    return this.params.has('pooler.dense.weight');
  }

  /** A randomly initialised encoder (normal(0, initializerRange) weights, as HF `_init_weights`). */
  static random(config: BertConfig, seed = 0, withPooler = true): BertModel {
    const params = new Map<string, tf.Variable>();
    for (const [name, t] of randomBertTensors(config, seed, withPooler)) {
      params.set(name, tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), true)));
    }
    return new BertModel(config, params);
  }

  /** Builds from tensors named as in HF (prefix optional); extra tensors are ignored. */
  static fromTensors(config: BertConfig, tensors: TensorMap): BertModel {
    validateBertConfig(config);
    const { encoder } = splitEncoderTensors(tensors);
    const withPooler = encoder.has('pooler.dense.weight');
    const params = new Map<string, tf.Variable>();
    try {
      for (const name of bertParameterNames(config, withPooler)) {
        const t = encoder.get(name);
        if (!t) throw new RangeError(`checkpoint lacks tensor '${name}' (with or without a 'bert.' prefix)`);
        const shape = expectedShape(config, name);
        if (t.shape.join(',') !== shape.join(',')) {
          throw new RangeError(`tensor '${name}' has shape [${t.shape}], config implies [${shape}]`);
        }
        params.set(name, tf.tidy(() => tf.variable(tf.tensor(t.data, shape), true)));
      }
    } catch (err) {
      for (const v of params.values()) v.dispose();
      throw err;
    }
    return new BertModel(config, params);
  }

  /** Loads `config.json` + `model.safetensors` from a Hugging Face model folder. */
  static async fromPretrained(dir: string): Promise<BertModel> {
    const { config, tensors } = await readCheckpointFolder(dir);
    return BertModel.fromTensors(config, tensors);
  }

  trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`BertModel has no parameter '${name}'`);
    return v;
  }

  /**
   * Runs the encoder. inputIds, attentionMask (1 = token, 0 = padding) and tokenTypeIds are int32
   * [batch, length]; tokenTypeIds defaults to zeros. Call inside tf.tidy / variableGrads.
   */
  apply(inputIds: tf.Tensor2D, attentionMask: tf.Tensor2D, tokenTypeIds?: tf.Tensor2D, options: ApplyOptions = {}): BertOutput {
    if (this.disposed) throw new Error('BertModel has been disposed');
    const c = this.config;
    if (inputIds.rank !== 2) throw new RangeError(`inputIds must be [batch, length], got shape [${inputIds.shape}]`);
    const [batch, length] = inputIds.shape;
    if (attentionMask.shape.join(',') !== inputIds.shape.join(',')) {
      throw new RangeError(`attentionMask shape [${attentionMask.shape}] differs from inputIds [${inputIds.shape}]`);
    }
    if (tokenTypeIds && tokenTypeIds.shape.join(',') !== inputIds.shape.join(',')) {
      throw new RangeError(`tokenTypeIds shape [${tokenTypeIds.shape}] differs from inputIds [${inputIds.shape}]`);
    }
    const offset = isRobertaFamily(c) ? c.padTokenId + 1 : 0;
    if (length + offset > c.maxPositionEmbeddings) {
      throw new RangeError(`sequence length ${length} exceeds max_position_embeddings ${c.maxPositionEmbeddings - offset}`);
    }
    const training = options.training ?? false;
    let dropoutCall = 0;
    const seed = options.seed ?? 0;
    const dropout = (x: tf.Tensor, rate: number, site: DropoutSite): tf.Tensor => {
      if (!training || rate === 0) return x;
      if (options.dropout) return options.dropout(x, rate, site);
      dropoutCall++;
      return tf.dropout(x, rate, undefined, seed * 1000 + dropoutCall);
    };

    const H = c.hiddenSize;
    const heads = c.numAttentionHeads;
    const headDim = H / heads;
    const words = embeddingLookup(this.p('embeddings.word_embeddings.weight') as tf.Tensor2D, inputIds.toInt(), c.padTokenId);
    const positions = this.p('embeddings.position_embeddings.weight').slice([offset, 0], [length, H]).expandDims(0);
    const types = tokenTypeIds ?? tf.zerosLike(inputIds);
    const typeEmb = embeddingLookup(this.p('embeddings.token_type_embeddings.weight') as tf.Tensor2D, types.toInt());
    let h = layerNorm(words.add(positions).add(typeEmb), this.p('embeddings.LayerNorm.weight'), this.p('embeddings.LayerNorm.bias'), c.layerNormEps);
    h = dropout(h, c.hiddenDropoutProb, { kind: 'embeddings', layer: 0 });
    const hiddenStates: tf.Tensor3D[] = [h as tf.Tensor3D];

    // Additive mask [batch, 1, 1, length]: 0 for tokens, a large negative number for padding.
    const maskAdd = tf.sub(1, attentionMask.toFloat()).mul(-1e9).reshape([batch, 1, 1, length]);
    const scale = 1 / Math.sqrt(headDim);
    const splitHeads = (x: tf.Tensor) => x.reshape([batch, length, heads, headDim]).transpose([0, 2, 1, 3]);

    for (let l = 0; l < c.numHiddenLayers; l++) {
      const p = (s: string) => this.p(`encoder.layer.${l}.${s}`);
      const q = splitHeads(dense(h, p('attention.self.query.weight'), p('attention.self.query.bias')));
      const k = splitHeads(dense(h, p('attention.self.key.weight'), p('attention.self.key.bias')));
      const v = splitHeads(dense(h, p('attention.self.value.weight'), p('attention.self.value.bias')));
      const scores = fastMatMul(q, k, false, true).mul(scale).add(maskAdd);
      const probs = dropout(tf.softmax(scores, -1), c.attentionProbsDropoutProb, { kind: 'attention-probs', layer: l });
      const context = fastMatMul(probs, v).transpose([0, 2, 1, 3]).reshape([batch, length, H]);
      const attnOut = dropout(dense(context, p('attention.output.dense.weight'), p('attention.output.dense.bias')), c.hiddenDropoutProb, { kind: 'attention-output', layer: l });
      const h1 = layerNorm(attnOut.add(h), p('attention.output.LayerNorm.weight'), p('attention.output.LayerNorm.bias'), c.layerNormEps);
      const inter = gelu(dense(h1, p('intermediate.dense.weight'), p('intermediate.dense.bias')));
      const out = dropout(dense(inter, p('output.dense.weight'), p('output.dense.bias')), c.hiddenDropoutProb, { kind: 'feed-forward', layer: l });
      h = layerNorm(out.add(h1), p('output.LayerNorm.weight'), p('output.LayerNorm.bias'), c.layerNormEps);
      hiddenStates.push(h as tf.Tensor3D);
    }
    return { hiddenStates, lastHidden: h as tf.Tensor3D };
  }

  /** HF pooler: tanh(dense([CLS] of the last layer)); throws when the checkpoint has none. */
  pool(lastHidden: tf.Tensor3D): tf.Tensor2D {
    const cls = lastHidden.slice([0, 0, 0], [-1, 1, -1]).squeeze([1]);
    return tf.tanh(dense(cls, this.p('pooler.dense.weight'), this.p('pooler.dense.bias'))) as tf.Tensor2D;
  }

  /** Current parameter values (copied to the CPU) under HF names with an optional prefix. */
  tensorMap(prefix = ''): TensorMap {
    const out: TensorMap = new Map();
    for (const [name, v] of this.params) out.set(prefix + name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    return out;
  }

  /** Overwrites parameters in place (e.g. when resuming); shapes must match. */
  assign(tensors: TensorMap): void {
    const { encoder } = splitEncoderTensors(tensors);
    for (const [name, v] of this.params) {
      const t = encoder.get(name);
      if (!t) throw new RangeError(`assign: missing tensor '${name}'`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new RangeError(`assign: '${name}' has shape [${t.shape}], expected [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(t.data, v.shape)));
    }
  }

  /**
   * Saves an HF `BertModel` folder (config.json + model.safetensors). `extraTensors` and `configExtra`
   * let task models add heads (e.g. `classifier.weight`) under the `bert.` prefix layout.
   */
  async save(dir: string, options: { prefix?: string; extraTensors?: TensorMap; configExtra?: Record<string, unknown> } = {}): Promise<void> {
    const tensors = this.tensorMap(options.prefix ?? '');
    for (const [name, t] of options.extraTensors ?? []) tensors.set(name, t);
    await writeCheckpointFolder(dir, this.config, tensors, options.configExtra);
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.disposed = true;
  }
}

/**
 * Writes an HF model folder: model.safetensors (the tensors as named; refused when any holds NaN or
 * ±Infinity) and config.json (the config in HF keys, `architectures: ['BertModel']` unless
 * `configExtra` says otherwise).
 */
export async function writeCheckpointFolder(dir: string, config: BertConfig, tensors: TensorMap, configExtra: Record<string, unknown> = {}): Promise<void> {
  assertFiniteTensors(tensors, join(dir, 'model.safetensors'), 'write');
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  await writeJsonAtomic(join(dir, 'config.json'), toHfConfig(config, { architectures: ['BertModel'], ...configExtra }));
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, path);
}

/** Reads config.json and model.safetensors of an HF model folder, with clear errors. */
export async function readCheckpointFolder(dir: string): Promise<{ config: BertConfig; rawConfig: Record<string, unknown>; tensors: TensorMap }> {
  let rawConfig: Record<string, unknown>;
  const configPath = join(dir, 'config.json');
  try {
    rawConfig = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${configPath}: ${(err as Error).message}`);
  }
  const config = fromHfConfig(rawConfig);
  const weightsPath = join(dir, 'model.safetensors');
  let tensors: TensorMap;
  try {
    tensors = await readSafetensors(weightsPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${weightsPath} not found (only safetensors checkpoints are read; convert pytorch_model.bin with transformers' save_pretrained(safe_serialization=True))`);
    }
    throw err;
  }
  assertFiniteTensors(tensors, weightsPath, 'read');
  return { config, rawConfig, tensors };
}
