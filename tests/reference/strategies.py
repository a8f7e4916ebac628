"""Hypothesis strategies for reference tests: shapes and parameters over every edge case of SPEC §3."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

DTYPES = [np.uint8, np.int16, np.float32, np.float64]

small = st.integers(1, 4)
sizes = st.integers(1, 9)
kernel_sizes = st.integers(1, 5)          # 1x1, odd, even
strides = st.tuples(st.integers(1, 4), st.integers(1, 4))   # includes stride > kernel
dilations = st.tuples(st.integers(1, 3), st.integers(1, 3))
pad_amount = st.integers(0, 4)
paddings = st.one_of(
    st.sampled_from(["same", "valid"]),
    st.tuples(pad_amount, pad_amount),                                          # (ph, pw)
    st.tuples(st.tuples(pad_amount, pad_amount), st.tuples(pad_amount, pad_amount)),  # asymmetric
)


def images(draw, m, h, w, c=None, dtype=None):
    """Random images in ``dtype``: integers stay in range, floats are signed."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (m, h, w) if c is None else (m, h, w, c)
    dtype = np.dtype(dtype if dtype is not None else draw(st.sampled_from(DTYPES)))
    if dtype.kind == "u":
        return rng.integers(0, 256, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-300, 300, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def weights(draw, shape):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal(shape)
