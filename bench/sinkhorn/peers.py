#!/usr/bin/python3
"""Python peers of the Sinkhorn benchmark (POT and PyTorch), driven by bench/sinkhorn/python-peers.ts.

Usage: peers.py probe                      -> prints one JSON line with versions / missing modules
       peers.py run MANIFEST.json OUT.json -> runs every case of the manifest, writes OUT.json

The TypeScript harness generates the inputs once (seeded PRNG) and writes them as raw little-endian
float32 files, so every implementation sees exactly the same numbers. This script only reads them,
times the peers and writes their plans (float32, our [B, n, m] row-major layout) back for the
cross-check; all comparisons are made on the TypeScript side.

Conventions (same as src/ot/types.ts): uniform marginals, P_ij = a_i b_j exp((f_i + g_j - C_ij)/eps),
one iteration = one f (row) update followed by one g (column) update, exactly `iters` iterations.

POT's loops update v (columns) before u (rows) in each iteration. We hand POT the transposed problem
(C^T as a contiguous array, marginals swapped, prepared before timing), so its first update is our f
update and its plan, transposed back, is the same iterate as ours; for square blocks the work is the
same. POT's loop index `ii` counts one v- plus one u-update (= one of our iterations), log['niter'] is
the 0-based index of the last iteration, so a full run reports niter = iters - 1. With stopThr=0 the
test `err < stopThr` is never true, so POT runs all iterations unless its scaling loop detects
numerical trouble (a zero in K^T u or a NaN/inf), in which case it rolls back to the previous iterate
and stops: we then report the iterations it completed (niter), which is fewer than asked.
"""
import json
import os
import sys
import time
import warnings


def probe():
    info = {'python': sys.version.split()[0], 'missing': []}
    try:
        import numpy
        info['numpy'] = numpy.__version__
    except Exception as e:  # noqa: BLE001 - report whatever stops the import
        info['missing'].append('numpy (%s)' % e)
    try:
        import ot
        info['pot'] = ot.__version__
    except Exception as e:  # noqa: BLE001
        info['missing'].append('ot (POT: %s)' % e)
    try:
        import torch
        info['torch'] = torch.__version__
        # How this torch was built matters as much as its version: the vector ISA its kernels use
        # and its BLAS (BLAS_INFO=generic: the system libblas, reported as numpyBlas below).
        import re
        cfg = torch.__config__.show()
        cap = re.search(r'CPU capability usage: (\S+)', cfg)
        blas = re.search(r'BLAS_INFO=([^,\s]+)', cfg)
        info['torchBuild'] = 'CPU capability %s, BLAS_INFO=%s' % (cap.group(1) if cap else '?',
                                                            blas.group(1) if blas else '?')
    except Exception as e:  # noqa: BLE001
        info['missing'].append('torch (%s)' % e)
    blas_lib = '/usr/lib/x86_64-linux-gnu/libblas.so.3'
    if os.path.exists(blas_lib):
        # Debian selects the BLAS behind numpy through alternatives (reference, OpenBLAS, BLIS...).
        info['numpyBlas'] = os.path.realpath(blas_lib)
    try:
        import scipy
        info['scipy'] = scipy.__version__
    except Exception:  # noqa: BLE001 - scipy is optional, POT's numpy backend uses it for logsumexp
        pass
    print(json.dumps(info))


def measure(fn, reps, warmup, budget_sec):
    """Same policy as bench/sinkhorn/timing.ts: `warmup` untimed runs, then up to `reps` timed runs,
    fewer when the warm-up shows they would exceed the time budget. When a single warm-up run already
    exceeds the budget, that run is the only sample (reported as warmupOnly)."""
    out = None
    warm = 0.0
    for _ in range(warmup):
        t0 = time.perf_counter()
        out = fn()
        warm = time.perf_counter() - t0
    if warmup > 0 and warm >= budget_sec:
        return out, [warm], True
    n = reps
    if warmup > 0 and warm > 0:
        n = max(1, min(reps, int(budget_sec // warm)))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times, False


def log(msg):
    sys.stderr.write('[peers] %s\n' % msg)
    sys.stderr.flush()


def read_f32(path, count):
    import numpy as np
    arr = np.fromfile(path, dtype='<f4')
    if arr.size != count:
        raise ValueError('%s holds %d float32 values, expected %d' % (path, arr.size, count))
    return arr


def run_pot(kind, C, eps, iters):
    """Loops POT over the batch. C: [B, n, m] float32. Returns (plan [B, n, m], iterations [B])."""
    import numpy as np
    import ot
    B, n, m = C.shape
    # Prepared outside the timed region: transposed contiguous blocks and the (swapped) marginals.
    Ct = [np.ascontiguousarray(C[k].T) for k in range(B)]
    a = np.full(n, 1.0 / n, dtype=np.float32)
    b = np.full(m, 1.0 / m, dtype=np.float32)

    def once():
        plans = np.empty((B, n, m), dtype=np.float32)
        its = np.empty(B, dtype=np.int64)
        for k in range(B):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                if kind == 'pot-scaling':
                    P, lg = ot.sinkhorn(b, a, Ct[k], eps, method='sinkhorn', numItermax=iters,
                                        stopThr=0.0, log=True)
                else:
                    P, lg = ot.bregman.sinkhorn_log(b, a, Ct[k], eps, numItermax=iters, stopThr=0.0,
                                                    log=True)
            rolled_back = any('numerical errors' in str(w.message) for w in caught)
            its[k] = lg['niter'] if rolled_back else lg['niter'] + 1
            plans[k] = P.T
        return plans, its

    return once


def torch_sinkhorn_log(mC, loga, logb, iters):
    """Batched log-domain Sinkhorn on [B, n, m] with torch.logsumexp, in potentials scaled by 1/eps
    (fs = f/eps, gs = g/eps); mC = -C/eps. Our update order: f first, then g."""
    import torch
    B, n, m = mC.shape
    gs = torch.zeros(B, m, dtype=mC.dtype)
    fs = torch.zeros(B, n, dtype=mC.dtype)
    for _ in range(iters):
        fs = -torch.logsumexp(mC + (logb + gs).unsqueeze(1), dim=2)
        gs = -torch.logsumexp(mC + (loga + fs).unsqueeze(2), dim=1)
    return torch.exp(mC + (loga + fs).unsqueeze(2) + (logb + gs).unsqueeze(1))


def run_torch(C_np, eps, iters):
    import math
    import torch
    B, n, m = C_np.shape
    C = torch.from_numpy(C_np)
    loga = torch.full((B, n), math.log(1.0 / n), dtype=torch.float32)
    logb = torch.full((B, m), math.log(1.0 / m), dtype=torch.float32)

    def once():
        with torch.no_grad():
            P = torch_sinkhorn_log(-C / eps, loga, logb, iters)
        return P.numpy(), None

    return once


def run_torch_step(T_np, S_np, eps, iters):
    """The OPTICAL step in PyTorch: cosine cost by torch.bmm of L2-normalised tokens, batched
    log-domain Sinkhorn on the detached cost, loss sum_k <P_k, C_k> with P held fixed, autograd
    backward to the student tokens. Holding P fixed (no backprop through the iterations) gives the
    same gradient our fused step returns (the envelope-theorem gradient), and is the cheaper of the
    two ways a PyTorch user would write it."""
    import math
    import torch
    T = torch.from_numpy(T_np)
    S0 = torch.from_numpy(S_np)
    B, n, _ = T.shape
    m = S0.shape[1]
    loga = torch.full((B, n), math.log(1.0 / n), dtype=torch.float32)
    logb = torch.full((B, m), math.log(1.0 / m), dtype=torch.float32)

    def once():
        S = S0.detach().requires_grad_(True)
        Tn = torch.nn.functional.normalize(T, dim=-1)
        Sn = torch.nn.functional.normalize(S, dim=-1)
        C = 1.0 - torch.bmm(Tn, Sn.transpose(1, 2))
        with torch.no_grad():
            P = torch_sinkhorn_log(-C.detach() / eps, loga, logb, iters)
        cost = (P * C).sum(dim=(1, 2))
        cost.sum().backward()
        return cost.detach().double().numpy(), S.grad.numpy()

    return once


def main_run(manifest_path, out_path):
    import numpy as np
    with open(manifest_path) as fh:
        man = json.load(fh)
    reps, warmup, budget = man['reps'], man['warmup'], man['budgetSec']
    impls = man['impls']
    # One torch row per thread count: on a busy 2-core machine torch's OpenMP regions can be much
    # slower with 2 threads than with 1, and the table should show both rather than pick one.
    torch_threads = [int(t) for t in man.get('torchThreads', [2])]
    out = {'results': []}
    torch = None
    try:
        import torch
    except Exception:  # noqa: BLE001 - absence is reported per result below
        pass
    try:
        import ot  # noqa: F401
        have_pot = True
    except Exception:  # noqa: BLE001
        have_pot = False

    def variants(impl):
        """(label suffix, thread count or None) for each run of `impl`."""
        if impl.startswith('torch'):
            return [('.t%d' % t, t) for t in torch_threads]
        return [('', None)]

    def absent(impl):
        if impl.startswith('pot') and not have_pot:
            return 'POT (import ot) is not installed'
        if impl.startswith('torch') and torch is None:
            return 'PyTorch (import torch) is not installed'
        return None

    for case in man['cases']:
        B, n, m = case['B'], case['n'], case['m']
        C = read_f32(case['costFile'], B * n * m).reshape(B, n, m)
        for impl in impls:
            for suffix, threads in variants(impl):
                res = {'caseId': case['id'], 'impl': impl}
                why = absent(impl)
                if why:
                    res.update(status='absent', reason=why)
                    out['results'].append(res)
                    continue
                if threads is not None:
                    torch.set_num_threads(threads)
                    res['threads'] = torch.get_num_threads()
                log('%s %s%s' % (case['id'], impl, suffix))
                try:
                    fn = run_torch(C, case['eps'], case['iters']) if impl == 'torch-log' \
                        else run_pot(impl, C, case['eps'], case['iters'])
                    (plan, its), times, warm_only = measure(fn, reps, warmup, budget)
                    plan_file = os.path.join(man['outDir'], '%s.%s%s.plan.f32' % (case['id'], impl, suffix))
                    np.ascontiguousarray(plan, dtype='<f4').tofile(plan_file)
                    res.update(status='ok', timesSec=times, warmupOnly=warm_only, planFile=plan_file,
                               iterations=(its.tolist() if its is not None
                                           else [case['iters']] * B))
                except Exception as e:  # noqa: BLE001 - a failing peer is reported, not fatal
                    res.update(status='error', reason='%s: %s' % (type(e).__name__, e))
                out['results'].append(res)

    step = man.get('step')
    if step is not None:
        for suffix, threads in variants('torch-step'):
            res = {'caseId': step['id'], 'impl': 'torch-step'}
            why = absent('torch-step')
            if why:
                res.update(status='absent', reason=why)
                out['results'].append(res)
                continue
            torch.set_num_threads(threads)
            res['threads'] = torch.get_num_threads()
            log('%s torch-step%s' % (step['id'], suffix))
            try:
                B, n, m, d = step['B'], step['n'], step['m'], step['d']
                T = read_f32(step['teacherFile'], B * n * d).reshape(B, n, d)
                S = read_f32(step['studentFile'], B * m * d).reshape(B, m, d)
                fn = run_torch_step(T, S, step['eps'], step['iters'])
                (cost, grad), times, warm_only = measure(fn, reps, warmup, budget)
                grad_file = os.path.join(man['outDir'], '%s.torch-step%s.grad.f32' % (step['id'], suffix))
                np.ascontiguousarray(grad, dtype='<f4').tofile(grad_file)
                # Per-pair costs go to a float64 file, not JSON: they may be NaN.
                cost_file = os.path.join(man['outDir'], '%s.torch-step%s.cost.f64' % (step['id'], suffix))
                np.ascontiguousarray(cost, dtype='<f8').tofile(cost_file)
                res.update(status='ok', timesSec=times, warmupOnly=warm_only, gradFile=grad_file,
                           costFile=cost_file, iterations=[step['iters']] * B)
            except Exception as e:  # noqa: BLE001
                res.update(status='error', reason='%s: %s' % (type(e).__name__, e))
            out['results'].append(res)

    with open(out_path, 'w') as fh:
        # Plans, costs and gradients (which may hold NaN) live in binary files; the JSON must stay
        # strict so that JSON.parse reads it.
        json.dump(out, fh, allow_nan=False)


if __name__ == '__main__':
    if len(sys.argv) >= 2 and sys.argv[1] == 'probe':
        probe()
    elif len(sys.argv) == 4 and sys.argv[1] == 'run':
        main_run(sys.argv[2], sys.argv[3])
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)
