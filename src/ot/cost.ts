/**
 * Cost matrices from ragged token embeddings: cosine distance (1 − cos), squared Euclidean, or
 * negative dot product, in the concatenated block layout that `sinkhorn` takes.
 */
import { resolveBackend } from './backend.js';
import { costKind, sinkhornOptions } from './options.js';
import { costMatricesReference } from './reference/cost.js';
import { checkPairs } from './validate.js';
import type { CostOptions, EmbeddingPairs } from './types.js';

function nativeCostOptions(opts: CostOptions) {
  return { ...sinkhornOptions('costMatrices', { threads: opts.threads }), kind: costKind('costMatrices', opts.kind) };
}

export function costMatricesSync(pairs: EmbeddingPairs, opts: CostOptions = {}): Float32Array {
  const o = nativeCostOptions(opts);
  const { addon } = resolveBackend(opts.backend);
  if (addon) return addon.costMatricesSync(pairs, o);
  checkPairs('costMatrices', pairs);
  return costMatricesReference(pairs, o);
}

export async function costMatrices(pairs: EmbeddingPairs, opts: CostOptions = {}): Promise<Float32Array> {
  const o = nativeCostOptions(opts);
  const { addon } = resolveBackend(opts.backend);
  if (addon) return addon.costMatrices(pairs, o);
  checkPairs('costMatrices', pairs);
  return costMatricesReference(pairs, o);
}
