"""The backward pass (notebooks 7 and 8): numerical gradients, the gradients of a convolution layer and of
pooling, and receptive fields. Images are ``(m, h, w, c)``; ``d_out`` is the gradient of a loss with
respect to the forward call's output, of its shape.

The misconceptions are the mistakes public solutions of CS231n's and DeepLearning.AI's backward exercises
make in these functions (docs/course.md lists them with how often each was seen). Their predictors run a
small NumPy model of the backward pass (:func:`_conv_backward`, :func:`_pool_backward`) with the one
wrong step switched in.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading.results import Tier
from ..sandbox.runtime.functions import ScalarFunction
from .common import (DILATION_IGNORED, IDENTITY_COMPARISON, INPUT_MUTATED, KH_KW_SWAPPED, STRIDE_AXES_SWAPPED,
                     RAISES, STRIDE_IGNORED, array_misconceptions, every_function, identity_findings, images, kernel, pair,
                     points)
from .grayscale import STRIDED_PARAMS
from .model import Call, Exercise, FunctionSpec, Misconception, Param, Workload, reference, row
from .pooling import MAX_AVG_SWAPPED, MAX_POOL_ZERO_PADDING

__all__ = ["EXERCISES", "CONV_BACKWARD", "POOL_BACKWARD"]


# ========================================================================== numerical_gradient

def _fn(rng, kind, shape):
    return ScalarFunction(kind, np.round(rng.uniform(0.5, 2.0, shape), 3))


def _numgrad_public():
    rng = np.random.default_rng(21)
    return [
        row("tanh-vector", "sum(w * tanh(x)) on 5 values, eps 1e-3", f=_fn(rng, "weighted-tanh", (5,)),
            x=np.round(rng.standard_normal(5), 3), eps=1e-3),
        row("cubic-large-step", "a cubic with a large step, eps 0.1: central differences are exact to eps**2",
            f=_fn(rng, "cubic", (3, 4)), x=np.round(rng.standard_normal((3, 4)), 3), eps=0.1),
        row("coupled-elements", "log-sum-exp on a 2x3x2 array: each element moves every term",
            f=_fn(rng, "log-sum-exp", (2, 3, 2)), x=np.round(rng.standard_normal((2, 3, 2)), 3), eps=1e-2),
        row("neighbours-default-eps", "neighbours coupled, the default eps", f=_fn(rng, "neighbours", (4, 3)),
            x=np.round(rng.standard_normal((4, 3)), 3)),
        row("integer-x", "x holds integers: the gradient is still float64",
            f=_fn(rng, "weighted-tanh", (6,)), x=np.arange(-3, 3), eps=1e-3),
        row("float32-x", "x is float32: work in float64, or eps 1e-6 is lost in rounding",
            f=_fn(rng, "cubic", (2, 3)), x=rng.standard_normal((2, 3)).astype(np.float32)),
    ]


def _numgrad_hidden(rng):
    kinds = ("weighted-tanh", "cubic", "log-sum-exp", "neighbours")
    rows = []
    for i, kind in enumerate(kinds):
        shape = tuple(int(s) for s in rng.integers(1, 5, int(rng.integers(1, 4))))
        eps = float([1e-2, 1e-3, 0.05, 1e-4][i])
        rows.append(row(f"random-{kind}", kind, f=_fn(rng, kind, shape), x=rng.standard_normal(shape), eps=eps))
    rows.append(row("uint8-x", "uint8 x", f=_fn(rng, "weighted-tanh", (3, 2)),
                    x=rng.integers(0, 4, (3, 2), dtype=np.uint8), eps=1e-2))
    return rows


def _numgrad_form(call: Call):
    v = call.args
    return v["f"], np.asarray(v["x"]), float(v["eps"])


def _difference(step):
    """A predictor: the gradient estimated by ``step(f, x, i, eps)`` for each element of a float64 copy."""
    def predict(call):
        f, x, eps = _numgrad_form(call)
        xp = x.astype(np.float64).reshape(-1)
        return np.array([step(f, xp, i, eps) for i in range(xp.size)]).reshape(x.shape)
    return predict


def _at(x, i, delta):
    y = x.copy()
    y[i] += delta
    return y


def _forward(f, x, i, eps):
    return (f(_at(x, i, eps)) - f(x)) / eps


def _not_halved(f, x, i, eps):
    return (f(_at(x, i, eps)) - f(_at(x, i, -eps))) / eps


def _every_element(call):
    f, x, eps = _numgrad_form(call)
    xp = x.astype(np.float64)
    return np.full(x.shape, (f(xp + eps) - f(xp - eps)) / (2 * eps))


def _not_restored(call):
    """x[i] moved by +eps then -2 eps and left there: every later element is measured at a moved point."""
    f, x, eps = _numgrad_form(call)
    xp = x.astype(np.float64).reshape(-1).copy()
    g = np.empty(xp.size)
    for i in range(xp.size):
        xp[i] += eps
        up = f(xp)
        xp[i] -= 2 * eps
        g[i] = (up - f(xp)) / (2 * eps)
    return g.reshape(x.shape)


def _in_input_dtype(call):
    """The central difference on a copy of x in its own dtype: integers cannot hold x + eps, and float32
    rounds a small eps away."""
    f, x, eps = _numgrad_form(call)
    if x.dtype == np.float64:
        return None
    xp = x.copy().reshape(-1)
    g = np.empty(xp.size)
    for i in range(xp.size):
        old = xp[i]
        xp[i] = old + eps
        up = f(xp)
        xp[i] = old - eps
        down = f(xp)
        xp[i] = old
        g[i] = (up - down) / (2 * eps)
    return g.reshape(x.shape)


FORWARD_DIFFERENCE = Misconception(
    "forward-difference",
    "Your estimate is the forward difference (f(x + eps) - f(x)) / eps, whose error shrinks only like eps. "
    "Use the central difference (f(x + eps e_i) - f(x - eps e_i)) / (2 eps): its error shrinks like eps**2.",
    functions=("numerical_gradient",), predicts=(_difference(_forward),))
NOT_HALVED = Misconception(
    "central-difference-not-halved",
    "Your gradient is twice the right one: the two points x + eps and x - eps are 2 eps apart, so divide "
    "their difference by 2 * eps.", functions=("numerical_gradient",), predicts=(_difference(_not_halved),))
EVERY_ELEMENT = Misconception(
    "every-element-perturbed",
    "You moved every element of x at once (x + eps), which measures the slope along the all-ones direction, "
    "not each partial derivative: move one element at a time (x[i] += eps on a copy, then put it back).",
    functions=("numerical_gradient",), predicts=(_every_element,))
NOT_RESTORED = Misconception(
    "x-not-restored",
    "After measuring element i, x[i] is left at x[i] - eps, so every later element is measured at a moved "
    "point. Save old = x[i] and assign it back (x[i] = old) after the two evaluations.",
    functions=("numerical_gradient",), predicts=(_not_restored,))
INPUT_DTYPE = Misconception(
    "gradient-in-input-dtype",
    "You perturbed x in its own dtype: an integer array cannot hold x + eps (it rounds back to x, so the "
    "gradient is 0), and float32 rounds a small eps away. Work on np.array(x, dtype=np.float64).",
    functions=("numerical_gradient",), predicts=(_in_input_dtype,))
_NUMGRAD_MISCONCEPTIONS = (INPUT_DTYPE, NOT_RESTORED, EVERY_ELEMENT, NOT_HALVED, FORWARD_DIFFERENCE) \
    + every_function("numerical_gradient", identity=False)


# ============================================================================= receptive_field

def _rf_public():
    return [
        row("three-3x3", "three 3x3 convolutions", layers=[(3, 1, 1)] * 3),
        row("conv-pool-conv", "3x3 conv, 2x2/2 pool, 3x3 conv: the pool doubles every later step",
            layers=[(3, 1, 1), (2, 2, 1), (3, 1, 1)]),
        row("strided-stem", "a 7x7/2 convolution then a 3x3/2 pool (ResNet's first layers)",
            layers=[(7, 2, 1), (3, 2, 1)]),
        row("dilated-stack", "3x3 convolutions with dilations 1, 2, 4", layers=[(3, 1, 1), (3, 1, 2), (3, 1, 4)]),
        row("vgg-block", "two VGG blocks: 3x3, 3x3, 2x2/2, 3x3, 3x3, 2x2/2",
            layers=[(3, 1, 1), (3, 1, 1), (2, 2, 1), (3, 1, 1), (3, 1, 1), (2, 2, 1)]),
        row("one-layer", "one 5x5 convolution of stride 3", layers=[(5, 3, 1)]),
    ]


def _rf_hidden(rng):
    rows = []
    for i in range(5):
        n = int(rng.integers(2, 6))
        layers = [(int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 3))) for _ in range(n)]
        rows.append(row(f"random-{i + 1}", f"{n} layers", layers=layers))
    return rows


def _rf(layers, own_stride=False, strides=True, dilations=True):
    size, jump = 1, 1
    for k, s, d in layers:
        if own_stride:
            jump *= s
        size += (k - 1) * (d if dilations else 1) * (jump if strides else 1)
        if not own_stride:
            jump *= s
    return size, jump


def _rf_predict(**how):
    return lambda call: _rf([tuple(layer) for layer in call.args["layers"]], **how)


RF_STRIDES_IGNORED = Misconception(
    "receptive-field-strides-ignored",
    "Each layer adds (k - 1) * d pixels measured in the steps of its input: after layers of strides s_j, one "
    "step is prod(s_j) input pixels, so layer i adds (k_i - 1) * d_i * prod(s_j for j < i).",
    functions=("receptive_field",), predicts=(_rf_predict(strides=False),))
RF_OWN_STRIDE = Misconception(
    "receptive-field-own-stride-counted",
    "A layer's own stride does not widen what it sees; only the strides of the layers before it do: "
    "multiply (k_i - 1) * d_i by prod(s_j for j < i), then update the jump.",
    functions=("receptive_field",), predicts=(_rf_predict(own_stride=True),))

_RF_MISCONCEPTIONS = (RF_OWN_STRIDE, RF_STRIDES_IGNORED,
                      DILATION_IGNORED.seen(["receptive_field"], [_rf_predict(dilations=False)]))


# ============================================================================== pool_backward

POOL_BACKWARD = Workload("pool-backward", m=32, probe=2, make=lambda rng, m: {
    "d_out": rng.standard_normal((m, 14, 14, 16)), "images": rng.standard_normal((m, 28, 28, 16)),
    "kernel_shape": (2, 2), "stride": (2, 2)},
    bounds=((Tier.REFERENCE_CLASS, 1.8), (Tier.FAST, 5.0), (Tier.VECTORIZED, 57.0)))


def _d(rng, shape):
    """A gradient: distinct values rounded to 3 decimals, so that what went where shows."""
    return np.round(rng.standard_normal(shape), 3)


def _out_shape(x, ks, padding="valid", stride=(1, 1), dilation=(1, 1), channels=None):
    """The forward output's shape (what d_out must have), by the one output-size function."""
    size = reference("conv_output_size")
    m, h, w, c = np.shape(x)
    pads = (padding, padding) if isinstance(padding, str) else padding
    return (m, size(h, ks[0], pads[0], pair(stride)[0], pair(dilation)[0]),
            size(w, ks[1], pads[1], pair(stride)[1], pair(dilation)[1]), c if channels is None else channels)


def _pooled_shape(x, ks, st, mode="max", pad="valid"):
    return _out_shape(x, ks, pad, st)


def _pool_row(id_, note, rng, x, ks, st, mode="max", padding="valid"):
    return row(id_, note, d_out=_d(rng, _pooled_shape(x, ks, st, mode, padding)), images=x, kernel_shape=ks,
               stride=st, mode=mode, padding=padding)


def _ties(rng, shape):
    """uint8 images in which many windows hold their maximum twice."""
    return (rng.integers(0, 3, shape) * 100).astype(np.uint8)


def _pool_backward_public():
    rng = np.random.default_rng(22)
    from ..reference import examples

    worked = examples.classic_batch(examples.POOL_EXAMPLE, channels=True)
    return [
        _pool_row("worked-example", "the 4x4 pooling example, 2x2/2: each gradient to its window's max", rng, worked,
                  (2, 2), (2, 2)),
        _pool_row("overlapping-3x3-stride-1", "3x3 windows at stride 1 overlap: gradients add up", rng,
                  images(rng, (2, 5, 5, 2)), (3, 3), (1, 1)),
        _pool_row("ties-uint8", "uint8 images with ties: only the first maximum (row-major) gets it", rng,
                  _ties(rng, (2, 4, 6, 2)), (2, 2), (2, 2)),
        _pool_row("average-2x2", "average 2x2/2: a quarter to each cell", rng, images(rng, (2, 4, 4, 3)), (2, 2),
                  (2, 2), "avg"),
        _pool_row("same-average-3x3", "'same' average 3x3/2: padded cells are not counted", rng,
                  images(rng, (2, 5, 5, 2)), (3, 3), (2, 2), "avg", "same"),
        _pool_row("same-max-negative", "'same' max of negative images: a padded cell never wins", rng,
                  images(rng, (2, 5, 5, 2)) - 4, (2, 2), (2, 2), "max", "same"),
        _pool_row("non-square-window", "a 3x2 window, stride (2, 1)", rng, images(rng, (2, 7, 6, 2)), (3, 2), (2, 1)),
        _pool_row("overlapping-average", "average 3x3 windows at stride 2 overlap on every other row", rng,
                  images(rng, (1, 7, 7, 2)), (3, 3), (2, 2), "avg"),
        _pool_row("tall-stride-2-1", "2x2 windows at stride (2, 1) down a 6x2 image", rng, images(rng, (2, 6, 2, 2)),
                  (2, 2), (2, 1)),
    ]


def _pool_backward_hidden(rng):
    h, w = int(rng.integers(6, 10)), int(rng.integers(5, 9))
    return [
        _pool_row("non-square-stride", "non-square window and stride", rng, images(rng, (2, h, w, 3)), (2, 3), (2, 3)),
        _pool_row("overlap-max", "overlapping max windows", rng, images(rng, (2, h, w, 2)), (3, 3), (1, 2)),
        _pool_row("ties", "ties in uint8 images", rng, _ties(rng, (2, h, w, 2)), (3, 2), (2, 2)),
        _pool_row("float32-average", "float32, average", rng, images(rng, (2, h, w, 2), np.float32), (2, 2),
                  (2, 2), "avg"),
        _pool_row("same-average", "'same' average", rng, images(rng, (2, h, w, 2)), (3, 2), (2, 2), "avg", "same"),
        _pool_row("same-max", "'same' max, negative images", rng, images(rng, (1, h, w, 2)) - 5, (2, 2), (3, 3),
                  "max", "same"),
    ]


def _pool_form(call: Call):
    v = call.args
    return (np.asarray(v["d_out"], dtype=np.float64), np.asarray(v["images"], dtype=np.float64),
            pair(v["kernel_shape"]), pair(v["stride"]), v["mode"], v["padding"])


def _pool_backward(d, x, ks, st, mode, pad, *, ties=False, assign=None, count_padding=False, zero_pad=False,
                   upstream=True):
    """The backward pass of pooling by a loop over windows, with one wrong step switched in: ``ties`` (every
    tied maximum gets the gradient), ``assign`` ('window': each window's gradient overwrites its whole
    window; 'cell': it overwrites the cells it gives to), ``count_padding`` (an average over kh * kw),
    ``zero_pad`` (a max over zero padding), ``upstream=False`` (d_out never multiplied in)."""
    m, h, w, c = x.shape
    oh, ow = d.shape[1:3]
    if pad == "same":
        (t, b), (l, r) = [reference("same_padding")(n, k, s) for n, k, s in zip((h, w), ks, st)]
    else:
        t = b = l = r = 0
    fill = 0.0 if zero_pad or mode == "avg" else -np.inf
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)), constant_values=fill)
    inside = np.pad(np.ones((h, w)), ((t, b), (l, r)))
    dxp = np.zeros(xp.shape)
    for oy in range(oh):
        for ox in range(ow):
            ys, xs = slice(oy * st[0], oy * st[0] + ks[0]), slice(ox * st[1], ox * st[1] + ks[1])
            g = d[:, oy, ox, :] if upstream else np.ones((m, c))
            win = xp[:, ys, xs, :]
            if win.shape[1:3] != tuple(ks):   # the student's slice is cut short: NumPy refuses to broadcast
                return RAISES
            if mode == "max":
                if ties:
                    mask = (win == win.max(axis=(1, 2), keepdims=True)).astype(np.float64)
                else:
                    flat = win.reshape(m, -1, c)
                    mask = np.zeros_like(flat)
                    np.put_along_axis(mask, flat.argmax(axis=1)[:, None, :], 1.0, axis=1)
                    mask = mask.reshape(win.shape)
                part = mask * g[:, None, None, :]
            else:
                cells = inside[ys, xs]
                part = cells[None, :, :, None] * g[:, None, None, :] / (ks[0] * ks[1] if count_padding else cells.sum())
            if assign == "window":
                dxp[:, ys, xs] = part
            elif assign == "cell":
                dxp[:, ys, xs] = np.where(part != 0, part, dxp[:, ys, xs])
            else:
                dxp[:, ys, xs] += part
    return dxp[:, t:t + h, l:l + w]


def _pool_predict(test=lambda d, x, ks, st, mode, pad: True, alter=None, **how):
    def predict(call):
        form = _pool_form(call)
        if not test(*form):
            return None
        return _pool_backward(*(alter(*form) if alter else form), **how)
    return predict


def _has_max(d, x, ks, st, mode, pad):
    return mode == "max"


def _overlaps(d, x, ks, st, mode, pad):
    return st[0] < ks[0] or st[1] < ks[1]


EVERY_TIE = Misconception(
    "max-gradient-to-every-tie",
    "Where a window holds its maximum more than once, your mask (window == window.max()) gives the gradient to "
    "every tied cell, so the window passes back more than it received. Give it to the first maximum only "
    "(np.argmax over the flattened window finds it; PyTorch's rule).",
    functions=("pool_backward",), predicts=(_pool_predict(_has_max, ties=True),))
OVERLAP_OVERWRITTEN = Misconception(
    "overlap-overwritten",
    "Where windows overlap, your later window overwrites what an earlier one gave (d_images[...] = ...): "
    "every window adds its share, d_images[...] += ..., as each output used those inputs.",
    functions=("pool_backward",),
    predicts=(_pool_predict(_overlaps, assign="window"), _pool_predict(_overlaps, assign="cell")))
AVG_SPREAD_OVER_PADDING = Misconception(
    "avg-gradient-spread-over-padding",
    "Your 'same' average divides each window's gradient by kh * kw, counting the padded cells; the forward "
    "average counted only the cells inside the image, so divide by that number.",
    functions=("pool_backward",),
    predicts=(_pool_predict(lambda d, x, ks, st, mode, pad: mode == "avg" and pad == "same", count_padding=True),))
MAX_ZERO_PADDED = MAX_POOL_ZERO_PADDING.seen(
    ["pool_backward"], [_pool_predict(lambda d, x, ks, st, mode, pad: mode == "max" and pad == "same", zero_pad=True)])
UPSTREAM_IGNORED = Misconception(
    "upstream-gradient-ignored",
    "Your gradient is the mask (or the 1 / count share) alone: multiply it by the window's d_out, the "
    "gradient that arrives from above (the chain rule).",
    functions=("pool_backward",), predicts=(_pool_predict(upstream=False),))

_POOL_BACKWARD_MISCONCEPTIONS = (
    EVERY_TIE, OVERLAP_OVERWRITTEN, AVG_SPREAD_OVER_PADDING, MAX_ZERO_PADDED, UPSTREAM_IGNORED,
    MAX_AVG_SWAPPED.seen(["pool_backward"], [_pool_predict(alter=lambda d, x, ks, st, mode, pad:
                                                           (d, x, ks, st, "avg" if mode == "max" else "max", pad))]),
    STRIDE_IGNORED.seen(["pool_backward"], [_pool_predict(lambda d, x, ks, st, *_: st != (1, 1),
                                                          lambda d, x, ks, st, mode, pad: (d, x, ks, (1, 1), mode, pad))]),
    KH_KW_SWAPPED.seen(["pool_backward"], [_pool_predict(lambda d, x, ks, *_: ks[0] != ks[1],
                                                         lambda d, x, ks, st, mode, pad: (d, x, ks[::-1], st, mode, pad))]),
    STRIDE_AXES_SWAPPED.seen(["pool_backward"], [_pool_predict(lambda d, x, ks, st, *_: st[0] != st[1],
                                                               lambda d, x, ks, st, mode, pad: (d, x, ks, st[::-1], mode, pad))]),
    IDENTITY_COMPARISON.seen(["pool_backward"], static=identity_findings),
) + array_misconceptions("pool_backward")


# ========================================================================== convolve_backward

CONV_BACKWARD = Workload("conv-backward", m=16, probe=1, make=lambda rng, m: {
    "d_out": rng.standard_normal((m, 28, 28, 16)), "images": rng.standard_normal((m, 28, 28, 8)),
    "kernels": rng.standard_normal((3, 3, 8, 16))},
    bounds=((Tier.REFERENCE_CLASS, 1.7), (Tier.FAST, 10.0), (Tier.VECTORIZED, 190.0)))


def _conv_row(id_, note, rng, x, k, **geometry):
    shape = _out_shape(x, k.shape[:2], geometry.get("padding", "same"), geometry.get("stride", (1, 1)),
                       geometry.get("dilation", (1, 1)), channels=k.shape[3])
    return row(id_, note, d_out=_d(rng, shape), images=x, kernels=k, **geometry)


def _conv_backward_public():
    rng = np.random.default_rng(23)
    from ..reference import examples

    five = examples.classic_batch(examples.CLASSIC_IMAGE, channels=True)
    edge = examples.VERTICAL_EDGE.astype(np.float64).reshape(3, 3, 1, 1)
    return [
        row("worked-example", "the 5x5 example with the 3x3 vertical edge, 'valid', d_out all ones",
            d_out=np.ones((1, 3, 3, 1)), images=five, kernels=edge, padding="valid"),
        _conv_row("same-two-filters", "'same', a batch of 2, 2 channels to 3 filters", rng, images(rng, (2, 5, 6, 2)),
                  kernel(rng, (3, 3, 2, 3))),
        _conv_row("valid-stride-2", "'valid', stride 2: each output reads every other window", rng,
                  images(rng, (2, 7, 7, 2)), kernel(rng, (3, 3, 2, 2)), padding="valid", stride=(2, 2)),
        _conv_row("same-even-kernel", "'same' with a 2x2 kernel: the extra zero is after, so is the crop", rng,
                  images(rng, (1, 7, 6, 2)), kernel(rng, (2, 2, 2, 1))),
        _conv_row("explicit-padding-non-square", "padding (2, 1), a 3x2 kernel, stride (2, 1)", rng,
                  images(rng, (2, 6, 7, 1)), kernel(rng, (3, 2, 1, 2)), padding=(2, 1), stride=(2, 1)),
        _conv_row("dilation-2", "'same', dilation 2", rng, images(rng, (1, 7, 7, 2)), kernel(rng, (3, 3, 2, 2)),
                  dilation=(2, 2)),
        _conv_row("uint8-batch-of-3", "uint8 images, a batch of 3: d_bias sums over the batch too", rng,
                  images(rng, (3, 5, 5, 1), np.uint8), kernel(rng, (3, 3, 1, 2)), padding="valid"),
    ]


def _conv_backward_hidden(rng):
    h, w = int(rng.integers(5, 9)), int(rng.integers(5, 9))
    return [
        _conv_row("strided-same", "'same', stride (2, 1)", rng, images(rng, (2, h, w, 2)), kernel(rng, (3, 3, 2, 3)),
                  stride=(2, 1)),
        _conv_row("even-kernel-stride-2", "'same', an even kernel, stride 2", rng, images(rng, (2, h, w, 1)),
                  kernel(rng, (4, 2, 1, 2)), stride=(2, 2)),
        _conv_row("float32", "float32 images", rng, images(rng, (2, h, w, 3), np.float32), kernel(rng, (3, 2, 3, 2)),
                  padding="valid"),
        _conv_row("dilated-explicit", "explicit padding (2, 2), dilation (2, 1)", rng, images(rng, (1, h, w, 2)),
                  kernel(rng, (3, 3, 2, 1)), padding=(2, 2), dilation=(2, 1)),
        _conv_row("uint8-1x1", "uint8, a 1x1 kernel", rng, images(rng, (3, h, w, 2), np.uint8),
                  kernel(rng, (1, 1, 2, 3))),
    ]


def _conv_form(call: Call):
    v = call.args
    d, x, k = (np.asarray(v[n], dtype=np.float64) for n in ("d_out", "images", "kernels"))
    padding, stride, dilation = v["padding"], pair(v["stride"]), pair(v["dilation"])
    pads = []
    for axis in (0, 1):
        p = padding if isinstance(padding, str) else padding[axis]
        g = reference("axis_geometry")(x.shape[1 + axis], k.shape[axis], p, stride[axis], dilation[axis])
        pads.append((g.before, g.after))
    return d, x, k, pads, stride, dilation


def _conv_backward(d, x, k, pads, stride, dilation, *, image_stride=None, flip_for_images=False):
    """(padded d_images, d_kernels, d_bias) by a loop over the kernel's taps, with one wrong step switched in:
    ``image_stride`` (d_images scattered with another stride), ``flip_for_images`` (d_images scattered
    through the flipped kernel: d_out correlated with the kernel as it is)."""
    (t, b), (l, r) = pads
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    oh, ow = d.shape[1:3]
    kh, kw = k.shape[:2]
    (sh, sw), (dh, dw) = stride, dilation
    ish, isw = image_stride or stride
    kk = k[::-1, ::-1] if flip_for_images else k
    dxp, dk = np.zeros_like(xp), np.zeros_like(k)
    for i in range(kh):
        for j in range(kw):
            window = xp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
            dk[i, j] = np.einsum("mhwc,mhwn->cn", window, d)
            dxp[:, i * dh:i * dh + ish * (oh - 1) + 1:ish, j * dw:j * dw + isw * (ow - 1) + 1:isw] += \
                np.einsum("mhwn,cn->mhwc", d, kk[i, j])
    return dxp, dk, d.sum(axis=(0, 1, 2))


def _crop(dxp, pads, shape):
    (t, _), (l, _) = pads
    return dxp[:, t:t + shape[1], l:l + shape[2]]


def _conv_predict(test=lambda form: True, wrong=None, **how):
    """A predictor: the right gradients from :func:`_conv_backward` with ``how``, passed through
    ``wrong(form, (d_images, d_kernels, d_bias), d_images padded)``."""
    def predict(call):
        form = _conv_form(call)
        if not test(form):
            return None
        d, x, k, pads, stride, dilation = form
        dxp, dk, db = _conv_backward(*form, **how)
        right = (_crop(dxp, pads, x.shape), dk, db)
        return wrong(form, right, dxp) if wrong else right
    return predict


def _padded(form):
    return any(p for axis in form[3] for p in axis)


def _asymmetric(form):
    return any(a != b for a, b in form[3])


def _strided(form):
    return form[4] != (1, 1)


D_BIAS_BATCH = Misconception(
    "d-bias-not-summed-over-batch",
    "d_bias is the sum of d_out over every position of every image, d_out.sum(axis=(0, 1, 2)): each image "
    "of the batch used the same bias. Yours leaves out the batch (the first image only, or the mean).",
    functions=("convolve_backward",),
    predicts=(_conv_predict(lambda f: f[0].shape[0] > 1, lambda f, r, p: (r[0], r[1], f[0][0].sum(axis=(0, 1)))),
              _conv_predict(lambda f: f[0].shape[0] > 1, lambda f, r, p: (r[0], r[1], f[0].sum(axis=(1, 2)))),
              _conv_predict(lambda f: f[0].shape[0] > 1, lambda f, r, p: (r[0], r[1], r[2] / f[0].shape[0]))))
D_BIAS_FORGOTTEN = Misconception(
    "d-bias-forgotten",
    "d_bias is missing or zero: the layer adds a bias to every output, so dL/d(bias) = d_out.sum(axis=(0, 1, 2)).",
    functions=("convolve_backward",), predicts=(_conv_predict(wrong=lambda f, r, p: (r[0], r[1], np.zeros_like(r[2]))),
                                                _conv_predict(wrong=lambda f, r, p: (r[0], r[1]))))
D_KERNELS_FLIPPED = Misconception(
    "d-kernels-flipped",
    "Your d_kernels is flipped: the forward pass is a cross-correlation, so d_kernels[i, j] sums the window "
    "at offset (i, j) (times d_out) as it is; no flip.",
    functions=("convolve_backward",),
    predicts=(_conv_predict(wrong=lambda f, r, p: (r[0], r[1][::-1, ::-1], r[2])),))
D_IMAGES_NOT_FLIPPED = Misconception(
    "d-images-kernel-not-flipped",
    "Your d_images slides the kernel over d_out without flipping it. Each output sent its gradient back "
    "through the kernel tap that touched each input, so d_images is d_out correlated with the flipped kernel "
    "(or: scatter d_out[y, x] * kernels[i, j] back to (y * s + i, x * s + j)).",
    functions=("convolve_backward",), predicts=(_conv_predict(flip_for_images=True),))
STRIDE_IGNORED_IN_D_IMAGES = Misconception(
    "stride-ignored-in-d-images",
    "d_images ignores the stride: output (y, x) read the window at (y * sh, x * sw), so its gradient goes back "
    "there, not to (y, x).",
    functions=("convolve_backward",), predicts=(_conv_predict(_strided, image_stride=(1, 1)),))
NOT_CROPPED = Misconception(
    "padding-not-cropped",
    "Your d_images has the padded shape: the padded cells are not inputs, so crop the gradient of the padded "
    "images back to (m, h, w, c) (drop `before` rows and columns at the top and left).",
    functions=("convolve_backward",), predicts=(_conv_predict(_padded, lambda f, r, p: (p, r[1], r[2])),))
CROPPED_WRONG_SIDE = Misconception(
    "crop-wrong-side",
    "The crop is on the wrong side: with an odd total the extra zero of 'same' padding is after (below and "
    "right), so d_images = padded[:, before:before + h, left:left + w], not from the other end.",
    functions=("convolve_backward",),
    predicts=(_conv_predict(_asymmetric, lambda f, r, p: (
        p[:, f[3][0][1]:f[3][0][1] + f[1].shape[1], f[3][1][1]:f[3][1][1] + f[1].shape[2]], r[1], r[2])),))
EMPTY_CROP = Misconception(
    "crop-minus-zero",
    "padded[:, p:-p] is empty when p is 0 (-0 is 0): crop with padded[:, top:top + h, left:left + w].",
    functions=("convolve_backward",),
    predicts=(_conv_predict(lambda f: not _padded(f), lambda f, r, p: (p[:, 0:0, 0:0], r[1], r[2])),))
CHANNEL_AXES_SWAPPED = Misconception(
    "d-kernels-channel-axes-swapped",
    "d_kernels has the kernels' shape (kh, kw, c, nc): input channel third, filter last. Yours has the two "
    "swapped.", functions=("convolve_backward",),
    predicts=(_conv_predict(lambda f: f[2].shape[2] != f[2].shape[3],
                            lambda f, r, p: (r[0], np.ascontiguousarray(r[1].transpose(0, 1, 3, 2)), r[2])),))


def _integer(form):
    return np.asarray(form[1]).dtype.kind in "iu"


_CONV_BACKWARD_MISCONCEPTIONS = (
    D_BIAS_BATCH, D_BIAS_FORGOTTEN, D_KERNELS_FLIPPED, D_IMAGES_NOT_FLIPPED, STRIDE_IGNORED_IN_D_IMAGES,
    CROPPED_WRONG_SIDE, EMPTY_CROP, NOT_CROPPED, CHANNEL_AXES_SWAPPED,
    IDENTITY_COMPARISON.seen(["convolve_backward"], static=identity_findings),
) + every_function("convolve_backward", identity=False)


def _conv_backward_terms(values: dict) -> tuple[int, int, int]:
    """Products per value of each gradient: d_images sums over the kernel's taps and filters, d_kernels and
    d_bias over every output position of the batch."""
    kh, kw, _, nc = np.shape(values["kernels"])
    positions = int(math.prod(np.shape(values["d_out"])[:3]))
    return kh * kw * nc, positions, positions


EXERCISES = (
    Exercise(
        slug="numerical_gradient", title="Numerical gradient", notebook=7, points=points(2),
        functions=(FunctionSpec("numerical_gradient", (Param("f"), Param("x"), Param("eps", 1e-6)),
                                "numerical_gradient", "ndarray of x's shape, float64",
                                public=_numgrad_public, hidden=_numgrad_hidden),),
        misconceptions=_NUMGRAD_MISCONCEPTIONS, loop_budget=1),
    Exercise(
        slug="pool_backward", title="Pooling backward", notebook=7, points=points(3, tier=True),
        functions=(FunctionSpec("pool_backward", (Param("d_out"), Param("images"), Param("kernel_shape"),
                                                  Param("stride"), Param("mode", "max"), Param("padding", "valid")),
                                "pool_backward", "ndarray (m, h, w, c)",
                                terms=lambda v: int(math.prod(pair(v["kernel_shape"]))),
                                public=_pool_backward_public, hidden=_pool_backward_hidden),),
        misconceptions=_POOL_BACKWARD_MISCONCEPTIONS, loop_budget=2, workload=POOL_BACKWARD),
    Exercise(
        slug="convolve_backward", title="Convolution backward", notebook=7, points=points(5, tier=True),
        functions=(FunctionSpec("convolve_backward", (Param("d_out"), Param("images"), Param("kernels"))
                                + STRIDED_PARAMS[:2] + (Param("dilation", (1, 1)),),
                                "convolve_backward", "(d_images (m, h, w, c), d_kernels (kh, kw, c, nc), d_bias (nc,))",
                                terms=_conv_backward_terms, public=_conv_backward_public,
                                hidden=_conv_backward_hidden, parts=("d_images", "d_kernels", "d_bias")),),
        misconceptions=_CONV_BACKWARD_MISCONCEPTIONS, loop_budget=3, workload=CONV_BACKWARD),
    Exercise(
        slug="receptive_field", title="Receptive field", notebook=8, points=points(2),
        functions=(FunctionSpec("receptive_field", (Param("layers"),), "receptive_field", "(size, jump)",
                                public=_rf_public, hidden=_rf_hidden, parts=("size", "jump")),),
        misconceptions=_RF_MISCONCEPTIONS),
)
