/**
 * Token vectors of one hidden layer for a batch of texts, unpadded and copied to the CPU: the form
 * OT distillation and alignment evaluation consume (one [count × hidden] block per sequence).
 */
import { tf } from '../models/tf.js';
import type { BertModel } from '../models/bert.js';
import type { Encoding, TextInput, TextTokenizer } from '../models/tokenizer.js';

export interface LayerTokens {
  encoding: Encoding;
  /** Unpadded token count (special tokens included). */
  count: number;
  /** [count × hidden] row-major. */
  vectors: Float32Array;
}

/** Runs the model without dropout and returns each sequence's tokens at `layer`. */
export function layerTokens(model: BertModel, tokenizer: TextTokenizer, texts: TextInput[], layer: number, maxLength?: number): LayerTokens[] {
  const enc = tokenizer.encodeBatch(texts, null, { maxLength, padding: 'longest' });
  const hidden = tf.tidy(() => {
    const ids = tf.tensor2d(enc.inputIds, undefined, 'int32');
    const mask = tf.tensor2d(enc.attentionMask, undefined, 'int32');
    return model.apply(ids, mask, undefined, { training: false }).hiddenStates[layer];
  });
  const data = hidden.dataSync() as Float32Array;
  const [, L, H] = hidden.shape;
  hidden.dispose();
  return enc.encodings.map((encoding, r) => {
    const count = encoding.attentionMask.reduce((s, v) => s + v, 0);
    return { encoding, count, vectors: data.slice(r * L * H, r * L * H + count * H) };
  });
}

/** Marks special tokens ([CLS], [SEP], padding): those with no sequence id. */
export function specialMask(e: Encoding): boolean[] {
  return e.sequenceIds.map((s) => s === null);
}
