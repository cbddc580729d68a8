/** Topic (query) files: TSV `qid<TAB>text[<TAB>lang]` or JSONL `{qid, text, lang}`. */
import type { Topic } from '../types.js';
import { readFileLines, splitLines } from './lines.js';
import { formatFromPath, iterateRecords, writeRecords, type RecordFormat } from './records.js';

export async function readTopicsFile(path: string, format: RecordFormat = formatFromPath(path)): Promise<Topic[]> {
  const topics: Topic[] = [];
  for await (const r of iterateRecords(readFileLines(path), path, format, 'qid')) {
    topics.push(r.lang === undefined ? { qid: r.id, text: r.text } : { qid: r.id, text: r.text, lang: r.lang });
  }
  return topics;
}

export async function parseTopics(text: string, format: RecordFormat, source = '<topics>'): Promise<Topic[]> {
  const topics: Topic[] = [];
  for await (const r of iterateRecords(splitLines(text), source, format, 'qid')) {
    topics.push(r.lang === undefined ? { qid: r.id, text: r.text } : { qid: r.id, text: r.text, lang: r.lang });
  }
  return topics;
}

export function writeTopicsFile(path: string, topics: Iterable<Topic>, format: RecordFormat = formatFromPath(path)): Promise<void> {
  return writeRecords(path, mapIter(topics, (t) => ({ id: t.qid, text: t.text, lang: t.lang })), format, 'qid');
}

function* mapIter<A, B>(items: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of items) yield f(a);
}
