/**
 * Line sources for the readers: a streaming file reader (readline over a file stream, so large runs
 * and collections are never held as one string) and an in-memory splitter with the same shape.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface NumberedLine {
  /** Line text without the line terminator (a trailing '\r' is removed too). */
  text: string;
  /** 1-based line number. */
  lineNumber: number;
}

/** Streams the lines of a UTF-8 file. A missing file rejects with the OS error (naming the path). */
export async function* readFileLines(path: string): AsyncGenerator<NumberedLine> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      yield { text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, lineNumber };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Splits in-memory text into numbered lines (same conventions as readFileLines). */
export function* splitLines(text: string): Generator<NumberedLine> {
  const parts = text.split('\n');
  // A final newline does not start another (empty) line.
  const count = parts.length > 0 && parts[parts.length - 1] === '' ? parts.length - 1 : parts.length;
  for (let i = 0; i < count; i++) {
    const raw = parts[i];
    yield { text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, lineNumber: i + 1 };
  }
}

/** Both sync and async line sources are accepted by the parsers. */
export type LineSource = Iterable<NumberedLine> | AsyncIterable<NumberedLine>;

/** True for lines the TREC readers skip: blank lines and trec_eval 10 '#' comment lines. */
export function isSkippableTrecLine(text: string): boolean {
  return text.trim() === '' || text.startsWith('#');
}
