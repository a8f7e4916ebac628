"""Output sizes, padding amounts and parameter counts: the course's stated numbers and the spec's rules."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder import reference as R
from autograder.reference.geometry import axis_geometry

from . import oracle


@pytest.mark.parametrize("n, k, out", [(28, 3, 26), (28, 5, 24), (26, 3, 24), (13, 3, 11)])
def test_valid_sizes_the_course_states(n, k, out):
    assert R.conv_output_size(n, k) == out


@pytest.mark.parametrize("n, out", [(26, 13), (11, 5), (24, 12)])
def test_pooled_sizes_the_course_states(n, out):
    assert R.conv_output_size(n, 2, "valid", stride=2) == out


@pytest.mark.parametrize(
    "n, k, s, d, pads",
    [
        (28, 3, 1, 1, (1, 1)),
        (28, 2, 1, 1, (0, 1)),      # even kernel: the extra zero goes after
        (28, 4, 1, 1, (1, 2)),
        (28, 3, 2, 1, (0, 1)),      # stride 2 on an even size: odd total
        (27, 3, 2, 1, (1, 1)),
        (5, 3, 3, 1, (0, 1)),
        (56, 3, 1, 2, (2, 2)),      # dilation 2: effective kernel 5
        (7, 1, 2, 1, (0, 0)),
    ],
)
def test_same_padding_is_the_keras_rule(n, k, s, d, pads):
    assert R.same_padding(n, k, s, d) == pads
    assert R.conv_output_size(n, k, "same", s, d) == math.ceil(n / s)


def test_the_popular_wrong_formula_is_not_ours():
    # ((h - 1) * s + k - h) // 2 + 1 pads 28x28 so that a 3x3 'same' conv returns 30x30: ours returns 28.
    wrong_pad = ((28 - 1) * 1 + 3 - 28) // 2 + 1
    assert R.conv_output_size(28, 3, wrong_pad) == 30
    assert R.conv_output_size(28, 3, "same") == 28


@given(st.integers(1, 60), st.integers(1, 9), st.integers(1, 5), st.integers(1, 4),
       st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 6)))
def test_output_size_agrees_with_the_oracle(n, k, s, d, padding):
    before, after, out = oracle.pads(n, k, padding, s, d)
    if (k - 1) * d + 1 > n + before + after:
        with pytest.raises(ValueError, match="larger than the padded input|more than the padded input"):
            R.conv_output_size(n, k, padding, s, d)
    else:
        assert R.conv_output_size(n, k, padding, s, d) == out
        g = axis_geometry(n, k, padding, s, d)
        assert (g.before, g.after, g.out) == (before, after, out)


@pytest.mark.parametrize("n, k, s, padding, out", [(4, 3, 2, "valid", 9), (4, 3, 2, "same", 8), (7, 2, 3, "valid", 20)])
def test_transpose_output_size(n, k, s, padding, out):
    assert R.transpose_output_size(n, k, padding, s) == out


def test_parameter_counts_the_course_states():
    assert R.conv_params(3, 3, 1, 32) == 320              # Conv2D(32, 3x3) on 28x28x1
    assert R.conv_params(3, 3, 32, 64) == 18_496          # Conv2D(64, 3x3) on 13x13x32
    assert R.dense_params(784, 128) == 100_480            # Dense(128) on a flattened 28x28
    assert R.dense_params(784, 676) == 530_660            # Dense(676): as many outputs as a 26x26 map
    assert R.conv_params(3, 3, 1, 1, use_bias=False) == 9


def test_separable_parameters_are_depthwise_plus_pointwise():
    assert R.separable_params(3, 3, 32, 64) == 3 * 3 * 32 + 32 * 64 + 64
    assert R.separable_params(3, 3, 32, 64, depth_multiplier=2, use_bias=False) == 9 * 64 + 64 * 64
    assert R.depthwise_params(3, 3, 32, 2) == 9 * 64 + 64


@pytest.mark.parametrize("call, needle", [
    (lambda: R.conv_params(0, 3, 1, 1), "kh must be a positive int; got 0"),
    (lambda: R.dense_params(784.0, 10), "in_features must be a positive int; got 784.0"),
    (lambda: R.separable_params(3, 3, 8, 8, use_bias="yes"), "use_bias must be True or False"),
    (lambda: R.conv_output_size(28, 3, "full"), "padding must be 'valid', 'same'"),
    (lambda: R.conv_output_size(28, 3, stride=0), "stride along the axis must be a positive integer; got 0"),
    (lambda: R.conv_output_size(3, 5), "the kernel spans 5 along the axis, more than the padded input"),
])
def test_bad_counts_and_sizes_say_what_was_wrong(call, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        call()
