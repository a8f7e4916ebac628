"""Every worked number the course states, computed by the reference (a source we started from printed a
wrong max-pool answer; these tests are why that cannot happen here)."""

from __future__ import annotations

import numpy as np

from autograder import reference as R
from autograder.reference.examples import (
    CLASSIC_IMAGE,
    POOL_EXAMPLE,
    POOL_SPOT_THE_MISTAKE,
    VERTICAL_EDGE,
    classic_batch,
)


def test_classic_5x5_with_the_vertical_edge_kernel():
    out = R.convolve_grayscale_valid(classic_batch(CLASSIC_IMAGE), VERTICAL_EDGE)[0]
    np.testing.assert_array_equal(out, [[1, 3, -2], [-1, 0, 3], [-1, -1, 2]])
    # output[0, 0] by hand: the top-left 3x3 window times the kernel, summed.
    assert out[0, 0] == (1 + 4 + 0) - (0 + 1 + 3) == 1


def test_classic_example_is_the_same_through_every_entry_point():
    expected = R.convolve_grayscale_valid(classic_batch(CLASSIC_IMAGE), VERTICAL_EDGE)
    np.testing.assert_array_equal(R.convolve_grayscale(classic_batch(CLASSIC_IMAGE), VERTICAL_EDGE, "valid"), expected)
    np.testing.assert_array_equal(
        R.convolve(classic_batch(CLASSIC_IMAGE, channels=True), VERTICAL_EDGE[:, :, None, None], "valid")[..., 0],
        expected)
    np.testing.assert_array_equal(
        R.convolve_grayscale_padding(classic_batch(CLASSIC_IMAGE), VERTICAL_EDGE, (0, 0)), expected)


def test_true_convolution_flips_the_kernel():
    flipped = R.convolve_grayscale_valid(classic_batch(CLASSIC_IMAGE), VERTICAL_EDGE[::-1, ::-1])[0]
    np.testing.assert_array_equal(flipped, -np.array([[1, 3, -2], [-1, 0, 3], [-1, -1, 2]]))


def test_max_pool_example():
    out = R.pool(classic_batch(POOL_EXAMPLE, channels=True), (2, 2), (2, 2), "max")[0, :, :, 0]
    np.testing.assert_array_equal(out, [[6, 2], [2, 5]])


def test_spot_the_mistake_max_pool():
    out = R.pool(classic_batch(POOL_SPOT_THE_MISTAKE, channels=True), (2, 2), (2, 2), "max")[0, :, :, 0]
    np.testing.assert_array_equal(out, [[4, 3], [4, 5]])
    assert not np.array_equal(out, [[3, 2], [4, 5]])   # what the source printed


def test_small_cnn_shapes_and_counts():
    """28x28x1 -> Conv(32, 3x3) -> pool 2 -> Conv(64, 3x3) -> pool 2: sizes 26, 13, 11, 5 and 320 + 18,496."""
    x = np.zeros((1, 28, 28, 1), np.float32)
    a = R.convolve(x, np.zeros((3, 3, 1, 32), np.float32), "valid")
    b = R.pool(a, (2, 2), (2, 2))
    c = R.convolve(b, np.zeros((3, 3, 32, 64), np.float32), "valid")
    d = R.pool(c, (2, 2), (2, 2))
    assert [t.shape[1:] for t in (a, b, c, d)] == [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64)]
    assert R.conv_params(3, 3, 1, 32) + R.conv_params(3, 3, 32, 64) == 320 + 18_496
