"""Bad arguments raise ValueError naming the argument, what was received and what was expected."""

from __future__ import annotations

import re

import numpy as np
import pytest

from autograder import reference as R

X4 = np.zeros((2, 5, 5, 3))
K4 = np.zeros((3, 3, 3, 4))

CASES = [
    ("channel mismatch", lambda: R.convolve(X4, np.zeros((3, 3, 2, 4))),
     "convolve: kernels has 2 input channels (axis 2 of shape (3, 3, 2, 4)) but images have 3"),
    ("channels kernel mismatch", lambda: R.convolve_channels(X4, np.zeros((3, 3, 4))),
     "convolve_channels: kernel has 4 input channels"),
    ("transpose channel axis", lambda: R.convolve_transpose(X4, np.zeros((3, 3, 3, 2))),
     "convolve_transpose: kernels has 2 input channels (axis 3"),
    ("kernel larger than padded input", lambda: R.convolve(X4, np.zeros((7, 3, 3, 1)), "valid"),
     "convolve: the kernel spans 7 along the height, more than the padded input (5 + 0 + 0 = 5)"),
    ("dilated kernel too large", lambda: R.convolve_grayscale(X4[..., 0], np.zeros((3, 3)), "valid", (1, 1), (1, 3)),
     "the kernel spans 7 (size 3 with dilation 3) along the width"),
    ("non-positive stride", lambda: R.convolve(X4, K4, "same", (0, 1)),
     "convolve: stride must be positive along both axes; got (0, 1)"),
    ("stride of wrong type", lambda: R.convolve(X4, K4, "same", (1.5, 1)),
     "convolve: stride must be a tuple of two positive ints (sh, sw); got tuple (1.5, 1)"),
    ("negative dilation", lambda: R.convolve(X4, K4, "same", (1, 1), (-1, 1)),
     "convolve: dilation must be positive along both axes; got (-1, 1)"),
    ("unknown padding", lambda: R.convolve(X4, K4, "full"),
     "convolve: padding must be 'valid' or 'same', a tuple (ph, pw)"),
    ("negative padding", lambda: R.convolve(X4, K4, (-1, 0)), "convolve: padding must not be negative"),
    ("padding is a string in the padding task", lambda: R.convolve_grayscale_padding(X4[..., 0], np.zeros((3, 3)), "same"),
     "convolve_grayscale_padding: padding must be a tuple (ph, pw)"),
    ("unknown mode", lambda: R.pool(X4, (2, 2), (2, 2), "mean"), "pool: mode must be 'max' or 'avg'; got 'mean'"),
    ("explicit padding in pool", lambda: R.pool(X4, (2, 2), (2, 2), "max", (1, 1)),
     "pool: padding must be 'valid' or 'same'; got tuple (1, 1)"),
    ("images of wrong ndim", lambda: R.convolve(X4[0], K4),
     "convolve: images must be a 4-D array of shape (m, h, w, c); got 3-D shape (5, 5, 3)"),
    ("grayscale given channels", lambda: R.convolve_grayscale_same(X4, np.zeros((3, 3))),
     "convolve_grayscale_same: images must be a 3-D array of shape (m, h, w); got 4-D shape (2, 5, 5, 3)"),
    ("kernel of wrong ndim", lambda: R.convolve_grayscale_valid(X4[..., 0], np.zeros((3, 3, 1))),
     "convolve_grayscale_valid: kernel must be a 2-D array of shape (kh, kw); got 3-D shape (3, 3, 1)"),
    ("empty kernel axis", lambda: R.convolve(X4, np.zeros((3, 0, 3, 4))), "kernels must not have an empty axis"),
    ("complex images", lambda: R.pool(X4.astype(complex), (2, 2), (2, 2)),
     "pool: images must hold real numbers (bool, int, uint or float); got dtype complex128"),
    ("object images", lambda: R.global_average_pool(np.array([[["a"]]], dtype=object)),
     "global_average_pool: images must hold real numbers"),
    ("transpose padding", lambda: R.convolve_transpose(X4, np.zeros((3, 3, 2, 3)), (1, 1)),
     "convolve_transpose: padding must be 'valid' or 'same'; got tuple (1, 1)"),
    ("pool window too large", lambda: R.pool(X4, (6, 2), (1, 1)), "pool: the kernel spans 6 along the height"),
    ("depthwise mismatch", lambda: R.depthwise_convolve(X4, np.zeros((3, 3, 2, 1))),
     "depthwise_convolve: kernels has 2 input channels"),
]


@pytest.mark.parametrize("name, call, message", CASES, ids=[c[0] for c in CASES])
def test_message_names_what_was_wrong(name, call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_errors_come_from_the_wrapper_not_from_numba():
    """The traceback ends in the checking code, not inside a compiled kernel."""
    with pytest.raises(ValueError) as info:
        R.convolve(X4, np.zeros((3, 3, 2, 4)))
    assert "kernels.py" not in str(info.traceback[-1].path)
