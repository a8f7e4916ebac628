"""Comparison helpers for reference tests."""

from __future__ import annotations

import numpy as np

from . import oracle


def assert_matches(result, expected, images, terms, scale=1.0):
    """``result`` has the SPEC dtype for ``images`` and equals ``expected`` (float64) within rounding.

    ``terms`` is how many products each output sums; ``scale`` bounds one product's size.
    """
    assert isinstance(result, np.ndarray)
    assert result.dtype == oracle.out_dtype(images), (result.dtype, np.asarray(images).dtype)
    assert result.shape == expected.shape, (result.shape, expected.shape)
    eps = np.finfo(result.dtype).eps
    atol = 4 * eps * max(terms, 1) * scale
    np.testing.assert_allclose(result.astype(np.float64), expected, rtol=4 * eps * max(terms, 1), atol=atol)


def magnitude(*arrays) -> float:
    """Product of the largest absolute values: a bound on one term of a sum of products."""
    out = 1.0
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        out *= max(float(np.abs(a).max()) if a.size else 0.0, 1.0)
    return out
