/**
 * `optical pretrain --config C`: MLM pre-training of a multilingual encoder from the offline corpus
 * (src/train/pretrain). Ctrl-C writes a checkpoint first; rerunning the same command resumes, and a
 * finished run is reused.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { asUsageError, parseCommandArgs } from '../args.js';
import { stderrProgress } from '../../data/progress.js';
import { loadPretrainConfig, shippedPretrainConfigNames } from '../../train/pretrain/config.js';
import { pretrain } from '../../train/pretrain/pretrain.js';
import { engineChoice, engineUsage } from '../engine-option.js';

const usage = `usage: optical pretrain --config <file.json | shipped name> [--out runs] [--steps N] [--engine native|tfjs|auto]

Masked-language-model pre-training (BERT: 15 % of tokens predicted, 80 % [MASK] / 10 % random /
10 % kept; optional whole-word masking; MLM head tied to the word embeddings) of a multilingual
encoder on the offline corpus: English SOTU, CLDR phrases and lexicon entries of the target
languages, LibreOffice help / UDHR paragraphs of units no evaluated fold tests, other languages'
UDHR declarations — never test text (the config's heldOut block names the test recipes). A
codeSwitch block mixes code-switched English in; its measured CS frequency is reported.

Writes runs/pretrain/<name>/: corpus.txt + corpus.json (hashes, counts, CS frequency), tokenizer.json
(trained on the corpus), checkpoint/, train-log.jsonl, final/ (BertForMaskedLM + tokenizer.json, the
folder a compare's "model": {"pretrained": "runs/pretrain/<name>"} starts from) and manifest.json.

Options:
  --config C      pretrain config (JSON file, or a shipped name: ${shippedPretrainConfigNames().join(', ') || 'none'})
  --out DIR       parent of the pretrain/ folder (default runs)
  --steps N       override train.steps
${engineUsage('  --engine E      ', '                  ')}`;

export const command: Command = {
  name: 'pretrain',
  summary: 'MLM pre-training of a multilingual encoder from offline text (never test text)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, out: { type: 'string', default: 'runs' }, steps: { type: 'string' }, engine: { type: 'string' } });
    if (!values.config) throw new UsageError('--config is required');
    let config = asUsageError(() => loadPretrainConfig(values.config!));
    if (values.steps !== undefined) {
      const n = Number(values.steps);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--steps must be a positive integer, got '${values.steps}'`);
      config = { ...config, train: { ...config.train, steps: n } };
    }
    const engine = engineChoice(values.engine);
    const progress = stderrProgress('pretrain');
    const controller = new AbortController();
    const onSigint = () => {
      progress.log('interrupted: writing a checkpoint (run the same command again to resume)');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await pretrain(config, { outRoot: values.out!, engine, progress, signal: controller.signal });
      progress.done();
      const m = result.manifest;
      console.log(JSON.stringify({
        dir: result.dir, finished: result.finished, encoder: result.finished ? result.finalDir : null,
        corpus: m ? { lines: m.corpus.bySource, tokens: m.corpus.tokens, sha256: m.corpus.sha256, csFrequency: m.corpus.codeSwitch.csFrequency, corpusCsFrequency: m.corpus.codeSwitch.corpusCsFrequency } : null,
        vocabSize: m?.tokenizer.vocabSize ?? null, parameters: m?.model.parameters ?? null,
        seconds: m?.training.seconds ?? null, secondsPerStep: m?.training.secondsPerStep ?? null, lastLoss: m?.training.lastLoss ?? null, dev: m?.training.dev ?? null,
      }, null, 2));
      return result.finished ? 0 : 130;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
