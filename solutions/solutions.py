"""Model solutions of every catalogue exercise: pure numpy, within each loop budget, full marks.

Windows come from ``sliding_window_view`` (a view: no copy until ``einsum`` reads it), so most functions
have no Python loop at all. Results are float32 for float32 images and float64 otherwise.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _dtype(images):
    return np.float32 if images.dtype == np.float32 else np.float64


def _same(n, k, s, d=1):
    """Keras 'same' zeros (before, after) along one axis: the odd zero goes after."""
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _pads(padding, shape, kshape, stride, dilation):
    """((top, bottom), (left, right)) for 'same', 'valid', (ph, pw) or ((t, b), (l, r))."""
    if isinstance(padding, str) and padding == "same":
        return tuple(_same(n, k, s, d) for n, k, s, d in zip(shape, kshape, stride, dilation))
    if isinstance(padding, str) and padding == "valid":
        return (0, 0), (0, 0)
    ph, pw = padding
    if isinstance(ph, tuple):
        return tuple(ph), tuple(pw)
    return (ph, ph), (pw, pw)


def _windows(images, kshape, padding, stride, dilation, fill=0.0):
    """Padded windows of ``images (m, h, w, ...)``: a view of shape (m, oh, ow, ..., kh, kw)."""
    (t, b), (l, r) = _pads(padding, images.shape[1:3], kshape, stride, dilation)
    widths = [(0, 0), (t, b), (l, r)] + [(0, 0)] * (images.ndim - 3)
    x = np.pad(images.astype(_dtype(images)), widths, constant_values=fill)
    span = [(k - 1) * d + 1 for k, d in zip(kshape, dilation)]
    win = sliding_window_view(x, span, axis=(1, 2))
    return win[:, ::stride[0], ::stride[1], ..., ::dilation[0], ::dilation[1]]


def convolve_grayscale(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    win = _windows(images, kernel.shape, padding, stride, dilation)
    return np.einsum("myxab,ab->myx", win, kernel.astype(win.dtype))


def convolve_grayscale_valid(images, kernel):
    return convolve_grayscale(images, kernel, "valid")


def convolve_grayscale_same(images, kernel):
    return convolve_grayscale(images, kernel, "same")


def convolve_grayscale_padding(images, kernel, padding):
    return convolve_grayscale(images, kernel, padding)


def convolve_channels(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    win = _windows(images, kernel.shape[:2], padding, stride, dilation)
    return np.einsum("myxcab,abc->myx", win, kernel.astype(win.dtype))


def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    win = _windows(images, kernels.shape[:2], padding, stride, dilation)
    return np.einsum("myxcab,abcn->myxn", win, kernels.astype(win.dtype), optimize=True)


def depthwise_convolve(images, kernels, padding="same", stride=(1, 1)):
    win = _windows(images, kernels.shape[:2], padding, stride, (1, 1))
    out = np.einsum("myxcab,abcj->myxcj", win, kernels.astype(win.dtype))
    return out.reshape(out.shape[:3] + (-1,))


def pool(images, kernel_shape, stride, mode="max", padding="valid"):
    dt = _dtype(images)
    if mode == "max":
        win = _windows(images, kernel_shape, padding, stride, (1, 1), fill=-np.inf)
        return win.max(axis=(-2, -1)).astype(dt)
    total = _windows(images, kernel_shape, padding, stride, (1, 1)).sum(axis=(-2, -1))
    ones = np.ones((1,) + images.shape[1:3] + (1,), dtype=dt)
    count = _windows(ones, kernel_shape, padding, stride, (1, 1)).sum(axis=(-2, -1))
    return (total / count).astype(dt)


def global_average_pool(images):
    return images.astype(_dtype(images)).mean(axis=(1, 2), dtype=np.float64).astype(_dtype(images))


def convolve_transpose(images, kernels, padding="valid", stride=(1, 1)):
    m, h, w, c = images.shape
    kh, kw, nc, _ = kernels.shape
    sh, sw = stride
    dt = _dtype(images)
    x = images.astype(dt)
    H, W = ((h - 1) * sh + kh, (w - 1) * sw + kw) if padding == "valid" else (h * sh, w * sw)
    top = _same(H, kh, sh)[0] if padding == "same" else 0
    left = _same(W, kw, sw)[0] if padding == "same" else 0
    canvas = np.zeros((m, max((h - 1) * sh + kh, top + H), max((w - 1) * sw + kw, left + W), nc), dtype=dt)
    for a in range(kh):
        for b in range(kw):
            # every input pixel scatters kernels[a, b] @ pixel to (y * sh + a, x * sw + b)
            canvas[:, a:a + (h - 1) * sh + 1:sh, b:b + (w - 1) * sw + 1:sw, :] += x @ kernels[a, b].astype(dt).T
    return canvas[:, top:top + H, left:left + W, :]


def conv_output_size(n, k, padding="valid", stride=1, dilation=1):
    k_eff = (k - 1) * dilation + 1
    if padding == "same":
        before, after = _same(n, k, stride, dilation)
    elif padding == "valid":
        before = after = 0
    else:
        before = after = padding
    return (n + before + after - k_eff) // stride + 1


def conv_params(kh, kw, in_channels, filters, use_bias=True):
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def dense_params(in_features, units, use_bias=True):
    return in_features * units + (units if use_bias else 0)


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True):
    depthwise = kh * kw * in_channels * depth_multiplier
    return depthwise + conv_params(1, 1, in_channels * depth_multiplier, filters, use_bias)


# Convolution by hand: the 5x5 image and the vertical-edge kernel [[1, 0, -1]] * 3.
# output[0, 0] = (1 + 4 + 0) * 1 + (2 + 1 + 2) * 0 + (0 + 1 + 3) * -1
output_00 = (1 + 4 + 0) - (0 + 1 + 3)
output_full = np.array([[1, 3, -2],
                        [-1, 0, 3],
                        [-1, -1, 2]])

# Shapes through the small CNN: 28x28x1 -> Conv(32, 3x3) -> MaxPool 2 -> Conv(64, 3x3) -> MaxPool 2
# -> global average pooling -> Dense(10).
_s1 = conv_output_size(28, 3)
_p1 = conv_output_size(_s1, 2, stride=2)
_s2 = conv_output_size(_p1, 3)
_p2 = conv_output_size(_s2, 2, stride=2)
layer_shapes = [(_s1, _s1, 32), (_p1, _p1, 32), (_s2, _s2, 64), (_p2, _p2, 64), (64,), (10,)]
layer_params = [conv_params(3, 3, 1, 32), 0, conv_params(3, 3, 32, 64), 0, 0, dense_params(64, 10)]
