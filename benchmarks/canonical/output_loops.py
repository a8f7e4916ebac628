import numpy as np

from _same import same_pads


def convolve_grayscale_same(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    x = np.pad(images, ((0, 0), same_pads(h, kh), same_pads(w, kw)))
    out = np.zeros((m, h, w))
    for i in range(h):
        for j in range(w):
            out[:, i, j] = np.sum(x[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out


def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    x = np.pad(images, ((0, 0), same_pads(h, kh), same_pads(w, kw), (0, 0)))
    out = np.zeros((m, h, w, nc))
    for i in range(h):
        for j in range(w):
            window = x[:, i:i + kh, j:j + kw, :, np.newaxis]
            out[:, i, j, :] = np.sum(window * kernels, axis=(1, 2, 3))
    return out


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((m, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = np.max(images[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :], axis=(1, 2))
    return out
