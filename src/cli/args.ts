/** Small, strict argument parser shared by all commands (node:util parseArgs with usage errors). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export type ParsedArgs<T extends OptionSpec> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>>;

/**
 * `--layer -1` → `--layer=-1` for string options: parseArgs refuses a value that starts with a dash
 * as ambiguous, but a negative number after an option that takes a value can only be that value.
 */
function joinNegativeNumbers(argv: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : null;
    if (name !== null && options[name]?.type === 'string' && i + 1 < argv.length && /^-(\d|\.\d)/.test(argv[i + 1])) {
      out.push(`${argv[i]}=${argv[++i]}`);
    } else out.push(argv[i]);
  }
  return out;
}

export function parseCommandArgs<T extends OptionSpec>(argv: string[], options: T, allowPositionals = false): ParsedArgs<T> {
  try {
    return parseArgs({ args: joinNegativeNumbers(argv, options), options, strict: true, allowPositionals }) as ParsedArgs<T>;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Parses a numeric option; throws a UsageError naming the option when it is not a finite number. */
export function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${value}'`);
  return n;
}

/** Comma-separated list option. */
export function listOption(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
