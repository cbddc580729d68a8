/**
 * optical — optimal-transport distillation for cross-lingual retrieval.
 * The OT API is at the top level; the other areas are namespaces (their names overlap, e.g. both
 * `ir` and `data` have a `Topic` type).
 */
export * from './ot/index.js';
export * as ir from './ir/index.js';
export * as data from './data/index.js';
export * as codeswitch from './codeswitch/index.js';
export * as models from './models/index.js';
export * as train from './train/index.js';
export * as plots from './plots/index.js';
