/**
 * `optical cs-pretrain-sweep`: CS frequency in pre-training vs robustness to domain shift — K
 * encoders differing only in the code-switching of their corpus, each fine-tuned by the same
 * compare; correlations with CIs, scatter plot, per-encoder table (src/compare/pretrain-sweep.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { asUsageError, listOption, parseCommandArgs } from '../args.js';
import { loadCompareConfig } from '../../compare/config-file.js';
import { parseSweepValues } from '../../compare/sweeps.js';
import { runPretrainSweep, sweepPretrainConfigs } from '../../compare/pretrain-sweep.js';
import { loadPretrainConfig } from '../../train/pretrain/config.js';
import { stderrProgress } from '../../data/progress.js';
import { engineChoice, engineUsage } from '../engine-option.js';

const usage = `usage: optical cs-pretrain-sweep --config <compare.json | shipped name> --pretrain <pretrain.json | shipped name>
                                  [--p 0,0.125,0.25,0.5,1] [--method NAME] [--metric nDCG@10] [--out runs] [--engine native|tfjs|auto]

Pre-trains one encoder per code-switching probability p (optical pretrain with the --pretrain
config, its heldOut block set from the compare's data; everything but codeSwitch.p identical),
runs the compare (--config, which needs data.shiftTest) from each encoder as model.pretrained, and
relates each encoder's MEASURED corpus CS frequency to the in-domain − shifted drop of --method
(default: the compare's first trained method) over encoders × seeds: Pearson and Spearman with CIs,
a scatter plot and a per-encoder table in runs/<compare>-cs-pretrain-sweep/. Rerunning resumes
(finished encoders and units are reused).

Options:
  --p LIST        codeSwitch.p of the encoders (default 0,0.125,0.25,0.5,1)
  --method NAME   method whose drop is correlated
  --metric M      metric (default nDCG@10)
  --out DIR       parent of the run folders (default runs)
${engineUsage('  --engine E      ', '                  ')}`;

export const command: Command = {
  name: 'cs-pretrain-sweep',
  summary: 'CS frequency in pre-training vs robustness under domain shift (K pre-trained encoders, correlations + scatter plot)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string' }, pretrain: { type: 'string' }, p: { type: 'string' }, method: { type: 'string' },
      metric: { type: 'string', default: 'nDCG@10' }, out: { type: 'string', default: 'runs' }, engine: { type: 'string' },
    });
    if (!values.config) throw new UsageError('--config is required (the compare config)');
    if (!values.pretrain) throw new UsageError('--pretrain is required (the pre-training config)');
    const compare = asUsageError(() => loadCompareConfig(values.config!));
    const pre = asUsageError(() => loadPretrainConfig(values.pretrain!));
    const ps = asUsageError(() => parseSweepValues('p', listOption(values.p, ['0', '0.125', '0.25', '0.5', '1'])));
    asUsageError(() => sweepPretrainConfigs(pre, compare, ps));
    const engine = engineChoice(values.engine);
    const result = await runPretrainSweep(pre, compare, ps, { outRoot: values.out!, engine, method: values.method, metric: values.metric!, progress: stderrProgress('cs-pretrain-sweep') });
    console.log('\n' + readFileSync(join(result.dir, 'cs-pretrain-sweep.md'), 'utf8'));
    return 0;
  },
};
