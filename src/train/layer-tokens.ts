/**
 * Token vectors of one hidden state for texts, unpadded: the form OT distillation and alignment
 * evaluation consume (one [count × hidden] block per sequence). Computed with Engine.encode in
 * fixed batches of `batchSize` texts in the given order, each padded to its own longest text, so a
 * text's vectors depend only on its position in the list (not on which other texts were asked for
 * together) — the teacher cache relies on that for bit-identical resumes.
 */
import type { Engine } from '../models/engine/types.js';
import { toEncodeInput } from '../models/engine/input.js';
import type { Encoding, TextInput, TextTokenizer } from '../models/tokenizer.js';

export interface LayerTokens {
  encoding: Encoding;
  /** Unpadded token count (special tokens included). */
  count: number;
  /** [count × hidden] row-major. */
  vectors: Float32Array;
}

/** Texts encoded per batch (the collection-encoding batch of src/compare as well). */
export const ENCODE_BATCH = 32;

/** Runs the model without dropout and returns each text's tokens at hidden state `layer` (0 = embeddings … L = last). */
export async function layerTokens(engine: Engine, tokenizer: TextTokenizer, texts: readonly TextInput[], layer: number, maxLength?: number, batchSize = ENCODE_BATCH): Promise<LayerTokens[]> {
  const H = engine.config.hiddenSize;
  const out: LayerTokens[] = [];
  for (let s = 0; s < texts.length; s += batchSize) {
    const enc = tokenizer.encodeBatch(texts.slice(s, s + batchSize) as TextInput[], null, { maxLength, padding: 'longest' });
    const input = toEncodeInput(enc);
    const { hidden } = await engine.encode(input, { layers: [layer] });
    const L = input.length;
    enc.encodings.forEach((encoding, r) => {
      const count = encoding.attentionMask.reduce((a, v) => a + v, 0);
      out.push({ encoding, count, vectors: hidden[0].slice(r * L * H, r * L * H + count * H) });
    });
  }
  return out;
}

/** Marks special tokens ([CLS], [SEP], padding): those with no sequence id. */
export function specialMask(e: Encoding): boolean[] {
  return e.sequenceIds.map((s) => s === null);
}
