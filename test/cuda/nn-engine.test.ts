/**
 * The native engine on a GPU: the CUDA addon's NnModel (native/cuda/nn) against the CPU addon's
 * (native/nn), and how the engine picks where it runs.
 *
 * Always: the CUDA addon exports NnModel; without a usable device, constructing one fails with
 * ERR_OPTICAL_NO_CUDA_DEVICE and the probe's reason (never a crash), `auto` runs the engine on the
 * CPU saying why, `backend: 'cuda'` refuses with the reason, and a GPU-only option (precision) on
 * the CPU is a RangeError naming it.
 * With a GPU (probe().available): the fixture model with every loss term — losses and hidden states
 * within 1e-5 relative of the CPU engine, every gradient within 1e-4 (per tensor, as
 * test/nn/parity.test.ts), AdamW with clipping; two identical steps give the same bits
 * (determinism); info() reports the device and its memory; a bad device index is a RangeError; a
 * batch too large for the device is a RangeError naming batch and length and the model stays usable.
 * Without one these are skipped with the reason (in CI too: no CI machine has a GPU; the kernels are
 * covered there by the emulator, test/cuda/emulator.test.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBertTensors } from '../../src/models/bert.js';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { createEngine, engineTensors, nativeEngineClass, NativeEngine } from '../../src/models/engine/index.js';
import type { NnModelClass } from '../../src/models/engine/native-engine.js';
import type { LossTerm } from '../../src/models/engine/types.js';
import { resetBackends } from '../../src/ot/backend.js';
import type { CudaProbe } from '../../src/ot/native-addon.js';
import { configOf, fixture, FIXTURE, inputsOf, maxAbs, subset, termOf, type Fixture } from '../nn/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cudaPath = resolve(root, process.env.OPTICAL_CUDA_PATH ?? 'build-cuda/Release/optical_cuda.node');
const cpuPath = resolve(root, process.env.OPTICAL_NATIVE_PATH ?? 'build/Release/optical.node');
const load = createRequire(import.meta.url);

const built = existsSync(cudaPath) && existsSync(cpuPath);
const cudaAddon = built ? (load(cudaPath) as { NnModel?: NnModelClass; probe(): CudaProbe }) : undefined;
const cpuAddon = built ? (load(cpuPath) as { NnModel?: NnModelClass }) : undefined;
const probe = cudaAddon?.probe();
const gpu = probe?.available === true;
if (!built) console.warn(`CUDA engine tests: ${cudaPath} or ${cpuPath} is not built${process.env.CI ? ' — required in CI' : '; skipping'}`);
else if (!gpu) console.info(`CUDA engine GPU tests skipped: ${probe?.reason ?? 'probe() missing'}`);

const TERMS = ['infonce', 'infonce-target', 'bce', 'mse', 'cosine', 'mlm', 'ot'];

describe('CUDA engine without a device', () => {
  const saved = { backend: process.env.OPTICAL_BACKEND, quiet: process.env.OPTICAL_QUIET };
  afterEach(() => {
    for (const [k, v] of [['OPTICAL_BACKEND', saved.backend], ['OPTICAL_QUIET', saved.quiet]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetBackends();
  });

  it('the CUDA addon exports NnModel', () => {
    if (!built) {
      if (process.env.CI) throw new Error(`${cudaPath} must be built in CI (npm run build:cuda)`);
      return;
    }
    expect(typeof cudaAddon!.NnModel).toBe('function');
  });

  it.skipIf(!built || gpu)('refuses to construct a model with the probe\'s reason, and the engine runs on the CPU saying why', async () => {
    const f = await fixture();
    const config = configOf(f, 'a');
    const tensors = engineTensors(config, await readSafetensors(join(FIXTURE, 'model-a.safetensors'))).tensors;
    const js = Object.fromEntries([...tensors].map(([k, v]) => [k, { shape: [...v.shape], data: v.data }]));
    let error: (Error & { code?: string }) | undefined;
    try {
      new cudaAddon!.NnModel!(config, js);
    } catch (err) {
      error = err as Error & { code?: string };
    }
    expect(error?.code).toBe('ERR_OPTICAL_NO_CUDA_DEVICE');
    expect(error?.message).toContain(probe!.reason);

    process.env.OPTICAL_QUIET = '1';
    resetBackends();
    const auto = nativeEngineClass();
    expect(auto.device).toBe('cpu');
    expect(auto.reason).toContain('no usable device');
    expect(auto.reason).toContain(probe!.reason);
    const pinned = nativeEngineClass('cuda');
    expect(pinned.NnModel).toBeUndefined();
    expect(pinned.reason).toContain(probe!.reason);
    process.env.OPTICAL_BACKEND = 'cuda';
    resetBackends();
    await expect(createEngine(config, tensors, { engine: 'native' })).rejects.toThrow(/native engine is not available.*no usable device/);
    delete process.env.OPTICAL_BACKEND;
    resetBackends();
    await expect(createEngine(config, tensors, { engine: 'native', precision: 'tf32' })).rejects.toThrow(RangeError);
    const e = await createEngine(config, tensors, { engine: 'native' });
    expect((e as NativeEngine).info().engine).toBe('cpu');
    e.dispose();
  });
});

describe.skipIf(!gpu)('CUDA engine vs the CPU engine (needs a GPU)', () => {
  let f: Fixture;
  let cpu: NativeEngine;
  let cuda: NativeEngine;
  beforeAll(async () => {
    f = await fixture();
    const config = configOf(f, 'a');
    const tensors = engineTensors(config, await readSafetensors(join(FIXTURE, 'model-a.safetensors'))).tensors;
    cpu = new NativeEngine(cpuAddon!.NnModel!, config, tensors, 0);
    cuda = new NativeEngine(cudaAddon!.NnModel!, config, tensors, 0, {});
  });

  const spec = (terms: LossTerm[], training: boolean) => ({ ...subset(inputsOf(f.models.a), terms), training, seed: 1234 });
  const allTerms = () => TERMS.map((t) => termOf(f, 'a', t));

  it('reports the device and its memory', () => {
    const info = cuda.info();
    expect(info.engine).toBe('cuda');
    expect(info.totalMemory).toBeGreaterThan(0);
    expect(info.freeMemory).toBeGreaterThan(0);
    expect(info.freeMemory!).toBeLessThanOrEqual(info.totalMemory!);
    expect(info.deviceName).toBe(probe!.devices[info.device!].name);
    expect(info.precision).toBe('fp32');
  });

  it.each([false, true])('every loss term (dropout %s): losses 1e-5, gradients 1e-4 relative', async (training) => {
    await cpu.zeroGradients();
    await cuda.zeroGradients();
    const s = spec(allTerms(), training);
    const rc = await cpu.step(s);
    const rg = await cuda.step(s);
    expect(Math.abs(rg.loss - rc.loss)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(rc.loss)));
    rc.terms.forEach((t, k) => expect(Math.abs(rg.terms[k].value - t.value)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(t.value))));
    const gc = await cpu.getGradients();
    const gg = await cuda.getGradients();
    const scale = Math.max(...[...gc.values()].map((g) => maxAbs(g.data)));
    for (const [name, want] of gc) {
      const got = gg.get(name)!.data;
      let err = 0;
      for (let i = 0; i < want.data.length; i++) err = Math.max(err, Math.abs(got[i] - want.data[i]));
      expect(err, name).toBeLessThanOrEqual(1e-4 * maxAbs(want.data) + 1e-7 * scale);
    }
  });

  it('hidden states and pooled vectors within 1e-5', async () => {
    const input = inputsOf(f.models.a)[0];
    const layers = Array.from({ length: cpu.config.numHiddenLayers + 1 }, (_, i) => i);
    const rc = await cpu.encode(input, { layers, pooling: 'mean', normalize: true });
    const rg = await cuda.encode(input, { layers, pooling: 'mean', normalize: true });
    const rel = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0) / Math.max(maxAbs(b), 1e-30);
    rc.hidden.forEach((h, l) => expect(rel(rg.hidden[l], h), `layer ${l}`).toBeLessThanOrEqual(1e-5));
    expect(rel(rg.pooled!, rc.pooled!)).toBeLessThanOrEqual(1e-5);
  });

  it('is deterministic: the same step twice gives the same bits', async () => {
    const grads = async () => {
      await cuda.zeroGradients();
      await cuda.step(spec(allTerms(), true));
      return cuda.getGradients();
    };
    const one = await grads();
    const two = await grads();
    for (const [name, g] of one) expect(Buffer.from(two.get(name)!.data.buffer).equals(Buffer.from(g.data.buffer)), name).toBe(true);
  });

  it('AdamW with clipping matches the CPU engine', async () => {
    for (const e of [cpu, cuda]) {
      await e.zeroGradients();
      await e.step(spec(allTerms(), false));
    }
    const o = { lr: 1e-3, weightDecay: 0.01, clipNorm: 0.5 };
    const rc = await cpu.optimizerStep(o);
    const rg = await cuda.optimizerStep(o);
    expect(Math.abs(rg.gradNorm - rc.gradNorm)).toBeLessThanOrEqual(1e-4 * rc.gradNorm);
    const pc = await cpu.getParameters();
    const pg = await cuda.getParameters();
    for (const [name, want] of pc) {
      const got = pg.get(name)!.data;
      let err = 0;
      for (let i = 0; i < want.data.length; i++) err = Math.max(err, Math.abs(got[i] - want.data[i]));
      // One AdamW step moves a parameter by at most about lr; gradients near zero may differ in sign.
      expect(err, name).toBeLessThanOrEqual(2 * o.lr);
    }
  });

  it('a bad device index is a RangeError naming it', async () => {
    const config = configOf(f, 'a');
    const tensors = engineTensors(config, await readSafetensors(join(FIXTURE, 'model-a.safetensors'))).tensors;
    await expect(createEngine(config, tensors, { engine: 'native', cudaDevice: probe!.deviceCount + 3 })).rejects.toThrow(/options\.device/);
  });

  it('out of device memory: a RangeError naming batch and length, and the process stays usable', async () => {
    // A wide model and a batch whose activations (≈ 200 GB) exceed any single GPU of today.
    const config: BertConfig = { ...TINY_BERT, vocabSize: 100, hiddenSize: 1024, intermediateSize: 4096, numAttentionHeads: 16, numHiddenLayers: 2, maxPositionEmbeddings: 512 };
    const wide = new NativeEngine(cudaAddon!.NnModel!, config, randomBertTensors(config, 1, false), 0, {});
    const batch = 2048;
    const length = 512;
    const big = { batch, length, ids: new Int32Array(batch * length).fill(5), mask: new Uint8Array(batch * length).fill(1) };
    const term: LossTerm = { kind: 'mse', input: 0, pooling: 'mean', target: new Float32Array(batch * config.hiddenSize) };
    await expect(wide.step({ inputs: [big], terms: [term], training: true, seed: 0 })).rejects.toThrow(new RegExp(`batch ${batch} × length ${length}`));
    const small = { batch: 2, length: 8, ids: new Int32Array(16).fill(5), mask: new Uint8Array(16).fill(1) };
    const after = await wide.step({ inputs: [small], terms: [{ ...term, target: new Float32Array(2 * config.hiddenSize) }], training: true, seed: 0 });
    expect(Number.isFinite(after.loss)).toBe(true);
    wide.dispose();
    const again = await cuda.step(spec(allTerms(), false));
    expect(Number.isFinite(again.loss)).toBe(true);
  });
});
