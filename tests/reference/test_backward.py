"""The backward pass against a term-by-term oracle, the adjoint identities and numerical gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from autograder import reference as R

from . import oracle
from .helpers import assert_matches, magnitude
from .strategies import dilations, images, kernel_sizes, paddings, sizes, small, strides, weights
from .test_convolution import _geometry_ok

pool_strides = st.tuples(st.integers(1, 4), st.integers(1, 4))


@st.composite
def conv_cases(draw):
    m, h, w, c, n = draw(small), draw(sizes), draw(sizes), draw(small), draw(small)
    kh, kw = draw(kernel_sizes), draw(kernel_sizes)
    padding, stride, dilation = draw(paddings), draw(strides), draw(dilations)
    if not _geometry_ok(h, w, kh, kw, padding, stride, dilation):
        kh = kw = 1
        dilation = (1, 1)
    x = images(draw, m, h, w, c)
    k = weights(draw, (kh, kw, c, n))
    out_shape = R.convolve(np.zeros((m, h, w, c)), k, padding, stride, dilation).shape
    d = weights(draw, out_shape)
    return d, x, k, padding, stride, dilation


@given(conv_cases())
@example((np.ones((1, 4, 6, 2)), np.ones((1, 4, 6, 1), np.float32), np.ones((2, 2, 1, 2)), "same", (1, 1), (1, 1)))
@example((np.ones((1, 3, 2, 1)), np.arange(45.0).reshape(1, 9, 5, 1), np.ones((3, 2, 1, 1)), ((0, 3), (2, 0)),
          (3, 2), (2, 3)))
def test_convolve_backward_matches_oracle(case):
    d, x, k, padding, stride, dilation = case
    dx, dk, db = R.convolve_backward(d, x, k, padding, stride, dilation)
    ex, ek, eb = oracle.conv_backward(d, x, k, padding, stride, dilation)
    kh, kw, c, n = k.shape
    oh, ow = d.shape[1:3]
    assert_matches(dx, ex, x, kh * kw * n, magnitude(d, k))
    assert_matches(dk, ek, x, d.shape[0] * oh * ow, magnitude(d, x))
    assert_matches(db, eb, x, d.shape[0] * oh * ow, magnitude(d))


@given(conv_cases(), st.integers(0, 2**32 - 1))
def test_convolve_backward_is_the_adjoint_of_convolve(case, seed):
    """The layer is linear in the images and in the kernels, so <d_out, conv(x, k)> = <d_images, x> =
    <d_kernels, k>: the identity that defines the gradient, checked on float64 inputs."""
    d, x, k, padding, stride, dilation = case
    x = np.asarray(x, np.float64)
    dx, dk, db = R.convolve_backward(d, x, k, padding, stride, dilation)
    y = R.convolve(x, k, padding, stride, dilation)
    lhs = float(np.sum(d * y))
    tol = 1e-9 * magnitude(x, k, d) * y.size * k.shape[0] * k.shape[1] * k.shape[2]
    assert abs(lhs - float(np.sum(dx * x))) <= tol
    assert abs(lhs - float(np.sum(dk * k))) <= tol
    assert np.allclose(db, d.sum(axis=(0, 1, 2)))


def test_convolve_backward_agrees_with_numerical_gradients():
    rng = np.random.default_rng(3)
    x, k, b = rng.standard_normal((2, 6, 5, 2)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    args = ("same", (2, 1), (1, 2))
    weights_out = rng.standard_normal(R.convolve(x, k, *args).shape)

    def loss(x_, k_, b_):
        return float(np.sum(weights_out * np.tanh(R.convolve(x_, k_, *args) + b_)))

    d_out = weights_out * (1 - np.tanh(R.convolve(x, k, *args) + b) ** 2)
    dx, dk, db = R.convolve_backward(d_out, x, k, *args)
    np.testing.assert_allclose(dx, R.numerical_gradient(lambda v: loss(v, k, b), x), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dk, R.numerical_gradient(lambda v: loss(x, v, b), k), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db, R.numerical_gradient(lambda v: loss(x, k, v), b), rtol=1e-6, atol=1e-7)


def test_convolve_backward_threads_give_the_same_kernels_gradient():
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((7, 9, 9, 3)), rng.standard_normal((3, 3, 3, 4))
    d = rng.standard_normal((7, 9, 9, 4))
    one = R.convolve_backward(d, x, k)
    with R.threads(2):
        two = R.convolve_backward(d, x, k)
    for a, b in zip(one, two):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@st.composite
def pool_cases(draw):
    m, h, w, c = draw(small), draw(sizes), draw(sizes), draw(small)
    kh, kw = draw(kernel_sizes), draw(kernel_sizes)
    padding = draw(st.sampled_from(["valid", "same"]))
    if padding == "valid" and (kh > h or kw > w):
        kh, kw = min(kh, h), min(kw, w)
    x = images(draw, m, h, w, c)
    stride = draw(pool_strides)
    mode = draw(st.sampled_from(["max", "avg"]))
    d = weights(draw, R.pool(x, (kh, kw), stride, mode, padding).shape)
    return d, x, (kh, kw), stride, mode, padding


@given(pool_cases())
@example((np.ones((1, 2, 2, 1)), np.ones((1, 3, 3, 1), np.uint8), (2, 2), (1, 1), "max", "valid"))  # ties, overlap
@example((np.ones((1, 2, 2, 1)), np.arange(9.0).reshape(1, 3, 3, 1), (2, 2), (2, 2), "avg", "same"))
@example((np.arange(12.0).reshape(1, 2, 3, 2), (np.arange(70) % 3).astype(np.uint8).reshape(1, 5, 7, 2), (2, 2), (2, 2),
          "max", "valid"))   # tiles with ties, and a last row and column no window covers
@example((np.arange(24.0).reshape(1, 3, 4, 2), -np.arange(70.0).reshape(1, 5, 7, 2), (2, 2), (2, 2), "max", "same"))
def test_pool_backward_matches_oracle(case):
    d, x, kshape, stride, mode, padding = case
    got = R.pool_backward(d, x, kshape, stride, mode, padding)
    expected = oracle.pool_backward(d, x, kshape, stride, mode, padding)
    assert_matches(got, expected, x, kshape[0] * kshape[1], magnitude(d))


def test_max_pool_ties_go_to_the_first_maximum_and_overlaps_add():
    x = np.array([[7, 7, 1], [7, 2, 1], [0, 0, 0]], np.uint8).reshape(1, 3, 3, 1)
    d = np.array([[1.0, 10.0], [100.0, 1000.0]]).reshape(1, 2, 2, 1)
    got = R.pool_backward(d, x, (2, 2), (1, 1))[0, :, :, 0]
    # windows at (0,0) and (0,1) both pick (0,0)/(0,1): the first 7 of each; (1,0) picks (1,0), (1,1) picks (1,1)
    assert got.tolist() == [[1.0, 10.0, 0.0], [100.0, 1000.0, 0.0], [0.0, 0.0, 0.0]]


@given(pool_cases(), st.integers(0, 2**32 - 1))
@settings(max_examples=40)
def test_pool_backward_is_the_gradient_of_pool(case, seed):
    """Away from ties max pooling is linear near x: numerical gradients of <d_out, pool(x)> match."""
    d, x, kshape, stride, mode, padding = case
    x = np.random.default_rng(seed).permutation(np.arange(x.size, dtype=np.float64)).reshape(x.shape)  # no ties
    got = R.pool_backward(d, x, kshape, stride, mode, padding)
    num = R.numerical_gradient(lambda v: float(np.sum(d * R.pool(v, kshape, stride, mode, padding))), x, 1e-3)
    np.testing.assert_allclose(got, num, rtol=1e-6, atol=1e-8)


def test_numerical_gradient_is_central_and_leaves_x_alone():
    x = np.linspace(-1, 1, 12).reshape(3, 4).astype(np.float32)
    before = x.copy()
    g = R.numerical_gradient(lambda v: float(np.sum(np.sin(v) * v ** 3)), x)
    assert g.dtype == np.float64 and g.shape == x.shape
    xd = x.astype(np.float64)
    np.testing.assert_allclose(g, np.cos(xd) * xd ** 3 + 3 * np.sin(xd) * xd ** 2, rtol=1e-7, atol=1e-9)
    assert np.array_equal(x, before)
    cubic = R.numerical_gradient(lambda v: float(v[0] ** 3), np.array([2.0]), eps=0.1)
    assert cubic[0] == pytest.approx(12.0 + 0.01)   # central: f''' eps^2 / 6 = 0.01; a forward step gives 12.61


@pytest.mark.parametrize("layers, expected", [
    ([(3, 1, 1)] * 3, (7, 1)),
    ([(5, 1, 1)] * 2, (9, 1)),
    ([(3, 1, 1), (2, 2, 1), (3, 1, 1), (2, 2, 1)], (10, 4)),
    ([(3, 1, 1), (3, 1, 2), (3, 1, 4)], (15, 1)),
    ([(7, 2, 1), (3, 2, 1), (3, 1, 1)], (19, 4)),
    ([], (1, 1)),
])
def test_receptive_field(layers, expected):
    assert R.receptive_field(layers) == expected == oracle.receptive_field(layers)


@given(st.lists(st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(1, 3)), max_size=6))
def test_receptive_field_matches_tracing(layers):
    assert R.receptive_field(layers) == oracle.receptive_field(layers)


@pytest.mark.parametrize("call, match", [
    (lambda: R.convolve_backward(np.ones((1, 3, 3, 2)), np.ones((1, 4, 4, 1)), np.ones((3, 3, 1, 2)), "valid"),
     r"convolve_backward: d_out must have the shape of the forward output \(m, oh, ow, nc\), \(1, 2, 2, 2\); got shape \(1, 3, 3, 2\)"),
    (lambda: R.convolve_backward(np.ones((1, 4, 4, 2)), np.ones((1, 4, 4, 3)), np.ones((3, 3, 1, 2))),
     "convolve_backward: kernels has 1 input channels"),
    (lambda: R.pool_backward(np.ones((1, 2, 2, 1)), np.ones((1, 4, 4, 1)), (2, 2), (2, 2), "min"),
     "pool_backward: mode must be 'max' or 'avg'"),
    (lambda: R.pool_backward(np.ones((1, 2, 2)), np.ones((1, 4, 4, 1)), (2, 2), (2, 2)),
     r"pool_backward: d_out must have the shape of the forward output \(m, oh, ow, c\), \(1, 2, 2, 1\)"),
    (lambda: R.numerical_gradient(lambda v: v, np.ones(3)), "numerical_gradient: f must return a float"),
    (lambda: R.numerical_gradient(lambda v: 1.0, np.ones(3), eps=0), "numerical_gradient: eps must be a positive"),
    (lambda: R.receptive_field([(3, 1)]), r"receptive_field: layer 0 must be \(kernel, stride, dilation\)"),
    (lambda: R.receptive_field([(3, 0, 1)]), "receptive_field: layer 0's stride must be a positive integer"),
])
def test_bad_arguments_say_what_was_expected(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_float32_in_float32_out():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    k = rng.standard_normal((3, 3, 3, 2))
    dx, dk, db = R.convolve_backward(np.ones((2, 5, 5, 2), np.float32), x, k)
    assert dx.dtype == dk.dtype == db.dtype == np.float32
    assert R.pool_backward(np.ones((2, 2, 2, 3)), x, (2, 2), (2, 2)).dtype == np.float32
    assert R.pool_backward(np.ones((2, 2, 2, 3)), x.astype(np.uint8), (2, 2), (2, 2)).dtype == np.float64


@pytest.mark.parametrize("shape, kshape, padding, dilation", [
    ((2, 6, 7, 16), (3, 3, 16, 5), "same", (1, 1)),
    ((1, 7, 6, 17), (2, 3, 17, 4), "same", (2, 1)),        # even kernel: the extra zero after
    ((3, 5, 5, 16), (3, 2, 16, 2), ((1, 2), (0, 3)), (1, 2)),
    ((2, 4, 5, 20), (1, 1, 20, 3), "valid", (1, 1)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_shifted_products_of_wide_inputs_match_the_oracle(shape, kshape, padding, dilation, dtype):
    """Stride 1 with 16 or more channels takes the shifted-products path (like the forward pass)."""
    rng = np.random.default_rng(7)
    x, k = rng.standard_normal(shape).astype(dtype), rng.standard_normal(kshape)
    d = rng.standard_normal(R.convolve(np.zeros(shape), k, padding, (1, 1), dilation).shape)
    expected = oracle.conv_backward(d, x, k, padding, (1, 1), dilation)
    for n in (1, 2):
        with R.threads(n):
            got = R.convolve_backward(d, x, k, padding, (1, 1), dilation)
        for g, e, terms in zip(got, expected, (kshape[0] * kshape[1] * kshape[3], d[..., 0].size, d[..., 0].size)):
            assert_matches(g, e, x, terms, magnitude(d, x, k))


@st.composite
def direct_backward_cases(draw):
    """Both gradients by the direct tiles: images with 16 or 32 channels (d_images at stride 1 is a
    direct convolution of d_out into them) and a multiple of 16 kernels (d_kernels)."""
    m, h, w = draw(small), draw(sizes), draw(st.integers(1, 19))
    c, n = draw(st.sampled_from([16, 32])), draw(st.sampled_from([16, 48]))
    kh, kw = draw(kernel_sizes), draw(kernel_sizes)
    padding, stride, dilation = draw(paddings), draw(st.sampled_from([(1, 1), (1, 1), (2, 1), (3, 2)])), draw(dilations)
    if not _geometry_ok(h, w, kh, kw, padding, stride, dilation):
        kh = kw = 1
        dilation = (1, 1)
    x = images(draw, m, h, w, c, draw(st.sampled_from([np.float32, np.float64])))
    k = weights(draw, (kh, kw, c, n))
    d = weights(draw, R.convolve(np.zeros((m, h, w, c)), k, padding, stride, dilation).shape)
    return d, x, k, padding, stride, dilation


@given(direct_backward_cases())
@settings(max_examples=60)
def test_the_direct_gradients_match_the_oracle(case):
    d, x, k, padding, stride, dilation = case
    got = R.convolve_backward(d, x, k, padding, stride, dilation)
    expected = oracle.conv_backward(d, x, k, padding, stride, dilation)
    kh, kw, c, n = k.shape
    for g, e, terms in zip(got, expected, (kh * kw * n, d[..., 0].size, d[..., 0].size)):
        assert_matches(g, e, x, terms, magnitude(d, x, k))


@pytest.mark.parametrize("kshape, stride, mode, padding", [((2, 2), (2, 2), "max", "valid"),
                                                            ((3, 3), (2, 2), "avg", "same"),
                                                            ((3, 3), (1, 1), "max", "same")])
def test_large_arrays_streamed_out_match_small_ones_written_in_cache(kshape, stride, mode, padding):
    """Average pool_backward writes d_images of STREAM_MIN_BYTES or more with non-temporal stores (another
    code path): a batch that large gives each image what the same image alone (ordinary stores) gets,
    forward and backward, in every mode."""
    from autograder.reference.microkernel import STREAM_MIN_BYTES
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 384, 1024, 4)).astype(np.float32)
    x[:, ::7, ::5] = x[:, 1::7, ::5]   # ties: the first maximum gets the gradient in both paths
    y = R.pool(x, kshape, stride, mode, padding)
    d = rng.standard_normal(y.shape).astype(np.float32)
    dx = R.pool_backward(d, x, kshape, stride, mode, padding)
    assert dx.nbytes >= STREAM_MIN_BYTES > x[:1].nbytes
    for i in range(len(x)):
        np.testing.assert_array_equal(y[i:i + 1], R.pool(x[i:i + 1], kshape, stride, mode, padding))
        np.testing.assert_array_equal(dx[i:i + 1], R.pool_backward(d[i:i + 1], x[i:i + 1], kshape, stride, mode,
                                                                   padding))
