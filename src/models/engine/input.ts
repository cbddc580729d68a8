/** Token batches for the engine from the tokenizer's padded encodings. */
import type { BatchEncoding } from '../tokenizer.js';
import type { EncodeInput } from './types.js';

/** A padded BatchEncoding (all rows the same length) as an EncodeInput; `types` only when any is non-zero. */
export function toEncodeInput(enc: Pick<BatchEncoding, 'inputIds' | 'attentionMask' | 'tokenTypeIds'>): EncodeInput {
  const batch = enc.inputIds.length;
  if (batch === 0) throw new RangeError('toEncodeInput: the batch is empty');
  const length = enc.inputIds[0].length;
  const ids = new Int32Array(batch * length);
  const mask = new Uint8Array(batch * length);
  const types = new Int32Array(batch * length);
  let anyType = false;
  for (let b = 0; b < batch; b++) {
    if (enc.inputIds[b].length !== length || enc.attentionMask[b].length !== length) {
      throw new RangeError(`toEncodeInput: row ${b} has ${enc.inputIds[b].length} tokens, row 0 has ${length} (pad the batch)`);
    }
    for (let l = 0; l < length; l++) {
      ids[b * length + l] = enc.inputIds[b][l];
      mask[b * length + l] = enc.attentionMask[b][l] ? 1 : 0;
      const t = enc.tokenTypeIds?.[b]?.[l] ?? 0;
      types[b * length + l] = t;
      anyType ||= t !== 0;
    }
  }
  return anyType ? { ids, mask, types, batch, length } : { ids, mask, batch, length };
}

/** Number of real tokens (mask = 1) of each row. */
export function rowLengths(input: EncodeInput): Int32Array {
  const out = new Int32Array(input.batch);
  for (let b = 0; b < input.batch; b++) {
    let n = 0;
    for (let l = 0; l < input.length; l++) n += input.mask[b * input.length + l];
    out[b] = n;
  }
  return out;
}
