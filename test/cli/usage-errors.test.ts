/**
 * Options are checked before any work and reported as usage errors (main prints the message and
 * the usage, exit code 2), naming the option; values that cannot be meant are refused instead of
 * silently used. The files named here do not exist: a check that ran after reading them would
 * fail with a different error.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/command.js';
import { commands } from '../../src/cli/commands/index.js';

const missing = '/nonexistent/optical-input';
const dir = mkdtempSync(join(tmpdir(), 'optical-usage-'));
const badConfig = join(dir, 'exp.json');
writeFileSync(badConfig, JSON.stringify({ name: 'x', languages: ['sw'], methods: [{ name: 'cs', kind: 'cs-finetune', p: 1.5 }], seeds: [1] }));

const cases: Array<[string, string[], RegExp]> = [
  ['compare', ['--config', badConfig], /exp\.json: methods\[0\]\.p must be in \[0, 1\], got 1\.5/],
  ['domain-shift', ['--config', badConfig], /methods\[0\]\.p must be in \[0, 1\]/],
  ['cs-sweep', ['--config', badConfig], /methods\[0\]\.p must be in \[0, 1\]/],
  ['bm25', ['--collection', missing, '--topics', missing, '--out', missing, '--b', '5'], /--b must be in \[0, 1\], got '5'/],
  ['bm25', ['--collection', missing, '--topics', missing, '--out', missing, '--k1=-1'], /--k1 must be in \[0, 1000\]/],
  ['bm25', ['--collection', missing, '--topics', missing, '--out', missing, '--doc-lang', 'xx'], /--doc-lang 'xx' is not a language code/],
  ['lexicon', ['build', '--lang', 'sw', '--from', 'cldr', '--out', missing, '--top-k', '0'], /--top-k must be in \[1, 1000000\], got '0'/],
  ['lexicon', ['build', '--from', 'cldr', '--out', missing], /--lang CODE is required/],
  ['data', ['cldr', '--lang', 'sw'], /--out DIR is required/],
  ['data', ['sotu', '--out', missing, '--from-year', '2005', '--to-year', '2000'], /--from-year 2005 is after --to-year 2000/],
  ['data', ['udhr', '--out', missing, '--seed', '1.5'], /--seed must be an integer, got '1.5'/],
  ['data', ['udhr', '--out', missing, '--lang', 'xx'], /--lang 'xx' is not a language code/],
  ['codeswitch', ['--in', missing, '--lexicon', missing, '--out', missing, '--seed', 'abc'], /--seed must be a number, got 'abc'/],
  ['codeswitch', ['--in', missing, '--lexicon', missing, '--out', missing, '--seed', '1.5'], /--seed must be an integer, got '1.5'/],
  ['codeswitch', ['--in', missing, '--lexicon', missing, '--out', missing, '--seed', '1e400'], /--seed must be a number, got '1e400'/],
  ['codeswitch', ['--in', missing, '--lexicon', missing, '--out', missing, '--seed', '4294967296'], /--seed must be in \[0, 4294967295\]/],
  ['align', ['--top=-1'], /--top must be in \[1, 1000000\], got '-1'/],
  ['align', ['--eps', '0'], /--eps must be in \(0, 1000000\]/],
  ['compare-runs', ['--qrels', missing, '--baseline', missing, missing, '--permutations', '1e12'], /--permutations must be in \[1, 1000000\], got '1e12'/],
  ['compare-runs', ['--qrels', missing, '--baseline', missing, missing, '--bootstrap', '1e12'], /--bootstrap must be in \[1, 1000000\], got '1e12'/],
  ['bench', ['sinkhorn', '--sizes', '1x1000000x1000000'], /--sizes: size '1x1000000x1000000': B·N·M \(cost and plan entries\) = 1000000000000 floats/],
  ['bench', ['train', '--geometries', 'huge'], /--geometries: unknown geometry 'huge'/],
  ['bench', ['train', '--threads', '0'], /--threads must be in \[1, 1024\], got '0'/],
  // --engine is checked before the config file is read (the config here is missing).
  ...(['compare', 'domain-shift', 'cs-sweep', 'mix-sweep', 'demo'] as const).map((name): [string, string[], RegExp] => [name, ['--config', missing, '--engine', 'gpu'], /--engine must be one of auto, native, tfjs, got 'gpu'/]),
  ['train-teacher', ['--config', badConfig, '--engine', 'cuda'], /--engine must be one of auto, native, tfjs, got 'cuda'/],
  ['distill', ['--teacher', missing, '--bitext', missing, '--out', missing, '--engine', 'cuda'], /--engine must be one of auto, native, tfjs, got 'cuda'/],
];

describe('usage errors: checked before work, named, exit code 2', () => {
  for (const [name, argv, message] of cases) {
    it(`optical ${name} ${argv.filter((a) => a !== missing && a !== badConfig).join(' ')}`, async () => {
      const cmd = await commands[name]();
      const run = cmd.run(argv);
      await expect(run).rejects.toThrow(message);
      await expect(cmd.run(argv)).rejects.toBeInstanceOf(UsageError);
    });
  }
});
