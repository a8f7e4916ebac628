"""Inputs of the course's worked examples, in one place for the lessons, the demo and the tests.

Only inputs live here: every answer the course shows is computed by the reference, and the tests check
those answers against the numbers the course states.
"""

from __future__ import annotations

import numpy as np

__all__ = ["CLASSIC_IMAGE", "VERTICAL_EDGE", "POOL_EXAMPLE", "POOL_SPOT_THE_MISTAKE", "classic_batch",
           "SMALL_CNN", "SMALL_CNN_INPUT", "small_cnn_table", "LENET5", "LENET5_INPUT", "VGG_BLOCK",
           "VGG_BLOCK_INPUT", "architecture_table"]

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


#: LeNet-5 (LeCun et al., 1998) as the architecture-tracking exercise of notebook 8 has it, in its common
#: Keras form: 'valid' convolutions, 2x2 average pooling at stride 2, every map of C3 connected to all six
#: maps of S2 (the original connected each to some), then Flatten and three Dense layers. Activations
#: (tanh, ReLU) change no shape and no count, so they are left out.
LENET5_INPUT = (32, 32, 1)
LENET5 = (
    ("conv", dict(filters=6, kernel=(5, 5), padding="valid")),
    ("avgpool", dict(window=(2, 2), stride=(2, 2))),
    ("conv", dict(filters=16, kernel=(5, 5), padding="valid")),
    ("avgpool", dict(window=(2, 2), stride=(2, 2))),
    ("flatten", dict()),
    ("dense", dict(units=120)),
    ("dense", dict(units=84)),
    ("dense", dict(units=10)),
)

#: VGG-16's second block (Simonyan & Zisserman, 2014): the 112x112x64 maps its first block makes of a
#: 224x224 image, two 3x3 'same' convolutions of 128 filters, then 2x2 max pooling at stride 2.
VGG_BLOCK_INPUT = (112, 112, 64)
VGG_BLOCK = (
    ("conv", dict(filters=128, kernel=(3, 3), padding="same")),
    ("conv", dict(filters=128, kernel=(3, 3), padding="same")),
    ("maxpool", dict(window=(2, 2), stride=(2, 2))),
)


def architecture_table(layers, input_shape):
    """``[(layer name, output shape, parameters, activations), ...]`` for a network of ``layers`` (as
    :data:`LENET5`, :data:`VGG_BLOCK`) on one image of ``input_shape`` ``(h, w, c)``, by the reference.

    Shapes come from the reference's :func:`conv_output_size` (pooling is a 'valid' window with its stride),
    parameters from its :func:`conv_params` and :func:`dense_params`; activations are the number of values
    (floats) a layer outputs for one image, the product of its output shape.
    """
    import math

    from . import conv_output_size, conv_params, dense_params

    shape = tuple(input_shape)
    rows = []
    for kind, kw in layers:
        if kind == "conv":
            kh, kwid = kw["kernel"]
            params = conv_params(kh, kwid, shape[-1], kw["filters"])
            shape = (conv_output_size(shape[0], kh, kw["padding"]), conv_output_size(shape[1], kwid, kw["padding"]),
                     kw["filters"])
            name = f"Conv2D({kw['filters']}, {kh}x{kwid}, '{kw['padding']}')"
        elif kind in ("maxpool", "avgpool"):
            (ph, pw), (sh, sw) = kw["window"], kw["stride"]
            params = 0
            shape = (conv_output_size(shape[0], ph, "valid", sh), conv_output_size(shape[1], pw, "valid", sw),
                     shape[-1])
            name = f"{'Max' if kind == 'maxpool' else 'Average'}Pool({ph}x{pw}, stride {sh})"
        elif kind == "flatten":
            params, shape, name = 0, (math.prod(shape),), "Flatten"
        elif kind == "dense":
            params = dense_params(shape[-1], kw["units"])
            shape, name = (kw["units"],), f"Dense({kw['units']})"
        else:
            raise ValueError(f"architecture_table: unknown layer kind {kind!r}")
        rows.append((name, shape, params, math.prod(shape)))
    return rows
