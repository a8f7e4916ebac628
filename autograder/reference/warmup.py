"""Compile (or load from Numba's cache) every reference kernel for float32 and float64.

``make setup`` runs this through ``convcourse warmup``, so a new process loads machine code from the cache
instead of paying the cold compile. Numba caches next to the sources (``__pycache__``) and, when the
package is installed read-only, in the user's cache directory (``~/.cache/numba`` or
``$NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import time

import numpy as np

from . import kernels
from .convolution import (
    convolve,
    convolve_channels,
    convolve_grayscale,
    convolve_transpose,
    depthwise_convolve,
)
from .backward import convolve_backward, pool_backward
from .pooling import global_average_pool, pool

__all__ = ["warm_up", "kernel_dispatchers"]


def kernel_dispatchers() -> dict:
    """Every Numba dispatcher of :mod:`.kernels` by name."""
    return {name: obj for name, obj in vars(kernels).items() if hasattr(obj, "stats") and hasattr(obj, "py_func")}


def warm_up() -> dict[str, float]:
    """Run every public array function once per dtype on tiny inputs; return seconds per dtype."""
    timings = {}
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        start = time.perf_counter()
        x = rng.random((2, 6, 5, 3)).astype(dtype)
        convolve(x, rng.random((3, 2, 3, 4)), "same", (2, 1), (1, 2))                   # im2col
        convolve(rng.random((1, 4, 4, 16)).astype(dtype), rng.random((3, 3, 16, 2)))   # shifted products
        convolve(rng.random((1, 4, 4, 8)).astype(dtype), rng.random((3, 3, 8, 16)))    # direct
        convolve_channels(x, rng.random((2, 2, 3)))
        convolve_grayscale(x[..., 0], rng.random((3, 3)), "same", (1, 2), (2, 1))
        convolve_grayscale(x[..., 0], rng.random((3, 3)), "same", (1, 1), (2, 1))
        depthwise_convolve(x, rng.random((3, 3, 3, 1)))
        depthwise_convolve(x, rng.random((3, 3, 3, 2)))
        convolve_transpose(x, rng.random((3, 3, 2, 3)), "same", (2, 2))
        pool(x, (2, 2), (2, 2), "max", "same")
        pool(x, (2, 2), (2, 2), "avg", "same")
        global_average_pool(x)
        convolve_backward(rng.random((2, 3, 5, 4)).astype(dtype), x, rng.random((3, 2, 3, 4)), "same", (2, 1), (1, 2))
        x16 = rng.random((1, 4, 4, 16)).astype(dtype)
        convolve_backward(rng.random((1, 4, 4, 16)).astype(dtype), x16, rng.random((3, 3, 16, 16)))   # direct
        pool_backward(rng.random((2, 3, 3, 3)).astype(dtype), x, (2, 2), (2, 2), "max", "same")   # tiles
        pool_backward(rng.random((2, 5, 4, 3)).astype(dtype), x, (2, 2), (1, 1), "max", "valid")  # overlapping
        pool_backward(rng.random((2, 3, 3, 3)).astype(dtype), x, (2, 2), (2, 2), "avg", "same")
        timings[np.dtype(dtype).name] = time.perf_counter() - start
    return timings
