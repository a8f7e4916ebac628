"""How many threads the reference uses, and the single-thread mode that timing relies on.

The reference never uses Numba's OpenMP/TBB layers: its kernels release the GIL (``nogil=True``) and
this module runs them on contiguous slices of the batch from a small pool of Python threads. Inside
:func:`threads` (and so :func:`single_threaded`) every BLAS pool is pinned to one thread, so the only
parallelism is the reference's own and nothing is oversubscribed. Outside those blocks the reference runs
its kernels on one thread and BLAS keeps its own default.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

__all__ = ["threads", "single_threaded", "num_threads", "map_batch", "single_thread_env"]

_state = threading.local()

#: Environment that pins every common thread pool of a child process to one thread.
_SINGLE_THREAD_VARS = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}


def num_threads() -> int:
    """Worker threads the reference uses here (1 unless inside :func:`threads`)."""
    return getattr(_state, "workers", 1)


@contextmanager
def threads(n: int | None = None) -> Iterator[int]:
    """Run the reference on ``n`` threads (default: every core) with BLAS pinned to one thread.

    Examples
    --------
    >>> with threads(2):
    ...     y = convolve(x, k)  # doctest: +SKIP
    """
    if n is None:
        n = os.cpu_count() or 1
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads: n must be a positive int; got {n!r}")
    previous = num_threads()
    if getattr(_state, "pinned", False):   # BLAS is already on one thread: skip threadpoolctl's slow scan
        _state.workers = n
        try:
            yield n
        finally:
            _state.workers = previous
        return
    with threadpool_limits(limits=1):
        _state.workers, _state.pinned = n, True
        try:
            yield n
        finally:
            _state.workers, _state.pinned = previous, False


def single_threaded():
    """Context manager: the reference and every BLAS pool on one thread (used to time tiers)."""
    return threads(1)


def single_thread_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default ``os.environ``) that makes a child process single-threaded."""
    env = dict(os.environ if base is None else base)
    env.update(_SINGLE_THREAD_VARS)
    return env


def map_batch(m: int, work: Callable[[int, int], None]) -> None:
    """Call ``work(b0, b1)`` on contiguous slices of ``range(m)``, one slice per worker thread."""
    workers = min(num_threads(), m)
    if workers <= 1:
        work(0, m)
        return
    bounds = [m * i // workers for i in range(workers + 1)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(work, bounds[i], bounds[i + 1]) for i in range(workers)]
        for f in futures:
            f.result()
