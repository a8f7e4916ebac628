"""The backward pass (SPEC §1 "Backward pass"): gradients of a convolution layer and of pooling.

Each takes ``d_out = dL/d(output)`` of the forward call's shape with the forward call's arguments and
returns the gradients of the same loss with respect to the inputs. Results are float32 when the images
are float32 and float64 otherwise, as in the forward functions.
"""

from __future__ import annotations

import numpy as np

from . import kernels as cores
from .blas import gemm
from .convolution import _bank, _chunk_rows, direct_fits, plan_2d
from .microkernel import aligned_empty
from .pooling import pooling_args
from .threads import map_batch
from .validate import _as_real_array, as_images, as_kernel, check_channels, pair, padding_pairs

__all__ = ["convolve_backward", "pool_backward"]


def _as_d_out(value, func: str, expected: tuple, dtype: np.dtype, what: str) -> np.ndarray:
    arr = _as_real_array(value, func, "d_out")
    if arr.shape != expected:
        raise ValueError(f"{func}: d_out must have the shape of the forward output {what}, {expected}; "
                         f"got shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=dtype)


def convolve_backward(d_out, images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Gradients of ``convolve(images, kernels, padding, stride, dilation) + bias``.

    Parameters
    ----------
    d_out : ndarray, shape (m, oh, ow, nc)
        Gradient of the loss with respect to the layer's output.
    images : ndarray, shape (m, h, w, c)
        The forward call's images; any real dtype.
    kernels : ndarray, shape (kh, kw, c, nc)
    padding, stride, dilation
        The forward call's, as in :func:`.convolve`.

    Returns
    -------
    d_images : ndarray, shape (m, h, w, c)
        The transposed convolution of ``d_out`` (with dilation); padded cells get no gradient.
    d_kernels : ndarray, shape (kh, kw, c, nc)
        ``d_kernels[i, j, ci, o] = sum over (b, y, x) of padded_images[b, y*sh + i*dh, x*sw + j*dw, ci] *
        d_out[b, y, x, o]``.
    d_bias : ndarray, shape (nc,)
        ``d_out.sum(axis=(0, 1, 2))``, accumulated in float64.
        All three are float32 if ``images`` is float32, else float64.
    """
    func = "convolve_backward"
    x = as_images(images, 4, func, "(m, h, w, c)")
    k = as_kernel(kernels, 4, func, "(kh, kw, c, nc)", x.dtype, "kernels")
    check_channels(func, x, k, 2, "kernels")
    padding = padding_pairs(padding, func)
    stride = pair(stride, func, "stride")
    dilation = pair(dilation, func, "dilation")
    m, h, w, c = x.shape
    kh, kw, _, nc = k.shape
    gh, gw = plan_2d(func, x.shape, (kh, kw), padding, stride, dilation)
    oh, ow = gh.out, gw.out
    d = _as_d_out(d_out, func, (m, oh, ow, nc), x.dtype, "(m, oh, ow, nc)")
    d_bias = d.sum(axis=(0, 1, 2), dtype=np.float64).astype(x.dtype)
    if d.size == 0 or x.size == 0:
        return np.zeros_like(x), np.zeros_like(k), d_bias
    fn = gemm().for_dtype(x.dtype)
    d2 = d.reshape(m * oh * ow, nc)
    # At stride 1, d_images is a forward convolution (the fastest code here) of d_out padded by what the
    # forward pass did not pad, with the kernels flipped and their channel axes swapped; at other strides,
    # d_out is scattered through the kernels (the transposed convolution with the forward geometry).
    span_h, span_w = (kh - 1) * dilation[0], (kw - 1) * dilation[1]
    pads = ((span_h - gh.before, h - oh + gh.before), (span_w - gw.before, w - ow + gw.before))
    by_convolution = stride == (1, 1) and min(min(p) for p in pads) >= 0   # (not when padded past the kernel)
    if by_convolution:
        flipped = np.ascontiguousarray(k[::-1, ::-1].transpose(0, 1, 3, 2))
        d_images = _bank("convolve_backward", d, flipped, pads, (1, 1), dilation)
    else:
        d_images = np.zeros_like(x)
    kt = np.ascontiguousarray(k.transpose(3, 0, 1, 2)).reshape(nc, kh * kw * c)
    rows_t = _chunk_rows(kh * kw * c, x.itemsize, None)
    # d_kernels straight from the padded images with the register-blocked tiles when the channels allow
    # (1.2-1.4x the im2col products on the benchmark workloads), else by im2col and matrix products.
    direct = direct_fits(c, nc, x.itemsize)
    if direct:
        hp, wp = gh.padded, gw.padded
        xf = np.empty(m * hp * wp * c, dtype=x.dtype)
    partial = []

    def work(b0, b1):
        col = np.empty((rows_t, kh * kw * c), dtype=x.dtype) if not (by_convolution and direct) else None
        if not by_convolution:
            cores.transpose_gemm(fn, d2, kt, d_images, col, b0, b1, oh, ow, kh, kw, *stride, *dilation,
                                 gh.before, gw.before)
        dk = (aligned_empty if direct else np.empty)((kh * kw * c, nc), x.dtype)   # one per thread, summed below
        dk[...] = 0
        if direct:
            cores.pad_flat(x, xf, b0, b1, gh.before, gw.before, hp, wp)
            cores.grad_direct(xf, hp, wp, d, dk.reshape(k.shape), b0, b1, *stride, *dilation)
        else:
            cores.conv_grad_kernels(fn, x, d2, dk, col, b0, b1, oh, ow, kh, kw, *stride, *dilation,
                                    gh.before, gw.before)
        partial.append(dk)

    map_batch(m, work)
    d_kernels = partial[0] if len(partial) == 1 else np.sum(partial, axis=0, dtype=x.dtype)
    return d_images, d_kernels.reshape(k.shape), d_bias


def pool_backward(d_out, images, kernel_shape, stride, mode="max", padding="valid"):
    """Gradient of :func:`.pool` with respect to its images.

    Parameters
    ----------
    d_out : ndarray, shape (m, oh, ow, c)
        Gradient of the loss with respect to the pooled output.
    images : ndarray, shape (m, h, w, c)
        The forward call's images; any real dtype.
    kernel_shape, stride, mode, padding
        The forward call's, as in :func:`.pool`.

    Returns
    -------
    ndarray, shape (m, h, w, c)
        For ``'max'`` each window's gradient goes to its first maximum in row-major order within the
        window (PyTorch's rule for ties); for ``'avg'`` it is spread evenly over the window's cells inside
        the image. Overlapping windows add up. float32 if ``images`` is float32, else float64.
    """
    func = "pool_backward"
    x, kshape, stride, gh, gw = pooling_args(func, images, kernel_shape, stride, mode, padding)
    m, c = x.shape[0], x.shape[3]
    d = _as_d_out(d_out, func, (m, gh.out, gw.out, c), x.dtype, "(m, oh, ow, c)")
    if d.size == 0:
        return np.zeros_like(x)
    # Written once where possible (measured by make bench against memcpy): the average by gathering each
    # cell's shares; the max, when the windows tile the image, window by window; overlapping or spaced max
    # windows scatter into zeros.
    tiles = mode == "max" and kshape == stride
    dx = np.zeros_like(x) if mode == "max" and not tiles else aligned_empty(x.shape, x.dtype)
    if tiles:
        dx[:, gh.out * stride[0] - gh.before:] = 0   # rows past the last window
        dx[:, :, gw.out * stride[1] - gw.before:] = 0   # and columns

        def work(b0, b1):
            best, done = np.empty(c, dtype=x.dtype), np.empty(c, dtype=x.dtype)
            cores.pool_max_backward_tiles(x, d, dx, best, done, b0, b1, *kshape, gh.before, gw.before)
    elif mode == "max":
        def work(b0, b1):
            arg = np.empty(c, dtype=np.int64)
            cores.pool_max_backward(x, d, dx, arg, b0, b1, *kshape, *stride, gh.before, gw.before)
    else:
        inv_h, inv_w = (1.0 / np.array([min(o * g.stride - g.before + g.k, g.n) - max(o * g.stride - g.before, 0)
                                        for o in range(g.out)], dtype=x.dtype) for g in (gh, gw))

        def work(b0, b1):
            ring = np.empty((-(-kshape[0] // stride[0]), x.shape[2], c), dtype=x.dtype)   # ceil(kh / sh) rows
            row = np.empty(x.shape[2] * c, dtype=x.dtype)
            cores.pool_avg_backward_gather(d, dx, ring, row, inv_h, inv_w, b0, b1, *kshape, *stride,
                                           gh.before, gw.before)
    map_batch(m, work)
    return dx
