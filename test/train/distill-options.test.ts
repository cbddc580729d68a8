import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { Engine } from '../../src/models/engine/types.js';
import { createTokenizer, type TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { checkDistillOptions, distill, DISTILL_DEFAULTS, type DistillOptions } from '../../src/train/distill.js';
import { DEFAULTS as OT_DEFAULTS } from '../../src/ot/options.js';

let teacher: Engine;
let tokenizer: TextTokenizer;
const bitext = [{ src: 'all human beings are born free', tgt: 'watu wote wamezaliwa huru' }];

beforeAll(async () => {
  tokenizer = await createTokenizer(trainWordPiece([bitext[0].src, bitext[0].tgt], { vocabSize: 60, minFrequency: 1 }));
  teacher = await randomEngine({ ...TINY_BERT, hiddenSize: 16, intermediateSize: 32, vocabSize: tokenizer.vocabSize }, { seed: 1, heads: { pooler: true } });
});

describe('distill options', () => {
  const base = (): DistillOptions => ({ teacher, tokenizer, bitext });

  it('fills every default from DISTILL_DEFAULTS (one copy for library, CLI and usage text)', () => {
    const s = checkDistillOptions(base());
    expect(s).toMatchObject({ steps: DISTILL_DEFAULTS.steps, batchSize: DISTILL_DEFAULTS.batchSize, lr: DISTILL_DEFAULTS.lr, eps: DISTILL_DEFAULTS.eps, maxIter: DISTILL_DEFAULTS.maxIter, tol: DISTILL_DEFAULTS.tol, maxLength: DISTILL_DEFAULTS.maxLength, layer: 2 });
    expect(s.warmupSteps).toBe(Math.floor(DISTILL_DEFAULTS.steps * DISTILL_DEFAULTS.warmupFraction));
  });

  it('differs from the OT library defaults only where it says so (maxIter, tol)', () => {
    expect(DISTILL_DEFAULTS.eps).toBe(OT_DEFAULTS.eps);
    expect(DISTILL_DEFAULTS.kind).toBe(OT_DEFAULTS.kind);
    expect(DISTILL_DEFAULTS.method).toBe(OT_DEFAULTS.method);
    expect([DISTILL_DEFAULTS.maxIter, DISTILL_DEFAULTS.tol]).not.toEqual([OT_DEFAULTS.maxIter, OT_DEFAULTS.tol]);
  });

  it('rejects unknown keys with the list of known ones, and bad values by name, before any work', async () => {
    await expect(distill({ ...base(), epsilon: 0.1 } as DistillOptions)).rejects.toThrow(/distill: unknown option 'epsilon' \(known: teacher, tokenizer, bitext, .*eps/);
    await expect(distill({ ...base(), steps: 0 })).rejects.toThrow(/distill: options\.steps must be in \[1, 1000000000\], got 0/);
    await expect(distill({ ...base(), lr: 0 })).rejects.toThrow(/options\.lr must be a number > 0, got 0/);
    await expect(distill({ ...base(), eps: -1 })).rejects.toThrow(/options\.eps must be a number > 0/);
    await expect(distill({ ...base(), batchSize: 2.5 })).rejects.toThrow(/options\.batchSize must be an integer, got 2.5/);
    await expect(distill({ ...base(), layer: 3 })).rejects.toThrow(/options\.layer must be an integer in 0\.\.2/);
    await expect(distill({ ...base(), kind: 'l1' as never })).rejects.toThrow(/options\.kind must be one of cosine, sqeuclidean, dot, got 'l1'/);
    await expect(distill({ ...base(), steps: 2, warmupSteps: 3 })).rejects.toThrow(/warmupSteps must be in \[0, steps=2\]/);
  });
});
