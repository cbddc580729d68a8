/**
 * Text → index terms for BM25: Unicode NFKC, lowercase, word tokens (letters, marks and digits, with
 * inner apostrophes kept so Swahili "ng'ombe" stays one word), stopword removal, optional Porter
 * stemming for English (npm `stemmer`; no maintained stemmer for other languages is used).
 */
import { stemmer } from 'stemmer';
import { stopwordsFor } from './stopwords.js';
import { languageCandidates } from '../language-codes.js';

export interface AnalyzerOptions {
  /** Language code of the text ('en', 'sw', 'swh', …); selects stopwords and the stemmer. */
  lang?: string;
  /** true (default): the language's list; false: none; or an explicit set. */
  stopwords?: boolean | ReadonlySet<string>;
  /** Porter-stem English tokens (default false). Throws for languages without a stemmer. */
  stem?: boolean;
}

export type Analyzer = (text: string) => string[];

const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*/gu;

/** Normalises and splits text into lowercase word tokens (no stopwords, no stemming). */
export function tokenizeWords(text: string): string[] {
  const norm = text.normalize('NFKC').toLowerCase().replace(/[\u2019\u02bc]/g, "'");
  return norm.match(WORD) ?? [];
}

export function isEnglish(lang: string | undefined): boolean {
  return lang !== undefined && languageCandidates(lang).includes('en');
}

export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const { lang, stem = false } = options;
  let stops: ReadonlySet<string>;
  if (options.stopwords === false) stops = new Set();
  else if (options.stopwords === undefined || options.stopwords === true) stops = lang ? stopwordsFor(lang) : new Set();
  else stops = options.stopwords;
  if (stem && !isEnglish(lang)) {
    throw new RangeError(`stem: only English has a stemmer here, got lang '${lang ?? '(none)'}'`);
  }
  return (text: string) => {
    if (typeof text !== 'string') throw new TypeError(`analyzer: text must be a string, got ${typeof text}`);
    const out: string[] = [];
    for (const tok of tokenizeWords(text)) {
      if (stops.has(tok)) continue;
      out.push(stem ? stemmer(tok) : tok);
    }
    return out;
  };
}
