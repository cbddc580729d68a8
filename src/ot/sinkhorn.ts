/**
 * Public entry points for entropic OT on ragged batches: `sinkhorn` (async; native work runs off the
 * main thread) and `sinkhornSync`. Options are checked here; array contents are checked by the
 * backend that runs (the native addons check them in C++, the js backend in validate.ts), with the
 * same TypeError/RangeError messages.
 *
 * `returnPlan: false` leaves the plan out of the result (only potentials, costs, values and the
 * convergence report): the native backends then never write the n·m plan, which is most of the
 * memory traffic of a short call on a large problem.
 */
import { resolveBackend } from './backend.js';
import { sinkhornOptions } from './options.js';
import { sinkhornReference } from './reference/sinkhorn.js';
import { checkBalancedMass, checkBalancedMassLoose, checkProblem } from './validate.js';
import type { NativeOptions } from './native-addon.js';
import type { SinkhornOptions, SinkhornProblem, SinkhornResult, SinkhornResultWithoutPlan } from './types.js';

function warnIfNotConverged(fn: string, out: SinkhornResultWithoutPlan, opts: SinkhornOptions, o: NativeOptions): void {
  if (!opts.warn) return;
  const bad: number[] = [];
  const floor: number[] = [];
  for (let k = 0; k < out.converged.length; k++) {
    if (!out.converged[k]) bad.push(k);
    else if (out.error[k] > o.tol) floor.push(k);
  }
  const list = (ks: number[]) => ks.slice(0, 5).map((k) => `${k} (error ${out.error[k].toExponential(2)})`).join(', ') + (ks.length > 5 ? ', …' : '');
  if (bad.length > 0) {
    process.emitWarning(`${fn}: ${bad.length} of ${out.converged.length} problems did not converge: ${list(bad)}`, 'OpticalConvergenceWarning');
  }
  if (floor.length > 0) {
    process.emitWarning(
      `${fn}: ${floor.length} of ${out.converged.length} problems stopped at the float32 error floor above tol ${o.tol}: ${list(floor)} — ` +
        'raise tol or eps, or use the float64 js backend (see README, "Float32 limits")',
      'OpticalConvergenceWarning',
    );
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

/** The pure-TS backend's result, without the plan when none was asked for. */
function reference(problem: SinkhornProblem, o: NativeOptions): SinkhornResult | SinkhornResultWithoutPlan {
  const out: Partial<SinkhornResult> = sinkhornReference(problem, o);
  if (o.returnPlan === false) delete out.plan;
  return out as SinkhornResult | SinkhornResultWithoutPlan;
}

export function sinkhornSync(problem: SinkhornProblem, opts: SinkhornOptions & { returnPlan: false }): SinkhornResultWithoutPlan;
export function sinkhornSync(problem: SinkhornProblem, opts?: SinkhornOptions & { returnPlan?: true }): SinkhornResult;
export function sinkhornSync(problem: SinkhornProblem, opts?: SinkhornOptions): SinkhornResult | SinkhornResultWithoutPlan;
export function sinkhornSync(problem: SinkhornProblem, opts: SinkhornOptions = {}): SinkhornResult | SinkhornResultWithoutPlan {
  const { o, addon } = prepare(problem, opts);
  const out = addon ? addon.sinkhornSync(problem, o) : reference(problem, o);
  warnIfNotConverged('sinkhorn', out, opts, o);
  return out;
}

export function sinkhorn(problem: SinkhornProblem, opts: SinkhornOptions & { returnPlan: false }): Promise<SinkhornResultWithoutPlan>;
export function sinkhorn(problem: SinkhornProblem, opts?: SinkhornOptions & { returnPlan?: true }): Promise<SinkhornResult>;
export function sinkhorn(problem: SinkhornProblem, opts?: SinkhornOptions): Promise<SinkhornResult | SinkhornResultWithoutPlan>;
export async function sinkhorn(problem: SinkhornProblem, opts: SinkhornOptions = {}): Promise<SinkhornResult | SinkhornResultWithoutPlan> {
  const { o, addon } = prepare(problem, opts);
  const out = addon ? await addon.sinkhorn(problem, o) : reference(problem, o);
  warnIfNotConverged('sinkhorn', out, opts, o);
  return out;
}
