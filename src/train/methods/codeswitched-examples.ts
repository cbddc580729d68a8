/**
 * Training data for code-switched fine-tuning (Litschko et al., 2022: English retrieval pairs whose
 * words are replaced by lexicon translations with probability p):
 *  - BL-CS: one target language; ML-CS: each switched word goes to one of several languages;
 *  - a mix: a share `monolingualRatio` of the pairs stays English (does keeping monolingual data
 *    help robustness?).
 * Query and passage are switched independently. The switch statistics of the data actually
 * produced (CS frequency = switched tokens / tokens) are returned for the report and the p sweep.
 */
import { codeSwitch, type CodeSwitchResult } from '../../codeswitch/codeswitch.js';
import { switchStats, type SwitchStats } from '../../codeswitch/measures.js';
import type { Lexicon } from '../../data/lexicon.js';
import { Rng } from '../../random/rng.js';
import type { TrainingExample } from '../ranking-model.js';

export interface CodeSwitchedDataOptions {
  scheme: 'bl' | 'ml';
  /** bl: exactly one; ml: one or more. */
  lexicons: readonly Lexicon[];
  p: number;
  /** Share of pairs kept monolingual English, in [0, 1). */
  monolingualRatio: number;
  seed: number;
}

export interface CodeSwitchedData {
  examples: TrainingExample[];
  /** Statistics over the switched texts only (queries and passages). */
  stats: SwitchStats;
  /** Statistics over all training texts, English ones included (the data's overall CS frequency). */
  overall: SwitchStats;
  switchedPairs: number;
}

export function codeSwitchedExamples(pairs: readonly { query: string; doc: string }[], o: CodeSwitchedDataOptions): CodeSwitchedData {
  if (!(o.monolingualRatio >= 0 && o.monolingualRatio < 1)) throw new RangeError(`monolingualRatio must be in [0, 1), got ${o.monolingualRatio}`);
  if (!(o.p >= 0 && o.p <= 1)) throw new RangeError(`p must be in [0, 1], got ${o.p}`);
  if (o.scheme === 'bl' && o.lexicons.length !== 1) throw new RangeError(`scheme 'bl' needs exactly one lexicon, got ${o.lexicons.length}`);
  if (pairs.length === 0) throw new RangeError('codeSwitchedExamples: no English pairs');
  const rng = new Rng(o.seed);
  const switched: CodeSwitchResult[] = [];
  const all: CodeSwitchResult[] = [];
  const examples: TrainingExample[] = [];
  let switchedPairs = 0;
  const cs = (text: string) => codeSwitch(text, { mode: o.scheme, lexicons: o.lexicons, p: o.p, seed: rng });
  const english = (text: string) => codeSwitch(text, { mode: o.scheme, lexicons: o.lexicons, p: 0, seed: 0 });
  for (const pair of pairs) {
    if (rng.next() < o.monolingualRatio) {
      examples.push({ query: pair.query, positive: pair.doc, negatives: [] });
      all.push(english(pair.query), english(pair.doc));
      continue;
    }
    const q = cs(pair.query);
    const d = cs(pair.doc);
    switched.push(q, d);
    all.push(q, d);
    switchedPairs++;
    examples.push({ query: q.tgt, positive: d.tgt, negatives: [] });
  }
  return { examples, stats: switchStats(switched), overall: switchStats(all), switchedPairs };
}
