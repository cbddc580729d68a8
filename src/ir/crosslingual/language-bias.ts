/**
 * Language bias of a multilingual (MLIR) ranking, as used in the hybrid-batch training and KD-SPD
 * papers: a system without bias ranks the versions of one relevant document close together whatever
 * their language. What we compute, exactly:
 *  1. Rank the run for each query like trec_eval (score desc, docno desc); rank 1 = best.
 *  2. For every relevant unit of the query (a group of parallel docnos, one per collection language,
 *     groups with fewer than 2 versions are ignored), distance = max rank − min rank over its versions.
 *  3. Query bias = mean distance over its groups; queries without a usable group are skipped.
 *  4. Bias of one query language = mean over its queries; overall bias = mean over query languages
 *     (each language weighted equally, not each query).
 * A version the run did not retrieve gets rank = (number of documents retrieved for that query) + 1,
 * i.e. it is treated as ranked just below the cutoff: distances involving it are lower bounds, and
 * `missingVersions` counts how often that happened (a large count means: retrieve deeper).
 * Lower is better. Two documents never share a rank, so the minimum for a group of L versions is
 * L − 1 (all versions adjacent).
 */
import type { Run } from '../types.js';
import { rankQuery } from '../ranking.js';

export interface LanguageBiasResult {
  mean: number;
  perQuery: Record<string, number>;
  /** Versions not retrieved (ranked at depth + 1). */
  missingVersions: number;
  /** Groups used. */
  groups: number;
}

export function languageBiasForRun(run: Run, parallelGroups: Map<string, string[][]>): LanguageBiasResult {
  const perQuery: Record<string, number> = {};
  let missingVersions = 0;
  let groupsUsed = 0;
  let total = 0;
  let queries = 0;
  for (const [qid, groups] of parallelGroups) {
    const usable = groups.filter((g) => g.length >= 2);
    if (usable.length === 0) continue;
    const docs = run.get(qid);
    const ranked = docs ? rankQuery(docs) : [];
    const rankOf = new Map<string, number>();
    ranked.forEach((d, i) => rankOf.set(d.docno, i + 1));
    const missingRank = ranked.length + 1;
    let sum = 0;
    for (const group of usable) {
      let lo = Infinity;
      let hi = -Infinity;
      for (const docno of group) {
        let r = rankOf.get(docno);
        if (r === undefined) {
          r = missingRank;
          missingVersions++;
        }
        lo = Math.min(lo, r);
        hi = Math.max(hi, r);
      }
      sum += hi - lo;
    }
    groupsUsed += usable.length;
    perQuery[qid] = sum / usable.length;
    total += perQuery[qid];
    queries++;
  }
  if (queries === 0) throw new RangeError('languageBias: no query has a relevant unit in two or more languages');
  return { mean: total / queries, perQuery, missingVersions, groups: groupsUsed };
}

export interface MultiLanguageBias {
  /** Mean over query languages of each language's mean. */
  mean: number;
  perLanguage: Record<string, LanguageBiasResult>;
}

/** Runs keyed by query language, each with the parallel groups of its MLIR set. */
export function languageBias(byQueryLanguage: Map<string, { run: Run; parallelGroups: Map<string, string[][]> }>): MultiLanguageBias {
  if (byQueryLanguage.size === 0) throw new RangeError('languageBias: need at least one query language');
  const perLanguage: Record<string, LanguageBiasResult> = {};
  let total = 0;
  for (const [lang, { run, parallelGroups }] of byQueryLanguage) {
    perLanguage[lang] = languageBiasForRun(run, parallelGroups);
    total += perLanguage[lang].mean;
  }
  return { mean: total / byQueryLanguage.size, perLanguage };
}
