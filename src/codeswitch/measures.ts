/**
 * Measures of code-switching. For generated data the replacements are known exactly; for any other
 * text, tokens are attributed to languages with vocabularies (a token counts as foreign when a
 * foreign vocabulary has it and the base-language vocabulary does not — shared words such as names
 * or loanwords stay with the base language, so the measure errs low rather than high).
 */
import { tokenize } from '../data/tokenize.js';
import { normalizeEntry } from '../data/lexicon.js';
import type { CodeSwitchResult } from './codeswitch.js';

export interface SwitchStats {
  /** Source tokens over all results. */
  tokens: number;
  /** Source tokens inside replaced spans. */
  switchedTokens: number;
  /** switchedTokens / tokens: the code-switching frequency. */
  switchRate: number;
  /** Tokens the lexicons could have replaced. */
  eligibleTokens: number;
  /** switchedTokens / eligibleTokens: ≈ p for bl/ml. */
  replacementRate: number;
  /** Switched source tokens per target language. */
  byLanguage: Record<string, number>;
}

/** Aggregates switch statistics over generated results. */
export function switchStats(results: Iterable<CodeSwitchResult>): SwitchStats {
  let tokens = 0;
  let switched = 0;
  let eligible = 0;
  const byLanguage: Record<string, number> = {};
  for (const r of results) {
    tokens += r.srcTokens;
    eligible += r.eligibleTokens;
    for (const rep of r.replacements) {
      const n = rep.srcTokenEnd - rep.srcTokenStart;
      switched += n;
      byLanguage[rep.lang] = (byLanguage[rep.lang] ?? 0) + n;
    }
  }
  return {
    tokens,
    switchedTokens: switched,
    switchRate: tokens ? switched / tokens : 0,
    eligibleTokens: eligible,
    replacementRate: eligible ? switched / eligible : 0,
    byLanguage,
  };
}

export interface TextSwitchMeasure {
  tokens: number;
  /** Tokens attributed to each language ('base' for the base language, 'unknown' for neither). */
  byLanguage: Record<string, number>;
  /** Share of language-attributed tokens that are foreign. */
  foreignShare: number;
  /** Language changes between consecutive attributed tokens / (attributed tokens − 1) (I-index). */
  switchPointRate: number;
}

/**
 * Code-switching frequency of arbitrary text given vocabularies: `base` (e.g. English words) and
 * `foreign` per language (e.g. the target sides of the lexicons, or a monolingual word list).
 */
export function measureText(text: string, base: ReadonlySet<string>, foreign: Readonly<Record<string, ReadonlySet<string>>>): TextSwitchMeasure {
  const byLanguage: Record<string, number> = { base: 0, unknown: 0 };
  const langs = Object.keys(foreign);
  let prev: string | null = null;
  let switches = 0;
  let attributed = 0;
  let foreignCount = 0;
  const toks = tokenize(text);
  for (const t of toks) {
    const w = normalizeEntry(t.text);
    let lang: string;
    if (base.has(w)) lang = 'base';
    else lang = langs.find((l) => foreign[l].has(w)) ?? 'unknown';
    byLanguage[lang] = (byLanguage[lang] ?? 0) + 1;
    if (lang === 'unknown') continue;
    attributed++;
    if (lang !== 'base') foreignCount++;
    if (prev !== null && prev !== lang) switches++;
    prev = lang;
  }
  return {
    tokens: toks.length,
    byLanguage,
    foreignShare: attributed ? foreignCount / attributed : 0,
    switchPointRate: attributed > 1 ? switches / (attributed - 1) : 0,
  };
}
