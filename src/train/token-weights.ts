/**
 * Transport weights of a sequence's tokens for OT distillation. Special tokens ([CLS], [SEP]) carry
 * no lexical meaning and would soak up mass (every token is "similar" to [CLS] in a BERT), and
 * punctuation aligns trivially across languages; both get weight 0 by default. The remaining tokens
 * share the mass uniformly. A sequence with nothing left (e.g. only punctuation) falls back to uniform
 * weights over its non-special tokens, so every problem keeps positive mass.
 */
const PUNCTUATION = /^(?:##)?[\p{P}\p{S}]+$/u;

export interface TokenWeightOptions {
  maskPunctuation?: boolean;
}

/**
 * Weights for tokens[start .. start+count) of an encoding; `special[i]` marks special tokens.
 * Returns `count` weights summing to 1.
 */
export function tokenWeights(tokens: readonly string[], special: readonly boolean[], start: number, count: number, opts: TokenWeightOptions = {}): Float32Array {
  const w = new Float32Array(count);
  const maskPunct = opts.maskPunctuation ?? true;
  let kept = 0;
  for (let i = 0; i < count; i++) {
    const t = tokens[start + i];
    const keep = !special[start + i] && !(maskPunct && PUNCTUATION.test(t));
    w[i] = keep ? 1 : 0;
    kept += w[i];
  }
  if (kept === 0) {
    for (let i = 0; i < count; i++) { w[i] = special[start + i] ? 0 : 1; kept += w[i]; }
  }
  if (kept === 0) { w.fill(1); kept = count; }
  for (let i = 0; i < count; i++) w[i] /= kept;
  return w;
}
