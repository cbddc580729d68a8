/**
 * The native engine: a thin wrapper over an addon's NnModel (native/binding/nn_model.cpp): the CPU
 * addon's runs native/nn, the CUDA addon's the same model on a GPU (native/cuda/nn). Arguments are checked and copied by the addon; the work runs on a libuv worker, so
 * the event loop stays free. Calls are queued here, one at a time per model (the addon itself
 * refuses overlapping calls).
 */
import { lossOptions } from '../../ot/options.js';
import type { NativeOptions } from '../../ot/native-addon.js';
import type { BertConfig } from '../bert-config.js';
import type { TensorMap } from '../safetensors.js';
import type {
  Engine, EncodeInput, EncodeOptions, EncodeResult, Heads, LossTerm, OptimizerOptions, OptimizerResult, OptimizerState, StepResult, StepSpec,
} from './types.js';

type JsTensors = Record<string, { shape: number[]; data: Float32Array }>;

/** The addon's NnModel instance (see native/binding/nn_model.cpp). */
export interface NativeNnModel {
  step(spec: unknown): Promise<StepResult>;
  optimizerStep(options: OptimizerOptions): Promise<OptimizerResult>;
  encode(input: EncodeInput, options: EncodeOptions): Promise<EncodeResult>;
  getParameters(): JsTensors;
  setParameters(tensors: JsTensors): void;
  getGradients(): JsTensors;
  zeroGradients(): void;
  getOptimizerState(): { step: number; m: JsTensors; v: JsTensors };
  setOptimizerState(state: { step: number; m: JsTensors; v: JsTensors }): void;
  info(): NativeInfo;
  threads: number;
  dispose(): void;
}

export type NativeDevice = 'cpu' | 'cuda';
export type CudaPrecision = 'fp32' | 'tf32' | 'bf16';

/** NnModel.info(): the model's facts and its runtime's (CPU: isa, poolThreads; CUDA: the device,
 *  its memory in bytes — free when the model was created — and the GEMMs' precision). */
export interface NativeInfo {
  parameters: number;
  heads: Heads;
  engine: NativeDevice;
  gemm: string;
  optimizerStep: number;
  isa?: string;
  poolThreads?: number;
  device?: number;
  deviceName?: string;
  computeCapability?: string;
  totalMemory?: number;
  freeMemory?: number;
  gemmNote?: string;
  precision?: CudaPrecision;
}

export type NnModelClass = new (
  config: BertConfig,
  tensors: JsTensors,
  options?: { threads?: number; device?: number; precision?: CudaPrecision },
) => NativeNnModel;

function toJs(t: TensorMap): JsTensors {
  const out: JsTensors = {};
  for (const [name, v] of t) out[name] = { shape: [...v.shape], data: v.data };
  return out;
}

function fromJs(t: JsTensors): TensorMap {
  return new Map(Object.entries(t).map(([name, v]) => [name, { shape: v.shape, data: v.data }]));
}

/** The OT term's Sinkhorn options as the addon reads them (every default filled in by src/ot/options.ts). */
function nativeTerm(t: LossTerm, k: number): unknown {
  if (t.kind !== 'ot') return t;
  const { sinkhorn, cost, ...rest } = t;
  const options: NativeOptions = lossOptions(`terms[${k}].sinkhorn`, { ...sinkhorn, kind: cost, backend: undefined, returnPlan: false });
  return { ...rest, options };
}

export class NativeEngine implements Engine {
  readonly name = 'native' as const;
  readonly config: BertConfig;
  readonly heads: Heads;
  private readonly model: NativeNnModel;
  private readonly about: NativeInfo;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  /** `cuda`: the options of the CUDA addon's NnModel (device index, GEMM precision). */
  constructor(NnModel: NnModelClass, config: BertConfig, tensors: TensorMap, threads = 0, cuda?: { cudaDevice?: number; precision?: CudaPrecision }) {
    this.config = config;
    const options: { threads: number; device?: number; precision?: CudaPrecision } = { threads };
    if (cuda?.cudaDevice !== undefined) options.device = cuda.cudaDevice;
    if (cuda?.precision !== undefined) options.precision = cuda.precision;
    this.model = new NnModel(config, toJs(tensors), options);
    this.about = this.model.info();
    this.heads = this.about.heads;
  }

  /** Runs calls in order, one at a time. */
  private serial<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.disposed) return Promise.reject(new Error('the engine has been disposed'));
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  get threads(): number {
    return this.model.threads;
  }

  set threads(n: number) {
    this.model.threads = n;
  }

  /** Parameter count, heads, where it runs, GEMM kernel; ISA and pool size or the GPU and its memory (as at construction). */
  info(): NativeInfo {
    return this.about;
  }

  step(spec: StepSpec): Promise<StepResult> {
    return this.serial(() => {
      if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.terms)) return this.model.step(spec);
      return this.model.step({ ...spec, terms: spec.terms.map(nativeTerm) });
    });
  }

  optimizerStep(options: OptimizerOptions): Promise<OptimizerResult> {
    return this.serial(() => this.model.optimizerStep(options));
  }

  encode(input: EncodeInput, options: EncodeOptions = { pooling: 'mean' }): Promise<EncodeResult> {
    return this.serial(() => this.model.encode(input, options));
  }

  getParameters(): Promise<TensorMap> {
    return this.serial(() => fromJs(this.model.getParameters()));
  }

  setParameters(tensors: TensorMap): Promise<void> {
    return this.serial(() => this.model.setParameters(toJs(tensors)));
  }

  getGradients(): Promise<TensorMap> {
    return this.serial(() => fromJs(this.model.getGradients()));
  }

  zeroGradients(): Promise<void> {
    return this.serial(() => this.model.zeroGradients());
  }

  getOptimizerState(): Promise<OptimizerState> {
    return this.serial(() => {
      const s = this.model.getOptimizerState();
      return { step: s.step, m: fromJs(s.m), v: fromJs(s.v) };
    });
  }

  setOptimizerState(state: OptimizerState): Promise<void> {
    return this.serial(() => this.model.setOptimizerState({ step: state.step, m: toJs(state.m), v: toJs(state.v) }));
  }

  /** Frees the native buffers once the queued calls are done. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.queue.then(() => this.model.dispose());
  }
}
