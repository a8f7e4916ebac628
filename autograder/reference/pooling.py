"""Pooling (SPEC §1): max and average over windows, and global average pooling."""

from __future__ import annotations

import numpy as np

from . import kernels as cores
from .convolution import plan_2d
from .microkernel import aligned_empty
from .threads import map_batch
from .validate import as_images, pair, padding_pairs

__all__ = ["pool", "global_average_pool", "pooling_args"]


def pooling_args(func, images, kernel_shape, stride, mode, padding):
    """The checked arguments of a pooling call (``func`` names it in errors): ``(images, kernel_shape,
    stride, height geometry, width geometry)``."""
    x = as_images(images, 4, func, "(m, h, w, c)")
    kshape = pair(kernel_shape, func, "kernel_shape")
    stride = pair(stride, func, "stride")
    if not isinstance(mode, str) or mode not in ("max", "avg"):
        raise ValueError(f"{func}: mode must be 'max' or 'avg'; got {mode!r}")
    padding = padding_pairs(padding, func, allow_explicit=False)
    gh, gw = plan_2d(func, x.shape, kshape, padding, stride)
    return x, kshape, stride, gh, gw


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    """Max or average pooling over each channel.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
        Any real dtype.
    kernel_shape : tuple of 2 ints
        Window ``(kh, kw)``.
    stride : tuple of 2 ints
        ``(sh, sw)``.
    mode : {'max', 'avg'}, optional
    padding : {'valid', 'same'}, optional
        With ``'same'`` (Keras rule) the padded cells never win a max and are not counted in an average,
        as in TensorFlow.

    Returns
    -------
    ndarray, shape (m, oh, ow, c)
        float32 if ``images`` is float32, else float64.
    """
    x, kshape, stride, gh, gw = pooling_args("pool", images, kernel_shape, stride, mode, padding)
    m, c = x.shape[0], x.shape[3]
    out = aligned_empty((m, gh.out, gw.out, c), x.dtype)
    if out.size == 0:
        return out
    if mode == "max":
        map_batch(m, lambda b0, b1: cores.pool_max(x, out, b0, b1, *kshape, *stride, gh.before, gw.before))
    else:
        map_batch(m, lambda b0, b1: cores.pool_avg(x, out, np.empty(c + 1, dtype=x.dtype), b0, b1, *kshape,
                                                   *stride, gh.before, gw.before))
    return out


def global_average_pool(images):
    """Mean of each channel over all positions (Keras ``GlobalAveragePooling2D``).

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)

    Returns
    -------
    ndarray, shape (m, c)
        float32 if ``images`` is float32, else float64 (accumulated in float64 either way).
    """
    func = "global_average_pool"
    x = as_images(images, 4, func, "(m, h, w, c)")
    m, h, w, c = x.shape
    if h * w == 0:
        raise ValueError(f"{func}: images must have at least one position; got shape {x.shape}")
    out = np.empty((m, c), dtype=x.dtype)
    x3 = x.reshape(m, h * w, c)
    map_batch(m, lambda b0, b1: cores.global_avg(x3, out, b0, b1))
    return out
