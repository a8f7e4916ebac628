"""The one-pass check of timed answers decides as numpy's elementwise close_enough does."""

import numpy as np
import pytest

from autograder.grading.compare import close_enough
from autograder.timing.agree import TERMS, agrees


def _numpy_says(got, want) -> bool:
    magnitude = 1.0 + float(np.abs(want).max(initial=0))
    return bool(close_enough(got, want, TERMS, magnitude).all())


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("error", [0.0, 1e-7, 1e-4, 3e-3, 1e-2, np.nan, np.inf])
def test_agrees_as_close_enough_does(dtype, error):
    rng = np.random.default_rng(7)
    want = rng.uniform(-3, 3, (5, 7, 4))
    got = want.astype(dtype)
    got[2, 3, 1] += error
    assert agrees(got, want) == _numpy_says(got, want)


def test_a_value_just_outside_the_tolerance_fails_and_just_inside_passes():
    want = np.zeros((3, 4))
    want[0, 0] = 1.0   # magnitude 2
    atol = 32 * float(np.finfo(np.float32).eps) * TERMS * 2.0
    inside, outside = want.copy(), want.copy()
    inside[2, 3] = 0.99 * atol
    outside[2, 3] = 1.01 * atol
    assert agrees(inside, want) and not agrees(outside, want)


def test_layout_does_not_matter_but_shape_dtype_kind_and_parts_do():
    want = np.random.default_rng(1).uniform(-1, 1, (6, 5, 4))
    assert agrees(np.asfortranarray(want), want)
    assert agrees(want[:, ::-1][:, ::-1], want)
    assert not agrees(want[None], want)
    assert not agrees(want.astype(np.int64), want)
    assert not agrees(want.tolist(), want)
    assert agrees((want, want[0]), (want, want[0]))
    assert not agrees((want, want[0] + 1), (want, want[0]))
    assert not agrees((want,), (want, want[0]))
    assert not agrees(want, (want,))
