"""Argument checking for the reference: clear ``ValueError`` messages, canonical arrays for the kernels.

Each checker names the function and the argument, says what it received (shape, dtype or value) and what
was expected, so a mistake reads as a sentence rather than a traceback from inside Numba.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = [
    "compute_dtype",
    "as_images",
    "as_kernel",
    "pair",
    "padding_pairs",
    "check_channels",
]


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def _as_real_array(value, func: str, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - anything numpy cannot read is a bad argument
        raise ValueError(f"{func}: {name} must be a numeric array; got {_describe(value)} ({exc})") from None
    if arr.dtype.kind not in "buif":
        raise ValueError(
            f"{func}: {name} must hold real numbers (bool, int, uint or float); got dtype {arr.dtype}"
        )
    return arr


def compute_dtype(images: np.ndarray) -> np.dtype:
    """float32 when ``images`` is float32, float64 for every other real dtype (SPEC §1)."""
    return np.dtype(np.float32) if images.dtype == np.float32 else np.dtype(np.float64)


def as_images(value, ndim: int, func: str, layout: str, name: str = "images") -> np.ndarray:
    """Check the number of dimensions; return a C-contiguous array in the compute dtype."""
    arr = _as_real_array(value, func, name)
    if arr.ndim != ndim:
        raise ValueError(
            f"{func}: {name} must be a {ndim}-D array of shape {layout}; got {arr.ndim}-D shape {arr.shape}"
        )
    return np.ascontiguousarray(arr, dtype=compute_dtype(arr))


def as_kernel(value, ndim: int, func: str, layout: str, dtype: np.dtype, name: str = "kernel") -> np.ndarray:
    """Check the number of dimensions and non-empty axes; return a C-contiguous ``dtype`` array."""
    arr = _as_real_array(value, func, name)
    if arr.ndim != ndim:
        raise ValueError(
            f"{func}: {name} must be a {ndim}-D array of shape {layout}; got {arr.ndim}-D shape {arr.shape}"
        )
    if 0 in arr.shape:
        raise ValueError(f"{func}: {name} must not have an empty axis; got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=dtype)


def pair(value, func: str, name: str) -> tuple[int, int]:
    """A stride or dilation: an int or a tuple of two positive ints, returned as ``(along h, along w)``."""
    items = (value, value) if _is_int(value) else value
    if not isinstance(items, tuple | list) or len(items) != 2 or not all(_is_int(v) for v in items):
        raise ValueError(f"{func}: {name} must be a tuple of two positive ints (sh, sw); got {_describe(value)}")
    a, b = int(items[0]), int(items[1])
    if a < 1 or b < 1:
        raise ValueError(f"{func}: {name} must be positive along both axes; got {(a, b)}")
    return a, b


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def padding_pairs(padding, func: str, allow_explicit: bool = True):
    """Normalise padding to ``'valid'``, ``'same'`` or ``((top, bottom), (left, right))``.

    Explicit padding is ``(ph, pw)`` (``ph`` zeros above and below, ``pw`` left and right) or
    ``((top, bottom), (left, right))``.
    """
    if isinstance(padding, str):
        if padding in ("valid", "same"):
            return str(padding)
        raise ValueError(f"{func}: padding must be 'valid' or 'same'{_explicit(allow_explicit)}; got {padding!r}")
    if allow_explicit and isinstance(padding, tuple | list) and len(padding) == 2:
        if all(_is_int(p) for p in padding):
            ph, pw = int(padding[0]), int(padding[1])
            result = ((ph, ph), (pw, pw))
        elif all(isinstance(p, tuple | list) and len(p) == 2 and all(_is_int(q) for q in p) for p in padding):
            result = tuple((int(p[0]), int(p[1])) for p in padding)
        else:
            result = None
        if result is not None:
            if min(min(p) for p in result) < 0:
                raise ValueError(f"{func}: padding must not be negative; got {padding!r}")
            return result
    raise ValueError(f"{func}: padding must be 'valid' or 'same'{_explicit(allow_explicit)}; got {_describe(padding)}")


def _explicit(allow: bool) -> str:
    return ", a tuple (ph, pw) of zeros per side, or ((top, bottom), (left, right))" if allow else ""


def check_channels(func: str, images: np.ndarray, kernel: np.ndarray, kernel_axis: int, kernel_name: str) -> None:
    """The kernel's channel axis must match the images' last axis."""
    c = images.shape[-1]
    kc = kernel.shape[kernel_axis]
    if kc != c:
        raise ValueError(
            f"{func}: {kernel_name} has {kc} input channels (axis {kernel_axis} of shape {kernel.shape}) "
            f"but images have {c} (last axis of shape {images.shape}); expected them to match"
        )
