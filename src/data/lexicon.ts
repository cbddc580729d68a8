/**
 * Bilingual lexicons: several senses per headword with weights, multiword entries on both sides,
 * merging of sources, coverage of a text, and the TSV/MUSE file formats.
 *
 * Weights: within one source, a headword's sense weights are normalised to sum to 1 (so a source
 * with raw counts and one with 0/1 entries contribute comparably), then sources are combined as a
 * weighted sum and normalised again. `Lexicon.get` therefore returns a probability distribution.
 */
import { readTextFile, textLines } from '../ir/formats/lines.js';
import { parseNumberField } from '../ir/formats/numbers.js';
import { lexiconToTsv } from './formats.js';
import { normalizeTerm, tokenize } from './tokenize.js';
import type { LexiconPair } from './types.js';

export interface Sense {
  target: string;
  weight: number;
  /** Names of the sources that gave this sense. */
  sources: string[];
}

/** Canonical form of a lexicon entry: normalised term with surrounding punctuation removed. */
export function normalizeEntry(text: string): string {
  return normalizeTerm(text).replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '');
}

export class Lexicon {
  private readonly map = new Map<string, Map<string, Sense>>();
  /** Longest source entry in words (bounds n-gram matching). */
  maxSourceWords = 0;

  constructor(readonly srcLang = 'en', readonly tgtLang = 'x', readonly name = tgtLang) {}

  /** Adds (or reinforces) a sense. Empty or identical entries are ignored, bad weights throw. */
  add(src: string, tgt: string, weight = 1, source = this.name): void {
    if (!Number.isFinite(weight) || weight < 0) throw new RangeError(`Lexicon.add: weight for '${src}' → '${tgt}' must be finite and >= 0, got ${weight}`);
    const s = normalizeEntry(src);
    const t = normalizeEntry(tgt);
    if (!s || !t) return;
    let senses = this.map.get(s);
    if (!senses) {
      senses = new Map();
      this.map.set(s, senses);
      this.maxSourceWords = Math.max(this.maxSourceWords, s.split(' ').length);
    }
    const cur = senses.get(t);
    if (cur) {
      cur.weight += weight;
      if (!cur.sources.includes(source)) cur.sources.push(source);
    } else senses.set(t, { target: t, weight, sources: [source] });
  }

  /** Senses of a (normalised) headword, highest weight first; empty when absent. */
  get(src: string): Sense[] {
    const senses = this.map.get(normalizeEntry(src));
    if (!senses) return [];
    return [...senses.values()].sort((a, b) => b.weight - a.weight || a.target.localeCompare(b.target));
  }

  has(src: string): boolean {
    return this.map.has(normalizeEntry(src));
  }

  /**
   * Senses of a word, falling back to candidate base forms (e.g. `englishBaseForms`) when the exact
   * form is absent. Returns the headword that matched, or null.
   */
  lookup(word: string, baseForms?: (w: string) => string[]): { headword: string; senses: Sense[] } | null {
    const key = normalizeEntry(word);
    if (this.map.has(key)) return { headword: key, senses: this.get(key) };
    if (baseForms && !key.includes(' ')) {
      for (const b of baseForms(key)) if (this.map.has(b)) return { headword: b, senses: this.get(b) };
    }
    return null;
  }

  /** Number of distinct headwords. */
  get headwords(): number {
    return this.map.size;
  }

  /** Number of (headword, sense) pairs. */
  get size(): number {
    let n = 0;
    for (const s of this.map.values()) n += s.size;
    return n;
  }

  headwordList(): string[] {
    return [...this.map.keys()].sort();
  }

  /** Rescales each headword's sense weights to sum to 1. Returns this. */
  normalize(): this {
    for (const senses of this.map.values()) {
      let total = 0;
      for (const s of senses.values()) total += s.weight;
      if (total > 0) for (const s of senses.values()) s.weight /= total;
    }
    return this;
  }

  /** All pairs sorted by headword, then weight descending. */
  toPairs(): LexiconPair[] {
    const out: LexiconPair[] = [];
    for (const src of this.headwordList()) for (const s of this.get(src)) out.push({ src, tgt: s.target, weight: s.weight });
    return out;
  }

  toTsv(): string {
    return lexiconToTsv(this.toPairs());
  }

  /** Keeps only the `k` best senses per headword (and senses with weight ≥ minWeight). */
  prune(k: number, minWeight = 0): this {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`Lexicon.prune: k must be an integer >= 1, got ${k}`);
    for (const [src, senses] of this.map) {
      const keep = [...senses.values()].sort((a, b) => b.weight - a.weight || a.target.localeCompare(b.target)).filter((s, i) => i < k && s.weight >= minWeight);
      if (keep.length === 0) this.map.delete(src);
      else this.map.set(src, new Map(keep.map((s) => [s.target, s])));
    }
    return this;
  }

  static fromPairs(pairs: Iterable<LexiconPair>, srcLang = 'en', tgtLang = 'x', name = tgtLang): Lexicon {
    const lex = new Lexicon(srcLang, tgtLang, name);
    for (const p of pairs) lex.add(p.src, p.tgt, p.weight, name);
    return lex;
  }

  /**
   * Merges lexicons (same language pair): per-source normalisation, weighted sum, final
   * normalisation. `weight` lets a trusted dictionary count more than an induced lexicon.
   */
  static merge(parts: ReadonlyArray<{ lexicon: Lexicon; weight?: number }>, name = 'merged'): Lexicon {
    if (parts.length === 0) throw new RangeError('Lexicon.merge: need at least one lexicon');
    const first = parts[0].lexicon;
    const out = new Lexicon(first.srcLang, first.tgtLang, name);
    parts.forEach(({ lexicon, weight = 1 }, i) => {
      if (!Number.isFinite(weight) || weight <= 0) throw new RangeError(`Lexicon.merge: weight of part ${i} must be > 0, got ${weight}`);
      for (const src of lexicon.headwordList()) {
        const senses = lexicon.get(src);
        const total = senses.reduce((a, s) => a + s.weight, 0);
        for (const s of senses) {
          const w = total > 0 ? (weight * s.weight) / total : weight / senses.length;
          for (const source of s.sources) out.add(src, s.target, w / s.sources.length, source);
        }
      }
    });
    return out.normalize();
  }
}

/** Parses lexicon TSV `src\ttgt[\tweight]` (weight defaults to 1). */
export function parseLexiconTsv(text: string, opts: { srcLang?: string; tgtLang?: string; name?: string; file?: string } = {}): Lexicon {
  const lex = new Lexicon(opts.srcLang ?? 'en', opts.tgtLang ?? 'x', opts.name ?? opts.tgtLang ?? 'x');
  const file = opts.file ?? 'lexicon';
  textLines(text).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const f = line.split('\t');
    if (f.length < 2) throw new TypeError(`${file}:${i + 1}: expected 'src<TAB>tgt[<TAB>weight]', got '${line}'`);
    const w = f.length >= 3 && f[2].trim() !== '' ? parseNumberField(f[2].trim(), 'weight', file, i + 1, 0) : 1;
    lex.add(f[0], f[1], w);
  });
  return lex;
}

/**
 * Parses a MUSE-style dictionary (`src tgt` per line, space or tab separated; MUSE repeats a
 * source word once per translation). Single-word entries only, as in MUSE.
 */
export function parseMuseLexicon(text: string, opts: { srcLang?: string; tgtLang?: string; name?: string; file?: string } = {}): Lexicon {
  const lex = new Lexicon(opts.srcLang ?? 'en', opts.tgtLang ?? 'x', opts.name ?? 'muse');
  const file = opts.file ?? 'muse';
  textLines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const f = line.split(/[\t ]+/);
    if (f.length !== 2) throw new TypeError(`${file}:${i + 1}: expected 'src tgt' (two words), got '${line}'`);
    lex.add(f[0], f[1], 1);
  });
  return lex;
}

/** Reads a lexicon file: `.tsv` → TSV, anything else → MUSE text. */
export function readLexicon(path: string, opts: { srcLang?: string; tgtLang?: string; name?: string } = {}): Lexicon {
  const text = readTextFile(path);
  if (/\.tsv$/i.test(path) || text.split('\n', 1)[0].includes('\t')) return parseLexiconTsv(text, { ...opts, file: path });
  return parseMuseLexicon(text, { ...opts, file: path });
}

export interface Coverage {
  tokens: number;
  /** Tokens inside a matched lexicon entry (multiword entries count all their tokens). */
  coveredTokens: number;
  tokenCoverage: number;
  types: number;
  coveredTypes: number;
  typeCoverage: number;
}

/**
 * Share of a text's tokens (and word types) that the lexicon can translate, matching multiword
 * entries longest-first. Stopwords, when given, are excluded from both counts ("content words").
 * `baseForms` (e.g. `englishBaseForms`) lets single words match a lemma-only dictionary.
 */
export function lexiconCoverage(text: string, lexicon: Lexicon, stopwords: ReadonlySet<string> = new Set(), baseForms?: (w: string) => string[]): Coverage {
  const toks = tokenize(text).map((t) => normalizeEntry(t.text));
  const covered = new Array<boolean>(toks.length).fill(false);
  const maxN = Math.max(1, lexicon.maxSourceWords);
  for (let i = 0; i < toks.length; ) {
    let matched = 0;
    for (let n = Math.min(maxN, toks.length - i); n >= 1; n--) {
      const key = toks.slice(i, i + n).join(' ');
      if (n === 1 ? lexicon.lookup(key, baseForms) !== null : lexicon.has(key)) {
        matched = n;
        break;
      }
    }
    for (let k = 0; k < matched; k++) covered[i + k] = true;
    i += Math.max(1, matched);
  }
  let tokens = 0;
  let coveredTokens = 0;
  const types = new Map<string, boolean>();
  toks.forEach((t, i) => {
    if (stopwords.has(t) || !/\p{L}/u.test(t)) return;
    tokens++;
    if (covered[i]) coveredTokens++;
    types.set(t, (types.get(t) ?? false) || covered[i]);
  });
  const coveredTypes = [...types.values()].filter(Boolean).length;
  return {
    tokens,
    coveredTokens,
    tokenCoverage: tokens ? coveredTokens / tokens : 0,
    types: types.size,
    coveredTypes,
    typeCoverage: types.size ? coveredTypes / types.size : 0,
  };
}
