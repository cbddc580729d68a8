// Every reader of user files goes through one line reader (src/ir/formats/lines.ts): a UTF-8
// byte-order mark is dropped, invalid UTF-8 and out-of-range numbers are `file:line:` errors — no
// silently dropped query, merged ids or wrapped relevance grades.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readQrelsFile, parseQrels } from '../../src/ir/formats/qrels.js';
import { readRunFile, parseRun } from '../../src/ir/formats/trec-run.js';
import { readTopicsFile } from '../../src/ir/formats/topics.js';
import { readCollectionFile, parseCollection } from '../../src/ir/formats/collection.js';
import { readLexiconTsvFile } from '../../src/ir/formats/lexicon-tsv.js';
import { readFileLines, textLines, firstInvalidUtf8 } from '../../src/ir/formats/lines.js';
import { IrFormatError } from '../../src/ir/formats/format-error.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { parseMeasures } from '../../src/ir/measure-names.js';
import { readBitext, readMosesBitext } from '../../src/data/readers.js';
import { readLexicon } from '../../src/data/lexicon.js';
import { readJsonl, readTopics, readCollection, parseQrels as parseDataQrels } from '../../src/data/formats.js';
import { importBitext } from '../../src/data/import-bitext.js';
import { readDictd, parseDictdIndex } from '../../src/data/dictd.js';
import { readTrainingExamples } from '../../src/train/examples.js';
import { command as codeswitchCommand } from '../../src/cli/commands/codeswitch.js';

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'optical-text-input-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
function file(name: string, ...parts: (string | Buffer)[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p))));
  return path;
}
async function errorOf(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

/** Each reader: a two-line file in its format; `first` reads back the first record's key. */
const readers: { name: string; ext: string; lines: [string, string]; first: (path: string) => Promise<string> | string }[] = [
  { name: 'TREC qrels', ext: 'qrels', lines: ['q1 0 d1 1', 'q2 0 d2 1'], first: async (p) => [...(await readQrelsFile(p)).keys()][0] },
  { name: 'TREC run', ext: 'trec', lines: ['q1 Q0 d1 1 2.5 t', 'q2 Q0 d2 1 1 t'], first: async (p) => [...(await readRunFile(p)).run.keys()][0] },
  { name: 'topics TSV', ext: 'tsv', lines: ['q1\tmaji', 'q2\telimu'], first: async (p) => (await readTopicsFile(p))[0].qid },
  { name: 'collection JSONL', ext: 'jsonl', lines: ['{"docno":"d1","text":"maji"}', '{"docno":"d2","text":"elimu"}'], first: async (p) => (await readCollectionFile(p))[0].docno },
  { name: 'lexicon TSV (ir)', ext: 'tsv', lines: ['water\tmaji\t1', 'school\tshule\t1'], first: async (p) => [...(await readLexiconTsvFile(p)).keys()][0] },
  { name: 'lexicon TSV (data)', ext: 'tsv', lines: ['water\tmaji\t1', 'school\tshule\t1'], first: (p) => readLexicon(p).headwordList().sort().at(-1)! },
  { name: 'lexicon MUSE', ext: 'txt', lines: ['water maji', 'school shule'], first: (p) => readLexicon(p).headwordList().sort().at(-1)! },
  { name: 'bitext TSV', ext: 'tsv', lines: ['water\tmaji', 'school\tshule'], first: (p) => readBitext(p)[0].src },
  { name: 'bitext JSONL', ext: 'jsonl', lines: ['{"src":"water","tgt":"maji"}', '{"src":"school","tgt":"shule"}'], first: (p) => readBitext(p)[0].src },
  { name: 'Moses bitext', ext: 'en', lines: ['water', 'school'], first: (p) => readMosesBitext(p, p)[0].src },
  { name: 'data JSONL', ext: 'jsonl', lines: ['{"k":"water"}', '{"k":"school"}'], first: (p) => readJsonl<{ k: string }>(p)[0].k },
  { name: 'data topics TSV', ext: 'tsv', lines: ['q1\tmaji', 'q2\telimu'], first: (p) => readTopics(p)[0].qid },
  { name: 'data collection', ext: 'jsonl', lines: ['{"docno":"d1","text":"maji"}', '{"docno":"d2","text":"x"}'], first: (p) => readCollection(p)[0].docno },
  { name: 'bitext import', ext: 'tsv', lines: ['water\tmaji', 'school\tshule'], first: (p) => importBitext({ tsv: p, tgtLang: 'sw' }).pairs[0].src },
  { name: 'training examples', ext: 'tsv', lines: ['q1\tp1\tn1', 'q2\tp2\tn2'], first: async (p) => (await readTrainingExamples(p))[0].query },
];
const expectedFirst: Record<string, string> = {
  'TREC qrels': 'q1', 'TREC run': 'q1', 'topics TSV': 'q1', 'collection JSONL': 'd1', 'lexicon TSV (ir)': 'water', 'lexicon TSV (data)': 'water',
  'lexicon MUSE': 'water', 'bitext TSV': 'water', 'bitext JSONL': 'water', 'Moses bitext': 'water', 'data JSONL': 'water', 'data topics TSV': 'q1',
  'data collection': 'd1', 'bitext import': 'water', 'training examples': 'q1',
};

describe.each(readers)('$name reader', ({ name, ext, lines, first }) => {
  const slug = name.replace(/\W+/g, '-');
  it('drops a UTF-8 byte-order mark on the first line', async () => {
    const path = file(`bom-${slug}.${ext}`, BOM, `${lines[0]}\r\n${lines[1]}\r\n`);
    expect(await first(path)).toBe(expectedFirst[name]);
  });
  it('rejects invalid UTF-8 with file:line and the column', async () => {
    // "ma<0xff>ji" on line 2: U+FFFD would have made a different id silently.
    const [before, after] = [lines[1].slice(0, lines[1].indexOf('maji') >= 0 ? lines[1].indexOf('maji') : 1), lines[1].slice(lines[1].indexOf('maji') >= 0 ? lines[1].indexOf('maji') : 1)];
    const path = file(`bad-${slug}.${ext}`, `${lines[0]}\n${before}`, Buffer.from([0xff]), `${after}\n`);
    const err = await errorOf(() => first(path));
    expect(err.message).toBe(`${path}:2: invalid UTF-8 at column ${[...before].length + 1} (bytes 0xff ${Buffer.from(after).subarray(0, 3).toString('hex').replace(/(..)/g, '0x$1 ').trim()}); the file must be UTF-8`);
  });
  it('names a UTF-16 file', async () => {
    const path = file(`utf16-${slug}.${ext}`, Buffer.from([0xff, 0xfe]), Buffer.from(`${lines[0]}\n`, 'utf16le'));
    expect((await errorOf(() => first(path))).message).toMatch(`${path}:1: the file is UTF-16`);
  });
});

describe('numbers in input files', () => {
  it('a relevance grade beyond 32 bits is an error, not a wrapped value that scores AP 0', async () => {
    const path = file('big.qrels', 'q1 0 d1 2147483648\n');
    const err = await errorOf(() => readQrelsFile(path));
    expect(err).toBeInstanceOf(IrFormatError);
    expect(err.message).toBe(`${path}:1: relevance '2147483648' is out of range (-2147483648..2147483647)`);
    expect((await parseQrels('q1 0 d1 2147483647\nq1 0 d2 -2147483648\n')).get('q1')).toEqual(new Map([['d1', 2147483647], ['d2', -2147483648]]));
    expect(() => parseDataQrels('q1 0 d1 99999999999\n', 'x.qrels')).toThrow("x.qrels:1: relevance '99999999999' is out of range");
    expect(() => parseDataQrels('q1 0 d1 1.5\n', 'x.qrels')).toThrow("x.qrels:1: relevance '1.5' is not an integer");
  });

  it('evaluateRun refuses a grade it cannot hold, and scores the largest one it can', async () => {
    const run = new Map([['q1', new Map([['d1', 1]])]]);
    const measures = parseMeasures(['AP']);
    expect(() => evaluateRun(new Map([['q1', new Map([['d1', 2 ** 31]])]]), run, measures)).toThrow('relevance of (q1, d1) must be an integer in -2147483648..2147483647, got 2147483648');
    expect(evaluateRun(new Map([['q1', new Map([['d1', 2 ** 31 - 1]])]]), run, measures).mean.AP).toBe(1);
  });

  it('run scores must be finite decimal numbers', async () => {
    await expect(parseRun('q1 Q0 d1 1 0x10 t\n', 'r')).rejects.toThrow("r:1: score '0x10' is not a finite number");
    await expect(parseRun('q1 Q0 d1 1 1e400 t\n', 'r')).rejects.toThrow("r:1: score '1e400' is not a finite number (outside the double range)");
    await expect(parseRun('q1 Q0 d1 1 Infinity t\n', 'r')).rejects.toThrow("r:1: score 'Infinity' is not a finite number");
    expect((await parseRun('q1 Q0 d1 1 .5 t\nq1 Q0 d2 2 -1E-3 t\nq1 Q0 d3 3 +2. t\n', 'r')).run.get('q1')).toEqual(new Map([['d1', 0.5], ['d2', -0.001], ['d3', 2]]));
  });

  it('lexicon weights must be finite and >= 0 in both lexicon readers', async () => {
    const path = file('w.tsv', 'water\tmaji\t1e999\n');
    await expect(readLexiconTsvFile(path)).rejects.toThrow(`${path}:1: weight '1e999' must be a finite number ≥ 0 (outside the double range)`);
    expect(() => readLexicon(path)).toThrow(`${path}:1: weight '1e999' must be a finite number ≥ 0`);
  });

  it('numeric JSON ids beyond 2^53 would lose digits (two ids merging): an error', async () => {
    await expect(parseCollection('{"docno":12345678901234567891,"text":"a"}\n', 'jsonl', 'c.jsonl')).rejects.toThrow('c.jsonl:1: numeric docno 12345678901234567891 is not an integer below 2^53');
    expect((await parseCollection('{"docno":42,"text":"a"}\n', 'jsonl'))[0].docno).toBe('42');
  });

  it('dictd: offsets too large for a byte position, invalid UTF-8 in an entry', () => {
    expect(() => parseDictdIndex('a\t////////////\tB\n', 'x.index')).toThrow("x.index:1: dictd: base64 number '////////////' is too large");
    const body = Buffer.concat([Buffer.from('maji\n water\n'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    expect(() => readDictd(`maji\tA\t${'ABCDEFGHIJKLMNOP'[body.length]}\n`, gzipSync(body), 'freedict-swh-eng')).toThrow("freedict-swh-eng.dict.dz (entry 'maji' at byte 0):3: invalid UTF-8 at column 1 (bytes 0xc3 0x28 0x0a)");
  });
});

describe('the streaming line reader', () => {
  it('decodes a character split across two read chunks and counts lines across chunks', async () => {
    // 1 MiB chunks: put a 3-byte character across the first boundary and a bad byte in the third chunk.
    const line = 'q Q0 d 1 1 t\n';
    const fill = 'x'.repeat((1 << 20) - 1 - line.length) + '\n';
    const lines: string[] = [];
    for await (const b of readFileLines(file('split.txt', line, fill, 'é€ok\n', 'last'))) lines.push(...b.lines);
    expect(lines).toEqual(['q Q0 d 1 1 t', fill.slice(0, -1), 'é€ok', 'last']);
    const many = 'abc\n'.repeat(600_000);
    const path = file('late-bad.txt', many, 'ok\nfine', Buffer.from([0xe2, 0x82]), '\n');
    const err = await errorOf(async () => { for await (const b of readFileLines(path)) void b; });
    expect(err.message).toBe(`${path}:600002: invalid UTF-8 at column 5 (bytes 0xe2 0x82); the file must be UTF-8`);
  });

  it('in-memory text: a leading U+FEFF is dropped too', async () => {
    expect(textLines('\ufeffa\r\nb\n')).toEqual(['a', 'b']);
    expect([...(await parseQrels('\ufeffq1 0 d1 1\n')).keys()]).toEqual(['q1']);
  });

  it('firstInvalidUtf8 agrees with the WHATWG decoder on overlong forms, surrogates and truncation', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xc0, 0xaf], 1], [[0xe0, 0x80, 0xaf], 0], [[0xed, 0xa0, 0x80], 0], [[0xf4, 0x90, 0x80, 0x80], 0],
      [[0xf0, 0x9f, 0x98, 0x80], -1], [[0x61, 0xe2, 0x82], 1], [[0xc3, 0xa9, 0x80], 2], [[0xf5, 0x80, 0x80, 0x80], 0],
    ];
    const fatal = new TextDecoder('utf-8', { fatal: true });
    for (const [bytes, at] of cases) {
      expect(firstInvalidUtf8(Uint8Array.from(bytes))).toBe(at);
      if (at < 0) expect(() => fatal.decode(Uint8Array.from(bytes))).not.toThrow();
      else expect(() => fatal.decode(Uint8Array.from(bytes))).toThrow(TypeError);
    }
  });
});

describe('codeswitch --in reads through the same reader', () => {
  it('invalid UTF-8 in the input is a file:line error; blank lines do not shift line numbers', async () => {
    const lex = file('cs-lex.tsv', 'water\tmaji\t1\n');
    const input = file('cs-in.jsonl', '{"text":"clean water"}\n\n', '{"text":"bad ', Buffer.from([0xff]), '"}\n');
    const err = await errorOf(() => codeswitchCommand.run(['--in', input, '--lexicon', `sw=${lex}`, '--out', join(dir, 'cs-out.jsonl')]));
    expect(err.message).toBe(`${input}:3: invalid UTF-8 at column 14 (bytes 0xff 0x22 0x7d 0x0a); the file must be UTF-8`);
    const broken = file('cs-broken.jsonl', '{"text":"clean water"}\n\n{"text": 5}\n');
    expect((await errorOf(() => codeswitchCommand.run(['--in', broken, '--lexicon', `sw=${lex}`, '--out', join(dir, 'cs-out.jsonl')]))).message).toBe(`${broken}:3: record needs a string 'text' or 'src' field`);
  });
});
