import { describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020Module from 'ajv/dist/2020.js';
import { command, CONFIG_KINDS } from '../../src/cli/commands/config.js';
import { UsageError } from '../../src/cli/command.js';
import { shippedConfigDir } from '../../src/compare/config-file.js';

// ajv is CommonJS: its class is the default export's `default` under NodeNext resolution.
const Ajv2020 = Ajv2020Module.default;

async function schemaOf(kind: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'optical-schema-'));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await command.run(['schema', '--kind', kind, '--out', join(dir, `${kind}.json`)])).toBe(0);
  } finally {
    err.mockRestore();
  }
  return JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8'));
}

describe('optical config schema', () => {
  it('exports a JSON Schema for every config kind', async () => {
    for (const kind of Object.keys(CONFIG_KINDS)) {
      const schema = await schemaOf(kind);
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.title).toMatch(/optical/);
    }
  });

  it('the compare schema accepts every shipped config and flags what the validator flags', async () => {
    const validate = new Ajv2020({ strict: false }).compile(await schemaOf('compare'));
    for (const f of readdirSync(shippedConfigDir()).filter((x) => x.endsWith('.json'))) {
      const raw = JSON.parse(readFileSync(join(shippedConfigDir(), f), 'utf8'));
      expect(validate(raw), `${f}: ${JSON.stringify(validate.errors)}`).toBe(true);
      // An editor may point the file at the schema.
      expect(validate({ ...raw, $schema: './compare.schema.json' })).toBe(true);
    }
    const base = { name: 'x', languages: ['sw'], methods: [{ name: 'a', kind: 'cs-finetune', p: 0.5 }], seeds: [1] };
    expect(validate(base)).toBe(true);
    expect(validate({ ...base, methods: [{ name: 'a', kind: 'cs-finetune', p: 1.5 }] })).toBe(false);
    expect(validate({ ...base, methods: [{ name: 'a', kind: 'zero-shot', p: 0.5 }] })).toBe(false);
    expect(validate({ ...base, methods: [{ name: 'a', kind: 'magic' }] })).toBe(false);
    expect(validate({ ...base, seed: 1 })).toBe(false);
  });

  it('the teacher and distill schemas accept good files and reject typos', async () => {
    const teacher = new Ajv2020({ strict: false }).compile(await schemaOf('teacher'));
    expect(teacher({ kind: 'bi-encoder', train: ['a.tsv'], output: 'run', model: { hiddenSize: 64 }, steps: 10 })).toBe(true);
    expect(teacher({ train: 'a.tsv', output: 'run', stpes: 3 })).toBe(false);
    const distill = new Ajv2020({ strict: false }).compile(await schemaOf('distill'));
    expect(distill({ steps: 100, eps: 0.1, kind: 'cosine' })).toBe(true);
    expect(distill({ epsilon: 0.1 })).toBe(false);
    expect(distill({ eps: 0 })).toBe(false);
  });

  it('names a bad kind as a usage error', async () => {
    await expect(command.run(['schema', '--kind', 'pretrain-x'])).rejects.toThrow(UsageError);
    await expect(command.run(['schema', '--kind', 'pretrain-x'])).rejects.toThrow(/--kind must be one of compare, teacher, distill/);
    await expect(command.run([])).rejects.toThrow(/missing sub-command/);
  });
});
