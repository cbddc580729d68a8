/**
 * `optical config schema [--kind K]`: the JSON Schema of a config file, for editors (completion,
 * hover docs, errors while typing). Every config kind is declared once as a zod schema
 * (src/config/schema.ts); a new kind is one line in CONFIG_KINDS.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { configJsonSchema, type ConfigKind } from '../../config/schema.js';
import type { z } from 'zod';

/** Config kinds, loaded lazily (distill's module loads tfjs). */
export const CONFIG_KINDS: Record<string, { file: string; load: () => Promise<ConfigKind<z.ZodType>> }> = {
  compare: { file: 'optical compare --config FILE', load: async () => (await import('../../compare/config.js')).COMPARE_CONFIG },
  teacher: { file: 'optical train-teacher --config FILE', load: async () => (await import('../../train/teacher-config.js')).TEACHER_CONFIG },
  distill: { file: 'optical distill --config FILE', load: async () => (await import('../../train/distill.js')).DISTILL_CONFIG },
  pretrain: { file: 'optical pretrain --config FILE', load: async () => (await import('../../train/pretrain/config.js')).PRETRAIN_CONFIG },
};

const usage = `usage: optical config schema [--kind ${Object.keys(CONFIG_KINDS).join('|')}] [--out FILE]

Prints (or writes) the JSON Schema of a config file, so editors complete and check it:
${Object.entries(CONFIG_KINDS).map(([k, v]) => `  ${k.padEnd(9)} ${v.file}`).join('\n')}
Point a config at it with "$schema": "./compare.schema.json" (VS Code), or map the schema to
your config files in the editor's settings. Default kind: compare.`;

export const command: Command = {
  name: 'config',
  summary: 'JSON Schema of the config files (compare, teacher, distill) for editors',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { kind: { type: 'string', default: 'compare' }, out: { type: 'string' } }, true);
    if (positionals[0] !== 'schema') throw new UsageError(positionals[0] ? `unknown sub-command '${positionals[0]}' (schema)` : 'missing sub-command (schema)');
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
    const entry = CONFIG_KINDS[values.kind ?? 'compare'];
    if (!entry) throw new UsageError(`--kind must be one of ${Object.keys(CONFIG_KINDS).join(', ')}, got '${values.kind}'`);
    const text = JSON.stringify(configJsonSchema(await entry.load()), null, 2) + '\n';
    if (values.out) {
      writeFileSync(values.out, text);
      console.error(`wrote ${values.out}`);
    } else process.stdout.write(text);
    return 0;
  },
};
