/**
 * The project's speed targets for this benchmark (measured on the 2-core development machines),
 * evaluated from a report — reported as measured, met or not. A target whose case or rows are not
 * in the run says so instead of passing.
 */
import type { BenchReport, CaseReport, ImplId } from './harness.js';
import { NATIVE_REFERENCE } from './harness.js';

export interface TargetCheck {
  target: string;
  /** Speed-up targets: peer time / native time. Bound targets (`atMost`): native time / reference
   * time. null when not measured. */
  measured: number | null;
  required: number;
  /** The measured ratio must stay at or below `required` (native within a multiple of a floor). */
  atMost?: boolean;
  met: boolean | null;
  detail: string;
}

interface TargetSpec {
  label: string;
  find: (c: CaseReport) => boolean;
  peer: ImplId;
  required: number;
  /** Bound instead of speed-up: native time ≤ required × the peer's (the work floor's) time. */
  atMost?: boolean;
  /** Also require the native plan to be NaN-free. */
  noNaN?: boolean;
}

const SPECS: TargetSpec[] = [
  { label: '256×(64×64), 100 it, eps 0.01: native ≥ 15× PyTorch batched log-domain, no NaN', find: (c) => isSinkhorn(c, 256, 64, 0.01, 100), peer: 'torch-log', required: 15, noNaN: true },
  { label: '256×(64×64), 100 it, eps 0.01: native ≥ 50× looping POT (scaling form)', find: (c) => isSinkhorn(c, 256, 64, 0.01, 100), peer: 'pot-scaling', required: 50, noNaN: true },
  { label: '256×(64×64), 100 it, eps 0.01: native ≥ 50× looping POT (log form)', find: (c) => isSinkhorn(c, 256, 64, 0.01, 100), peer: 'pot-log', required: 50, noNaN: true },
  { label: '4096×4096, 100 it (each eps): native ≥ 1.5× POT scaling form', find: (c) => isSinkhorn(c, 1, 4096, undefined, 100), peer: 'pot-scaling', required: 1.5 },
  { label: '4096×4096, 100 it (each eps): native ≥ 20× POT log form', find: (c) => isSinkhorn(c, 1, 4096, undefined, 100), peer: 'pot-log', required: 20 },
  { label: '4096×4096, 20 it, eps 0.05: native ≥ 1.5× POT scaling form', find: (c) => isSinkhorn(c, 1, 4096, 0.05, 20), peer: 'pot-scaling', required: 1.5, noNaN: true },
  { label: '4096×4096, 20 it, eps 0.05: native ≥ 20× POT log form', find: (c) => isSinkhorn(c, 1, 4096, 0.05, 20), peer: 'pot-log', required: 20, noNaN: true },
  { label: '4096×4096, 1 it, eps 0.05: native ≤ 2× the work floor of a call', find: (c) => isSinkhorn(c, 1, 4096, 0.05, 1), peer: 'cpu-floor', required: 2, atMost: true, noNaN: true },
  { label: 'OPTICAL step (B=256, n=m=128, d=768): native ≥ 5× PyTorch', find: (c) => c.kind === 'step' && c.B === 256 && c.n === 128 && c.m === 128 && c.d === 768, peer: 'torch-step', required: 5 },
];

function isSinkhorn(c: CaseReport, B: number, n: number, eps: number | undefined, iters: number): boolean {
  return c.kind === 'sinkhorn' && c.B === B && c.n === n && c.m === n && c.iters === iters && (eps === undefined || c.eps === eps);
}

export function evaluateTargets(rep: BenchReport): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const spec of SPECS) {
    const cases = rep.cases.filter(spec.find);
    if (cases.length === 0) {
      out.push({ target: spec.label, measured: null, required: spec.required, met: null, detail: 'case not in this run' });
      continue;
    }
    for (const c of cases) {
      const label = cases.length > 1 ? `${spec.label} [eps ${c.eps}]` : spec.label;
      const nat = c.rows.find((r) => r.impl === NATIVE_REFERENCE);
      // Several rows may share a peer id (torch at each thread count): the target is judged
      // against the fastest of them, the strictest comparison.
      const candidates = c.rows.filter((r) => r.impl === spec.peer);
      const measuredPeers = candidates.filter((r) => r.status === 'ok');
      const peer = measuredPeers.sort((x, y) => x.medianSec! - y.medianSec!)[0];
      if (!nat || nat.status !== 'ok' || !peer) {
        const first = candidates[0];
        const why = !nat || nat.status !== 'ok' ? `native ${nat?.status ?? 'not run'}` : `${spec.peer} ${first?.status ?? 'not run'}${first?.reason ? ` (${first.reason})` : ''}`;
        out.push({ target: label, measured: null, required: spec.required, met: null, detail: `not measured: ${why}` });
        continue;
      }
      const ratio = spec.atMost ? nat.medianSec! / peer.medianSec! : peer.medianSec! / nat.medianSec!;
      const nanOk = !spec.noNaN || nat.nanCount === 0;
      const met = (spec.atMost ? ratio <= spec.required : ratio >= spec.required) && nanOk;
      const peerName = candidates.length > 1 ? `${spec.peer} (fastest: ${peer.threads} thr)` : spec.peer;
      const detail = `${ratio.toPrecision(3)}× (native ${fmt(nat.medianSec!)}, ${peerName} ${fmt(peer.medianSec!)})${spec.noNaN ? `, native NaN entries: ${nat.nanCount}` : ''}`;
      out.push({ target: label, measured: ratio, required: spec.required, ...(spec.atMost ? { atMost: true } : {}), met, detail });
    }
  }
  return out;
}

function fmt(sec: number): string {
  return sec < 1 ? `${(sec * 1e3).toPrecision(3)} ms` : `${sec.toPrecision(3)} s`;
}

export function formatTargets(checks: TargetCheck[]): string[] {
  return checks.map((t) => `${t.met === null ? 'n/a ' : t.met ? 'MET ' : 'MISS'}  ${t.target}: ${t.detail}`);
}
