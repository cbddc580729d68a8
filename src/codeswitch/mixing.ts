/**
 * Training streams that mix code-switched and monolingual examples at a given ratio. The choice per
 * example is drawn from a seeded PRNG, so the same seed gives the same stream; `exact` mode instead
 * fixes the count (round(ratio·n)) and shuffles which examples get switched, for small sets where
 * Bernoulli noise would move the realised ratio too far.
 */
import { Rng } from '../random/rng.js';

export interface MixOptions {
  /** Share of examples to code-switch, in [0, 1]. */
  ratio: number;
  seed?: number | string;
  /** 'bernoulli' (streaming, default) or 'exact' (needs the whole array). */
  sampling?: 'bernoulli' | 'exact';
}

export interface MixedExample<T> {
  item: T;
  switched: boolean;
}

function checkRatio(ratio: number): void {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`mix: ratio must be in [0, 1], got ${ratio}`);
}

/**
 * Streams `items`, replacing each by `codeSwitch(item, rng)` with probability `ratio`. The same rng
 * is handed to `codeSwitch` so one seed fixes both which examples switch and how.
 */
export function* mixStream<T>(items: Iterable<T>, codeSwitch: (item: T, rng: Rng) => T, opts: MixOptions): Generator<MixedExample<T>> {
  checkRatio(opts.ratio);
  if (opts.sampling === 'exact') {
    yield* mixExact([...items], codeSwitch, opts);
    return;
  }
  const rng = new Rng(opts.seed ?? 0);
  for (const item of items) {
    if (rng.next() < opts.ratio) yield { item: codeSwitch(item, rng), switched: true };
    else yield { item, switched: false };
  }
}

function* mixExact<T>(items: T[], codeSwitch: (item: T, rng: Rng) => T, opts: MixOptions): Generator<MixedExample<T>> {
  const rng = new Rng(opts.seed ?? 0);
  const k = Math.round(opts.ratio * items.length);
  const order = rng.shuffle(items.map((_, i) => i));
  const switchSet = new Set(order.slice(0, k));
  for (let i = 0; i < items.length; i++) {
    yield switchSet.has(i) ? { item: codeSwitch(items[i], rng), switched: true } : { item: items[i], switched: false };
  }
}

/**
 * Interleaves two separate streams (e.g. code-switched pairs and monolingual pairs): each next
 * example comes from `a` with probability `ratio`. Stops when the stream it needs is exhausted, so
 * the realised ratio is never skewed by a shorter stream.
 */
export function* interleave<T>(a: Iterable<T>, b: Iterable<T>, opts: Omit<MixOptions, 'sampling'>): Generator<MixedExample<T>> {
  checkRatio(opts.ratio);
  const rng = new Rng(opts.seed ?? 0);
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const fromA = rng.next() < opts.ratio;
    const next = fromA ? ia.next() : ib.next();
    if (next.done) return;
    yield { item: next.value, switched: fromA };
  }
}
