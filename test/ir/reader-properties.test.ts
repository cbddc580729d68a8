// Property-based tests of the file readers and writers (fast-check): whatever a writer accepts, the
// reader gives back exactly; whatever bytes a reader is handed, it either parses them or throws a
// named error starting with `file:line:` — never another exception, never a silent change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Qrels, Run } from '../../src/ir/types.js';
import { readRunFile, writeRunFile, formatRunLines } from '../../src/ir/formats/trec-run.js';
import { readQrelsFile, writeQrelsFile } from '../../src/ir/formats/qrels.js';
import { readTopicsFile, writeTopicsFile } from '../../src/ir/formats/topics.js';
import { readCollectionFile, writeCollectionFile } from '../../src/ir/formats/collection.js';
import { readLexiconTsvFile } from '../../src/ir/formats/lexicon-tsv.js';
import { IrFormatError } from '../../src/ir/formats/format-error.js';
import { readBitext, readMosesBitext } from '../../src/data/readers.js';
import { readLexicon } from '../../src/data/lexicon.js';
import { bitextToTsv, parseQrels as parseDataQrels, qrelsToTrec, readJsonl, readTopics, toJsonl, topicsToTsv } from '../../src/data/formats.js';
import { readTrainingExamples } from '../../src/train/examples.js';

let dir: string;
let n = 0;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'optical-reader-props-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fresh = (ext: string) => join(dir, `f${n++}.${ext}`);
const RUNS = { numRuns: 60 };

// Fields of whitespace-separated TREC files: any well-formed Unicode without the separators trec_eval
// splits on, and (for the first field) not starting with '#', which marks a comment line.
const ws = /[ \t\n\v\f\r]/;
const trecId = fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).filter((s) => !ws.test(s));
const trecQid = trecId.filter((s) => !s.startsWith('#'));
// Any finite double, -0 excluded (written as "0").
const score = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
// A cell of a TSV line: well-formed Unicode without tab, newline or carriage return.
const cell = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !/[\t\n\r]/.test(s));
const trimmedCell = cell.map((s) => s.trim()).filter((s) => s !== '' && !s.startsWith('\ufeff'));

function mapOf<V>(keys: fc.Arbitrary<string>, values: fc.Arbitrary<V>, maxLength = 5): fc.Arbitrary<Map<string, V>> {
  return fc.uniqueArray(fc.tuple(keys, values), { selector: (e) => e[0], minLength: 1, maxLength }).map((e) => new Map(e));
}

/** Reads `bytes` with `read`; the only acceptable failure is a named error starting with `name:line:`. */
async function parsesOrNamesTheLine(read: (path: string) => unknown, bytes: Uint8Array, ext: string, shortName = false): Promise<void> {
  const path = fresh(ext);
  writeFileSync(path, bytes);
  try {
    await read(path);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    expect([TypeError, RangeError, IrFormatError].some((c) => err instanceof c), String(err)).toBe(true);
    const name = (shortName ? basename(path) : path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect((err as Error).message).toMatch(new RegExp(`^${name}:\\d+: `));
  }
}

// Line-shaped garbage: fragments of real lines, separators, invalid UTF-8 bytes and BOMs mixed.
const piece = fc.oneof(
  fc.constantFrom('q1', 'Q0', 'd1', '1', '-3', '2.5', '1e400', '2147483648', '0x1f', 'NaN', '#', '\t', ' ', '\n', '\r\n', '{', '}', '"', ':', ',', '{"qid":"q","text":"t"}', '{"docno":1e30,"text":"x"}', '{"src":"a","tgt":"b"}'),
  fc.string({ unit: 'binary', maxLength: 4 }),
);
const garbage = fc.tuple(fc.array(piece, { maxLength: 30 }), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }), fc.boolean()).map(([parts, bytes, bom]) => {
  const text = Buffer.from(parts.join(''), 'utf8');
  const raw = Buffer.from(bytes);
  const at = Math.floor(text.length / 2);
  return Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), text.subarray(0, at), raw, text.subarray(at)]);
});

describe('TREC runs and qrels', () => {
  it('a written run reads back identically (ids in any script, any finite double)', async () => {
    await fc.assert(fc.asyncProperty(mapOf(trecQid, mapOf(trecId, score, 6)), async (run: Run) => {
      const path = fresh('trec');
      await writeRunFile(path, run, 'tag');
      const back = (await readRunFile(path)).run;
      expect([...back.keys()].sort()).toEqual([...run.keys()].sort());
      for (const [qid, docs] of run) expect(back.get(qid)).toEqual(docs);
    }), RUNS);
  });

  it('a written qrels file reads back identically, every 32-bit grade included', async () => {
    await fc.assert(fc.asyncProperty(mapOf(trecQid, mapOf(trecId, int32, 6)), async (qrels: Qrels) => {
      const path = fresh('qrels');
      await writeQrelsFile(path, qrels);
      expect(await readQrelsFile(path)).toEqual(qrels);
    }), RUNS);
  });

  it('the writers refuse what the format cannot hold instead of writing a file that reads differently', () => {
    const bad = fc.oneof(
      fc.constantFrom('', 'a b', 'a\tb', '#q', 'x\n', '\ud800'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }).map((s) => `${s} `),
    );
    fc.assert(fc.property(bad, fc.boolean(), (id, asQid) => {
      fc.pre(asQid || !id.startsWith('#')); // '#' only matters first on the line
      const run: Run = asQid ? new Map([[id, new Map([['d', 1]])]]) : new Map([['q', new Map([[id, 1]])]]);
      expect(() => [...formatRunLines(run, 't')]).toThrow(/must be a non-empty string without whitespace|cannot start with '#'|lone surrogate/);
    }));
    expect(() => [...formatRunLines(new Map([['q', new Map([['d', NaN]])]]), 't')]).toThrow("score of (q, d) must be a finite number, got NaN");
  });

  it('whatever the writers accept reads back identically (arbitrary strings: the writer refuses or round-trips)', async () => {
    const anyId = fc.oneof(trecQid, fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('', ' a', 'a\tb', '#x', '\ud800', 'x\r'));
    await fc.assert(fc.asyncProperty(mapOf(anyId, mapOf(anyId, score, 3), 3), async (run: Run) => {
      const path = fresh('trec');
      const written = await writeRunFile(path, run, 't').then(() => true, (err: unknown) => { expect(err).toBeInstanceOf(TypeError); return false; });
      if (written) expect((await readRunFile(path)).run).toEqual(run);
    }), RUNS);
    const anyText = fc.oneof(cell, fc.string({ unit: 'binary', maxLength: 4 }), fc.constantFrom('', ' a ', 'a\tb', '\udc00x', 'x\r'));
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.record({ qid: anyText, text: anyText }), { selector: (t) => t.qid, minLength: 1, maxLength: 4 }), async (topics) => {
      const path = fresh('tsv');
      const written = await writeTopicsFile(path, topics).then(() => true, (err: unknown) => { expect(err).toBeInstanceOf(TypeError); return false; });
      if (written) expect(await readTopicsFile(path)).toEqual(topics);
    }), RUNS);
  });

  it('random bytes: parsed, or a file:line error', async () => {
    await fc.assert(fc.asyncProperty(garbage, async (bytes) => {
      await parsesOrNamesTheLine(readRunFile, bytes, 'trec');
      await parsesOrNamesTheLine(readQrelsFile, bytes, 'qrels');
      await parsesOrNamesTheLine(readLexiconTsvFile, bytes, 'tsv');
    }), { numRuns: 150 });
  });
});

describe('topics and collections', () => {
  const record = fc.record({ id: trimmedCell, text: cell, lang: fc.option(fc.constantFrom('en', 'sw', 'om'), { nil: undefined }) });
  const records = fc.uniqueArray(record, { selector: (r) => r.id, minLength: 1, maxLength: 6 });

  it('TSV and JSONL topics round-trip', async () => {
    await fc.assert(fc.asyncProperty(records, fc.constantFrom('tsv', 'jsonl'), async (recs, ext) => {
      const topics = recs.map((r) => (r.lang === undefined ? { qid: r.id, text: r.text } : { qid: r.id, text: r.text, lang: r.lang }));
      const path = fresh(ext);
      await writeTopicsFile(path, topics);
      expect(await readTopicsFile(path)).toEqual(topics);
    }), RUNS);
  });

  it('JSONL collections round-trip any string, lone surrogates included', async () => {
    const anyText = fc.string({ unit: 'binary-ascii', maxLength: 8 }).chain((s) => fc.constantFrom(s, `${s}\ud800`, `\n${s}\t`));
    await fc.assert(fc.asyncProperty(fc.uniqueArray(fc.record({ docno: fc.string({ minLength: 1, maxLength: 6 }), text: anyText }), { selector: (d) => d.docno, minLength: 1, maxLength: 5 }), async (docs) => {
      const path = fresh('jsonl');
      await writeCollectionFile(path, docs);
      expect(await readCollectionFile(path)).toEqual(docs);
    }), RUNS);
  });

  it('random bytes: parsed, or a file:line error', async () => {
    await fc.assert(fc.asyncProperty(garbage, async (bytes) => {
      await parsesOrNamesTheLine(readTopicsFile, bytes, 'tsv');
      await parsesOrNamesTheLine(readTopicsFile, bytes, 'jsonl');
      await parsesOrNamesTheLine(readCollectionFile, bytes, 'jsonl');
      await parsesOrNamesTheLine(readCollectionFile, bytes, 'tsv');
    }), { numRuns: 150 });
  });
});

describe('data readers (bitext, lexicons, JSONL, training examples)', () => {
  const pair = fc.record({ src: trimmedCell, tgt: trimmedCell });

  it('bitext TSV and JSONL written by the recipes read back', async () => {
    await fc.assert(fc.asyncProperty(fc.array(pair, { minLength: 1, maxLength: 6 }), async (pairs) => {
      const tsv = fresh('tsv');
      writeFileSync(tsv, bitextToTsv(pairs.map((p, i) => ({ id: String(i), ...p, srcLang: 'en', tgtLang: 'sw' }))));
      expect(readBitext(tsv).map((p) => ({ src: p.src, tgt: p.tgt }))).toEqual(pairs);
      const jsonl = fresh('jsonl');
      writeFileSync(jsonl, toJsonl(pairs));
      expect(readBitext(jsonl).map((p) => ({ src: p.src, tgt: p.tgt }))).toEqual(pairs);
    }), RUNS);
  });

  it('topics TSV and qrels of the data recipes read back', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.record({ qid: trimmedCell.filter((s) => !ws.test(s)), text: cell }), { minLength: 1, maxLength: 5 }), fc.array(fc.tuple(trecQid, trecId, int32), { minLength: 1, maxLength: 5 }), async (topics, qrels) => {
      const path = fresh('tsv');
      writeFileSync(path, topicsToTsv(topics.map((t) => ({ ...t, lang: 'en' }))));
      expect(readTopics(path)).toEqual(topics.map((t) => ({ ...t, lang: 'en' })));
      const q = qrels.map(([qid, docno, rel]) => ({ qid, docno, rel }));
      expect(parseDataQrels(qrelsToTrec(q))).toEqual(q);
    }), RUNS);
  });

  it('random bytes: parsed, or a file:line error', async () => {
    await fc.assert(fc.asyncProperty(garbage, async (bytes) => {
      await parsesOrNamesTheLine((p) => readBitext(p), bytes, 'tsv');
      await parsesOrNamesTheLine((p) => readBitext(p), bytes, 'jsonl');
      await parsesOrNamesTheLine((p) => readMosesBitext(p, p), bytes, 'en');
      await parsesOrNamesTheLine((p) => readLexicon(p), bytes, 'tsv');
      await parsesOrNamesTheLine((p) => readLexicon(p), bytes, 'txt');
      await parsesOrNamesTheLine((p) => readJsonl(p), bytes, 'jsonl');
      await parsesOrNamesTheLine((p) => readTopics(p), bytes, 'tsv');
      await parsesOrNamesTheLine((p) => readTrainingExamples(p), bytes, 'tsv');
      await parsesOrNamesTheLine((p) => readTrainingExamples(p), bytes, 'jsonl');
    }), { numRuns: 150 });
  });
});
