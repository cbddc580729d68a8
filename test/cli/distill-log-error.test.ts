/**
 * A write error on distill-log.jsonl must stop `optical distill` with an error naming the file (it
 * was an unhandled rejection per step when each line was a separate fire-and-forget appendFile).
 * The log stream is redirected to /dev/full, where every write fails with ENOSPC.
 */
import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const createWriteStream = ((path: string, options?: object) => fs.createWriteStream(String(path).endsWith('distill-log.jsonl') ? '/dev/full' : path, options)) as typeof fs.createWriteStream;
  return { ...fs, default: { ...fs, createWriteStream }, createWriteStream };
});

const { randomEngine } = await import('../../src/models/engine/index.js');
const { TINY_BERT } = await import('../../src/models/bert-config.js');
const { createTokenizer } = await import('../../src/models/tokenizer.js');
const { trainWordPiece } = await import('../../src/models/wordpiece-trainer.js');
const { CrossEncoder } = await import('../../src/train/cross-encoder.js');
const { command } = await import('../../src/cli/commands/distill.js');

describe('optical distill log', () => {
  it.runIf(process.platform === 'linux')('surfaces a write error of distill-log.jsonl instead of losing lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-distill-full-'));
    const bitext = [['All human beings are born free', 'Watu wote wamezaliwa huru'], ['Everyone has the right to life', 'Kila mtu ana haki ya kuishi']];
    writeFileSync(join(dir, 'bitext.tsv'), bitext.map((p) => p.join('\t')).join('\n') + '\n');
    const tokenizer = await createTokenizer(trainWordPiece(bitext.flat(), { vocabSize: 120, minFrequency: 1 }));
    const encoder = await randomEngine({ ...TINY_BERT, hiddenSize: 16, intermediateSize: 32, vocabSize: tokenizer.vocabSize }, { seed: 3, heads: { classifier: true } });
    const teacher = new CrossEncoder(encoder, tokenizer, { maxLength: 16 });
    await teacher.save(join(dir, 'teacher'));
    teacher.dispose();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      await expect(command.run(['--teacher', join(dir, 'teacher'), '--bitext', join(dir, 'bitext.tsv'), '--out', join(dir, 'student'), '--steps', '4', '--batch-size', '2']))
        .rejects.toThrow(/cannot write .*distill-log\.jsonl: .*ENOSPC/);
    } finally {
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });
});
