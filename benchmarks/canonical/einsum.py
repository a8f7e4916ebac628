import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from _same import same_pads


def convolve_grayscale_same(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    x = np.pad(images, ((0, 0), same_pads(h, kh), same_pads(w, kw)))
    return np.einsum("myxab,ab->myx", sliding_window_view(x, (kh, kw), axis=(1, 2)), kernel)


def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    x = np.pad(images, ((0, 0), same_pads(h, kh), same_pads(w, kw), (0, 0)))
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))
    return np.einsum("myxcab,abcn->myxn", win, kernels, optimize=True)


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    win = sliding_window_view(images, kernel_shape, axis=(1, 2))[:, ::stride[0], ::stride[1]]
    return win.max(axis=(-2, -1))
