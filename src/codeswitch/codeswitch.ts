/**
 * Code-switching of English text with bilingual lexicons, after Litschko et al. (2023), "Boosting
 * Zero-shot Cross-lingual Retrieval by Training on Artificially Code-Switched Data":
 *
 * - `bl` (bilingual CS): each token the lexicon knows is replaced with probability p.
 * - `ml` (multilingual CS): as `bl`, but for each replaced token the target language is drawn
 *   uniformly from the lexicons that know the token.
 * - `wiki` (Wiki-CS style): greedy longest-first matching of 1..maxNgram-word lexicon entries,
 *   skipping stopwords, p = 1 by default (every matched span is replaced).
 *
 * Every replacement is recorded with word indices and character offsets on both sides, so the
 * output doubles as bitext with known token correspondences (for OT distillation targets and as
 * ground truth when scoring an alignment). Output is a pure function of (text, options, seed).
 */
import type { Lexicon, Sense } from '../data/lexicon.js';
import { normalizeEntry } from '../data/lexicon.js';
import { Rng } from '../random/rng.js';
import { stopwordsFor } from '../data/stopwords.js';
import { tokenize, type Token } from '../data/tokenize.js';

export type CodeSwitchMode = 'bl' | 'ml' | 'wiki';

export interface CodeSwitchOptions {
  mode: CodeSwitchMode;
  /** One lexicon for `bl`; one or more for `ml` and `wiki`. Source side must be the text's language. */
  lexicons: readonly Lexicon[];
  /** Replacement probability per eligible token/span (default 0.5 for bl/ml, 1 for wiki). */
  p?: number;
  /** Seed or a shared Rng (pass an Rng to continue one stream over many texts). */
  seed?: number | string | Rng;
  /** Longest lexicon entry to match, in words (default 1 for bl/ml, 3 for wiki). */
  maxNgram?: number;
  /** Words never replaced in `wiki` mode (default: stopword list of the source language). */
  stopwords?: ReadonlySet<string>;
  /** How to pick among senses: sample by weight (default) or always take the best one. */
  sense?: 'sample' | 'top';
  /** Keep a leading capital ("Freedom" → "Uhuru") (default true). */
  preserveCase?: boolean;
  /**
   * Base-form candidates for single words missing from the lexicon (e.g. `englishBaseForms`, so
   * "rights" can use a lemma-only dictionary's "right"). Off by default: exact forms only.
   */
  baseForms?: (word: string) => string[];
  /**
   * ML-CS language choice: 'known' (default) draws uniformly among the lexicons that have the token,
   * so every eligible token is switched with probability p; 'any' draws uniformly among all
   * lexicons and leaves the token unchanged when the drawn one lacks it (the literal reading of
   * "pick a language, then look the word up"; the realised rate is then below p).
   */
  mlLanguage?: 'known' | 'any';
}

/** One replaced span. Token indices refer to `tokenize(src)` and `tokenize(tgt)`; ends are exclusive. */
export interface Replacement {
  srcTokenStart: number;
  srcTokenEnd: number;
  srcCharStart: number;
  srcCharEnd: number;
  tgtTokenStart: number;
  tgtTokenEnd: number;
  tgtCharStart: number;
  tgtCharEnd: number;
  /** Source text of the span, as it appeared. */
  source: string;
  /** Inserted translation. */
  target: string;
  /** Target language (the lexicon's tgtLang). */
  lang: string;
  /** Sense weight in the lexicon. */
  weight: number;
}

export interface CodeSwitchResult {
  src: string;
  tgt: string;
  srcTokens: number;
  tgtTokens: number;
  /** Source tokens eligible for replacement (in some lexicon and not a skipped stopword). */
  eligibleTokens: number;
  replacements: Replacement[];
}

function checkOptions(opts: CodeSwitchOptions): { p: number; maxNgram: number } {
  if (opts.mlLanguage !== undefined && opts.mlLanguage !== 'known' && opts.mlLanguage !== 'any') throw new TypeError(`codeSwitch: mlLanguage must be 'known' or 'any', got '${String(opts.mlLanguage)}'`);
  if (opts.mode !== 'bl' && opts.mode !== 'ml' && opts.mode !== 'wiki') throw new TypeError(`codeSwitch: mode must be 'bl', 'ml' or 'wiki', got '${String(opts.mode)}'`);
  if (!Array.isArray(opts.lexicons) || opts.lexicons.length === 0) throw new TypeError('codeSwitch: lexicons must be a non-empty array');
  if (opts.mode === 'bl' && opts.lexicons.length !== 1) throw new RangeError(`codeSwitch: mode 'bl' takes exactly one lexicon, got ${opts.lexicons.length} (use 'ml' for several)`);
  const p = opts.p ?? (opts.mode === 'wiki' ? 1 : 0.5);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`codeSwitch: p must be in [0, 1], got ${p}`);
  const maxNgram = opts.maxNgram ?? (opts.mode === 'wiki' ? 3 : 1);
  if (!Number.isInteger(maxNgram) || maxNgram < 1) throw new RangeError(`codeSwitch: maxNgram must be an integer >= 1, got ${maxNgram}`);
  return { p, maxNgram };
}

function matchCase(original: string, translation: string): string {
  const first = original[0];
  if (first && first !== first.toLowerCase() && first === first.toUpperCase()) {
    return translation[0].toUpperCase() + translation.slice(1);
  }
  return translation;
}

/** Normalised words of tokens i..i+n-1 when they are separated by whitespace only, else null. */
function spanKey(text: string, toks: readonly Token[], norm: readonly string[], i: number, n: number): string | null {
  for (let k = i; k < i + n - 1; k++) {
    if (!/^\s+$/.test(text.slice(toks[k].end, toks[k + 1].start))) return null;
  }
  return norm.slice(i, i + n).join(' ');
}

/** Code-switches one text. */
export function codeSwitch(text: string, opts: CodeSwitchOptions): CodeSwitchResult {
  if (typeof text !== 'string') throw new TypeError('codeSwitch: text must be a string');
  const { p, maxNgram } = checkOptions(opts);
  const rng = opts.seed instanceof Rng ? opts.seed : new Rng(opts.seed ?? 0);
  const preserveCase = opts.preserveCase ?? true;
  const toks = tokenize(text);
  const norm = toks.map((t) => normalizeEntry(t.text));
  const stop = opts.mode === 'wiki' ? (opts.stopwords ?? stopwordsFor(opts.lexicons[0].srcLang)) : new Set<string>();

  // Decide replacements on the source side first (spans + chosen translation).
  const chosen: Array<{ start: number; end: number; target: string; lang: string; weight: number }> = [];
  let eligible = 0;
  for (let i = 0; i < toks.length; ) {
    let span = 0;
    let candidates: Array<{ lexicon: Lexicon; senses: Sense[] }> = [];
    for (let n = Math.min(maxNgram, toks.length - i); n >= 1; n--) {
      if (opts.mode === 'wiki' && (stop.has(norm[i]) || stop.has(norm[i + n - 1]))) continue;
      const key = spanKey(text, toks, norm, i, n);
      if (key === null) continue;
      candidates = [];
      for (const lexicon of opts.lexicons) {
        const found = n === 1 ? lexicon.lookup(key, opts.baseForms) : { senses: lexicon.get(key) };
        if (found && found.senses.length > 0) candidates.push({ lexicon, senses: found.senses });
      }
      if (candidates.length > 0) {
        span = n;
        break;
      }
    }
    if (span === 0) {
      i++;
      continue;
    }
    eligible += span;
    if (p >= 1 || rng.next() < p) {
      let pick: { lexicon: Lexicon; senses: Sense[] } | undefined;
      if (opts.mode === 'ml' && opts.mlLanguage === 'any') {
        const drawn = opts.lexicons[rng.int(opts.lexicons.length)];
        pick = candidates.find((c) => c.lexicon === drawn);
        if (!pick) {
          i += span;
          continue;
        }
      } else pick = candidates.length === 1 ? candidates[0] : candidates[rng.int(candidates.length)];
      const senses = pick.senses;
      const k = opts.sense === 'top' || senses.length === 1 ? 0 : rng.weighted(senses.map((s) => s.weight));
      chosen.push({ start: i, end: i + span, target: senses[k].target, lang: pick.lexicon.tgtLang, weight: senses[k].weight });
    }
    i += span;
  }

  // Rebuild the text, copying everything between replaced spans verbatim.
  let out = '';
  let cursor = 0;
  const replacements: Replacement[] = [];
  for (const c of chosen) {
    const srcCharStart = toks[c.start].start;
    const srcCharEnd = toks[c.end - 1].end;
    out += text.slice(cursor, srcCharStart);
    const target = preserveCase ? matchCase(text.slice(srcCharStart, srcCharEnd), c.target) : c.target;
    const tgtCharStart = out.length;
    out += target;
    replacements.push({
      srcTokenStart: c.start, srcTokenEnd: c.end, srcCharStart, srcCharEnd,
      tgtTokenStart: -1, tgtTokenEnd: -1, tgtCharStart, tgtCharEnd: out.length,
      source: text.slice(srcCharStart, srcCharEnd), target, lang: c.lang, weight: c.weight,
    });
    cursor = srcCharEnd;
  }
  out += text.slice(cursor);

  // Target token indices from the final text (a translation may be several words).
  const outToks = tokenize(out);
  let j = 0;
  for (const r of replacements) {
    while (j < outToks.length && outToks[j].end <= r.tgtCharStart) j++;
    r.tgtTokenStart = j;
    while (j < outToks.length && outToks[j].start < r.tgtCharEnd) j++;
    r.tgtTokenEnd = j;
  }
  return { src: text, tgt: out, srcTokens: toks.length, tgtTokens: outToks.length, eligibleTokens: eligible, replacements };
}

/**
 * Token alignment between `tokenize(src)` and `tokenize(tgt)` implied by a result: unchanged tokens
 * map one-to-one in order, a replaced span maps all-to-all to its translation's tokens.
 */
export function tokenAlignment(r: CodeSwitchResult): Array<[number, number]> {
  const links: Array<[number, number]> = [];
  let s = 0;
  let t = 0;
  for (const rep of r.replacements) {
    while (s < rep.srcTokenStart) links.push([s++, t++]);
    for (let a = rep.srcTokenStart; a < rep.srcTokenEnd; a++) for (let b = rep.tgtTokenStart; b < rep.tgtTokenEnd; b++) links.push([a, b]);
    s = rep.srcTokenEnd;
    t = rep.tgtTokenEnd;
  }
  while (s < r.srcTokens && t < r.tgtTokens) links.push([s++, t++]);
  return links;
}
