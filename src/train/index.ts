/** Training: one loop for every objective, the ranking models over the engine, OPTICAL distillation and its evaluation. */
export * from './ranking-model.js';
export type { Objective, Trainable, StepContext, BatchSpec } from './objective.js';
export { CrossEncoder } from './cross-encoder.js';
export { BiEncoder } from './bi-encoder.js';
export { loadRankingModel } from './load-ranking-model.js';
export * from './trainer.js';
export { TrainingDivergedError } from './divergence.js';
export { linearWarmupDecay } from './schedule.js';
export { InfoNceObjective } from './objectives/infonce.js';
export { BceObjective } from './objectives/bce.js';
export { HybridObjective, HybridBatchModel } from './objectives/hybrid.js';
export { OpticalObjective } from './objectives/optical.js';
export { trainTeacher } from './train-teacher.js';
export { distill, readDistillLog, type DistillOptions, type DistillPair, type DistillResult, type DistillStepRecord } from './distill.js';
export { alignmentAccuracy, wordTranslationAccuracy, type AlignmentExample, type AlignmentScore } from './alignment-eval.js';
