/**
 * Defaults and usage text of the Sinkhorn benchmark, kept free of heavy imports so `optical help` and
 * `optical bench --help` can show them without loading tfjs or the native addon.
 */

/** Implementations that run in this process (the Python peers are added by --peers). */
export const LOCAL_BACKENDS = ['cpu-auto', 'cpu-log', 'cpu-scaling', 'cpu-floor', 'js', 'tfjs', 'cuda'] as const;

export const SINKHORN_DEFAULTS = {
  sizes: '256x64x64,256x128x128,1x4096x4096',
  eps: '0.1,0.01',
  iters: 100,
  backends: LOCAL_BACKENDS.join(','),
  python: '/usr/bin/python3',
  reps: 5,
  warmup: 1,
  budget: 10,
  seed: 42,
  step: '256x128x128x768',
  stepEps: 0.05,
  /** The per-call cost cases: one large problem at few iterations (fixed costs dominate). */
  callSize: '1x4096x4096',
  callEps: 0.05,
  callIters: '1,20',
  torchThreads: '2,1',
  /** B·n·m·iters above which the slow in-process implementations are skipped by default, so that
   * the default run takes minutes: pure TS ≈ 3 s per 1e8 (float64 log-domain, one thread), tfjs
   * wasm ≈ 2 s per 1e8 and much worse on one 4096² matrix (each op allocates a 64 MB tensor). */
  workLimits: { js: 2e8, tfjs: 5e8 },
} as const;

export const SINKHORN_USAGE = `usage: optical bench sinkhorn [options]

Times Sinkhorn implementations on the same seeded inputs (tol = 0: exactly --iters iterations each),
cross-checks their plans against the native CPU backend and prints a table.

  --sizes LIST        batch sizes BxNxM (default ${SINKHORN_DEFAULTS.sizes})
  --eps LIST          regularisations (default ${SINKHORN_DEFAULTS.eps}); cases = sizes × eps
  --iters N           Sinkhorn iterations (default ${SINKHORN_DEFAULTS.iters})
  --backends LIST     of ${LOCAL_BACKENDS.join(',')} (default: all; cuda rows say why when no device)
  --peers             also run the Python peers (POT ot.sinkhorn and sinkhorn_log looped over the batch,
                      PyTorch batched log-domain; PyTorch for the OPTICAL step) when --python has them
  --python PATH       interpreter for the peers (default ${SINKHORN_DEFAULTS.python})
  --reps N            timed repetitions, median reported (default ${SINKHORN_DEFAULTS.reps})
  --warmup N          untimed warm-up runs (default ${SINKHORN_DEFAULTS.warmup})
  --budget SEC        time budget per row: fewer repetitions for slow implementations (default ${SINKHORN_DEFAULTS.budget})
  --step BxNxMxD|none OPTICAL step case: cost + Sinkhorn + loss + gradient (default ${SINKHORN_DEFAULTS.step})
  --step-eps X        eps of the step case (default ${SINKHORN_DEFAULTS.stepEps})
  --call-size BxNxM|none  per-call cost cases: this size at few iterations, where the fixed cost of a
                      call dominates (default ${SINKHORN_DEFAULTS.callSize}); with them the cpu-floor row
                      times the work floor of a call (one read of C, one write of P, two exps per cell)
  --call-eps X        eps of the per-call cost cases (default ${SINKHORN_DEFAULTS.callEps})
  --call-iters LIST   their iteration counts (default ${SINKHORN_DEFAULTS.callIters})
  --threads N         native worker threads, 0 = all cores (default 0)
  --torch-threads L   torch.set_num_threads values, one PyTorch row each (default ${SINKHORN_DEFAULTS.torchThreads})
  --seed N            input PRNG seed (default ${SINKHORN_DEFAULTS.seed})
  --uncapped          run the slow implementations on every case (by default pure TS is skipped when
                      B·n·m·iters > ${SINKHORN_DEFAULTS.workLimits.js.toExponential(0)} and tfjs when > ${SINKHORN_DEFAULTS.workLimits.tfjs.toExponential(0)},
                      e.g. both on 1x4096x4096 at 100 iterations; the table says so)
  --json FILE         also write the results (with machine info, versions and date) as JSON
  --quiet             no progress lines on stderr`;
