/**
 * `retrieval.depth` of a compare config: the dense runs keep the exact top-k per query; a config
 * without it keeps its identity (config hash) and ranks every document.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig } from '../../src/compare/config.js';
import { configHash } from '../../src/compare/run-folder.js';
import { runCompare } from '../../src/compare/run-compare.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';

const base = {
  name: 'depth',
  languages: ['sw'],
  data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], maxBitext: 60, englishPairs: 60 },
  model: { size: 'tiny', vocabSize: 600 },
  teacher: { steps: 4, batchSize: 4, pairs: 60 },
  budget: { steps: 2, batchSize: 4, maxLength: 24 },
  methods: [{ name: 'zero-shot', kind: 'zero-shot' }],
  seeds: [1],
  stats: { bootstrap: 200 },
};

const root = mkdtempSync(join(tmpdir(), 'optical-depth-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('retrieval.depth', () => {
  it('is optional, checked, and absent from configs that do not set it', () => {
    const plain = validateCompareConfig(base);
    expect('retrieval' in plain).toBe(false);
    expect(validateCompareConfig({ ...base, retrieval: { depth: 1000 } }).retrieval).toEqual({ depth: 1000 });
    expect(configHash(validateCompareConfig({ ...base, retrieval: { depth: 1000 } }))).not.toBe(configHash(plain));
    expect(() => validateCompareConfig({ ...base, retrieval: { depth: 0 } })).toThrow(/retrieval\.depth must be in \[1, 10000000\], got 0/);
    expect(() => validateCompareConfig({ ...base, retrieval: { k: 5 } })).toThrow(/retrieval: unknown field 'k'/);
  });

  it('keeps the top-k documents of every query in the dense runs', async () => {
    const full = await runCompare(validateCompareConfig(base), { outRoot: root, englishPairs: sotuEnglishPairs });
    const cut = await runCompare(validateCompareConfig({ ...base, name: 'depth-3', retrieval: { depth: 3 } }), { outRoot: root, englishPairs: sotuEnglishPairs });
    const lines = (dir: string) => readFileSync(join(dir, 'trec', 'zero-shot.seed1.clir.run'), 'utf8').trim().split('\n');
    const perQuery = new Map<string, string[]>();
    for (const l of lines(full.dir)) {
      const [qid, , docno] = l.split(' ');
      perQuery.set(qid, [...(perQuery.get(qid) ?? []), docno]);
    }
    const top = new Map<string, string[]>();
    for (const l of lines(cut.dir)) {
      const [qid, , docno] = l.split(' ');
      top.set(qid, [...(top.get(qid) ?? []), docno]);
    }
    expect([...top.keys()]).toEqual([...perQuery.keys()]);
    for (const [qid, docs] of perQuery) expect(top.get(qid)).toEqual(docs.slice(0, 3));
  }, 120_000);
});
