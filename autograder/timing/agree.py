"""Whether a timed answer agrees with the reference's: the tolerance of
:func:`~autograder.grading.compare.close_enough`, decided in one pass.

Every output of every timed call is checked (so that neither a cached nor a lazy answer helps), 20-90 of
them an exercise. numpy's elementwise check makes eight passes and two float64 copies: 1.4 ms for the
pool workload's 0.8 MB answer, against 0.18 ms here.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ..grading.compare import RELATIVE_SLACK, absolute_tolerance, close_enough

__all__ = ["agrees", "TERMS", "warm_up"]

#: The products each timed value is allowed to have summed (a bound for every workload's answers).
TERMS = 9 * 64

_KINDS = (np.dtype(np.float32), np.dtype(np.float64))


@nb.njit(cache=True, nogil=True)
def _largest_magnitude(w):
    top = 0.0
    for i in range(w.size):
        a = abs(w[i])
        if a > top:   # a NaN is skipped here, and fails in _within
            top = a
    return top


@nb.njit(cache=True, nogil=True)
def _within(g, w, atol, rtol):
    for i in range(w.size):
        want = np.float64(w[i])
        if not abs(np.float64(g[i]) - want) <= atol + rtol * abs(want):   # NaN fails, as in close_enough
            return False
    return True


def agrees(got, want) -> bool:
    """Whether ``got`` (what the child returned) matches ``want`` (the reference's answer, or a tuple of
    them): a float array of the same shape, within tolerance everywhere."""
    if isinstance(want, tuple):   # a function with several results: every part
        return isinstance(got, tuple) and len(got) == len(want) and all(map(agrees, got, want))
    if not (isinstance(got, np.ndarray) and got.shape == want.shape and got.dtype.kind == "f"):
        return False
    if got.dtype not in _KINDS or want.dtype not in _KINDS:   # float16, longdouble: numpy's way
        magnitude = 1.0 + float(np.abs(want).max(initial=0))
        return bool(close_enough(got, want, TERMS, magnitude).all())
    g, w = np.ascontiguousarray(got).reshape(-1), np.ascontiguousarray(want).reshape(-1)
    magnitude = 1.0 + float(_largest_magnitude(w))
    return bool(_within(g, w, absolute_tolerance(TERMS, magnitude), RELATIVE_SLACK))


def warm_up() -> None:
    """Compile (or load from Numba's cache) the check for every pair of float dtypes it meets."""
    for g in _KINDS:
        for w in _KINDS:
            agrees(np.zeros(2, g), np.zeros(2, w))
