/**
 * Collection files: JSONL `{docno, text, lang}` or TSV `docno<TAB>text[<TAB>lang]`.
 * iterateCollectionFile streams (for indexing millions of documents without holding the file).
 */
import type { CollectionDocument } from '../types.js';
import { readFileLines, splitLines } from './lines.js';
import { formatFromPath, iterateRecords, writeRecords, type RecordFormat } from './records.js';

export async function* iterateCollectionFile(path: string, format: RecordFormat = formatFromPath(path)): AsyncGenerator<CollectionDocument> {
  for await (const r of iterateRecords(readFileLines(path), path, format, 'docno')) {
    yield r.lang === undefined ? { docno: r.id, text: r.text } : { docno: r.id, text: r.text, lang: r.lang };
  }
}

export async function readCollectionFile(path: string, format: RecordFormat = formatFromPath(path)): Promise<CollectionDocument[]> {
  const docs: CollectionDocument[] = [];
  for await (const d of iterateCollectionFile(path, format)) docs.push(d);
  return docs;
}

export async function parseCollection(text: string, format: RecordFormat, source = '<collection>'): Promise<CollectionDocument[]> {
  const docs: CollectionDocument[] = [];
  for await (const r of iterateRecords(splitLines(text), source, format, 'docno')) {
    docs.push(r.lang === undefined ? { docno: r.id, text: r.text } : { docno: r.id, text: r.text, lang: r.lang });
  }
  return docs;
}

export function writeCollectionFile(path: string, docs: Iterable<CollectionDocument>, format: RecordFormat = formatFromPath(path)): Promise<void> {
  const records = (function* () {
    for (const d of docs) yield { id: d.docno, text: d.text, lang: d.lang };
  })();
  return writeRecords(path, records, format, 'docno');
}
