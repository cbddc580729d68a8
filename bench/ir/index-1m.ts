/**
 * Bench: build the BM25 inverted index over a synthetic collection of N short documents (default
 * 1,000,000; 5–25 tokens each, Zipf(1.07) over a 200k-word vocabulary, seeded) and run 1,000
 * queries. Reports generation and build time (generation measured in a separate pass and subtracted),
 * heap/RSS growth and query latency. Speed goals live here, not in
 * tests.
 *   npm run build:ts && node --expose-gc dist/bench/ir/index-1m.js [numDocs]
 */
import { InvertedIndexBuilder } from '../../src/ir/bm25/inverted-index.js';
import { Bm25, countTerms } from '../../src/ir/bm25/bm25.js';
import { Rng } from '../../src/random/rng.js';

const numDocs = Number(process.argv[2] ?? 1_000_000);
if (!Number.isInteger(numDocs) || numDocs < 1) throw new RangeError(`numDocs must be a positive integer, got ${process.argv[2]}`);
const VOCAB = 200_000;
let rng = new Rng(2024);

// Zipf sampling by inverse CDF over precomputed cumulative weights (binary search).
const cdf = new Float64Array(VOCAB);
let acc = 0;
for (let r = 0; r < VOCAB; r++) {
  acc += 1 / Math.pow(r + 1, 1.07);
  cdf[r] = acc;
}
const words = Array.from({ length: VOCAB }, (_, i) => `w${i.toString(36)}`);
function sampleWord(): string {
  const u = rng.nextFloat() * acc;
  let lo = 0;
  let hi = VOCAB - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return words[lo];
}

// Pass 1 only generates the text, so its time can be subtracted from the indexing pass below
// (same seed, same documents).
const terms: string[] = [];
const tg0 = performance.now();
let generatedTokens = 0;
for (let d = 0; d < numDocs; d++) {
  terms.length = 0;
  const len = 5 + rng.int(21);
  for (let i = 0; i < len; i++) terms.push(sampleWord());
  generatedTokens += terms.length;
}
const generateSeconds = (performance.now() - tg0) / 1000;
rng = new Rng(2024);

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage();
const t0 = performance.now();
const builder = new InvertedIndexBuilder();
for (let d = 0; d < numDocs; d++) {
  terms.length = 0;
  const len = 5 + rng.int(21);
  for (let i = 0; i < len; i++) terms.push(sampleWord());
  builder.add(`doc${d}`, terms);
}
const tAdded = performance.now();
const index = builder.build();
const tBuilt = performance.now();
gc?.();
const after = process.memoryUsage();

const bm25 = new Bm25(index);
const queries = Array.from({ length: 1000 }, () => countTerms(Array.from({ length: 3 + rng.int(5) }, sampleWord)));
const tq0 = performance.now();
let hits = 0;
for (const q of queries) hits += bm25.search(q, 1000).length;
const tq1 = performance.now();

const mb = (b: number) => (b / 2 ** 20).toFixed(0);
console.log(JSON.stringify({
  numDocs,
  numTerms: index.numTerms,
  numPostings: index.numPostings,
  tokens: generatedTokens,
  generateSeconds: +generateSeconds.toFixed(2),
  addSecondsInclGeneration: +((tAdded - t0) / 1000).toFixed(2),
  indexSecondsExclGeneration: +((tBuilt - t0) / 1000 - generateSeconds).toFixed(2),
  buildSeconds: +((tBuilt - tAdded) / 1000).toFixed(2),
  totalIndexSeconds: +((tBuilt - t0) / 1000).toFixed(2),
  typedArrayMB: +mb(index.typedArrayBytes),
  heapGrowthMB: +mb(after.heapUsed - before.heapUsed),
  rssGrowthMB: +mb(after.rss - before.rss),
  rssMB: +mb(after.rss),
  gcExposed: gc !== undefined,
  queries: queries.length,
  msPerQueryTop1000: +((tq1 - tq0) / queries.length).toFixed(2),
  meanHits: +(hits / queries.length).toFixed(0),
}));
