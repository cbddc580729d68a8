/**
 * Bench: read and evaluate a large synthetic TREC run (default 5,000 queries × 1,000 documents =
 * 5 M lines, about the size of an MS MARCO dev run) with its qrels, through the streaming readers
 * and evaluateRun. Reports file size, read and evaluation time and memory.
 *   npm run build:ts && node --expose-gc dist/bench/ir/eval-large.js [queries] [depth]
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunFile } from '../../src/ir/formats/trec-run.js';
import { readQrelsFile } from '../../src/ir/formats/qrels.js';
import { evaluateRun } from '../../src/ir/evaluate.js';
import { parseMeasures } from '../../src/ir/measure-names.js';
import { Rng } from '../../src/random/rng.js';

const numQueries = Number(process.argv[2] ?? 5000);
const depth = Number(process.argv[3] ?? 1000);
for (const [name, v] of [['queries', numQueries], ['depth', depth]] as const) {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}
const dir = mkdtempSync(join(tmpdir(), 'optical-eval-bench-'));
const runPath = join(dir, 'run.trec');
const qrelsPath = join(dir, 'test.qrels');
const rng = new Rng(99);

async function writeLines(path: string, lines: () => Generator<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const l of lines()) if (!out.write(l)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

try {
  const tw0 = performance.now();
  await writeLines(qrelsPath, function* () {
    for (let q = 0; q < numQueries; q++) {
      const judged = 1 + rng.int(8);
      // Docnos D<q>_<k> with k = (37 j + q) mod 2·depth: distinct per query (37 is coprime to it).
      for (let j = 0; j < judged; j++) yield `${q} 0 D${q}_${(37 * j + q) % (2 * depth)} ${rng.int(4)}\n`;
    }
  });
  await writeLines(runPath, function* () {
    for (let q = 0; q < numQueries; q++) {
      // A random affine permutation of [0, 2·depth) picks `depth` distinct documents per query.
      const offset = rng.int(2 * depth);
      for (let r = 0; r < depth; r++) yield `${q} Q0 D${q}_${(7919 * r + offset) % (2 * depth)} ${r + 1} ${(depth - r + rng.nextFloat()).toFixed(4)} bench\n`;
    }
  });
  const writeSeconds = (performance.now() - tw0) / 1000;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const qrels = await readQrelsFile(qrelsPath);
  const { run } = await readRunFile(runPath);
  const t1 = performance.now();
  const ev = evaluateRun(qrels, run, parseMeasures(['AP', 'nDCG@10', 'nDCG', 'RR@10', 'R@100', 'P@10', 'Rprec', 'Success@10', 'Judged@10']));
  const t2 = performance.now();
  gc?.();
  const after = process.memoryUsage();
  console.log(JSON.stringify({
    queries: numQueries,
    depth,
    runLines: numQueries * depth,
    runMB: +(statSync(runPath).size / 2 ** 20).toFixed(1),
    writeSeconds: +writeSeconds.toFixed(2),
    readSeconds: +((t1 - t0) / 1000).toFixed(2),
    evaluateSeconds: +((t2 - t1) / 1000).toFixed(2),
    heapGrowthMB: +((after.heapUsed - before.heapUsed) / 2 ** 20).toFixed(0),
    rssMB: +(after.rss / 2 ** 20).toFixed(0),
    meanAP: +ev.mean.AP.toFixed(4),
  }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
