import numpy as np


def convolve_grayscale_same(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    ph = ((h - 1) + kh - h) // 2 + 1
    pw = ((w - 1) + kw - w) // 2 + 1
    x = np.pad(images, ((0, 0), (ph, ph), (pw, pw)))
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = np.sum(x[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out
