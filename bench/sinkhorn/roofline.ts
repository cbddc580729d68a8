/**
 * Attaches the CUDA roofline model (bench/cuda/roofline.ts, owned by the CUDA benchmark) to the CUDA
 * row of a case: with a device, the model's bound next to the measured time; without one, the bound
 * alone, so the table still shows what a GPU would be held to. Loaded lazily through a computed
 * path and used through the small interface below, so this benchmark builds and runs whether or not
 * that module is present; when it is missing the row says so instead of inventing a bound.
 */
import type { CudaProbe } from '../../src/ot/native-addon.js';
import type { BatchSize } from './cases.js';

export interface RooflineNote {
  available: boolean;
  /** One line for the table. */
  text: string;
  /** Model bound for the whole call (kernels + PCIe copies), seconds. */
  boundSec?: number;
  boundBy?: string;
  device?: string;
}

/** The part of bench/cuda/roofline.ts this file uses. */
interface RooflineEstimate {
  device: string;
  boundBy: string;
  secondsPerIteration: number;
  onChipProblems: number;
  streamingProblems: number;
  totalSeconds(iterations: number): number;
}
interface RooflineModule {
  sinkhornRoofline(shape: BatchSize, options: { method: 'log' | 'scaling' | 'auto'; checkEvery?: number }): RooflineEstimate;
  compareWithModel(measuredSeconds: number, iterations: number, est: RooflineEstimate): string;
}

let loaded: Promise<RooflineModule | string> | undefined;

function loadModel(): Promise<RooflineModule | string> {
  const spec = '../cuda/roofline.js';
  loaded ??= import(spec).then(
    (m: Partial<RooflineModule>) => (typeof m.sinkhornRoofline === 'function' && typeof m.compareWithModel === 'function'
      ? (m as RooflineModule)
      : 'bench/cuda/roofline.ts does not export sinkhornRoofline/compareWithModel'),
    (err: Error) => `bench/cuda/roofline.ts not loadable: ${err.message.split('\n')[0]}`,
  );
  return loaded;
}

/**
 * @param measuredSec the CUDA row's median time, or undefined when there is no device (bound only).
 * The API's default checkEvery (10) is what the benchmark runs with, so the model uses it too.
 */
export async function describeRoofline(probe: CudaProbe | undefined, c: BatchSize & { iters: number }, measuredSec: number | undefined): Promise<RooflineNote> {
  const mod = await loadModel();
  if (typeof mod === 'string') return { available: false, text: `no roofline model (${mod})` };
  const est = mod.sinkhornRoofline({ B: c.B, n: c.n, m: c.m }, { method: 'auto', checkEvery: 10 });
  const bound = est.totalSeconds(c.iters);
  const gpu = probe?.devices[0]?.name;
  const base = { available: true, boundSec: bound, boundBy: est.boundBy, device: est.device };
  if (measuredSec === undefined) {
    return {
      ...base,
      text: `no device to measure; roofline model on ${est.device}: ${fmtSeconds(bound)} for ${c.iters} iterations incl. PCIe copies (${est.boundBy}-bound, ${est.onChipProblems} on-chip / ${est.streamingProblems} streaming problems)`,
    };
  }
  const note = gpu && !est.device.toLowerCase().includes(gpu.toLowerCase().replace(/^nvidia\s+/, '').split(' ')[0].toLowerCase())
    ? ` [measured on ${gpu}; the model describes ${est.device}]`
    : '';
  return { ...base, text: mod.compareWithModel(measuredSec, c.iters, est) + note };
}

function fmtSeconds(s: number): string {
  return s < 1e-3 ? `${(s * 1e6).toPrecision(3)} µs` : `${(s * 1e3).toPrecision(3)} ms`;
}
