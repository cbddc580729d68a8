/**
 * Microbenchmark of the native engine: one distillation-like training step — student forward +
 * backward, the OT loss against precomputed teacher tokens at the last layer (cosine cost, eps 0.05,
 * at most 200 Sinkhorn iterations, tol 1e-4: the distill defaults) and an AdamW step with clipping —
 * for the issue's three geometries, every sequence exactly `length` tokens:
 *   tiny  (hidden 64, 2 layers, 2 heads, FFN 256)      16 × 64
 *   small (hidden 128, 4 layers, 2 heads, FFN 512)     32 × 128
 *   base  (hidden 768, 12 layers, 12 heads, FFN 3072)   8 × 128
 * Reports ms/step (median and min of the timed steps), tokens/s, peak RSS of the process, and the
 * share of the step per op family (the engine's own timers; 'optimizer' is the AdamW call).
 * Each (geometry, threads) row runs in its own child process, so peak RSS and caches are per row.
 *
 *   npm run build:ts && node dist/bench/nn/step.js [--geometries tiny,small,base] [--threads 1,2]
 *       [--steps N] [--vocab 30522] [--batch B] [--length L] [--json FILE]
 * (--batch / --length override every geometry's shape, e.g. --geometries base --batch 32 for the
 * memory of a base 32 × 128 step.)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BASE_BERT, TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { NativeEngine } from '../../src/models/engine/native-engine.js';
import type { OpFamily, StepSpec } from '../../src/models/engine/types.js';
import { Rng } from '../../src/random/rng.js';

const GEOMETRIES: Record<string, { config: Omit<BertConfig, 'vocabSize'>; batch: number; length: number; steps: number }> = {
  tiny: { config: { ...TINY_BERT, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 256 }, batch: 16, length: 64, steps: 20 },
  small: { config: { ...TINY_BERT, hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 2, intermediateSize: 512 }, batch: 32, length: 128, steps: 10 },
  base: { config: BASE_BERT, batch: 8, length: 128, steps: 3 },
};

type Family = OpFamily | 'optimizer';
const FAMILIES: Family[] = ['gemm', 'attention', 'layernorm', 'gelu', 'embeddings', 'dropout', 'losses', 'ot', 'optimizer', 'other'];

interface Row {
  geometry: string;
  batch: number;
  tokens: number;
  threads: number;
  engine: 'native';
  parameters: number;
  gemm: string;
  isa: string;
  msPerStep: number;
  msPerStepMin: number;
  tokensPerSecond: number;
  peakRssMiB: number;
  share: Record<Family, number>;
  error?: string;
}

function spec(config: BertConfig, batch: number, length: number, seed: number): StepSpec {
  const rng = new Rng(seed);
  const T = batch * length;
  const ids = Int32Array.from({ length: T }, () => 1 + rng.int(config.vocabSize - 1));
  const mask = new Uint8Array(T).fill(1);
  const rows = new Int32Array(batch).fill(length);
  const teacher = Float32Array.from({ length: T * config.hiddenSize }, () => rng.normal());
  return {
    inputs: [{ ids, mask, batch, length }],
    terms: [{ kind: 'ot', input: 0, teacher, rows, cost: 'cosine', sinkhorn: { eps: 0.05, maxIter: 200, tol: 1e-4 } }],
    training: true,
    seed,
    profile: true,
  };
}

async function child(geometry: string, threads: number, steps: number, vocab: number, batchOverride?: number, lengthOverride?: number): Promise<Row> {
  const g = GEOMETRIES[geometry];
  const config: BertConfig = { ...g.config, vocabSize: vocab, maxPositionEmbeddings: Math.max(512, lengthOverride ?? 0) };
  const batch = batchOverride ?? g.batch;
  const length = lengthOverride ?? g.length;
  const engine = (await randomEngine(config, { engine: 'native', threads, seed: 1 })) as NativeEngine;
  const info = engine.info();
  const totals = Object.fromEntries(FAMILIES.map((f) => [f, 0])) as Record<Family, number>;
  const times: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const input = spec(config, batch, length, s);
    const t0 = performance.now();
    const r = await engine.step(input);
    const t1 = performance.now();
    await engine.optimizerStep({ lr: 1e-4, weightDecay: 0.01, clipNorm: 1 });
    const t2 = performance.now();
    if (s === 0) continue; // warm-up: first-touch page faults, workspace allocation
    times.push(t2 - t0);
    for (const f of FAMILIES) if (f !== 'optimizer') totals[f] += r.profile![f as OpFamily];
    totals.optimizer += t2 - t1;
  }
  const sum = FAMILIES.reduce((s, f) => s + totals[f], 0);
  const share = Object.fromEntries(FAMILIES.map((f) => [f, totals[f] / sum])) as Record<Family, number>;
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  engine.dispose();
  return {
    geometry, batch, tokens: length, threads, engine: 'native', parameters: info.parameters, gemm: info.gemm, isa: info.isa,
    msPerStep: median, msPerStepMin: sorted[0], tokensPerSecond: (batch * length) / (median / 1000),
    peakRssMiB: process.resourceUsage().maxRSS / 1024, share,
  };
}

const { values } = parseArgs({
  options: {
    geometries: { type: 'string', default: 'tiny,small,base' },
    threads: { type: 'string', default: '1,2' },
    steps: { type: 'string' },
    vocab: { type: 'string', default: '30522' },
    batch: { type: 'string' },
    length: { type: 'string' },
    json: { type: 'string' },
    child: { type: 'string' },
  },
});
const vocab = Number(values.vocab);
const batch = values.batch === undefined ? undefined : Number(values.batch);
const length = values.length === undefined ? undefined : Number(values.length);

if (values.child) {
  const [geometry, threads] = values.child.split(':');
  const steps = Number(values.steps ?? GEOMETRIES[geometry].steps);
  process.stdout.write(JSON.stringify(await child(geometry, Number(threads), steps, vocab, batch, length)));
} else {
  const rows: Row[] = [];
  console.log(`native engine step (student fwd + bwd + OT loss + AdamW), vocab ${vocab}; ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
  console.log('geometry  batch×len  thr  params   gemm                 ms/step (min)     tok/s   RSS MiB  share: ' + FAMILIES.join(' / '));
  for (const geometry of values.geometries!.split(',')) {
    if (!GEOMETRIES[geometry]) throw new RangeError(`--geometries: unknown geometry '${geometry}' (tiny, small, base)`);
    for (const threads of values.threads!.split(',').map(Number)) {
      const args = [fileURLToPath(import.meta.url), '--child', `${geometry}:${threads}`, '--vocab', String(vocab)];
      if (values.steps) args.push('--steps', values.steps);
      if (batch !== undefined) args.push('--batch', String(batch));
      if (length !== undefined) args.push('--length', String(length));
      let row: Row;
      try {
        row = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] }));
      } catch (err) {
        const g = GEOMETRIES[geometry];
        row = { geometry, batch: batch ?? g.batch, tokens: length ?? g.length, threads, engine: 'native', error: (err as Error).message.split('\n')[0] } as Row;
        console.log(`${geometry.padEnd(9)} failed: ${row.error}`);
        rows.push(row);
        continue;
      }
      rows.push(row);
      const shares = FAMILIES.map((f) => `${(100 * row.share[f]).toFixed(0)}%`).join(' / ');
      console.log(`${geometry.padEnd(9)} ${`${row.batch}×${row.tokens}`.padStart(9)}  ${String(threads).padStart(3)}  ${(row.parameters / 1e6).toFixed(1).padStart(5)}M  ${row.gemm.padEnd(20)} ${row.msPerStep.toFixed(1).padStart(8)} (${row.msPerStepMin.toFixed(1)})  ${row.tokensPerSecond.toFixed(0).padStart(7)}  ${row.peakRssMiB.toFixed(0).padStart(7)}  ${shares}`);
    }
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ rows }, null, 2) + '\n');
}
