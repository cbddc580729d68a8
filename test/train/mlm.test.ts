/**
 * The MLM objective's masking (BERT: 15 % chosen, 80 % [MASK] / 10 % random / 10 % kept; never
 * special or padding tokens; whole-word masking chooses every piece of a word), its determinism per
 * step seed, and one training run on the one loop that lowers the MLM loss.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { toEncodeInput } from '../../src/models/engine/input.js';
import { loadEngine, randomEngine } from '../../src/models/engine/index.js';
import { IGNORE_LABEL, maskBatch, maskingVocabulary, MlmObjective } from '../../src/train/objectives/mlm.js';
import { MaskedLanguageModel } from '../../src/train/masked-lm.js';
import { Trainer } from '../../src/train/trainer.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { Rng } from '../../src/random/rng.js';
import { MODEL_PRESETS } from '../../src/compare/teacher.js';

const WORDS = ['haki', 'za', 'binadamu', 'kila', 'mtu', 'ana', 'uhuru', 'the', 'rights', 'of', 'everyone', 'freedom', 'education', 'ubaguzi', 'usawa', 'maisha'];

function sentences(n: number, seed: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 6 + rng.int(10) }, () => WORDS[rng.int(WORDS.length)]).join(' '));
}

let tokenizer: TextTokenizer;

beforeAll(() => {
  // A small vocabulary so that the long words split into several pieces (whole-word masking matters).
  tokenizer = new TextTokenizer(trainWordPiece(sentences(200, 1), { vocabSize: 60, minFrequency: 1 }));
});

function batch(texts: string[]) {
  const enc = tokenizer.encodeBatch(texts, null, { maxLength: 32 });
  return { input: toEncodeInput(enc), wordIds: enc.wordIds };
}

describe('maskBatch', () => {
  it('chooses ~15 % of real tokens, never specials or padding, and replaces them 80/10/10', () => {
    const vocab = maskingVocabulary(tokenizer);
    const specials = new Set(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => tokenizer.tokenToId(t)));
    let eligible = 0;
    let chosen = 0;
    let masked = 0;
    let randomized = 0;
    let kept = 0;
    for (let r = 0; r < 40; r++) {
      const { input, wordIds } = batch(sentences(32, 100 + r));
      const m = maskBatch(input, wordIds, vocab, {}, new Rng(r));
      for (let i = 0; i < input.ids.length; i++) {
        const real = input.mask[i] === 1 && !specials.has(input.ids[i]);
        if (real) eligible++;
        if (m.labels[i] === IGNORE_LABEL) {
          expect(m.input.ids[i]).toBe(input.ids[i]);
          continue;
        }
        expect(real).toBe(true);
        expect(m.labels[i]).toBe(input.ids[i]);
        chosen++;
        if (m.input.ids[i] === vocab.maskId) masked++;
        else if (m.input.ids[i] === input.ids[i]) kept++;
        else {
          randomized++;
          expect(specials.has(m.input.ids[i])).toBe(false);
        }
      }
      expect(m.chosen).toBe(m.masked + m.randomized + m.kept);
    }
    // ~12 000 eligible tokens: binomial standard errors are ~0.3 % (choice) and ~0.8 % (split).
    expect(chosen / eligible).toBeGreaterThan(0.14);
    expect(chosen / eligible).toBeLessThan(0.16);
    expect(masked / chosen).toBeGreaterThan(0.77);
    expect(masked / chosen).toBeLessThan(0.83);
    // A random draw equal to the original counts as kept: ≤ 1/vocab of the random share.
    expect(randomized / chosen).toBeGreaterThan(0.08);
    expect(randomized / chosen).toBeLessThan(0.12);
    expect(kept / chosen).toBeGreaterThan(0.08);
    expect(kept / chosen).toBeLessThan(0.12);
  });

  it('whole-word masking chooses every piece of a chosen word and none of an unchosen one', () => {
    const vocab = maskingVocabulary(tokenizer);
    const { input, wordIds } = batch(sentences(64, 7));
    let multiPiece = 0;
    const m = maskBatch(input, wordIds, vocab, { wholeWord: true, probability: 0.3 }, new Rng(3));
    for (let b = 0; b < input.batch; b++) {
      const byWord = new Map<number, boolean[]>();
      for (let l = 0; l < input.length; l++) {
        const w = wordIds[b][l];
        if (w === null || !input.mask[b * input.length + l]) continue;
        byWord.set(w, [...(byWord.get(w) ?? []), m.labels[b * input.length + l] !== IGNORE_LABEL]);
      }
      for (const flags of byWord.values()) {
        if (flags.length > 1) multiPiece++;
        expect(new Set(flags).size).toBe(1);
      }
    }
    expect(multiPiece).toBeGreaterThan(20);
    // Token-level masking splits words.
    const t = maskBatch(input, wordIds, vocab, { probability: 0.3 }, new Rng(3));
    let split = 0;
    for (let b = 0; b < input.batch; b++) {
      const byWord = new Map<number, Set<boolean>>();
      for (let l = 0; l < input.length; l++) {
        const w = wordIds[b][l];
        if (w === null || !input.mask[b * input.length + l]) continue;
        byWord.set(w, (byWord.get(w) ?? new Set()).add(t.labels[b * input.length + l] !== IGNORE_LABEL));
      }
      for (const s of byWord.values()) if (s.size > 1) split++;
    }
    expect(split).toBeGreaterThan(0);
  });

  it('always predicts at least one token and is a function of the seed', () => {
    const vocab = maskingVocabulary(tokenizer);
    const { input, wordIds } = batch(['haki']);
    const m = maskBatch(input, wordIds, vocab, { probability: 0.001 }, new Rng(1));
    expect(m.chosen).toBe(1);
    const a = maskBatch(input, wordIds, vocab, {}, new Rng(9));
    const b = maskBatch(input, wordIds, vocab, {}, new Rng(9));
    expect([...a.labels]).toEqual([...b.labels]);
    expect([...a.input.ids]).toEqual([...b.input.ids]);
  });

  it('refuses bad settings with the setting named', () => {
    const vocab = maskingVocabulary(tokenizer);
    const { input, wordIds } = batch(['haki za binadamu']);
    expect(() => maskBatch(input, wordIds, vocab, { probability: 1.5 }, new Rng(1))).toThrow(/mlm probability must be in \[0, 1\], got 1.5/);
    expect(() => maskBatch(input, wordIds, vocab, { maskShare: 0.95, randomShare: 0.1 }, new Rng(1))).toThrow(/maskShare \+ randomShare must be <= 1/);
    const noMask = new TextTokenizer({ ...tokenizer.json, added_tokens: (tokenizer.json.added_tokens as { content: string }[]).filter((t) => t.content !== '[MASK]'), model: { ...tokenizer.json.model, vocab: Object.fromEntries(Object.entries(tokenizer.json.model.vocab as Record<string, number>).filter(([k]) => k !== '[MASK]')) } });
    expect(() => new MlmObjective({ tokenizer: noMask, maxLength: 16 })).toThrow(/no mask token/);
  });
});

describe('MLM training on the one loop', () => {
  it('lowers the masked-token loss and saves a BertForMaskedLM folder a bi-encoder can load', async () => {
    // Learnable from context: each word is followed by the next word of the list.
    const rng = new Rng(5);
    const texts = Array.from({ length: 256 }, () => {
      const start = rng.int(WORDS.length);
      return Array.from({ length: 8 + rng.int(8) }, (_, i) => WORDS[(start + i) % WORDS.length]).join(' ');
    });
    const engine = await randomEngine({ ...MODEL_PRESETS.tiny, vocabSize: tokenizer.vocabSize, padTokenId: tokenizer.padId }, { engine: 'native', seed: 1, heads: { mlm: true } });
    const model = new MaskedLanguageModel(engine, tokenizer, 32);
    const dir = mkdtempSync(join(tmpdir(), 'optical-mlm-'));
    const losses: number[] = [];
    const trainer = new Trainer({ model, examples: texts, outputDir: dir, steps: 80, batchSize: 16, lr: 2e-3, seed: 1, logEvery: 5, onLog: (r) => { if (r.type === 'step') losses.push(r.loss!); } });
    const result = await trainer.run();
    expect(result.finished).toBe(true);
    const first = losses.slice(0, 2).reduce((a, b) => a + b) / 2;
    const last = losses.slice(-2).reduce((a, b) => a + b) / 2;
    expect(last).toBeLessThan(first - 0.5);
    const again = await loadEngine(join(dir, 'final'), { engine: 'native' });
    expect(again.heads.mlm).toBe(true);
    const params = await again.getParameters();
    expect([...params.get('embeddings.word_embeddings.weight')!.data]).toEqual([...(await engine.getParameters()).get('embeddings.word_embeddings.weight')!.data]);
    again.dispose();
    const bi = await BiEncoder.fromPretrained(join(dir, 'final'), { engine: 'native', maxLength: 32 });
    const v = await bi.embed(['haki za binadamu']);
    expect(v.length).toBe(MODEL_PRESETS.tiny.hiddenSize);
    expect(v.every(Number.isFinite)).toBe(true);
    bi.dispose();
    model.dispose();
  }, 120_000);
});
