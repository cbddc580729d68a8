/** The roofline model's arithmetic on small cases worked out by hand (bench/cuda/roofline.ts). */
import { describe, expect, it } from 'vitest';
import { H100, compareWithModel, roofTime, sinkhornRoofline, type DeviceModel } from '../../bench/cuda/roofline.js';

// Round numbers so that every expected value below is easy to verify by hand.
const toy: DeviceModel = {
  name: 'toy',
  memoryBandwidth: 100,
  expRate: 10,
  fmaRate: 1000,
  sharedBandwidth: 200,
  sharedBytesPerBlock: 1_000_000,
  pcieBandwidth: 50,
};

describe('sinkhorn roofline model', () => {
  it('counts exps, FMAs and shared-memory bytes of the on-chip log kernel (ragged, checks amortised)', () => {
    // Σ n·m = 2·4 + 3·5 = 23 entries; 2 update passes + 2 check passes every 10 iterations = 2.2 passes.
    const est = sinkhornRoofline({ rows: [2, 3], cols: [4, 5] }, { method: 'log', checkEvery: 10, device: toy });
    expect(est.onChipProblems).toBe(2);
    expect(est.streamingProblems).toBe(0);
    expect(est.perIteration.exps).toBeCloseTo(50.6, 10);
    expect(est.perIteration.fmas).toBeCloseTo(50.6, 10);
    expect(est.perIteration.sharedBytes).toBeCloseTo(2.2 * 23 * 6, 10);
    expect(est.perIteration.bytes).toBe(0);
    // exp roof 50.6/10 = 5.06 s beats shared 303.6/200 = 1.518 s and FMA 0.0506 s.
    expect(est.boundBy).toBe('exp');
    expect(est.secondsPerIteration).toBeCloseTo(5.06, 10);
    // One-time: 4 matrix-sized HBM transfers (C in, C twice in the final pass, plan out) = 368 B,
    // and 2 exps per entry in the final log pass = 46 exps → exp-bound 4.6 s.
    expect(est.oneTime.bytes).toBe(4 * 23 * 4);
    expect(est.oneTime.exps).toBe(46);
    expect(est.kernelSeconds(10)).toBeCloseTo(4.6 + 50.6, 10);
    // Copies: (C + a + b) in, (plan + f + g) out, 5 doubles per problem: (23+5+9)·4·2 + 80 = 376 B.
    expect(est.transferBytes).toBe(376);
    expect(est.totalSeconds(10)).toBeCloseTo(4.6 + 50.6 + 376 / 50, 10);
  });

  it('the scaling form does no exps in the matrix passes, and unbalanced problems skip the check passes', () => {
    const bal = sinkhornRoofline({ B: 3, n: 2, m: 2 }, { method: 'scaling', checkEvery: 5, device: toy });
    // 3 problems × 4 entries × (2 + 2/5) passes = 28.8 FMAs, 0 exps.
    expect(bal.perIteration.exps).toBe(0);
    expect(bal.perIteration.fmas).toBeCloseTo(28.8, 10);
    expect(bal.oneTime.exps).toBe(12); // K' = exp(−(C − min C)/eps), once
    const unb = sinkhornRoofline({ B: 3, n: 2, m: 2 }, { method: 'auto', checkEvery: 5, balanced: false, device: toy });
    expect(unb.perIteration.fmas).toBe(24); // 2 passes only
    expect(unb.perIteration.exps).toBe(3 * 2 * 4); // a power (log + exp) per row and column
  });

  it('problems that do not fit in shared memory stream the matrix from HBM every pass', () => {
    const small = { ...toy, sharedBytesPerBlock: 100 };
    // 2×4: (8 + 5·6)·4 = 152 B > 100 → streaming; 1×1: (1 + 10)·4 = 44 B → on chip.
    const est = sinkhornRoofline({ rows: [2, 1], cols: [4, 1] }, { method: 'log', checkEvery: 10, device: small });
    expect(est.streamingProblems).toBe(1);
    expect(est.onChipProblems).toBe(1);
    expect(est.perIteration.bytes).toBeCloseTo(2.2 * 8 * 4, 10);
    expect(est.perIteration.sharedBytes).toBeCloseTo(2.2 * 1 * 6, 10);
  });

  it('picks the largest roof and rejects malformed shapes', () => {
    expect(roofTime({ bytes: 1000, exps: 1, fmas: 1, sharedBytes: 1 }, toy)).toEqual({ seconds: 10, roof: 'memory' });
    expect(() => sinkhornRoofline({ rows: [1, 2], cols: [1] }, { method: 'log' })).toThrow(RangeError);
    expect(() => sinkhornRoofline({ B: 1, n: 0, m: 3 }, { method: 'log' })).toThrow(/≥ 1/);
    expect(() => sinkhornRoofline({ B: 1, n: 2, m: 3 }, { method: 'log', checkEvery: 0 })).toThrow(/checkEvery/);
  });

  it('H100 defaults: a token-level batch is on-chip and exp-bound; the comparison line shows both numbers', () => {
    const est = sinkhornRoofline({ B: 256, n: 32, m: 128 }, { method: 'log' });
    expect(est.onChipProblems).toBe(256);
    expect(est.boundBy).toBe('exp');
    // 256·32·128·2.2 exps / 3.9e12 per s
    expect(est.secondsPerIteration).toBeCloseTo((256 * 32 * 128 * 2.2) / H100.expRate, 15);
    const line = compareWithModel(2 * est.totalSeconds(100), 100, est);
    expect(line).toMatch(/model .* ms .*measured .* ms = 50% of the roofline/);
  });
});
