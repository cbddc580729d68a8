/**
 * `--engine native|tfjs|auto`, shared by every command that runs a model (train-teacher, distill,
 * compare and the commands built on it, the queue worker): the value is checked before any work
 * (a usage error, exit 2) and resolved once — native by default when the CPU addon loads, tfjs
 * otherwise, said once on stderr (src/models/engine/choose.ts). Without the flag OPTICAL_ENGINE decides.
 */
import { UsageError } from './command.js';
import { resolveEngine } from '../models/engine/choose.js';
import type { EngineChoice, EngineName } from '../models/engine/types.js';

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'native', 'tfjs'];

/** Usage lines of --engine, with the given prefix (flag column) and continuation indent. */
export function engineUsage(prefix: string, indent: string): string {
  return `${prefix}engine that runs the model: native (C++ addon, the default when it loads),\n${indent}tfjs (reference, slow) or auto (default: $OPTICAL_ENGINE, else auto)`;
}

/** Checks a raw --engine value (usage error naming the flag); undefined = not given. */
export function engineChoice(value: string | undefined): EngineChoice | undefined {
  if (value === undefined) return undefined;
  if (!(ENGINE_CHOICES as readonly string[]).includes(value)) throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, got '${value}'`);
  return value as EngineChoice;
}

/** The engine a command runs on: --engine, else OPTICAL_ENGINE, else auto (throws when native is asked for and cannot load). */
export function engineOption(value: string | undefined): EngineName {
  const choice = engineChoice(value);
  try {
    return resolveEngine(choice);
  } catch (err) {
    if (err instanceof RangeError && choice === undefined) throw new UsageError(err.message);
    throw err;
  }
}
