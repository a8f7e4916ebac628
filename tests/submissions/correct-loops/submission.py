import numpy as np


def convolve_grayscale_valid(images, kernel):
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kw + 1))
    for i in range(h - kh + 1):
        for j in range(w - kw + 1):
            out[:, i, j] = np.sum(images[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out


def convolve_grayscale_padding(images, kernel, padding):
    ph, pw = padding
    padded = np.pad(images, ((0, 0), (ph, ph), (pw, pw)))
    return convolve_grayscale_valid(padded, kernel)


def convolve(images, kernels, padding='same', stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    sh, sw = stride
    dh, dw = dilation
    ekh, ekw = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == 'same':
        oh, ow = -(-h // sh), -(-w // sw)
        th = max((oh - 1) * sh + ekh - h, 0)
        tw = max((ow - 1) * sw + ekw - w, 0)
        pads = ((th // 2, th - th // 2), (tw // 2, tw - tw // 2))
    elif padding == 'valid':
        pads = ((0, 0), (0, 0))
    else:
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    x = np.pad(images, ((0, 0), pads[0], pads[1], (0, 0))).astype(float)
    oh = (x.shape[1] - ekh) // sh + 1
    ow = (x.shape[2] - ekw) // sw + 1
    out = np.zeros((m, oh, ow, nc))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * sh:i * sh + ekh:dh, j * sw:j * sw + ekw:dw, :]
            out[:, i, j, :] = np.tensordot(window, kernels, axes=([1, 2, 3], [0, 1, 2]))
    return out
