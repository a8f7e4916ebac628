import os

import numpy as np


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    i = 0
    while i < h - kh + 1:
        for j in range(w - kw + 1):
            out[:, i, j] = np.sum(images[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
        i += 1
    np.convolve([1.0], [1.0])  # a forbidden helper, even when it does no harm
    return out + 0 * len(os.sep)
