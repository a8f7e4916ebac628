import numpy as np

from _same import conv_pads, same_pads


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


def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = d_out.shape[1:3]
    (t, b), (l, r) = (same_pads(h, kh, sh), same_pads(w, kw, sw)) if padding == "same" else ((0, 0), (0, 0))
    x = np.pad(images.astype(np.float64), ((0, 0), (t, b), (l, r), (0, 0)), constant_values=-np.inf)
    inside = np.pad(np.ones((h, w)), ((t, b), (l, r)))
    dx = np.zeros(x.shape)

    def tap(a, e):
        return slice(a, a + (oh - 1) * sh + 1, sh), slice(e, e + (ow - 1) * sw + 1, sw)

    if mode == "max":
        best = np.full((m, oh, ow, c), -np.inf)
        for a in range(kh):
            for e in range(kw):
                best = np.maximum(best, x[:, tap(a, e)[0], tap(a, e)[1], :])
        taken = np.zeros(best.shape, dtype=bool)
        for a in range(kh):                      # row-major: the first tap holding the maximum gets it
            for e in range(kw):
                ys, xs = tap(a, e)
                mask = (x[:, ys, xs, :] == best) & ~taken
                dx[:, ys, xs, :] += mask * d_out
                taken |= mask
    else:
        count = np.zeros((oh, ow))
        for a in range(kh):
            for e in range(kw):
                count += inside[tap(a, e)]
        share = d_out / count[np.newaxis, :, :, np.newaxis]
        for a in range(kh):
            for e in range(kw):
                ys, xs = tap(a, e)
                dx[:, ys, xs, :] += share
    return dx[:, t:t + h, l:l + w, :]


def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    sh, sw = stride
    dh, dw = dilation
    oh, ow = d_out.shape[1:3]
    (t, b), (l, r) = conv_pads(padding, h, kh, sh, dh, 0), conv_pads(padding, w, kw, sw, dw, 1)
    x = np.pad(images.astype(np.float64), ((0, 0), (t, b), (l, r), (0, 0)))
    dx = np.zeros(x.shape)
    dk = np.zeros(kernels.shape)
    for a in range(kh):
        for e in range(kw):
            ys = slice(a * dh, a * dh + (oh - 1) * sh + 1, sh)
            xs = slice(e * dw, e * dw + (ow - 1) * sw + 1, sw)
            dk[a, e] = np.tensordot(x[:, ys, xs, :], d_out, axes=([0, 1, 2], [0, 1, 2]))
            dx[:, ys, xs, :] += d_out @ kernels[a, e].T
    return dx[:, t:t + h, l:l + w, :], dk, d_out.sum(axis=(0, 1, 2))
