"""Model answers of 01_convolution_by_hand. Generated from course/lessons/01_convolution_by_hand.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np

output_00 = ...     # a number
output_full = ...   # [[a, b, c], [d, e, f], [g, h, i]]
output_00 = 1
output_full = [[1, 3, -2],
               [-1, 0, 3],
               [-1, -1, 2]]

def convolve_grayscale_valid_loops(images, kernel):
    """Valid cross-correlation of grayscale images, written with plain loops.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h - kh + 1, w - kw + 1), float64
    """
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for n in range(m):
        for i in range(h - kh + 1):
            for j in range(w - kw + 1):
                total = 0.0
                for a in range(kh):
                    for b in range(kw):
                        total += images[n, i + a, j + b] * kernel[a, b]
                out[n, i, j] = total
    return out

def convolve_grayscale_valid(images, kernel):
    """Valid cross-correlation of grayscale images, with loops over the kernel's taps only.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)

    Returns
    -------
    ndarray, shape (m, h - kh + 1, w - kw + 1), float64
    """
    m, h, w = images.shape
    kh, kw = kernel.shape
    oh, ow = h - kh + 1, w - kw + 1
    out = np.zeros((m, oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * images[:, a:a + oh, b:b + ow]
    return out
