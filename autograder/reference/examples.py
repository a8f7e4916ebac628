"""Inputs of the course's worked examples, in one place for the lessons, the demo and the tests.

Only inputs live here: every answer the course shows is computed by the reference, and the tests check
those answers against the numbers the course states.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLASSIC_IMAGE", "VERTICAL_EDGE", "POOL_EXAMPLE", "POOL_SPOT_THE_MISTAKE", "classic_batch"]

#: The classic 5x5 image of "convolution by hand".
CLASSIC_IMAGE = np.array(
    [[1, 2, 0, 1, 3],
     [4, 1, 1, 0, 2],
     [0, 2, 3, 1, 1],
     [1, 0, 2, 2, 0],
     [3, 1, 0, 1, 2]],
    dtype=np.float64,
)

#: The 3x3 vertical-edge kernel used with it (no flip: a cross-correlation).
VERTICAL_EDGE = np.array([[1, 0, -1]] * 3, dtype=np.float64)

#: 4x4 single-channel input of the first max-pooling example (2x2 windows, stride 2).
POOL_EXAMPLE = np.array(
    [[1, 3, 2, 0],
     [4, 6, 1, 2],
     [0, 2, 5, 3],
     [1, 2, 2, 4]],
    dtype=np.float64,
)

#: 4x4 input of the "spot the mistake" example: a source printed [[3, 2], [4, 5]] for its 2x2/2 max pool.
POOL_SPOT_THE_MISTAKE = np.array(
    [[1, 3, 2, 1],
     [4, 2, 0, 3],
     [1, 0, 5, 1],
     [3, 4, 2, 0]],
    dtype=np.float64,
)


def classic_batch(image: np.ndarray, channels: bool = False) -> np.ndarray:
    """A batch of one: ``(h, w)`` to ``(1, h, w)``, or ``(1, h, w, 1)`` with ``channels=True``."""
    batch = image[None]
    return batch[..., None] if channels else batch
