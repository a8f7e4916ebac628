import numpy as np


def convolve_grayscale_padding(images, kernel, padding):
    m, h, w = images.shape
    kh, kw = kernel.shape
    ph, pw = padding
    x = np.pad(images.astype(float), ((0, 0), (pw, pw), (ph, ph)))   # pw above and below, ph left and right
    oh, ow = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    out = np.zeros((m, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j] = np.sum(x[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out
