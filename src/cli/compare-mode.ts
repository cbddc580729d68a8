/**
 * In-process or on a queue: the options that `compare` and the commands built on it (sweeps,
 * domain-shift) share to run a compare's units on `optical worker` processes through Redis.
 */
import { UsageError } from './command.js';
import { numberOption } from './args.js';
import type { CompareConfig } from '../compare/config.js';
import { runCompare, type CompareRunResult, type FailedUnit } from '../compare/run-compare.js';
import { runCompareOnQueue } from '../compare/queue/enqueue.js';
import { checkQueueName, checkQueueUrl, QueueUrlError } from '../compare/queue/connection.js';
import type { Progress } from '../data/progress.js';
import { DENSE_BATCH_SIZE } from '../compare/dense-retrieval.js';
import { DEFAULT_SHARD_SIZE } from '../compare/dense-shards.js';
import { engineChoice, engineUsage } from './engine-option.js';
import type { EngineChoice } from '../models/engine/types.js';

export const queueOptionSpec = {
  queue: { type: 'string' },
  'queue-name': { type: 'string' },
  attempts: { type: 'string' },
  'shard-size': { type: 'string' },
  engine: { type: 'string' },
} as const;

export const queueOptionUsage = `  --queue       redis://HOST:PORT[/DB]: put the units on that Redis (BullMQ) for 'optical worker'
                processes on any number of machines, wait for them and the report; --out must be
                a folder every worker mounts (give each worker its own path to it as --out)
  --queue-name  BullMQ queue name (default optical; workers must use the same)
  --attempts    tries per unit on the queue before it is reported failed (default 3)
  --shard-size  documents per encoding shard of a collection, a multiple of ${DENSE_BATCH_SIZE} (default ${DEFAULT_SHARD_SIZE};
                results do not depend on it)
${engineUsage('  --engine      ', '                ')}; with --queue each worker's own --engine decides`;

export interface QueueValues {
  queue?: string;
  queueName?: string;
  attempts?: number;
  shardSize?: number;
  engine?: EngineChoice;
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = numberOption(name, value, 0);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** Checks the queue options (usage errors, exit 2) before any work starts. */
export function parseQueueValues(values: { queue?: string; 'queue-name'?: string; attempts?: string; 'shard-size'?: string; engine?: string }): QueueValues {
  const out: QueueValues = { attempts: positiveInteger('attempts', values.attempts), shardSize: positiveInteger('shard-size', values['shard-size']), engine: engineChoice(values.engine) };
  if (out.shardSize !== undefined && out.shardSize % DENSE_BATCH_SIZE !== 0) throw new UsageError(`--shard-size must be a multiple of the encoding batch size ${DENSE_BATCH_SIZE}, got ${out.shardSize}`);
  try {
    if (values.queue !== undefined) out.queue = checkQueueUrl(values.queue);
    if (values['queue-name'] !== undefined) out.queueName = checkQueueName(values['queue-name']);
  } catch (err) {
    if (err instanceof QueueUrlError) throw new UsageError(err.message);
    throw err;
  }
  if (out.queue === undefined && (out.queueName !== undefined || out.attempts !== undefined)) {
    throw new UsageError(`--${out.queueName !== undefined ? 'queue-name' : 'attempts'} applies only with --queue`);
  }
  // The engine is a property of the machine that computes: on a queue, each worker chooses its own.
  if (out.queue !== undefined && out.engine !== undefined) throw new UsageError("--engine applies to in-process runs; with --queue give it to each 'optical worker'");
  return out;
}

/** Runs the compare here, or through the queue when --queue is given (waiting for the report either way). */
export async function runCompareMode(config: CompareConfig, q: QueueValues, options: { outRoot: string; progress: Progress }): Promise<CompareRunResult & { failed: FailedUnit[] }> {
  if (q.queue === undefined) return { ...(await runCompare(config, { outRoot: options.outRoot, progress: options.progress, shardSize: q.shardSize, engine: q.engine })), failed: [] };
  return runCompareOnQueue(config, { queueUrl: q.queue, queueName: q.queueName, attempts: q.attempts, shardSize: q.shardSize, outRoot: options.outRoot, progress: options.progress });
}

/** Prints units that failed for good; returns the exit code (1 when any failed). */
export function reportFailures(failed: readonly FailedUnit[]): number {
  if (failed.length === 0) return 0;
  console.error(`\n${failed.length} unit(s) failed (the report covers the finished ones; run the same command again to retry them):`);
  for (const f of failed) console.error(`  ${f.unit}: ${f.error}`);
  return 1;
}
