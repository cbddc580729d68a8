import { describe, expect, test, vi } from 'vitest';
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../src/cli/commands/train-teacher.js';
import { parseTeacherConfig } from '../../src/train/teacher-config.js';
import { UsageError } from '../../src/cli/command.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { wasmMemoryEstimate } from '../../src/train/train-teacher.js';
import { BASE_BERT, TINY_BERT } from '../../src/models/bert-config.js';

const TRIPLES = [
  'maji safi\tkila mtu ana haki ya maji safi\twatoto wanasoma vitabu shuleni',
  'elimu bure\telimu itakuwa bure kwa watoto wote\tmvua inanyesha sana leo',
  'right to work\teveryone has the right to work\tthe river is long and wide',
  'health care\teveryone has the right to health care\tchildren play football',
].join('\n');
const PAIRS = [
  { query: 'the union is strong', positive: 'the state of the union is strong and our people are free' },
  { query: 'taxes were reduced', positive: 'this year taxes were reduced for working families' },
].map((p) => JSON.stringify(p)).join('\n');

async function setup(extra: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'optical-tt-'));
  await writeFile(join(dir, 'train.tsv'), TRIPLES + '\n');
  await writeFile(join(dir, 'pairs.jsonl'), PAIRS + '\n');
  await writeFile(join(dir, 'dev.tsv'), TRIPLES.split('\n').slice(0, 2).join('\n') + '\n');
  await writeFile(join(dir, 'sw.txt'), 'haki za binadamu ni za kila mtu\n');
  const config = {
    kind: 'cross-encoder', train: ['train.tsv', 'pairs.jsonl'], dev: 'dev.tsv', output: 'run',
    vocab: { size: 120, minFrequency: 1, texts: ['sw.txt'] },
    model: { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 64 },
    steps: 4, batchSize: 2, lr: 1e-3, evalEvery: 2, logEvery: 1, maxLength: 48, seed: 3, ...extra,
  };
  await writeFile(join(dir, 'cfg.json'), JSON.stringify(config));
  return dir;
}

describe('optical train-teacher', () => {
  test.each(['native', 'tfjs'] as const)('trains from scratch: own vocabulary, HF-layout model, log, checkpoint; resumes when rerun (%s engine)', async (engine) => {
    const dir = await setup({ engine });
    const out = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await command.run(['--config', join(dir, 'cfg.json')])).toBe(0);
      const summary = JSON.parse(out.mock.calls.at(-1)![0] as string);
      expect(summary).toMatchObject({ steps: 4, finished: true, trainExamples: 6, devExamples: 2, engine, backend: engine === 'tfjs' ? 'wasm' : null });
      expect(summary.bestDevMrr10).toBeGreaterThan(0);
      const run = join(dir, 'run');
      expect(await readdir(run)).toEqual(expect.arrayContaining(['final', 'best', 'checkpoint', 'train-log.jsonl', 'tokenizer.json', 'run-config.json']));
      expect(await readdir(join(run, 'final'))).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json']));
      const tok = await TextTokenizer.fromFile(join(run, 'tokenizer.json'));
      // The vocabulary saw the extra Swahili text (training text), not only the triples.
      expect(tok.tokenizeWords('binadamu').tokens).not.toContain('[UNK]');
      const log = (await readFile(join(run, 'train-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(log.filter((r) => r.type === 'step')).toHaveLength(4);
      expect(log.filter((r) => r.type === 'eval')).toHaveLength(2);
      // Plain progress lines when stderr is not a TTY.
      expect(err.mock.calls.some((c) => String(c[0]).includes(engine === 'tfjs' ? 'engine: tfjs, tfjs backend: wasm' : 'engine: native'))).toBe(true);

      // Rerunning the same command resumes from the checkpoint (here: already complete, no new steps).
      expect(await command.run(['--config', join(dir, 'cfg.json')])).toBe(0);
      const again = (await readFile(join(run, 'train-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(again.filter((r) => r.type === 'resume' && r.step === 4)).toHaveLength(1);
      expect(again.filter((r) => r.type === 'step')).toHaveLength(4);
      // More steps on the same run folder continue from the checkpoint (fingerprint includes steps, so
      // a longer run is refused with a clear message rather than silently mixing schedules).
      await expect(command.run(['--config', join(dir, 'cfg.json'), '--steps', '6'])).rejects.toThrow(/steps=4/);
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  test('bad configs fail before training with the field named', async () => {
    const dir = await setup({ model: { hiddenSize: 10, numAttentionHeads: 3 } });
    await expect(command.run(['--config', join(dir, 'cfg.json')])).rejects.toThrow(/model.hiddenSize \(10\) must be divisible/);
    await expect(command.run([])).rejects.toThrow(UsageError);
    await expect(command.run(['--config', join(dir, 'missing.json')])).rejects.toThrow(/cannot read config/);
    const base = { train: 'a.tsv', output: 'o' };
    expect(() => parseTeacherConfig({ ...base, kind: 'colbert' }, '/')).toThrow(/config.kind/);
    expect(() => parseTeacherConfig({ ...base, lr: -1 }, '/')).toThrow(/config.lr/);
    expect(() => parseTeacherConfig({ ...base, stpes: 3 }, '/')).toThrow(/unknown field 'stpes'/);
    expect(() => parseTeacherConfig({ output: 'o' }, '/')).toThrow(/config.train is required/);
    expect(() => parseTeacherConfig({ ...base, patience: 2 }, '/')).toThrow(/needs a dev set/);
    expect(() => parseTeacherConfig({ ...base, maxLength: 600 }, '/')).toThrow(/maxPositionEmbeddings/);
    expect(() => parseTeacherConfig({ ...base, vocab: { lowercase: 'yes' } }, '/')).toThrow(/vocab.lowercase/);
    expect(() => parseTeacherConfig({ ...base, engine: 'gpu' }, '/')).toThrow(/config\.engine must be one of auto, native, tfjs/);
    await expect(command.run(['--config', join(dir, 'cfg.json'), '--engine', 'gpu'])).rejects.toThrow(/--engine must be one of auto, native, tfjs, got 'gpu'/);
    // Sizes that cannot fit name the field instead of failing inside a typed array.
    expect(() => parseTeacherConfig({ ...base, model: { hiddenSize: 1e8 } }, '/')).toThrow(/config\.model\.hiddenSize must be in \[1, 8192\], got 100000000/);
    expect(() => parseTeacherConfig({ ...base, model: { hiddenSize: 8192, numAttentionHeads: 8 }, vocab: { size: 1_000_000 } }, '/')).toThrow(/more than one float32 tensor holds/);
    expect(parseTeacherConfig({ ...base, model: { size: 'base' } }, '/data').model.hiddenSize).toBe(768);
    expect(parseTeacherConfig(base, '/data').train).toEqual(['/data/a.tsv']);
  });

  test('wasm memory estimate flags base-size configs that cannot fit the 4 GB heap', () => {
    // bert-base, batch 16 × 256: far beyond the heap; the tiny default fits easily.
    expect(wasmMemoryEstimate({ ...BASE_BERT, vocabSize: 30522 }, 110e6, 16, 256)).toBeGreaterThan(4e9);
    expect(wasmMemoryEstimate({ ...TINY_BERT, vocabSize: 8000 }, 1.5e6, 16, 256)).toBeLessThan(1e9);
  });
});
