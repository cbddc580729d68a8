/**
 * Public entry points for entropic OT on ragged batches: `sinkhorn` (async; native work runs off the
 * main thread) and `sinkhornSync`. Options are checked here; array contents are checked by the
 * backend that runs (the native addons check them in C++, the js backend in validate.ts), with the
 * same TypeError/RangeError messages.
 */
import { resolveBackend } from './backend.js';
import { sinkhornOptions } from './options.js';
import { sinkhornReference } from './reference/sinkhorn.js';
import { checkBalancedMass, checkBalancedMassLoose, checkProblem } from './validate.js';
import type { SinkhornOptions, SinkhornProblem, SinkhornResult } from './types.js';

function warnIfNotConverged(fn: string, out: { converged: Uint8Array; error: Float64Array }, opts: SinkhornOptions): void {
  if (!opts.warn) return;
  const bad: number[] = [];
  for (let k = 0; k < out.converged.length; k++) if (!out.converged[k]) bad.push(k);
  if (bad.length > 0) {
    const shown = bad.slice(0, 5).map((k) => `${k} (error ${out.error[k].toExponential(2)})`).join(', ');
    process.emitWarning(`${fn}: ${bad.length} of ${out.converged.length} problems did not converge: ${shown}${bad.length > 5 ? ', …' : ''}`, 'OpticalConvergenceWarning');
  }
}

/** Checks options (and, for the js backend, the arrays) and picks the backend of one call. */
function prepare(problem: SinkhornProblem, opts: SinkhornOptions) {
  const o = sinkhornOptions('sinkhorn', opts);
  const { addon } = resolveBackend(opts.backend);
  if (addon) {
    checkBalancedMassLoose('sinkhorn', problem?.rows, problem?.cols, problem?.a, problem?.b, o.rho);
  } else {
    const c = checkProblem('sinkhorn', problem);
    if (o.rho === Infinity) checkBalancedMass('sinkhorn', c.layout, c.a, c.b);
  }
  return { o, addon };
}

export function sinkhornSync(problem: SinkhornProblem, opts: SinkhornOptions = {}): SinkhornResult {
  const { o, addon } = prepare(problem, opts);
  const out = addon ? addon.sinkhornSync(problem, o) : sinkhornReference(problem, o);
  warnIfNotConverged('sinkhorn', out, opts);
  return out;
}

export async function sinkhorn(problem: SinkhornProblem, opts: SinkhornOptions = {}): Promise<SinkhornResult> {
  const { o, addon } = prepare(problem, opts);
  const out = addon ? await addon.sinkhorn(problem, o) : sinkhornReference(problem, o);
  warnIfNotConverged('sinkhorn', out, opts);
  return out;
}
