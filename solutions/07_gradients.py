"""Model answers of 07_gradients. Generated from course/lessons/07_gradients.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np

def numerical_gradient(f, x, eps=1e-6):
    """Gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for an array of ``x``'s shape.
    x : ndarray
        Where to take the gradient; any real dtype. Left unchanged.
    eps : float
        The step.

    Returns
    -------
    ndarray, shape x.shape, float64
        ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element ``i``.
    """
    x = np.array(x, dtype=np.float64)      # a float64 copy: the caller's x never changes
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f(x)
        x[i] = old - eps
        down = f(x)
        x[i] = old                         # back in place: every element is measured at the same point
        grad[i] = (up - down) / (2 * eps)
    return grad

def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    """Gradient of max or average pooling with respect to its images.

    Parameters
    ----------
    d_out : ndarray, shape (m, oh, ow, c)
        Gradient of the loss with respect to the pooled output.
    images : ndarray, shape (m, h, w, c)
        The forward call's images.
    kernel_shape : tuple (kh, kw)
    stride : tuple (sh, sw)
    mode : {'max', 'avg'}
    padding : {'valid', 'same'}

    Returns
    -------
    ndarray, shape (m, h, w, c), float64
        'max': each window's d_out goes to its first maximum (row-major); 'avg': it is spread evenly over
        the window's real cells. Where windows overlap, their gradients add up.
    """
    m, h, w, c = images.shape
    (kh, kw), (sh, sw) = kernel_shape, stride
    oh, ow = d_out.shape[1:3]
    if padding == "same":
        th, tw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
    else:
        th, tw = 0, 0
    top, left = th // 2, tw // 2
    pads = ((0, 0), (top, th - top), (left, tw - left), (0, 0))
    x = np.pad(images.astype(np.float64), pads, constant_values=-np.inf)
    real = np.pad(np.ones((1, h, w, 1)), pads)              # 1 on the image, 0 on the padding
    d = np.asarray(d_out, dtype=np.float64)
    span_h, span_w = (oh - 1) * sh + 1, (ow - 1) * sw + 1
    best = np.full(d.shape, -np.inf)
    count = np.zeros((1, oh, ow, 1))
    for t in range(kh * kw):            # pass 1, tap by tap: each window's maximum and its number of real cells
        a, b = divmod(t, kw)
        best = np.maximum(best, x[:, a:a + span_h:sh, b:b + span_w:sw])
        count += real[:, a:a + span_h:sh, b:b + span_w:sw]
    dx = np.zeros(x.shape)
    free = np.ones(d.shape, dtype=bool)                      # windows whose maximum has not been found yet
    for t in range(kh * kw):            # pass 2, taps in row-major order, so the first maximum takes it
        a, b = divmod(t, kw)
        cells = (slice(None), slice(a, a + span_h, sh), slice(b, b + span_w, sw))
        if mode == "max":
            first = free & (x[cells] == best)
            free &= ~first
            dx[cells] += first * d
        else:
            dx[cells] += real[cells] * d / count
    return dx[:, top:top + h, left:left + w]

def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Gradients of the layer ``convolve(images, kernels, padding, stride, dilation) + bias``.

    Parameters
    ----------
    d_out : ndarray, shape (m, oh, ow, nc)
        Gradient of the loss with respect to the layer's output.
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, nc)
    padding : {'valid', 'same'} or tuple (ph, pw)
    stride : tuple (sh, sw)
    dilation : tuple (dh, dw)
        The forward call's arguments.

    Returns
    -------
    d_images : ndarray, shape (m, h, w, c), float64
    d_kernels : ndarray, shape (kh, kw, c, nc), float64
    d_bias : ndarray, shape (nc,), float64
    """
    m, h, w, c = images.shape
    kh, kw, _, nc = kernels.shape
    (sh, sw), (dh, dw) = stride, dilation
    oh, ow = d_out.shape[1:3]
    if padding == "same":
        th = max((oh - 1) * sh + (kh - 1) * dh + 1 - h, 0)
        tw = max((ow - 1) * sw + (kw - 1) * dw + 1 - w, 0)
        top, bottom, left, right = th // 2, th - th // 2, tw // 2, tw - tw // 2
    elif padding == "valid":
        top = bottom = left = right = 0
    else:
        top = bottom = padding[0]
        left = right = padding[1]
    x = np.pad(images.astype(np.float64), ((0, 0), (top, bottom), (left, right), (0, 0)))
    d = np.asarray(d_out, dtype=np.float64)
    dx = np.zeros(x.shape)
    dk = np.zeros(kernels.shape)
    for i in range(kh):
        for j in range(kw):
            ys = slice(i * dh, i * dh + (oh - 1) * sh + 1, sh)
            xs = slice(j * dw, j * dw + (ow - 1) * sw + 1, sw)
            dk[i, j] = np.einsum("mhwc,mhwn->cn", x[:, ys, xs], d)
            dx[:, ys, xs] += d @ kernels[i, j].T
    return dx[:, top:top + h, left:left + w], dk, d.sum(axis=(0, 1, 2))
