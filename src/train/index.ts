/** Training: ranking heads, the teacher trainer, OPTICAL distillation and its evaluation. */
export * from './ranking-model.js';
export { CrossEncoder } from './cross-encoder.js';
export { BiEncoder } from './bi-encoder.js';
export { loadRankingModel } from './load-ranking-model.js';
export * from './trainer.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { linearWarmupDecay } from './schedule.js';
export { clipByGlobalNorm, globalNorm } from './clip.js';
export { trainTeacher } from './train-teacher.js';
export { distill, type DistillOptions, type DistillPair, type DistillResult, type DistillStepRecord } from './distill.js';
export { alignmentAccuracy, wordTranslationAccuracy, type AlignmentExample, type AlignmentScore } from './alignment-eval.js';
