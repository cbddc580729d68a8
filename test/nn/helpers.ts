/** Shared pieces of the engine tests: the PyTorch fixture (test/models/fixtures/tiny-engine) as engine inputs and terms. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fromHfConfig, type BertConfig } from '../../src/models/bert-config.js';
import { readSafetensors, type TensorMap } from '../../src/models/safetensors.js';
import { createEngine, engineTensors, nativeEngineClass } from '../../src/models/engine/index.js';
import type { EncodeInput, Engine, EngineName, LossTerm } from '../../src/models/engine/types.js';

export const FIXTURE = join(import.meta.dirname, '..', 'models', 'fixtures', 'tiny-engine');

interface FixtureInput { ids: number[]; mask: number[]; types?: number[]; batch: number; length: number }
interface FixtureModel {
  config: Record<string, unknown>;
  inputs: FixtureInput[];
  terms: Record<string, Record<string, any>>;
  losses: Record<string, number>;
  bce_labels?: number[];
  mlm_labels?: number[];
  combined_weights?: Record<string, number>;
  adamw?: { lrs: number[]; weight_decay: number; betas: [number, number]; eps: number; clip: number; grad_norms: number[] };
}

export interface Fixture {
  models: Record<'a' | 'b', FixtureModel>;
  reference: TensorMap;
}

let cached: Fixture | undefined;

export async function fixture(): Promise<Fixture> {
  if (!cached) {
    const expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8'));
    cached = { models: expected.models, reference: await readSafetensors(join(FIXTURE, 'reference.safetensors')) };
  }
  return cached;
}

export function ref(f: Fixture, name: string): Float32Array {
  const t = f.reference.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return t.data;
}

export function inputsOf(m: FixtureModel): EncodeInput[] {
  return m.inputs.map((i) => ({
    ids: Int32Array.from(i.ids),
    mask: Uint8Array.from(i.mask),
    ...(i.types ? { types: Int32Array.from(i.types) } : {}),
    batch: i.batch,
    length: i.length,
  }));
}

/** The fixture's loss term `name` of model `m` as an engine term. */
export function termOf(f: Fixture, m: 'a' | 'b', name: string, weight?: number): LossTerm {
  const t = f.models[m].terms[name];
  const w = weight === undefined ? {} : { weight };
  switch (t.kind) {
    case 'infonce':
      return { kind: 'infonce', queries: t.queries, docs: t.docs, positive: Int32Array.from(t.positive), temperature: t.temperature, ...w };
    case 'infonce-target':
      return { kind: 'infonce-target', input: t.input, pooling: t.pooling, positive: Int32Array.from(t.positive), temperature: t.temperature, targets: ref(f, `${m}/infonce_targets`), ...w };
    case 'bce':
      return { kind: 'bce', input: t.input, labels: Float32Array.from(f.models[m].bce_labels!), ...w };
    case 'mse':
    case 'cosine':
      return { kind: t.kind, input: t.input, pooling: t.pooling, layer: t.layer, target: ref(f, `${m}/${t.kind}_target`), ...w };
    case 'mlm':
      return { kind: 'mlm', input: t.input, labels: Int32Array.from(f.models[m].mlm_labels!), ...w };
    case 'ot': {
      const a = f.reference.get(`${m}/ot_a`)?.data;
      const b = f.reference.get(`${m}/ot_b`)?.data;
      return {
        kind: 'ot', input: t.input, layer: t.layer, rows: Int32Array.from(t.rows), teacher: ref(f, `${m}/ot_teacher`), ...(a ? { a } : {}), ...(b ? { b } : {}),
        cost: 'cosine', sinkhorn: { eps: t.eps, tol: 1e-6, maxIter: 5000 }, ...w,
      };
    }
  }
  throw new Error(`unknown term ${name}`);
}

/** Keeps only the inputs the terms use (an unused input is an error), renumbering the terms' references. */
export function subset(inputs: EncodeInput[], terms: LossTerm[]): { inputs: EncodeInput[]; terms: LossTerm[] } {
  const used: number[] = [];
  const map = (i: number) => {
    if (!used.includes(i)) used.push(i);
    return used.indexOf(i);
  };
  const out = terms.map((t): LossTerm => {
    if (t.kind === 'infonce') return { ...t, queries: { ...t.queries, input: map(t.queries.input) }, docs: { ...t.docs, input: map(t.docs.input) } };
    return { ...t, input: map(t.input) } as LossTerm;
  });
  return { inputs: used.map((i) => inputs[i]), terms: out };
}

export function configOf(f: Fixture, m: 'a' | 'b'): BertConfig {
  return fromHfConfig(f.models[m].config);
}

export async function engineFor(f: Fixture, m: 'a' | 'b', engine: EngineName): Promise<Engine> {
  const config = configOf(f, m);
  const tensors = await readSafetensors(join(FIXTURE, `model-${m}.safetensors`));
  return createEngine(config, engineTensors(config, tensors).tensors, { engine });
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** ‖a − b‖∞ / ‖b‖∞ */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return maxAbsDiff(a, b) / Math.max(maxAbs(b), 1e-30);
}

/** Whether the native engine can run here; in CI its absence is a failure, elsewhere a skip with the reason. */
export function nativeAvailable(): { ok: boolean; reason: string } {
  const n = nativeEngineClass();
  if (n.NnModel) return { ok: true, reason: '' };
  if (process.env.CI) throw new Error(`the native engine is required in CI: ${n.reason}`);
  return { ok: false, reason: n.reason };
}
