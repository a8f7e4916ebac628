"""Numba kernels of the reference: each writes into an output it is given and allocates nothing big.

The allocating, argument-checking wrappers live in :mod:`.convolution` and :mod:`.pooling`; these cores
assume C-contiguous float32/float64 arrays of the documented shapes and valid geometry. All are compiled
with ``cache=True`` (warmed by ``convcourse warmup`` at ``make setup``) and ``nogil=True`` so that
:mod:`.threads` can run them on several batch slices at once.

Inner loops index flat views with unsigned integers (``_u``): with signed indices Numba must allow for
negative wrap-around, which stops LLVM from vectorising the copy and reduction loops (measured: a 5.8x
slower im2col).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import microkernel as mk

_JIT = dict(cache=True, nogil=True)
_u = np.uint64
ROW_MAJOR, NO_TRANS, TRANS = 101, 111, 112  # CBLAS enums


@nb.njit(**_JIT)
def im2col_rows(x, col, p0, p1, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl):
    """Copy the receptive fields of output positions ``p0 .. p1-1`` into the rows of ``col``.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c), float32 or float64, C-contiguous
    col : ndarray, shape (>= p1 - p0, kh * kw * c), same dtype
        Row ``r`` receives the window of output position ``p0 + r`` (positions count over
        ``(image, row, column)``), ordered ``(i, j, channel)``; cells in the padding are 0.

    Works one output row at a time: the columns whose kernel row lies wholly inside the image
    (``ox`` in ``[inner0, inner1)``) copy one run of ``kw * c`` values per kernel row; the border columns,
    and every column when dilated along the width, copy ``c`` values per tap or write zeros.
    """
    m, h, w, c = x.shape
    xf = x.reshape(x.size)
    colf = col.reshape(col.size)
    L = kw * c
    K = kh * L
    per_image = oh * ow
    # Output columns whose whole (undilated) kernel row is inside the image.
    inner0 = min(max((pl + sw - 1) // sw, 0), ow)
    inner1 = max(min((w - kw + pl) // sw + 1, ow), inner0) if dw == 1 else inner0
    p = p0
    while p < p1:
        b = p // per_image
        q = p - b * per_image
        oy = q // ow
        ox0 = q - oy * ow
        ox1 = min(ow, ox0 + (p1 - p))
        r0 = p - p0 - ox0              # col row of column ox is r0 + ox
        for i in range(kh):
            y = oy * sh - pt + i * dh
            if y < 0 or y >= h:
                for ox in range(ox0, ox1):
                    dst = (r0 + ox) * K + i * L
                    for t in range(L):
                        colf[_u(dst + t)] = 0.0
                continue
            rowbase = (b * h + y) * w
            a = max(ox0, inner0)
            z = min(ox1, inner1)
            for ox in range(a, z):
                dst = (r0 + ox) * K + i * L
                src = (rowbase + ox * sw - pl) * c
                for t in range(L):
                    colf[_u(dst + t)] = xf[_u(src + t)]
            for ox in range(ox0, ox1):
                if a <= ox < z:
                    continue
                x0 = ox * sw - pl
                for j in range(kw):
                    xx = x0 + j * dw
                    dst = (r0 + ox) * K + i * L + j * c
                    if xx < 0 or xx >= w:
                        for t in range(c):
                            colf[_u(dst + t)] = 0.0
                    else:
                        src = (rowbase + xx) * c
                        for t in range(c):
                            colf[_u(dst + t)] = xf[_u(src + t)]
        p += ox1 - ox0


@nb.njit(**_JIT)
def conv_gemm(gemm, x, w2, out2, col, b0, b1, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl):
    """Filter bank by chunked im2col and matrix products, for images ``b0 .. b1-1``.

    Parameters
    ----------
    gemm : ctypes function
        CBLAS ``sgemm``/``dgemm`` matching the dtype (:mod:`.blas`).
    x : ndarray, shape (m, h, w, c)
    w2 : ndarray, shape (kh * kw * c, n)
        The kernels ``(kh, kw, c, n)`` reshaped.
    out2 : ndarray, shape (m * oh * ow, n)
        The output ``(m, oh, ow, n)`` reshaped; rows of images ``b0 .. b1-1`` are written.
    col : ndarray, shape (chunk, kh * kw * c)
        Scratch sized to stay in cache; each chunk of output positions is one matrix product.
    """
    chunk, K = col.shape
    n = w2.shape[1]
    item = x.itemsize
    p_end = b1 * oh * ow
    for p0 in range(b0 * oh * ow, p_end, chunk):
        p1 = min(p0 + chunk, p_end)
        im2col_rows(x, col, p0, p1, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, p1 - p0, n, K, 1.0, col.ctypes.data, K, w2.ctypes.data, n,
             0.0, out2.ctypes.data + _u(p0 * n * item), n)


@nb.njit(**_JIT)
def pad_flat(x, xf, b0, b1, pt, pl, hp, wp):
    """Write images ``b0 .. b1-1`` of ``x`` into the flat zero-padded buffer ``xf``.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c)
    xf : ndarray, shape (>= m * hp * wp * c,)
        Image ``b`` occupies ``xf[b * hp * wp * c : (b + 1) * hp * wp * c]`` as ``(hp, wp, c)``, with
        ``pt`` zero rows above and ``pl`` zero columns to the left.
    """
    for b in range(b0, b1):
        pad_image(x, b, xf, b * hp * wp * x.shape[3], pt, pl, hp, wp)


@nb.njit(inline="always", cache=True)
def pad_image(x, b, xf, at, pt, pl, hp, wp):
    """Write image ``b`` of ``x (m, h, w, c)`` zero-padded to ``(hp, wp, c)`` into ``xf[at:]``, with ``pt``
    zero rows above and ``pl`` zero columns to the left."""
    _, h, w, c = x.shape
    xs = x.reshape(x.size)
    for y in range(hp):
        dst = at + y * wp * c
        yy = y - pt
        if yy < 0 or yy >= h:
            for t in range(wp * c):
                xf[_u(dst + t)] = 0.0
            continue
        for t in range(pl * c):
            xf[_u(dst + t)] = 0.0
        src = ((b * h + yy) * w) * c
        d2 = dst + pl * c
        for t in range(w * c):
            xf[_u(d2 + t)] = xs[_u(src + t)]
        for t in range((pl + w) * c, wp * c):
            xf[_u(dst + t)] = 0.0


@nb.njit(**_JIT)
def conv_shift(gemm, xf, hp, wp, w2, out, tmp, b0, b1, kh, kw, dh, dw):
    """Stride-1 filter bank as accumulated matrix products over shifted views (no im2col).

    On the padded image flattened to ``(hp * wp, c)``, the output at extended position ``q = oy * wp + ox``
    is ``sum over taps (i, j) of xf[q + i * dh * wp + j * dw] @ w[i, j]``: for each tap, one matrix product
    whose left operand is a contiguous slice of ``xf`` (leading dimension ``c``), accumulated with
    ``beta = 1``. Columns ``ox >= ow`` of the extended grid are computed and dropped.

    Parameters
    ----------
    gemm : ctypes function
        CBLAS ``sgemm``/``dgemm`` matching the dtype.
    xf : ndarray, shape (m * hp * wp * c + slack,)
        From :func:`pad_flat`; the ``(kw - 1) * dw * c`` slack values past the last image are zero.
    w2 : ndarray, shape (kh * kw * c, n)
    out : ndarray, shape (m, oh, ow, n)
        Images ``b0 .. b1-1`` are written.
    tmp : ndarray, shape (rows * wp, n)
        Accumulator for ``rows`` extended output rows, small enough to stay in L1/L2.
    """
    _, oh, ow, n = out.shape
    c = w2.shape[0] // (kh * kw)
    rows_per = tmp.shape[0] // wp
    item = xf.itemsize
    outf = out.reshape(out.size)
    tmpf = tmp.reshape(tmp.size)
    for b in range(b0, b1):
        for oy0 in range(0, oh, rows_per):
            nr = min(rows_per, oh - oy0)
            base = (b * hp + oy0) * wp
            for i in range(kh):
                for j in range(kw):
                    off = base + i * dh * wp + j * dw
                    beta = 0.0 if i == 0 and j == 0 else 1.0
                    gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, nr * wp, n, c, 1.0, xf.ctypes.data + _u(off * c * item), c,
                         w2.ctypes.data + _u((i * kw + j) * c * n * item), n, beta, tmp.ctypes.data, n)
            for r in range(nr):
                dst = ((b * oh + oy0 + r) * ow) * n
                src = r * wp * n
                for t in range(ow * n):
                    outf[_u(dst + t)] = tmpf[_u(src + t)]


@nb.njit(**_JIT)
def gray_shift(xf, k, out, tmp, b0, b1, hp, wp, dh, dw):
    """One filter at stride 1: per image, ``kh * kw`` contiguous multiply-adds over the flattened padded
    image (extended rows of width ``wp``), then the ``ow`` valid columns of each row are kept.

    Parameters
    ----------
    xf : ndarray, shape (m * hp * wp + slack,)
        From :func:`pad_flat` (one channel); the ``(kw - 1) * dw`` slack values are zero.
    k : ndarray, shape (kh, kw)
    out : ndarray, shape (m, oh, ow)
    tmp : ndarray, shape (oh * wp,)
    """
    _, oh, ow = out.shape
    kh, kw = k.shape
    outf = out.reshape(out.size)
    n = oh * wp
    for b in range(b0, b1):
        base = b * hp * wp
        for q in range(n):
            tmp[_u(q)] = 0.0
        for i in range(kh):
            for j in range(kw):
                kij = k[i, j]
                off = base + i * dh * wp + j * dw
                for q in range(n):
                    tmp[_u(q)] += kij * xf[_u(off + q)]
        for r in range(oh):
            dst = (b * oh + r) * ow
            src = r * wp
            for t in range(ow):
                outf[_u(dst + t)] = tmp[_u(src + t)]


@nb.njit(**_JIT)
def conv_single(xpad, k, out, b0, b1, sh, sw, dh, dw):
    """One filter over a padded batch, vectorised along output columns.

    Parameters
    ----------
    xpad : ndarray, shape (m, hp, wp)
        Zero-padded images.
    k : ndarray, shape (kh, kw)
    out : ndarray, shape (m, oh, ow)
        Images ``b0 .. b1-1`` are written.
    """
    _, oh, ow = out.shape
    kh, kw = k.shape
    for b in range(b0, b1):
        for oy in range(oh):
            orow = out[b, oy]
            orow[:] = 0.0
            for i in range(kh):
                xrow = xpad[b, oy * sh + i * dh]
                for j in range(kw):
                    kij = k[i, j]
                    off = j * dw
                    for ox in range(ow):
                        orow[_u(ox)] += kij * xrow[_u(ox * sw + off)]


@nb.njit(**_JIT)
def depthwise(xpad, k, out, b0, b1, sh, sw):
    """Depthwise convolution of a padded batch.

    Parameters
    ----------
    xpad : ndarray, shape (m, hp, wp, c)
    k : ndarray, shape (kh, kw, c, mult)
    out : ndarray, shape (m, oh, ow, c * mult)
        Channel ``ci * mult + j`` is input channel ``ci`` correlated with ``k[:, :, ci, j]``.
    """
    _, oh, ow, nout = out.shape
    kh, kw, c, mult = k.shape
    kf = k.reshape(k.size)
    for b in range(b0, b1):
        for oy in range(oh):
            for ox in range(ow):
                acc = out[b, oy, ox]
                acc[:] = 0.0
                for i in range(kh):
                    for j in range(kw):
                        xv = xpad[b, oy * sh + i, ox * sw + j]
                        base = (i * kw + j) * nout
                        if mult == 1:
                            for q in range(nout):
                                acc[_u(q)] += xv[_u(q)] * kf[_u(base + q)]
                        else:
                            for ci in range(c):
                                v = xv[ci]
                                for jm in range(mult):
                                    q = ci * mult + jm
                                    acc[_u(q)] += v * kf[_u(base + q)]


@nb.njit(**_JIT)
def transpose_gemm(gemm, x2, kt, out, col, b0, b1, h, w, kh, kw, sh, sw, dh, dw, pt, pl):
    """Transposed convolution: matrix products per chunk of input pixels, then a scatter-add. With the
    forward geometry's padding and dilation it is also the gradient of a convolution with respect to its
    images (``convolve_backward``'s ``d_images``): the scatter drops what lands in the padding.

    Parameters
    ----------
    gemm : ctypes function
        CBLAS ``sgemm``/``dgemm`` matching the dtype (:mod:`.blas`).
    x2 : ndarray, shape (m * h * w, c)
        The input ``(m, h, w, c)`` reshaped.
    kt : ndarray, shape (c, kh * kw * nc)
        ``kernels (kh, kw, nc, c)`` moved to ``(c, kh, kw, nc)`` and reshaped.
    out : ndarray, shape (m, H, W, nc), zero on entry
        Pixel ``(y, x)`` adds ``kernels[a, b] @ x[y, x]`` at ``(y * sh + a * dh - pt, x * sw + b * dw - pl)``
        when that lies inside; images ``b0 .. b1-1`` are written.
    col : ndarray, shape (chunk, kh * kw * nc)
    """
    _, H, W, nc = out.shape
    c = x2.shape[1]
    item = x2.itemsize
    chunk = col.shape[0]
    outf = out.reshape(out.size)
    colf = col.reshape(col.size)
    K = kh * kw * nc
    p_end = b1 * h * w
    for p0 in range(b0 * h * w, p_end, chunk):
        p1 = min(p0 + chunk, p_end)
        gemm(ROW_MAJOR, NO_TRANS, NO_TRANS, p1 - p0, K, c, 1.0, x2.ctypes.data + _u(p0 * c * item), c,
             kt.ctypes.data, K, 0.0, col.ctypes.data, K)
        for p in range(p0, p1):
            b = p // (h * w)
            q = p - b * h * w
            y = q // w
            xx = q - y * w
            for a in range(kh):
                Y = y * sh + a * dh - pt
                if Y < 0 or Y >= H:
                    continue
                for bb in range(kw):
                    X = xx * sw + bb * dw - pl
                    if X < 0 or X >= W:
                        continue
                    dst = ((b * H + Y) * W + X) * nc
                    src = (p - p0) * K + (a * kw + bb) * nc
                    for o in range(nc):
                        outf[_u(dst + o)] += colf[_u(src + o)]


@nb.njit(**_JIT)
def conv_grad_kernels(gemm, x, d2, dk, col, b0, b1, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl):
    """Add to ``dk`` the gradient of a filter bank with respect to its kernels, for images ``b0 .. b1-1``:
    per chunk of output positions, ``col.T @ d_out`` where ``col`` holds their receptive fields.

    Parameters
    ----------
    gemm : ctypes function
        CBLAS ``sgemm``/``dgemm`` matching the dtype.
    x : ndarray, shape (m, h, w, c)
        The forward call's images.
    d2 : ndarray, shape (m * oh * ow, n)
        ``d_out (m, oh, ow, n)`` reshaped.
    dk : ndarray, shape (kh * kw * c, n)
        Accumulated into (``beta = 1``): zero it first, one per thread.
    col : ndarray, shape (chunk, kh * kw * c)
        Scratch, as in :func:`conv_gemm`.
    """
    chunk, K = col.shape
    n = d2.shape[1]
    item = x.itemsize
    p_end = b1 * oh * ow
    for p0 in range(b0 * oh * ow, p_end, chunk):
        p1 = min(p0 + chunk, p_end)
        im2col_rows(x, col, p0, p1, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)
        gemm(ROW_MAJOR, TRANS, NO_TRANS, K, n, p1 - p0, 1.0, col.ctypes.data, K,
             d2.ctypes.data + _u(p0 * n * item), n, 1.0, dk.ctypes.data, n)


@nb.njit(**_JIT)
def pool_max_backward(x, d, dx, arg, b0, b1, kh, kw, sh, sw, pt, pl):
    """Send each window's gradient to its first maximum (row-major within the window; padded cells never
    win, as in :func:`pool_max`). Overlapping windows add up.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c)
        The forward call's images.
    d : ndarray, shape (m, oh, ow, c)
        ``d_out``.
    dx : ndarray, shape (m, h, w, c), zero on entry
        Images ``b0 .. b1-1`` are written.
    arg : ndarray, shape (c,), int64
        Scratch: the winning cell of each channel.
    """
    _, h, w, c = x.shape
    _, oh, ow, _ = d.shape
    xf = x.reshape(x.size)
    df = d.reshape(d.size)
    dxf = dx.reshape(dx.size)
    for b in range(b0, b1):
        for oy in range(oh):
            ya = max(oy * sh - pt, 0)
            yb = min(oy * sh - pt + kh, h)
            for ox in range(ow):
                xa = max(ox * sw - pl, 0)
                xb = min(ox * sw - pl + kw, w)
                first = ((b * h + ya) * w + xa) * c
                for t in range(c):
                    arg[t] = first + t
                for y in range(ya, yb):
                    for xx in range(xa, xb):
                        src = ((b * h + y) * w + xx) * c
                        for t in range(c):
                            if xf[_u(src + t)] > xf[_u(arg[t])]:
                                arg[t] = src + t
                g = ((b * oh + oy) * ow + ox) * c
                for t in range(c):
                    dxf[_u(arg[t])] += df[_u(g + t)]


@nb.njit(**_JIT)
def pool_max_backward_tiles(x, d, dx, best, done, b0, b1, kh, kw, pt, pl):
    """:func:`pool_max_backward` for windows that tile the image (stride = window): each window writes every
    one of its cells, the gradient to its first maximum and zeros elsewhere, so ``dx`` needs no zeroing
    first and is written once. Branch-free selects over the channels let LLVM vectorise both passes.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c)
    d : ndarray, shape (m, oh, ow, c)
    dx : ndarray, shape (m, h, w, c)
        The cells of images ``b0 .. b1-1`` that some window covers are written; the caller zeroes the rows
        and columns past the last window.
    best, done : ndarray, shape (c,)
        Scratch, ``x``'s dtype: each channel's maximum, and whether it has been given its gradient.

    Ordinary stores straight into ``dx``: on an AMD Zen 4 (EPYC, family 25) they ran max 2x2/2 1.23x as fast
    as writing each row of windows into a cached band streamed out with non-temporal stores (5 paired runs
    of ``benchmarks/timer.py pool_backward max2``, faster in all 5), which on an Intel AVX-512 core had
    gained 47-49% -> 53-57% of memcpy's bandwidth.
    """
    _, h, w, c = x.shape
    _, oh, ow, _ = d.shape
    xf = x.reshape(x.size)
    df = d.reshape(d.size)
    dxf = dx.reshape(dx.size)
    for b in range(b0, b1):
        for oy in range(oh):
            ya = max(oy * kh - pt, 0)
            yb = min(oy * kh - pt + kh, h)
            for ox in range(ow):
                xa = max(ox * kw - pl, 0)
                xb = min(ox * kw - pl + kw, w)
                first = ((b * h + ya) * w + xa) * c
                for t in range(c):
                    best[_u(t)] = xf[_u(first + t)]
                    done[_u(t)] = 0.0
                for y in range(ya, yb):
                    for xx in range(xa, xb):
                        src = ((b * h + y) * w + xx) * c
                        for t in range(c):
                            v = xf[_u(src + t)]
                            best[_u(t)] = v if v > best[_u(t)] else best[_u(t)]
                g = ((b * oh + oy) * ow + ox) * c
                for y in range(ya, yb):
                    for xx in range(xa, xb):
                        src = ((b * h + y) * w + xx) * c
                        for t in range(c):
                            hit = (xf[_u(src + t)] == best[_u(t)]) & (done[_u(t)] == 0.0)   # no branch
                            dxf[_u(src + t)] = df[_u(g + t)] if hit else 0.0
                            done[_u(t)] = 1.0 if hit else done[_u(t)]


@nb.njit(**_JIT)
def pool_avg_backward_gather(d, dx, ring, row, inv_h, inv_w, b0, b1, kh, kw, sh, sw, pt, pl):
    """:func:`pool_avg_backward` by gathering, one axis at a time, streaming: a window's share
    ``d / (ny * nx)`` factors into a row part and a column part. For each row of ``dx`` in turn, the rows of
    windows covering it are summed along the columns into ``ring`` (each window row once, when first needed;
    a few rows of ``w * c``, so it stays in cache), and the row is written once, whole and contiguous, as
    the scaled sum of those ring rows: no zeroing, no second pass over memory. The row is summed in ``row``
    and streamed to ``dx`` with non-temporal stores (:func:`.microkernel.stream`), which skip reading
    ``dx`` into the cache first (40% -> 60% of memcpy's bandwidth on avg3, ``benchmarks/timer.py``).

    Parameters
    ----------
    d : ndarray, shape (m, oh, ow, c)
    dx : ndarray, shape (m, h, w, c)
        Images ``b0 .. b1-1`` are written whole.
    ring : ndarray, shape (r, w, c), ``dx``'s dtype
        Scratch; ``r`` is at least the number of window rows that can cover one row, ``ceil(kh / sh)``.
    row : ndarray, shape (w * c,), ``dx``'s dtype
        Scratch for one row of ``dx``.
    inv_h, inv_w : ndarray, shapes (oh,) and (ow,)
        ``1 / ny`` and ``1 / nx``: each window's number of rows and columns inside the image, inverted.
    """
    nt = mk.streams(dx.nbytes)
    _, h, w, c = dx.shape
    _, oh, ow, _ = d.shape
    r = ring.shape[0]
    n = w * c
    df = d.reshape(d.size)
    dxf = row
    rf = ring.reshape(ring.size)
    item = dx.itemsize
    for b in range(b0, b1):
        ready = 0   # window rows 0 .. ready-1 have been summed into the ring
        for y in range(h):
            oy0 = max(0, (y + pt - kh + sh) // sh)
            oy1 = min(oh - 1, (y + pt) // sh)
            while ready <= oy1:
                base = (ready % r) * n
                src = (b * oh + ready) * ow * c
                for xx in range(w):
                    # the windows ox with ox * sw - pl <= xx < ox * sw - pl + kw
                    ox0 = max(0, (xx + pl - kw + sw) // sw)
                    ox1 = min(ow - 1, (xx + pl) // sw)
                    dst = base + xx * c
                    if ox1 < ox0:
                        for t in range(c):
                            rf[_u(dst + t)] = 0.0
                        continue
                    g = src + ox0 * c
                    s0 = inv_w[ox0]
                    if ox1 == ox0:
                        for t in range(c):
                            rf[_u(dst + t)] = df[_u(g + t)] * s0
                        continue
                    s1 = inv_w[ox0 + 1]
                    for t in range(c):
                        rf[_u(dst + t)] = df[_u(g + t)] * s0 + df[_u(g + c + t)] * s1
                    for ox in range(ox0 + 2, ox1 + 1):
                        g = src + ox * c
                        s = inv_w[ox]
                        for t in range(c):
                            rf[_u(dst + t)] += df[_u(g + t)] * s
                ready += 1
            dst = 0
            if oy1 < oy0:   # no window covers this row (a stride longer than the window)
                for t in range(n):
                    dxf[_u(dst + t)] = 0.0
            elif oy1 == oy0:
                a = (oy0 % r) * n
                s0 = inv_h[oy0]
                for t in range(n):
                    dxf[_u(dst + t)] = rf[_u(a + t)] * s0
            else:
                a = (oy0 % r) * n
                s0 = inv_h[oy0]
                a1 = ((oy0 + 1) % r) * n
                s1 = inv_h[oy0 + 1]
                for t in range(n):
                    dxf[_u(dst + t)] = rf[_u(a + t)] * s0 + rf[_u(a1 + t)] * s1
                for oy in range(oy0 + 2, oy1 + 1):
                    a = (oy % r) * n
                    s = inv_h[oy]
                    for t in range(n):
                        dxf[_u(dst + t)] += rf[_u(a + t)] * s
            mk.stream(dx, dx.ctypes.data + _u((b * h + y) * n * item), row.ctypes.data, n, nt)
    mk.store_fence()


@nb.njit(**_JIT)
def pool_max(x, out, b0, b1, kh, kw, sh, sw, pt, pl):
    """Max pooling; cells in the padding never win.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c)
    out : ndarray, shape (m, oh, ow, c)
        Images ``b0 .. b1-1`` are written.

    Each window's maximum is kept in vector registers over the whole window (:func:`.microkernel.window_max`).
    """
    _pool(x, out, out.reshape(-1)[:0], b0, b1, kh, kw, sh, sw, pt, pl, True)   # no column sums: no scratch


@nb.njit(**_JIT)
def pool_avg(x, out, prev, b0, b1, kh, kw, sh, sw, pt, pl):
    """Average pooling over the cells of each window inside the image (padding is not counted); as
    :func:`pool_max`, with :func:`.microkernel.window_mean`, and 3x3/2 windows whole across by
    :func:`_mean3_run`.

    Parameters
    ----------
    prev : ndarray, shape (c + 1,), ``x``'s dtype
        Scratch: one column's sums, and the scale.
    """
    _pool(x, out, prev, b0, b1, kh, kw, sh, sw, pt, pl, False)


# Pooling writes its output with ordinary stores, and asks for no lines ahead: per-machine trade-offs,
# measured with benchmarks/timer.py pool. On an AMD Zen 4 (EPYC, family 25), against streaming each large
# output row from a cached scratch row with non-temporal stores, max 2x2/2 ran 1.08x as fast and avg 3x3/2
# (by columns too) 1.12x (medians of 8 paired runs, each its best of 7 calls; faster in 7 of 8); software
# prefetch 512 to 4096 bytes ahead of each window row cost 10-40%. On an Intel AVX-512 core, streaming had
# left max 2x2/2 about the same and prefetch 4096 ahead had gained avg 3x3/2 15%.


@nb.njit(**_JIT, inline="always")
def _pool(x, out, prev, b0, b1, kh, kw, sh, sw, pt, pl, maximum):
    _, h, w, c = x.shape
    _, oh, ow, _ = out.shape
    item = out.itemsize
    xp = x.ctypes.data
    # outputs lo .. hi-1 have windows whole across: avg 3x3/2 makes them by columns
    lo = min((pl + sw - 1) // sw, ow)
    hi = max(min((w + pl - kw) // sw + 1, ow), lo)
    columns = not maximum and kw == 3 and sw == 2 and lo < hi
    for b in range(b0, b1):
        for oy in range(oh):
            ya = max(oy * sh - pt, 0)
            yb = min(oy * sh - pt + kh, h)
            dst = out.ctypes.data + _u((b * oh + oy) * ow * c * item)
            a, z = ow, ow   # outputs a .. z-1 are made by columns
            if columns and (yb - ya == 3 or yb - ya == 2):
                a, z = lo, hi
                _mean3_run(x, out[b, oy], prev, b, ya, yb - ya, lo, hi, pl)
            for ox in range(ow):
                if a <= ox < z:
                    continue
                xa = max(ox * sw - pl, 0)
                xb = min(ox * sw - pl + kw, w)
                src = xp + _u(((b * h + ya) * w + xa) * c * item)
                if maximum:
                    mk.window_max(x, dst + _u(ox * c * item), src, w * c, yb - ya, xb - xa, c, 0.0)
                else:
                    mk.window_mean(x, dst + _u(ox * c * item), src, w * c, yb - ya, xb - xa, c,
                                   1.0 / ((yb - ya) * (xb - xa)))


@nb.njit(**_JIT, inline="always")
def _mean3_run(x, target, prev, b, ya, n, lo, hi, pl):
    """Outputs ``lo .. hi-1`` of one row of average pooling 3x3/2 (``n`` = 2 or 3 rows inside the image),
    windows whole across, by columns: each input column's sum over the rows is made once, and two
    neighbouring windows share one (``prev``). Per output and channel that loads 6 input values, not 9, and
    adds 6 rather than 8, in one loop over the channels. The sum runs down each column, then across, rather
    than row by row: a difference in the last bits only."""
    c = x.shape[3]
    r0, r1, r2 = x[b, ya], x[b, ya + 1], x[b, ya + n - 1]   # 2-D views, made once: indexing them is cheap
    prev[c] = 1.0 / (3 * n)
    scale = prev[c]   # in x's dtype (Numba's x.dtype.type(v) is a float64): float64 would halve the vectors
    # unsigned indices: Numba adds the length to a negative signed index, which here cost a fifth of the
    # bandwidth (one paired run out of cache: 72% of memcpy's against 90%); every index is >= 0 (lo >= pl / 2)
    first = _u(2 * lo - pl)
    if n == 3:
        for q in range(c):
            prev[q] = r0[first, q] + r1[first, q] + r2[first, q]
        for ox in range(lo, hi):
            mid = _u(2 * ox - pl + 1)
            right = mid + _u(1)
            for q in range(c):
                s = r0[right, q] + r1[right, q] + r2[right, q]
                target[ox, q] = (prev[q] + (r0[mid, q] + r1[mid, q] + r2[mid, q]) + s) * scale
                prev[q] = s
    else:
        for q in range(c):
            prev[q] = r0[first, q] + r1[first, q]
        for ox in range(lo, hi):
            mid = _u(2 * ox - pl + 1)
            right = mid + _u(1)
            for q in range(c):
                s = r0[right, q] + r1[right, q]
                target[ox, q] = (prev[q] + (r0[mid, q] + r1[mid, q]) + s) * scale
                prev[q] = s


@nb.njit(**_JIT)
def global_avg(x, out, b0, b1):
    """Mean over the spatial axes, accumulated in float64.

    Parameters
    ----------
    x : ndarray, shape (m, h * w, c)
    out : ndarray, shape (m, c)
    """
    _, hw, c = x.shape
    acc = np.empty(c, np.float64)
    for b in range(b0, b1):
        acc[:] = 0.0
        for q in range(hw):
            row = x[b, q]
            for t in range(c):
                acc[_u(t)] += row[_u(t)]
        for t in range(c):
            out[b, t] = acc[t] / hw


#: A block of kernels (``kh * kw * c`` by ``2 * lanes``, or fewer in the last block) of more bytes than
#: this is read by conv_direct one kernel row per pass instead of all in one. Only packed blocks
#: (:data:`.convolution._PACK_MIN_BYTES` or more) can be that large. On the Intel Xeon (48 KiB of L1
#: data cache), in paired ``benchmarks/timer.py conv`` runs, that ran C's 72 KiB blocks 1.03x and 1.05x
#: as fast in float32 (two runs, faster in 13 of 16), D's 1.02x, 0.98x and 1.03x (15 of 22), C's and D's
#: in float64 1.06x and 1.02x (10 of 12); E's 36 KiB blocks ran whole 1.01x as fast as split. Not
#: measured on the AMD EPYC, whose L1 holds 32 KiB.
KERNELS_L1_BYTES = 40 * 1024


@nb.njit(**_JIT)
def conv_direct(x, xf, pt, pl, hp, wp, w, packed, kh, kw, c, n, out, row, b0, b1, sh, sw, dh, dw):
    """Filter bank computed directly from the padded images with the register-blocked :func:`.microkernel.tile`.

    Parameters
    ----------
    x : ndarray, shape (m, h, w, c)
    xf : ndarray, shape (hp * wp * c,)
        Scratch: each image in turn is padded into it (:func:`pad_image`), where it stays in cache while
        its rows are convolved. Against padding the whole batch first, that ran C, D and E 1.03x, 1.11x
        and 1.04x as fast on the AMD EPYC (float32, ``benchmarks/timer.py conv``).
    w : ndarray, shape (kh * kw * c * n,), 64-byte aligned
        The kernels ``(kh, kw, c, n)`` as :func:`.convolution._pack_blocks` lays them out: in their own
        order, or (``packed`` 1) each block of ``2 * lanes`` kernels as one ``(kh * kw * c, width)`` run.
        ``n`` a multiple of the vector length (16 float32, 8 float64).
    out : ndarray, shape (m, oh, ow, n)
        Images ``b0 .. b1-1`` are written; a large output (:func:`.microkernel.streams`) a row at a time
        from ``row`` with non-temporal stores.
    row : ndarray, shape (ow * n,), ``out``'s dtype
        Scratch for one output row.

    Each tile is ``ROWS`` output pixels of a row by ``2 * lanes`` channels, summed over every tap and
    input channel (``kh * kw * c`` steps) in registers and written once; when a block's kernels are more
    than :data:`KERNELS_L1_BYTES`, over one kernel row at a time instead, each pass adding to the row, so
    that the kernels it reads stay in L1. Without dilation across, a kernel row's ``kw`` taps are
    ``kw * c`` consecutive values of the padded row, and the tile runs them as one loop: with 3 channels
    that is 9 steps a row instead of 3 loops of 3.
    """
    _, oh, ow, _ = out.shape
    item = xf.itemsize
    block = mk.VECTORS * (64 // item)
    kk = kh * kw * c
    nt = mk.streams(out.nbytes)
    xp, wptr, op, rp = xf.ctypes.data, w.ctypes.data, out.ctypes.data, row.ctypes.data
    taps, tap_step, run = (1, 0, kw * c) if dw == 1 else (kw, dw * c, c)
    for b in range(b0, b1):
        pad_image(x, b, xf, 0, pt, pl, hp, wp)
        for oy in range(oh):
            base = ((b * oh + oy) * ow) * n
            dst = rp if nt else op + _u(base * item)
            src = (oy * sh * wp) * c
            for n0 in range(0, n, block):
                nv = 2 if n - n0 >= block else 1
                wb = wptr + _u((n0 * kk if packed else n0) * item)
                ldb = min(block, n - n0) if packed else n
                # a block's kernels past L1's share: one pass over the row per kernel row, adding to it
                passes, rows_per = (kh, 1) if kk * min(block, n - n0) * item > KERNELS_L1_BYTES else (1, kh)
                for i in range(passes):
                    for ox0 in range(0, ow, mk.ROWS):
                        mk.tile(xf, min(mk.ROWS, ow - ox0), nv, 1 if i > 0 else 0, dst + _u((ox0 * n + n0) * item),
                                n, xp + _u((src + i * dh * wp * c + ox0 * sw * c) * item), sw * c,
                                wb + _u(i * kw * c * ldb * item), ldb, rows_per, dh * wp * c, taps, tap_step, run, 1)
            if nt:
                mk.stream(out, op + _u(base * item), rp, ow * n, 1)
    mk.store_fence()


#: Output rows per band of :func:`grad_direct`: the band's images and d_out (about 100 KiB each on the
#: benchmark workloads) stay in L2 while every tap and channel tile passes over them.
_GRAD_BAND = 8


@nb.njit(**_JIT)
def grad_direct(xf, hp, wp, d, dk, b0, b1, sh, sw, dh, dw):
    """Add to ``dk`` the kernels' gradient for images ``b0 .. b1-1``, directly from the padded images.

    Parameters
    ----------
    xf : ndarray, shape (>= m * hp * wp * c,)
        From :func:`pad_flat`.
    d : ndarray, shape (m, oh, ow, n)
        ``d_out``; ``n`` a multiple of the vector length.
    dk : ndarray, shape (kh, kw, c, n)
        Accumulated into: zero it first, one per thread.

    For each band of output rows and each tap, ``dk[i, j] (c x n) += x_tap.T (c x pixels) @ d_band
    (pixels x n)``, in tiles of ``ROWS`` input channels by ``2 * lanes`` kernels.
    """
    kh, kw, c, n = dk.shape
    _, oh, ow, _ = d.shape
    item = xf.itemsize
    block = mk.VECTORS * (64 // item)
    xp, dp, kp = xf.ctypes.data, d.ctypes.data, dk.ctypes.data
    for b in range(b0, b1):
        for oy0 in range(0, oh, _GRAD_BAND):
            rows = min(_GRAD_BAND, oh - oy0)
            dband = dp + _u(((b * oh + oy0) * ow) * n * item)
            for i in range(kh):
                band = ((b * hp + oy0 * sh + i * dh) * wp) * c
                for j in range(kw):
                    for ci0 in range(0, c, mk.ROWS):
                        for n0 in range(0, n, block):
                            mk.tile(xf, min(mk.ROWS, c - ci0), 2 if n - n0 >= block else 1, 1,
                                    kp + _u((((i * kw + j) * c + ci0) * n + n0) * item), n,
                                    xp + _u((band + j * dw * c + ci0) * item), 1, dband + _u(n0 * item), n,
                                    rows, sh * wp * c, 1, 0, ow, sw * c)
