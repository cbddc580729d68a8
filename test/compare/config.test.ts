import { describe, expect, it } from 'vitest';
import { isTrained, validateCompareConfig, methodBudget } from '../../src/compare/config.js';
import { loadCompareConfig, shippedConfigNames } from '../../src/compare/config-file.js';
import { runCompare } from '../../src/compare/run-compare.js';

const minimal = () => ({ name: 'x', languages: ['sw'], methods: [{ name: 'zs', kind: 'zero-shot' }], seeds: [1] });

describe('compare config validation', () => {
  it('fills defaults for a minimal config', () => {
    const c = validateCompareConfig(minimal());
    expect(c.data.folds).toBe(3);
    expect(c.stats.baseline).toBe('zs');
    expect(c.stats.metrics).toEqual(['AP', 'nDCG@10', 'RR@10', 'R@100']);
    expect(c.scenarios).toEqual(['clir', 'mlir', 'moir']);
    expect(c.model.size).toBe('tiny');
  });

  it('gives method defaults from the issue (p = 0.5, alpha = 0.5) and per-method budgets', () => {
    const c = validateCompareConfig({ ...minimal(), methods: [{ name: 'cs', kind: 'cs-finetune', steps: 7 }, { name: 'h', kind: 'hybrid' }, { name: 'o', kind: 'optical' }] });
    expect(c.methods[0]).toMatchObject({ scheme: 'bl', p: 0.5, monolingualRatio: 0 });
    expect(c.methods[1]).toMatchObject({ alpha: 0.5, crossSource: 'auto', crossSide: 'document' });
    expect(c.methods[2]).toMatchObject({ bitext: 'real' });
    expect(methodBudget(c, c.methods[0]).steps).toBe(7);
    expect(methodBudget(c, c.methods[1]).steps).toBe(c.budget.steps);
  });

  const bad: Array<[string, (c: any) => void, RegExp]> = [
    ['not an object', (c) => { c.__replace = 3; }, /must be a JSON object/],
    ['unknown top-level field', (c) => { c.seed = 1; }, /config: unknown field 'seed'/],
    ['English as target', (c) => { c.languages = ['en']; }, /languages\[0\]: English/],
    ['bad method kind', (c) => { c.methods = [{ name: 'a', kind: 'magic' }]; }, /methods\[0\]\.kind must be one of/],
    ['field of another kind', (c) => { c.methods = [{ name: 'a', kind: 'zero-shot', p: 0.5 }]; }, /methods\[0\]: unknown field 'p'/],
    ['p out of range', (c) => { c.methods = [{ name: 'a', kind: 'cs-finetune', p: 1.5 }]; }, /methods\[0\]\.p must be in \[0, 1\], got 1.5/],
    ['duplicate method names', (c) => { c.methods = [{ name: 'a', kind: 'zero-shot' }, { name: 'a', kind: 'bm25' }]; }, /methods\[1\]\.name 'a' is used twice/],
    ['ml-cs with one language', (c) => { c.methods = [{ name: 'a', kind: 'cs-finetune', scheme: 'ml' }]; }, /needs at least two languages/],
    ['non-integer seed', (c) => { c.seeds = [1.5]; }, /seeds\[0\] must be an integer/],
    ['repeated seed', (c) => { c.seeds = [1, 1]; }, /seeds: a seed is listed twice/],
    ['unknown metric', (c) => { c.stats = { metrics: ['MAPX'] }; }, /stats\.metrics: unknown measure 'MAPX'/],
    ['baseline not a method', (c) => { c.stats = { baseline: 'nope' }; }, /stats\.baseline must be one of zs/],
    ['eval fold out of range', (c) => { c.data = { folds: 3, evalFolds: [3] }; }, /data\.evalFolds\[0\] must be in \[0, 2\]/],
    ['folds 1 with test-train bitext', (c) => { c.data = { folds: 1, bitext: ['test-train'] }; }, /data\.folds = 1/],
    ['size and path', (c) => { c.model = { size: 'tiny', path: '/m' }; }, /give one of 'size', 'path' and 'pretrained', not 'size' and 'path'/],
    ['bad run name', (c) => { c.name = '../x'; }, /name '\.\.\/x' may only contain/],
    ['monolingualRatio 1', (c) => { c.methods = [{ name: 'a', kind: 'cs-finetune', monolingualRatio: 1 }]; }, /leaves no code-switched data/],
  ];
  for (const [label, mutate, message] of bad) {
    it(`rejects ${label} with a message naming the field`, () => {
      const c: any = minimal();
      mutate(c);
      const input = c.__replace !== undefined ? c.__replace : c;
      expect(() => validateCompareConfig(input, 'exp.json')).toThrow(message);
      try {
        validateCompareConfig(input, 'exp.json');
      } catch (err) {
        expect((err as Error).message.startsWith('exp.json: ')).toBe(true);
        expect(err instanceof TypeError || err instanceof RangeError).toBe(true);
      }
    });
  }

  it('accepts an editor $schema key and lists every problem, each with its path', () => {
    expect(validateCompareConfig({ ...minimal(), $schema: './compare.schema.json' }).name).toBe('x');
    const bad = { ...minimal(), budget: { steps: 0, lr: 'fast' }, methods: [{ name: 'o', kind: 'optical', eps: 0 }] };
    expect(() => validateCompareConfig(bad, 'exp.json')).toThrow(/^exp\.json: budget\.steps must be in \[1, 10000000\], got 0\nexp\.json: budget\.lr must be a finite number, got 'fast'\nexp\.json: methods\[0\]\.eps must be in \[0\.0001, 10\], got 0$/);
  });

  it('types each method kind with its own fields (discriminated union on kind)', () => {
    const c = validateCompareConfig({ ...minimal(), methods: [{ name: 'o', kind: 'optical', layer: -2 }, { name: 'b', kind: 'bm25' }] });
    const [o, b] = c.methods;
    expect(o.kind === 'optical' && o.layer).toBe(-2);
    expect(b.kind === 'bm25' && b.translate).toBe('none');
    expect(Object.keys(b).sort()).toEqual(['kind', 'name', 'translate']);
  });

  it('optical objective options and the Reimers & Gurevych baseline kind (sentence-distill) are checked by name', () => {
    const c = validateCompareConfig({ ...minimal(), methods: [{ name: 'o', kind: 'optical' }, { name: 'rg', kind: 'sentence-distill' }, { name: 's', kind: 'optical', otWeight: 0, sentenceLoss: 'mse' }] });
    const [o, rg, s] = c.methods;
    expect(o.kind === 'optical' && [o.englishWeight, o.otWeight, o.sentenceLoss, o.sentenceWeight, o.sentenceTemperature, o.queryEncoder]).toEqual([0, 1, 'infonce', 1, 0.05, 'student']);
    expect(rg.kind === 'sentence-distill' && [rg.bitext, rg.queryEncoder]).toEqual(['real', 'student']);
    expect(s.kind === 'optical' && s.otWeight).toBe(0);
    expect(isTrained(rg)).toBe(true);
    expect(() => validateCompareConfig({ ...minimal(), methods: [{ name: 'o', kind: 'optical', otWeight: 0, sentenceLoss: 'none' }] }, 'e.json'))
      .toThrow(/e\.json: methods\[0\]\.otWeight = 0 with sentenceLoss 'none' and englishWeight 0 leaves nothing to train/);
    expect(() => validateCompareConfig({ ...minimal(), methods: [{ name: 'o', kind: 'optical', sentenceLoss: 'cos', queryEncoder: 'both' }] }, 'e.json'))
      .toThrow(/methods\[0\]\.sentenceLoss must be one of none, infonce, mse, got 'cos'\ne\.json: methods\[0\]\.queryEncoder must be one of teacher, student, got 'both'/);
    expect(() => validateCompareConfig({ ...minimal(), methods: [{ name: 'rg', kind: 'sentence-distill', eps: 0.1 }] }, 'e.json')).toThrow(/methods\[0\].*eps/);
  });

  it('round-trips: the validated config written to runs/<name>/config.json validates to itself', () => {
    for (const n of shippedConfigNames()) {
      const c = loadCompareConfig(n);
      expect(validateCompareConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
    }
  });

  it('loads every shipped config', () => {
    const names = shippedConfigNames();
    expect(names).toContain('demo-sw');
    for (const n of names) expect(loadCompareConfig(n).name).toBeTruthy();
  });

  it('runCompare rejects an unknown option before any work, listing the known ones', async () => {
    await expect(runCompare(validateCompareConfig(minimal()), { outDir: 'x' } as never)).rejects.toThrow(/runCompare: unknown option 'outDir' \(known: outRoot, progress, englishPairs, maxUnits, shardSize, engine\)/);
  });

  it('names a missing config file and lists the shipped ones', () => {
    expect(() => loadCompareConfig('/nonexistent/exp.json')).toThrow(/not found .*demo-sw/);
  });
});
