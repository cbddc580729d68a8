/** The encoder engine (native/nn or tfjs): declarative training steps, inference, checkpoints. */
export * from './types.js';
export { createEngine, resolveEngine, engineInfo, nativeEngineClass, type EngineInfo, type CreateEngineOptions } from './choose.js';
export { loadEngine, saveEngine, randomEngine, engineTensors, headParameterNames, randomHeadTensors, checkArchitectures, SUPPORTED_ARCHITECTURES, type LoadEngineOptions, type SaveLayout } from './checkpoint.js';
export { toEncodeInput, rowLengths } from './input.js';
export { NativeEngine } from './native-engine.js';
export { TfjsEngine } from './tfjs-engine.js';
export { philox4x32, dropoutMultipliers, dropoutStream, DROPOUT_SITES } from './philox.js';
