/**
 * Word tokenisation with character offsets. Offsets matter because code-switching records exactly
 * which source characters were replaced (ground truth for alignment). Words are maximal runs of
 * letters/marks/digits with inner apostrophes or hyphens, so "don't" and "well-known" stay whole;
 * everything else (punctuation, spaces) is left between tokens and preserved verbatim on output.
 */

export interface Token {
  text: string;
  /** UTF-16 offset of the first character in the source string. */
  start: number;
  /** UTF-16 offset one past the last character. */
  end: number;
}

const WORD = /[\p{L}\p{M}\p{N}]+(?:['\u2019-][\p{L}\p{M}\p{N}]+)*/gu;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  WORD.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD.exec(text)) !== null) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

/** Lower-cased word list (for lexicon lookups, overlap measures). */
export function words(text: string): string[] {
  return tokenize(text).map((t) => normalizeTerm(t.text));
}

/** Canonical form of a term or phrase: NFC, lower case, typographic apostrophe folded, single spaces. */
export function normalizeTerm(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\u2019/g, "'").replace(/\s+/g, ' ').trim();
}

/** Token-set Jaccard similarity (used to detect untranslated paragraphs). */
export function jaccard(a: string, b: string): number {
  const sa = new Set(words(a));
  const sb = new Set(words(b));
  if (sa.size === 0 && sb.size === 0) return 1;
  let inter = 0;
  for (const w of sa) if (sb.has(w)) inter++;
  return inter / (sa.size + sb.size - inter);
}

/** Sentence split via ICU (Intl.Segmenter), so language-specific punctuation is handled. */
export function sentences(text: string, lang: string): string[] {
  let seg: Intl.Segmenter;
  try {
    seg = new Intl.Segmenter(lang, { granularity: 'sentence' });
  } catch {
    seg = new Intl.Segmenter('und', { granularity: 'sentence' });
  }
  const out: string[] = [];
  for (const s of seg.segment(text)) {
    const t = s.segment.trim();
    if (t) out.push(t);
  }
  return out;
}
