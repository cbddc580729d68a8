// Things a first-time user runs into: --version, `help <command>`, what `codeswitch --p 0` marks as
// switched, a warning for a bm25 run that cannot match, eval's hint naming the CLI option, and
// negative `--layer` values. The process-level ones run src/cli/main.ts as a real child process.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatOpticalVersion, opticalVersion } from '../../src/data/provenance.js';
import { command as evalCommand } from '../../src/cli/commands/eval.js';
import { command as bm25Command } from '../../src/cli/commands/bm25.js';
import { command as codeswitchCommand } from '../../src/cli/commands/codeswitch.js';
import { parseCommandArgs } from '../../src/cli/args.js';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { distill } from '../../src/train/distill.js';

const runner = resolve('test/helpers/run-ts.mjs');
const main = resolve('src/cli/main.ts');
let dir: string;
const p = (name: string) => join(dir, name);

function optical(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [runner, main, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function captured(run: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { stdout += String(c); return true; });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => { stderr += String(c); return true; });
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { stdout += `${a.join(' ')}\n`; });
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { stderr += `${a.join(' ')}\n`; });
  try {
    return { code: await run(), stdout, stderr };
  } finally {
    for (const s of [out, err, log, error]) s.mockRestore();
  }
}

beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'optical-newcomer-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('optical (the command)', () => {
  it('--version prints the version and commit', () => {
    const r = optical('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(formatOpticalVersion(opticalVersion()));
    expect(r.stdout).toMatch(/^optical \d+\.\d+\.\d+ \(/);
  });

  it('help <command> prints that command\'s usage, an unknown one exits 2', () => {
    const r = optical('help', 'eval');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(evalCommand.usage);
    const bad = optical('help', 'nosuch');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown command 'nosuch'/);
  });
});

describe('codeswitch', () => {
  it('--p 0 replaces nothing, so no example is marked switched', async () => {
    writeFileSync(p('lex.tsv'), 'water\tmaji\t1\nright\thaki\t1\n');
    writeFileSync(p('in.txt'), 'clean water for all\nthe right to water\n');
    const r = await captured(() => codeswitchCommand.run(['--in', p('in.txt'), '--lexicon', `sw=${p('lex.tsv')}`, '--p', '0', '--out', p('cs0.jsonl')]));
    expect(r.code).toBe(0);
    const recs = readFileSync(p('cs0.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(recs.map((x) => [x.switched, x.replacements.length, x.tgtLang])).toEqual([[false, 0, 'en'], [false, 0, 'en']]);
    expect(r.stdout).toMatch(/selected_examples\t2\nswitched_examples\t0/);
    const all = await captured(() => codeswitchCommand.run(['--in', p('in.txt'), '--lexicon', `sw=${p('lex.tsv')}`, '--p', '1', '--out', p('cs1.jsonl')]));
    expect(all.stdout).toMatch(/selected_examples\t2\nswitched_examples\t2/);
    expect(readFileSync(p('cs1.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).switched)).toEqual([true, true]);
  });
});

describe('bm25 and eval hints', () => {
  beforeAll(() => {
    writeFileSync(p('sw.jsonl'), '{"docno":"d1","text":"maji safi kwa wote","lang":"sw"}\n{"docno":"d2","text":"haki ya elimu","lang":"sw"}\n');
    writeFileSync(p('en.tsv'), 'q1\tclean water\ten\nq2\tright to education\ten\n');
  });

  it('untranslated queries: a warning, and for an empty run a second one', async () => {
    const r = await captured(() => bm25Command.run(['--collection', p('sw.jsonl'), '--topics', p('en.tsv'), '--out', p('plain.trec')]));
    expect(r.code).toBe(0);
    expect(readFileSync(p('plain.trec'), 'utf8')).toBe('');
    expect(r.stderr).toContain("bm25: warning: the topics are 'en' and the documents 'sw', and without --lexicon the queries are not translated");
    expect(r.stderr).toContain('bm25: warning: no topic retrieved any document: the run is empty');
    writeFileSync(p('en-sw.tsv'), 'water\tmaji\t1\n');
    const some = await captured(() => bm25Command.run(['--collection', p('sw.jsonl'), '--topics', p('en.tsv'), '--out', p('lex.trec'), '--lexicon', p('en-sw.tsv'), '--drop-untranslated']));
    expect(some.stderr).toContain('bm25: warning: 1 of 2 topics retrieved no document (with --drop-untranslated a query keeps only words the lexicon translates)');
    expect(some.stderr).not.toContain('not translated');
  });

  it('eval with no common query names --complete, not the library option', async () => {
    writeFileSync(p('a.qrels'), 'q1 0 d1 1\n');
    writeFileSync(p('b.trec'), 'x9 Q0 d1 1 1 t\n');
    const r = await captured(() => evalCommand.run(['--qrels', p('a.qrels'), '--run', p('b.trec')]));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("optical eval: no query is in both the qrels and the run (qrels: 'q1'…; run: 'x9'…)");
    expect(r.stderr).toContain('--complete scores every qrels query, missing ones as 0');
    expect(r.stderr).not.toContain('complete: true');
    expect((await captured(() => evalCommand.run(['--qrels', p('a.qrels'), '--run', p('b.trec'), '--complete']))).code).toBe(0);
  });
});

describe('--layer -1 (README: -1 = last, as in compare configs)', () => {
  it('the CLI parser takes a negative number as an option value', () => {
    expect(parseCommandArgs(['--layer', '-1', '--eps', '-.5'], { layer: { type: 'string' }, eps: { type: 'string' } }).values).toEqual({ layer: '-1', eps: '-.5' });
  });

  it('distill: layer -1 is the last layer, -(L+1) the embeddings', async () => {
    const tokenizer = new TextTokenizer(trainWordPiece(['clean water', 'maji safi'], { vocabSize: 40, minFrequency: 1 }));
    const config = { ...TINY_BERT, vocabSize: tokenizer.vocabSize, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 };
    const teacher = await randomEngine(config, { seed: 1 });
    const run = async (layer: number) => {
      const r = await distill({ teacher, tokenizer, bitext: [{ src: 'clean water', tgt: 'maji safi' }], layer, steps: 1, seed: 3, maxLength: 8 });
      r.student.dispose();
      return r.log[0].loss;
    };
    expect(await run(-1)).toBe(await run(2));
    expect(await run(-3)).toBe(await run(0));
    await expect(run(-4)).rejects.toThrow('distill: options.layer must be an integer in 0..2 (or -3..-1 counting from the end, -1 = last; the teacher has 2 layers), got -4');
    teacher.dispose();
  });
});
