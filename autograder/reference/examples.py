"""Inputs of the course's worked examples, in one place for the lessons, the demo and the tests.

Only inputs live here: every answer the course shows is computed by the reference, and the tests check
those answers against the numbers the course states.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLASSIC_IMAGE", "VERTICAL_EDGE", "POOL_EXAMPLE", "POOL_SPOT_THE_MISTAKE", "classic_batch",
           "SMALL_CNN", "SMALL_CNN_INPUT", "small_cnn_table"]

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


#: The small CNN of the shape-tracking exercise: input 28x28x1, then each layer as
#: (kind, keyword arguments). Shapes and parameter counts are computed by :func:`small_cnn_table`.
SMALL_CNN_INPUT = (28, 28, 1)
SMALL_CNN = (
    ("conv", dict(filters=32, kernel=(3, 3), padding="valid")),
    ("maxpool", dict(pool=(2, 2), stride=(2, 2))),
    ("conv", dict(filters=64, kernel=(3, 3), padding="valid")),
    ("maxpool", dict(pool=(2, 2), stride=(2, 2))),
    ("global_avg_pool", dict()),
    ("dense", dict(units=10)),
)


def small_cnn_table():
    """``[(layer name, output shape, parameters), ...]`` for :data:`SMALL_CNN`, by the reference.

    Shapes come from running a zero batch through the reference layers, so they follow the same size
    rules the exercises grade; parameter counts come from the reference's counting functions.
    """
    from . import conv_params, convolve, dense_params, global_average_pool, pool

    x = np.zeros((1,) + SMALL_CNN_INPUT, dtype=np.float32)
    rows = []
    for kind, kw in SMALL_CNN:
        if kind == "conv":
            kh, kwid = kw["kernel"]
            params = conv_params(kh, kwid, x.shape[-1], kw["filters"])
            x = convolve(x, np.zeros((kh, kwid, x.shape[-1], kw["filters"]), np.float32), kw["padding"])
            name = f"Conv2D({kw['filters']}, {kh}x{kwid}, '{kw['padding']}')"
        elif kind == "maxpool":
            params = 0
            x = pool(x, kw["pool"], kw["stride"], "max")
            name = f"MaxPool({kw['pool'][0]}x{kw['pool'][1]}, stride {kw['stride'][0]})"
        elif kind == "global_avg_pool":
            params = 0
            x = global_average_pool(x)
            name = "GlobalAveragePooling"
        else:
            params = dense_params(x.shape[-1], kw["units"])
            x = np.zeros((1, kw["units"]), np.float32)
            name = f"Dense({kw['units']})"
        rows.append((name, tuple(x.shape[1:]), params))
    return rows
