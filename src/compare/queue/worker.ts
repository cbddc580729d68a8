/**
 * `optical worker`: takes jobs of queued compares from BullMQ and has them computed by a child
 * process running job-process.ts (BullMQ's sandboxed processor), writing into the run folders on
 * the shared storage given by --out. This process only talks to Redis (it renews the locks of
 * running jobs), so a long synchronous training step can never make it look dead.
 *
 * Faults: a worker killed mid-job loses its BullMQ lock (its job process exits with it); the
 * stalled-job check of any other worker puts the job back on the queue and the unit starts again
 * (from its trainer checkpoint, in its work folder on the shared storage); half-written temporary
 * folders are never read. A job that throws is retried with backoff up to the enqueued number of
 * attempts, then fails for good; the report still runs and lists it.
 */
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { resolveEngine } from '../../models/engine/choose.js';
import type { EngineChoice } from '../../models/engine/types.js';
import { RunViewError } from '../run-folder.js';
import { processName } from '../run-unit.js';
import { checkQueueName, connectRedis, DEFAULT_QUEUE_NAME, queueNames, quietErrors } from './connection.js';
import { jobLabel, SETTINGS_ENV, type JobProcessSettings, type QueueJob } from './jobs.js';

export interface WorkerOptions {
  queueUrl: string;
  queueName?: string;
  /** The shared folder holding the run folders (this machine's own mount point of it). */
  outRoot: string;
  /** Jobs this worker runs at once (default 1: one worker per device). */
  concurrency?: number;
  /** The engine of the job processes (native, tfjs or auto); default: OPTICAL_ENGINE, else auto. */
  engine?: EngineChoice;
  /** BullMQ lock of a job: renewed every half of it; a dead worker's job is handed on after about this long. */
  lockSeconds?: number;
  /** Stop after this many seconds without a job (batch schedulers); default: run until stopped. */
  idleExitSeconds?: number;
  name?: string;
  /** Where this process's lines go (default stderr; job processes write to stderr). */
  log?: (line: string) => void;
  /** Progress lines of long jobs at most this often (ms). */
  progressIntervalMs?: number;
}

export interface WorkerHandle {
  name: string;
  /** Resolves with the exit code: 0 stopped or idle, 2 refused a run it sees differently. */
  done: Promise<number>;
  /** Stops taking jobs; waits for running ones unless `force`. */
  stop(force?: boolean): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<WorkerHandle> {
  const outRoot = options.outRoot;
  if (!existsSync(outRoot) || !statSync(outRoot).isDirectory()) {
    throw new RunViewError(`--out ${outRoot} is not a folder: give the shared folder the compares write their runs to`);
  }
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const lockSeconds = options.lockSeconds ?? 60;
  if (!(lockSeconds >= 1)) throw new RangeError(`lock seconds must be at least 1, got ${lockSeconds}`);
  const name = options.name ?? processName();
  const log = options.log ?? ((line: string) => process.stderr.write(`worker ${name}: ${line}\n`));
  const queueName = checkQueueName(options.queueName ?? DEFAULT_QUEUE_NAME);
  const names = queueNames(queueName);
  // The job processes initialise the engine; checking it here first fails fast with a clear message.
  const engine = resolveEngine(options.engine);
  const connection: Redis = await connectRedis(options.queueUrl);
  const settings: JobProcessSettings = { queueUrl: options.queueUrl, queueName, outRoot, engine: options.engine, name, progressIntervalMs: options.progressIntervalMs ?? 5000 };
  // The compiled module beside this one (dist/): BullMQ forks a Node process that imports it.
  const processorFile = fileURLToPath(new URL('./job-process.js', import.meta.url));

  // Jobs this worker has taken and not finished (a job whose lock was lost is checked against Redis).
  const running = new Set<string>();
  let lastActivity = Date.now();
  let exitCode = 0;
  let stopping: Promise<void> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => { resolveDone = r; });

  const workerOptions = {
    connection, concurrency, name, lockDuration: lockSeconds * 1000, stalledInterval: lockSeconds * 1000,
    // A unit may be handed on a few times (killed workers) before it counts as failed.
    maxStalledCount: 3,
    workerForkOptions: { env: { ...process.env, [SETTINGS_ENV]: JSON.stringify(settings) } },
  };
  const workers = [new Worker(names.units, processorFile, workerOptions), new Worker(names.shards, processorFile, workerOptions)];
  let lastError = 0;
  for (const w of workers) {
    w.on('active', (job) => { running.add(`${w.name}\t${job.id}`); lastActivity = Date.now(); });
    w.on('completed', (job) => { running.delete(`${w.name}\t${job.id}`); lastActivity = Date.now(); });
    w.on('failed', (job) => {
      lastActivity = Date.now();
      if (!job) return;
      running.delete(`${w.name}\t${job.id}`);
      if (job.attemptsMade >= (job.opts.attempts ?? 1)) log(`${(job.data as QueueJob).ref.run} ${jobLabel(job.data as QueueJob)}: failed for good after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
    });
    w.on('error', (err) => {
      if (Date.now() - lastError > 30_000) log(`queue error (retrying): ${err.message}`);
      lastError = Date.now();
    });
    w.on('stalled', (jobId) => log(`job ${jobId} stalled (its worker died or hung): back on the queue`));
  }
  // A job process that finds this machine's view of a run different asks this process to stop
  // (the handler stays: a job fetched meanwhile is refused and sent back the same way).
  const onRefusal = () => {
    exitCode = 2;
    for (const w of workers) void w.pause(true);
    void stop(false);
  };
  process.on('SIGUSR2', onRefusal);
  log(`serving queue '${names.units}' (+ '${names.shards}') with concurrency ${concurrency}, engine ${engine}, run folders under ${outRoot}`);

  const queues = { [names.units]: new Queue(names.units, { connection }), [names.shards]: new Queue(names.shards, { connection }) };
  for (const q of Object.values(queues)) quietErrors(q, log);
  let checking = false;
  const idleTimer = options.idleExitSeconds === undefined ? undefined : setInterval(() => {
    if (checking || stopping) return;
    checking = true;
    void (async () => {
      // A job taken over by another worker after a lost lock never reports back here: ask Redis.
      for (const key of running) {
        const [queue, id] = key.split('\t');
        const job = await queues[queue].getJob(id);
        if (!job || job.processedBy !== name || (await job.getState()) !== 'active') running.delete(key);
      }
      if (running.size === 0 && Date.now() - lastActivity > options.idleExitSeconds! * 1000) {
        log(`idle for ${options.idleExitSeconds} s: stopping`);
        void stop(false);
      }
    })().finally(() => { checking = false; });
  }, 1000);

  async function stop(force = false): Promise<void> {
    stopping ??= (async () => {
      if (idleTimer) clearInterval(idleTimer);
      await Promise.all(workers.map((w) => w.close(force)));
      for (const q of Object.values(queues)) await q.close();
      connection.disconnect();
      resolveDone(exitCode);
    })();
    return stopping;
  }

  return { name, done, stop };
}
