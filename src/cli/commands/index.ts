/**
 * Registry of CLI commands. Each entry loads its module lazily so `optical eval` does not pay for
 * tfjs or the native addon. Add one line per command file.
 */
import type { Command } from '../command.js';

export const commands: Record<string, () => Promise<Command>> = {
  data: async () => (await import('./data.js')).command,
  lexicon: async () => (await import('./lexicon.js')).command,
  codeswitch: async () => (await import('./codeswitch.js')).command,
  bench: async () => (await import('./bench.js')).command,
  align: async () => (await import('./align.js')).command,
  distill: async () => (await import('./distill.js')).command,
  'train-teacher': async () => (await import('./train-teacher.js')).command,
  pretrain: async () => (await import('./pretrain.js')).command,
  eval: async () => (await import('./eval.js')).command,
  'compare-runs': async () => (await import('./compare-runs.js')).command,
  bm25: async () => (await import('./bm25.js')).command,
  compare: async () => (await import('./compare.js')).command,
  demo: async () => (await import('./demo.js')).command,
  'domain-shift': async () => (await import('./domain-shift.js')).command,
  'cs-sweep': async () => (await import('./cs-sweep.js')).command,
  'cs-pretrain-sweep': async () => (await import('./cs-pretrain-sweep.js')).command,
  'mix-sweep': async () => (await import('./mix-sweep.js')).command,
  config: async () => (await import('./config.js')).command,
  worker: async () => (await import('./worker.js')).command,
  queue: async () => (await import('./queue.js')).command,
};
