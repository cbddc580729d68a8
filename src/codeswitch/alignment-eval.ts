/**
 * Scores a word alignment against the ground truth that code-switching provides: in a
 * code-switched pair the replaced spans are known translations, so the links between a replaced
 * source span and its inserted target tokens are gold links. This measures an aligner (e.g. an
 * OT transport plan read as links) without any hand-annotated data.
 *
 * By default only source tokens inside replaced spans are scored: unchanged tokens are identical
 * strings on both sides, and aligning them is trivial (string match) rather than cross-lingual.
 */
import { tokenAlignment, type CodeSwitchResult } from './codeswitch.js';

export interface AlignmentScore {
  /** Predicted links considered (touching a scored source token). */
  predicted: number;
  gold: number;
  correct: number;
  precision: number;
  recall: number;
  f1: number;
  /** Alignment error rate with sure = possible = gold (Och & Ney 2003): 1 − 2|A∩G| / (|A| + |G|). */
  aer: number;
}

export function scoreAlignment(predicted: Iterable<readonly [number, number]>, result: CodeSwitchResult, opts: { includeUnchanged?: boolean } = {}): AlignmentScore {
  const scored = new Set<number>();
  for (const r of result.replacements) for (let s = r.srcTokenStart; s < r.srcTokenEnd; s++) scored.add(s);
  const include = (s: number) => opts.includeUnchanged === true || scored.has(s);
  const gold = new Set<string>();
  for (const [s, t] of tokenAlignment(result)) if (include(s)) gold.add(`${s}:${t}`);
  const pred = new Set<string>();
  let i = 0;
  for (const link of predicted) {
    const [s, t] = link;
    if (!Number.isInteger(s) || !Number.isInteger(t) || s < 0 || t < 0 || s >= result.srcTokens || t >= result.tgtTokens) {
      throw new RangeError(`scoreAlignment: predicted link ${i} (${s}, ${t}) is outside the ${result.srcTokens}×${result.tgtTokens} token grid`);
    }
    if (include(s)) pred.add(`${s}:${t}`);
    i++;
  }
  let correct = 0;
  for (const l of pred) if (gold.has(l)) correct++;
  const precision = pred.size ? correct / pred.size : 0;
  const recall = gold.size ? correct / gold.size : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const aer = pred.size + gold.size > 0 ? 1 - (2 * correct) / (pred.size + gold.size) : 0;
  return { predicted: pred.size, gold: gold.size, correct, precision, recall, f1, aer };
}
