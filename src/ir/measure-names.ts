/**
 * Parses ir_measures-style measure names ('AP', 'AP@100', 'nDCG', 'nDCG@10', 'RR', 'RR@10', 'R@100',
 * 'P@5', 'Rprec', 'Success@10', 'Judged@10', and with a relevance level 'AP(rel=2)', 'P(rel=2)@10')
 * into Measure objects. trec_eval spellings ('map',
 * 'ndcg_cut_10', 'recip_rank', 'recall_100', 'P_5', 'Rprec', 'success_10', 'map_cut_100', 'ndcg') are
 * accepted too and mapped to the ir_measures names, so both communities can type what they know.
 */
import type { Measure } from './metrics/measure.js';
import { averagePrecision } from './metrics/average-precision.js';
import { ndcg } from './metrics/ndcg.js';
import { ndcgCut } from './metrics/ndcg-cut.js';
import { reciprocalRank } from './metrics/reciprocal-rank.js';
import { recall } from './metrics/recall.js';
import { precision } from './metrics/precision.js';
import { rPrecision } from './metrics/r-precision.js';
import { success } from './metrics/success.js';
import { judged } from './metrics/judged.js';

type Factory = (cutoff: number | undefined, rel: number) => Measure;

function needsCutoff(name: string, make: (k: number, rel: number) => Measure): Factory {
  return (k, rel) => {
    if (k === undefined) throw new RangeError(`measure '${name}' needs a cutoff, e.g. '${name}@10'`);
    return make(k, rel);
  };
}
function noCutoff(name: string, make: (rel: number) => Measure): Factory {
  return (k, rel) => {
    if (k !== undefined) throw new RangeError(`measure '${name}' takes no cutoff`);
    return make(rel);
  };
}
/** Measures whose definition has no relevance threshold (graded gains, judged-ness). */
function noRel(name: string, make: Factory): Factory {
  return (k, rel) => {
    if (rel !== 1) throw new RangeError(`measure '${name}' takes no rel parameter`);
    return make(k, rel);
  };
}

const IR_MEASURES: Record<string, Factory> = {
  AP: (k, rel) => averagePrecision(k, rel),
  nDCG: noRel('nDCG', (k) => (k === undefined ? ndcg() : ndcgCut(k))),
  RR: (k, rel) => reciprocalRank(k, rel),
  R: needsCutoff('R', recall),
  P: needsCutoff('P', precision),
  Rprec: noCutoff('Rprec', rPrecision),
  Success: needsCutoff('Success', success),
  Judged: noRel('Judged', needsCutoff('Judged', judged)),
};

const TREC_EVAL: Record<string, Factory> = {
  map: noCutoff('map', () => averagePrecision()),
  map_cut: needsCutoff('map_cut', (k) => averagePrecision(k)),
  ndcg: noCutoff('ndcg', () => ndcg()),
  ndcg_cut: needsCutoff('ndcg_cut', (k) => ndcgCut(k)),
  recip_rank: noCutoff('recip_rank', () => reciprocalRank()),
  recall: needsCutoff('recall', recall),
  P: needsCutoff('P', precision),
  Rprec: noCutoff('Rprec', rPrecision),
  success: needsCutoff('success', success),
};

/** Default measure set of `optical eval`. */
export const DEFAULT_MEASURES = ['AP', 'nDCG@10', 'nDCG', 'RR', 'RR@10', 'R@100', 'P@10', 'Rprec', 'Success@10', 'Judged@10'];

/** Parses one measure name; throws a RangeError listing the known names on failure. */
export function parseMeasure(text: string): Measure {
  const spec = text.trim();
  // ir_measures syntax: Name[(rel=K)][@k], e.g. 'P(rel=2)@10' (rel = trec_eval's -l).
  let m = /^([A-Za-z]+)(?:\(rel=(\d+)\))?(?:@(\d+))?$/.exec(spec);
  if (m && Object.hasOwn(IR_MEASURES, m[1])) return IR_MEASURES[m[1]](m[3] === undefined ? undefined : Number(m[3]), m[2] === undefined ? 1 : Number(m[2]));
  m = /^([A-Za-z]+(?:_[a-z]+)?)(?:_(\d+))?$/.exec(spec);
  if (m && Object.hasOwn(TREC_EVAL, m[1])) return TREC_EVAL[m[1]](m[2] === undefined ? undefined : Number(m[2]), 1);
  throw new RangeError(
    `unknown measure '${text}'; known: ${Object.keys(IR_MEASURES).join(', ')} (ir_measures names, '@k' for cutoffs, '(rel=K)' for a relevance level) ` +
      `or trec_eval names ${Object.keys(TREC_EVAL).join(', ')} ('_k' for cutoffs)`,
  );
}

/** Parses a list, rejecting duplicates after normalisation (e.g. 'map' and 'AP'). */
export function parseMeasures(names: string[]): Measure[] {
  if (names.length === 0) throw new RangeError('measures: need at least one measure');
  const out: Measure[] = [];
  const seen = new Set<string>();
  for (const n of names) {
    const m = parseMeasure(n);
    if (seen.has(m.name)) throw new RangeError(`measures: '${n}' repeats ${m.name}`);
    seen.add(m.name);
    out.push(m);
  }
  return out;
}
