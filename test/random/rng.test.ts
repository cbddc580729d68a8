import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/random/rng.js';

describe('Rng (xoshiro128**, the one generator)', () => {
  it('keeps the stream of earlier releases (data splits, code-switching and sotu pairs depend on it)', () => {
    const r = new Rng(1);
    expect(Array.from({ length: 4 }, () => r.nextUint32())).toEqual([2442144158, 3238099751, 3819917871, 2104621829]);
    const s = new Rng('optical');
    expect([s.int(1000), s.int(1000), s.next()]).toEqual([276, 786, 0.9033076232299209]);
  });

  it('is deterministic, seed-sensitive and roughly uniform', () => {
    const a = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(1)));
    const b = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(1)));
    const c = Array.from({ length: 5 }, ((r) => () => r.nextUint32())(new Rng(2)));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const r = new Rng('uniform');
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 100000; i++) bins[r.int(10)]++;
    for (const n of bins) expect(Math.abs(n - 10000)).toBeLessThan(500);
    expect(() => new Rng(NaN)).toThrow(/seed must be a finite number/);
    expect(() => r.weighted([0, 0])).toThrow(/must not all be zero/);
  });

  it('state round-trips through JSON, including a pending normal deviate', () => {
    const a = new Rng(1);
    a.next();
    a.normal(); // leaves the second Box–Muller value cached
    const st = JSON.parse(JSON.stringify(a.getState()));
    expect(st.spareNormal).toEqual(expect.any(Number));
    const expected = [a.normal(), a.next(), a.int(7), a.normal()];
    const b = new Rng(st);
    expect([b.normal(), b.next(), b.int(7), b.normal()]).toEqual(expected);
    const c = new Rng(5);
    c.setState(st);
    expect([c.normal(), c.next(), c.int(7), c.normal()]).toEqual(expected);
  });

  it('rejects a malformed state with a named error', () => {
    expect(() => new Rng({ words: [1, 2, 3], spareNormal: null } as never)).toThrow(/Rng state must be \{words: \[4 unsigned 32-bit integers\]/);
    // The state format of the older sfc32 generator (a bare array) is refused, not misread.
    expect(() => new Rng([1, 2, 3, 4] as never)).toThrow(/Rng state/);
    expect(() => new Rng({ words: [0, 0, 0, 0], spareNormal: null })).toThrow(/all zero/);
    expect(() => new Rng({ words: [1, 2, 3, 4], spareNormal: NaN })).toThrow(/spareNormal/);
  });
});
