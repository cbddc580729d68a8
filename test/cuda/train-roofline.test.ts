/** The training-step roofline (bench/cuda/train-roofline.ts) on cases checked independently. */
import { describe, expect, it } from 'vitest';
import { encoderParameters, gemmWork, H100_TRAIN, trainRoofline, trainRooflineLine, type TrainDeviceModel } from '../../bench/cuda/train-roofline.js';
import { H100, sinkhornRoofline } from '../../bench/cuda/roofline.js';
import { GEOMETRIES, stepFlops } from '../../bench/nn/step.js';
import { randomBertTensors } from '../../src/models/bert.js';

const toy: TrainDeviceModel = { name: 'toy', memoryBandwidth: 1e3, gemmFlops: { fp32: 1e4, tf32: 1e5, bf16: 2e5 }, sinkhorn: { ...H100, name: 'toy' } };

describe('training-step roofline model', () => {
  it('one product: 2·M·N·K FLOPs, operands read once, the output written once (read too when accumulating)', () => {
    expect(gemmWork(2, 3, 5)).toEqual({ flops: 60, bytes: 4 * (10 + 15 + 6) });
    expect(gemmWork(2, 3, 5, 4, true)).toEqual({ flops: 240, bytes: 4 * 4 * (10 + 15 + 12) });
  });

  it('counts the matrix FLOPs of a step as bench:train does (3 × forward), for every geometry', () => {
    for (const [name, g] of Object.entries(GEOMETRIES)) {
      const est = trainRoofline({ config: g.config, batch: g.batch, length: g.length, parameters: 1000, sinkhornIterations: 10 });
      expect(est.gemm.flops, name).toBe(stepFlops(g.config, g.batch, g.length));
    }
  });

  it('counts the parameters the engine trains (randomBertTensors without the pooler)', () => {
    const config = { ...GEOMETRIES.tiny.config, vocabSize: 97 };
    const tensors = randomBertTensors(config, 0, false);
    const count = [...tensors.values()].reduce((n, t) => n + t.data.length, 0);
    expect(encoderParameters(GEOMETRIES.tiny.config, 97)).toBe(count);
  });

  it('adds the parts, each under its own roof; the GEMM roof follows the precision', () => {
    const g = GEOMETRIES.tiny;
    const shape = { config: g.config, batch: g.batch, length: g.length, parameters: 5000, sinkhornIterations: 7, device: toy };
    const fp32 = trainRoofline(shape);
    expect(fp32.gemm.seconds).toBeCloseTo(Math.max(fp32.gemm.flops / 1e4, fp32.gemm.bytes / 1e3), 12);
    expect(fp32.elementwise.seconds).toBeCloseTo(fp32.elementwise.bytes / 1e3, 12);
    // AdamW: the norm pass (4 B) and p, g, m, v read and written (32 B) per parameter.
    expect(fp32.adamw.bytes).toBe(5000 * 36);
    expect(fp32.adamw.seconds).toBeCloseTo(5000 * 36 / 1e3, 12);
    // The OT part contains the Sinkhorn model's kernel time for the same problems and iterations.
    const ot = sinkhornRoofline({ B: g.batch, n: g.length, m: g.length }, { method: 'log', device: toy.sinkhorn });
    expect(fp32.ot.seconds).toBeGreaterThan(ot.kernelSeconds(7));
    expect(fp32.seconds).toBeCloseTo(fp32.gemm.seconds + fp32.elementwise.seconds + fp32.ot.seconds + fp32.adamw.seconds, 12);
    const tf32 = trainRoofline({ ...shape, precision: 'tf32' });
    expect(tf32.gemm.seconds).toBeCloseTo(Math.max(tf32.gemm.flops / 1e5, tf32.gemm.bytes / 1e3), 12);
    expect(tf32.elementwise).toEqual(fp32.elementwise);
    expect(tf32.seconds).toBeLessThan(fp32.seconds);
  });

  it('bert-base 8 × 128 on an H100 in FP32 is GEMM-bound', () => {
    const g = GEOMETRIES.base;
    const est = trainRoofline({ config: g.config, batch: g.batch, length: g.length, parameters: encoderParameters(g.config, 30522), sinkhornIterations: 50, device: H100_TRAIN });
    expect(est.dominant).toBe('gemm');
    // 3 × forward = 536 GFLOP: 8.0 ms at 66.9 TFLOP/s (the FP32 roof).
    expect(est.gemm.seconds).toBeCloseTo(stepFlops(g.config, g.batch, g.length) / 66.9e12, 12);
    expect(trainRooflineLine('base', est)).toMatch(/^base: roofline [\d.]+ ms\/step on H100 SXM \(model\), fp32 GEMMs \(gemm [\d.]+ ms, .*; no GPU row$/);
    expect(trainRooflineLine('base', est, 2 * est.seconds * 1e3)).toMatch(/= 50% of the roofline$/);
  });

  it('refuses impossible shapes with the argument named', () => {
    const g = GEOMETRIES.tiny;
    expect(() => trainRoofline({ config: g.config, batch: 0, length: 8, parameters: 1, sinkhornIterations: 1 })).toThrow(/batch must be an integer ≥ 1, got 0/);
    expect(() => trainRoofline({ config: g.config, batch: 1, length: 8, parameters: 1, sinkhornIterations: -1 })).toThrow(/sinkhornIterations/);
  });
});
