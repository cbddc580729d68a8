/**
 * `npm run dev-study -- --config FILE [--out DIR] [--engine E] [--share X]`: runs the methods of a
 * compare config on the DEVELOPMENT split of each UDHR fold (src/compare/dev-split.ts: a seeded
 * third of the fold's training articles held out; training on the rest; the fold's test articles
 * used nowhere) and prints the CLIR table — mean over seeds, paired t-tests over the development
 * queries against the config's baseline with its correction, and the minimum detectable
 * difference. This is where the defaults of the OPTICAL objective were chosen (README: "OPTICAL
 * objective: ablation and defaults"); the test-split numbers come from `optical compare` on the
 * same config.
 *
 * Each (method settings, seed, fold) result is kept in DIR/<config name>/units/ as JSON, so a rerun
 * skips what is done (a method whose resolved settings — defaults included — changed is recomputed); the teacher is the compare's own (same key, same folder layout under DIR).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseCommandArgs, numberOption } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/command.js';
import { engineOption } from '../../src/cli/engine-option.js';
import { loadCompareConfig } from '../../src/compare/config-file.js';
import { summarize, scoreRun, type MethodScores } from '../../src/compare/aggregate.js';
import { developmentFold } from '../../src/compare/dev-split.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import { runMethod } from '../../src/compare/method-runners.js';
import { powerLine, renderTable } from '../../src/compare/report.js';
import { prepareRunContext, sharedTeacher } from '../../src/compare/run-unit.js';
import { stderrProgress } from '../../src/data/progress.js';
import type { Qrels } from '../../src/ir/types.js';

interface UnitRecord {
  method: string;
  seed: number;
  fold: number;
  seconds: number;
  /** metric → qid (prefixed with the fold) → value. */
  scores: Record<string, Record<string, number>>;
  info: Record<string, string | number>;
}

const usage = `usage: npm run dev-study -- --config FILE [--out DIR] [--engine native|tfjs|auto] [--share X]

Runs every method of a compare config on the development split of each UDHR fold (a share X,
default 1/3, of the fold's training articles held out; the test articles are never used) and prints
the CLIR table with paired t-tests against the config's baseline.`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, { config: { type: 'string' }, out: { type: 'string' }, engine: { type: 'string' }, share: { type: 'string' }, help: { type: 'boolean' } });
  if (values.help) { console.log(usage); return 0; }
  if (!values.config) throw new UsageError('--config is required');
  const config = loadCompareConfig(values.config);
  const share = values.share ? numberOption('share', values.share, NaN) : 1 / 3;
  if (!(share > 0 && share < 1)) throw new UsageError(`--share must be in (0, 1), got ${values.share}`);
  const engine = engineOption(values.engine) === 'tfjs' ? 'tfjs' : 'native';
  const outRoot = values.out ?? 'runs/dev';
  const progress = stderrProgress('dev-study');
  const t0 = performance.now();
  const load0 = loadavg()[0];
  const ctx = await prepareRunContext(config, { outRoot, englishPairs: sotuEnglishPairs, progress, engine });
  const teacher = await sharedTeacher(ctx, progress, `dev-study ${config.name}`);
  const unitsDir = join(ctx.dir, 'units');
  mkdirSync(unitsDir, { recursive: true });
  const devFolds = await Promise.all(ctx.data.folds.map((f) => developmentFold(config, f, { share })));
  const qrels: Qrels = new Map();
  for (const f of devFolds) {
    const set = f.sets.get('clir')!;
    for (const q of set.qrels) {
      const qid = `f${f.fold}:${q.qid}`;
      if (!qrels.has(qid)) qrels.set(qid, new Map());
      qrels.get(qid)!.set(q.docno, q.rel);
    }
    progress.log(`fold ${f.fold}: dev articles ${f.testUnits.join(',')} (${set.topics.length} queries, ${set.collection.length} documents), ${f.bitext.length} training pairs`);
  }
  const records: UnitRecord[] = [];
  for (const method of config.methods) {
    const trained = !['bm25', 'zero-shot', 'translate-test'].includes(method.kind);
    for (const seed of trained ? config.seeds : [config.seeds[0]]) {
      for (const fold of devFolds) {
        // Keyed by what decides the result (the method's settings without its name, the data, model,
        // teacher and budget), so a renamed method reuses its units and a changed default does not.
        const { name: _name, ...settings } = method;
        const key = createHash('sha256').update(JSON.stringify({ settings, data: config.data, model: config.model, teacher: config.teacher, budget: config.budget, languages: config.languages, share })).digest('hex').slice(0, 16);
        const file = join(unitsDir, `${key}-s${seed}-f${fold.fold}.json`);
        if (existsSync(file)) { records.push({ ...(JSON.parse(readFileSync(file, 'utf8')) as UnitRecord), method: method.name }); continue; }
        const t = performance.now();
        progress.log(`${method.name} seed ${seed} fold ${fold.fold}`);
        const workDir = join(ctx.dir, 'work', method.name, `seed-${seed}`, `fold-${fold.fold}`);
        const out = await runMethod({ config, data: ctx.data, fold, teacherDir: teacher.dir, workDir, progress, engine }, method, seed);
        const set = fold.sets.get('clir')!;
        const raw = scoreRun(qrelsOf(set.qrels), out.runs.clir!, config.stats.metrics);
        const scores: Record<string, Record<string, number>> = {};
        for (const [m, perQuery] of Object.entries(raw)) scores[m] = Object.fromEntries(Object.entries(perQuery).map(([q, v]) => [`f${fold.fold}:${q}`, v]));
        const record: UnitRecord = { method: method.name, seed, fold: fold.fold, seconds: (performance.now() - t) / 1000, scores, info: out.info };
        writeFileSync(`${file}.tmp`, JSON.stringify(record));
        renameSync(`${file}.tmp`, file);
        records.push(record);
      }
    }
  }
  const byMethod: MethodScores[] = config.methods.map((m) => {
    const perSeed = new Map<number, Record<string, Record<string, number>>>();
    for (const r of records.filter((x) => x.method === m.name)) {
      const s = perSeed.get(r.seed) ?? {};
      for (const [metric, q] of Object.entries(r.scores)) s[metric] = { ...(s[metric] ?? {}), ...q };
      perSeed.set(r.seed, s);
    }
    return { method: m.name, perSeed };
  });
  const table = summarize('clir', byMethod, [...qrels.keys()].sort(), config.stats);
  const seconds = (performance.now() - t0) / 1000;
  const tested = table.rows.filter((r) => r.metrics[table.metrics[0]].pValue !== undefined);
  const lines = [
    `# Development split: ${config.name}`, '',
    `EN → ${config.languages[0]}, ${devFolds.length} folds; per fold a share ${share.toFixed(3)} of the training articles held out as development queries (${qrels.size} in all); seeds ${config.seeds.join(', ')}; ${config.budget.steps} steps × batch ${config.budget.batchSize}.`, '',
    renderTable(table, config.stats.confidence), '',
    `Paired t-tests vs ${table.baseline} (${table.correction}-adjusted over ${tested.length} methods, α ${config.stats.alpha}):`, '',
    `| method | ${table.metrics.join(' | ')} |`, `|---|${table.metrics.map(() => '---').join('|')}|`,
    ...tested.map((r) => `| ${r.method} | ${table.metrics.map((m) => { const s = r.metrics[m]; return `${s.delta! >= 0 ? '+' : ''}${s.delta!.toFixed(3)} (p ${s.pValue!.toPrecision(2)}, adj. ${s.pAdjusted!.toPrecision(2)}, MDE ${s.mde!.toFixed(3)})`; }).join(' | ')} |`), '',
    powerLine(table), '',
    `Wall time ${seconds.toFixed(0)} s this run (${records.reduce((a, r) => a + r.seconds, 0).toFixed(0)} s of units in all), engine ${engine}, ${cpus().length} cores, load average ${load0.toFixed(1)} at the start and ${loadavg()[0].toFixed(1)} at the end.`,
  ];
  const text = lines.join('\n') + '\n';
  writeFileSync(join(ctx.dir, 'dev-report.md'), text);
  progress.done('done');
  console.log(text);
  return 0;
}

function qrelsOf(list: readonly { qid: string; docno: string; rel: number }[]): Qrels {
  const q: Qrels = new Map();
  for (const r of list) {
    if (!q.has(r.qid)) q.set(r.qid, new Map());
    q.get(r.qid)!.set(r.docno, r.rel);
  }
  return q;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: Error) => {
  console.error(err instanceof UsageError ? `dev-study: ${err.message}\n\n${usage}` : err.stack ?? err.message);
  process.exitCode = err instanceof UsageError ? 2 : 1;
});
