/**
 * Writers and readers for the standard files every recipe emits: bitext JSONL/TSV, topics TSV/JSONL,
 * collection JSONL, TREC qrels, lexicon TSV. Tabs and newlines inside text would corrupt the
 * line/column formats, so writers fold them to spaces (the JSONL variants keep text verbatim).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BitextPair, Doc, LexiconPair, Qrel, Topic } from './types.js';
import { readTextFile, textLines } from '../ir/formats/lines.js';
import { parseIntegerField } from '../ir/formats/numbers.js';

/** Replaces tabs/newlines so a field stays one TSV cell. */
export function tsvCell(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ');
}

export function toJsonl(records: readonly unknown[]): string {
  let out = '';
  for (const r of records) out += JSON.stringify(r) + '\n';
  return out;
}

export function bitextToTsv(pairs: readonly BitextPair[]): string {
  return pairs.map((p) => `${tsvCell(p.src)}\t${tsvCell(p.tgt)}\n`).join('');
}

export function topicsToTsv(topics: readonly Topic[]): string {
  return topics.map((t) => `${tsvCell(t.qid)}\t${tsvCell(t.text)}\n`).join('');
}

export function qrelsToTrec(qrels: readonly Qrel[]): string {
  for (const q of qrels) {
    if (/\s/.test(q.qid) || /\s/.test(q.docno)) throw new TypeError(`qrels: qid/docno must not contain whitespace (qid '${q.qid}', docno '${q.docno}')`);
  }
  return qrels.map((q) => `${q.qid} 0 ${q.docno} ${q.rel}\n`).join('');
}

export function lexiconToTsv(pairs: readonly LexiconPair[]): string {
  return pairs.map((p) => `${tsvCell(p.src)}\t${tsvCell(p.tgt)}\t${formatWeight(p.weight)}\n`).join('');
}

/** Short but lossless enough weight text (6 significant digits). */
export function formatWeight(w: number): string {
  return Number.isInteger(w) ? String(w) : String(Number(w.toPrecision(6)));
}

/** Result of writing one output file: what the manifest records. */
export interface WrittenFile {
  file: string;
  sha256: string;
  bytes: number;
  count: number;
}

/** Writes text to `path` (creating directories) and returns its hash for the manifest. */
export function writeOutput(path: string, text: string, count: number, manifestName = path): WrittenFile {
  mkdirSync(dirname(path), { recursive: true });
  const buf = Buffer.from(text, 'utf8');
  writeFileSync(path, buf);
  return { file: manifestName, sha256: sha256(buf), bytes: buf.length, count };
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads JSONL (strict UTF-8, see readTextFile); a bad line throws a TypeError naming the file and 1-based line number. */
export function readJsonl<T = unknown>(path: string): T[] {
  return parseJsonl<T>(readTextFile(path), path);
}

export function parseJsonl<T = unknown>(text: string, name = 'input'): T[] {
  return jsonlRecords(text, name).map((r) => r.value as T);
}

/** Non-blank JSONL lines parsed, with their 1-based line numbers (for errors about a record's fields). */
function jsonlRecords(text: string, name: string): { value: unknown; line: number }[] {
  const out: { value: unknown; line: number }[] = [];
  textLines(text).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push({ value: JSON.parse(line), line: i + 1 });
    } catch (err) {
      throw new TypeError(`${name}:${i + 1}: invalid JSON (${(err as Error).message})`);
    }
  });
  return out;
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

/** Reads topics from TSV (`qid\ttext`) or JSONL (`{qid,text,lang}`), chosen by extension. */
export function readTopics(path: string, lang = 'en'): Topic[] {
  if (/\.jsonl?$/i.test(path)) {
    return jsonlRecords(readTextFile(path), path).map(({ value, line }) => {
      const [qid, text, l] = [field(value, 'qid'), field(value, 'text'), field(value, 'lang')];
      if (typeof qid !== 'string' || typeof text !== 'string') throw new TypeError(`${path}:${line}: topic needs string qid and text`);
      return { qid, text, lang: typeof l === 'string' ? l : lang };
    });
  }
  return textLines(readTextFile(path)).map((line, i) => {
    const tab = line.indexOf('\t');
    if (tab <= 0) throw new TypeError(`${path}:${i + 1}: expected 'qid<TAB>text'`);
    return { qid: line.slice(0, tab), text: line.slice(tab + 1), lang };
  });
}

export function readCollection(path: string): Doc[] {
  return jsonlRecords(readTextFile(path), path).map(({ value, line }) => {
    if (typeof field(value, 'docno') !== 'string' || typeof field(value, 'text') !== 'string') throw new TypeError(`${path}:${line}: document needs string docno and text`);
    return value as Doc;
  });
}

export function parseQrels(text: string, name = 'qrels'): Qrel[] {
  return textLines(text).flatMap((line, i) => {
    if (line.trim() === '') return [];
    const f = line.trim().split(/\s+/);
    if (f.length !== 4) throw new TypeError(`${name}:${i + 1}: expected 'qid 0 docno rel', got '${line}'`);
    return [{ qid: f[0], docno: f[2], rel: parseIntegerField(f[3], 'relevance', name, i + 1) }];
  });
}
