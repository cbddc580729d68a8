/**
 * Cost matrices from ragged token embeddings: cosine distance (1 − cos), squared Euclidean, or
 * negative dot product, in the concatenated block layout that `sinkhorn` takes.
 */
import { resolveBackend } from './backend.js';
import { costOptions } from './options.js';
import { costMatricesReference } from './reference/cost.js';
import { checkPairs } from './validate.js';
import type { CostOptions, EmbeddingPairs } from './types.js';

function prepare(pairs: EmbeddingPairs, opts: CostOptions) {
  const o = costOptions('costMatrices', opts);
  const { addon } = resolveBackend(opts.backend);
  if (!addon) checkPairs('costMatrices', pairs);
  return { o, addon };
}

export function costMatricesSync(pairs: EmbeddingPairs, opts: CostOptions = {}): Float32Array {
  const { o, addon } = prepare(pairs, opts);
  return addon ? addon.costMatricesSync(pairs, o) : costMatricesReference(pairs, o);
}

export async function costMatrices(pairs: EmbeddingPairs, opts: CostOptions = {}): Promise<Float32Array> {
  const { o, addon } = prepare(pairs, opts);
  return addon ? addon.costMatrices(pairs, o) : costMatricesReference(pairs, o);
}
