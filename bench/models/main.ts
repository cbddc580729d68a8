/**
 * Bench: encoder forward+backward throughput for the tiny CPU config and a bert-base config.
 *   npm run build:ts && node dist/bench/models/main.js [--backend wasm|cpu|tensorflow] [--steps N] [--quick]
 * --quick runs only the tiny configs. The base config (default batch 1 × 128 tokens: larger batches
 * abort with an out-of-memory in the wasm heap, which is capped below 4 GB and must hold weights,
 * gradients and activations) takes minutes on two cores; its numbers say whether a base-size teacher
 * is realistic on this machine.
 */
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { initTf, type BackendName } from '../../src/models/tf.js';
import { BASE_BERT, TINY_BERT } from '../../src/models/bert-config.js';
import { benchEncoder } from './encoder-throughput.js';

const { values } = parseArgs({ options: { backend: { type: 'string' }, steps: { type: 'string' }, quick: { type: 'boolean' }, 'base-batch': { type: 'string' }, 'base-length': { type: 'string' } } });
const backend = await initTf(values.backend ? { backend: values.backend as BackendName } : {});
const steps = Number(values.steps ?? 3);
if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps must be a positive integer, got ${values.steps}`);
console.log(`backend ${backend}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
const cases = [
  { name: 'tiny', config: { ...TINY_BERT, vocabSize: 8000 }, batch: 32, length: 128, steps: steps * 3 },
  { name: 'tiny-short', config: { ...TINY_BERT, vocabSize: 8000 }, batch: 64, length: 32, steps: steps * 3 },
  // The base case runs last: if the wasm heap overflows, the tiny results are already printed.
  ...(values.quick ? [] : [{ name: 'base', config: { ...BASE_BERT, vocabSize: 30522 }, batch: Number(values['base-batch'] ?? 1), length: Number(values['base-length'] ?? 128), steps }]),
];
console.log('case        config                      params      batch×len  train ms/step  train tok/s  fwd ms  fwd tok/s');
for (const c of cases) {
  const r = benchEncoder(c.config, { batch: c.batch, length: c.length, steps: c.steps });
  console.log(`${c.name.padEnd(11)} ${r.config.padEnd(27)} ${(r.parameters / 1e6).toFixed(2).padStart(7)}M  ${`${r.batch}×${r.length}`.padStart(9)}  ${r.msPerTrainStep.toFixed(0).padStart(13)}  ${r.trainTokensPerSecond.toFixed(0).padStart(11)}  ${r.msPerForward.toFixed(0).padStart(6)}  ${r.forwardTokensPerSecond.toFixed(0).padStart(9)}`);
}
