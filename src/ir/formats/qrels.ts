/**
 * TREC qrels: `qid iter docno rel`, whitespace separated. `rel` is a (graded) 32-bit integer: ≥ 1
 * relevant (trec_eval's default relevance level), 0 judged non-relevant, negative = in the pool but
 * unjudged.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Qrels } from '../types.js';
import { IrFormatError } from './format-error.js';
import { isSkippableTrecLine, readFileLines, splitLines, splitWhitespace, type LineSource } from './lines.js';
import { INT32_MAX, INT32_MIN, parseIntegerField } from './numbers.js';
import { trecFieldProblem } from './fields.js';

async function collectQrels(lines: LineSource, source: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  const firstLine = new Map<string, number>();
  for await (const batch of lines) {
    for (let b = 0; b < batch.lines.length; b++) {
      const text = batch.lines[b];
      const lineNumber = batch.firstLineNumber + b;
      if (isSkippableTrecLine(text)) continue;
      const fields = splitWhitespace(text);
      if (fields.length !== 4) {
        throw new IrFormatError(source, lineNumber, `qrels line needs 4 fields 'qid iter docno rel', got ${fields.length}`);
      }
      const [qid, , docno, relText] = fields;
      // trec_eval reads rel with atol; a fractional or non-numeric value is almost always a mistake,
      // and a grade outside 32 bits would wrap around in the metrics' Int32 arrays.
      const rel = parseIntegerField(relText, 'relevance', source, lineNumber);
      let docs = qrels.get(qid);
      if (!docs) {
        docs = new Map();
        qrels.set(qid, docs);
      }
      const key = `${qid}\u0000${docno}`;
      if (docs.has(docno)) {
        throw new IrFormatError(source, lineNumber, `duplicate (qid, docno) = (${qid}, ${docno}); first seen on line ${firstLine.get(key)}`);
      }
      docs.set(docno, rel);
      firstLine.set(key, lineNumber);
    }
  }
  return qrels;
}

/** Reads a qrels file (streamed). */
export function readQrelsFile(path: string): Promise<Qrels> {
  return collectQrels(readFileLines(path), path);
}

/** Parses qrels text held in memory. */
export function parseQrels(text: string, source = '<qrels>'): Promise<Qrels> {
  return collectQrels(splitLines(text), source);
}

/** Formats qrels as TREC lines (iter column 0), in map order. */
export function* formatQrelsLines(qrels: Qrels): Generator<string> {
  for (const [qid, docs] of qrels) {
    const qidProblem = trecFieldProblem(qid, true);
    if (qidProblem) throw new TypeError(`qrels qid ${qidProblem}`);
    for (const [docno, rel] of docs) {
      const docProblem = trecFieldProblem(docno, false);
      if (docProblem) throw new TypeError(`qrels docno of query '${qid}' ${docProblem}`);
      if (!Number.isInteger(rel) || rel < INT32_MIN || rel > INT32_MAX) throw new TypeError(`qrels relevance for (${qid}, ${docno}) must be an integer in ${INT32_MIN}..${INT32_MAX}, got ${rel}`);
      yield `${qid} 0 ${docno} ${rel}\n`;
    }
  }
}

/** Writes a qrels file. */
export async function writeQrelsFile(path: string, qrels: Qrels): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  try {
    for (const line of formatQrelsLines(qrels)) {
      if (!out.write(line)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
}
