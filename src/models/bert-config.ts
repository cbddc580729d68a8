/**
 * BERT encoder hyper-parameters, read from and written to Hugging Face `config.json` (snake_case
 * keys), so checkpoints move between optical and transformers without conversion.
 */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  initializerRange: number;
  padTokenId: number;
  /** 'bert' or a RoBERTa-family type ('roberta', 'xlm-roberta'): the latter offset positions by padTokenId + 1. */
  modelType: string;
}

/** CPU-sized default: trains on two cores in minutes. */
export const TINY_BERT: Omit<BertConfig, 'vocabSize'> = {
  hiddenSize: 128,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 512,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  initializerRange: 0.02,
  padTokenId: 0,
  modelType: 'bert',
};

/** bert-base geometry (768/12/12/3072). */
export const BASE_BERT: Omit<BertConfig, 'vocabSize'> = {
  ...TINY_BERT,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
};

const ROBERTA_TYPES = new Set(['roberta', 'xlm-roberta', 'camembert']);

/** config.json `model_type`s with the BERT architecture this package implements. */
export const SUPPORTED_MODEL_TYPES: readonly string[] = ['bert', ...ROBERTA_TYPES];

export function isRobertaFamily(config: BertConfig): boolean {
  return ROBERTA_TYPES.has(config.modelType);
}

function positiveInt(obj: Record<string, unknown>, key: string, fallback?: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new RangeError(`config.${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function probability(obj: Record<string, unknown>, key: string, fallback: number): number {
  const v = obj[key] ?? fallback;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`config.${key} must be in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a complete config; throws RangeError naming the first bad field. */
export function validateBertConfig(c: BertConfig): BertConfig {
  const snake = toHfConfig(c) as Record<string, unknown>;
  fromHfConfig(snake);
  return c;
}

/** Parses a Hugging Face config.json object. */
export function fromHfConfig(json: Record<string, unknown>): BertConfig {
  if (json === null || typeof json !== 'object') throw new TypeError('config.json must hold a JSON object');
  const act = json.hidden_act ?? 'gelu';
  if (act !== 'gelu') throw new RangeError(`config.hidden_act '${String(act)}' is not supported (only 'gelu', the erf form)`);
  const positions = json.position_embedding_type ?? 'absolute';
  if (positions !== 'absolute') throw new RangeError(`config.position_embedding_type '${String(positions)}' is not supported (only 'absolute')`);
  const modelType = String(json.model_type ?? 'bert');
  if (!SUPPORTED_MODEL_TYPES.includes(modelType)) {
    throw new RangeError(`config.model_type '${modelType}' is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')})`);
  }
  const c: BertConfig = {
    vocabSize: positiveInt(json, 'vocab_size'),
    hiddenSize: positiveInt(json, 'hidden_size'),
    numHiddenLayers: positiveInt(json, 'num_hidden_layers'),
    numAttentionHeads: positiveInt(json, 'num_attention_heads'),
    intermediateSize: positiveInt(json, 'intermediate_size'),
    maxPositionEmbeddings: positiveInt(json, 'max_position_embeddings', 512),
    typeVocabSize: positiveInt(json, 'type_vocab_size', 2),
    layerNormEps: Number(json.layer_norm_eps ?? 1e-12),
    hiddenDropoutProb: probability(json, 'hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: probability(json, 'attention_probs_dropout_prob', 0.1),
    initializerRange: Number(json.initializer_range ?? 0.02),
    padTokenId: Number(json.pad_token_id ?? 0),
    modelType,
  };
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new RangeError(`config.hidden_size (${c.hiddenSize}) must be divisible by num_attention_heads (${c.numAttentionHeads})`);
  }
  if (!(c.layerNormEps > 0)) throw new RangeError(`config.layer_norm_eps must be > 0, got ${json.layer_norm_eps}`);
  if (!(c.initializerRange > 0)) throw new RangeError(`config.initializer_range must be > 0, got ${json.initializer_range}`);
  if (!Number.isInteger(c.padTokenId) || c.padTokenId < 0) throw new RangeError(`config.pad_token_id must be a non-negative integer, got ${json.pad_token_id}`);
  return c;
}

/** Serialises to Hugging Face config.json keys; `extra` adds e.g. architectures or num_labels. */
export function toHfConfig(c: BertConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    hidden_act: 'gelu',
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    hidden_dropout_prob: c.hiddenDropoutProb,
    attention_probs_dropout_prob: c.attentionProbsDropoutProb,
    initializer_range: c.initializerRange,
    pad_token_id: c.padTokenId,
    position_embedding_type: 'absolute',
    ...extra,
  };
}
