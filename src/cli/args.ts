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

/**
 * Parses a numeric option that must lie in a range (and be an integer when `int`); throws a
 * UsageError naming the option otherwise. Open bounds: `gt`/`lt`.
 */
export function rangeOption(name: string, value: string | undefined, fallback: number, r: { min?: number; max?: number; gt?: number; lt?: number; int?: boolean; why?: string }): number {
  if (value === undefined) return fallback;
  const n = numberOption(name, value, fallback);
  if (r.int && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  const lo = r.min ?? r.gt;
  const hi = r.max ?? r.lt;
  const ok = (r.min === undefined || n >= r.min) && (r.gt === undefined || n > r.gt) && (r.max === undefined || n <= r.max) && (r.lt === undefined || n < r.lt);
  if (!ok) {
    const range = lo !== undefined && hi !== undefined
      ? `in ${r.gt !== undefined ? '(' : '['}${lo}, ${hi}${r.lt !== undefined ? ')' : ']'}`
      : lo !== undefined ? `${r.gt !== undefined ? '>' : '≥'} ${lo}` : `${r.lt !== undefined ? '<' : '≤'} ${hi}`;
    throw new UsageError(`--${name} must be ${range}, got '${value}'${r.why ? ` (${r.why})` : ''}`);
  }
  return n;
}

/** A seed option: an integer in [0, 2^32) (the generator's seed width). */
export function seedOption(value: string | undefined, fallback: number, name = 'seed'): number {
  return rangeOption(name, value, fallback, { min: 0, max: 0xffffffff, int: true });
}

/**
 * Runs a check of user input (a config file, a derived config) before any work and reports its
 * TypeError/RangeError as a usage error (exit code 2) with the same message.
 */
export function asUsageError<T>(check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

/** Comma-separated list option. */
export function listOption(value: string | undefined, fallback: string[]): string[] {
  if (value === undefined) return fallback;
  return value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}
