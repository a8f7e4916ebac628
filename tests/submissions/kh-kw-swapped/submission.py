import numpy as np


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kw, kh = kernel.shape
    k = kernel.reshape(kh, kw) if False else kernel.T
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.sum(images[:, i:i + kh, j:j + kw] * k, axis=(1, 2))
    return out
