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

/**
 * IBM Model 1 EM over integer ids and flat typed arrays: every (source word, target word) pair that
 * co-occurs gets one slot, and each sentence stores the slots of its |src+NULL|×|tgt| grid, so an
 * EM pass is a few tight loops (the Map-based version took ~30 s on 13k help-page pairs).
 */
function ibm1(sents: ReadonlyArray<readonly [string[], string[]]>, iterations: number, progress: Progress): Scores {
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`induceLexicon: iterations must be an integer >= 1, got ${iterations}`);
  const srcIds = new Map<string, number>([['', 0]]); // id 0 = NULL source word
  const tgtIds = new Map<string, number>();
  const intern = (m: Map<string, number>, w: string) => {
    let id = m.get(w);
    if (id === undefined) m.set(w, (id = m.size));
    return id;
  };
  const slotOf = new Map<number, number>();
  const slotSrc: number[] = [];
  const slotTgt: number[] = [];
  const grids: Array<{ nSrc: number; nTgt: number; slots: Int32Array }> = [];
  for (const [s, tg] of sents) {
    if (tg.length === 0) continue;
    const es = [0, ...s.map((w) => intern(srcIds, w))];
    const fs = tg.map((w) => intern(tgtIds, w));
    const slots = new Int32Array(es.length * fs.length);
    for (let j = 0; j < fs.length; j++) {
      for (let i = 0; i < es.length; i++) {
        // Pair key fits a double exactly: ids are far below 2^26.
        const key = es[i] * 67108864 + fs[j];
        let slot = slotOf.get(key);
        if (slot === undefined) {
          slot = slotSrc.length;
          slotOf.set(key, slot);
          slotSrc.push(es[i]);
          slotTgt.push(fs[j]);
        }
        slots[j * es.length + i] = slot;
      }
    }
    grids.push({ nSrc: es.length, nTgt: fs.length, slots });
  }
  const nSlots = slotSrc.length;
  const t = new Float64Array(nSlots);
  // Uniform start: t(f | e) = 1 / (number of target words co-occurring with e).
  const fanout = new Float64Array(srcIds.size);
  for (let k = 0; k < nSlots; k++) fanout[slotSrc[k]]++;
  for (let k = 0; k < nSlots; k++) t[k] = 1 / fanout[slotSrc[k]];
  const counts = new Float64Array(nSlots);
  const total = new Float64Array(srcIds.size);
  for (let it = 0; it < iterations; it++) {
    counts.fill(0);
    total.fill(0);
    for (const g of grids) {
      for (let j = 0; j < g.nTgt; j++) {
        const base = j * g.nSrc;
        let z = 0;
        for (let i = 0; i < g.nSrc; i++) z += t[g.slots[base + i]];
        for (let i = 0; i < g.nSrc; i++) {
          const slot = g.slots[base + i];
          const c = t[slot] / z;
          counts[slot] += c;
          total[slotSrc[slot]] += c;
        }
      }
    }
    for (let k = 0; k < nSlots; k++) t[k] = counts[k] / total[slotSrc[k]];
    progress.update(it + 1, iterations, 'EM iterations');
  }
  const srcWords: string[] = [];
  for (const [w, id] of srcIds) srcWords[id] = w;
  const tgtWords: string[] = [];
  for (const [w, id] of tgtIds) tgtWords[id] = w;
  const out: Scores = new Map();
  for (let k = 0; k < nSlots; k++) {
    if (slotSrc[k] === 0) continue;
    const e = srcWords[slotSrc[k]];
    let row = out.get(e);
    if (!row) out.set(e, (row = new Map()));
    row.set(tgtWords[slotTgt[k]], { score: t[k], count: counts[k] });
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
