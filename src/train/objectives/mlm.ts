/**
 * Masked-language-model objective (BERT pre-training, Devlin et al. 2019): each example is one text;
 * 15 % of its real tokens are chosen for prediction (never [CLS]/[SEP]/padding), and of those 80 %
 * become [MASK], 10 % a random token and 10 % stay as they are; the loss is the cross-entropy of the
 * MLM head (transform + tied word-embedding decoder) at the chosen positions only (engine term 'mlm').
 *
 * Selection is a Bernoulli draw per token (HF DataCollatorForLanguageModeling), or per word with
 * `wholeWord` (every WordPiece of a chosen word is predicted, as in BERT's whole-word-masking
 * release); the 80/10/10 choice is made per token in both cases. A batch in which the draw chose
 * nothing gets one random real token chosen, so every step has a loss. The draws come from an Rng
 * keyed by the step's seed, so a resumed run masks exactly as an uninterrupted one.
 */
import { toEncodeInput } from '../../models/engine/input.js';
import type { EncodeInput, MlmTerm, StepResult } from '../../models/engine/types.js';
import type { TextTokenizer } from '../../models/tokenizer.js';
import { Rng } from '../../random/rng.js';
import type { BatchSpec, Objective, StepContext } from '../objective.js';

/** Label of a position that is not predicted (torch's ignore_index). */
export const IGNORE_LABEL = -100;

export interface MaskingOptions {
  /** Share of real tokens (or words) chosen for prediction (default 0.15). */
  probability?: number;
  /** Of the chosen tokens: share replaced by [MASK] (default 0.8) and by a random token (default 0.1); the rest stay. */
  maskShare?: number;
  randomShare?: number;
  /** Choose whole words (all their WordPieces) instead of single tokens (default false). */
  wholeWord?: boolean;
}

export interface MaskingVocabulary {
  maskId: number;
  /** Ids a random replacement may draw from (the tokenizer's non-special tokens). */
  randomIds: Int32Array;
}

export interface MaskedBatch {
  /** The input with chosen tokens replaced. */
  input: EncodeInput;
  /** batch·length: the original id at chosen positions, IGNORE_LABEL elsewhere. */
  labels: Int32Array;
  /** Chosen positions, and how many of them became [MASK] / a random token / stayed. */
  chosen: number;
  masked: number;
  randomized: number;
  kept: number;
}

function checkShare(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${v}`);
}

/** Validated masking options with defaults. */
export function maskingSettings(o: MaskingOptions = {}): Required<MaskingOptions> {
  const s = { probability: o.probability ?? 0.15, maskShare: o.maskShare ?? 0.8, randomShare: o.randomShare ?? 0.1, wholeWord: o.wholeWord ?? false };
  checkShare('mlm probability', s.probability);
  if (s.probability === 0) throw new RangeError('mlm probability must be > 0 (nothing would be predicted)');
  checkShare('mlm maskShare', s.maskShare);
  checkShare('mlm randomShare', s.randomShare);
  if (s.maskShare + s.randomShare > 1 + 1e-12) throw new RangeError(`mlm maskShare + randomShare must be <= 1, got ${s.maskShare} + ${s.randomShare}`);
  return s;
}

/**
 * Chooses and replaces tokens of a padded batch. `wordIds[b][l]` is the word index of token l of
 * row b (null for special and padding tokens, which are never chosen).
 */
export function maskBatch(input: EncodeInput, wordIds: readonly (readonly (number | null)[])[], vocab: MaskingVocabulary, options: MaskingOptions, rng: Rng): MaskedBatch {
  const o = maskingSettings(options);
  const { batch, length } = input;
  if (wordIds.length !== batch) throw new RangeError(`maskBatch: ${wordIds.length} rows of word ids for a batch of ${batch}`);
  if (vocab.randomIds.length === 0) throw new RangeError('maskBatch: no non-special token to draw random replacements from');
  const ids = Int32Array.from(input.ids);
  const labels = new Int32Array(batch * length).fill(IGNORE_LABEL);
  const choose = new Uint8Array(batch * length);
  const eligible: number[] = [];
  for (let b = 0; b < batch; b++) {
    let lastWord: number | null = null;
    let lastChosen = false;
    for (let l = 0; l < length; l++) {
      const i = b * length + l;
      const w = wordIds[b][l];
      if (!input.mask[i] || w === null || w === undefined) { lastWord = null; continue; }
      eligible.push(i);
      if (o.wholeWord) {
        // One draw per word: the continuation pieces of a word follow its first piece.
        if (w !== lastWord) lastChosen = rng.bernoulli(o.probability);
        lastWord = w;
        choose[i] = lastChosen ? 1 : 0;
      } else choose[i] = rng.bernoulli(o.probability) ? 1 : 0;
    }
  }
  if (eligible.length === 0) throw new RangeError('maskBatch: the batch has no maskable token (every row is empty)');
  if (!eligible.some((i) => choose[i])) choose[eligible[rng.int(eligible.length)]] = 1;
  let chosen = 0;
  let masked = 0;
  let randomized = 0;
  for (const i of eligible) {
    if (!choose[i]) continue;
    chosen++;
    labels[i] = input.ids[i];
    const u = rng.next();
    if (u < o.maskShare) { ids[i] = vocab.maskId; masked++; } else if (u < o.maskShare + o.randomShare) { ids[i] = vocab.randomIds[rng.int(vocab.randomIds.length)]; randomized++; }
  }
  return { input: { ...input, ids }, labels, chosen, masked, randomized, kept: chosen - masked - randomized };
}

/** The [MASK] id and the non-special ids of a tokenizer (throws when it has no [MASK] token). */
export function maskingVocabulary(tokenizer: TextTokenizer): MaskingVocabulary {
  const specials = new Set<number>(((tokenizer.json.added_tokens ?? []) as { id: number; special?: boolean }[]).filter((t) => t.special).map((t) => Number(t.id)));
  const maskToken = ['[MASK]', '<mask>'].find((t) => tokenizer.tokenToId(t) !== undefined);
  if (!maskToken) throw new RangeError('the tokenizer has no mask token ([MASK] or <mask>): MLM pre-training needs one');
  const randomIds: number[] = [];
  for (let id = 0; id < tokenizer.vocabSize; id++) if (!specials.has(id)) randomIds.push(id);
  return { maskId: tokenizer.tokenToId(maskToken)!, randomIds: Int32Array.from(randomIds) };
}

export interface MlmSettings extends MaskingOptions {
  tokenizer: TextTokenizer;
  /** Tokens per text (specials included). */
  maxLength: number;
}

export class MlmObjective implements Objective<string> {
  readonly name = 'mlm';
  readonly settings: Record<string, unknown>;
  private readonly vocab: MaskingVocabulary;
  private readonly masking: Required<MaskingOptions>;

  constructor(private readonly s: MlmSettings) {
    if (!Number.isInteger(s.maxLength) || s.maxLength < 3) throw new RangeError(`maxLength must be an integer >= 3, got ${s.maxLength}`);
    this.masking = maskingSettings(s);
    this.vocab = maskingVocabulary(s.tokenizer);
    this.settings = { maxLength: s.maxLength, ...this.masking };
  }

  check(examples: readonly string[]): void {
    const bad = examples.findIndex((t) => typeof t !== 'string' || t.trim() === '');
    if (bad >= 0) throw new RangeError(`MLM example ${bad} is not a non-empty text`);
  }

  async spec(batch: readonly string[], ctx: StepContext): Promise<BatchSpec> {
    const enc = this.s.tokenizer.encodeBatch(batch as string[], null, { maxLength: this.s.maxLength });
    const m = maskBatch(toEncodeInput(enc), enc.wordIds, this.vocab, this.masking, new Rng(`mlm:${ctx.seed}`));
    const term: MlmTerm = { kind: 'mlm', input: 0, labels: m.labels };
    return { inputs: [m.input], terms: [term] };
  }

  summarize(result: StepResult): Record<string, number> {
    return { accuracy: result.terms[0].extras.accuracy, predicted: result.terms[0].extras.count };
  }
}
