#!/usr/bin/env python3
"""Dense attention in NumPy, the baseline issue 14 compares the fused kernel with (same n and d, float32).

Run it on one thread with the machine's OpenBLAS settings unset for this command only:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        /usr/bin/python3 tests/bench/numpy_attention.py [N] [D]   # Debian's python3-numpy
NumPy uses whatever BLAS Debian's alternatives point at: install libopenblas0-pthread for OpenBLAS (the reference
BLAS is about 30x slower). It prints the best of five, and the same run's SGEMM 1024^3, so the two can be compared
with `attnscope-cli bench --threads 1` run just before or after."""
import sys
import time

import numpy as np

n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
d = int(sys.argv[2]) if len(sys.argv) > 2 else 64
rng = np.random.default_rng(0)
Q, K, V = (rng.standard_normal((n, d), dtype=np.float32) for _ in range(3))


def attention():
    s = (Q @ K.T) * np.float32(1 / np.sqrt(d))
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ V


def best(f, runs=5):
    t = 1e300
    for _ in range(runs):
        start = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - start)
    return t


a = rng.standard_normal((1024, 1024), dtype=np.float32)
t = best(attention)
g = best(lambda: a @ a)
print(f"numpy dense attention n={n} d={d}: {t * 1e3:.2f} ms, {4 * n * n * d / t / 1e9:.1f} GFLOP/s; "
      f"SGEMM 1024^3: {2 * 1024 ** 3 / g / 1e9:.1f} GFLOP/s")
