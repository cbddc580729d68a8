/**
 * `optical worker --queue redis://HOST:PORT --out /shared/runs`: computes the units of queued
 * compares (see `optical compare --queue`), one process per device.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberOption, parseCommandArgs } from '../args.js';
import { engineChoice, engineUsage } from '../engine-option.js';
import { startWorker } from '../../compare/queue/worker.js';
import { checkQueueName, checkQueueUrl, QueueUrlError } from '../../compare/queue/connection.js';
import { RunViewError } from '../../compare/run-folder.js';

const usage = `usage: optical worker --queue redis://HOST:PORT[/DB] --out <shared folder> [--concurrency 1]
                      [--engine native|tfjs|auto] [--queue-name optical] [--lock-seconds 60] [--idle-exit S]

Takes units of queued compares (teacher, method × seed × fold, encoding shards, the report) and
writes them into the run folders under --out, which must be the same storage the compare writes to
(a shared filesystem; each machine gives its own path to it). Before working on a run it checks
that it sees the compare's config and builds the same data; otherwise it puts the job back and
stops with exit code 2. Start one worker per GPU (or per machine on CPUs).

  --queue         Redis URL (the same as the compare's --queue)
  --out           the shared folder that holds the run folders
  --concurrency   jobs this process runs at once (default 1)
${engineUsage('  --engine        ', '                  ')}
  --queue-name    BullMQ queue name (default optical)
  --lock-seconds  BullMQ job lock; a killed worker's unit moves to another worker after about this
                  long (default 60)
  --idle-exit     stop after this many seconds without a job (for batch schedulers)

Ctrl-C (SIGINT/SIGTERM) stops after the running job; a second Ctrl-C stops at once (the unit goes
back to the queue and resumes from its last checkpoint on another worker).`;

function positive(name: string, value: string | undefined, fallback: number | undefined, integer: boolean): number | undefined {
  if (value === undefined) return fallback;
  const n = numberOption(name, value, 0);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got '${value}'`);
  return n;
}

export const command: Command = {
  name: 'worker',
  summary: 'compute units of queued compares (Redis + BullMQ), one process per device',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      queue: { type: 'string' }, out: { type: 'string' }, concurrency: { type: 'string' }, engine: { type: 'string' },
      'queue-name': { type: 'string' }, 'lock-seconds': { type: 'string' }, 'idle-exit': { type: 'string' },
    });
    if (!values.queue) throw new UsageError('--queue is required');
    if (!values.out) throw new UsageError('--out is required (the shared folder holding the run folders)');
    try {
      checkQueueUrl(values.queue);
      if (values['queue-name'] !== undefined) checkQueueName(values['queue-name']);
    } catch (err) {
      if (err instanceof QueueUrlError) throw new UsageError(err.message);
      throw err;
    }
    const engine = engineChoice(values.engine);
    const concurrency = positive('concurrency', values.concurrency, 1, true)!;
    const lockSeconds = positive('lock-seconds', values['lock-seconds'], 60, false)!;
    const idleExitSeconds = positive('idle-exit', values['idle-exit'], undefined, false);
    let handle;
    try {
      handle = await startWorker({
        queueUrl: values.queue, queueName: values['queue-name'], outRoot: values.out, concurrency, lockSeconds, idleExitSeconds,
        engine,
      });
    } catch (err) {
      if (err instanceof RunViewError) throw new UsageError(err.message);
      throw err;
    }
    let signals = 0;
    const onSignal = (signal: string) => {
      signals++;
      if (signals === 1) {
        process.stderr.write(`worker ${handle.name}: ${signal}: stopping after the running job(s); ${signal} again stops at once\n`);
        void handle.stop(false);
      } else {
        process.stderr.write(`worker ${handle.name}: stopping now; the running unit goes back to the queue\n`);
        process.exit(130);
      }
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    return handle.done;
  },
};
