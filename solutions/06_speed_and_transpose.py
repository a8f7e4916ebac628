"""Model answers of 06_speed_and_transpose. Generated from course/lessons/06_speed_and_transpose.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

def convolve_grayscale_fast(images, kernel):
    """Valid cross-correlation with no Python loop.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h - kh + 1, w - kw + 1), float
    """
    windows = sliding_window_view(images.astype(float), kernel.shape, axis=(1, 2))
    # optimize=True: a matrix product (BLAS) instead of einsum's element-by-element loop over the view
    return np.einsum("mijab,ab->mij", windows, kernel, optimize=True)

def convolve_transpose(images, kernels, padding="valid", stride=(1, 1)):
    """Transposed convolution (the adjoint of ``convolve`` with the same kernels, padding and stride).

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, nc, c)
    padding : {'valid', 'same'}
    stride : tuple of 2 ints

    Returns
    -------
    ndarray, shape (m, H, W, nc), float; H = (h - 1) * sh + kh ('valid') or h * sh ('same')
    """
    m, h, w, c = images.shape
    kh, kw, nc, _ = kernels.shape
    sh, sw = stride
    full_h, full_w = (h - 1) * sh + kh, (w - 1) * sw + kw
    if padding == "same":
        big_h, big_w = h * sh, w * sw
        top = max((h - 1) * sh + kh - big_h, 0) // 2
        left = max((w - 1) * sw + kw - big_w, 0) // 2
    else:
        big_h, big_w, top, left = full_h, full_w, 0, 0
    out = np.zeros((m, max(full_h, top + big_h), max(full_w, left + big_w), nc))
    x = images.astype(float)
    for a in range(kh):
        for b in range(kw):
            out[:, a:a + (h - 1) * sh + 1:sh, b:b + (w - 1) * sw + 1:sw, :] += x @ kernels[a, b].T
    return out[:, top:top + big_h, left:left + big_w, :]
