/**
 * Time of the training steps of a full-scale pre-train → compare study on this machine, for the
 * README's time estimate: one MLM pre-training step (optical pretrain: forward, MLM head with the
 * tied decoder over the vocabulary, backward, AdamW) and one bi-encoder InfoNCE step (teacher
 * fine-tuning and the cs-finetune / hybrid methods: queries and documents, in-batch negatives), on
 * the native engine with random weights and real-length token batches (every row `length` tokens).
 * Prints min and median ms/step over the timed steps (min is the figure least disturbed by other
 * processes) and the hours a config's steps take at that speed.
 *
 *   node dist/bench/nn/pretrain-step.js [--preset small] [--batch 32] [--length 128] [--vocab 16000] [--steps 8] [--threads 0]
 */
import { parseArgs } from 'node:util';
import { randomEngine } from '../../src/models/engine/checkpoint.js';
import type { EncodeInput, Engine, LossTerm } from '../../src/models/engine/types.js';
import { MODEL_PRESETS } from '../../src/compare/teacher.js';
import { IGNORE_LABEL } from '../../src/train/objectives/mlm.js';
import { Rng } from '../../src/random/rng.js';

function tokens(rng: Rng, batch: number, length: number, vocab: number): EncodeInput {
  const ids = new Int32Array(batch * length);
  for (let i = 0; i < ids.length; i++) ids[i] = 5 + rng.int(vocab - 5);
  return { ids, mask: new Uint8Array(batch * length).fill(1), batch, length };
}

async function time(engine: Engine, make: (step: number) => { inputs: EncodeInput[]; terms: LossTerm[] }, steps: number): Promise<{ min: number; median: number }> {
  const ms: number[] = [];
  for (let s = 0; s <= steps; s++) {
    const spec = make(s);
    const t0 = performance.now();
    await engine.step({ ...spec, training: true, seed: s });
    await engine.optimizerStep({ lr: 1e-4, clipNorm: 1 });
    if (s > 0) ms.push(performance.now() - t0); // step 0 warms up (buffers, thread pool)
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0], median: ms[Math.floor(ms.length / 2)] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    preset: { type: 'string', default: 'small' }, batch: { type: 'string', default: '32' }, length: { type: 'string', default: '128' },
    vocab: { type: 'string', default: '16000' }, steps: { type: 'string', default: '8' }, threads: { type: 'string', default: '0' },
  } });
  const preset = MODEL_PRESETS[values.preset as 'tiny' | 'small'];
  if (!preset) throw new RangeError(`--preset must be tiny or small, got '${values.preset}'`);
  const [batch, length, vocab, steps, threads] = [values.batch, values.length, values.vocab, values.steps, values.threads].map(Number);
  const rng = new Rng(1);
  const config = { ...preset, vocabSize: vocab };
  const mlmEngine = await randomEngine(config, { engine: 'native', seed: 1, heads: { mlm: true }, threads });
  const mlm = await time(mlmEngine, () => {
    const input = tokens(rng, batch, length, vocab);
    const labels = new Int32Array(batch * length).fill(IGNORE_LABEL);
    for (let i = 0; i < labels.length; i++) if (rng.bernoulli(0.15)) labels[i] = input.ids[i];
    return { inputs: [input], terms: [{ kind: 'mlm', input: 0, labels }] };
  }, steps);
  mlmEngine.dispose();
  const biEngine = await randomEngine(config, { engine: 'native', seed: 1, threads });
  const infonce = await time(biEngine, () => ({
    inputs: [tokens(rng, batch, Math.min(32, length), vocab), tokens(rng, batch, length, vocab)],
    terms: [{ kind: 'infonce', queries: { input: 0, pooling: 'mean' }, docs: { input: 1, pooling: 'mean' }, positive: Int32Array.from({ length: batch }, (_, i) => i), temperature: 0.05 }],
  }), steps);
  biEngine.dispose();
  const row = (name: string, r: { min: number; median: number }) => `${name.padEnd(42)} ${r.min.toFixed(0).padStart(7)} ${r.median.toFixed(0).padStart(9)}   ${(r.min * 1000 / 3.6e6).toFixed(2).padStart(6)} h`;
  console.log(`preset ${values.preset} (hidden ${preset.hiddenSize}, ${preset.numHiddenLayers} layers), vocab ${vocab}, batch ${batch}, threads ${threads || 'all'}; ${steps} timed steps after one warm-up`);
  console.log(`${'step'.padEnd(42)} ${'min ms'.padStart(7)} ${'median ms'.padStart(9)}   per 1000 steps (min)`);
  console.log(row(`MLM pre-training (${batch} × ${length})`, mlm));
  console.log(row(`InfoNCE (${batch} queries × ${Math.min(32, length)}, docs × ${length})`, infonce));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
