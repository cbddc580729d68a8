import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { command } from '../../src/cli/commands/align.js';

afterEach(() => vi.restoreAllMocks());

async function run(argv: string[]): Promise<string> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { lines.push(a.join(' ')); });
  expect(await command.run(argv)).toBe(0);
  return lines.join('\n');
}

describe('optical align', () => {
  it('aligns UDHR article 1 EN ↔ sw with Sinkhorn and prints converged, strongest-first alignments', async () => {
    const out = await run(['--lang', 'sw', '--top', '10']);
    expect(out).toMatch(/English \(30 words\) ↔ Swahili \[swh\] \(19 words\)/);
    expect(out).toMatch(/converged/);
    const rows = out.split('\n').filter((l) => /^\s*\d\.\d{3}\s.* → /.test(l));
    expect(rows).toHaveLength(10);
    const strengths = rows.map((l) => Number(l.trim().split(/\s+/)[0]));
    for (let i = 1; i < strengths.length; i++) expect(strengths[i]).toBeLessThanOrEqual(strengths[i - 1]);
    if (existsSync('/usr/share/dictd/freedict-eng-swh.index')) {
      // With the dictionary, lexicon pairs of this paragraph align with all of their mass.
      expect(out).toMatch(/1\.000\s+yes\s+free → huru/);
      expect(out).toMatch(/1\.000\s+yes\s+equal → sawa/);
    }
  });

  it('rejects a paragraph that does not exist', async () => {
    await expect(command.run(['--lang', 'sw', '--article', '99'])).rejects.toThrow(/article 99 paragraph 0 is missing/);
  });
});
