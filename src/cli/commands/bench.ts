/**
 * `optical bench <suite>`: micro-benchmarks shipped with optical. The suites live under bench/ (they
 * compile to dist/bench/ with the rest of the package); this command only dispatches. Usage texts
 * come from light modules so that `optical help` does not load tfjs or the native addon.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { SINKHORN_USAGE } from '../../../bench/sinkhorn/usage.js';
import { GEMM_USAGE } from '../../../bench/nn/gemm-usage.js';
import { TRAIN_BENCH_USAGE } from '../../../bench/nn/step-usage.js';

const SUITES: Record<string, { summary: string; usage: string; run: (argv: string[]) => Promise<number> }> = {
  sinkhorn: {
    summary: 'Sinkhorn kernels: native cpu/cuda, pure TS, tfjs ops, POT and PyTorch on the same inputs',
    usage: SINKHORN_USAGE,
    run: async (argv) => (await import('../../../bench/sinkhorn/cli.js')).runSinkhornBench(argv),
  },
  gemm: {
    summary: 'the engine GEMM: own kernels per ISA level, OpenBLAS and PyTorch on BERT shapes, % of measured peak',
    usage: GEMM_USAGE,
    run: async (argv) => (await import('../../../bench/nn/gemm-cli.js')).runGemmBenchCli(argv),
  },
  train: {
    summary: 'one distillation training step (fwd + bwd + OT loss + AdamW): native engine (CPU; GPU where usable), tfjs-wasm and PyTorch',
    usage: TRAIN_BENCH_USAGE,
    run: async (argv) => (await import('../../../bench/nn/step.js')).runTrainBench(argv),
  },
};

const usage = [
  'usage: optical bench <suite> [options]',
  '',
  'suites:',
  ...Object.entries(SUITES).map(([k, s]) => `  ${k.padEnd(10)} ${s.summary}`),
  '',
  ...Object.values(SUITES).map((s) => s.usage),
].join('\n');

export const command: Command = {
  name: 'bench',
  summary: 'micro-benchmarks: optical bench sinkhorn|gemm|train [options]',
  usage,
  async run(argv: string[]): Promise<number> {
    const [suite, ...rest] = argv;
    if (!suite) throw new UsageError(`name a suite (${Object.keys(SUITES).join(', ')})`);
    const s = SUITES[suite];
    if (!s) throw new UsageError(`unknown suite '${suite}' (known: ${Object.keys(SUITES).join(', ')})`);
    return s.run(rest);
  },
};
