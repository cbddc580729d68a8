/**
 * Topics and collections share two text formats:
 *  - TSV: `id<TAB>text[<TAB>lang]` (text may not contain tabs or newlines),
 *  - JSONL: one JSON object per line, `{qid|docno, text, lang?}`.
 * The format is chosen from the file extension (.jsonl/.json → JSONL, anything else → TSV) unless
 * given explicitly.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { IrFormatError } from './format-error.js';
import { tsvCellProblem } from './fields.js';
import type { LineSource } from './lines.js';

export type RecordFormat = 'tsv' | 'jsonl';

export function formatFromPath(path: string): RecordFormat {
  return /\.jsonl?$/i.test(path) ? 'jsonl' : 'tsv';
}

export interface TextRecord {
  id: string;
  text: string;
  lang?: string;
}

/** Streams {id, text, lang} records; `idField` is 'qid' for topics, 'docno' for documents. */
export async function* iterateRecords(
  lines: LineSource,
  source: string,
  format: RecordFormat,
  idField: 'qid' | 'docno',
): AsyncGenerator<TextRecord & { lineNumber: number }> {
  const seen = new Map<string, number>();
  for await (const batch of lines) {
    for (let b = 0; b < batch.lines.length; b++) {
      const text = batch.lines[b];
      const lineNumber = batch.firstLineNumber + b;
      if (text.trim() === '') continue;
      const rec = format === 'jsonl' ? parseJsonRecord(text, source, lineNumber, idField) : parseTsvRecord(text, source, lineNumber, idField);
      const first = seen.get(rec.id);
      if (first !== undefined) {
        throw new IrFormatError(source, lineNumber, `duplicate ${idField} '${rec.id}'; first seen on line ${first}`);
      }
      seen.set(rec.id, lineNumber);
      yield { ...rec, lineNumber };
    }
  }
}

function parseTsvRecord(text: string, source: string, lineNumber: number, idField: string): TextRecord {
  const fields = text.split('\t');
  if (fields.length < 2 || fields.length > 3) {
    throw new IrFormatError(source, lineNumber, `TSV line needs '${idField}<TAB>text[<TAB>lang]', got ${fields.length} field(s)`);
  }
  const id = fields[0].trim();
  if (id === '') throw new IrFormatError(source, lineNumber, `empty ${idField}`);
  const rec: TextRecord = { id, text: fields[1] };
  if (fields.length === 3 && fields[2].trim() !== '') rec.lang = fields[2].trim();
  return rec;
}

function parseJsonRecord(text: string, source: string, lineNumber: number, idField: string): TextRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new IrFormatError(source, lineNumber, `invalid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IrFormatError(source, lineNumber, 'JSONL line must be an object');
  }
  const obj = value as Record<string, unknown>;
  const id = obj[idField];
  // Numeric ids are common in converted data sets; keep their decimal spelling. Beyond 2^53 JSON
  // numbers lose digits (12345678901234567891 reads as …7000), so two ids could merge.
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new IrFormatError(source, lineNumber, `field '${idField}' must be a string`);
  }
  if (typeof id === 'number' && !Number.isSafeInteger(id)) {
    throw new IrFormatError(source, lineNumber, `numeric ${idField} ${text.match(new RegExp(`"${idField}"\\s*:\\s*([-+\\d.eE]+)`))?.[1] ?? id} is not an integer below 2^53 (it would lose digits); write it as a string`);
  }
  if (String(id) === '') throw new IrFormatError(source, lineNumber, `empty ${idField}`);
  if (typeof obj.text !== 'string') throw new IrFormatError(source, lineNumber, `field 'text' must be a string`);
  if (obj.lang !== undefined && typeof obj.lang !== 'string') {
    throw new IrFormatError(source, lineNumber, `field 'lang' must be a string when present`);
  }
  const rec: TextRecord = { id: String(id), text: obj.text };
  if (typeof obj.lang === 'string') rec.lang = obj.lang;
  return rec;
}

/** Serialises one record in the given format. */
export function formatRecord(rec: TextRecord, format: RecordFormat, idField: 'qid' | 'docno'): string {
  if (format === 'jsonl') {
    const obj: Record<string, string> = { [idField]: rec.id, text: rec.text };
    if (rec.lang !== undefined) obj.lang = rec.lang;
    return `${JSON.stringify(obj)}\n`;
  }
  const problem = (rec.id === '' ? 'is empty' : null) ?? tsvCellProblem(rec.id, true) ?? tsvCellProblem(rec.text, false) ?? (rec.lang !== undefined ? tsvCellProblem(rec.lang, true) : null);
  if (problem) throw new TypeError(`${idField} '${rec.id}': ${problem}`);
  return rec.lang !== undefined ? `${rec.id}\t${rec.text}\t${rec.lang}\n` : `${rec.id}\t${rec.text}\n`;
}

export async function writeRecords(path: string, records: Iterable<TextRecord>, format: RecordFormat, idField: 'qid' | 'docno'): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  try {
    for (const rec of records) {
      if (!out.write(formatRecord(rec, format, idField))) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
}
