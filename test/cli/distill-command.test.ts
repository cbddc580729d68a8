import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import { createTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { CrossEncoder } from '../../src/train/cross-encoder.js';
import { loadRankingModel } from '../../src/train/load-ranking-model.js';
import { command } from '../../src/cli/commands/distill.js';
import { UsageError } from '../../src/cli/command.js';

describe('optical distill', () => {
  it.each(['native', 'tfjs'] as const)('distills a cross-encoder teacher into a student folder that loads as the same kind of ranker (%s engine)', async (engine) => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-distill-'));
    const bitext = [
      ['All human beings are born free', 'Watu wote wamezaliwa huru'],
      ['Everyone has the right to life', 'Kila mtu ana haki ya kuishi'],
      ['No one shall be held in slavery', 'Hakuna mtu atakayeshikiliwa utumwani'],
      ['Everyone has the right to education', 'Kila mtu ana haki ya kupata elimu'],
    ];
    writeFileSync(join(dir, 'bitext.tsv'), bitext.map((p) => p.join('\t')).join('\n') + '\n');
    const tokenizer = await createTokenizer(trainWordPiece(bitext.flat(), { vocabSize: 200, minFrequency: 1 }));
    const encoder = await randomEngine({ ...TINY_BERT, hiddenSize: 32, intermediateSize: 64, vocabSize: tokenizer.vocabSize }, { seed: 3, heads: { classifier: true } });
    const teacher = new CrossEncoder(encoder, tokenizer, { maxLength: 32 });
    await teacher.save(join(dir, 'teacher'));
    const code = await command.run(['--teacher', join(dir, 'teacher'), '--bitext', join(dir, 'bitext.tsv'), '--out', join(dir, 'student'), '--steps', '3', '--batch-size', '2', '--engine', engine]);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'student', 'distill-summary.json'), 'utf8')).engine).toBe(engine);
    // The loop's log: one record per step, plus the start and checkpoint events.
    const log = readFileSync(join(dir, 'student', 'distill-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'step');
    expect(log.map((r) => r.step)).toEqual([1, 2, 3]);
    // Defaults: the sentence term beside OT, each term's gradient norm logged at the first step.
    expect(Object.keys(log[0].termGradNorms)).toEqual(['ot', 'sentence']);
    expect(typeof log[0].sentenceLoss).toBe('number');
    const summary = JSON.parse(readFileSync(join(dir, 'student', 'distill-summary.json'), 'utf8'));
    expect(summary.truncation).toEqual({ maxLength: 64, target: 0, english: 0 });
    // A cross-encoder scores query and document together: no separate query encoder is written.
    expect(summary.queryEncoder.model).toBe('student');
    expect(existsSync(join(dir, 'student', 'query-encoder'))).toBe(false);
    expect(existsSync(join(dir, 'student', 'model.safetensors'))).toBe(true);
    const student = await loadRankingModel(join(dir, 'student'), { engine });
    expect(student.kind).toBe('cross-encoder');
    const scores = await student.score(['right to education'], ['haki ya kupata elimu']);
    expect(Number.isFinite(scores[0])).toBe(true);
    // The head is the teacher's; the encoder changed.
    const t = await teacher.engine.getParameters();
    const s = await student.engine.getParameters();
    expect(Array.from(s.get('classifier.weight')!.data)).toEqual(Array.from(t.get('classifier.weight')!.data));
    expect(Array.from(s.get('embeddings.word_embeddings.weight')!.data)).not.toEqual(Array.from(t.get('embeddings.word_embeddings.weight')!.data));
    student.dispose();
    teacher.dispose();
  });

  it('reports missing arguments as usage errors', async () => {
    await expect(command.run(['--teacher', 'x'])).rejects.toThrow(/--bitext is required/);
    await expect(command.run(['--teacher', 'x', '--bitext', 'y', '--out', 'z', '--cost', 'l1'])).rejects.toThrow(/--cost must be/);
  });

  it('checks every numeric option before any work, naming the flag (usage error, exit 2)', async () => {
    // The teacher and bitext do not exist: a check that ran after loading them would fail differently.
    const base = ['--teacher', '/nonexistent/teacher', '--bitext', '/nonexistent/b.tsv', '--out', join(tmpdir(), 'never-written')];
    const cases: Array<[string[], RegExp]> = [
      [['--steps', '0'], /--steps must be in \[1, 1000000000\], got 0/],
      [['--steps', '1.5'], /--steps must be an integer, got 1.5/],
      [['--lr', '0'], /--lr must be a number > 0, got 0/],
      [['--eps', '0'], /--eps must be a number > 0, got 0/],
      [['--batch-size', '0'], /--batch-size must be in \[1, 65536\], got 0/],
      [['--max-length=-3'], /--max-length must be in/],
      [['--max-iter', '0'], /--max-iter must be in/],
      [['--tol=-1'], /--tol must be a number ≥ 0/],
      [['--layer=-5000'], /--layer must be in \[-4097, 4096\]/],
      [['--seed', 'abc'], /--seed must be a number, got 'abc'/],
      [['--ot-backend', 'gpu'], /--ot-backend must be one of auto, cuda, cpu, js/],
      [['--engine', 'gpu'], /--engine must be one of auto, native, tfjs, got 'gpu'/],
      [['--checkpoint-every', '0'], /--checkpoint-every must be in \[1, 1000000000\], got 0/],
      [['--sentence-loss', 'cosine'], /--sentence-loss must be one of none, infonce, mse, got 'cosine'/],
      [['--sentence-weight', '0'], /--sentence-weight must be in \(0, 1000000\], got 0/],
      [['--sentence-temperature', '0'], /--sentence-temperature must be in \(0, 100\], got 0/],
      [['--ot-weight=-1'], /--ot-weight must be in \[0, 1000000\], got -1/],
      [['--query-encoder', 'both'], /--query-encoder must be one of teacher, student, got 'both'/],
      [['--term-grad-norm-every', '1.5'], /--term-grad-norm-every must be an integer, got 1.5/],
    ];
    for (const [args, message] of cases) {
      const run = command.run([...base, ...args]);
      await expect(run, args.join(' ')).rejects.toThrow(UsageError);
      await expect(command.run([...base, ...args]), args.join(' ')).rejects.toThrow(message);
    }
  });

  it('checks --layer against the teacher before reading the bitext', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-distill-layer-'));
    const tokenizer = await createTokenizer(trainWordPiece(['all human beings are born free'], { vocabSize: 60, minFrequency: 1 }));
    const encoder = await randomEngine({ ...TINY_BERT, hiddenSize: 16, intermediateSize: 32, vocabSize: tokenizer.vocabSize }, { seed: 3, heads: { classifier: true } });
    const teacher = new CrossEncoder(encoder, tokenizer, { maxLength: 16 });
    await teacher.save(join(dir, 'teacher'));
    teacher.dispose();
    await expect(command.run(['--teacher', join(dir, 'teacher'), '--bitext', join(dir, 'missing.tsv'), '--out', join(dir, 's'), '--layer', '99']))
      .rejects.toThrow(/--layer must be in 0\.\.2 or -3\.\.-1 \(the teacher has 2 layers\), got 99/);
  });

  it('reads settings from --config (flags win) and names the file and field of a bad value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'optical-distill-cfg-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ eps: 0.1, batchSize: 0 }));
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ epsilon: 0.1 }));
    const base = ['--teacher', '/nonexistent/teacher', '--bitext', '/nonexistent/b.tsv', '--out', join(dir, 'o')];
    await expect(command.run([...base, '--config', join(dir, 'bad.json')])).rejects.toThrow(/bad\.json: options\.batchSize must be in \[1, 65536\], got 0/);
    await expect(command.run([...base, '--config', join(dir, 'typo.json')])).rejects.toThrow(/typo\.json: options: unknown field 'epsilon' \(allowed: steps, batchSize/);
  });
});
