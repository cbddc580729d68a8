/**
 * What a queued compare puts into BullMQ, and under which ids. A run's flow:
 *
 *     report                       (parent: runs when every child has finished or failed for good)
 *     ├── teacher                  (trains the shared teacher, then adds the units that need it)
 *     ├── unit bm25 seed s fold k  (units that need no teacher start at once)
 *     └── unit <method> seed s fold k   … added by the teacher job
 *
 * and, on the shards queue, one job per collection shard a unit has encoded elsewhere. Job ids
 * are derived from the run name, the config hash and the unit, so enqueueing the same run twice
 * adds nothing twice (BullMQ ignores an id it already holds). Paths in job data are relative to
 * the shared folder (each machine may mount it elsewhere, given by its --out).
 */
import type { JobsOptions } from 'bullmq';
import type { EngineChoice } from '../../models/engine/types.js';
import type { Scenario } from '../eval-sets.js';
import type { UnitKey } from '../result-store.js';

/** Identifies a run and what every worker must see identically to work on it. */
export interface RunRef {
  run: string;
  configHash: string;
  dataHash: string;
  /** optical and tfjs versions of the compare: a worker running other versions could compute other numbers. */
  software: string;
  shardSize: number;
}

export interface TeacherJob {
  kind: 'teacher';
  ref: RunRef;
  /** Unfinished units that need the teacher: added as children of the report once it is trained. */
  pending: UnitKey[];
  attempts: number;
}

export interface UnitJob extends UnitKey {
  kind: 'unit';
  ref: RunRef;
}

export interface ReportJob {
  kind: 'report';
  ref: RunRef;
  /** Epoch ms of the enqueue, for the run's total time. */
  enqueuedAt: number;
  queueUrl: string;
  queueName: string;
}

export interface ShardJob extends UnitKey {
  kind: 'shard';
  ref: RunRef;
  scenario: Scenario;
  index: number;
  /** Relative to the shared folder. */
  modelDir: string;
  modelId: string;
  shardDir: string;
}

export type QueueJob = TeacherJob | UnitJob | ReportJob | ShardJob;

function runPrefix(ref: RunRef): string {
  return `${ref.run}/${ref.configHash}`;
}

export const jobIds = {
  report: (ref: RunRef) => `${runPrefix(ref)}/report`,
  teacher: (ref: RunRef) => `${runPrefix(ref)}/teacher`,
  unit: (ref: RunRef, k: UnitKey) => `${runPrefix(ref)}/unit/${k.method}/${k.seed}/${k.fold}`,
  shard: (ref: RunRef, k: UnitKey, scenario: string, modelId: string, index: number) => `${runPrefix(ref)}/shard/${k.method}/${k.seed}/${k.fold}/${scenario}/${modelId.slice(0, 12)}/${index}`,
};

/** Options of every child of the report: bounded retries with backoff; a child that fails for good does not block the report. */
export function childJobOptions(attempts: number): JobsOptions {
  return { attempts, backoff: { type: 'exponential', delay: 1000 }, ignoreDependencyOnFailure: true, removeOnComplete: false, removeOnFail: false };
}

/** Human-readable name of a job, for progress lines and `optical queue status`. */
export function jobLabel(data: QueueJob): string {
  switch (data.kind) {
    case 'report': return 'report';
    case 'teacher': return 'teacher';
    case 'unit': return `unit ${data.method} seed ${data.seed} fold ${data.fold}`;
    case 'shard': return `shard ${data.index} of ${data.scenario} for ${data.method} seed ${data.seed} fold ${data.fold}`;
  }
}

/** What the worker process hands its job processes (in the environment variable SETTINGS_ENV, as JSON). */
export interface JobProcessSettings {
  queueUrl: string;
  queueName: string;
  outRoot: string;
  /** --engine of the worker (native, tfjs or auto); default: OPTICAL_ENGINE, else auto. */
  engine?: EngineChoice;
  /** The worker's name (host:pid of the worker process), shown in logs, locks and results. */
  name: string;
  progressIntervalMs: number;
}

export const SETTINGS_ENV = 'OPTICAL_WORKER';
