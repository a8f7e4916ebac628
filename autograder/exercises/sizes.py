"""Sizes and parameters (notebooks 2 and 5): the output size of a convolution, parameter counts of
Keras layers, and the shapes and parameters of a small CNN worked by hand.
"""

from __future__ import annotations

from ..reference import examples
from .common import (DILATION_IGNORED, EVEN_KERNEL_SYMMETRIC, MISSING_LAST, PADDING_IGNORED, RIGHT_NUMBER_WRONG_TYPE,
                     SAME_KEEPS_INPUT_SIZE, SAME_PLUS_ONE, STRIDE_IGNORED, every_function, points,
                     right_number_wrong_type)
from .model import Answer, Call, Exercise, FunctionSpec, Misconception, Param, reference, row

__all__ = ["EXERCISES", "BIAS_FORGOTTEN", "INPUT_CHANNELS_FORGOTTEN"]


# --------------------------------------------------------------------------------------- output size

def _size_public():
    return [row("28-k3", "28 with a 3x3 kernel", n=28, k=3), row("28-k5", "28 with 5x5", n=28, k=5),
            row("same-stride-2", "'same', stride 2", n=28, k=3, padding="same", stride=2),
            row("pooling-26", "pooling 26 by 2x2/2", n=26, k=2, padding="valid", stride=2),
            row("padding-1", "one zero on each side", n=28, k=3, padding=1),
            row("dilation-2", "dilation 2", n=56, k=3, padding="same", stride=1, dilation=2),
            # added after the first six
            row("same-stride-1", "'same', stride 1: the input size", n=28, k=3, padding="same", stride=1),
            row("same-even-kernel", "'same' with an even kernel", n=28, k=2, padding="same", stride=1),
            row("valid-dilation-2", "'valid', dilation 2: the kernel spans 5", n=28, k=3, padding="valid", stride=1,
                dilation=2)]


def _size_hidden(rng):
    rows = []
    for i in range(6):
        n, k = int(rng.integers(5, 60)), int(rng.integers(1, 6))
        s = int(rng.integers(1, 4))
        pad = [str("valid"), str("same"), int(rng.integers(0, 4))][int(rng.integers(0, 3))]
        rows.append(row(f"random-{i + 1}", f"n={n}, k={min(k, n)}", n=n, k=min(k, n), padding=pad, stride=s))
    n = int(rng.integers(20, 40))
    rows.append(row("dilation-3", "dilation 3", n=n, k=3, padding="same", stride=1, dilation=3))
    rows.append(row("even-kernel-same", "even kernel, 'same'", n=n, k=2, padding="same", stride=1))
    return rows


def _size(call: Call):
    v = call.args
    return v["n"], v["k"], v["padding"], v["stride"], v["dilation"]


def _output_size(*args):
    return reference("conv_output_size")(*args)


def _altered(test, alter):
    """A predictor: the reference's size with ``alter(n, k, padding, stride, dilation)``'s arguments, for
    the cases where ``test`` of them holds."""
    return lambda call: _output_size(*alter(*z)) if test(*(z := _size(call))) else None


def _symmetric(rule):
    """The size with 'same' padding split evenly, ``rule(k_eff)`` zeros on each side, for even kernels."""
    def predict(call):
        n, k, pad, s, d = _size(call)
        k_eff = (k - 1) * d + 1
        return _output_size(n, k, rule(k_eff), s, d) if pad == "same" and k_eff % 2 == 0 else None
    return predict


_F = ("conv_output_size",)
_SIZE_MISCONCEPTIONS = (
    EVEN_KERNEL_SYMMETRIC.seen(_F, [_symmetric(lambda k: (k - 1) // 2), _symmetric(lambda k: k // 2)]),
    SAME_PLUS_ONE.seen(_F, [_altered(lambda n, k, pad, s, d: pad == "same",
                                     lambda n, k, pad, s, d: (n, k, ((n - 1) * s + k - n) // 2 + 1, s, d))]),
    SAME_KEEPS_INPUT_SIZE.seen(_F, [lambda call: z[0] if (z := _size(call))[2] == "same" and z[3] != 1 else None]),
    STRIDE_IGNORED.seen(_F, [_altered(lambda n, k, pad, s, d: s != 1, lambda n, k, pad, s, d: (n, k, pad, 1, d))]),
    DILATION_IGNORED.seen(_F, [_altered(lambda n, k, pad, s, d: d != 1, lambda n, k, pad, s, d: (n, k, pad, s, 1))]),
    PADDING_IGNORED.seen(_F, [_altered(lambda n, k, pad, s, d: pad not in ("valid", 0),
                                       lambda n, k, pad, s, d: (n, k, "valid", s, d))]),
    MISSING_LAST.seen(_F, [lambda call: call.want - 1]),
    RIGHT_NUMBER_WRONG_TYPE.seen(_F, explains=right_number_wrong_type),
) + every_function(*_F, mutated=False)


# ---------------------------------------------------------------------------------------- parameters

def _params_public():
    return {
        "conv_params": [row("conv-32", "Conv2D(32, 3x3) on 1 channel", kh=3, kw=3, in_channels=1, filters=32),
                        row("conv-64", "Conv2D(64, 3x3) on 32 channels", kh=3, kw=3, in_channels=32, filters=64)],
        "dense_params": [row("dense-128", "Dense(128) on 784 inputs", in_features=784, units=128),
                         row("dense-676", "Dense(676) on 784 inputs", in_features=784, units=676)],
        "separable_params": [row("separable-64", "SeparableConv2D(64, 3x3) on 32 channels", kh=3, kw=3,
                                 in_channels=32, filters=64)],
    }


def _draw(rng, a, b):
    return int(rng.integers(a, b))


def _conv_hidden(rng):
    return [row("conv-random", "random Conv2D", kh=_draw(rng, 1, 6), kw=_draw(rng, 1, 6),
                in_channels=_draw(rng, 1, 65), filters=_draw(rng, 1, 129)),
            row("conv-no-bias", "no bias", kh=_draw(rng, 1, 4), kw=_draw(rng, 1, 4), in_channels=_draw(rng, 1, 9),
                filters=_draw(rng, 1, 9), use_bias=False)]


def _dense_hidden(rng):
    return [row("dense-random", "random Dense", in_features=_draw(rng, 10, 5000), units=_draw(rng, 1, 500)),
            row("dense-no-bias", "no bias", in_features=_draw(rng, 10, 100), units=_draw(rng, 1, 50), use_bias=False)]


def _separable_hidden(rng):
    return [row("separable-multiplier", "with a depth multiplier", kh=_draw(rng, 1, 6), kw=_draw(rng, 1, 6),
                in_channels=_draw(rng, 1, 65), filters=_draw(rng, 1, 129), depth_multiplier=_draw(rng, 1, 4)),
            row("separable-no-bias", "no bias", kh=3, kw=3, in_channels=_draw(rng, 1, 33), filters=_draw(rng, 1, 65),
                depth_multiplier=1, use_bias=False)]


def _params(name):
    return lambda: _params_public()[name]


def _count(call: Call, function: str, bias: bool = True, channels: str = ""):
    """A parameter count with the biases left out (``bias=False``) or the input channels left out of one
    step (``channels``: 'weights', 'depthwise' or 'pointwise'), for the cases where that changes it."""
    v = call.args
    use_bias = v.get("use_bias", True)
    if not bias and not use_bias:
        return None
    b = bool(use_bias and bias)
    if function == "dense_params":
        return v["in_features"] * v["units"] + (v["units"] if b else 0)
    kh, kw, cin, f = v["kh"], v["kw"], v["in_channels"], v["filters"]
    if channels and cin == 1:
        return None
    if function == "conv_params":
        return kh * kw * (1 if channels else cin) * f + (f if b else 0)
    dm = v.get("depth_multiplier", 1)
    depthwise = kh * kw * (1 if channels == "depthwise" else cin) * dm
    pointwise = (1 if channels == "pointwise" else cin) * dm * f
    return depthwise + pointwise + (f if b else 0)


_COUNTS = ("conv_params", "dense_params", "separable_params")


def _counting(function, **how):
    return lambda call: _count(call, function, **how) if call.case.function == function else None


def _layer_counts(bias: bool = True, channels: bool = True) -> list[int]:
    """The parameters of each layer of the small CNN, with its biases or input channels left out."""
    counts, depth = [], examples.SMALL_CNN_INPUT[-1]
    for (kind, kw), (_, shape, _) in zip(examples.SMALL_CNN, examples.small_cnn_table()):
        if kind == "conv":
            kh, kwid = kw["kernel"]
            counts.append(reference("conv_params")(kh, kwid, depth if channels else 1, kw["filters"], use_bias=bias))
        elif kind == "dense":
            counts.append(reference("dense_params")(depth, kw["units"], use_bias=bias))
        else:
            counts.append(0)
        depth = shape[-1]
    return counts


def _layers(**how):
    return lambda call: _layer_counts(**how) if call.case.function == "layer_params" else None


BIAS_FORGOTTEN = Misconception(
    "bias-forgotten",
    "The biases are missing: a Conv2D layer has one bias per filter and a Dense layer one per unit, added to "
    "the weights (kh * kw * in_channels * filters + filters), unless use_bias=False.",
    functions=_COUNTS + ("layer_params",),
    predicts=tuple(_counting(f, bias=False) for f in _COUNTS) + (_layers(bias=False),))
INPUT_CHANNELS_FORGOTTEN = Misconception(
    "input-channels-forgotten",
    "The input channels are missing: each filter spans every input channel, so a Conv2D layer has "
    "kh * kw * in_channels weights per filter (a SeparableConv2D: kh * kw * in_channels * depth_multiplier "
    "depthwise, then in_channels * depth_multiplier * filters pointwise).",
    functions=_COUNTS + ("layer_params",),
    predicts=(_counting("conv_params", channels="weights"), _counting("separable_params", channels="depthwise"),
              _counting("separable_params", channels="pointwise"), _layers(channels=False)))


# ------------------------------------------------------------------------------------ shapes by hand

def _layer_shapes():
    return [shape for _, shape, _ in examples.small_cnn_table()]


def _layer_params():
    return [params for _, _, params in examples.small_cnn_table()]


EXERCISES = (
    Exercise(
        slug="output_size", title="Output size", notebook=2, points=points(2),
        functions=(FunctionSpec("conv_output_size",
                                (Param("n"), Param("k"), Param("padding", "valid"), Param("stride", 1),
                                 Param("dilation", 1, added=True)), "conv_output_size", "int",
                                public=_size_public, hidden=_size_hidden),),
        misconceptions=_SIZE_MISCONCEPTIONS),
    Exercise(
        slug="parameter_count", title="Counting parameters", notebook=5, points=points(2),
        functions=(
            FunctionSpec("conv_params", (Param("kh"), Param("kw"), Param("in_channels"), Param("filters"),
                                         Param("use_bias", True)), "conv_params", "int",
                         public=_params("conv_params"), hidden=_conv_hidden),
            FunctionSpec("dense_params", (Param("in_features"), Param("units"), Param("use_bias", True)),
                         "dense_params", "int", public=_params("dense_params"), hidden=_dense_hidden),
            FunctionSpec("separable_params", (Param("kh"), Param("kw"), Param("in_channels"), Param("filters"),
                                              Param("depth_multiplier", 1), Param("use_bias", True)),
                         "separable_params", "int", public=_params("separable_params"), hidden=_separable_hidden),
        ),
        misconceptions=(BIAS_FORGOTTEN.seen(_COUNTS, BIAS_FORGOTTEN.predicts[:3]),
                        INPUT_CHANNELS_FORGOTTEN.seen(_COUNTS, INPUT_CHANNELS_FORGOTTEN.predicts[:3]),
                        RIGHT_NUMBER_WRONG_TYPE.seen(_COUNTS, explains=right_number_wrong_type))),
    Exercise(
        slug="shape_tracking", title="Shapes through a small CNN", notebook=5, points=points(2),
        answers=(
            Answer("layer_shapes", "the output shape (h, w, c) of each layer of the small CNN, in order", _layer_shapes),
            Answer("layer_params", "the number of parameters of each layer, in order", _layer_params),
        ),
        misconceptions=(BIAS_FORGOTTEN.seen(["layer_params"], BIAS_FORGOTTEN.predicts[3:]),
                        INPUT_CHANNELS_FORGOTTEN.seen(["layer_params"], INPUT_CHANNELS_FORGOTTEN.predicts[3:])),
    ),
)
