/** The OT part of optical's public API. */
export { sinkhorn, sinkhornSync } from './sinkhorn.js';
export { costMatrices, costMatricesSync } from './cost.js';
export { otLossStep, otLossStepSync } from './loss-step.js';
export { otLoss, prepareOtLoss, raggedTokens, type TfOtLossOptions, type PreparedOtLoss } from './tfjs-loss.js';
export { backendInfo, resetBackends, type BackendInfo, type BackendAttempt } from './backend.js';
export { sinkhornReference } from './reference/sinkhorn.js';
export { costMatricesReference } from './reference/cost.js';
export { otLossReference } from './reference/loss.js';
export type * from './types.js';
export type { NativeAddon, NativeOptions, CudaProbe, IsaInfo } from './native-addon.js';
