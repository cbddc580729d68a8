/**
 * Which engine runs the model: `native` by default when an addon loads, `tfjs` otherwise — said once
 * on stderr, like the OT backend (src/ot/backend.ts, whose loader finds the addons). Choice: the
 * `engine` option, else OPTICAL_ENGINE=auto|native|tfjs, else auto. An explicit `native` that
 * cannot load throws with the reason.
 *
 * The native engine runs where the OT backend runs: on a GPU (the CUDA addon's NnModel,
 * native/cuda/nn) when the CUDA addon loads and probe() finds a usable device, else on the CPU
 * (native/nn) — with the reason, once on stderr when a CUDA addon is built but unusable. The
 * `backend` option / OPTICAL_BACKEND pins it: `cuda` (throws with the probe's reason when no device
 * is usable), `cpu` (or `js`: the engine itself has no TypeScript backend) for the CPU.
 */
import { resolveBackend } from '../../ot/backend.js';
import type { BackendChoice } from '../../ot/types.js';
import type { BertConfig } from '../bert-config.js';
import type { TensorMap } from '../safetensors.js';
import { NativeEngine, type CudaPrecision, type NativeDevice, type NnModelClass } from './native-engine.js';
import { TfjsEngine } from './tfjs-engine.js';
import type { Engine, EngineChoice, EngineName } from './types.js';

export interface EngineInfo {
  /** What `auto` resolves to. */
  active: EngineName;
  requested: EngineChoice;
  /** device: where the native engine runs (cuda or cpu), and why. */
  native: { available: boolean; device?: NativeDevice; reason: string };
}

let warned = false;
let warnedGpu = false;

function requested(choice?: EngineChoice): EngineChoice {
  const raw = choice ?? (process.env.OPTICAL_ENGINE as EngineChoice | undefined) ?? 'auto';
  if (!['auto', 'native', 'tfjs'].includes(raw)) {
    throw new RangeError(`engine must be 'auto', 'native' or 'tfjs' (option engine or OPTICAL_ENGINE), got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** The native engine's NnModel class and where it runs (the CUDA addon on a usable GPU, else the
 *  CPU addon), or why it is unavailable; `backend` as the OT backend's choice (see above). */
export function nativeEngineClass(backend?: BackendChoice): { NnModel?: NnModelClass; device?: NativeDevice; reason: string } {
  const want = backend ?? (process.env.OPTICAL_BACKEND as BackendChoice | undefined) ?? 'auto';
  let gpuReason = '';
  if (want === 'auto' || want === 'cuda') {
    try {
      const addon = resolveBackend('cuda').addon as { NnModel?: NnModelClass; probe?: () => { devices: { name: string }[] } } | undefined;
      if (typeof addon?.NnModel === 'function') {
        const devices = addon.probe?.().devices.map((d, i) => `${i}: ${d.name}`).join(', ') ?? '';
        return { NnModel: addon.NnModel, device: 'cuda', reason: `CUDA (native/cuda/nn) on ${devices}` };
      }
      gpuReason = 'the CUDA addon has no NnModel export (rebuild it: npm run build:cuda)';
    } catch (err) {
      gpuReason = (err as Error).message.replace(/^optical: /, '');
    }
    if (want === 'cuda') return { reason: gpuReason };
  }
  let addon: unknown;
  try {
    addon = resolveBackend(want === 'auto' || want === 'js' ? 'cpu' : want).addon;
  } catch (err) {
    return { reason: (err as Error).message };
  }
  const NnModel = (addon as { NnModel?: NnModelClass } | undefined)?.NnModel;
  if (typeof NnModel !== 'function') return { reason: 'the CPU addon has no NnModel export (rebuild it: npm run build:native)' };
  const why = gpuReason ? `; not on a GPU: ${gpuReason}` : want === 'auto' ? '' : ` (backend ${want})`;
  return { NnModel, device: 'cpu', reason: `CPU (native/nn)${why}` };
}

/** A CUDA addon is built but no device is usable: said once (the engine then runs on the CPU). */
function noteCpuFallback(reason: string): void {
  if (warnedGpu || process.env.OPTICAL_QUIET || !/no usable device/.test(reason)) return;
  warnedGpu = true;
  process.stderr.write(`optical: the native engine runs on the ${reason}\n`);
}

/** Resolves a choice to an engine name; throws when `native` is asked for and unavailable. */
export function resolveEngine(choice?: EngineChoice): EngineName {
  const want = requested(choice);
  if (want === 'tfjs') return 'tfjs';
  const native = nativeEngineClass();
  if (native.NnModel) {
    if (native.device === 'cpu') noteCpuFallback(native.reason);
    return 'native';
  }
  if (want === 'native') throw new Error(`optical: the native engine is not available: ${native.reason}`);
  if (!warned && !process.env.OPTICAL_QUIET) {
    warned = true;
    process.stderr.write(`optical: using the tfjs engine (slow); the native engine is unavailable: ${native.reason}\n`);
  }
  return 'tfjs';
}

export function engineInfo(choice?: EngineChoice): EngineInfo {
  const native = nativeEngineClass();
  return {
    active: resolveEngine(choice),
    requested: requested(choice),
    native: { available: native.NnModel !== undefined, device: native.device, reason: native.reason },
  };
}

export interface CreateEngineOptions {
  engine?: EngineChoice;
  /** Native worker-thread cap (0 = all cores). */
  threads?: number;
  /** Where the native engine runs: as the OT backend's choice (default OPTICAL_BACKEND, else auto:
   *  the GPU when usable); `cpu` pins native/nn, `cuda` requires the GPU. */
  backend?: BackendChoice;
  /** Native engine on the GPU: the CUDA device index (default OPTICAL_CUDA_DEVICE, else the first
   *  device with compute capability ≥ 8.0). */
  cudaDevice?: number;
  /** Native engine on the GPU: the GEMMs' precision (default fp32: parity with the CPU engine;
   *  tf32 / bf16: tensor-core autocast with FP32 accumulation). */
  precision?: CudaPrecision;
}

/**
 * An engine over `tensors` (engine names: HF BertModel names without a prefix, plus the heads of
 * types.ts; which heads exist follows from the tensors given).
 */
export async function createEngine(config: BertConfig, tensors: TensorMap, options: CreateEngineOptions = {}): Promise<Engine> {
  const name = resolveEngine(options.engine);
  if (name === 'native') {
    const native = nativeEngineClass(options.backend);
    if (!native.NnModel) throw new Error(`optical: the native engine is not available: ${native.reason}`);
    const env = process.env.OPTICAL_CUDA_DEVICE;
    const cudaDevice = options.cudaDevice ?? (env !== undefined && env !== '' ? Number(env) : undefined);
    if (native.device !== 'cuda' && options.precision !== undefined && options.precision !== 'fp32') {
      throw new RangeError(`precision '${options.precision}' needs the native engine on a GPU, but it runs on the ${native.reason}`);
    }
    return new NativeEngine(native.NnModel!, config, tensors, options.threads ?? 0, native.device === 'cuda' ? { cudaDevice, precision: options.precision } : undefined);
  }
  return TfjsEngine.create(config, tensors);
}
