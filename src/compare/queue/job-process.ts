/**
 * The sandboxed processor of `optical worker`: BullMQ runs every job in a child process that loads
 * this module (and reuses it for the next job), so training and data preparation, which block a
 * JavaScript thread for seconds, never delay the worker process renewing its job locks — a busy
 * worker is never mistaken for a dead one. It computes jobs with the same functions as the
 * in-process compare (run-unit.ts, run-compare.ts finishRun).
 *
 * Before it touches a run, it checks that this machine sees the run as the compare did: config.json
 * with the queued config hash, and the same data fingerprint (the data is rebuilt here from the
 * config and the locally installed sources). Otherwise it puts the job back untouched and tells
 * the worker process to stop (SIGUSR2: exit code 2), so a worker with another view of the shared
 * folder cannot mix its results in.
 *
 * Settings come from the worker process in the environment variable OPTICAL_WORKER (JSON).
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Job, Queue, WaitingError, type SandboxedJob } from 'bullmq';
import type { Redis } from 'ioredis';
import { initTf } from '../../models/tf.js';
import { resolveEngine } from '../../models/engine/choose.js';
import { BiEncoder } from '../../train/bi-encoder.js';
import { stderrProgress, silentProgress, type Progress } from '../../data/progress.js';
import { methodBudget, type MethodConfig } from '../config.js';
import { sotuEnglishPairs } from '../english-pairs.js';
import { FileLock, describeHolder } from '../file-lock.js';
import { readRunConfig, runLockPath, RunViewError } from '../run-folder.js';
import { computingEngine, prepareRunContext, runUnit, sharedTeacher, type RunContext } from '../run-unit.js';
import { finishRun, softwareVersions, type FailedUnit } from '../run-compare.js';
import { retrievalRewrites, type ShardRequest } from '../method-runners.js';
import { documentTexts, encodeShard } from '../dense-retrieval.js';
import { modelFolderId, shardRanges } from '../dense-shards.js';
import { compareUnits, needsTeacher, unitLabel } from '../units.js';
import { connectRedis, queueNames, quietErrors } from './connection.js';
import { childJobOptions, jobIds, jobLabel, SETTINGS_ENV, type JobProcessSettings, type QueueJob, type ReportJob, type RunRef, type ShardJob, type TeacherJob, type UnitJob } from './jobs.js';
import type { ReportJobResult } from './enqueue.js';

// The worker process died (kill -9, machine lost): stop at once, like the machine would; the
// stalled-job check hands the job to another worker.
process.on('disconnect', () => process.exit(1));

let settingsCache: JobProcessSettings | undefined;
function settings(): JobProcessSettings {
  if (!settingsCache) {
    const raw = process.env[SETTINGS_ENV];
    if (!raw) throw new Error(`${SETTINGS_ENV} is not set: this module runs inside 'optical worker'`);
    settingsCache = JSON.parse(raw) as JobProcessSettings;
  }
  return settingsCache;
}

function log(line: string): void {
  process.stderr.write(`worker ${settings().name}: ${line}\n`);
}

let queuesCache: Promise<{ connection: Redis; units: Queue; shards: Queue }> | undefined;
function queues(): Promise<{ connection: Redis; units: Queue; shards: Queue }> {
  queuesCache ??= (async () => {
    const s = settings();
    const connection = await connectRedis(s.queueUrl);
    const names = queueNames(s.queueName);
    return { connection, units: quietErrors(new Queue(names.units, { connection }), log), shards: quietErrors(new Queue(names.shards, { connection }), log) };
  })();
  return queuesCache;
}

// Prepared runs (data, paths), keyed by run and config hash; a failed preparation is retried next time.
const KEEP_CONTEXTS = 2;
const contexts = new Map<string, Promise<RunContext>>();

function contextFor(ref: RunRef): Promise<RunContext> {
  const key = `${ref.run}/${ref.configHash}`;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = (async () => {
      const { outRoot } = settings();
      if (ref.software !== softwareVersions()) {
        throw new RunViewError(`run '${ref.run}' was queued by ${ref.software}; this worker runs ${softwareVersions()}: install the same versions on every machine`);
      }
      const config = readRunConfig(outRoot, ref.run, ref.configHash);
      const prepared = await prepareRunContext(config, { outRoot, englishPairs: sotuEnglishPairs, progress: silentProgress, engine: resolveEngine(settings().engine) });
      if (prepared.dataHash !== ref.dataHash) {
        throw new RunViewError(`the data of run '${ref.run}' built on this machine (fingerprint ${prepared.dataHash}) differs from the compare's (${ref.dataHash}): install the same data sources (the same FreeDict Debian packages, the same npm package versions) on every machine; notes here: ${prepared.data.notes.join(' ') || 'none'}`);
      }
      return prepared;
    })();
    contexts.set(key, ctx);
    ctx.catch(() => contexts.delete(key));
    while (contexts.size > KEEP_CONTEXTS) contexts.delete(contexts.keys().next().value!);
  }
  return ctx;
}

function methodOf(ctx: RunContext, method: string): MethodConfig {
  const m = ctx.config.methods.find((x) => x.name === method);
  if (!m) throw new RunViewError(`run '${ctx.config.name}' has no method '${method}' (the queued job belongs to another config)`);
  return m;
}

function purpose(): string {
  return `optical worker ${settings().name} (job process ${process.pid})`;
}

async function teacherJob(job: SandboxedJob, data: TeacherJob, progress: Progress): Promise<unknown> {
  const ctx = await contextFor(data.ref);
  const teacher = await sharedTeacher(ctx, progress, purpose());
  const { units } = await queues();
  // Now the units that need the teacher can start: children of the same report job.
  const parent = { id: jobIds.report(data.ref), queue: `${job.prefix}:${job.queueName}` };
  for (const k of data.pending) {
    await units.add('unit', { kind: 'unit', ref: data.ref, ...k } satisfies UnitJob, { jobId: jobIds.unit(data.ref, k), ...childJobOptions(data.attempts), parent });
  }
  return { teacher: ctx.teacherKey, seconds: teacher.seconds, unitsAdded: data.pending.length };
}

async function unitJob(job: SandboxedJob, data: UnitJob, progress: Progress): Promise<unknown> {
  const ctx = await contextFor(data.ref);
  const unit = { method: methodOf(ctx, data.method), seed: data.seed, fold: data.fold };
  const outcome = await runUnit(ctx, unit, {
    progress, purpose: purpose(),
    encoding: { shardSize: data.ref.shardSize, distribute: (req) => distributeShards(job, data, req, progress) },
  });
  return { computed: outcome.computed, seconds: outcome.seconds };
}

/** Queues the missing shards of one collection on the shards queue and waits until every one is written. */
async function distributeShards(unit: SandboxedJob, data: UnitJob, req: ShardRequest, progress: Progress): Promise<void> {
  const { shards } = await queues();
  const shared = resolve(settings().outRoot);
  const id = (index: number) => jobIds.shard(data.ref, data, req.scenario, req.modelId, index);
  const add = (index: number) => shards.add('shard', {
    kind: 'shard', ref: data.ref, method: data.method, seed: data.seed, fold: data.fold, scenario: req.scenario, index,
    modelDir: relative(shared, resolve(req.modelDir)), modelId: req.modelId, shardDir: relative(shared, resolve(req.dir)),
  } satisfies ShardJob, { jobId: id(index), attempts: unit.opts.attempts ?? 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
  const pending = new Map(req.missing.map((index) => [id(index), index]));
  for (const [jobId, index] of pending) {
    const old = await shards.getJob(jobId);
    if (old && ['completed', 'failed'].includes(await old.getState())) await old.remove();
    else if (old) continue; // queued or running for an earlier attempt of this unit
    await add(index);
  }
  progress.log(`${req.scenario}: ${pending.size} shard(s) queued for encoding`);
  const total = pending.size;
  while (pending.size > 0) {
    for (const [jobId, index] of [...pending]) {
      const state = await shards.getJobState(jobId);
      if (state === 'completed') pending.delete(jobId);
      else if (state === 'failed') {
        const failed = await shards.getJob(jobId);
        throw new Error(`shard ${index} of ${req.scenario} failed after ${failed?.attemptsMade ?? '?'} attempt(s): ${failed?.failedReason ?? 'unknown error'}`);
      } else if (state === 'unknown') await add(index);
    }
    progress.update(total - pending.size, total, `${req.scenario} shards encoded`);
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
  for (const index of req.missing) await (await shards.getJob(id(index)))?.remove();
}

async function shardJob(data: ShardJob, progress: Progress): Promise<unknown> {
  const ctx = await contextFor(data.ref);
  const { outRoot } = settings();
  const m = methodOf(ctx, data.method);
  const set = ctx.data.folds.find((f) => f.fold === data.fold)?.sets.get(data.scenario);
  if (!set) throw new RunViewError(`run '${data.ref.run}' has no ${data.scenario} set for fold ${data.fold}`);
  const texts = documentTexts(set, retrievalRewrites(ctx.config, ctx.data, m));
  const range = shardRanges(set.collection.length, data.ref.shardSize)[data.index];
  if (!range) throw new RangeError(`shard ${data.index} is outside the ${set.collection.length} documents of ${data.scenario}`);
  const modelDir = join(outRoot, data.modelDir);
  if (!existsSync(join(modelDir, 'model.safetensors'))) throw new RunViewError(`${modelDir} does not exist here, but its unit saved the model there on the shared folder: this worker's --out is not that folder`);
  if (modelFolderId(modelDir) !== data.modelId) throw new Error(`${modelDir} holds another model than the one its unit asked to encode with (it was replaced meanwhile)`);
  const model = await BiEncoder.fromPretrained(modelDir, { maxLength: methodBudget(ctx.config, m).maxLength, engine: computingEngine(ctx) });
  try {
    await encodeShard(model, set, texts, range, { dir: join(outRoot, data.shardDir), modelId: data.modelId }, { progress });
  } finally {
    model.dispose();
  }
  return { rows: range.end - range.start };
}

async function reportJob(job: SandboxedJob, data: ReportJob): Promise<ReportJobResult> {
  const ctx = await contextFor(data.ref);
  const { units } = await queues();
  const failed: FailedUnit[] = [];
  const prefix = `${job.prefix}:${job.queueName}:`;
  let teacherFailed = false;
  for (const [key, reason] of Object.entries(await job.getIgnoredChildrenFailures())) {
    const child = key.startsWith(prefix) ? await Job.fromId(units, key.slice(prefix.length)) : undefined;
    const childData = child?.data as QueueJob | undefined;
    if (childData?.kind === 'teacher') teacherFailed = true;
    failed.push({ unit: childData ? jobLabel(childData) : key, error: `${reason} (after ${child?.attemptsMade ?? '?'} attempt(s))` });
  }
  if (teacherFailed) {
    for (const u of compareUnits(ctx.config)) {
      if (needsTeacher(u.method) && !ctx.store.has({ method: u.method.name, seed: u.seed, fold: u.fold })) failed.push({ unit: `unit ${unitLabel(u)}`, error: 'not run: the teacher failed' });
    }
  }
  const { report, seconds } = await FileLock.with(runLockPath(ctx.dir), {
    purpose: `${purpose()}: report of ${ctx.config.name}`, what: `run folder ${ctx.dir}`, wait: true,
    onWait: (h) => log(`${data.ref.run} report: run folder in use by ${describeHolder(h)}; waiting`),
  }, () => finishRun(ctx, { timings: {}, startedAt: 0, interrupted: false, failed, queue: { url: data.queueUrl, name: data.queueName, startedAtEpochMs: data.enqueuedAt } }));
  return { report, failed, seconds };
}

/** BullMQ's entry point: one job. */
export default async function processJob(job: SandboxedJob, token?: string): Promise<unknown> {
  const s = settings();
  const data = job.data as QueueJob;
  const tag = `${data.ref.run} ${jobLabel(data)}`;
  const attempts = job.opts.attempts ?? 1;
  log(`${tag}: started (attempt ${job.attemptsMade + 1}/${attempts}${job.stalledCounter > 0 ? `, taken over from a worker that stopped answering` : ''})`);
  const progress = stderrProgress(`worker ${s.name}: ${tag}`, s.progressIntervalMs);
  const t0 = performance.now();
  try {
    if (resolveEngine(s.engine) === 'tfjs') await initTf();
    let result: unknown;
    if (data.kind === 'teacher') result = await teacherJob(job, data, progress);
    else if (data.kind === 'unit') result = await unitJob(job, data, progress);
    else if (data.kind === 'report') result = await reportJob(job, data);
    else result = await shardJob(data, progress);
    const already = (result as { computed?: boolean }).computed === false;
    log(`${tag}: ${already ? 'already finished (result on disk)' : 'done'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    if (err instanceof RunViewError) {
      log(`refusing ${tag}: ${err.message}`);
      log('stopping: this worker\'s view of the shared folder differs from the compare\'s; the job goes back to the queue untouched');
      await job.moveToWait(token);
      process.kill(process.ppid, 'SIGUSR2');
      throw new WaitingError();
    }
    const left = attempts - job.attemptsMade - 1;
    log(`${tag}: failed (attempt ${job.attemptsMade + 1}/${attempts}): ${(err as Error).message}${left > 0 ? `; will be retried (${left} attempt(s) left)` : '; no attempts left'}`);
    throw err;
  }
}
