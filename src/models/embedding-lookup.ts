/**
 * Embedding lookup that can be differentiated on the wasm backend. tf.gather's gradient needs
 * UnsortedSegmentSum, which tfjs-backend-wasm does not implement; a one-hot matmul works but costs
 * batch·length·vocab memory (≈0.5 GB for a 30k vocabulary at 4k tokens). Here the forward pass is a
 * gather and the backward pass a ScatterNd, which sums rows of repeated ids (as the gradient needs)
 * and exists on every backend.
 */
import { tf } from './tf.js';

/**
 * table [V, H], ids int32 of any shape S → [...S, H]. Gradient flows to the table only; with
 * `paddingIdx`, not to that row (torch.nn.Embedding(padding_idx), as HF BERT / RoBERTa).
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor, paddingIdx?: number): tf.Tensor {
  const flatIds = ids.reshape([-1]) as tf.Tensor1D;
  const [vocab, width] = table.shape;
  // customGrad passes the inputs then the save function through one rest parameter.
  const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const t = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([flatIds]);
    return {
      value: tf.gather(t as tf.Tensor2D, flatIds),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const indices = saved[0].reshape([-1, 1]);
        if (paddingIdx === undefined) return tf.scatterND(indices, dy, [vocab, width]);
        const keep = tf.notEqual(saved[0], paddingIdx).toFloat().reshape([-1, 1]);
        return tf.scatterND(indices, dy.mul(keep), [vocab, width]);
      },
    };
  });
  const rows = lookup(table) as tf.Tensor2D;
  return rows.reshape([...ids.shape, width]);
}
