"""Keep large freed blocks in the process heap, so that timing measures work rather than page faults.

glibc serves allocations above its mmap threshold (at most 32 MiB) with fresh pages from the kernel, and
every call that allocates a large output then pays for the kernel zeroing those pages (measured here:
3.4 ms for a 33 MiB float64 output, as long as a whole small convolution). :func:`steady_allocator`
raises the mmap and trim thresholds so that a freed block is reused by the next call. Timing harnesses
apply it to every implementation they compare (the reference, baselines, student code) so that none pays
what the others do not. A no-op where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util

__all__ = ["steady_allocator"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def steady_allocator(threshold_bytes: int = 1 << 30) -> bool:
    """Serve allocations up to ``threshold_bytes`` from the heap and keep freed memory; True if applied."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, int(threshold_bytes)) == 1
    ok &= mallopt(_M_TRIM_THRESHOLD, int(2 * threshold_bytes)) == 1
    return bool(ok)
