/** Global-norm gradient clipping (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_. */
import { tf } from '../models/tf.js';

/** Global L2 norm over all gradients (one number; synchronises with the backend). */
export function globalNorm(grads: tf.NamedTensorMap): number {
  const parts = Object.values(grads);
  if (parts.length === 0) return 0;
  return tf.tidy(() => tf.sqrt(tf.addN(parts.map((g) => tf.sum(tf.square(g))))).dataSync()[0]);
}

/**
 * Returns new gradient tensors scaled by min(1, maxNorm / globalNorm) (the inputs are not disposed).
 * `info.norm` receives the norm before clipping when an info object is passed.
 */
export function clipByGlobalNorm(grads: tf.NamedTensorMap, maxNorm: number, info?: { norm?: number }): tf.NamedTensorMap {
  if (!(maxNorm > 0)) throw new RangeError(`maxNorm must be > 0, got ${maxNorm}`);
  const norm = globalNorm(grads);
  if (!Number.isFinite(norm)) throw new RangeError(`gradient norm is ${norm}: the loss diverged (lower the learning rate)`);
  if (info) info.norm = norm;
  const scale = norm > maxNorm ? maxNorm / norm : 1;
  const out: tf.NamedTensorMap = {};
  for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale);
  return out;
}
