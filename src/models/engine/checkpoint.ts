/**
 * Engine models from and to the checkpoints src/models reads and writes: HF model folders
 * (config.json + model.safetensors, F32/F16/BF16) of BertModel / RoBERTa / XLM-R / CamemBERT, with or
 * without a `bert.`-style prefix, bi-encoder and cross-encoder folders, and masked-LM checkpoints.
 * Reading and writing go through src/models/bert.ts (one safetensors and one config parser).
 */
import { randomBertTensors, readCheckpointFolder, splitEncoderTensors, writeCheckpointFolder, expectedShape, bertParameterNames } from '../bert.js';
import { type BertConfig, isRobertaFamily } from '../bert-config.js';
import type { TensorMap } from '../safetensors.js';
import { Rng } from '../../random/rng.js';
import { createEngine, type CreateEngineOptions } from './choose.js';
import type { Engine, Heads } from './types.js';

/** config.json `architectures` the engines implement (heads beyond these are not loaded). */
export const SUPPORTED_ARCHITECTURES = [
  'BertModel', 'BertForSequenceClassification', 'BertForMaskedLM', 'BertForPreTraining',
  'RobertaModel', 'RobertaForMaskedLM', 'XLMRobertaModel', 'XLMRobertaForMaskedLM', 'CamembertModel', 'CamembertForMaskedLM',
] as const;

/** Throws a RangeError naming the architecture and listing the supported ones. */
export function checkArchitectures(raw: Record<string, unknown>, source: string): void {
  const archs = raw.architectures;
  if (archs === undefined || archs === null) return;
  if (!Array.isArray(archs)) throw new TypeError(`${source}: config.json architectures must be an array of names`);
  for (const a of archs) {
    if (!(SUPPORTED_ARCHITECTURES as readonly string[]).includes(String(a))) {
      throw new RangeError(`${source}: config.json architecture '${String(a)}' is not supported by the optical engines (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
    }
    if (String(a).endsWith('ForSequenceClassification') && raw.num_labels !== undefined && raw.num_labels !== 1) {
      throw new RangeError(`${source}: ${String(a)} with num_labels = ${String(raw.num_labels)}; the ranking head needs num_labels = 1`);
    }
  }
}

const MLM_NAMES = {
  dense: 'cls.predictions.transform.dense',
  norm: 'cls.predictions.transform.LayerNorm',
  bias: 'cls.predictions.bias',
};
/** RoBERTa-family checkpoints call the MLM head lm_head.*. */
const ROBERTA_MLM: Record<string, string> = {
  'lm_head.dense.weight': `${MLM_NAMES.dense}.weight`,
  'lm_head.dense.bias': `${MLM_NAMES.dense}.bias`,
  'lm_head.layer_norm.weight': `${MLM_NAMES.norm}.weight`,
  'lm_head.layer_norm.bias': `${MLM_NAMES.norm}.bias`,
  'lm_head.bias': MLM_NAMES.bias,
};

/** Names of the head parameters an engine with `heads` has (pooler, classifier, MLM head; the tied decoder is no parameter). */
export function headParameterNames(heads: Heads): string[] {
  return [
    ...(heads.pooler ? ['pooler.dense.weight', 'pooler.dense.bias'] : []),
    ...(heads.classifier ? ['classifier.weight', 'classifier.bias'] : []),
    ...(heads.mlm ? [`${MLM_NAMES.dense}.weight`, `${MLM_NAMES.dense}.bias`, `${MLM_NAMES.norm}.weight`, `${MLM_NAMES.norm}.bias`, MLM_NAMES.bias] : []),
  ];
}

function headShapes(config: BertConfig): Record<string, number[]> {
  const H = config.hiddenSize;
  return {
    'pooler.dense.weight': [H, H], 'pooler.dense.bias': [H],
    'classifier.weight': [1, H], 'classifier.bias': [1],
    [`${MLM_NAMES.dense}.weight`]: [H, H], [`${MLM_NAMES.dense}.bias`]: [H],
    [`${MLM_NAMES.norm}.weight`]: [H], [`${MLM_NAMES.norm}.bias`]: [H],
    [MLM_NAMES.bias]: [config.vocabSize],
  };
}

/** Head tensors drawn as HF `_init_weights` does (normal(0, initializerRange) weights, zero biases, unit LayerNorm). */
export function randomHeadTensors(config: BertConfig, heads: Partial<Heads>, seed = 0): TensorMap {
  const out: TensorMap = new Map();
  const shapes = headShapes(config);
  const add = (names: string[], salt: number) => {
    const rng = new Rng(seed + salt);
    for (const name of names) {
      const shape = shapes[name];
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (name.endsWith('LayerNorm.weight')) data.fill(1);
      else if (name.endsWith('.weight')) for (let i = 0; i < data.length; i++) data[i] = rng.normal() * config.initializerRange;
      out.set(name, { shape, data });
    }
  };
  if (heads.pooler) add(['pooler.dense.weight', 'pooler.dense.bias'], 7907);
  if (heads.classifier) add(['classifier.weight', 'classifier.bias'], 7919);
  if (heads.mlm) add([`${MLM_NAMES.dense}.weight`, `${MLM_NAMES.dense}.bias`, `${MLM_NAMES.norm}.weight`, `${MLM_NAMES.norm}.bias`, MLM_NAMES.bias], 7927);
  return out;
}

export interface EngineTensorOptions {
  /** Heads to have: true adds a missing one (randomly initialised), false drops one the checkpoint has; absent keeps what the checkpoint has. */
  heads?: Partial<Heads>;
  /** Seed of the random initialisation of added heads. */
  seed?: number;
}

/**
 * A checkpoint's tensors (any supported naming) as engine tensors: the encoder without prefix and
 * the heads under their engine names (types.ts). The tied MLM decoder weight is not a separate tensor.
 */
export function engineTensors(config: BertConfig, checkpoint: TensorMap, options: EngineTensorOptions = {}): { tensors: TensorMap; heads: Heads } {
  const { encoder, rest } = splitEncoderTensors(checkpoint);
  for (const [name, target] of Object.entries(ROBERTA_MLM)) {
    const t = rest.get(name);
    if (t && !rest.has(target)) rest.set(target, t);
  }
  const want = options.heads ?? {};
  const has = (name: string) => (name.startsWith('pooler.') ? encoder.has(name) : rest.has(name));
  const heads: Heads = {
    classifier: want.classifier ?? has('classifier.weight'),
    mlm: want.mlm ?? has(`${MLM_NAMES.dense}.weight`),
    pooler: false,
  };
  heads.pooler = want.pooler ?? (has('pooler.dense.weight') || heads.classifier);
  if (heads.classifier && !heads.pooler) throw new RangeError('the classifier head needs the pooler (heads.pooler must not be false)');
  const tensors: TensorMap = new Map();
  for (const name of bertParameterNames(config, false)) {
    const t = encoder.get(name);
    if (!t) throw new RangeError(`checkpoint lacks tensor '${name}' (with or without a 'bert.' prefix)`);
    const shape = expectedShape(config, name);
    if (t.shape.join(',') !== shape.join(',')) throw new RangeError(`tensor '${name}' has shape [${t.shape}], config implies [${shape}]`);
    tensors.set(name, t);
  }
  const shapes = headShapes(config);
  const missing: Partial<Heads> = {};
  const take = (head: keyof Heads, names: string[]) => {
    if (!heads[head]) return;
    if (!names.every(has)) {
      missing[head] = true;
      return;
    }
    for (const name of names) {
      const t = name.startsWith('pooler.') ? encoder.get(name)! : rest.get(name)!;
      if (t.shape.join(',') !== shapes[name].join(',')) {
        const why = name === 'classifier.weight' ? ' (a ranking head needs num_labels = 1)' : '';
        throw new RangeError(`tensor '${name}' has shape [${t.shape}], expected [${shapes[name]}]${why}`);
      }
      tensors.set(name, t);
    }
  };
  take('pooler', ['pooler.dense.weight', 'pooler.dense.bias']);
  take('classifier', ['classifier.weight', 'classifier.bias']);
  take('mlm', [`${MLM_NAMES.dense}.weight`, `${MLM_NAMES.dense}.bias`, `${MLM_NAMES.norm}.weight`, `${MLM_NAMES.norm}.bias`, MLM_NAMES.bias]);
  for (const [name, t] of randomHeadTensors(config, missing, options.seed)) tensors.set(name, t);
  return { tensors, heads };
}

export interface LoadEngineOptions extends CreateEngineOptions, EngineTensorOptions {}

/** Loads an HF model folder into an engine (the supported architectures only). */
export async function loadEngine(dir: string, options: LoadEngineOptions = {}): Promise<Engine> {
  const { config, rawConfig, tensors } = await readCheckpointFolder(dir);
  checkArchitectures(rawConfig, dir);
  const t = engineTensors(config, tensors, options);
  return createEngine(config, t.tensors, options);
}

/** A randomly initialised engine (encoder as BertModel.random, heads as randomHeadTensors). */
export async function randomEngine(config: BertConfig, options: CreateEngineOptions & { heads?: Partial<Heads>; seed?: number } = {}): Promise<Engine> {
  const heads = options.heads ?? {};
  const tensors = randomBertTensors(config, options.seed ?? 0, heads.pooler ?? heads.classifier ?? false);
  for (const [name, t] of randomHeadTensors(config, { classifier: heads.classifier, mlm: heads.mlm }, options.seed ?? 0)) tensors.set(name, t);
  return createEngine(config, tensors, options);
}

export type SaveLayout = 'encoder' | 'cross-encoder' | 'masked-lm';

function familyClass(config: BertConfig): string {
  switch (config.modelType) {
    case 'roberta': return 'Roberta';
    case 'xlm-roberta': return 'XLMRoberta';
    case 'camembert': return 'Camembert';
    default: return 'Bert';
  }
}

/**
 * Saves the engine's parameters as an HF folder:
 *   encoder       BertModel layout, no prefix (the bi-encoder's layout; pooler kept when present)
 *   cross-encoder `bert.` prefix + classifier.* (BertForSequenceClassification, num_labels 1, as CrossEncoder.save)
 *   masked-lm     `bert.` + cls.predictions.* (BertForMaskedLM), or `roberta.` + lm_head.* for the RoBERTa family
 * `configExtra` adds config.json fields (e.g. the `optical` block the trainers write).
 */
export async function saveEngine(engine: Engine, dir: string, options: { layout?: SaveLayout; configExtra?: Record<string, unknown> } = {}): Promise<void> {
  const layout = options.layout ?? 'encoder';
  const params = await engine.getParameters();
  const config = engine.config;
  const out: TensorMap = new Map();
  const isHead = (n: string) => n.startsWith('classifier.') || n.startsWith('cls.');
  let architectures: string[];
  let extra: Record<string, unknown> = {};
  if (layout === 'encoder') {
    for (const [name, t] of params) if (!isHead(name)) out.set(name, t);
    architectures = [`${familyClass(config)}Model`];
  } else if (layout === 'cross-encoder') {
    if (!engine.heads.classifier) throw new RangeError("saveEngine: layout 'cross-encoder' needs the classifier head");
    for (const [name, t] of params) if (!name.startsWith('cls.')) out.set(isHead(name) ? name : `bert.${name}`, t);
    architectures = ['BertForSequenceClassification'];
    extra = { num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } };
  } else if (layout === 'masked-lm') {
    if (!engine.heads.mlm) throw new RangeError("saveEngine: layout 'masked-lm' needs the MLM head");
    const roberta = isRobertaFamily(config);
    const back = Object.fromEntries(Object.entries(ROBERTA_MLM).map(([k, v]) => [v, k]));
    for (const [name, t] of params) {
      if (name.startsWith('classifier.') || name.startsWith('pooler.')) continue;
      if (name.startsWith('cls.')) out.set(roberta ? back[name] : name, t);
      else out.set(`${roberta ? 'roberta' : 'bert'}.${name}`, t);
    }
    architectures = [`${familyClass(config)}ForMaskedLM`];
  } else {
    throw new RangeError(`saveEngine: layout must be 'encoder', 'cross-encoder' or 'masked-lm', got ${JSON.stringify(layout)}`);
  }
  await writeCheckpointFolder(dir, config, out, { architectures, ...extra, ...options.configExtra });
}
