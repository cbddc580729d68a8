/**
 * Encoder throughput: tokens per second of forward + backward (gradients of every parameter) for a BERT config on
 * the active tfjs backend, with a forward-only figure alongside. Random ids, full attention masks,
 * dropout on (training mode), a mean-squared loss on the last hidden state — the shape of work that
 * teacher training and OT distillation both do per step. Exported for `npm run bench:distill`.
 * The optimizer update is left out: AdamW's two moment buffers triple the parameter memory, which for
 * bert-base exceeds what the wasm heap can hold next to the activations.
 */
import { tf } from '../../src/models/tf.js';
import { BertModel } from '../../src/models/bert.js';
import type { BertConfig } from '../../src/models/bert-config.js';
import { Rng } from '../../src/random/rng.js';

export interface EncoderBenchOptions {
  batch: number;
  length: number;
  /** Timed training steps (after one untimed warm-up step). */
  steps: number;
}

export interface EncoderBenchResult {
  config: string;
  parameters: number;
  batch: number;
  length: number;
  steps: number;
  msPerTrainStep: number;
  trainTokensPerSecond: number;
  msPerForward: number;
  forwardTokensPerSecond: number;
}

export function describeConfig(c: BertConfig): string {
  return `h${c.hiddenSize}/L${c.numHiddenLayers}/A${c.numAttentionHeads}/I${c.intermediateSize}/V${c.vocabSize}`;
}

export function benchEncoder(config: BertConfig, options: EncoderBenchOptions): EncoderBenchResult {
  const { batch, length, steps } = options;
  const model = BertModel.random(config, 1, false);
  const rng = new Rng(2);
  const ids = tf.tensor2d(Array.from({ length: batch }, () => Array.from({ length }, () => rng.int(config.vocabSize))), undefined, 'int32');
  const mask = tf.onesLike(ids) as tf.Tensor2D;
  const vars = model.trainableVariables();
  const trainStep = (s: number) => {
    const { value, grads } = tf.variableGrads(() => model.apply(ids, mask, undefined, { training: true, seed: s }).lastHidden.square().mean() as tf.Scalar, vars);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  trainStep(0);
  let t0 = performance.now();
  for (let s = 1; s <= steps; s++) trainStep(s);
  const msPerTrainStep = (performance.now() - t0) / steps;
  const forward = () => tf.tidy(() => model.apply(ids, mask).lastHidden.sum().dataSync());
  forward();
  t0 = performance.now();
  for (let s = 0; s < steps; s++) forward();
  const msPerForward = (performance.now() - t0) / steps;
  const parameters = vars.reduce((n, v) => n + v.size, 0);
  model.dispose();
  tf.dispose([ids, mask]);
  return {
    config: describeConfig(config), parameters, batch, length, steps,
    msPerTrainStep, trainTokensPerSecond: (batch * length * 1000) / msPerTrainStep,
    msPerForward, forwardTokensPerSecond: (batch * length * 1000) / msPerForward,
  };
}
