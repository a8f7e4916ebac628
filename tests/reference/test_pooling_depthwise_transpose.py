"""Pooling, depthwise and transposed convolution against the oracle and against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import reference as R

from . import oracle
from .helpers import assert_matches, magnitude
from .strategies import images, kernel_sizes, sizes, small, weights

pool_strides = st.tuples(st.integers(1, 4), st.integers(1, 4))


@st.composite
def pool_cases(draw):
    m, h, w, c = draw(small), draw(sizes), draw(sizes), draw(small)
    x = images(draw, m, h, w, c)
    return x, (draw(kernel_sizes), draw(kernel_sizes)), draw(pool_strides), draw(
        st.sampled_from(["max", "avg"])), draw(st.sampled_from(["valid", "same"]))


@given(pool_cases())
@example((np.arange(16.0).reshape(1, 4, 4, 1), (3, 3), (2, 2), "avg", "same"))
@example((np.ones((1, 5, 5, 2), np.uint8), (2, 2), (3, 3), "max", "same"))  # stride > window
def test_pool_matches_oracle(case):
    x, kshape, stride, mode, padding = case
    kh, kw = kshape
    if padding == "valid" and (kh > x.shape[1] or kw > x.shape[2]):
        with pytest.raises(ValueError, match="pool: the kernel spans"):
            R.pool(x, kshape, stride, mode, padding)
        return
    expected = oracle.pool(x, kshape, stride, mode, padding)
    assert_matches(R.pool(x, kshape, stride, mode, padding), expected, x, kh * kw, magnitude(x))


def test_same_average_pooling_does_not_count_padding():
    x = np.ones((1, 3, 3, 1))
    np.testing.assert_array_equal(R.pool(x, (2, 2), (1, 1), "avg", "same")[0, :, :, 0], np.ones((3, 3)))
    neg = -np.ones((1, 3, 3, 1))
    # A padded zero would win this max if padding counted.
    np.testing.assert_array_equal(R.pool(neg, (2, 2), (2, 2), "max", "same"), -np.ones((1, 2, 2, 1)))


@given(st.builds(lambda m, h, w, c: (m, h, w, c), small, sizes, sizes, small), st.data())
def test_global_average_pool_is_the_mean(shape, data):
    x = images(data.draw, *shape)
    assert_matches(R.global_average_pool(x), np.asarray(x, np.float64).mean(axis=(1, 2)), x, shape[1] * shape[2],
                   magnitude(x))


@st.composite
def depthwise_cases(draw):
    m, h, w, c, mult = draw(small), draw(sizes), draw(sizes), draw(small), draw(st.integers(1, 3))
    x = images(draw, m, h, w, c)
    k = weights(draw, (draw(kernel_sizes), draw(kernel_sizes), c, mult))
    return x, k, draw(st.sampled_from(["same", "valid", (1, 2), ((0, 2), (1, 0))])), draw(pool_strides)


@given(depthwise_cases())
def test_depthwise_matches_oracle(case):
    x, k, padding, stride = case
    try:
        expected = oracle.depthwise(x, k, padding, stride)
    except ValueError:
        expected = None
    if expected is None or min(expected.shape[1:3]) < 1:
        with pytest.raises(ValueError, match="depthwise_convolve"):
            R.depthwise_convolve(x, k, padding, stride)
        return
    assert_matches(R.depthwise_convolve(x, k, padding, stride), expected, x, k.shape[0] * k.shape[1], magnitude(x, k))


def test_depthwise_channel_order_is_keras():
    x = np.zeros((1, 1, 1, 2))
    x[..., 1] = 1.0                       # only channel 1 is lit
    k = np.arange(1.0, 7.0).reshape(1, 1, 2, 3)
    np.testing.assert_array_equal(R.depthwise_convolve(x, k)[0, 0, 0], [0, 0, 0, 4, 5, 6])


@st.composite
def transpose_cases(draw):
    m, h, w, c, nc = draw(small), draw(sizes), draw(sizes), draw(small), draw(small)
    x = images(draw, m, h, w, c)
    k = weights(draw, (draw(kernel_sizes), draw(kernel_sizes), nc, c))
    return x, k, draw(st.sampled_from(["valid", "same"])), draw(pool_strides)


@given(transpose_cases())
def test_transpose_matches_scatter_oracle(case):
    x, k, padding, stride = case
    got = R.convolve_transpose(x, k, padding, stride)
    m, h, w, _ = x.shape
    kh, kw, nc, _ = k.shape
    if padding == "valid":
        assert got.shape == (m, (h - 1) * stride[0] + kh, (w - 1) * stride[1] + kw, nc)
    else:
        assert got.shape == (m, h * stride[0], w * stride[1], nc)
    assert_matches(got, oracle.transpose(x, k, padding, stride), x, kh * kw * x.shape[3], magnitude(x, k))


@given(transpose_cases(), st.integers(0, 2**32 - 1))
def test_transpose_is_the_adjoint_of_convolve(case, seed):
    x, k, padding, stride = case
    x = np.asarray(x, np.float64)
    y = R.convolve_transpose(x, k, padding, stride)
    z = np.random.default_rng(seed).standard_normal(y.shape)
    lhs = np.sum(R.convolve(z, k, padding, stride) * x)
    rhs = np.sum(z * y)
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9 * magnitude(x, k, z) * z.size), (lhs, rhs)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c", [16, 40, 64, 72, 136])
@pytest.mark.parametrize("window", [((2, 2), (2, 2), "valid"), ((3, 3), (2, 2), "same"), ((3, 3), (1, 1), "valid")])
def test_pool_over_many_channels_matches_oracle(dtype, c, window):
    """Channels in whole vectors (16 float32 or 8 float64 at a time, microkernel._window), then the single
    channels left over: the hypothesis cases have at most 4 channels and never reach the vectors."""
    kshape, stride, padding = window
    x = np.random.default_rng(c).standard_normal((2, 9, 11, c)).astype(dtype)
    for mode in ("max", "avg"):
        got = R.pool(x, kshape, stride, mode, padding)
        expected = oracle.pool(x, kshape, stride, mode, padding)
        if mode == "max":
            np.testing.assert_array_equal(got, expected.astype(dtype))
        else:
            assert_matches(got, expected, x, kshape[0] * kshape[1], magnitude(x))
