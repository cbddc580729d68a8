/**
 * The development split of a UDHR fold (src/compare/dev-split.ts) keeps the fold's test articles
 * out of everything and the development articles out of training.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildUdhr, readUdhrDeclaration } from '../../src/data/udhr.js';
import { validateCompareConfig } from '../../src/compare/config.js';
import { developmentFold } from '../../src/compare/dev-split.js';
import type { FoldData } from '../../src/compare/experiment-data.js';

const config = validateCompareConfig({ name: 'd', languages: ['sw'], data: { test: 'udhr', folds: 3, bitext: ['test-train'] }, methods: [{ name: 'z', kind: 'zero-shot' }], seeds: [1] });
let folds: FoldData[];

beforeAll(async () => {
  const u = await buildUdhr({ lang: 'sw', folds: 3, seed: 13 });
  folds = u.folds.map((f) => ({ fold: f.fold, testUnits: f.testUnits, bitext: f.train.map((p) => ({ ...p, tgtLang: 'sw' })), leakageDropped: 0, sets: new Map() }));
});

describe('development split of a UDHR fold', () => {
  it('holds out a third of the training articles: never a test article, never in the training bitext', async () => {
    const en = readUdhrDeclaration('eng');
    const sw = readUdhrDeclaration('swh');
    for (const fold of folds) {
      const dev = await developmentFold(config, fold);
      const devArticles = dev.testUnits.map(Number);
      expect(devArticles.some((a) => fold.testUnits.includes(String(a)))).toBe(false);
      expect(devArticles.length).toBe(Math.round((30 - fold.testUnits.length) / 3));
      expect(dev.bitext.some((p) => devArticles.includes(p.article as number))).toBe(false);
      const devTexts = new Set(devArticles.flatMap((a) => [...en.articles.get(a)!, ...sw.articles.get(a)!]));
      expect(dev.bitext.some((p) => devTexts.has(p.src) || devTexts.has(p.tgt))).toBe(false);
      expect(dev.bitext.every((p) => fold.bitext.includes(p))).toBe(true);
      expect(dev.bitext.length + dev.leakageDropped).toBe(fold.bitext.length);
      const clir = dev.sets.get('clir')!;
      expect(clir.topics.map((t) => t.text)).toEqual(devArticles.map((a) => en.articles.get(a)![0]));
      expect(clir.collection.every((d) => devArticles.some((a) => d.docno.startsWith(`udhr-swh-a${a}-`)))).toBe(true);
      expect(clir.qrels.every((q) => q.docno.startsWith(`udhr-swh-a${q.qid.slice('udhr-a'.length)}-`))).toBe(true);
      expect((await developmentFold(config, fold)).testUnits).toEqual(dev.testUnits);
    }
  });

  it('refuses a share outside (0, 1) and designs other than UDHR folds', async () => {
    await expect(developmentFold(config, folds[0], { share: 1 })).rejects.toThrow(/share must be in \(0, 1\), got 1/);
    const single = validateCompareConfig({ name: 'd', languages: ['sw'], data: { test: 'udhr', folds: 1, bitext: ['cldr'] }, methods: [{ name: 'z', kind: 'zero-shot' }], seeds: [1] });
    await expect(developmentFold(single, folds[0])).rejects.toThrow(/needs the UDHR fold design/);
  });
});
