"""The convolution functions of the catalogue (SPEC §1, §2): check arguments, allocate, call a kernel.

Every "convolution" here is a cross-correlation (no kernel flip), batch-first and channels-last. Results
are float32 when the images are float32 and float64 otherwise.
"""

from __future__ import annotations

import numpy as np

from . import kernels as cores
from .blas import gemm
from .geometry import AxisGeometry, axis_geometry, transpose_output_size
from .microkernel import VECTORS, aligned_copy, aligned_empty, lanes
from .threads import map_batch
from .validate import as_images, as_kernel, check_channels, pair, padding_pairs

__all__ = [
    "convolve_grayscale_valid",
    "convolve_grayscale_same",
    "convolve_grayscale_padding",
    "convolve_grayscale",
    "convolve_channels",
    "convolve",
    "depthwise_convolve",
    "convolve_transpose",
    "plan_2d",
]

#: Output positions per im2col block, and the most bytes a block may take: 512 rows gave the best matrix
#: products on every benchmark workload here, and the cap keeps a block inside a core's L2 cache (2 MiB)
#: for wide float64 windows.
_SCRATCH_ROWS = 512
_SCRATCH_BYTES = 1280 * 1024

#: Stride-1 convolutions with at least this many input channels use shifted matrix products (each of
#: ``kh * kw`` products has inner dimension ``c``): on 16x56x56 images here they ran 0.5-0.9x as fast as
#: im2col with 4 or 8 channels and 1.1-1.5x as fast with 16 to 64. Their accumulator holds about this many
#: bytes, so it stays in L1/L2 across the taps.
_SHIFT_MIN_CHANNELS = 16
_SHIFT_TMP_BYTES = 32 * 1024

#: The direct method (:func:`.kernels.conv_direct`) when a kernel row's taps run over at least this many
#: consecutive values (``kw * c`` without dilation across, else ``c``) and the kernels are a whole number
#: of vectors: it beat both matrix-product methods on the benchmark workloads (``make bench``). Per tap
#: (3 channels) it lost to im2col; run as one loop of ``kw * c = 9``, its large output streamed, it ran
#: workload B 1.25x (float32) and 1.3x (float64) as fast as im2col on the AMD EPYC (``benchmarks/timer.py
#: conv B``: 76 to 96 and 36 to 48 GFLOP/s).
_DIRECT_MIN_RUN = 8


def direct_fits(c: int, n: int, itemsize: int, *, kw: int = 1, dilation_w: int = 1, check_only: bool = False) -> bool:
    """Whether :func:`.kernels.conv_direct`/``grad_direct`` apply to ``c`` input and ``n`` output channels:
    ``n`` must be a multiple of the vector length; unless ``check_only``, the taps of a kernel row
    (``kw`` wide, ``dilation_w`` apart) must run long enough to pay (``grad_direct`` runs them one tap at a
    time: leave ``kw`` at 1 for it)."""
    run = kw * c if dilation_w == 1 else c
    return n % lanes(itemsize) == 0 and (check_only or run >= _DIRECT_MIN_RUN)


def plan_2d(func, images_shape, kernel_hw, padding, stride, dilation=(1, 1)) -> tuple[AxisGeometry, AxisGeometry]:
    """Geometry along height and width, with errors that name ``func``.

    Parameters
    ----------
    func : str
        The calling function's name, for error messages.
    images_shape : tuple
        ``(m, h, w, ...)``.
    kernel_hw : tuple of 2 ints
        ``(kh, kw)``.
    padding : 'valid', 'same' or ((top, bottom), (left, right))
        As returned by :func:`.validate.padding_pairs`.
    stride, dilation : tuple of 2 ints
    """
    geoms = []
    for axis, name in ((0, "height"), (1, "width")):
        pad = padding if isinstance(padding, str) else padding[axis]
        try:
            geoms.append(
                axis_geometry(images_shape[1 + axis], kernel_hw[axis], pad, stride[axis], dilation[axis], name=name)
            )
        except ValueError as exc:
            raise ValueError(
                f"{func}: {exc} (images shape {tuple(images_shape)}, kernel {kernel_hw[0]}x{kernel_hw[1]}, "
                f"padding {padding!r}, stride {stride}, dilation {dilation})"
            ) from None
    return geoms[0], geoms[1]


def _chunk_rows(k_cols: int, itemsize: int, chunk_rows: int | None) -> int:
    if chunk_rows is not None:
        return chunk_rows
    return int(max(32, min(_SCRATCH_ROWS, _SCRATCH_BYTES // (k_cols * itemsize))))


def _pad_zeros(x: np.ndarray, gh: AxisGeometry, gw: AxisGeometry) -> np.ndarray:
    if gh.before == gh.after == gw.before == gw.after == 0:
        return x
    widths = [(0, 0), (gh.before, gh.after), (gw.before, gw.after)] + [(0, 0)] * (x.ndim - 3)
    return np.pad(x, widths)


#: A block's kernels at least this large (bytes) are laid out contiguously by :func:`_pack_blocks`.
_PACK_MIN_BYTES = 16 * 2**10


def _pack_blocks(w2: np.ndarray, block: int) -> tuple[np.ndarray, int]:
    """The kernels ``w2 (k, n)`` for :func:`.kernels.conv_direct`, 64-byte aligned, and whether packed.

    Packed, each block of ``block`` kernels (the tile's width; the last may be narrower) is one contiguous
    ``(k, width)`` run, so a tile reads its kernels as one sequential stream. That paid when a block's
    kernels did not stay in L1 and came from L2 (D, 64 channels to 128: 1.06x float32, 1.05x float64 on the
    AMD EPYC, ``benchmarks/timer.py conv``; measured before conv_direct read such blocks one kernel row
    per pass, :data:`.kernels.KERNELS_L1_BYTES`); small banks keep ``w2``'s own layout, where packing
    measured 0.95x (B, 3 channels to 64) for no reason found.
    """
    k, n = w2.shape
    if k * min(block, n) * w2.itemsize < _PACK_MIN_BYTES:
        return aligned_copy(w2).reshape(-1), 0
    out = aligned_empty((k * n,), w2.dtype)
    for n0 in range(0, n, block):
        width = min(block, n - n0)
        out[n0 * k:(n0 + width) * k] = w2[:, n0:n0 + width].ravel()
    return out, 1


def _bank(func, x, w, padding, stride, dilation, *, chunk_rows=None, method=None):
    """Filter bank: ``x (m, h, w, c)`` and ``w (kh, kw, c, n)`` (both checked) to ``(m, oh, ow, n)``.

    ``method`` is ``'direct'`` (a multiple of the vector length of kernels), ``'shift'`` (stride 1 only),
    ``'im2col'``, or None to choose: direct when :func:`direct_fits`, else shifted matrix products when the
    stride is 1 and there are enough channels for each product to run at BLAS speed, else im2col (measured
    by ``make bench``).
    """
    m = x.shape[0]
    kh, kw, c, n = w.shape
    gh, gw = plan_2d(func, x.shape, (kh, kw), padding, stride, dilation)
    if method is None:
        method = ("direct" if direct_fits(c, n, x.itemsize, kw=kw, dilation_w=gw.dilation) else
                  "shift" if stride == (1, 1) and c >= _SHIFT_MIN_CHANNELS else "im2col")
    shape = (m, gh.out, gw.out, n)
    out = aligned_empty(shape, x.dtype) if method == "direct" else np.empty(shape, dtype=x.dtype)
    if out.size == 0:
        return out
    fn = gemm().for_dtype(x.dtype)
    w2 = w.reshape(kh * kw * c, n)
    if method == "direct":
        if not direct_fits(c, n, x.itemsize, check_only=True):
            raise ValueError(f"{func}: the direct method needs a multiple of {lanes(x.itemsize)} kernels; got {n}")
        hp, wp = gh.padded, gw.padded
        wk, packed = _pack_blocks(w2, lanes(x.itemsize) * VECTORS)

        def work(b0, b1):
            cores.conv_direct(x, np.empty(hp * wp * c, dtype=x.dtype), gh.before, gw.before, hp, wp, wk, packed,
                              kh, kw, c, n, out, aligned_empty((gw.out * n,), x.dtype), b0, b1,
                              gh.stride, gw.stride, gh.dilation, gw.dilation)
    elif method == "shift":
        hp, wp = gh.padded, gw.padded
        slack = (kw - 1) * gw.dilation * c
        xf = np.empty(m * hp * wp * c + slack, dtype=x.dtype)
        xf[m * hp * wp * c:] = 0
        rows = chunk_rows or max(1, _SHIFT_TMP_BYTES // (wp * n * x.itemsize))

        def work(b0, b1):
            tmp = np.empty((rows * wp, n), dtype=x.dtype)
            cores.pad_flat(x, xf, b0, b1, gh.before, gw.before, hp, wp)
            cores.conv_shift(fn, xf, hp, wp, w2, out, tmp, b0, b1, kh, kw, gh.dilation, gw.dilation)
    else:
        out2 = out.reshape(m * gh.out * gw.out, n)
        rows = _chunk_rows(kh * kw * c, x.itemsize, chunk_rows)

        def work(b0, b1):
            col = np.empty((rows, kh * kw * c), dtype=x.dtype)
            cores.conv_gemm(fn, x, w2, out2, col, b0, b1, gh.out, gw.out, kh, kw, gh.stride, gw.stride,
                            gh.dilation, gw.dilation, gh.before, gw.before)

    map_batch(m, work)
    return out


def convolve_grayscale(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlate a batch of grayscale images with one kernel.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
        Any real dtype.
    kernel : ndarray, shape (kh, kw)
    padding : {'same', 'valid'} or tuple, optional
        ``'same'`` (Keras rule, the default), ``'valid'``, ``(ph, pw)`` zeros on each side, or
        ``((top, bottom), (left, right))``.
    stride : tuple of 2 ints, optional
        ``(sh, sw)``, default ``(1, 1)``.
    dilation : tuple of 2 ints, optional
        ``(dh, dw)``, default ``(1, 1)``.

    Returns
    -------
    ndarray, shape (m, oh, ow)
        float32 if ``images`` is float32, else float64.

    Raises
    ------
    ValueError
        On a wrong number of dimensions, a non-numeric dtype, bad padding/stride/dilation, or a kernel
        larger than the padded images.
    """
    return _grayscale("convolve_grayscale", images, kernel, padding, stride, dilation)


def _grayscale(func, images, kernel, padding, stride, dilation):
    x = as_images(images, 3, func, "(m, h, w)")
    k = as_kernel(kernel, 2, func, "(kh, kw)", x.dtype)
    padding = padding_pairs(padding, func)
    stride = pair(stride, func, "stride")
    dilation = pair(dilation, func, "dilation")
    gh, gw = plan_2d(func, x.shape, k.shape, padding, stride, dilation)
    m = x.shape[0]
    out = np.empty((m, gh.out, gw.out), dtype=x.dtype)
    if out.size == 0:
        return out
    hp, wp = gh.padded, gw.padded
    slack = (k.shape[1] - 1) * gw.dilation
    xf = np.empty(m * hp * wp + slack, dtype=x.dtype)
    xf[m * hp * wp:] = 0
    xpad = xf[: m * hp * wp].reshape(m, hp, wp)

    def work(b0, b1):
        cores.pad_flat(x[..., None], xf, b0, b1, gh.before, gw.before, hp, wp)
        if stride == (1, 1):
            cores.gray_shift(xf, k, out, np.empty(gh.out * wp, dtype=x.dtype), b0, b1, hp, wp, *dilation)
        else:
            cores.conv_single(xpad, k, out, b0, b1, *stride, *dilation)

    map_batch(m, work)
    return out


def convolve_grayscale_valid(images, kernel):
    """'valid' cross-correlation of grayscale images: ``images (m, h, w)``, ``kernel (kh, kw)`` to
    ``(m, h - kh + 1, w - kw + 1)``. See :func:`convolve_grayscale`."""
    return _grayscale("convolve_grayscale_valid", images, kernel, "valid", (1, 1), (1, 1))


def convolve_grayscale_same(images, kernel):
    """'same' cross-correlation of grayscale images (Keras rule: for an even kernel the extra zero goes
    below and right): ``images (m, h, w)``, ``kernel (kh, kw)`` to ``(m, h, w)``."""
    return _grayscale("convolve_grayscale_same", images, kernel, "same", (1, 1), (1, 1))


def convolve_grayscale_padding(images, kernel, padding):
    """Cross-correlation of grayscale images with explicit zero padding.

    Parameters
    ----------
    images : ndarray, shape (m, h, w)
    kernel : ndarray, shape (kh, kw)
    padding : tuple of 2 ints
        ``(ph, pw)``: ``ph`` zeros above and below, ``pw`` left and right.

    Returns
    -------
    ndarray, shape (m, h + 2 * ph - kh + 1, w + 2 * pw - kw + 1)
    """
    func = "convolve_grayscale_padding"
    if isinstance(padding, str):
        raise ValueError(f"{func}: padding must be a tuple (ph, pw) of zeros per side; got {padding!r}")
    return _grayscale(func, images, kernel, padding, (1, 1), (1, 1))


def convolve_channels(images, kernel, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlate multi-channel images with one kernel spanning every channel.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernel : ndarray, shape (kh, kw, c)
    padding, stride, dilation
        As in :func:`convolve_grayscale`.

    Returns
    -------
    ndarray, shape (m, oh, ow)
        float32 if ``images`` is float32, else float64.
    """
    func = "convolve_channels"
    x = as_images(images, 4, func, "(m, h, w, c)")
    k = as_kernel(kernel, 3, func, "(kh, kw, c)", x.dtype)
    check_channels(func, x, k, 2, "kernel")
    out = _bank(func, x, k[..., None], padding_pairs(padding, func), pair(stride, func, "stride"),
                pair(dilation, func, "dilation"))
    return out[..., 0]


def convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1)):
    """Cross-correlate multi-channel images with a bank of filters (a Keras ``Conv2D`` without bias).

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, nc)
    padding, stride, dilation
        As in :func:`convolve_grayscale`.

    Returns
    -------
    ndarray, shape (m, oh, ow, nc)
        float32 if ``images`` is float32, else float64.
    """
    return _convolve(images, kernels, padding, stride, dilation)


def _convolve(images, kernels, padding="same", stride=(1, 1), dilation=(1, 1), *, chunk_rows=None, method=None):
    func = "convolve"
    x = as_images(images, 4, func, "(m, h, w, c)")
    w = as_kernel(kernels, 4, func, "(kh, kw, c, nc)", x.dtype, "kernels")
    check_channels(func, x, w, 2, "kernels")
    return _bank(func, x, w, padding_pairs(padding, func), pair(stride, func, "stride"),
                 pair(dilation, func, "dilation"), chunk_rows=chunk_rows, method=method)


def depthwise_convolve(images, kernels, padding="same", stride=(1, 1)):
    """Depthwise convolution (Keras ``DepthwiseConv2D``): each channel with its own kernels.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, c, multiplier)
    padding, stride
        As in :func:`convolve_grayscale`.

    Returns
    -------
    ndarray, shape (m, oh, ow, c * multiplier)
        Channel ``ci * multiplier + j`` is channel ``ci`` correlated with ``kernels[:, :, ci, j]``.
    """
    func = "depthwise_convolve"
    x = as_images(images, 4, func, "(m, h, w, c)")
    k = as_kernel(kernels, 4, func, "(kh, kw, c, multiplier)", x.dtype, "kernels")
    check_channels(func, x, k, 2, "kernels")
    stride = pair(stride, func, "stride")
    gh, gw = plan_2d(func, x.shape, k.shape[:2], padding_pairs(padding, func), stride)
    m, c = x.shape[0], x.shape[3]
    out = np.empty((m, gh.out, gw.out, c * k.shape[3]), dtype=x.dtype)
    if out.size == 0:
        return out
    xpad = _pad_zeros(x, gh, gw)
    map_batch(m, lambda b0, b1: cores.depthwise(xpad, k, out, b0, b1, *stride))
    return out


def convolve_transpose(images, kernels, padding="valid", stride=(1, 1)):
    """Transposed convolution (Keras ``Conv2DTranspose`` without bias): the adjoint of :func:`convolve`.

    Parameters
    ----------
    images : ndarray, shape (m, h, w, c)
    kernels : ndarray, shape (kh, kw, nc, c)
        Keras layout: output channels ``nc`` before input channels ``c``.
    padding : {'valid', 'same'}, optional
    stride : tuple of 2 ints, optional

    Returns
    -------
    ndarray, shape (m, H, W, nc)
        ``H = (h - 1) * sh + kh`` for 'valid' and ``H = h * sh`` for 'same' (likewise ``W``). For every
        ``x`` of that shape, ``sum(convolve(x, kernels, padding, stride) * images)`` equals
        ``sum(x * convolve_transpose(images, kernels, padding, stride))``.
    """
    func = "convolve_transpose"
    x = as_images(images, 4, func, "(m, h, w, c)")
    k = as_kernel(kernels, 4, func, "(kh, kw, nc, c)", x.dtype, "kernels")
    check_channels(func, x, k, 3, "kernels")
    padding = padding_pairs(padding, func, allow_explicit=False)
    stride = pair(stride, func, "stride")
    m, h, w, c = x.shape
    kh, kw, nc, _ = k.shape
    try:
        H = transpose_output_size(h, kh, padding, stride[0])
        W = transpose_output_size(w, kw, padding, stride[1])
    except ValueError as exc:
        raise ValueError(f"{func}: {exc} (images shape {x.shape}, kernels shape {k.shape})") from None
    # The forward convolution from (H, W) back to (h, w) fixes where the scatter starts.
    gh, gw = plan_2d(func, (m, H, W), (kh, kw), padding, stride)
    out = np.zeros((m, H, W, nc), dtype=x.dtype)
    if out.size == 0:
        return out
    kt = np.ascontiguousarray(k.transpose(3, 0, 1, 2)).reshape(c, kh * kw * nc)
    x2 = x.reshape(m * h * w, c)
    rows = _chunk_rows(kh * kw * nc, x.itemsize, None)
    fn = gemm().for_dtype(x.dtype)

    def work(b0, b1):
        col = np.empty((rows, kh * kw * nc), dtype=x.dtype)
        cores.transpose_gemm(fn, x2, kt, out, col, b0, b1, h, w, kh, kw, *stride, 1, 1, gh.before, gw.before)

    map_batch(m, work)
    return out
