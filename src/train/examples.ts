/**
 * Reads teacher-training data into TrainingExamples:
 *  - MS MARCO-style triples: `query \t positive \t negative` per line (.tsv; more tab-separated
 *    columns are further negatives);
 *  - JSONL `{"query", "positive", "negatives": [...]}`; `negatives` may be absent, which also covers
 *    generic `{query, positive}` pairs. The bitext records of src/data recipes (`{src, tgt, ...}`,
 *    e.g. `optical data sotu` inverse-cloze pairs: src = sentence, tgt = its passage) are read as
 *    query = src, positive = tgt.
 * Format is chosen from the extension (.tsv/.txt → triples, .jsonl/.json → JSONL) unless given.
 */
import { readFileLines } from '../ir/formats/lines.js';
import type { TrainingExample } from './ranking-model.js';

export type ExampleFormat = 'triples' | 'jsonl';

export function formatOf(path: string): ExampleFormat {
  if (/\.(tsv|txt)$/i.test(path)) return 'triples';
  if (/\.jsonl?$/i.test(path)) return 'jsonl';
  throw new RangeError(`cannot tell the format of '${path}' from its extension: use .tsv (query\\tpositive\\tnegative) or .jsonl ({query, positive, negatives})`);
}

/** Parses one line; `where` (file:line) prefixes errors. Returns null for blank lines. */
export function parseExampleLine(line: string, format: ExampleFormat, where: string): TrainingExample | null {
  if (line.trim() === '') return null;
  if (format === 'triples') {
    const cols = line.replace(/\r$/, '').split('\t');
    if (cols.length < 2) throw new RangeError(`${where}: expected 'query<TAB>positive<TAB>negative', found ${cols.length} column`);
    if (cols[0].trim() === '' || cols[1].trim() === '') throw new RangeError(`${where}: empty query or positive`);
    return { query: cols[0], positive: cols[1], negatives: cols.slice(2).filter((c) => c.trim() !== '') };
  }
  let obj: any;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    throw new RangeError(`${where}: invalid JSON (${(err as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object') throw new TypeError(`${where}: expected a JSON object`);
  if (obj.query === undefined && obj.positive === undefined && typeof obj.src === 'string' && typeof obj.tgt === 'string') {
    obj = { query: obj.src, positive: obj.tgt, negatives: obj.negatives };
  }
  if (typeof obj.query !== 'string' || obj.query.trim() === '') throw new TypeError(`${where}: "query" must be a non-empty string`);
  if (typeof obj.positive !== 'string' || obj.positive.trim() === '') throw new TypeError(`${where}: "positive" must be a non-empty string`);
  const negatives = obj.negatives ?? (obj.negative !== undefined ? [obj.negative] : []);
  if (!Array.isArray(negatives) || !negatives.every((n: unknown) => typeof n === 'string')) {
    throw new TypeError(`${where}: "negatives" must be an array of strings`);
  }
  return { query: obj.query, positive: obj.positive, negatives };
}

export async function readTrainingExamples(path: string, format: ExampleFormat = formatOf(path)): Promise<TrainingExample[]> {
  const out: TrainingExample[] = [];
  try {
    for await (const batch of readFileLines(path)) {
      batch.lines.forEach((line, k) => {
        const ex = parseExampleLine(line, format, `${path}:${batch.firstLineNumber + k}`);
        if (ex) out.push(ex);
      });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`training data ${path} not found`);
    throw err;
  }
  return out;
}
