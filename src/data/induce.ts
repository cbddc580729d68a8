/**
 * Lexicon induction from bitext, so a language with parallel text but no dictionary still gets a
 * lexicon for code-switching:
 *
 * - `dice`: sentence-level co-occurrence, Dice(e, f) = 2·c(e,f) / (c(e) + c(f)).
 * - `ibm1`: IBM Model 1 translation table t(f | e) by EM (with a NULL source word), the classic
 *   co-occurrence model that explains each target word by one source word.
 * - any `AlignmentSource`: a plug-in that yields weighted token links per pair (e.g. the transport
 *   plan of a trained OT model); link weights are summed per word pair and normalised per source word.
 *
 * Stopwords and tokens without letters are excluded from the source side by default, because
 * function words co-occur with everything and crowd out content translations.
 */
import { Lexicon, normalizeEntry } from './lexicon.js';
import { silentProgress, type Progress } from './progress.js';
import { tokenize } from './tokenize.js';
import type { BitextPair } from './types.js';

/** A weighted link between token `s` of the source and token `t` of the target of one pair. */
export interface AlignmentLink {
  s: number;
  t: number;
  weight: number;
}

/** Pluggable aligner. Token indices refer to the token arrays passed in. */
export interface AlignmentSource {
  name: string;
  align(srcTokens: readonly string[], tgtTokens: readonly string[], pairIndex: number): Iterable<AlignmentLink>;
}

export interface InduceOptions {
  method: 'dice' | 'ibm1' | AlignmentSource;
  srcLang?: string;
  tgtLang?: string;
  /** Minimum co-occurrence count (dice) or expected count (ibm1/alignment) of a word pair (default 2). */
  minCount?: number;
  /** Keep at most this many senses per source word (default 3). */
  topK?: number;
  /** Drop senses whose score is below this (default 0.1 for dice, 0.05 otherwise). */
  minScore?: number;
  /** EM iterations for ibm1 (default 8). */
  iterations?: number;
  /** Source words to ignore (e.g. English stopwords). */
  srcStopwords?: ReadonlySet<string>;
  tgtStopwords?: ReadonlySet<string>;
  progress?: Progress;
}

function toks(text: string, stop: ReadonlySet<string>): string[] {
  return tokenize(text)
    .map((t) => normalizeEntry(t.text))
    .filter((w) => w && /\p{L}/u.test(w) && !stop.has(w));
}

export function induceLexicon(pairs: readonly BitextPair[], opts: InduceOptions): Lexicon {
  const srcStop = opts.srcStopwords ?? new Set<string>();
  const tgtStop = opts.tgtStopwords ?? new Set<string>();
  const minCount = opts.minCount ?? 2;
  const topK = opts.topK ?? 3;
  const progress = opts.progress ?? silentProgress;
  if (!Number.isFinite(minCount) || minCount < 0) throw new RangeError(`induceLexicon: minCount must be >= 0, got ${minCount}`);
  if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`induceLexicon: topK must be an integer >= 1, got ${topK}`);
  const name = typeof opts.method === 'string' ? `induced-${opts.method}` : `induced-${opts.method.name}`;
  const srcLang = opts.srcLang ?? (pairs[0]?.srcLang as string | undefined) ?? 'en';
  const tgtLang = opts.tgtLang ?? (pairs[0]?.tgtLang as string | undefined) ?? 'x';
  const sents = pairs.map((p, i) => {
    if (typeof p.src !== 'string' || typeof p.tgt !== 'string') throw new TypeError(`induceLexicon: pair ${i} needs string src and tgt`);
    return [toks(p.src, srcStop), toks(p.tgt, tgtStop)] as const;
  });
  let scores: Map<string, Map<string, { score: number; count: number }>>;
  if (opts.method === 'dice') scores = dice(sents);
  else if (opts.method === 'ibm1') scores = ibm1(sents, opts.iterations ?? 8, progress);
  else scores = fromAlignment(pairs, opts.method, srcStop, tgtStop);
  const minScore = opts.minScore ?? (opts.method === 'dice' ? 0.1 : 0.05);
  const lex = new Lexicon(srcLang, tgtLang, name);
  for (const [e, row] of scores) {
    const best = [...row.entries()]
      .filter(([, v]) => v.count >= minCount && v.score >= minScore)
      .sort((a, b) => b[1].score - a[1].score || a[0].localeCompare(b[0]))
      .slice(0, topK);
    for (const [f, v] of best) lex.add(e, f, v.score, name);
  }
  return lex;
}

type Scores = Map<string, Map<string, { score: number; count: number }>>;

function dice(sents: ReadonlyArray<readonly [string[], string[]]>): Scores {
  const ce = new Map<string, number>();
  const cf = new Map<string, number>();
  const cef = new Map<string, Map<string, number>>();
  for (const [s, t] of sents) {
    const us = new Set(s);
    const ut = new Set(t);
    for (const e of us) ce.set(e, (ce.get(e) ?? 0) + 1);
    for (const f of ut) cf.set(f, (cf.get(f) ?? 0) + 1);
    for (const e of us) {
      let row = cef.get(e);
      if (!row) cef.set(e, (row = new Map()));
      for (const f of ut) row.set(f, (row.get(f) ?? 0) + 1);
    }
  }
  const out: Scores = new Map();
  for (const [e, row] of cef) {
    const o = new Map<string, { score: number; count: number }>();
    for (const [f, c] of row) o.set(f, { score: (2 * c) / (ce.get(e)! + cf.get(f)!), count: c });
    out.set(e, o);
  }
  return out;
}

const NULL = '\u0000NULL';

function ibm1(sents: ReadonlyArray<readonly [string[], string[]]>, iterations: number, progress: Progress): Scores {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`induceLexicon: iterations must be an integer >= 1, got ${iterations}`);
  // t[e][f] = t(f | e); uniform start over co-occurring target words.
  const t = new Map<string, Map<string, number>>();
  for (const [s, tg] of sents) {
    for (const e of [NULL, ...s]) {
      let row = t.get(e);
      if (!row) t.set(e, (row = new Map()));
      for (const f of tg) row.set(f, 1);
    }
  }
  for (const row of t.values()) for (const f of row.keys()) row.set(f, 1 / row.size);
  let counts = new Map<string, Map<string, number>>();
  for (let it = 0; it < iterations; it++) {
    counts = new Map();
    const total = new Map<string, number>();
    for (const [s, tg] of sents) {
      const src = [NULL, ...s];
      for (const f of tg) {
        let z = 0;
        for (const e of src) z += t.get(e)!.get(f)!;
        for (const e of src) {
          const c = t.get(e)!.get(f)! / z;
          let row = counts.get(e);
          if (!row) counts.set(e, (row = new Map()));
          row.set(f, (row.get(f) ?? 0) + c);
          total.set(e, (total.get(e) ?? 0) + c);
        }
      }
    }
    for (const [e, row] of counts) {
      const tr = t.get(e)!;
      const tot = total.get(e)!;
      for (const f of tr.keys()) tr.set(f, (row.get(f) ?? 0) / tot);
    }
    progress.update(it + 1, iterations, 'EM iterations');
  }
  const out: Scores = new Map();
  for (const [e, row] of t) {
    if (e === NULL) continue;
    const c = counts.get(e);
    const o = new Map<string, { score: number; count: number }>();
    for (const [f, p] of row) o.set(f, { score: p, count: c?.get(f) ?? 0 });
    out.set(e, o);
  }
  return out;
}

function fromAlignment(
  pairs: readonly BitextPair[],
  source: AlignmentSource,
  srcStop: ReadonlySet<string>,
  tgtStop: ReadonlySet<string>,
): Scores {
  // The aligner sees all tokens (it may need function words for context); filtering happens after.
  const acc = new Map<string, Map<string, number>>();
  pairs.forEach((p, i) => {
    const s = tokenize(p.src).map((x) => normalizeEntry(x.text));
    const tg = tokenize(p.tgt).map((x) => normalizeEntry(x.text));
    for (const link of source.align(s, tg, i)) {
      if (!Number.isInteger(link.s) || link.s < 0 || link.s >= s.length || !Number.isInteger(link.t) || link.t < 0 || link.t >= tg.length) {
        throw new RangeError(`induceLexicon: aligner '${source.name}' gave link (${link.s}, ${link.t}) outside pair ${i} (${s.length}×${tg.length} tokens)`);
      }
      if (!Number.isFinite(link.weight) || link.weight < 0) throw new RangeError(`induceLexicon: aligner '${source.name}' gave weight ${link.weight} in pair ${i}`);
      const e = s[link.s];
      const f = tg[link.t];
      if (srcStop.has(e) || tgtStop.has(f) || !/\p{L}/u.test(e) || !/\p{L}/u.test(f)) continue;
      let row = acc.get(e);
      if (!row) acc.set(e, (row = new Map()));
      row.set(f, (row.get(f) ?? 0) + link.weight);
    }
  });
  const out: Scores = new Map();
  for (const [e, row] of acc) {
    let tot = 0;
    for (const v of row.values()) tot += v;
    const o = new Map<string, { score: number; count: number }>();
    for (const [f, c] of row) o.set(f, { score: c / tot, count: c });
    out.set(e, o);
  }
  return out;
}
