/**
 * A masked language model over an engine with the MLM head (BertForMaskedLM: transform dense + GELU
 * + LayerNorm, decoder tied to the word embeddings): what `optical pretrain` trains with the MLM
 * objective on the one training loop. Saved as an HF BertForMaskedLM folder plus tokenizer.json, a
 * folder BiEncoder.fromPretrained (and `model.pretrained` of a compare) starts from.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveEngine } from '../models/engine/checkpoint.js';
import type { Engine } from '../models/engine/types.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import type { Trainable } from './objective.js';
import { MlmObjective, type MaskingOptions } from './objectives/mlm.js';

export class MaskedLanguageModel implements Trainable<string> {
  readonly objective: MlmObjective;

  constructor(readonly engine: Engine, readonly tokenizer: TextTokenizer, readonly maxLength: number, masking: MaskingOptions = {}) {
    if (!engine.heads.mlm) throw new RangeError('MaskedLanguageModel: the engine has no MLM head (load or create it with heads.mlm = true)');
    if (tokenizer.vocabSize > engine.config.vocabSize) throw new RangeError(`the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${engine.config.vocabSize}`);
    this.objective = new MlmObjective({ tokenizer, maxLength, ...masking });
  }

  async save(dir: string): Promise<void> {
    await saveEngine(this.engine, dir, { layout: 'masked-lm', configExtra: { optical: { kind: 'masked-lm', max_length: this.maxLength, ...this.objective.settings } } });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(this.tokenizer.json));
  }

  dispose(): void {
    this.engine.dispose();
  }
}
