import numpy as np


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros_like(images[:, :h - kh + 1, :w - kw + 1])
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.sum(images[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out
