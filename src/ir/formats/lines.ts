/**
 * The one way optical reads text files a user hands it (TREC runs/qrels/topics, collections,
 * bitext, lexicons, training examples, dictd entries): strict UTF-8 — an invalid byte is an error
 * naming `file:line` and the column, never a silent U+FFFD that could merge two ids — a UTF-8
 * byte-order mark at the start is dropped (it would otherwise become part of the first id), a
 * UTF-16 file is named as such, and a trailing '\r' is removed from every line.
 *
 * Files are streamed in 1 MiB chunks and handed out as *batches* of lines: an async step per line
 * (readline's `for await`) made a 5 M-line run take ~40 s to read; per batch the parsers loop
 * synchronously. In-memory text gives the same batches.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { IrFormatError } from './format-error.js';

/** Consecutive lines (without terminators; a trailing '\r' is removed) starting at a 1-based line number. */
export interface LineBatch {
  firstLineNumber: number;
  lines: string[];
}

/** Both sync and async batch sources are accepted by the parsers. */
export type LineSource = Iterable<LineBatch> | AsyncIterable<LineBatch>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function stripCarriageReturns(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
}

/**
 * Byte offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
 * surrogates and code points above U+10FFFF included), or -1. Only runs on the error path.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) { i++; continue; }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) { len = 3; if (b === 0xe0) lo = 0xa0; if (b === 0xed) hi = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { len = 4; if (b === 0xf0) lo = 0x90; if (b === 0xf4) hi = 0x8f; }
    else return i;
    if (i + len > n) return i;
    if (bytes[i + 1] < lo || bytes[i + 1] > hi) return i;
    for (let k = 2; k < len; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return i;
    i += len;
  }
  return -1;
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Decodes UTF-8 strictly. `firstLine` is the line number of the first byte (for the error); a
 * leading byte-order mark is NOT removed here (see decodeTextFile).
 */
export function decodeUtf8(bytes: Uint8Array, source: string, firstLine = 1): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = Math.max(0, firstInvalidUtf8(bytes));
    let line = firstLine;
    let lineStart = 0;
    for (let i = 0; i < at; i++) if (bytes[i] === 10) { line++; lineStart = i + 1; }
    const column = [...strictUtf8.decode(bytes.subarray(lineStart, at))].length + 1;
    const shown = Array.from(bytes.subarray(at, Math.min(at + 4, bytes.length)), hex).join(' ');
    throw new IrFormatError(source, line, `invalid UTF-8 at column ${column} (bytes ${shown}); the file must be UTF-8`);
  }
}

/** Length of a UTF-8 byte-order mark at the start of `bytes` (0 or 3); UTF-16 marks are an error. */
function byteOrderMark(bytes: Uint8Array, source: string): number {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 3;
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    throw new IrFormatError(source, 1, `the file is UTF-16 (byte-order mark ${hex(bytes[0])} ${hex(bytes[1])}); convert it to UTF-8 (e.g. iconv -f UTF-16 -t UTF-8)`);
  }
  return 0;
}

/** Decodes a whole file's bytes: byte-order mark dropped, strict UTF-8. */
export function decodeTextFile(bytes: Uint8Array, source: string): string {
  return decodeUtf8(bytes.subarray(byteOrderMark(bytes, source)), source);
}

/** Reads a whole text file (for inputs small enough to hold, e.g. lexicons and bitext). */
export function readTextFile(path: string): string {
  return decodeTextFile(readFileSync(path), path);
}

/** Lines of in-memory text: a leading U+FEFF dropped, '\r' stripped, a final newline starts no line. */
export function textLines(text: string): string[] {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  stripCarriageReturns(lines);
  return lines;
}

/** Splits in-memory text into one batch (same conventions as readFileLines). */
export function* splitLines(text: string): Generator<LineBatch> {
  yield { firstLineNumber: 1, lines: textLines(text) };
}

/** Streams the lines of a UTF-8 file in batches. A missing file rejects with the OS error (naming the path). */
export async function* readFileLines(path: string): AsyncGenerator<LineBatch> {
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  // Bytes after the last newline seen; a chunk is decoded only up to its last newline, so a
  // multi-byte character split between chunks is always decoded whole.
  let pending: Buffer[] = [];
  let lineNumber = 1;
  let atStart = true;
  const decodeLines = (bytes: Uint8Array): string[] => {
    let skip = 0;
    if (atStart) {
      skip = byteOrderMark(bytes, path);
      atStart = false;
    }
    const lines = decodeUtf8(bytes.subarray(skip), path, lineNumber).split('\n');
    stripCarriageReturns(lines);
    return lines;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const nl = chunk.lastIndexOf(10);
      if (nl < 0) {
        pending.push(chunk);
        continue;
      }
      const head = pending.length > 0 ? Buffer.concat([...pending, chunk.subarray(0, nl)]) : chunk.subarray(0, nl);
      pending = nl + 1 < chunk.length ? [Buffer.from(chunk.subarray(nl + 1))] : [];
      const lines = decodeLines(head);
      yield { firstLineNumber: lineNumber, lines };
      lineNumber += lines.length;
    }
    if (pending.length > 0) {
      const lines = decodeLines(Buffer.concat(pending));
      if (lines.length > 1 || lines[0] !== '') yield { firstLineNumber: lineNumber, lines };
    }
  } finally {
    stream.destroy();
  }
}

/** True for lines the TREC readers skip: blank lines and trec_eval 10 '#' comment lines. */
export function isSkippableTrecLine(text: string): boolean {
  return text.trim() === '' || text.startsWith('#');
}

/**
 * Splits on runs of spaces/tabs (what trec_eval's reader accepts). Hand-written because it runs
 * once per line of multi-million-line runs and beats trim().split(/\s+/) by ~2×.
 */
export function splitWhitespace(text: string): string[] {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    while (i < n && (c === 32 || c === 9 || c === 11 || c === 12 || c === 13)) c = text.charCodeAt(++i);
    if (i >= n) break;
    const start = i;
    while (i < n && c !== 32 && c !== 9 && c !== 11 && c !== 12 && c !== 13) c = text.charCodeAt(++i);
    fields.push(text.slice(start, i));
  }
  return fields;
}
