/**
 * Which engine runs the model: `native` (the CPU addon's native/nn) by default when the addon loads,
 * `tfjs` otherwise — said once on stderr, like the OT backend (src/ot/backend.ts, whose loader finds
 * the addon). Choice: the `engine` option, else OPTICAL_ENGINE=auto|native|tfjs, else auto. An
 * explicit `native` that cannot load throws with the reason.
 */
import { resolveBackend } from '../../ot/backend.js';
import type { BertConfig } from '../bert-config.js';
import type { TensorMap } from '../safetensors.js';
import { NativeEngine, type NnModelClass } from './native-engine.js';
import { TfjsEngine } from './tfjs-engine.js';
import type { Engine, EngineChoice, EngineName } from './types.js';

export interface EngineInfo {
  /** What `auto` resolves to. */
  active: EngineName;
  requested: EngineChoice;
  native: { available: boolean; reason: string };
}

let warned = false;

function requested(choice?: EngineChoice): EngineChoice {
  const raw = choice ?? (process.env.OPTICAL_ENGINE as EngineChoice | undefined) ?? 'auto';
  if (!['auto', 'native', 'tfjs'].includes(raw)) {
    throw new RangeError(`engine must be 'auto', 'native' or 'tfjs' (option engine or OPTICAL_ENGINE), got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** The addon's NnModel class, or why it is unavailable. */
export function nativeEngineClass(): { NnModel?: NnModelClass; reason: string } {
  let addon: unknown;
  try {
    addon = resolveBackend('cpu').addon;
  } catch (err) {
    return { reason: (err as Error).message };
  }
  const NnModel = (addon as { NnModel?: NnModelClass } | undefined)?.NnModel;
  if (typeof NnModel !== 'function') return { reason: 'the CPU addon has no NnModel export (rebuild it: npm run build:native)' };
  return { NnModel, reason: 'loaded' };
}

/** Resolves a choice to an engine name; throws when `native` is asked for and unavailable. */
export function resolveEngine(choice?: EngineChoice): EngineName {
  const want = requested(choice);
  if (want === 'tfjs') return 'tfjs';
  const native = nativeEngineClass();
  if (native.NnModel) return 'native';
  if (want === 'native') throw new Error(`optical: the native engine is not available: ${native.reason}`);
  if (!warned && !process.env.OPTICAL_QUIET) {
    warned = true;
    process.stderr.write(`optical: using the tfjs engine (slow); the native engine is unavailable: ${native.reason}\n`);
  }
  return 'tfjs';
}

export function engineInfo(choice?: EngineChoice): EngineInfo {
  const native = nativeEngineClass();
  return { active: resolveEngine(choice), requested: requested(choice), native: { available: native.NnModel !== undefined, reason: native.reason } };
}

export interface CreateEngineOptions {
  engine?: EngineChoice;
  /** Native worker-thread cap (0 = all cores). */
  threads?: number;
}

/**
 * An engine over `tensors` (engine names: HF BertModel names without a prefix, plus the heads of
 * types.ts; which heads exist follows from the tensors given).
 */
export async function createEngine(config: BertConfig, tensors: TensorMap, options: CreateEngineOptions = {}): Promise<Engine> {
  const name = resolveEngine(options.engine);
  if (name === 'native') return new NativeEngine(nativeEngineClass().NnModel!, config, tensors, options.threads ?? 0);
  return TfjsEngine.create(config, tensors);
}
