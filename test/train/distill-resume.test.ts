/**
 * Distillation runs on the one training loop, so it has what the loop gives every objective: a run
 * stopped at a checkpoint — by maxStepsThisRun, or by Ctrl-C in `optical distill` — and resumed ends
 * bit for bit where an uninterrupted run ends (native engine), with one log record per step; the
 * English term's own sampler is part of the checkpoint.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { Engine } from '../../src/models/engine/types.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { distill, DISTILL_LOG } from '../../src/train/distill.js';
import { command } from '../../src/cli/commands/distill.js';

const BITEXT = [
  ['all human beings are born free', 'watu wote wamezaliwa huru'], ['everyone has the right to life', 'kila mtu ana haki ya kuishi'],
  ['no one shall be held in slavery', 'hakuna mtu atakayeshikiliwa utumwani'], ['everyone has the right to education', 'kila mtu ana haki ya kupata elimu'],
  ['clean water for all', 'maji safi kwa wote'], ['good health and peace', 'afya njema na amani'], ['work and rest', 'kazi na mapumziko'],
].map(([src, tgt]) => ({ src, tgt }));
const ENGLISH = BITEXT.map((p, i) => ({ query: p.src.split(' ').slice(0, 2).join(' '), positive: `${p.src} ${BITEXT[(i + 1) % BITEXT.length].src}`, negatives: [] }));
let tokenizer: TextTokenizer;
let teacher: Engine;

beforeAll(async () => {
  tokenizer = new TextTokenizer(trainWordPiece(BITEXT.flatMap((p) => [p.src, p.tgt]), { vocabSize: 120, minFrequency: 1 }));
  teacher = await randomEngine({ ...TINY_BERT, hiddenSize: 32, intermediateSize: 64, vocabSize: tokenizer.vocabSize, maxPositionEmbeddings: 32 }, { seed: 4 });
});

async function params(e: Engine): Promise<Map<string, Float32Array>> {
  return new Map([...(await e.getParameters())].map(([k, t]) => [k, t.data]));
}

function stepRecords(dir: string): number[] {
  return readFileSync(join(dir, DISTILL_LOG), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'step').map((r) => r.step);
}

describe('distillation checkpoints', () => {
  it('a run stopped after 4 of 9 steps and resumed ends with bitwise the weights of an uninterrupted run (English term included)', async () => {
    const settings = { teacher, tokenizer, bitext: BITEXT, english: ENGLISH, englishWeight: 0.5, steps: 9, batchSize: 3, lr: 1e-3, maxLength: 16, seed: 5, checkpointEvery: 2 };
    const straight = await distill({ ...settings, outputDir: mkdtempSync(join(tmpdir(), 'optical-dr-full-')) });
    const dir = mkdtempSync(join(tmpdir(), 'optical-dr-'));
    const part = await distill({ ...settings, outputDir: dir, maxStepsThisRun: 4 });
    expect(part).toMatchObject({ finished: false, step: 4 });
    part.student.dispose();
    const resumed = await distill({ ...settings, outputDir: dir });
    expect(resumed).toMatchObject({ finished: true, step: 9 });
    expect(await params(resumed.student)).toEqual(await params(straight.student));
    expect(resumed.log.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(resumed.log.map((r) => r.loss)).toEqual(straight.log.map((r) => r.loss));
    expect(resumed.log.every((r) => typeof r.englishLoss === 'number')).toBe(true);
    // Other settings on the same folder are refused, not mixed.
    await expect(distill({ ...settings, outputDir: dir, eps: 0.1 })).rejects.toThrow(/cannot resume from .*sinkhorn/);
    straight.student.dispose();
    resumed.student.dispose();
  });

  it('optical distill: Ctrl-C writes a checkpoint (exit 130, no model); the same command resumes to the uninterrupted student', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-dr-cli-'));
    writeFileSync(join(dir, 'bitext.tsv'), BITEXT.map((p) => `${p.src}\t${p.tgt}`).join('\n') + '\n');
    const model = new BiEncoder(await randomEngine(teacher.config, { seed: 4 }), tokenizer, { maxLength: 16 });
    await model.save(join(dir, 'teacher'));
    model.dispose();
    const args = (out: string) => ['distill', '--teacher', join(dir, 'teacher'), '--bitext', join(dir, 'bitext.tsv'), '--out', out, '--steps', '400', '--batch-size', '3', '--lr', '1e-3', '--checkpoint-every', '1000'];

    // Interrupted: SIGINT once a few steps are logged.
    const interrupted = join(dir, 'interrupted');
    const child = spawn(process.execPath, [resolve('test/helpers/run-ts.mjs'), resolve('src/cli/main.ts'), ...args(interrupted)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const code = await new Promise<number | null>((done) => {
      const poll = setInterval(() => {
        if (existsSync(join(interrupted, DISTILL_LOG)) && stepRecords(interrupted).length >= 3) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', (c) => { clearInterval(poll); done(c); });
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted: writing a checkpoint/);
    expect(existsSync(join(interrupted, 'checkpoint', 'trainer-state.json'))).toBe(true);
    expect(existsSync(join(interrupted, 'model.safetensors'))).toBe(false);
    const stoppedAt = JSON.parse(readFileSync(join(interrupted, 'checkpoint', 'trainer-state.json'), 'utf8')).step;
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(400);

    const quiet = { write: process.stderr.write };
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await command.run(args(interrupted).slice(1))).toBe(0);
      const straight = join(dir, 'straight');
      expect(await command.run(args(straight).slice(1))).toBe(0);
      expect(readFileSync(join(interrupted, 'model.safetensors'))).toEqual(readFileSync(join(straight, 'model.safetensors')));
      expect(stepRecords(interrupted)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    } finally {
      process.stderr.write = quiet.write;
    }
  }, 120_000);
});
