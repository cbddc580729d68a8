/** Usage text and defaults of `npm run bench:gemm` / `optical bench gemm` (light: no addon, no tfjs). */
export const GEMM_DEFAULTS = {
  threads: '1,2',
  geometries: 'base,small,tiny',
  budget: 0.4,
  minReps: 3,
  peakSeconds: 0.5,
  python: '/usr/bin/python3',
  seed: 1,
};

export const GEMM_USAGE = `optical bench gemm [options]     (npm run bench:gemm)
  The engine's matrix multiplies (BERT training-step shapes: base 768/12 heads at 8×128 tokens,
  small 128 at 32×128, tiny 64 at 16×64; forward, dX and dW of each linear layer, attention batched
  per sequence × head) on our kernels at every ISA level the CPU supports, OpenBLAS (when installed)
  and PyTorch torch.matmul, at each thread count, with the measured FMA peak per level and % of it.
  --threads LIST     thread counts (default ${GEMM_DEFAULTS.threads})
  --geometries LIST  base, small, tiny (default ${GEMM_DEFAULTS.geometries})
  --isa LIST         levels for our kernels: baseline, x86-64-v3, x86-64-v4 (default: all supported)
  --budget SEC       timed seconds per product, implementation and thread count (default ${GEMM_DEFAULTS.budget})
  --min-reps N       at least N timed runs each (default ${GEMM_DEFAULTS.minReps}); best and median are reported
  --peak-seconds SEC length of each peak measurement (default ${GEMM_DEFAULTS.peakSeconds})
  --no-openblas      skip the OpenBLAS rows
  --no-torch         skip the PyTorch rows
  --python PATH      interpreter with torch (default ${GEMM_DEFAULTS.python}: Debian python3-torch)
  --json FILE        also write the full report as JSON
  --markdown         also print the base geometry as the README's markdown table
  --quiet            no progress lines`;
