/**
 * The tfjs engine: the reference implementation of the engine API (and the fallback when the native
 * addon is missing), by autodiff over the tfjs BertModel (src/models/bert.ts), the OT loss op of
 * src/ot/tfjs-loss.ts, and AdamW / clipping of src/train. It draws the same dropout masks as the
 * native engine (Philox, philox.ts), so both engines follow the same trajectory up to float rounding.
 */
import { tf, initTf } from '../tf.js';
import { BertModel, dense, gelu, layerNorm, type BertOutput } from '../bert.js';
import type { BertConfig } from '../bert-config.js';
import type { TensorMap } from '../safetensors.js';
import { otLoss } from '../../ot/tfjs-loss.js';
import type { OtLossResult } from '../../ot/types.js';
import { AdamW } from './tfjs-adamw.js';
import { dropoutMultipliers, dropoutStream } from './philox.js';
import { rowLengths } from './input.js';
import { checkEncodeInput, checkStepSpec } from './validate.js';
import type {
  Engine, EncodeInput, EncodeOptions, EncodeResult, Heads, LossTerm, OptimizerOptions, OptimizerResult, OptimizerState, Pooling, PooledRef,
  StepResult, StepSpec, TermResult,
} from './types.js';

const CLASSIFIER = ['classifier.weight', 'classifier.bias'];
const MLM = ['cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias', 'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias', 'cls.predictions.bias'];

function pool(h: tf.Tensor3D, mask: tf.Tensor2D, pooling: Pooling): tf.Tensor2D {
  if (pooling === 'cls') return h.slice([0, 0, 0], [-1, 1, -1]).squeeze([1]) as tf.Tensor2D;
  const m = mask.toFloat().expandDims(2);
  return h.mul(m).sum(1).div(m.sum(1)) as tf.Tensor2D;
}

/** x / sqrt(‖x‖² + 1e-12) per row (the bi-encoder's normalisation). */
function normalize(x: tf.Tensor2D): tf.Tensor2D {
  return x.div(x.square().sum(1, true).add(1e-12).sqrt()) as tf.Tensor2D;
}

/** Rows `index` of a [n, H] matrix as a one-hot product (differentiable on every backend, unlike tf.gather). */
function selectRows(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  return tf.matMul(tf.oneHot(tf.tensor1d(index, 'int32'), x.shape[0]).toFloat(), x) as tf.Tensor2D;
}

function argmaxHits(logits: tf.Tensor2D, labels: ArrayLike<number>): number {
  const arg = logits.argMax(1).dataSync();
  let hits = 0;
  for (let i = 0; i < labels.length; i++) hits += arg[i] === labels[i] ? 1 : 0;
  return hits;
}

function planEntropy(r: OtLossResult, rows: Int32Array, cols: Int32Array): number {
  let off = 0;
  let total = 0;
  for (let k = 0; k < rows.length; k++) {
    const n = rows[k] * cols[k];
    for (let i = 0; i < n; i++) {
      const p = r.plan![off + i];
      if (p > 0) total -= p * Math.log(p);
    }
    off += n;
  }
  return total / rows.length;
}

export class TfjsEngine implements Engine {
  readonly name = 'tfjs' as const;
  readonly config: BertConfig;
  readonly heads: Heads;
  /** tfjs runs single-threaded here (wasm); kept for the interface. */
  threads = 0;
  private readonly model: BertModel;
  /** Every parameter by its engine name. */
  private readonly vars = new Map<string, tf.Variable>();
  private readonly nameOf = new Map<string, string>();
  private grads = new Map<string, tf.Tensor>();
  private optimizer: AdamW | null = null;
  private optimizerKey = '';

  private constructor(config: BertConfig, tensors: TensorMap) {
    this.config = config;
    this.model = BertModel.fromTensors(config, tensors);
    const has = (n: string) => tensors.has(n);
    this.heads = { pooler: this.model.hasPooler, classifier: has('classifier.weight'), mlm: has(MLM[0]) };
    if (this.heads.classifier && !this.heads.pooler) throw new RangeError('the classifier head needs the pooler (pooler.dense.weight / pooler.dense.bias)');
    for (const [name, v] of this.model.params) this.vars.set(name, v);
    const H = config.hiddenSize;
    const shapes: Record<string, number[]> = {
      'classifier.weight': [1, H], 'classifier.bias': [1],
      [MLM[0]]: [H, H], [MLM[1]]: [H], [MLM[2]]: [H], [MLM[3]]: [H], [MLM[4]]: [config.vocabSize],
    };
    for (const name of [...(this.heads.classifier ? CLASSIFIER : []), ...(this.heads.mlm ? MLM : [])]) {
      const t = tensors.get(name);
      if (!t) throw new RangeError(`tensors lacks '${name}'`);
      if (t.shape.join(',') !== shapes[name].join(',')) throw new RangeError(`tensors['${name}'] has shape [${t.shape}], the config implies [${shapes[name]}]`);
      this.vars.set(name, tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape), true)));
    }
    for (const [name, v] of this.vars) this.nameOf.set(v.name, name);
  }

  /** `tensors`: engine names (no prefix; heads as in types.ts). */
  static async create(config: BertConfig, tensors: TensorMap): Promise<TfjsEngine> {
    await initTf();
    return new TfjsEngine(config, tensors);
  }

  private v(name: string): tf.Variable {
    return this.vars.get(name)!;
  }

  /** The engine's Philox masks in place of tf.dropout. */
  private dropoutFor(seed: number, input: number) {
    return (x: tf.Tensor, rate: number, site: { kind: 'embeddings' | 'attention-probs' | 'attention-output' | 'feed-forward' | 'classifier'; layer: number }): tf.Tensor => {
      const mask = dropoutMultipliers(seed, dropoutStream(site.layer, site.kind), input, rate, x.size);
      return x.mul(tf.tensor(mask, x.shape));
    };
  }

  private tensors(input: EncodeInput) {
    const shape: [number, number] = [input.batch, input.length];
    const ids = tf.tensor2d(input.ids, shape, 'int32');
    const mask = tf.tensor2d(Int32Array.from(input.mask), shape, 'int32');
    const types = input.types ? tf.tensor2d(input.types, shape, 'int32') : undefined;
    return { ids, mask, types };
  }

  /** The classifier head's logits [batch] on the last hidden state. */
  private classifierLogits(last: tf.Tensor3D, training: boolean, seed: number, input: number): tf.Tensor1D {
    let pooled: tf.Tensor = this.model.pool(last);
    const rate = this.config.hiddenDropoutProb;
    if (training && rate > 0) pooled = this.dropoutFor(seed, input)(pooled, rate, { kind: 'classifier', layer: this.config.numHiddenLayers });
    return dense(pooled, this.v('classifier.weight'), this.v('classifier.bias')).reshape([-1]) as tf.Tensor1D;
  }

  private term(t: LossTerm, k: number, spec: StepSpec, output: (i: number) => { out: BertOutput; mask: tf.Tensor2D }, extras: Record<string, number>): tf.Scalar {
    const N = this.config.numHiddenLayers;
    const pooledOf = (r: PooledRef) => {
      const o = output(r.input);
      return pool(o.out.hiddenStates[r.layer ?? N], o.mask, r.pooling);
    };
    switch (t.kind) {
      case 'infonce':
      case 'infonce-target': {
        const q = normalize(pooledOf(t.kind === 'infonce' ? t.queries : t));
        const d = normalize(t.kind === 'infonce' ? pooledOf(t.docs) : tf.tensor2d(t.targets, [t.targets.length / this.config.hiddenSize, this.config.hiddenSize]));
        const logits = tf.matMul(q, d, false, true).div(t.temperature) as tf.Tensor2D;
        extras.accuracy = argmaxHits(logits, t.positive) / t.positive.length;
        // Labels built directly, not with tf.oneHot: that refuses depth 1, and one document (a batch of
        // one example without negatives) is a valid batch whose loss is 0.
        const m = d.shape[0];
        const labels = new Float32Array(t.positive.length * m);
        t.positive.forEach((p, i) => { labels[i * m + p] = 1; });
        return tf.losses.softmaxCrossEntropy(tf.tensor2d(labels, [t.positive.length, m]), logits) as tf.Scalar;
      }
      case 'mse':
      case 'cosine': {
        const p = pooledOf(t);
        const target = tf.tensor2d(t.target, p.shape);
        if (t.kind === 'mse') return p.sub(target).square().mean() as tf.Scalar;
        const np = tf.maximum(p.square().sum(1).sqrt(), 1e-8);
        const nt = tf.maximum(target.square().sum(1).sqrt(), 1e-8);
        return tf.sub(1, p.mul(target).sum(1).div(np.mul(nt))).mean() as tf.Scalar;
      }
      case 'bce': {
        const o = output(t.input);
        const logits = this.classifierLogits(o.out.lastHidden, spec.training, spec.seed, t.input);
        const l = logits.dataSync();
        let hits = 0;
        t.labels.forEach((y, i) => { hits += (l[i] > 0) === (y > 0.5) ? 1 : 0; });
        extras.accuracy = hits / t.labels.length;
        return tf.losses.sigmoidCrossEntropy(tf.tensor1d(t.labels), logits) as tf.Scalar;
      }
      case 'mlm': {
        const rows: number[] = [];
        const labels: number[] = [];
        t.labels.forEach((v, i) => { if (v !== -100) { rows.push(i); labels.push(v); } });
        extras.count = rows.length;
        if (rows.length === 0) {
          extras.accuracy = 0;
          return tf.scalar(0);
        }
        const o = output(t.input);
        const H = this.config.hiddenSize;
        const x = selectRows(o.out.lastHidden.reshape([-1, H]) as tf.Tensor2D, Int32Array.from(rows));
        const h = gelu(dense(x, this.v(MLM[0]), this.v(MLM[1])));
        const tr = layerNorm(h, this.v(MLM[2]), this.v(MLM[3]), this.config.layerNormEps);
        const logits = tf.matMul(tr as tf.Tensor2D, this.v('embeddings.word_embeddings.weight') as tf.Tensor2D, false, true).add(this.v(MLM[4])) as tf.Tensor2D;
        extras.accuracy = argmaxHits(logits, labels) / labels.length;
        return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), this.config.vocabSize), logits) as tf.Scalar;
      }
      case 'ot': {
        const input = spec.inputs[t.input];
        const o = output(t.input);
        const H = this.config.hiddenSize;
        const positions: number[] = [];
        input.mask.forEach((m, i) => { if (m) positions.push(i); });
        const hidden = o.out.hiddenStates[t.layer ?? N].reshape([-1, H]) as tf.Tensor2D;
        const student = selectRows(hidden, Int32Array.from(positions));
        const teacher = tf.tensor2d(t.teacher, [t.teacher.length / H, H]);
        const cols = rowLengths(input);
        let result: OtLossResult | undefined;
        const loss = otLoss(teacher, student, {
          ...t.sinkhorn, kind: t.cost, rows: t.rows, cols, a: t.a, b: t.b, returnPlan: true, onResult: (r) => { result = r; },
        });
        const r = result!;
        let its = 0, conv = 0, value = 0, maxError = 0;
        for (let b = 0; b < t.rows.length; b++) {
          its += r.iterations[b]; conv += r.converged[b]; value += r.value[b]; maxError = Math.max(maxError, r.error[b]);
        }
        const B = t.rows.length;
        Object.assign(extras, { iterations: its / B, converged: conv / B, planEntropy: planEntropy(r, t.rows, cols), entropicValue: value / B, maxError });
        void k;
        return loss;
      }
    }
  }

  async step(spec: StepSpec): Promise<StepResult> {
    checkStepSpec(spec, this.config, this.heads);
    const backward = spec.backward !== false;
    const results: TermResult[] = spec.terms.map((t) => ({ kind: t.kind, value: 0, extras: {} }));
    const lossFn = (): tf.Scalar => {
      const outputs = new Map<number, { out: BertOutput; mask: tf.Tensor2D }>();
      const output = (i: number) => {
        let o = outputs.get(i);
        if (!o) {
          const { ids, mask, types } = this.tensors(spec.inputs[i]);
          const out = this.model.apply(ids, mask, types, { training: spec.training, dropout: this.dropoutFor(spec.seed, i) });
          o = { out, mask };
          outputs.set(i, o);
        }
        return o;
      };
      let total: tf.Scalar = tf.scalar(0);
      spec.terms.forEach((t, k) => {
        const value = this.term(t, k, spec, output, results[k].extras);
        results[k].value = value.dataSync()[0];
        total = total.add(value.mul(t.weight ?? 1));
      });
      return total;
    };
    let loss: number;
    if (backward) {
      const { value, grads } = tf.variableGrads(lossFn, [...this.vars.values()]);
      loss = value.dataSync()[0];
      for (const [varName, g] of Object.entries(grads)) {
        const name = this.nameOf.get(varName)!;
        const grad = g;
        const prev = this.grads.get(name);
        if (prev) {
          this.grads.set(name, tf.tidy(() => prev.add(grad)));
          prev.dispose();
          grad.dispose();
        } else {
          this.grads.set(name, grad);
        }
      }
      value.dispose();
    } else {
      loss = tf.tidy(() => lossFn().dataSync()[0]);
    }
    return { loss, terms: results };
  }

  async optimizerStep(o: OptimizerOptions): Promise<OptimizerResult> {
    const wd = o.weightDecay ?? 0.01, beta1 = o.beta1 ?? 0.9, beta2 = o.beta2 ?? 0.999, epsilon = o.epsilon ?? 1e-8, clipNorm = o.clipNorm ?? 0;
    if (!(Number.isFinite(o.lr) && o.lr >= 0)) throw new RangeError(`options.lr must be a finite number >= 0, got ${o.lr}`);
    if (!(Number.isFinite(clipNorm) && clipNorm >= 0)) throw new RangeError(`options.clipNorm must be a finite number >= 0 (0 = no clipping), got ${clipNorm}`);
    const key = `${wd}/${beta1}/${beta2}/${epsilon}`;
    if (this.optimizer === null || key !== this.optimizerKey) {
      const next = new AdamW({ weightDecay: wd, beta1, beta2, epsilon });
      if (this.optimizer) {
        next.importState(this.optimizer.exportState(this.vars), this.vars, this.optimizer.step);
        this.optimizer.dispose();
      }
      this.optimizer = next;
      this.optimizerKey = key;
    }
    const frozen = new Set(o.frozen ?? []);
    (o.frozen ?? []).forEach((name, i) => {
      if (!this.vars.has(name)) throw new RangeError(`options.frozen[${i}] '${name}' is not a parameter of this model`);
    });
    // Every parameter but the frozen ones takes a step (a missing gradient is zero), as in the native engine.
    let sum = 0;
    for (const [name, g] of this.grads) if (!frozen.has(name)) sum += tf.tidy(() => g.square().sum().dataSync()[0]);
    const gradNorm = Math.sqrt(sum);
    if (!Number.isFinite(gradNorm)) {
      await this.zeroGradients();
      return { gradNorm, finite: false, clipScale: 1, step: this.optimizer.step };
    }
    const coef = clipNorm > 0 ? clipNorm / (gradNorm + 1e-6) : 1;
    const clipScale = coef < 1 ? coef : 1;
    const named: tf.NamedTensorMap = {};
    for (const [name, v] of this.vars) {
      if (frozen.has(name)) continue;
      const g = this.grads.get(name);
      named[v.name] = g ? (clipScale === 1 ? g : tf.mul(g, clipScale)) : tf.zerosLike(v);
    }
    this.optimizer.applyGradients(named, o.lr);
    for (const [name, t] of Object.entries(named)) if (t !== this.grads.get(this.nameOf.get(name)!)) t.dispose();
    await this.zeroGradients();
    const names = [...this.vars.keys()];
    const bad = tf.tidy(() => tf.stack(names.map((n) => tf.any(tf.logicalNot(tf.isFinite(this.vars.get(n)!))).toInt())).dataSync());
    const at = bad.findIndex((b) => b !== 0);
    const result: OptimizerResult = { gradNorm, finite: true, clipScale, step: this.optimizer.step };
    if (at >= 0) result.nonFinite = names[at];
    return result;
  }

  async encode(input: EncodeInput, options: EncodeOptions = { pooling: 'mean' }): Promise<EncodeResult> {
    checkEncodeInput(input, this.config, 'input');
    const N = this.config.numHiddenLayers;
    const layers = options.layers ?? [];
    layers.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0 || l > N) throw new RangeError(`options.layers[${i}] must be in [0, ${N}], got ${l}`);
    });
    if (layers.length === 0 && !options.pooling && !options.logits) throw new RangeError('options must ask for something: layers, pooled or logits');
    if (options.logits && !this.heads.classifier) throw new RangeError('options.logits needs the classifier head, but the model has no classifier.weight / classifier.bias');
    let result: EncodeResult = { hidden: [] };
    tf.tidy(() => {
      const { ids, mask, types } = this.tensors(input);
      const out = this.model.apply(ids, mask, types, { training: false });
      result = { hidden: layers.map((l) => out.hiddenStates[l].dataSync() as Float32Array) };
      if (options.pooling) {
        let p = pool(out.lastHidden, mask, options.pooling);
        if (options.normalize) p = normalize(p);
        result.pooled = p.dataSync() as Float32Array;
      }
      if (options.logits) result.logits = this.classifierLogits(out.lastHidden, false, 0, 0).dataSync() as Float32Array;
    });
    return result;
  }

  async getParameters(): Promise<TensorMap> {
    const out: TensorMap = new Map();
    for (const [name, v] of this.vars) out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    return out;
  }

  async setParameters(tensors: TensorMap): Promise<void> {
    for (const [name, t] of tensors) {
      const v = this.vars.get(name);
      if (!v) throw new RangeError(`tensors['${name}'] is not a parameter of this model`);
      if (t.shape.join(',') !== v.shape.join(',')) throw new RangeError(`tensors['${name}'] has shape [${t.shape}], the config implies [${v.shape}]`);
    }
    for (const [name, t] of tensors) {
      const v = this.vars.get(name)!;
      tf.tidy(() => v.assign(tf.tensor(t.data, v.shape)));
    }
  }

  async getGradients(): Promise<TensorMap> {
    const out: TensorMap = new Map();
    for (const [name, v] of this.vars) {
      const g = this.grads.get(name);
      out.set(name, { shape: [...v.shape], data: g ? (g.dataSync() as Float32Array) : new Float32Array(v.size) });
    }
    return out;
  }

  async zeroGradients(): Promise<void> {
    for (const g of this.grads.values()) g.dispose();
    this.grads = new Map();
  }

  async getOptimizerState(): Promise<OptimizerState> {
    const m: TensorMap = new Map();
    const v: TensorMap = new Map();
    const state = this.optimizer?.exportState(this.vars) ?? new Map();
    for (const [name, variable] of this.vars) {
      const zeros = () => ({ shape: [...variable.shape], data: new Float32Array(variable.size) });
      m.set(name, state.get(`m.${name}`) ?? zeros());
      v.set(name, state.get(`v.${name}`) ?? zeros());
    }
    return { step: this.optimizer?.step ?? 0, m, v };
  }

  async setOptimizerState(state: OptimizerState): Promise<void> {
    const flat: TensorMap = new Map();
    for (const [name, t] of state.m) flat.set(`m.${name}`, t);
    for (const [name, t] of state.v) flat.set(`v.${name}`, t);
    if (this.optimizer === null) {
      this.optimizer = new AdamW();
      this.optimizerKey = `0.01/0.9/0.999/1e-8`;
    }
    this.optimizer.importState(flat, this.vars, state.step);
  }

  dispose(): void {
    void this.zeroGradients();
    this.optimizer?.dispose();
    this.model.dispose();
    for (const name of [...CLASSIFIER, ...MLM]) this.vars.get(name)?.dispose();
  }
}
