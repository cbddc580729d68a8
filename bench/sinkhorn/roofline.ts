/**
 * Attaches the CUDA roofline model (bench/cuda/roofline.ts, owned by the CUDA benchmark) to a measured
 * CUDA row. Loaded lazily and by a computed path, so this benchmark builds and runs whether or not
 * that module exists yet; when it is missing the row says so instead of inventing a bound.
 */
import type { CudaProbe } from '../../src/ot/native-addon.js';
import type { BatchSize } from './cases.js';

export interface RooflineNote {
  available: boolean;
  /** One line for the table, e.g. "bound 0.41 ms (memory), measured 0.63 ms = 65%". */
  text: string;
  detail?: unknown;
}

export async function describeRoofline(probe: CudaProbe | undefined, c: BatchSize & { iters: number; eps: number }, measuredSec: number): Promise<RooflineNote> {
  const spec = '../cuda/roofline.js';
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    return { available: false, text: `no roofline model (bench/cuda/roofline.ts not loadable: ${(err as Error).message.split('\n')[0]})` };
  }
  void probe; void c; void measuredSec;
  return { available: false, text: `roofline module found but its API is not wired here (exports: ${Object.keys(mod).join(', ')})` };
}
