// Readers/writers: round trips through real files, streaming, and file:line errors for bad input.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRun, readRunFile, writeRunFile } from '../../src/ir/formats/trec-run.js';
import { parseQrels, readQrelsFile, writeQrelsFile } from '../../src/ir/formats/qrels.js';
import { parseTopics, readTopicsFile, writeTopicsFile } from '../../src/ir/formats/topics.js';
import { iterateCollectionFile, parseCollection, readCollectionFile, writeCollectionFile } from '../../src/ir/formats/collection.js';
import { IrFormatError } from '../../src/ir/formats/format-error.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'optical-ir-formats-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('TREC runs', () => {
  it('reads scores, ignores the rank column, skips blank and # comment lines, keeps tags', async () => {
    const { run, tags } = await parseRun('# comment\nq1 Q0 d1 7 1.5 tagA\n\nq1 Q0 d2 1 -2e-3 tagA\r\nq2\tQ0\td1\t1\t3\ttagB\n');
    expect([...run.get('q1')!]).toEqual([['d1', 1.5], ['d2', -0.002]]);
    expect(run.get('q2')!.get('d1')).toBe(3);
    expect(tags).toEqual(['tagA', 'tagB']);
  });
  it('writes ranks from scores (ties by docno desc) and round-trips exact doubles', async () => {
    const path = join(dir, 'r.trec');
    const run = new Map([['q', new Map([['a', 0.1 + 0.2], ['b', 0.1 + 0.2], ['c', 1 / 3]])]]);
    await writeRunFile(path, run, 'mine');
    expect(readFileSync(path, 'utf8')).toBe('q Q0 c 1 0.3333333333333333 mine\nq Q0 b 2 0.30000000000000004 mine\nq Q0 a 3 0.30000000000000004 mine\n');
    expect((await readRunFile(path)).run).toEqual(run);
  });
  it('names file and line for malformed lines, bad scores and duplicates', async () => {
    await expect(parseRun('q1 Q0 d1 1 1 t\nq1 Q0 d2 1 t\n', 'x.trec')).rejects.toThrow('x.trec:2: run line needs 6 fields');
    await expect(parseRun('q1 Q0 d1 1 abc t\n', 'x.trec')).rejects.toThrow("x.trec:1: score 'abc' is not a finite number");
    await expect(parseRun('q1 Q0 d1 1 NaN t\n', 'x.trec')).rejects.toThrow(/not a finite number/);
    await expect(parseRun('q1 Q0 d1 1 1 t\nq1 Q0 d2 2 1 t\nq1 Q0 d1 3 0 t\n', 'x.trec')).rejects.toThrow('x.trec:3: duplicate (qid, docno) = (q1, d1): this document is already ranked for this query earlier in the file');
    const path = join(dir, 'bad.trec');
    writeFileSync(path, 'q1 Q0 d1 1 1 t\nq1 Q0 d2 1 1\n');
    const err = await readRunFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IrFormatError);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as IrFormatError).message).toBe(`${path}:2: run line needs 6 fields 'qid Q0 docno rank score tag', got 5`);
  });
  it('streams files larger than one read chunk, with exact line numbers across chunk boundaries', async () => {
    const path = join(dir, 'big.trec');
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) lines.push(`q${i % 7} Q0 doc-${i} ${i} ${(i % 997) / 7} run-with-a-long-tag-name\r`);
    lines.push('q0 Q0 doc-x 1 not-a-number t');
    writeFileSync(path, `${lines.join('\n')}\n`);
    await expect(readRunFile(path)).rejects.toThrow(`${path}:60001: score 'not-a-number' is not a finite number`);
    writeFileSync(path, lines.slice(0, -1).join('\n')); // CRLF endings, no final newline
    const { run, tags } = await readRunFile(path);
    expect([...run.values()].reduce((n, d) => n + d.size, 0)).toBe(60_000);
    expect(run.get('q2')!.get('doc-59999')).toBe((59999 % 997) / 7);
    expect(tags).toEqual(['run-with-a-long-tag-name']);
  });
  it('rejects a missing file with the path in the message', async () => {
    await expect(readRunFile(join(dir, 'nope.trec'))).rejects.toThrow(/nope\.trec/);
  });
});

describe('qrels', () => {
  it('reads graded and negative judgments and round-trips', async () => {
    const qrels = await parseQrels('1 0 a 2\n1 0 b 0\n2 Q0 c -1\n');
    expect(qrels.get('1')!.get('a')).toBe(2);
    expect(qrels.get('2')!.get('c')).toBe(-1);
    const path = join(dir, 'q.qrels');
    await writeQrelsFile(path, qrels);
    expect(await readQrelsFile(path)).toEqual(qrels);
  });
  it('errors on non-integer relevance, wrong field counts and duplicates', async () => {
    await expect(parseQrels('1 0 a 1.5\n', 'j.qrels')).rejects.toThrow("j.qrels:1: relevance '1.5' is not an integer");
    await expect(parseQrels('1 0 a\n', 'j.qrels')).rejects.toThrow('j.qrels:1: qrels line needs 4 fields');
    await expect(parseQrels('1 0 a 1\n1 0 a 0\n', 'j.qrels')).rejects.toThrow('j.qrels:2: duplicate (qid, docno) = (1, a); first seen on line 1');
  });
});

describe('topics and collections', () => {
  it('reads TSV and JSONL topics, with languages', async () => {
    expect(await parseTopics('1\thuman rights\n2\thaki\tsw\n', 'tsv')).toEqual([{ qid: '1', text: 'human rights' }, { qid: '2', text: 'haki', lang: 'sw' }]);
    expect(await parseTopics('{"qid":"1","text":"a b","lang":"en"}\n{"qid":7,"text":"c"}\n', 'jsonl')).toEqual([{ qid: '1', text: 'a b', lang: 'en' }, { qid: '7', text: 'c' }]);
  });
  it('round-trips topics and collections through files in both formats', async () => {
    const topics = [{ qid: 'a', text: 'x y', lang: 'en' }, { qid: 'b', text: 'tab-free' }];
    for (const ext of ['tsv', 'jsonl']) {
      const p = join(dir, `t.${ext}`);
      await writeTopicsFile(p, topics);
      expect(await readTopicsFile(p)).toEqual(topics);
    }
    const docs = [{ docno: 'd1', text: 'line\twith tab', lang: 'sw' }, { docno: 'd2', text: 'Ünïcode ✓' }];
    const pj = join(dir, 'c.jsonl');
    await writeCollectionFile(pj, docs);
    expect(await readCollectionFile(pj)).toEqual(docs);
    const streamed = [];
    for await (const d of iterateCollectionFile(pj)) streamed.push(d.docno);
    expect(streamed).toEqual(['d1', 'd2']);
    await expect(writeCollectionFile(join(dir, 'c.tsv'), docs)).rejects.toThrow(/TSV cannot hold tabs/);
  });
  it('reports bad JSON, missing fields and duplicate ids with file:line', async () => {
    await expect(parseCollection('{"docno":"a","text":"x"}\n{"docno":"b"\n', 'jsonl', 'c.jsonl')).rejects.toThrow(/^c\.jsonl:2: invalid JSON/);
    await expect(parseCollection('{"docno":"a"}\n', 'jsonl', 'c.jsonl')).rejects.toThrow("c.jsonl:1: field 'text' must be a string");
    await expect(parseCollection('a\tx\na\ty\n', 'tsv', 'c.tsv')).rejects.toThrow("c.tsv:2: duplicate docno 'a'; first seen on line 1");
    await expect(parseTopics('only-an-id\n', 'tsv', 't.tsv')).rejects.toThrow("t.tsv:1: TSV line needs 'qid<TAB>text[<TAB>lang]'");
  });
});
