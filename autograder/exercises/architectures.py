"""Architectures (notebook 8): the shapes, parameters and activation memory of LeNet-5 and of a VGG block,
worked by hand.

The networks are data (:data:`~autograder.reference.examples.LENET5`, :data:`~autograder.reference.examples.VGG_BLOCK`);
the right answers are :func:`~autograder.reference.examples.architecture_table`'s, computed by the reference.
The misconceptions' predictors walk the same layers with one wrong step switched in (:func:`_walk`).
"""

from __future__ import annotations

import math

from ..reference import examples
from .common import points
from .model import Answer, Call, Exercise, Misconception, reference
from .sizes import BIAS_FORGOTTEN, INPUT_CHANNELS_FORGOTTEN

__all__ = ["EXERCISES", "ACTIVATIONS_IN_BYTES", "ACTIVATIONS_WITHOUT_CHANNELS", "SAME_VALID_MIXED_UP"]

#: The two networks of the exercise: (layers, input shape) by the prefix of their answers' names.
_NETWORKS = {"lenet": (examples.LENET5, examples.LENET5_INPUT), "vgg": (examples.VGG_BLOCK, examples.VGG_BLOCK_INPUT)}
#: What each answer lists per layer, by the suffix of its name: the index into a :func:`_walk` row.
_QUANTITIES = ("shapes", "params", "activations")
_ANSWER_NAMES = tuple(f"{net}_{what}" for net in _NETWORKS for what in _QUANTITIES)
_PARAMS = tuple(n for n in _ANSWER_NAMES if n.endswith("_params"))
_ACTIVATIONS = tuple(n for n in _ANSWER_NAMES if n.endswith("_activations"))

#: Bytes of one float32 value.
_FLOAT32_BYTES = 4


def _table(net: str, index: int) -> list:
    layers, shape = _NETWORKS[net]
    return [row[1 + index] for row in examples.architecture_table(layers, shape)]


def _walk(layers, shape, *, bias: bool = True, channels: bool = True, padding: str | None = None,
          activations: str = "floats") -> list[tuple]:
    """``[(output shape, parameters, activations)]`` per layer, counted as a student holding one idea would:
    ``bias=False`` (no biases), ``channels=False`` (a filter spans one input channel), ``padding`` (every
    convolution given this padding instead of its own), ``activations`` ('floats': the values per image;
    'bytes': four per float32 value; 'positions': a map's h * w, its channels left out)."""
    size, conv_params, dense_params = (reference(n) for n in ("conv_output_size", "conv_params", "dense_params"))
    rows = []
    for kind, kw in layers:
        if kind == "conv":
            kh, kwid = kw["kernel"]
            pad = padding or kw["padding"]
            params = conv_params(kh, kwid, shape[-1] if channels else 1, kw["filters"], use_bias=bias)
            shape = (size(shape[0], kh, pad), size(shape[1], kwid, pad), kw["filters"])
        elif kind in ("maxpool", "avgpool"):
            (ph, pw), (sh, sw) = kw["window"], kw["stride"]
            params, shape = 0, (size(shape[0], ph, "valid", sh), size(shape[1], pw, "valid", sw), shape[-1])
        elif kind == "flatten":
            params, shape = 0, (math.prod(shape),)
        else:
            params, shape = dense_params(shape[-1], kw["units"], use_bias=bias), (kw["units"],)
        values = math.prod(shape)
        counted = {"floats": values, "bytes": _FLOAT32_BYTES * values,
                   "positions": math.prod(shape[:-1]) if len(shape) == 3 else values}[activations]
        rows.append((shape, params, counted))
    return rows


def _predict(quantities=_QUANTITIES, **how):
    """A predictor: the answer named by the case, as :func:`_walk` counts it with ``how``, for the answers
    listing one of ``quantities``."""
    def predict(call: Call):
        net, what = call.case.function.split("_", 1)
        if what not in quantities:
            return None
        layers, shape = _NETWORKS[net]
        return [row[_QUANTITIES.index(what)] for row in _walk(layers, shape, **how)]
    return predict


ACTIVATIONS_IN_BYTES = Misconception(
    "activations-in-bytes",
    "Your activations are 4 times too many: they are bytes of float32. The question asks for floats, the "
    "values a layer outputs for one image (h * w * c for a map, n for a flat vector); multiply by 4 only "
    "when you want bytes.",
    functions=_ACTIVATIONS, predicts=(_predict(("activations",), activations="bytes"),))
ACTIVATIONS_WITHOUT_CHANNELS = Misconception(
    "activations-without-channels",
    "Your activations count a map's positions but not its channels: an h x w map with c channels holds "
    "h * w * c values for each image, one h x w map per channel.",
    functions=_ACTIVATIONS, predicts=(_predict(("activations",), activations="positions"),))
SAME_VALID_MIXED_UP = Misconception(
    "same-valid-mixed-up",
    "'valid' and 'same' are mixed up: a 'valid' convolution has no padding, so each side shrinks to n - k + 1 "
    "at stride 1 (a 5x5 kernel takes 4 rows and 4 columns); a 'same' one pads so that the size stays n at "
    "stride 1. The shapes then set the Flatten size, the first Dense layer's weights and the activations.",
    functions=_ANSWER_NAMES, predicts=(_predict(padding="same"), _predict(padding="valid")))

_MISCONCEPTIONS = (
    SAME_VALID_MIXED_UP, ACTIVATIONS_IN_BYTES, ACTIVATIONS_WITHOUT_CHANNELS,
    BIAS_FORGOTTEN.seen(_PARAMS, [_predict(("params",), bias=False)]),
    INPUT_CHANNELS_FORGOTTEN.seen(_PARAMS, [_predict(("params",), channels=False)]),
)

_QUESTIONS = {
    "lenet_shapes": "the output shape of each of LeNet-5's 8 layers: (h, w, c) for a map, (n,) for a flat vector",
    "lenet_params": "the number of parameters of each of LeNet-5's 8 layers",
    "lenet_activations": "the floats each of LeNet-5's 8 layers outputs for one image",
    "vgg_shapes": "the output shape (h, w, c) of each of the VGG block's 3 layers",
    "vgg_params": "the number of parameters of each of the VGG block's 3 layers",
    "vgg_activations": "the floats each of the VGG block's 3 layers outputs for one image",
}


def _answer(name: str) -> Answer:
    net, what = name.split("_", 1)
    return Answer(name, _QUESTIONS[name], lambda: _table(net, _QUANTITIES.index(what)))


EXERCISES = (
    Exercise(
        slug="architecture_tracking", title="Shapes, parameters and memory of LeNet-5 and a VGG block", notebook=8,
        points=points(3), answers=tuple(_answer(n) for n in _ANSWER_NAMES), misconceptions=_MISCONCEPTIONS),
)
