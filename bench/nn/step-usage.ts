/**
 * Defaults and usage text of the training-step benchmark (bench/nn/step.ts), kept free of heavy
 * imports so `optical help` and `optical bench --help` show them without loading tfjs or the addon.
 */
export const TRAIN_BENCH_ENGINES = ['native', 'tfjs', 'torch', 'cuda'] as const;
export type TrainBenchEngine = (typeof TRAIN_BENCH_ENGINES)[number];

export const TRAIN_BENCH_DEFAULTS = {
  geometries: 'tiny,small,base',
  threads: '1,2',
  engines: TRAIN_BENCH_ENGINES.join(','),
  vocab: 30522,
  python: '/usr/bin/python3',
  /** Seconds of timed steps per row (after the warm-up step; at least one timed step). */
  budget: 60,
  precision: 'fp32',
} as const;

export const TRAIN_BENCH_USAGE = `optical bench train [--geometries tiny,small,base] [--threads 1,2] [--engines native,tfjs,torch,cuda]
                   [--steps N] [--budget S] [--vocab N] [--batch B] [--length L] [--precision fp32|tf32|bf16]
                   [--python PATH] [--json FILE]

  One OPTICAL distillation training step — student forward + backward, the OT loss against
  precomputed teacher token states (cosine cost, eps 0.05, ≤ 200 Sinkhorn iterations, tol 1e-4: the
  distill defaults) and AdamW with clipping — on random weights and tokens, every sequence exactly
  'length' tokens, for the geometries
    tiny  (hidden 64, 2 layers, 2 heads, FFN 256)       16 × 64
    small (hidden 128, 4 layers, 2 heads, FFN 512)      32 × 128
    base  (hidden 768, 12 layers, 12 heads, FFN 3072)    8 × 128
  on the native engine (on the CPU), the tfjs engine (tfjs-wasm: single-threaded, 4 GiB heap),
  PyTorch (an eager implementation of the same step: bench/nn/step_torch.py on --python, same thread
  count) at each --threads value, and the native engine on a GPU (cuda: one row per geometry, when
  the CUDA addon finds a usable device; otherwise the row says why), every row in its own process.
  After each geometry a roofline line: the bound of the step on an H100 (bench/cuda/train-roofline.ts)
  and, with a GPU row, the share of it that row reached. Prints ms/step (median, min), tokens/s,
  GFLOP/s (the encoder's matrix products, 3 × forward), the share of the step per op family and
  peak RSS; a row that cannot run says why. --json FILE writes {"rows": [...], machine, load, date}.

  --geometries  subset of tiny, small, base (default ${TRAIN_BENCH_DEFAULTS.geometries})
  --threads     thread counts (default ${TRAIN_BENCH_DEFAULTS.threads}; tfjs-wasm runs one thread in Node)
  --engines     subset of native, tfjs, torch, cuda (default ${TRAIN_BENCH_DEFAULTS.engines})
  --steps N     timed steps per row (default: tiny 20, small 10, base 3; tfjs 5 / 2 / 1)
  --budget S    stop timing a row after S seconds (default ${TRAIN_BENCH_DEFAULTS.budget}; at least one timed step)
  --vocab N     vocabulary size (default ${TRAIN_BENCH_DEFAULTS.vocab}, BERT's)
  --batch B, --length L   override every geometry's shape (e.g. --geometries base --batch 32 --engines native
                for the memory of a base 32 × 128 step)
  --precision   the GPU rows' GEMMs: fp32 (default: parity with the CPU engine), tf32 or bf16 (tensor-core
                autocast with FP32 accumulation); also the roofline's GEMM roof
  --python P    interpreter with torch (default ${TRAIN_BENCH_DEFAULTS.python}, Debian python3-torch)`;
