/**
 * What the writers check before writing a field, so that a file optical writes always reads back as
 * the same values: whitespace-separated TREC fields cannot hold whitespace (and a line starting with
 * '#' is a comment to trec_eval), a TSV cell cannot hold a tab or line break, and a lone UTF-16
 * surrogate has no UTF-8 encoding (Node would write U+FFFD in its place).
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** The whitespace the TREC readers split fields on (splitWhitespace in lines.ts, as trec_eval). Other Unicode spaces are ordinary characters there. */
export const TREC_SEPARATOR = /[ \t\n\v\f\r]/;

/** Why `value` cannot be a field of a TREC run/qrels line (`first`: the qid, first on the line), or null. */
export function trecFieldProblem(value: unknown, first: boolean): string | null {
  if (typeof value !== 'string' || value === '' || TREC_SEPARATOR.test(value)) return `must be a non-empty string without whitespace, got ${JSON.stringify(value)}`;
  if (first && value.startsWith('#')) return `cannot start with '#' (trec_eval reads such a line as a comment), got ${JSON.stringify(value)}`;
  if (hasLoneSurrogate(value)) return `holds a lone surrogate (not encodable as UTF-8): ${JSON.stringify(value)}`;
  return null;
}

/** Why `value` cannot be a TSV cell that reads back unchanged (`trimmed`: the reader trims it), or null. */
export function tsvCellProblem(value: string, trimmed: boolean): string | null {
  if (/[\t\n\r]/.test(value)) return 'TSV cannot hold tabs or newlines in a field; use JSONL';
  if (trimmed && value.trim() !== value) return 'has leading or trailing whitespace, which the TSV reader trims; use JSONL';
  if (hasLoneSurrogate(value)) return 'holds a lone surrogate (not encodable as UTF-8); use JSONL';
  return null;
}
