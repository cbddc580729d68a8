/**
 * `optical queue status`: what the queue holds, per run — waiting, active, done and failed jobs
 * with the worker that took them, elapsed time, attempts and the last error.
 */
import { Queue, type Job, type JobState } from 'bullmq';
import { checkQueueName, connectRedis, DEFAULT_QUEUE_NAME, queueNames, quietErrors } from './connection.js';
import { jobLabel, type QueueJob } from './jobs.js';

export type StatusState = 'waiting' | 'active' | 'done' | 'failed';

export interface StatusRow {
  run: string;
  configHash: string;
  job: string;
  state: StatusState;
  /** BullMQ's own state (waiting-children, delayed, prioritized, ...). */
  queueState: string;
  worker?: string;
  /** Active: since it started; done/failed: how long it ran; waiting: since it was queued. */
  seconds: number;
  attempts: number;
  maxAttempts: number;
  error?: string;
}

const STATES: Array<[JobState, StatusState]> = [
  ['active', 'active'], ['waiting', 'waiting'], ['waiting-children', 'waiting'], ['delayed', 'waiting'], ['prioritized', 'waiting'],
  ['completed', 'done'], ['failed', 'failed'],
];

function row(job: Job, queueState: string, state: StatusState, now: number): StatusRow | null {
  const data = job.data as QueueJob;
  if (!data?.ref?.run) return null; // not an optical job
  const seconds = state === 'active' ? now - (job.processedOn ?? now)
    : state === 'waiting' ? now - job.timestamp
      : (job.finishedOn ?? now) - (job.processedOn ?? job.finishedOn ?? now);
  return {
    run: data.ref.run, configHash: data.ref.configHash, job: jobLabel(data), state, queueState, worker: job.processedBy,
    seconds: seconds / 1000, attempts: state === 'active' ? job.attemptsMade + 1 : job.attemptsMade, maxAttempts: job.opts.attempts ?? 1,
    error: job.failedReason || undefined,
  };
}

/** Every optical job on the queue (and its shards queue), optionally of one run. */
export async function queueStatus(queueUrl: string, options: { queueName?: string; run?: string } = {}): Promise<StatusRow[]> {
  const names = queueNames(checkQueueName(options.queueName ?? DEFAULT_QUEUE_NAME));
  const connection = await connectRedis(queueUrl);
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  const queues = [quietErrors(new Queue(names.units, { connection }), warn), quietErrors(new Queue(names.shards, { connection }), warn)];
  try {
    const rows: StatusRow[] = [];
    const now = Date.now();
    for (const queue of queues) {
      for (const [queueState, state] of STATES) {
        for (const job of await queue.getJobs([queueState], 0, -1, true)) {
          if (!job) continue;
          const r = row(job, queueState, state, now);
          if (r && (options.run === undefined || r.run === options.run)) rows.push(r);
        }
      }
    }
    const order: Record<StatusState, number> = { active: 0, waiting: 1, failed: 2, done: 3 };
    return rows.sort((a, b) => a.run.localeCompare(b.run) || order[a.state] - order[b.state] || a.job.localeCompare(b.job));
  } finally {
    for (const q of queues) await q.close();
    connection.disconnect();
  }
}

function seconds(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;
}

/** A plain-text table per run, with a count line per run. */
export function formatStatus(rows: readonly StatusRow[], queueLabel: string): string {
  if (rows.length === 0) return `queue ${queueLabel}: no optical jobs`;
  const out: string[] = [];
  const runs = [...new Set(rows.map((r) => `${r.run}\t${r.configHash}`))];
  for (const key of runs) {
    const [run, hash] = key.split('\t');
    const mine = rows.filter((r) => r.run === run && r.configHash === hash);
    const count = (s: StatusState) => mine.filter((r) => r.state === s).length;
    out.push(`run ${run} (config ${hash}) on ${queueLabel}: ${count('waiting')} waiting, ${count('active')} active, ${count('done')} done, ${count('failed')} failed`);
    const table = [['state', 'job', 'worker', 'elapsed', 'attempts', 'note']];
    for (const r of mine) {
      const note = r.state === 'failed' || (r.error && r.state !== 'done') ? (r.error ?? '') : r.queueState !== 'completed' && r.queueState !== r.state ? r.queueState : '';
      table.push([r.state, r.job, r.worker ?? '-', r.state === 'waiting' ? `queued ${seconds(r.seconds)}` : seconds(r.seconds), `${r.attempts}/${r.maxAttempts}`, note]);
    }
    const widths = table[0].map((_, c) => Math.max(...table.map((t) => t[c].length)));
    for (const t of table) out.push('  ' + t.map((cell, c) => (c === t.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ').trimEnd());
    out.push('');
  }
  return out.join('\n');
}
