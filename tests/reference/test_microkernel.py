"""The register-blocked tile and the streaming copy of reference/microkernel.py, against numpy."""

from __future__ import annotations

import numba as nb
import numpy as np
import pytest

from autograder.reference.microkernel import ROWS, VECTORS, aligned_empty, lanes, store_fence, stream, tile


@nb.njit
def _tile(c, a, b, rows, nv, accumulate, n1, s1, n2, s2, n3, s3, a_rs):
    tile(c, rows, nv, accumulate, c.ctypes.data, c.shape[1], a.ctypes.data, a_rs, b.ctypes.data, b.shape[1],
         n1, s1, n2, s2, n3, s3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [1, 3, ROWS])
@pytest.mark.parametrize("nv", [1, VECTORS])
@pytest.mark.parametrize("accumulate", [0, 1])
def test_a_tile_sums_its_three_loops_in_order(dtype, rows, nv, accumulate):
    rng = np.random.default_rng(rows * 10 + nv)
    width = nv * lanes(np.dtype(dtype).itemsize)
    n1, n2, n3 = 2, 3, 5
    s3, s2, s1, a_rs = 2, 11, 40, 97          # strided, as a convolution's taps are
    a = rng.standard_normal(a_rs * rows + 100).astype(dtype)
    b = rng.standard_normal((n1 * n2 * n3, width + 3)).astype(dtype)   # ldb wider than the tile
    c = rng.standard_normal((rows, width + 5)).astype(dtype)
    expected = c.copy() if accumulate else np.zeros_like(c)
    for r in range(rows):
        t = 0
        for t1 in range(n1):
            for t2 in range(n2):
                for t3 in range(n3):
                    expected[r, :width] += a[r * a_rs + t1 * s1 + t2 * s2 + t3 * s3] * b[t, :width]
                    t += 1
    expected[:, width:] = c[:, width:]        # outside the tile: untouched
    _tile(c, a, b, rows, nv, accumulate, n1, s1, n2, s2, n3, s3, a_rs)
    np.testing.assert_allclose(c, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("shape", [(0, 1, 1), (ROWS + 1, 1, 1), (1, 0, 2)])
def test_a_tile_of_no_steps_or_an_unknown_shape_does_nothing(shape):
    rows, n1, n2 = shape
    c = np.ones((ROWS + 1, 32), np.float32)
    _tile(c, np.ones(64, np.float32), np.ones((4, 32), np.float32), rows, 2, 0, n1, 1, n2, 1, 1, 1, 1)
    assert (c == 1).all()


@nb.njit
def _stream(dst, src, offset, n, nt):
    stream(dst, dst.ctypes.data + offset * dst.itemsize, src.ctypes.data, n, nt)
    store_fence()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nt", [0, 1])
def test_stream_copies_exactly_its_values_at_every_alignment(dtype, nt):
    rng = np.random.default_rng(2)
    for offset in range(17):
        for n in (0, 1, 7, 16, 17, 100):
            src = rng.standard_normal(n).astype(dtype)
            dst = aligned_empty((n + 40,), dtype)
            dst[...] = 0
            _stream(dst, src, offset, n, nt)
            assert np.array_equal(dst[offset:offset + n], src)
            assert not dst[:offset].any() and not dst[offset + n:].any()


def test_aligned_empty_starts_on_a_cache_line():
    for shape in [(3,), (1000, 7), (2, 3, 5)]:
        a = aligned_empty(shape, np.float32)
        assert a.shape == shape and a.flags.c_contiguous and a.ctypes.data % 64 == 0
    assert aligned_empty((0, 4), np.float64).shape == (0, 4)
