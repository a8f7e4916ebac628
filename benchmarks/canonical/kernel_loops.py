import numpy as np

from _same import same_pads


def convolve_grayscale_same(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    x = np.pad(images, ((0, 0), same_pads(h, kh), same_pads(w, kw)))
    out = np.zeros((m, h, w))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * x[:, a:a + h, b:b + w]
    return out


def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    x = np.pad(images, ((0, 0), same_pads(h, kh), same_pads(w, kw), (0, 0)))
    out = np.zeros((m, h, w, nc))
    for a in range(kh):
        for b in range(kw):
            out += x[:, a:a + h, b:b + w, :] @ kernels[a, b]
    return out


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.full((m, oh, ow, c), -np.inf)
    for a in range(kh):
        for b in range(kw):
            out = np.maximum(out, images[:, a:a + (oh - 1) * sh + 1:sh, b:b + (ow - 1) * sw + 1:sw, :])
    return out
