"""Find a CBLAS ``sgemm``/``dgemm`` that compiled kernels can call, and check it before trusting it.

The kernels receive the ctypes function as an argument (so Numba can still cache them: the address is
read at run time, not baked into the machine code) and call it with row-major operands, leading
dimensions and ``beta``, which ``np.dot`` inside Numba cannot express.

Which library: the first BLAS loaded in this process that exports a CBLAS ``gemm`` and multiplies a
small test case correctly. With numpy's wheels that is numpy's own OpenBLAS (``libscipy_openblas64_``,
64-bit integers), so the reference needs no SciPy (Numba's ``np.dot`` would call SciPy's BLAS), and the
pool that ``threadpoolctl`` pins for timing is the one the kernels use.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_info

__all__ = ["Gemm", "gemm", "ROW_MAJOR", "NO_TRANS", "TRANS"]

ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112

# (symbol prefix, suffix, integer type): ILP64 builds mark their symbols with a 64_ suffix.
_NAMINGS = [("scipy_", "64_", ctypes.c_int64), ("", "64_", ctypes.c_int64),
            ("scipy_", "", ctypes.c_int32), ("", "", ctypes.c_int32)]


@dataclass(frozen=True)
class Gemm:
    """CBLAS gemm functions for float32 and float64, and where they come from."""

    sgemm: object
    dgemm: object
    library: str
    symbol: str

    def for_dtype(self, dtype) -> object:
        """The ctypes function for ``dtype`` (float32 or float64)."""
        return self.sgemm if np.dtype(dtype) == np.float32 else self.dgemm


def _prototype(int_t, real_t):
    ptr = ctypes.c_size_t  # addresses travel as integers: Numba passes ``array.ctypes.data`` unchanged
    return ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_int, ctypes.c_int, int_t, int_t, int_t, real_t, ptr,
                            int_t, ptr, int_t, real_t, ptr, int_t)


def _works(fn, dtype) -> bool:
    a = np.arange(1, 7, dtype=dtype).reshape(3, 2)
    b = np.arange(1, 9, dtype=dtype).reshape(2, 4)
    c = np.ones((3, 4), dtype=dtype)
    fn(ROW_MAJOR, NO_TRANS, NO_TRANS, 3, 4, 2, 2.0, a.ctypes.data, 2, b.ctypes.data, 4, 1.0, c.ctypes.data, 4)
    return bool(np.array_equal(c, 2.0 * (a.astype(np.float64) @ b) + 1.0))


def _candidates():
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            yield info["filepath"]


def find_gemm() -> Gemm:
    """Search the BLAS libraries loaded in this process; raise ImportError if none will do."""
    tried = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            tried.append(f"{path}: {exc}")
            continue
        for prefix, suffix, int_t in _NAMINGS:
            names = [f"{prefix}cblas_{t}gemm{suffix}" for t in "sd"]
            if not all(hasattr(lib, n) for n in names):
                continue
            s = _prototype(int_t, ctypes.c_float)((names[0], lib))
            d = _prototype(int_t, ctypes.c_double)((names[1], lib))
            if _works(s, np.float32) and _works(d, np.float64):
                return Gemm(sgemm=s, dgemm=d, library=path, symbol=names[0])
            tried.append(f"{path}: {names[0]} gave a wrong product")
        else:
            tried.append(f"{path}: no CBLAS gemm symbol")
    raise ImportError("autograder.reference needs a CBLAS gemm in a BLAS loaded by numpy; found none "
                      f"({'; '.join(tried) or 'no BLAS library loaded'})")


_GEMM: Gemm | None = None


def gemm() -> Gemm:
    """The process's :class:`Gemm`, found on first use."""
    global _GEMM
    if _GEMM is None:
        _GEMM = find_gemm()
    return _GEMM
