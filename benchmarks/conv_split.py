"""Where the direct convolution's time goes beside its register tile: workload C in float32, one thread.

    python benchmarks/conv_split.py [--rounds 5]

Times, in interleaved rounds (each the best of 5 calls), the reference's tile alone (its kernels from L1
and from L2), then the direct convolution's loop over workload C (16 x 56x56x64 -> 64, 3x3 'same') with
each memory-side step turned on in turn: padding each image as it comes (which reads the input from
memory), writing the real output (rather than one cached row over and over), and both; then the
reference's ``conv_direct`` and the whole ``convolve`` call. Each line is its median GFLOP/s and its
same-round ratio to the loop with neither step (the tile's work alone, in the convolution's order). The
loop here is ``kernels.conv_direct``'s for this one shape in one pass over all kernel rows (its kernels
from L2), as it ran before :data:`.kernels.KERNELS_L1_BYTES`; the last two lines are the real code, which
takes C's 72 KiB blocks of kernels one kernel row per pass.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

from autograder.reference import kernels  # noqa: E402
from autograder.reference import microkernel as mk  # noqa: E402

M, H, W, C, N = 16, 56, 56, 64, 64   # workload C
HP, WP = H + 2, W + 2                # padded for a 3x3 'same' kernel
BLOCK = 2 * 16                       # kernels per tile: 2 vectors of 16 float32
_u = np.uint64


@nb.njit(nogil=True)
def conv_loop(x, xf, w, out, row, pad, real_out):
    """conv_direct's loop for workload C; ``pad`` 0 keeps the image padded once, ``real_out`` 0 writes
    every output row into ``row``."""
    item, kk = 4, 9 * C
    xp, wp_, op, rp = xf.ctypes.data, w.ctypes.data, out.ctypes.data, row.ctypes.data
    for b in range(M):
        if pad:
            kernels.pad_image(x, b, xf, 0, 1, 1, HP, WP)
        for oy in range(H):
            dst = op + _u(((b * H + oy) * W) * N * item) if real_out else rp
            src = (oy * WP) * C
            for n0 in range(0, N, BLOCK):
                wb = wp_ + _u(n0 * kk * item)
                for ox0 in range(0, W, mk.ROWS):
                    mk.tile(xf, min(mk.ROWS, W - ox0), 2, 0, dst + _u((ox0 * N + n0) * item), N,
                            xp + _u((src + ox0 * C) * item), C, wb, BLOCK, 3, WP * C, 1, 0, 3 * C, 1)


@nb.njit(nogil=True)
def tile_alone(a, b, c, depth, calls):
    """The tile over and over on the same operands: ``a`` (8 rows, 64 apart) and ``b`` (``depth`` x 32)."""
    for _ in range(calls):
        mk.tile(a, 8, 2, 1, c.ctypes.data, BLOCK, a.ctypes.data, 64, b.ctypes.data, BLOCK, 1, 0, 1, 0, depth, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    args = ap.parse_args()
    from threadpoolctl import threadpool_limits

    from autograder.reference import convolve, threads
    from autograder.reference.convolution import _pack_blocks
    from autograder.sandbox.runtime.memory import steady_allocator

    steady_allocator()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((M, H, W, C)).astype(np.float32)
    k = rng.standard_normal((3, 3, C, N)).astype(np.float32)
    wk, packed = _pack_blocks(k.reshape(-1, N), BLOCK)
    if not packed:
        raise SystemExit("conv_split: expected C's kernels packed in blocks (convolution._pack_blocks)")
    out = mk.aligned_empty((M, H, W, N), np.float32)
    row = mk.aligned_empty((W * N,), np.float32)
    xf = np.empty(HP * WP * C, np.float32)
    kernels.pad_image(x, 0, xf, 0, 1, 1, HP, WP)
    flops = 2.0 * M * H * W * N * 9 * C
    ta = rng.standard_normal(8 * 64 + 576).astype(np.float32)
    tb = mk.aligned_empty((576, BLOCK), np.float32)
    tb[...] = rng.standard_normal(tb.shape)
    tc = mk.aligned_empty((8, BLOCK), np.float32)
    tc[...] = 0
    calls = {depth: int(flops / (2 * 8 * BLOCK * depth)) for depth in (256, 576)}   # the same work as C
    variants = {
        "tile alone, kernels from L1 (32 KiB)": lambda: tile_alone(ta, tb, tc, 256, calls[256]),
        "tile alone, kernels from L2 (72 KiB, as C)": lambda: tile_alone(ta, tb, tc, 576, calls[576]),
        "C's loop, image padded once, one output row": lambda: conv_loop(x, xf, wk, out, row, 0, 0),
        "C's loop, the real output written": lambda: conv_loop(x, xf, wk, out, row, 0, 1),
        "C's loop, each image padded as it comes": lambda: conv_loop(x, xf, wk, out, row, 1, 0),
        "C's loop, both": lambda: conv_loop(x, xf, wk, out, row, 1, 1),
        "kernels.conv_direct": lambda: kernels.conv_direct(x, xf, 1, 1, HP, WP, wk, packed, 3, 3, C, N, out, row,
                                                           0, M, 1, 1, 1, 1),
        "convolve (the whole call)": lambda: convolve(x, k),
    }
    rates = {name: [] for name in variants}
    with threads(1), threadpool_limits(1):
        for f in variants.values():
            f()   # compile or load from Numba's cache
        for _ in range(args.rounds):
            for name, f in variants.items():
                best = float("inf")
                for _ in range(5):
                    t0 = time.perf_counter()
                    f()
                    best = min(best, time.perf_counter() - t0)
                rates[name].append(flops / best / 1e9)
    base = rates["C's loop, image padded once, one output row"]
    print(f"{'':46s} GFLOP/s  vs the tile's work alone in C's order")
    for name, g in rates.items():
        ratio = statistics.median(a / b for a, b in zip(g, base))
        print(f"{name:46s} {statistics.median(g):7.1f}  {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
