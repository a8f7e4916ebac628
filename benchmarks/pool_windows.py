"""Where pooling's time goes: the pooling cores on 2x2/2 and 3x3/2 windows, in cache and out of it.

    python benchmarks/pool_windows.py [--rounds 7]

In cache (one 40x40x64 float32 image, 400 KB, L2-resident), each core's time per output vector of 16
channels, in nanoseconds; out of cache (the benchmark's 32x112x112x64 batch), its bandwidth (input read
once + output written) and that as a share of ``np.copyto``'s on 256 MiB in the same rounds. If a window's
extra compute (max 3x3 loads 9 pixels per output, average 3x3 by columns 6, 2x2 four) overlapped the memory
traffic, both windows would stream at the same rate out of cache; the last line says how much of the
in-cache difference the out-of-cache time shows. One thread; the median over interleaved rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from autograder.reference import kernels  # noqa: E402

WINDOWS = {"max 2x2/2": (2, "max"), "avg 2x2/2": (2, "avg"), "max 3x3/2": (3, "max"), "avg 3x3/2": (3, "avg")}


def in_cache_ns(k: int, mode: str, x: np.ndarray, calls: int = 500) -> float:
    """Nanoseconds per output vector of 16 float32 channels, the core called directly (no argument checks)."""
    m, h, w, c = x.shape
    oh, ow = (h - k) // 2 + 1, (w - k) // 2 + 1
    out = np.empty((m, oh, ow, c), x.dtype)
    if mode == "max":
        def call():
            kernels.pool_max(x, out, 0, m, k, k, 2, 2, 0, 0)
    else:
        prev = np.empty(c + 1, x.dtype)

        def call():
            kernels.pool_avg(x, out, prev, 0, m, k, k, 2, 2, 0, 0)
    call()
    t0 = time.perf_counter()
    for _ in range(calls):
        call()
    return (time.perf_counter() - t0) / calls / (out.size / 16) * 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    args = ap.parse_args()
    from autograder.reference import pool, threads
    from autograder.sandbox.runtime.memory import steady_allocator

    steady_allocator()
    rng = np.random.default_rng(0)
    hot = rng.standard_normal((1, 40, 40, 64)).astype(np.float32)
    big = rng.standard_normal((32, 112, 112, 64)).astype(np.float32)
    src = rng.standard_normal(64 * 2**20).astype(np.float32)
    dst = np.empty_like(src)
    ns = {name: [] for name in WINDOWS}
    share = {name: [] for name in WINDOWS}
    big_ns = {name: [] for name in WINDOWS}
    with threads(1):
        for k, mode in WINDOWS.values():
            pool(big, (k, k), (2, 2), mode)   # compile or load from Numba's cache
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            np.copyto(dst, src)
            copy = 2 * src.nbytes / (time.perf_counter() - t0)
            for name, (k, mode) in WINDOWS.items():
                ns[name].append(in_cache_ns(k, mode, hot))
                t0 = time.perf_counter()
                out = pool(big, (k, k), (2, 2), mode)
                spent = time.perf_counter() - t0
                share[name].append((big.nbytes + out.nbytes) / spent / copy)
                big_ns[name].append(spent / (out.size / 16) * 1e9)
    med = {name: {"hot": statistics.median(ns[name]), "share": statistics.median(share[name]),
                  "big": statistics.median(big_ns[name])} for name in WINDOWS}
    print(f"{'window':10s} {'in cache ns/vector':>19s} {'out of cache ns/vector':>23s} {'vs memcpy':>10s}")
    for name, v in med.items():
        print(f"{name:10s} {v['hot']:19.2f} {v['big']:23.2f} {v['share']:10.0%}")
    for mode in ("max", "avg"):
        small, large = med[f"{mode} 2x2/2"], med[f"{mode} 3x3/2"]
        extra_hot, extra_big = large["hot"] - small["hot"], large["big"] - small["big"]
        print(f"{mode}: 3x3 costs {extra_hot:.2f} ns more per output vector in cache and {extra_big:.2f} ns more "
              f"out of it ({extra_big / extra_hot:.0%} of the in-cache difference shows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
