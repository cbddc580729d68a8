/**
 * Word-by-word query translation with a bilingual lexicon, for CLIR with a monolingual BM25.
 * Each source token occurrence carries total weight 1, spread over its chosen senses:
 *  - senses 'first': the first sense gets it all;
 *  - senses 'all': every sense gets weight_i / Σ weight (uniform when all weights are 0).
 * A sense that is a phrase is run through the target analyzer and its weight is split evenly over
 * the resulting terms (stopwords inside phrases vanish). Lookup tries the token itself, then — for
 * English sources with stemFallback — any headword with the same Porter stem ("rights" finds
 * "right"). Tokens without a translation are kept verbatim when keepUntranslated is set (names and
 * numbers often survive across languages), otherwise dropped.
 */
import { stemmer } from 'stemmer';
import type { BilingualLexicon, LexiconSense } from '../lexicon-types.js';
import type { Analyzer } from './analyzer.js';
import type { WeightedQuery } from './bm25.js';

export interface TranslationOptions {
  senses?: 'all' | 'first';
  keepUntranslated?: boolean;
  /** Analyzer of the target language (the collection's). */
  targetAnalyzer: Analyzer;
  /** Fall back to Porter-stem matching of headwords (English sources). Default true. */
  stemFallback?: boolean;
}

export interface TranslationResult {
  query: WeightedQuery;
  /** Source tokens with no lexicon entry. */
  untranslated: string[];
}

/** A lexicon prepared for lookups (adds the stem index once, not per query). */
export class LexiconLookup {
  private byStem: Map<string, LexiconSense[]> | undefined;

  constructor(readonly lexicon: BilingualLexicon) {
    if (!(lexicon instanceof Map)) throw new TypeError('lexicon must be a Map<string, {term, weight}[]>');
  }

  senses(token: string, stemFallback: boolean): LexiconSense[] | undefined {
    const exact = this.lexicon.get(token);
    if (exact && exact.length > 0) return exact;
    if (!stemFallback) return undefined;
    if (!this.byStem) {
      this.byStem = new Map();
      for (const [word, senses] of this.lexicon) {
        // Only single words: a phrase headword cannot match one query token.
        if (/\s/.test(word)) continue;
        const key = stemmer(word);
        const list = this.byStem.get(key) ?? [];
        for (const s of senses) if (!list.some((x) => x.term === s.term)) list.push(s);
        this.byStem.set(key, list);
      }
    }
    const viaStem = this.byStem.get(stemmer(token));
    return viaStem && viaStem.length > 0 ? viaStem : undefined;
  }
}

export function translateQuery(sourceTokens: readonly string[], lookup: LexiconLookup, options: TranslationOptions): TranslationResult {
  const { senses: mode = 'all', keepUntranslated = true, targetAnalyzer, stemFallback = true } = options;
  const query: WeightedQuery = new Map();
  const untranslated: string[] = [];
  const add = (term: string, w: number) => query.set(term, (query.get(term) ?? 0) + w);
  for (const token of sourceTokens) {
    const senses = lookup.senses(token, stemFallback);
    if (!senses) {
      untranslated.push(token);
      if (keepUntranslated) for (const t of targetAnalyzer(token)) add(t, 1);
      continue;
    }
    const chosen = mode === 'first' ? senses.slice(0, 1) : senses;
    const total = chosen.reduce((acc, s) => acc + s.weight, 0);
    for (const s of chosen) {
      const share = total > 0 ? s.weight / total : 1 / chosen.length;
      const terms = targetAnalyzer(s.term);
      for (const t of terms) add(t, share / terms.length);
    }
  }
  for (const [t, w] of query) if (w === 0) query.delete(t);
  return { query, untranslated };
}
