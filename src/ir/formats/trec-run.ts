/**
 * TREC run files: `qid Q0 docno rank score tag`, whitespace separated, one retrieved document per
 * line. Like trec_eval, the rank column is ignored on input (ranks are recomputed from scores);
 * unlike trec_eval (which reads a bad score as 0 via atof) a score that is not a finite decimal
 * number (`abc`, `NaN`, `1e400`, `0x10`) is an error.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Run } from '../types.js';
import { IrFormatError } from './format-error.js';
import { isSkippableTrecLine, readFileLines, splitLines, splitWhitespace, type LineSource } from './lines.js';
import { parseNumberField } from './numbers.js';
import { TREC_SEPARATOR, trecFieldProblem } from './fields.js';
import { rankQuery } from '../ranking.js';

/** One parsed run line. */
export interface RunEntry {
  qid: string;
  docno: string;
  score: number;
  tag: string;
}

/** Parses one line; `source`/`lineNumber` only label errors. Returns undefined for blank/comment lines. */
export function parseRunLine(text: string, source: string, lineNumber: number): RunEntry | undefined {
  if (isSkippableTrecLine(text)) return undefined;
  const fields = splitWhitespace(text);
  if (fields.length !== 6) {
    throw new IrFormatError(source, lineNumber, `run line needs 6 fields 'qid Q0 docno rank score tag', got ${fields.length}`);
  }
  const [qid, , docno, , scoreText, tag] = fields;
  return { qid, docno, score: parseNumberField(scoreText, 'score', source, lineNumber), tag };
}

/** Streams entries of a run from any line source, checking each line. */
export async function* iterateRunEntries(lines: LineSource, source: string): AsyncGenerator<RunEntry & { lineNumber: number }> {
  for await (const batch of lines) {
    for (let b = 0; b < batch.lines.length; b++) {
      const lineNumber = batch.firstLineNumber + b;
      const entry = parseRunLine(batch.lines[b], source, lineNumber);
      if (entry) yield { ...entry, lineNumber };
    }
  }
}

/** Result of reading a run: the scores plus the run tag(s) seen. */
export interface ParsedRun {
  run: Run;
  /** Distinct tags in file order (usually one). */
  tags: string[];
}

async function collectRun(lines: LineSource, source: string): Promise<ParsedRun> {
  const run: Run = new Map();
  const tags: string[] = [];
  // Loops over batches directly (no per-line async step): this is the hot path for big runs.
  for await (const batch of lines) {
    for (let b = 0; b < batch.lines.length; b++) {
      const lineNumber = batch.firstLineNumber + b;
      const e = parseRunLine(batch.lines[b], source, lineNumber);
      if (!e) continue;
      let docs = run.get(e.qid);
      if (!docs) {
        docs = new Map();
        run.set(e.qid, docs);
      }
      if (docs.has(e.docno)) {
        // trec_eval refuses duplicates too ("duplicate docs"). The first line is not remembered:
        // a line-number map would double the memory of million-line runs.
        throw new IrFormatError(source, lineNumber, `duplicate (qid, docno) = (${e.qid}, ${e.docno}): this document is already ranked for this query earlier in the file`);
      }
      docs.set(e.docno, e.score);
      if (!tags.includes(e.tag)) tags.push(e.tag);
    }
  }
  return { run, tags };
}

/** Reads a run file (streamed line by line). */
export function readRunFile(path: string): Promise<ParsedRun> {
  return collectRun(readFileLines(path), path);
}

/** Parses run text held in memory; `source` names it in errors. */
export function parseRun(text: string, source = '<run>'): Promise<ParsedRun> {
  return collectRun(splitLines(text), source);
}

/** Formats a run in TREC format, each query ranked as trec_eval would rank it (score desc, docno desc). */
export function* formatRunLines(run: Run, tag: string): Generator<string> {
  if (TREC_SEPARATOR.test(tag) || tag === '') throw new TypeError(`run tag must be a non-empty string without whitespace, got '${tag}'`);
  for (const [qid, docs] of run) {
    const qidProblem = trecFieldProblem(qid, true);
    if (qidProblem) throw new TypeError(`run qid ${qidProblem}`);
    for (const [docno, score] of docs) {
      const docProblem = trecFieldProblem(docno, false);
      if (docProblem) throw new TypeError(`run docno of query '${qid}' ${docProblem}`);
      if (typeof score !== 'number' || !Number.isFinite(score)) throw new TypeError(`score of (${qid}, ${docno}) must be a finite number, got ${String(score)}`);
    }
    const ranked = rankQuery(docs);
    for (let i = 0; i < ranked.length; i++) {
      // Number#toString round-trips doubles exactly, so rereading gives the same ranking.
      yield `${qid} Q0 ${ranked[i].docno} ${i + 1} ${ranked[i].score} ${tag}\n`;
    }
  }
}

/** Writes a run file, streaming (respects back-pressure so 1M-line runs do not buffer in memory). */
export async function writeRunFile(path: string, run: Run, tag: string): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  try {
    for (const line of formatRunLines(run, tag)) {
      if (!out.write(line)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
}
