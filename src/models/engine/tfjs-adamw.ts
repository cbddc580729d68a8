/**
 * The tfjs engine's AdamW (the native engine's is native/nn/adamw.cpp). AdamW (Loshchilov & Hutter
 * 2019): Adam with weight decay decoupled from the gradient,
 *   m ← β1 m + (1−β1) g,  v ← β2 v + (1−β2) g²,
 *   θ ← θ − lr · ( m̂ / (√v̂ + ε) + λ θ )      (m̂, v̂ bias-corrected),
 * as torch.optim.AdamW. No decay on biases and LayerNorm parameters: by default every 1-D variable
 * is exempt (in BERT exactly the biases and LayerNorm gains/shifts), or pass `decay` to decide.
 *
 * State is keyed by tf variable name; exportState/importState translate to stable parameter names so
 * a resumed process (whose variables get new auto-generated names) continues bit-for-bit.
 */
import { tf } from '../tf.js';
import type { TensorMap } from '../safetensors.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Whether a variable is decayed; default: rank ≥ 2. */
  decay?: (variable: tf.Variable) => boolean;
}

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
}

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly decay: (variable: tf.Variable) => boolean;
  private readonly slots = new Map<string, Slot>();
  /** Number of updates applied (for bias correction). */
  step = 0;

  constructor(options: AdamWOptions = {}) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const [name, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new RangeError(`AdamW ${name} must be in [0, 1), got ${v}`);
    }
    if (!(this.epsilon > 0)) throw new RangeError(`AdamW epsilon must be > 0, got ${this.epsilon}`);
    if (!(this.weightDecay >= 0)) throw new RangeError(`AdamW weightDecay must be ≥ 0, got ${this.weightDecay}`);
    this.decay = options.decay ?? ((v) => v.rank >= 2);
  }

  private variable(name: string): tf.Variable {
    const v = tf.engine().registeredVariables[name];
    if (!v) throw new RangeError(`AdamW: gradient '${name}' does not name a tf.Variable`);
    return v;
  }

  private slot(v: tf.Variable): Slot {
    let s = this.slots.get(v.name);
    if (!s) {
      // tidy frees the initial-value tensors; variables survive it.
      s = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(v), false), v: tf.variable(tf.zerosLike(v), false) }));
      this.slots.set(v.name, s);
    }
    return s;
  }

  /** Applies one update with learning rate `lr`; grads are keyed by variable name (tf.variableGrads output). */
  applyGradients(grads: tf.NamedTensorMap, lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`learning rate must be a finite number ≥ 0, got ${lr}`);
    this.step++;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    for (const [name, g] of Object.entries(grads)) {
      const param = this.variable(name);
      const s = this.slot(param);
      tf.tidy(() => {
        const m = s.m.mul(this.beta1).add(g.mul(1 - this.beta1));
        const v = s.v.mul(this.beta2).add(g.square().mul(1 - this.beta2));
        s.m.assign(m);
        s.v.assign(v);
        let update = m.div(c1).div(v.div(c2).sqrt().add(this.epsilon));
        if (this.weightDecay > 0 && this.decay(param)) update = update.add(param.mul(this.weightDecay));
        param.assign(param.sub(update.mul(lr)));
      });
    }
  }

  /**
   * Moments as named tensors (`m.<name>`, `v.<name>`) for the given stable names of variables. A
   * variable that never had a gradient (e.g. the pooler of a bi-encoder, which mean-pools) gets
   * zero moments — exactly the state a first gradient would start from — so a checkpoint always
   * holds every variable and a missing one means a damaged file.
   */
  exportState(variables: Map<string, tf.Variable>): TensorMap {
    const out: TensorMap = new Map();
    for (const [stable, variable] of variables) {
      const s = this.slots.get(variable.name);
      const zeros = () => ({ shape: [...variable.shape], data: new Float32Array(variable.size) });
      out.set(`m.${stable}`, s ? { shape: [...s.m.shape], data: s.m.dataSync() as Float32Array } : zeros());
      out.set(`v.${stable}`, s ? { shape: [...s.v.shape], data: s.v.dataSync() as Float32Array } : zeros());
    }
    return out;
  }

  /** Restores moments exported by exportState onto (possibly new) variables; `step` is set separately. */
  importState(state: TensorMap, variables: Map<string, tf.Variable>, step: number): void {
    this.dispose();
    this.step = step;
    for (const [stable, variable] of variables) {
      const m = state.get(`m.${stable}`);
      const v = state.get(`v.${stable}`);
      if (!m || !v) {
        if (step > 0) throw new RangeError(`optimizer state lacks moments for '${stable}'`);
        continue;
      }
      this.slots.set(variable.name, tf.tidy(() => ({ m: tf.variable(tf.tensor(m.data, m.shape), false), v: tf.variable(tf.tensor(v.data, v.shape), false) })));
    }
  }

  dispose(): void {
    for (const s of this.slots.values()) { s.m.dispose(); s.v.dispose(); }
    this.slots.clear();
  }
}
