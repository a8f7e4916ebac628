import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from _same import conv_pads, same_pads


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


def _scatter(shape, parts, sh, sw, dh=1, dw=1):
    """Sum ``parts`` (m, oh, ow, kh, kw, c), each window's share of each of its cells, into an array of
    ``shape`` (the padded images'): one ``np.add.at`` on the cells' indices, no Python loop (overlapping
    windows add)."""
    _, oh, ow, kh, kw, _ = parts.shape
    rows = (np.arange(oh) * sh)[:, None, None, None] + (np.arange(kh) * dh)[None, None, :, None]
    cols = (np.arange(ow) * sw)[None, :, None, None] + (np.arange(kw) * dw)[None, None, None, :]
    out = np.zeros(shape)
    np.add.at(out, (slice(None), rows, cols), parts)
    return out


def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    m, h, w, c = images.shape
    kh, kw = kernel_shape
    sh, sw = stride
    oh, ow = d_out.shape[1:3]
    (t, b), (l, r) = (same_pads(h, kh, sh), same_pads(w, kw, sw)) if padding == "same" else ((0, 0), (0, 0))
    x = np.pad(images.astype(np.float64), ((0, 0), (t, b), (l, r), (0, 0)), constant_values=-np.inf)
    if mode == "max":
        win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :oh, :ow]   # (m, oh, ow, c, kh, kw)
        first = win.reshape(m, oh, ow, c, kh * kw).argmax(axis=-1)                       # the first maximum
        parts = (np.arange(kh * kw) == first[..., None]) * d_out[..., None]
    else:
        inside = np.pad(np.ones((h, w)), ((t, b), (l, r)))
        cells = sliding_window_view(inside, (kh, kw))[::sh, ::sw][:oh, :ow]              # (oh, ow, kh, kw)
        cells = (cells / cells.sum(axis=(2, 3), keepdims=True)).reshape(oh, ow, 1, kh * kw)
        parts = cells * d_out[..., None]
    # the scatter back to the cells: np.add.at (_scatter), no Python loop
    parts = parts.reshape(m, oh, ow, c, kh, kw).transpose(0, 1, 2, 4, 5, 3)
    return _scatter(x.shape, parts, sh, sw)[:, t:t + h, l:l + w, :]


def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    sh, sw = stride
    dh, dw = dilation
    oh, ow = d_out.shape[1:3]
    (t, b), (l, r) = conv_pads(padding, h, kh, sh, dh, 0), conv_pads(padding, w, kw, sw, dw, 1)
    x = np.pad(images.astype(np.float64), ((0, 0), (t, b), (l, r), (0, 0)))
    win = sliding_window_view(x, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2))
    win = win[:, ::sh, ::sw, :, ::dh, ::dw][:, :oh, :ow]                                  # (m, oh, ow, c, kh, kw)
    d_kernels = np.einsum("myxcab,myxn->abcn", win, d_out, optimize=True)
    # d_images: each output's gradient through every tap, scattered back with np.add.at (no Python loop)
    parts = np.einsum("myxn,abcn->myxabc", d_out, kernels, optimize=True)
    d_images = _scatter(x.shape, parts, sh, sw, dh, dw)[:, t:t + h, l:l + w, :]
    return d_images, d_kernels, d_out.sum(axis=(0, 1, 2))
