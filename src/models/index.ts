/** Models: tfjs backend selection, BERT-compatible encoder, HF checkpoints (safetensors), tokenizers. */
export { tf, initTf, activeBackend, type TfInitOptions } from './tf.js';
export * from './bert-config.js';
export { BertModel, readCheckpointFolder, bertParameterNames, type ApplyOptions, type BertOutput } from './bert.js';
export * from './safetensors.js';
export * from './tokenizer.js';
export * from './wordpiece-trainer.js';
export * as engine from './engine/index.js';
