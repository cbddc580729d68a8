/**
 * `optical compare --queue URL`: puts a run's unfinished units on BullMQ as one flow (see jobs.ts)
 * and follows it until the report job has written the report, printing each unit as it starts,
 * finishes or fails. The run folder is opened exactly as in-process (config.json check), on the
 * shared folder every worker mounts. Finished units already on disk are not enqueued; a run that
 * is already queued (another `compare` of the same run) is followed, not enqueued again.
 */
import { FlowProducer, Job, Queue, type FlowJob } from 'bullmq';
import { silentProgress, type Progress } from '../../data/progress.js';
import type { CompareConfig } from '../config.js';
import { checkLanguages, type DataHooks, type ExperimentData } from '../experiment-data.js';
import { sotuEnglishPairs } from '../english-pairs.js';
import { FileLock, describeHolder } from '../file-lock.js';
import { openRunFolder, runDir, runLockPath } from '../run-folder.js';
import { prepareRunContext } from '../run-unit.js';
import type { CompareReport } from '../report.js';
import { softwareVersions, type CompareRunResult, type FailedUnit } from '../run-compare.js';
import { DEFAULT_SHARD_SIZE } from '../dense-shards.js';
import { compareUnits, needsTeacher, unitKey } from '../units.js';
import type { UnitKey } from '../result-store.js';
import { checkQueueName, connectRedis, DEFAULT_QUEUE_NAME, queueNames, quietErrors, redactUrl } from './connection.js';
import { childJobOptions, jobIds, jobLabel, type QueueJob, type ReportJob, type RunRef, type TeacherJob, type UnitJob } from './jobs.js';

export interface QueueCompareOptions {
  queueUrl: string;
  queueName?: string;
  /** The shared folder (every worker's --out points at the same storage). */
  outRoot?: string;
  progress?: Progress;
  englishPairs?: DataHooks['englishPairs'];
  shardSize?: number;
  /** Tries per unit before it is reported failed (default 3). */
  attempts?: number;
  pollMs?: number;
}

/** What the report job returns (stored by BullMQ as JSON). */
export interface ReportJobResult {
  report: CompareReport;
  failed: FailedUnit[];
  seconds: number;
}

export interface QueuedRun {
  dir: string;
  ref: RunRef;
  queueUrl: string;
  queueName: string;
  /** Units enqueued now / already finished on disk. */
  enqueued: number;
  skipped: number;
  /** True when the run was already on the queue (another compare enqueued it). */
  following: boolean;
  /** Ids of the run's teacher and unit jobs, for following them. */
  jobs: string[];
  data: ExperimentData;
}

export interface QueueCompareResult extends CompareRunResult {
  failed: FailedUnit[];
}

const ACTIVE_STATES = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized', 'paused']);

/** Enqueues the run (or finds it already queued) and returns without waiting. */
export async function enqueueCompare(config: CompareConfig, options: QueueCompareOptions): Promise<QueuedRun> {
  const progress = options.progress ?? silentProgress;
  const outRoot = options.outRoot ?? 'runs';
  const queueName = checkQueueName(options.queueName ?? DEFAULT_QUEUE_NAME);
  const attempts = options.attempts ?? 3;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
  const dir = runDir(outRoot, config.name);
  const connection = await connectRedis(options.queueUrl);
  try {
    // The run lock serialises enqueues of the same run (and waits for an in-process compare of it).
    return await FileLock.with(runLockPath(dir), {
      purpose: `optical compare ${config.name} --queue (enqueueing)`, what: `run folder ${dir}`, wait: true,
      onWait: (h) => progress.log(`run folder ${dir} is in use by ${describeHolder(h)}; waiting`),
    }, async () => {
      if (openRunFolder(config, outRoot).resumed) progress.log(`resuming ${dir}`);
      if (config.data.test === 'udhr' || config.data.shiftTest === 'udhr') await checkLanguages(config.languages);
      const ctx = await prepareRunContext(config, { outRoot, englishPairs: options.englishPairs ?? sotuEnglishPairs, progress });
      const ref: RunRef = { run: config.name, configHash: ctx.configHash, dataHash: ctx.dataHash, software: softwareVersions(), shardSize };
      const units = compareUnits(config);
      const pending = units.filter((u) => !ctx.store.has(unitKey(u)));
      const jobs = [jobIds.teacher(ref), ...units.map((u) => jobIds.unit(ref, unitKey(u)))];
      const queued: QueuedRun = { dir, ref, queueUrl: options.queueUrl, queueName, enqueued: pending.length, skipped: units.length - pending.length, following: false, jobs, data: ctx.data };
      const queue = quietErrors(new Queue(queueNames(queueName).units, { connection }), progress.log);
      const flows = quietErrors(new FlowProducer({ connection }), progress.log);
      try {
        const existing = await queue.getJob(jobIds.report(ref));
        if (existing && ACTIVE_STATES.has(await existing.getState())) {
          progress.log(`run ${config.name} (config ${ref.configHash}) is already on queue '${queueName}': following it`);
          return { ...queued, following: true };
        }
        await removeFinishedRunJobs(queue, ref, units.map(unitKey));
        const unitChild = (k: UnitKey): FlowJob => ({ name: 'unit', queueName: queue.name, data: { kind: 'unit', ref, ...k } satisfies UnitJob, opts: { jobId: jobIds.unit(ref, k), ...childJobOptions(attempts) } });
        const teacherJob: TeacherJob = { kind: 'teacher', ref, pending: pending.filter((u) => needsTeacher(u.method)).map(unitKey), attempts };
        const reportJob: ReportJob = { kind: 'report', ref, enqueuedAt: Date.now(), queueUrl: redactUrl(options.queueUrl), queueName };
        await flows.add({
          name: 'report', queueName: queue.name, data: reportJob,
          opts: { jobId: jobIds.report(ref), attempts, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
          children: [
            { name: 'teacher', queueName: queue.name, data: teacherJob, opts: { jobId: jobIds.teacher(ref), ...childJobOptions(attempts) } },
            ...pending.filter((u) => !needsTeacher(u.method)).map((u) => unitChild(unitKey(u))),
          ],
        });
        progress.log(`queued run ${config.name} (config ${ref.configHash}) on '${queueName}' at ${redactUrl(options.queueUrl)}: ${pending.length} unit(s) to compute, ${units.length - pending.length} already finished`);
        return queued;
      } finally {
        await flows.close();
        await queue.close();
      }
    });
  } finally {
    connection.disconnect();
  }
}

/** Removes the finished (completed or failed) jobs of an earlier enqueue of the run, so the ids can be used again. */
async function removeFinishedRunJobs(queue: Queue, ref: RunRef, units: UnitKey[]): Promise<void> {
  for (const id of [jobIds.report(ref), jobIds.teacher(ref), ...units.map((k) => jobIds.unit(ref, k))]) {
    const job = await queue.getJob(id);
    if (!job) continue;
    const state = await job.getState();
    if (ACTIVE_STATES.has(state)) {
      throw new Error(`job ${id} of run ${ref.run} is still ${state} on the queue although its report job has finished; wait for it or remove it (optical queue status --run ${ref.run})`);
    }
    await job.remove({ removeChildren: false });
  }
}

/**
 * Follows a queued run until its report job finishes, printing unit starts, completions, retries
 * and failures. Returns what the report job returned.
 */
export async function followQueuedRun(queued: QueuedRun, progress: Progress, pollMs = 1000): Promise<ReportJobResult> {
  const connection = await connectRedis(queued.queueUrl);
  const queue = quietErrors(new Queue(queueNames(queued.queueName).units, { connection }), progress.log);
  try {
    const seen = new Map<string, string>();
    const reportId = jobIds.report(queued.ref);
    let emptyReads = 0;
    for (;;) {
      const report = await Job.fromId(queue, reportId);
      if (!report) {
        throw new Error(`the report job ${reportId} is gone from the queue (Redis restarted without persistence, or the queue was cleaned); run the same compare again: finished units are kept`);
      }
      await reportTransitions(queue, queued.jobs, seen, progress);
      const state = await report.getState();
      // A completed job's return value can be read back empty right after a Redis restart (seen once in
      // the crash test): read the job again on the next poll instead of returning nothing.
      if (state === 'completed') {
        if ((report.returnvalue as ReportJobResult | null)?.report) return report.returnvalue as ReportJobResult;
        if (++emptyReads > 30) throw new Error(`the report job ${reportId} finished but its result is gone from the queue; the report is in ${queued.dir}`);
      }
      if (state === 'failed' && report.attemptsMade >= (report.opts.attempts ?? 1)) {
        throw new Error(`the report job of ${queued.ref.run} failed: ${report.failedReason}`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function reportTransitions(queue: Queue, ids: readonly string[], seen: Map<string, string>, progress: Progress): Promise<void> {
  const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
  for (const [i, id] of ids.entries()) {
    const state = states[i];
    // Active jobs are looked at every time: another worker may have taken one over.
    if (state === 'unknown' || (state !== 'active' && seen.get(id) === state)) continue;
    const job = await queue.getJob(id);
    if (!job) continue;
    const key = `${state}:${job.processedBy ?? ''}:${job.attemptsStarted}`;
    if (seen.get(id) === key || (state !== 'active' && seen.get(id) === state)) continue;
    seen.set(id, state === 'active' ? key : state);
    const label = jobLabel(job.data as QueueJob);
    const took = job.finishedOn && job.processedOn ? ` in ${((job.finishedOn - job.processedOn) / 1000).toFixed(1)} s` : '';
    if (state === 'active') progress.log(`${label}: started on ${job.processedBy ?? 'a worker'}${job.attemptsMade > 0 ? ` (attempt ${job.attemptsMade + 1}/${job.opts.attempts ?? 1})` : ''}${job.stalledCounter > 0 ? ' (taken over from a worker that stopped answering)' : ''}`);
    else if (state === 'completed') progress.log(`${label}: done by ${job.processedBy ?? 'a worker'}${took}`);
    else if (state === 'failed') progress.log(`${label}: FAILED after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
    else if ((state === 'delayed' || state === 'waiting') && job.attemptsMade > 0) progress.log(`${label}: attempt ${job.attemptsMade} failed (${job.failedReason}); retrying`);
  }
}

/** Enqueues the run and waits for its report: the queue counterpart of runCompare. */
export async function runCompareOnQueue(config: CompareConfig, options: QueueCompareOptions): Promise<QueueCompareResult> {
  const t0 = performance.now();
  const progress = options.progress ?? silentProgress;
  const queued = await enqueueCompare(config, options);
  const result = await followQueuedRun(queued, progress, options.pollMs);
  return {
    dir: queued.dir, report: result.report, data: queued.data, computed: queued.enqueued - result.failed.length, skipped: queued.skipped,
    interrupted: false, seconds: (performance.now() - t0) / 1000, failed: result.failed,
  };
}

