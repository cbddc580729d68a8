/** optical — optimal-transport distillation for cross-lingual retrieval. */
export * from './ot/index.js';
