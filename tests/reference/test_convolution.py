"""The reference convolutions against the brute-force oracle, over hypothesis-generated edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import reference as R
from autograder.reference.convolution import _convolve

from . import oracle
from .helpers import assert_matches, magnitude
from .strategies import dilations, images, kernel_sizes, paddings, sizes, small, strides, weights


def _expected_or_error(fn, *args):
    """The oracle's answer, or None when the geometry leaves no output (then the reference must raise)."""
    try:
        out = fn(*args)
    except ValueError:
        return None
    return out if min(out.shape[1:3]) >= 1 else None


def _geometry_ok(h, w, kh, kw, padding, stride, dilation):
    ph, pw = oracle.explicit_axes(padding)
    for n, k, p, s, d in ((h, kh, ph, stride[0], dilation[0]), (w, kw, pw, stride[1], dilation[1])):
        before, after, _ = oracle.pads(n, k, p, s, d)
        if (k - 1) * d + 1 > n + before + after:
            return False
    return True


@st.composite
def bank_cases(draw):
    m, h, w, c, n = draw(small), draw(sizes), draw(sizes), draw(small), draw(small)
    kh, kw = draw(kernel_sizes), draw(kernel_sizes)
    x = images(draw, m, h, w, c)
    k = weights(draw, (kh, kw, c, n))
    return x, k, draw(paddings), draw(strides), draw(dilations)


@given(bank_cases())
@example((np.ones((1, 5, 5, 1)), np.ones((5, 5, 1, 1)), "valid", (1, 1), (1, 1)))  # kernel = image
@example((np.ones((1, 3, 3, 2)), np.ones((5, 5, 2, 1)), (1, 1), (1, 1), (1, 1)))  # kernel = padded image
@example((np.ones((1, 4, 6, 1), np.float32), np.ones((2, 2, 1, 3)), "same", (1, 1), (1, 1)))  # even kernel
@example((np.ones((2, 7, 7, 1)), np.ones((1, 1, 1, 2)), "same", (3, 3), (1, 1)))  # 1x1, stride > kernel
@example((np.ones((1, 9, 8, 1), np.uint8), np.ones((3, 2, 1, 1)), ((0, 3), (2, 0)), (2, 1), (2, 3)))
def test_convolve_matches_oracle(case):
    x, k, padding, stride, dilation = case
    kh, kw = k.shape[:2]
    if not _geometry_ok(x.shape[1], x.shape[2], kh, kw, padding, stride, dilation):
        with pytest.raises(ValueError, match="convolve: the kernel spans"):
            R.convolve(x, k, padding, stride, dilation)
        return
    expected = oracle.conv_bank(x, k, padding, stride, dilation)
    got = R.convolve(x, k, padding, stride, dilation)
    assert_matches(got, expected, x, kh * kw * x.shape[3], magnitude(x, k))


@given(bank_cases())
def test_convolve_channels_is_one_filter(case):
    x, k, padding, stride, dilation = case
    k1 = k[..., :1]
    if not _geometry_ok(x.shape[1], x.shape[2], *k.shape[:2], padding, stride, dilation):
        with pytest.raises(ValueError, match="convolve_channels"):
            R.convolve_channels(x, k1[..., 0], padding, stride, dilation)
        return
    expected = oracle.conv_bank(x, k1, padding, stride, dilation)[..., 0]
    got = R.convolve_channels(x, k1[..., 0], padding, stride, dilation)
    assert_matches(got, expected, x, k.shape[0] * k.shape[1] * x.shape[3], magnitude(x, k1))


@st.composite
def gray_cases(draw):
    m, h, w = draw(small), draw(sizes), draw(sizes)
    kh, kw = draw(kernel_sizes), draw(kernel_sizes)
    return images(draw, m, h, w), weights(draw, (kh, kw)), draw(paddings), draw(strides), draw(dilations)


@given(gray_cases())
def test_convolve_grayscale_matches_oracle(case):
    x, k, padding, stride, dilation = case
    if not _geometry_ok(x.shape[1], x.shape[2], *k.shape, padding, stride, dilation):
        with pytest.raises(ValueError, match="convolve_grayscale: the kernel spans"):
            R.convolve_grayscale(x, k, padding, stride, dilation)
        return
    expected = oracle.conv_bank(x[..., None], k[:, :, None, None], padding, stride, dilation)[..., 0]
    got = R.convolve_grayscale(x, k, padding, stride, dilation)
    assert_matches(got, expected, x, k.size, magnitude(x, k))


@given(gray_cases())
def test_grayscale_variants_fix_their_padding(case):
    x, k, _, _, _ = case
    h, w = x.shape[1:]
    kh, kw = k.shape
    expected_same = oracle.conv_bank(x[..., None], k[:, :, None, None], "same")[..., 0]
    assert_matches(R.convolve_grayscale_same(x, k), expected_same, x, k.size, magnitude(x, k))
    assert R.convolve_grayscale_same(x, k).shape == x.shape
    if kh <= h and kw <= w:
        expected = oracle.conv_bank(x[..., None], k[:, :, None, None], "valid")[..., 0]
        assert_matches(R.convolve_grayscale_valid(x, k), expected, x, k.size, magnitude(x, k))
    else:
        with pytest.raises(ValueError, match="convolve_grayscale_valid"):
            R.convolve_grayscale_valid(x, k)
    ph, pw = max(kh - h, 0) + 1, max(kw - w, 0)
    expected = oracle.conv_bank(x[..., None], k[:, :, None, None], (ph, pw))[..., 0]
    if expected.shape[2] >= 1:
        assert_matches(R.convolve_grayscale_padding(x, k, (ph, pw)), expected, x, k.size, magnitude(x, k))


def test_chunk_boundaries_and_many_chunks():
    """Output positions split into many scratch blocks, the last one partial, give the same answer."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 11, 13, 5))
    k = rng.standard_normal((3, 4, 5, 6))
    expected = oracle.conv_bank(x, k, "same", (2, 1), (1, 2))
    for rows in (1, 7, 64, 10_000):
        got = _convolve(x, k, "same", (2, 1), (1, 2), chunk_rows=rows)
        assert_matches(got, expected, x, 3 * 4 * 5, magnitude(x, k))


@pytest.mark.parametrize("workers", [2, 3, 8])
def test_threads_give_identical_results(workers):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 12, 10, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    single = R.convolve(x, k, "same", (2, 2))
    pooled = R.pool(x, (3, 3), (2, 2), "avg", "same")
    with R.threads(workers):
        assert R.num_threads() == workers
        np.testing.assert_array_equal(R.convolve(x, k, "same", (2, 2)), single)
        np.testing.assert_array_equal(R.pool(x, (3, 3), (2, 2), "avg", "same"), pooled)
    assert R.num_threads() == 1


def test_inputs_are_left_unchanged_and_views_are_accepted():
    rng = np.random.default_rng(7)
    base = rng.standard_normal((2, 9, 8, 6))
    x = base[:, ::2, ::-1, ::2]          # a non-contiguous view, negative strides
    k = rng.standard_normal((4, 3, 3, 2)).transpose(1, 0, 2, 3)
    x_before, k_before = x.copy(), k.copy()
    got = R.convolve(x, k, "same")
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(k, k_before)
    assert_matches(got, oracle.conv_bank(x, k, "same"), x, k.shape[0] * k.shape[1] * 3, magnitude(x, k))


@pytest.mark.parametrize("dtype, out", [(np.uint8, np.float64), (np.int64, np.float64), (np.float16, np.float64),
                                        (np.float32, np.float32), (np.float64, np.float64), (np.bool_, np.float64)])
def test_result_dtype_follows_the_images(dtype, out):
    x = np.full((1, 4, 4, 1), 200).astype(dtype)
    k32 = np.ones((3, 3, 1, 1), np.float32)
    assert R.convolve(x, k32).dtype == out
    assert R.convolve_grayscale(x[..., 0], k32[..., 0, 0]).dtype == out
    assert R.pool(x, (2, 2), (2, 2)).dtype == out
    assert R.global_average_pool(x).dtype == out


def test_uint8_images_neither_overflow_nor_truncate():
    x = np.full((1, 3, 3), 255, np.uint8)
    k = np.full((3, 3), 0.5)
    assert R.convolve_grayscale_valid(x, k)[0, 0, 0] == 255 * 9 * 0.5


def test_empty_batch_gives_an_empty_result():
    assert R.convolve(np.zeros((0, 5, 5, 2)), np.zeros((3, 3, 2, 4))).shape == (0, 5, 5, 4)
    assert R.pool(np.zeros((0, 4, 4, 2)), (2, 2), (2, 2)).shape == (0, 2, 2, 2)


@given(bank_cases())
def test_both_bank_methods_match_the_oracle_at_stride_one(case):
    """Shifted matrix products and im2col agree with the oracle wherever both apply (stride 1)."""
    x, k, padding, _, dilation = case
    if not _geometry_ok(x.shape[1], x.shape[2], *k.shape[:2], padding, (1, 1), dilation):
        return
    expected = oracle.conv_bank(x, k, padding, (1, 1), dilation)
    for method in ("shift", "im2col"):
        for rows in (None, 1):
            got = _convolve(x, k, padding, (1, 1), dilation, method=method, chunk_rows=rows)
            assert_matches(got, expected, x, k.shape[0] * k.shape[1] * x.shape[3], magnitude(x, k))


def test_shift_method_with_threads_and_many_channels():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5, 9, 7, 20)).astype(np.float32)
    k = rng.standard_normal((3, 2, 20, 6)).astype(np.float32)
    expected = oracle.conv_bank(x, k, ((2, 0), (1, 3)), (1, 1), (2, 1))
    with R.threads(3):
        got = R.convolve(x, k, ((2, 0), (1, 3)), (1, 1), (2, 1))
    assert_matches(got, expected, x, 6 * 20, magnitude(x, k))


@st.composite
def direct_cases(draw):
    """Filter banks the register-blocked direct method takes: any channels, a multiple of 16 kernels
    (one or two vectors per tile, both dtypes), widths with and without a partial tile of pixels."""
    m, h, w = draw(small), draw(sizes), draw(st.integers(1, 19))
    c, n = draw(st.integers(1, 20)), draw(st.sampled_from([16, 32, 48]))
    kh, kw = draw(kernel_sizes), draw(kernel_sizes)
    x = images(draw, m, h, w, c, draw(st.sampled_from([np.float32, np.float64])))
    return x, weights(draw, (kh, kw, c, n)), draw(paddings), draw(strides), draw(dilations)


@given(direct_cases())
@example((np.ones((2, 5, 17, 9), np.float32), np.ones((3, 3, 9, 48)), "same", (1, 1), (1, 1)))
@example((np.ones((1, 9, 19, 3)), np.ones((2, 3, 3, 16)), ((0, 3), (2, 1)), (2, 3), (3, 2)))
def test_the_direct_method_matches_the_oracle(case):
    x, k, padding, stride, dilation = case
    if not _geometry_ok(x.shape[1], x.shape[2], *k.shape[:2], padding, stride, dilation):
        return
    expected = oracle.conv_bank(x, k, padding, stride, dilation)
    got = _convolve(x, k, padding, stride, dilation, method="direct")
    assert_matches(got, expected, x, k.shape[0] * k.shape[1] * x.shape[3], magnitude(x, k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c, n, packed", [(24, 48, 1), (64, 80, 1), (3, 48, 0)])
def test_the_direct_method_reads_kernels_packed_by_block_or_in_their_own_order(dtype, c, n, packed):
    """Large banks go to the tile with each block of kernels contiguous, the last block narrower when the
    kernels are not a whole number of blocks; small ones keep the kernels' own layout."""
    from autograder.reference.convolution import _pack_blocks
    from autograder.reference.microkernel import VECTORS, lanes

    rng = np.random.default_rng(c + n)
    x = rng.standard_normal((2, 7, 19, c)).astype(dtype)
    k = rng.standard_normal((3, 3, c, n)).astype(dtype)
    block = VECTORS * lanes(x.itemsize)
    wk, got_packed = _pack_blocks(k.reshape(-1, n), block)
    assert got_packed == packed and wk.ctypes.data % 64 == 0
    if packed:   # the last block's kernels start right after the whole blocks' and run width-wide
        last = (n - 1) // block * block
        np.testing.assert_array_equal(wk[last * 9 * c:].reshape(9 * c, n - last), k.reshape(-1, n)[:, last:])
    for stride, dilation in (((1, 1), (1, 1)), ((2, 2), (1, 2))):
        expected = oracle.conv_bank(x, k, "same", stride, dilation)
        got = _convolve(x, k, "same", stride, dilation, method="direct")
        assert_matches(got, expected, x, 9 * c, magnitude(x, k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, h, w, c, n32", [(2, 9, 21, 40, 48), (1, 5, 9, 72, 48), (2, 64, 64, 40, 1024)])
def test_the_direct_method_reads_a_large_block_of_kernels_one_kernel_row_at_a_time(dtype, m, h, w, c, n32):
    """A block whose kernels pass KERNELS_L1_BYTES is summed over one kernel row per pass, each pass adding
    to the row written before (another code path), with dilation and stride down the rows. With 72
    channels the last, narrower block (one vector) is split too; the last shape's output is large enough
    to go through the streamed scratch row."""
    from autograder.reference.kernels import KERNELS_L1_BYTES
    from autograder.reference.microkernel import STREAM_MIN_BYTES, VECTORS, lanes

    n = n32 * 4 // np.dtype(dtype).itemsize   # as many bytes of kernels in both dtypes
    rng = np.random.default_rng(h + c)
    x = rng.standard_normal((m, h, w, c)).astype(dtype)
    k = rng.standard_normal((3, 3, c, n)).astype(dtype)
    block = VECTORS * lanes(x.itemsize)
    assert 9 * c * block * x.itemsize > KERNELS_L1_BYTES
    if c == 72:
        assert n % block and 9 * c * (n % block) * x.itemsize > KERNELS_L1_BYTES
    streamed = m * h * w * n * x.itemsize >= STREAM_MIN_BYTES
    cases = (((1, 1), (1, 1)), ((2, 1), (2, 1))) if streamed else (((1, 1), (1, 1)), ((2, 1), (2, 1)), ((1, 2), (2, 2)))
    for stride, dilation in cases:
        expected = _convolve(x, k, "same", stride, dilation, method="im2col")
        got = _convolve(x, k, "same", stride, dilation, method="direct")
        assert_matches(got, expected, x, 9 * c, magnitude(x, k))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_direct_method_streams_a_large_output_row_by_row(dtype):
    """An output of STREAM_MIN_BYTES or more goes through a scratch row and non-temporal stores (another
    code path); each thread has a row of its own, and rows of two images may not mix."""
    from autograder.reference.microkernel import STREAM_MIN_BYTES

    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 48, 37, 3)).astype(dtype)     # 37 wide: a partial tile of pixels
    k = rng.standard_normal((3, 3, 3, 4096 // np.dtype(dtype).itemsize)).astype(dtype)
    assert x.shape[0] * 48 * 37 * k.shape[3] * x.itemsize >= STREAM_MIN_BYTES
    expected = _convolve(x, k, "same", (1, 1), (1, 1), method="im2col")
    with R.threads(2):
        got = _convolve(x, k, "same", (1, 1), (1, 1), method="direct")
    assert_matches(got, expected, x, 27, magnitude(x, k))


def test_the_direct_method_is_chosen_for_wide_banks_and_refuses_a_partial_vector():
    from autograder.reference.convolution import direct_fits

    assert direct_fits(64, 64, 4) and direct_fits(8, 16, 4) and direct_fits(8, 8, 8)
    assert not direct_fits(3, 64, 4)          # too few channels for the taps to pay
    assert direct_fits(3, 64, 4, kw=3)        # ... unless a kernel row's 3 taps run as one loop of 9
    assert not direct_fits(3, 64, 4, kw=3, dilation_w=2)   # which dilation across breaks
    assert not direct_fits(64, 24, 4)         # 24 is not a whole number of float32 vectors
    x = np.ones((1, 4, 4, 2), np.float32)
    with pytest.raises(ValueError, match="multiple of 16 kernels; got 24"):
        _convolve(x, np.ones((3, 3, 2, 24)), method="direct")
