// The eval, compare-runs and bm25 commands, run through their run() functions on real files
// (UDHR EN→sw), plus one smoke test of the compiled CLI when dist/ has been built.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { command as evalCommand } from '../../src/cli/commands/eval.js';
import { command as compareCommand } from '../../src/cli/commands/compare-runs.js';
import { command as bm25Command } from '../../src/cli/commands/bm25.js';
import { UsageError } from '../../src/cli/command.js';
import { buildUdhrClirSet } from './helpers/udhr-clir.js';
import { enSwLexicon, freedictAvailable } from './helpers/en-sw-lexicon.js';
import { writeCollectionFile } from '../../src/ir/formats/collection.js';
import { writeTopicsFile } from '../../src/ir/formats/topics.js';
import { writeQrelsFile } from '../../src/ir/formats/qrels.js';
import { QRELS_B, RUN_B, EXPECTED_B_COMPLETE } from './fixtures/trec-eval-fixtures.js';

let dir: string;
const p = (name: string) => join(dir, name);

async function capture(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await run(), out };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'optical-ir-cli-'));
  writeFileSync(p('b.qrels'), QRELS_B);
  writeFileSync(p('b.trec'), RUN_B);
  const set = buildUdhrClirSet('eng', 'en', 'swh', 'sw');
  await writeCollectionFile(p('sw.jsonl'), set.docs);
  await writeTopicsFile(p('en.tsv'), set.topics);
  await writeQrelsFile(p('udhr.qrels'), set.qrels);
  const lines: string[] = [];
  for (const [en, senses] of enSwLexicon().lexicon) for (const s of senses) lines.push(`${en}\t${s.term}\t${s.weight}`);
  writeFileSync(p('en-sw.tsv'), `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('optical eval', () => {
  it('prints a trec_eval-like table with trec_eval names', async () => {
    const { code, out } = await capture(() => evalCommand.run(['--qrels', p('b.qrels'), '--run', p('b.trec'), '--measures', 'AP,nDCG@10,RR@10', '--complete']));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe(`${'num_q'.padEnd(22)}\tall\t5`);
    expect(lines[1]).toBe(`${'map'.padEnd(22)}\tall\t${EXPECTED_B_COMPLETE.all.map.toFixed(4)}`);
    expect(lines[2]).toBe(`${'ndcg_cut_10'.padEnd(22)}\tall\t${EXPECTED_B_COMPLETE.all.ndcg_cut_10.toFixed(4)}`);
    expect(lines[3]).toMatch(/^RR@10\s+\tall\t0\.3000$/);
  });
  it('prints JSON keyed by ir_measures names, with per-query values', async () => {
    const { out } = await capture(() => evalCommand.run(['--qrels', p('b.qrels'), '--run', p('b.trec'), '--measures', 'AP,nDCG@10', '--per-query', '--format', 'json']));
    const json = JSON.parse(out) as { mean: Record<string, number>; perQuery: Record<string, Record<string, number>> };
    expect(Object.keys(json.perQuery)).toEqual(['q1', 'q10', 'q2', 'q3']);
    expect(json.mean.AP).toBe(0.3224206349206349);
    expect(json.perQuery.q1['nDCG@10']).toBeCloseTo(EXPECTED_B_COMPLETE.q1.ndcg_cut_10, 15);
  });
  it('prints CSV and reports usage errors', async () => {
    const { out } = await capture(() => evalCommand.run(['--qrels', p('b.qrels'), '--run', p('b.trec'), '--measures', 'P@5', '--format', 'csv', '--per-query']));
    expect(out.split('\n')[0]).toBe('qid,measure,value');
    expect(out).toContain('all,P@5,0.2');
    await expect(evalCommand.run(['--run', p('b.trec')])).rejects.toThrow(UsageError);
    await expect(evalCommand.run(['--qrels', p('b.qrels'), '--run', p('b.trec'), '--measures', 'XYZ'])).rejects.toThrow(/--measures: unknown measure/);
    await expect(evalCommand.run(['--qrels', p('b.qrels'), '--run', p('b.trec'), '--format', 'xml'])).rejects.toThrow(/--format/);
  });
});

describe('optical bm25 + eval + compare-runs on UDHR EN→sw', () => {
  it('writes runs whose translated version beats the untranslated one significantly', async () => {
    expect((await capture(() => bm25Command.run(['--collection', p('sw.jsonl'), '--topics', p('en.tsv'), '--out', p('plain.trec'), '--depth', '100']))).code).toBe(0);
    expect((await capture(() => bm25Command.run(['--collection', p('sw.jsonl'), '--topics', p('en.tsv'), '--out', p('lexicon.trec'), '--lexicon', p('en-sw.tsv'), '--depth', '100']))).code).toBe(0);
    expect(readFileSync(p('lexicon.trec'), 'utf8').split('\n')[0]).toMatch(/^a\d+ Q0 sw-\S+ 1 [\d.e-]+ bm25$/);
    const plain = JSON.parse((await capture(() => evalCommand.run(['--qrels', p('udhr.qrels'), '--run', p('plain.trec'), '--measures', 'RR@10', '--complete', '--format', 'json']))).out);
    const lex = JSON.parse((await capture(() => evalCommand.run(['--qrels', p('udhr.qrels'), '--run', p('lexicon.trec'), '--measures', 'RR@10', '--complete', '--format', 'json']))).out);
    expect(plain.mean['RR@10']).toBeLessThan(0.1);
    // The weak CLDR fallback (no FreeDict installed) cannot show a large gain; see udhr-bm25-clir.test.ts.
    const strong = freedictAvailable();
    if (strong) expect(lex.mean['RR@10']).toBeGreaterThan(plain.mean['RR@10'] + 0.25);

    const { code, out } = await capture(() => compareCommand.run(['--qrels', p('udhr.qrels'), '--baseline', p('plain.trec'), p('lexicon.trec'), '--measures', 'RR@10,nDCG@10', '--complete', '--svg', p('chart.svg'), '--bootstrap', '1000']));
    expect(code).toBe(0);
    expect(out).toContain('| plain (baseline) |');
    expect(out).toMatch(strong ? /\| lexicon \| \d\.\d{4} \(\+\d\.\d{4}\)† \|/ : /\| lexicon \| \d\.\d{4} \([+-]\d\.\d{4}\)†? \|/);
    const svg = readFileSync(p('chart.svg'), 'utf8');
    expect(svg.match(/aria-roledescription="bar"/g)).toHaveLength(4);
    // The chart's Vega-Lite spec is written next to it.
    expect(JSON.parse(readFileSync(p('chart.vl.json'), 'utf8')).data.values).toHaveLength(4);
    const csv = (await capture(() => compareCommand.run(['--qrels', p('udhr.qrels'), '--baseline', p('plain.trec'), '--run', p('lexicon.trec'), '--measures', 'RR@10', '--complete', '--format', 'csv', '--bootstrap', '200']))).out;
    expect(csv.trim().split('\n')).toHaveLength(3);
  });
  it('rejects bad options with usage errors', async () => {
    await expect(bm25Command.run(['--collection', p('sw.jsonl'), '--topics', p('en.tsv')])).rejects.toThrow('--out is required');
    await expect(bm25Command.run(['--collection', p('sw.jsonl'), '--topics', p('en.tsv'), '--out', p('x.trec'), '--senses', 'some'])).rejects.toThrow(/--senses/);
    await expect(compareCommand.run(['--qrels', p('udhr.qrels'), '--baseline', p('plain.trec')])).rejects.toThrow(/at least one run/);
    await expect(compareCommand.run(['--qrels', p('udhr.qrels'), '--baseline', p('plain.trec'), p('lexicon.trec'), '--test', 'wilcoxon'])).rejects.toThrow(/--test/);
  });
});

const mainJs = resolve('dist/src/cli/main.js');
describe.runIf(existsSync(resolve('dist/src/cli/commands/eval.js')))('compiled CLI smoke test', () => {
  it('node dist/src/cli/main.js eval prints the mean AP', () => {
    const r = spawnSync(process.execPath, [mainJs, 'eval', '--qrels', p('b.qrels'), '--run', p('b.trec'), '--measures', 'AP', '--complete'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`map                   \tall\t${EXPECTED_B_COMPLETE.all.map.toFixed(4)}`);
    const bad = spawnSync(process.execPath, [mainJs, 'eval', '--run', p('b.trec')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--qrels is required');
  });
});
