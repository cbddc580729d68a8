/**
 * The engine's dropout masks in TypeScript: Philox4x32-10 and the mask specification of
 * native/nn/philox.h, bit for bit, so the tfjs reference engine draws exactly the masks the native
 * engine draws (and a CUDA port can be tested against the same numbers).
 *
 * Mask of element e (row-major index into the tensor) at dropout site `stream` of input `input`
 * under step seed s (0 ≤ s < 2^53):
 *   key = (s mod 2^32, ⌊s / 2^32⌋),  counter = (⌊e/4⌋ mod 2^32, ⌊e / 2^34⌋, stream, input),
 *   u = word (e mod 4) of Philox4x32-10(counter, key),  dropped ⇔ u < min(2^32 − 1, ⌊p·2^32⌋),
 *   kept values × float32(1 / (1 − p)).
 *   stream = 16·layer + site; site 1 embeddings (layer 0), 2 attention probabilities, 3 attention
 *   output, 4 feed-forward output, 5 classifier head (layer = number of encoder layers).
 */

export const DROPOUT_SITES = { embeddings: 1, 'attention-probs': 2, 'attention-output': 3, 'feed-forward': 4, classifier: 5 } as const;
export type DropoutSiteName = keyof typeof DROPOUT_SITES;

/** High and low 32 bits of a · b for uint32 a, b (exact: 16-bit halves keep every product below 2^53). */
function mulhilo(a: number, b: number): [number, number] {
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const t1 = a * bl; // < 2^48
  const t2 = a * bh; // < 2^48
  const lo = Math.imul(a, b) >>> 0;
  // a·b = t2·2^16 + t1;  hi = ⌊(t2·2^16 + t1) / 2^32⌋
  const t2hi = Math.floor(t2 / 65536);
  const t2lo = t2 - t2hi * 65536;
  const hi = (t2hi + Math.floor((t2lo * 65536 + t1) / 4294967296)) >>> 0;
  return [hi, lo];
}

/** Philox4x32-10 (Random123): 10 rounds, key bumped by (0x9E3779B9, 0xBB67AE85) between rounds. */
export function philox4x32(counter: [number, number, number, number], key: [number, number]): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    const [hi0, lo0] = mulhilo(0xd2511f53, c0);
    const [hi1, lo1] = mulhilo(0xcd9e8d57, c2);
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

export function dropoutStream(layer: number, site: DropoutSiteName): number {
  return 16 * layer + DROPOUT_SITES[site];
}

/**
 * The mask of `count` elements as multipliers: 0 (dropped) or float32(1/(1−rate)) (kept).
 * `first` is the element index of mask[0].
 */
export function dropoutMultipliers(seed: number, stream: number, input: number, rate: number, count: number, first = 0): Float32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 53) throw new RangeError(`seed must be an integer in [0, 2^53), got ${seed}`);
  const out = new Float32Array(count);
  const t = Math.floor(rate * 4294967296);
  const threshold = t >= 4294967295 ? 4294967295 : t;
  const scale = Math.fround(1 / (1 - rate));
  const key: [number, number] = [seed % 4294967296, Math.floor(seed / 4294967296)];
  let quad = -1;
  let words: number[] = [];
  for (let i = 0; i < count; i++) {
    const e = first + i;
    const q = Math.floor(e / 4);
    if (q !== quad) {
      quad = q;
      words = philox4x32([q % 4294967296, Math.floor(q / 4294967296), stream, input], key);
    }
    out[i] = words[e % 4] < threshold ? 0 : scale;
  }
  return out;
}
