"""A brute-force oracle for the reference, written straight from SPEC §1 and sharing none of its code.

Results are float64; :func:`out_dtype` says which dtype the reference must return.

Every output element is computed by its own loop over the window, with padding handled by asking whether
each tap falls inside the image. Slow and obviously correct; used on small inputs only.
"""

from __future__ import annotations

import math

import numpy as np


def out_dtype(images):
    return np.float32 if np.asarray(images).dtype == np.float32 else np.float64


def pads(n, k, padding, s, d):
    """(before, after, out) along one axis, from the spec's rules."""
    k_eff = (k - 1) * d + 1
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        out = math.ceil(n / s)
        total = max((out - 1) * s + k_eff - n, 0)
        before, after = total // 2, total - total // 2
    elif isinstance(padding, int):
        before = after = padding
    else:
        before, after = padding
    out = (n + before + after - k_eff) // s + 1
    return before, after, out


def explicit_axes(padding):
    """Split padding into what each axis gets."""
    if isinstance(padding, str):
        return padding, padding
    a, b = padding
    return a, b


def conv_bank(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """images (m, h, w, c), kernels (kh, kw, c, n) -> (m, oh, ow, n), by loops."""
    x = np.asarray(images, dtype=np.float64)
    k = np.asarray(kernels, dtype=np.float64)
    m, h, w, c = x.shape
    kh, kw, _, n = k.shape
    ph, pw = explicit_axes(padding)
    top, _, oh = pads(h, kh, ph, stride[0], dilation[0])
    left, _, ow = pads(w, kw, pw, stride[1], dilation[1])
    out = np.zeros((m, oh, ow, n))
    for b in range(m):
        for oy in range(oh):
            for ox in range(ow):
                for f in range(n):
                    total = 0.0
                    for i in range(kh):
                        for j in range(kw):
                            y = oy * stride[0] + i * dilation[0] - top
                            xx = ox * stride[1] + j * dilation[1] - left
                            if 0 <= y < h and 0 <= xx < w:
                                total += float(np.dot(x[b, y, xx, :], k[i, j, :, f]))
                    out[b, oy, ox, f] = total
    return out


def depthwise(images, kernels, padding="same", stride=(1, 1)):
    x = np.asarray(images, dtype=np.float64)
    k = np.asarray(kernels, dtype=np.float64)
    kh, kw, c, mult = k.shape
    outs = []
    for ci in range(c):
        for j in range(mult):
            one = conv_bank(x[..., ci : ci + 1], k[:, :, ci : ci + 1, j : j + 1], padding, stride)
            outs.append(one[..., 0])
    return np.stack(outs, axis=-1)


def transpose(images, kernels, padding="valid", stride=(1, 1)):
    """Scatter each input pixel's kernel into the output, then crop as the forward 'same' padding says."""
    x = np.asarray(images, dtype=np.float64)
    k = np.asarray(kernels, dtype=np.float64)
    m, h, w, c = x.shape
    kh, kw, nc, _ = k.shape
    sh, sw = stride
    if padding == "valid":
        H, W = (h - 1) * sh + kh, (w - 1) * sw + kw
    else:
        H, W = h * sh, w * sw
    top, _, _ = pads(H, kh, padding, sh, 1)
    left, _, _ = pads(W, kw, padding, sw, 1)
    big = np.zeros((m, max(H + top, (h - 1) * sh + kh), max(W + left, (w - 1) * sw + kw), nc))
    for b in range(m):
        for y in range(h):
            for xx in range(w):
                for i in range(kh):
                    for j in range(kw):
                        big[b, y * sh + i, xx * sw + j, :] += k[i, j] @ x[b, y, xx]
    return big[:, top : top + H, left : left + W, :]


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    x = np.asarray(images, dtype=np.float64)
    m, h, w, c = x.shape
    kh, kw = kernel_shape
    top, _, oh = pads(h, kh, padding, stride[0], 1)
    left, _, ow = pads(w, kw, padding, stride[1], 1)
    out = np.zeros((m, oh, ow, c))
    for b in range(m):
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    cells = [
                        x[b, y, xx, ch]
                        for y in range(oy * stride[0] - top, oy * stride[0] - top + kh)
                        for xx in range(ox * stride[1] - left, ox * stride[1] - left + kw)
                        if 0 <= y < h and 0 <= xx < w
                    ]
                    out[b, oy, ox, ch] = max(cells) if mode == "max" else sum(cells) / len(cells)
    return out


def conv_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """(d_images, d_kernels, d_bias) of ``conv_bank + bias``, by the chain rule term by term: each output
    element adds its gradient times the other factor of every product it summed."""
    x = np.asarray(images, dtype=np.float64)
    k = np.asarray(kernels, dtype=np.float64)
    g = np.asarray(d_out, dtype=np.float64)
    m, h, w, c = x.shape
    kh, kw, _, n = k.shape
    ph, pw = explicit_axes(padding)
    top, _, oh = pads(h, kh, ph, stride[0], dilation[0])
    left, _, ow = pads(w, kw, pw, stride[1], dilation[1])
    dx, dk, db = np.zeros_like(x), np.zeros_like(k), np.zeros(n)
    for b in range(m):
        for oy in range(oh):
            for ox in range(ow):
                for f in range(n):
                    gv = g[b, oy, ox, f]
                    db[f] += gv
                    for i in range(kh):
                        for j in range(kw):
                            y = oy * stride[0] + i * dilation[0] - top
                            xx = ox * stride[1] + j * dilation[1] - left
                            if 0 <= y < h and 0 <= xx < w:
                                dx[b, y, xx, :] += gv * k[i, j, :, f]
                                dk[i, j, :, f] += gv * x[b, y, xx, :]
    return dx, dk, db


def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    """d_images of ``pool``: max sends each window's gradient to its first largest cell (row-major), avg
    splits it over the cells inside the image."""
    x = np.asarray(images, dtype=np.float64)
    g = np.asarray(d_out, dtype=np.float64)
    m, h, w, c = x.shape
    kh, kw = kernel_shape
    top, _, oh = pads(h, kh, padding, stride[0], 1)
    left, _, ow = pads(w, kw, padding, stride[1], 1)
    dx = np.zeros_like(x)
    for b in range(m):
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    cells = [(y, xx) for y in range(oy * stride[0] - top, oy * stride[0] - top + kh)
                             for xx in range(ox * stride[1] - left, ox * stride[1] - left + kw)
                             if 0 <= y < h and 0 <= xx < w]
                    if mode == "max":
                        best = cells[0]
                        for cell in cells[1:]:
                            if x[b, cell[0], cell[1], ch] > x[b, best[0], best[1], ch]:
                                best = cell
                        dx[b, best[0], best[1], ch] += g[b, oy, ox, ch]
                    else:
                        for y, xx in cells:
                            dx[b, y, xx, ch] += g[b, oy, ox, ch] / len(cells)
    return dx


def receptive_field(layers):
    """(size, jump) along one axis by tracing which inputs reach output 0 and where output 1 starts:
    each layer maps an interval of its outputs back to an interval of its inputs."""
    lo, hi = 0, 0          # output 0 of the last layer
    lo1 = 1                # output 1 of the last layer
    for k, s, d in reversed(list(layers)):
        lo, hi = lo * s, hi * s + (k - 1) * d
        lo1 = lo1 * s
    return hi - lo + 1, lo1 - lo
