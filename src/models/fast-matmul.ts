/**
 * Matrix product whose forward and backward passes use only untransposed matmuls. On the wasm backend
 * (tfjs 4.22, XNNPACK) a matMul with transposeA or transposeB is 8–12× slower than transposing the
 * operand explicitly and multiplying (measured: 4096×128 · (512×128)ᵀ takes 940 ms vs 100 ms), and
 * tf.matMul's own gradient uses exactly those transposed forms. This op makes the transposes explicit
 * in both directions; the numbers are the same, only the memory layout differs.
 */
import { tf } from './tf.js';

function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(t, perm);
}

/** a·b with optional transposes of the last two axes (like tf.matMul), batched over leading axes of equal shape. */
export function fastMatMul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    const y = args[1] as tf.Tensor;
    const A = transposeA ? swapLast(x) : x;
    const B = transposeB ? swapLast(y) : y;
    (args[2] as tf.GradSaveFunc)([A, B]);
    return {
      value: tf.matMul(A as tf.Tensor3D, B as tf.Tensor3D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved;
        const dA = tf.matMul(dy as tf.Tensor3D, swapLast(sb) as tf.Tensor3D);
        const dB = tf.matMul(swapLast(sa) as tf.Tensor3D, dy as tf.Tensor3D);
        return [transposeA ? swapLast(dA) : dA, transposeB ? swapLast(dB) : dB];
      },
    };
  });
  return op(a, b);
}
