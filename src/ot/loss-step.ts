/**
 * The fused OT-loss step of OPTICAL distillation, on plain typed arrays: for each bitext pair, the
 * cost between teacher tokens T and student tokens S, the Sinkhorn plan P, the loss, and the
 * gradient w.r.t. the student tokens, in one native call.
 *
 * Which value the gradient belongs to: `grad` = ∂<P, C(T,S)>/∂S with P held fixed. At convergence P
 * is the optimal entropic plan, so by the envelope theorem this is exactly the gradient of the
 * entropic value (`value`). It is not the gradient of the transport cost `cost` = <P, C>, which
 * also moves with P. OPTICAL reports <P, C> as its loss and trains with this gradient.
 */
import { resolveBackend } from './backend.js';
import { lossOptions } from './options.js';
import { otLossReference } from './reference/loss.js';
import { checkBalancedMass, checkBalancedMassLoose, checkLossInput } from './validate.js';
import type { OtLossInput, OtLossOptions, OtLossResult } from './types.js';

function prepare(input: OtLossInput, opts: OtLossOptions) {
  const o = lossOptions('otLoss', opts);
  const { addon } = resolveBackend(opts.backend);
  if (addon) {
    checkBalancedMassLoose('otLoss', input?.rows, input?.cols, input?.a, input?.b, o.rho);
  } else {
    const c = checkLossInput('otLoss', input);
    if (o.rho === Infinity) checkBalancedMass('otLoss', c.layout, c.a, c.b);
  }
  return { o, addon };
}

export function otLossStepSync(input: OtLossInput, opts: OtLossOptions = {}): OtLossResult {
  const { o, addon } = prepare(input, opts);
  return addon ? addon.otLossSync(input, o) : otLossReference(input, o);
}

export async function otLossStep(input: OtLossInput, opts: OtLossOptions = {}): Promise<OtLossResult> {
  const { o, addon } = prepare(input, opts);
  return addon ? addon.otLoss(input, o) : otLossReference(input, o);
}
