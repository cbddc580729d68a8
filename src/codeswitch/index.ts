/** Code-switching: generation with alignments, measures, and mixed training streams. */
export * from './codeswitch.js';
export * from './measures.js';
export * from './mixing.js';
export * from './alignment-eval.js';
