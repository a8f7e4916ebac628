import numpy as np

from _same import conv_pads, same_pads


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


def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = d_out.shape[1:3]
    (t, b), (l, r) = (same_pads(h, kh, sh), same_pads(w, kw, sw)) if padding == "same" else ((0, 0), (0, 0))
    x = np.pad(images.astype(np.float64), ((0, 0), (t, b), (l, r), (0, 0)), constant_values=-np.inf)
    inside = np.pad(np.ones((h, w)), ((t, b), (l, r)))
    dx = np.zeros(x.shape)
    for i in range(oh):
        for j in range(ow):
            ys, xs = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = d_out[:, i, j, :]
            if mode == "max":
                window = x[:, ys, xs, :].reshape(m, kh * kw, c)
                mask = np.zeros_like(window)
                np.put_along_axis(mask, window.argmax(axis=1)[:, np.newaxis, :], 1.0, axis=1)   # first maximum
                dx[:, ys, xs, :] += mask.reshape(m, kh, kw, c) * g[:, np.newaxis, np.newaxis, :]
            else:
                cells = inside[ys, xs]
                dx[:, ys, xs, :] += cells[np.newaxis, :, :, np.newaxis] * g[:, np.newaxis, np.newaxis, :] / cells.sum()
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
    for i in range(oh):
        for j in range(ow):
            ys = slice(i * sh, i * sh + (kh - 1) * dh + 1, dh)
            xs = slice(j * sw, j * sw + (kw - 1) * dw + 1, dw)
            g = d_out[:, i, j, np.newaxis, np.newaxis, np.newaxis, :]          # (m, 1, 1, 1, nc)
            window = x[:, ys, xs, :, np.newaxis]                                 # (m, kh, kw, c, 1)
            dk += np.sum(window * g, axis=0)
            dx[:, ys, xs, :] += np.sum(kernels * g, axis=-1)
    return dx[:, t:t + h, l:l + w, :], dk, d_out.sum(axis=(0, 1, 2))
