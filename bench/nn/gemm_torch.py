#!/usr/bin/env python3
"""PyTorch peer of bench/nn/gemm.ts: torch.matmul on the same shapes and transposes (transposed
operands are strided views, as a model's weights are used: no copies), written into a preallocated
output (out=), timed like the native rows (warm-up, then best and median of repeated runs).

Reads a job as JSON on stdin: {"threads": T, "budgetSec": s, "minReps": r, "cases": [{"id", "m", "n",
"k", "batch", "transA", "transB"}]} and prints {"torch": version, "threads": torch.get_num_threads(),
"blas": ..., "rows": [{"id", "timesSec": [...]}]} on stdout. The caller sets OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS to T as well (Debian's torch calls OpenBLAS through libblas.so.3).
"""
import json
import re
import sys
import time


def main():
    job = json.load(sys.stdin)
    try:
        import torch
    except Exception as e:  # reported as the reason the torch rows are absent
        print(json.dumps({"error": f"cannot import torch: {e}"}))
        return
    torch.set_num_threads(int(job["threads"]))
    torch.manual_seed(0)
    cfg = torch.__config__.show()
    found = re.search(r"BLAS_INFO=(\w+)", cfg)
    blas = found.group(1) if found else ""
    rows = []
    for c in job["cases"]:
        m, n, k, batch = c["m"], c["n"], c["k"], c["batch"]
        lead = (batch,) if batch > 1 else ()
        a = torch.rand(*lead, *((k, m) if c["transA"] else (m, k))) * 2 - 1
        b = torch.rand(*lead, *((n, k) if c["transB"] else (k, n))) * 2 - 1
        opa = a.transpose(-1, -2) if c["transA"] else a
        opb = b.transpose(-1, -2) if c["transB"] else b
        out = torch.empty(*lead, m, n)
        run = lambda: torch.matmul(opa, opb, out=out)  # noqa: E731
        run()
        times = []
        start = time.perf_counter()
        while len(times) < job["minReps"] or (time.perf_counter() - start < job["budgetSec"] and len(times) < 1000):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        rows.append({"id": c["id"], "timesSec": times})
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "blas": blas, "rows": rows}))


if __name__ == "__main__":
    main()
