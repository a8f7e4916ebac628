"""The backward pass (notebooks 7 and 8): numerical gradients, the gradients of a convolution layer and of
pooling, and receptive fields. Images are ``(m, h, w, c)``; ``d_out`` is the gradient of a loss with
respect to the forward call's output, of its shape.

The misconceptions are the mistakes that public solutions of these exact functions make (about 175 read:
CS231n's, DeepLearning.AI's C4W1 and Holberton's channels-last conv_backward and pool_backward, and free-form
numerical gradients), most frequent first; each exercise's list says how often each was seen. Their
predictors run a small NumPy model of the student's loop (:func:`_conv_backward`, :func:`_pool_backward`)
with the one wrong step switched in; ideas that show as an exception are told by what was raised.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np

from ..grading.results import Stage, Tier
from ..sandbox.runtime.functions import ScalarFunction
from .common import (DILATION_IGNORED, EVEN_KERNEL_SYMMETRIC, IDENTITY_COMPARISON, KH_KW_SWAPPED, PADDING_IGNORED,
                     RAISES, SAME_KEEPS_INPUT_SIZE, SAME_PLUS_ONE, STRIDE_AXES_SWAPPED, STRIDE_IGNORED,
                     WINDOW_PAST_PADDED_IMAGE, array_misconceptions, every_function, identity_findings, images, kernel,
                     pair, points, window_error, window_past)
from .grayscale import STRIDED_PARAMS
from .model import Call, Exercise, FunctionSpec, Misconception, Param, Workload, noise, reference, row
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


def _in_input_dtype(call, stored=False):
    """The central difference on a copy of x in its own dtype: integers cannot hold x + eps (truncated
    toward zero), and float32 rounds a small eps away; ``stored``: the gradient kept in x's integer dtype too
    (np.zeros_like(x))."""
    f, x, eps = _numgrad_form(call)
    if x.dtype == np.float64 or stored and x.dtype.kind not in "iu":
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
    return g.reshape(x.shape).astype(x.dtype) if stored else g.reshape(x.shape)


def _flat_index_raised(call, got, stage):
    """``explains`` of :data:`FLAT_INDEX`: ``x[i]`` for ``i in range(x.size)`` on an array of two or more
    dimensions takes a whole row (so the step moves a row at a time), and ``x[x.shape[0]]`` is past the
    first axis: IndexError."""
    x = np.asarray(call.args["x"])
    return (stage == Stage.RUNS and x.ndim > 1 and getattr(got, "type", "") == "IndexError"
            and "axis 0" in (getattr(got, "message", "") or ""))


def _flattened(call):
    want = call.want
    return want.reshape(-1) if want.ndim > 1 else None


def _one_row(call):
    want = call.want
    return want.reshape(1, -1) if want.ndim == 1 else None


FLAT_INDEX = Misconception(
    "flat-index-on-array",
    "x[i] for i in range(x.size) is one element only when x is 1-D: on a 2-D or larger x it is a whole row "
    "(and the rows run out: IndexError). Loop over every element with for i in np.ndindex(x.shape), or work "
    "on a flat copy xf = x.reshape(-1) and reshape the gradient back to x.shape.",
    functions=("numerical_gradient",), explains=_flat_index_raised)
FLATTENED = Misconception(
    "gradient-flattened",
    "Your gradient does not have x's shape (a flat (x.size,) array, or one row): return one value per element "
    "of x, in x's shape, e.g. grad = np.zeros(x.shape) filled at each index, or grad.reshape(x.shape).",
    functions=("numerical_gradient",), predicts=(_flattened, _one_row))
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
    "gradient is 0), and float32 rounds a small eps away. Work on np.array(x, dtype=np.float64), and allocate "
    "the gradient as floats (np.zeros(x.shape), not np.zeros_like(x)).",
    functions=("numerical_gradient",), predicts=(_in_input_dtype, lambda call: _in_input_dtype(call, stored=True)))
#: Most often seen first: the 1-D loop of "Deep Learning from Scratch" (about 10 of 15 free-form solutions),
#: CS231n's template kept on integer x, a flat gradient (2 of 15), every element at once (2 sources); the
#: last three were not seen in student code, but the notebook warns of them.
_NUMGRAD_MISCONCEPTIONS = (FLAT_INDEX, INPUT_DTYPE, FLATTENED, EVERY_ELEMENT, NOT_RESTORED, NOT_HALVED,
                           FORWARD_DIFFERENCE) + every_function("numerical_gradient", identity=False)


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

#: Few, large images: on 28x28 ones a loop over the 14x14 output positions ran as fast as sliding_window +
#: einsum and no bound told them apart; here every canonical class lands in its tier 20 of 20 (docs/tiers.md).
POOL_BACKWARD = Workload("pool-backward", m=3, probe=1, make=lambda rng, m: {
    "d_out": noise(rng, (m, 32, 32, 16)), "images": noise(rng, (m, 64, 64, 16)),
    "kernel_shape": (2, 2), "stride": (2, 2)},
    bounds=((Tier.REFERENCE_CLASS, 2.2), (Tier.FAST, 24.0), (Tier.VECTORIZED, 93.0)))   # docs/tiers.md, runs 7 and 8


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


def _pool_backward(d, x, ks, st, mode, pad, *, ties="first", assign=None, count_padding=False, zero_pad=False,
                   upstream=True, mask_is_max=False, partial=False):
    """The backward pass of pooling by a loop over windows, with one wrong step switched in: ``ties``
    ('every': each tied maximum gets the whole gradient; 'split': they share it), ``assign`` ('window': each
    window's gradient overwrites its whole window; 'cell': it overwrites the cells it gives to),
    ``count_padding`` (an average over kh * kw), ``zero_pad`` (a max over zero padding), ``upstream=False``
    (d_out never multiplied in), ``mask_is_max`` (the window's maximum, not a mask, times d_out to every
    cell). A window cut short by the edge of the padded images makes the student's loop raise
    (:data:`RAISES`), or, with ``partial``, pool the part of it inside (a mask of the slice's own shape
    added to a slice of the same shape)."""
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
            if win.shape[1:3] != tuple(ks):   # the student's slice is cut short by the edge of the padded images
                if not partial:
                    return RAISES             # a mask reshaped to (m, kh * kw, c), or a kernel-sized target
                if win.size == 0:
                    return None               # np.max of an empty window raises another error
            if mode == "max":
                if mask_is_max:
                    mask = np.broadcast_to(win.max(axis=(1, 2), keepdims=True), win.shape)
                elif ties != "first":
                    mask = (win == win.max(axis=(1, 2), keepdims=True)).astype(np.float64)
                    if ties == "split":
                        mask = mask / mask.sum(axis=(1, 2), keepdims=True)
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


def _max_overlaps(d, x, ks, st, mode, pad):
    return mode == "max" and _overlaps(d, x, ks, st, mode, pad)


def _non_square_window(d, x, ks, st, mode, pad):
    return ks[0] != ks[1]


def _non_square_stride(d, x, ks, st, mode, pad):
    return st[0] != st[1]


def _kernel_swapped(d, x, ks, st, mode, pad):
    return d, x, ks[::-1], st, mode, pad


def _stride_swapped(d, x, ks, st, mode, pad):
    return d, x, ks, st[::-1], mode, pad


def _integer_images(call) -> bool:
    return np.asarray(call.args["images"]).dtype.kind in "iu"


def _in_images_dtype(call, got, stage) -> bool:
    """``explains`` of :data:`GRADIENT_IN_IMAGES_DTYPE`: with integer images, ``+=`` of floats into the gradient
    array raised NumPy's casting error, or the gradient (d_images) came back in the images' own dtype."""
    if not _integer_images(call):
        return False
    if stage == Stage.RUNS:
        return (getattr(got, "type", "") in ("UFuncTypeError", "TypeError")
                and "Cannot cast ufunc" in (getattr(got, "message", "") or ""))
    part = got[0] if isinstance(got, (tuple, list)) and got else got
    return (stage == Stage.DTYPE and isinstance(part, np.ndarray)
            and part.dtype == np.asarray(call.args["images"]).dtype)


GRADIENT_IN_IMAGES_DTYPE = Misconception(
    "gradient-in-images-dtype",
    "Your gradient array has the images' dtype (np.zeros_like(images), or of the np.pad of them): with uint8 "
    "images it cannot hold fractions or negative values, so += of a float gradient raises NumPy's casting "
    "error (and = truncates it). Allocate the gradient as floats: np.zeros(images.shape).")
EVERY_TIE = Misconception(
    "max-gradient-to-every-tie",
    "Where a window holds its maximum more than once, your mask (window == window.max()) gives the gradient to "
    "every tied cell, so the window passes back more than it received. Give it to the first maximum only "
    "(np.argmax over the flattened window finds it; PyTorch's rule).",
    functions=("pool_backward",), predicts=(_pool_predict(_has_max, ties="every"),))
SPLIT_AMONG_TIES = Misconception(
    "max-gradient-split-among-ties",
    "Where a window holds its maximum more than once, you split its gradient among the tied cells (mask / "
    "mask.sum()). The max took one cell's value, so the whole gradient goes to one cell: the first maximum in "
    "row-major order (np.argmax over the flattened window).",
    functions=("pool_backward",), predicts=(_pool_predict(_has_max, ties="split"),))
OVERLAP_OVERWRITTEN = Misconception(
    "overlap-overwritten",
    "Where windows overlap, your later window overwrites what an earlier one gave (d_images[...] = ...): "
    "every window adds its share, d_images[...] += ..., as each output used those inputs.",
    functions=("pool_backward",),   # in the max branch (all 16 solutions seen), or in both
    predicts=(_pool_predict(_max_overlaps, assign="window"), _pool_predict(_max_overlaps, assign="cell"),
              _pool_predict(_overlaps, assign="window")))
WINDOW_STRIDE_CONFUSED = Misconception(
    "window-size-stride-confused",
    "Your windows mix up the kernel size and the stride: window (i, j) starts at (i * sh, j * sw) and is "
    "kh x kw, images[:, i * sh:i * sh + kh, j * sw:j * sw + kw], whether or not the windows overlap.",
    functions=("pool_backward",),
    predicts=(_pool_predict(lambda d, x, ks, st, *_: ks != st, lambda d, x, ks, st, mode, pad: (d, x, st, st, mode, pad)),
              _pool_predict(lambda d, x, ks, st, *_: ks != st, lambda d, x, ks, st, mode, pad: (d, x, ks, ks, mode, pad)),
              _pool_predict(lambda d, x, ks, st, *_: ks != st, lambda d, x, ks, st, mode, pad: (d, x, ks, ks, mode, pad),
                            partial=True)))
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
MASK_IS_MAX = Misconception(
    "mask-is-window-max",
    "Your mask is the window's maximum value (np.max(window)), so every cell of the window gets max * d_out. "
    "The mask marks where the maximum is: window == window.max() (then keep the first), 1 there, 0 elsewhere.",
    functions=("pool_backward",), predicts=(_pool_predict(_has_max, mask_is_max=True),))

#: Most often seen first (of 70 max and 36 average solutions): every tie (48), overwritten overlaps (16), the
#: gradient in uint8 (7 of 26 Holberton), then stride ignored (2), ties split (2), window and stride mixed up
#: (2), the maximum as the mask (1); the rest the notebook warns of.
_POOL_BACKWARD_MISCONCEPTIONS = (
    EVERY_TIE, OVERLAP_OVERWRITTEN, GRADIENT_IN_IMAGES_DTYPE.seen(["pool_backward"], explains=_in_images_dtype),
    STRIDE_IGNORED.seen(["pool_backward"], [_pool_predict(lambda d, x, ks, st, *_: st != (1, 1),
                                                          lambda d, x, ks, st, mode, pad: (d, x, ks, (1, 1), mode, pad))]),
    SPLIT_AMONG_TIES, WINDOW_STRIDE_CONFUSED, MASK_IS_MAX, AVG_SPREAD_OVER_PADDING, MAX_ZERO_PADDED, UPSTREAM_IGNORED,
    MAX_AVG_SWAPPED.seen(["pool_backward"], [_pool_predict(alter=lambda d, x, ks, st, mode, pad:
                                                           (d, x, ks, st, "avg" if mode == "max" else "max", pad))]),
    KH_KW_SWAPPED.seen(["pool_backward"], [_pool_predict(_non_square_window, _kernel_swapped, partial=partial)
                                           for partial in (False, True)]),
    STRIDE_AXES_SWAPPED.seen(["pool_backward"], [_pool_predict(_non_square_stride, _stride_swapped, partial=partial)
                                                 for partial in (False, True)]),
    IDENTITY_COMPARISON.seen(["pool_backward"], static=identity_findings),
) + array_misconceptions("pool_backward") + (WINDOW_PAST_PADDED_IMAGE.seen(["pool_backward"], explains=window_past),)


# ========================================================================== convolve_backward

CONV_BACKWARD = Workload("conv-backward", m=16, probe=1, make=lambda rng, m: {
    "d_out": noise(rng, (m, 28, 28, 16)), "images": noise(rng, (m, 28, 28, 8)),
    "kernels": noise(rng, (3, 3, 8, 16))},
    bounds=((Tier.REFERENCE_CLASS, 2.0), (Tier.FAST, 22.0), (Tier.VECTORIZED, 140.0)))   # docs/tiers.md, runs 7 and 8


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
        # added after the first seven
        _conv_row("same-stride-2", "'same' at stride 2 on 8x7 images: no zero above, one below (the total is "
                  "odd); one zero each side of the columns", rng, images(rng, (1, 8, 7, 2)), kernel(rng, (3, 3, 2, 2)),
                  stride=(2, 2)),
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


class _ConvForm(NamedTuple):
    """A convolve_backward case as the model reads it: the arrays in float64, the padding as (before, after)
    zeros per axis (``pads``), and the ``padding`` argument as given."""

    d: np.ndarray
    x: np.ndarray
    k: np.ndarray
    pads: tuple
    stride: tuple
    dilation: tuple
    padding: object


def _conv_form(call: Call) -> _ConvForm:
    v = call.args
    d, x, k = (np.asarray(v[n], dtype=np.float64) for n in ("d_out", "images", "kernels"))
    padding, stride, dilation = v["padding"], pair(v["stride"]), pair(v["dilation"])
    pads = []
    for axis in (0, 1):
        p = padding if isinstance(padding, str) else padding[axis]
        g = reference("axis_geometry")(x.shape[1 + axis], k.shape[axis], p, stride[axis], dilation[axis])
        pads.append((g.before, g.after))
    return _ConvForm(d, x, k, tuple(pads), stride, dilation, padding)


def _conv_backward(d, x, k, pads, stride, dilation, *, image_stride=None, flip_for_images=False):
    """(padded d_images, d_kernels, d_bias) as the student's loop over d_out's positions computes them, with
    the images padded by ``pads``: output (y, x) read the window from (y * sh, x * sw) of the padded images
    (tap (i, j) at (i * dh, j * dw) from there), so d_out[y, x] goes back there. One wrong step may be
    switched in: ``image_stride`` (d_images scattered with another stride), ``flip_for_images`` (d_images
    scattered through the flipped kernel: d_out correlated with the kernel as it is). :data:`RAISES` where
    the last window runs past the padded images (the slice is cut short and NumPy refuses to broadcast)."""
    (t, b), (l, r) = pads
    xp = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    oh, ow = d.shape[1:3]
    kh, kw = k.shape[:2]
    (sh, sw), (dh, dw) = stride, dilation
    if (oh - 1) * sh + (kh - 1) * dh + 1 > xp.shape[1] or (ow - 1) * sw + (kw - 1) * dw + 1 > xp.shape[2]:
        return RAISES
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


def _conv_predict(test=lambda form: True, wrong=None, alter=None, **how):
    """A predictor: the gradients from :func:`_conv_backward` with ``how``, of the case as the student sees
    it (``alter(form)``: their own padding, stride or dilation), cropped by their padding's ``before``, passed
    through ``wrong(form, (d_images, d_kernels, d_bias), d_images padded)``."""
    def predict(call):
        form = _conv_form(call)
        if not test(form):
            return None
        form = alter(form) if alter else form
        out = _conv_backward(*form[:6], **how)
        if out is RAISES:
            return RAISES
        dxp, dk, db = out
        right = (_crop(dxp, form.pads, form.x.shape), dk, db)
        return wrong(form, right, dxp) if wrong else right
    return predict


def _padded(form):
    return any(p for axis in form.pads for p in axis)


def _asymmetric(form):
    return any(a != b for a, b in form.pads)


def _strided(form):
    return form.stride != (1, 1)


def _same(form):
    return isinstance(form.padding, str) and form.padding == "same"


def _explicit_padding(form):
    return not isinstance(form.padding, str) and _padded(form)


def _axes(form):
    """(n, k_eff, s, Keras' total of zeros) per spatial axis."""
    out = []
    for a in (0, 1):
        n, k_eff, s = form.x.shape[1 + a], (form.k.shape[a] - 1) * form.dilation[a] + 1, form.stride[a]
        out.append((n, k_eff, s, max((-(-n // s) - 1) * s + k_eff - n, 0)))
    return out


def _student_same(rule, when=_same):
    """``alter``: 'same' padded by the student's ``rule(n, k_eff, s, total) -> (before, after)`` per axis."""
    def alter(form):
        return form._replace(pads=tuple(rule(*axis) for axis in _axes(form)))
    return _conv_predict(when, alter=alter)


def _odd_total(form):
    return _same(form) and any(total % 2 for *_, total in _axes(form))


def _same_strided(form):
    return _same(form) and _strided(form)


#: The 'same' padding of the Holberton solutions (26 of 26 pad symmetrically), per axis.
_PLUS_ONE = _student_same(lambda n, k, s, total: (((n - 1) * s + k - n) // 2 + 1,) * 2)
_SPLIT_FLOOR = _student_same(lambda n, k, s, total: (total // 2,) * 2, _odd_total)
_SPLIT_CEIL = _student_same(lambda n, k, s, total: (-(-total // 2),) * 2, _odd_total)
_INPUT_SIZE_CEIL = _student_same(lambda n, k, s, total: (-(-((n - 1) * s + k - n) // 2),) * 2, _same_strided)
_INPUT_SIZE_FLOOR = _student_same(lambda n, k, s, total: (((n - 1) * s + k - n) // 2,) * 2, _same_strided)


def _undilated(keras_pads):
    """``alter``: taps side by side (dilation 1); the 'same' zeros worked out for the undilated kernel, or
    those of the dilated one (``keras_pads``)."""
    def alter(form):
        if _same(form) and not keras_pads:
            pads = tuple(reference("same_padding")(n, k, s) for n, k, s in
                         zip(form.x.shape[1:3], form.k.shape[:2], form.stride))
            form = form._replace(pads=pads)
        return form._replace(dilation=(1, 1))
    return _conv_predict(lambda f: f.dilation != (1, 1), alter=alter)


def _slice_length(n, start, stop):
    return len(range(n)[start:stop])


def _minus_crop(form, padded, ends):
    """``padded[:, t:-t, l:-l]`` (``ends`` 'before') or ``padded[:, t:-b, l:-r]`` ('after'), with Python's
    meaning of -0: an empty axis."""
    (t, b), (l, r) = form.pads
    b, r = (t, l) if ends == "before" else (b, r)
    return padded[:, t:-b, l:-r]


def _close(got, pred, terms) -> bool:
    from ..grading.compare import close_enough

    return (isinstance(got, np.ndarray) and isinstance(pred, np.ndarray) and got.shape == pred.shape
            and got.dtype.kind in "biuf"
            and bool(close_enough(got, pred, terms, 1.0 + float(np.max(np.abs(pred), initial=0))).all()))


def _keepdims_tolerant(predicts, also=None):
    """``explains`` for an idea of convolve_backward told by ``predicts``: also when d_bias came back with
    keepdims' shape (1, 1, 1, nc) (nearly every channels-last solution: the two mistakes come together), a
    prediction matching once d_bias is read as (nc,); where a prediction is that the loop raises, the error
    of a window cut short (:func:`~.common.window_error`); and ``also(call, got, stage)``."""
    def explains(call, got, stage) -> bool:
        if also is not None and also(call, got, stage):
            return True
        if stage == Stage.RUNS and window_error(got):
            from ..grading.diagnose import prediction

            return any(prediction(predict, call) is RAISES for predict in predicts)
        want = call.want
        if (stage not in (Stage.NDARRAY, Stage.SHAPE, Stage.DTYPE, Stage.VALUES) or not isinstance(want, tuple)
                or not isinstance(got, (tuple, list)) or len(got) != 3 or not isinstance(got[2], np.ndarray)
                or got[2].shape != (1, 1, 1) + np.shape(want[2])):
            return False
        from ..grading.compare import part_terms
        from ..grading.diagnose import prediction

        fixed = (got[0], got[1], got[2].reshape(-1))
        for predict in predicts:
            value = prediction(predict, call)
            if isinstance(value, tuple) and len(value) == 3 and all(
                    _close(g, v, part_terms(call.case, i)) for i, (g, v) in enumerate(zip(fixed, value))):
                return True
        return False
    return explains


def _conv_idea(idea: Misconception, predicts=(), explains=None) -> Misconception:
    """``idea`` as convolve_backward shows it, told by ``predicts`` (with or without a keepdims d_bias) or
    ``explains``."""
    return idea.seen(["convolve_backward"], predicts, explains=_keepdims_tolerant(predicts, explains))


_BROADCAST_INTO = re.compile(r"from shape \(([0-9, ]*)\) into shape \(([0-9, ]*)\)")


def _crop_raised(call, got, stage) -> bool:
    """``explains`` of :data:`EMPTY_CROP` in the per-image form ``d_images[i] = padded[i, t:-t, l:-l]``: NumPy
    refused to broadcast the crop (empty where a pad is 0, one too long where 'same' put the extra zero after)
    into the image's shape."""
    if stage != Stage.RUNS or getattr(got, "type", "") != "ValueError":
        return False
    found = _BROADCAST_INTO.search(getattr(got, "message", "") or "")
    if not found:
        return False
    src, dst = (tuple(int(v) for v in text.replace(" ", "").split(",") if v) for text in found.groups())
    form = _conv_form(call)
    _, h, w, _ = form.x.shape
    (t, b), (l, r) = form.pads
    crops = {(_slice_length(h + t + b, t, -e), _slice_length(w + l + r, l, -f)) for e, f in ((t, l), (b, r))}
    return len(src) >= 3 and len(dst) >= 3 and dst[-3:-1] == (h, w) and src[-3:-1] in crops - {(h, w)}


EMPTY_CROP = Misconception(
    "crop-minus-zero",
    "Your crop padded[:, p:-p] goes wrong where a pad is 0 (-0 is 0, so p:-0 is empty: 'valid', a 1x1 kernel, "
    "the top of an even 'same' kernel) and where 'same' put one more zero after than before. Crop by position: "
    "padded[:, top:top + h, left:left + w].")
D_BIAS_KEEPDIMS = Misconception(
    "d-bias-keepdims",
    "Your d_bias has shape (1, 1, 1, nc) (keepdims=True, or np.zeros((1, 1, 1, nc))): the bias is a vector of "
    "nc values, so its gradient is too: d_out.sum(axis=(0, 1, 2)), shape (nc,).")
HARDCODED_CROP = Misconception(
    "crop-hardcoded-one",
    "Your crop is padded[:, 1:-1, 1:-1] whatever the padding: it is right only for one zero on every side. "
    "Crop the zeros this call added: padded[:, top:top + h, left:left + w].")
D_BIAS_BATCH = Misconception(
    "d-bias-not-summed-over-batch",
    "d_bias is the sum of d_out over every position of every image, d_out.sum(axis=(0, 1, 2)): each image "
    "of the batch used the same bias. Yours leaves out the batch (the first image only, or the mean).")
D_BIAS_FORGOTTEN = Misconception(
    "d-bias-forgotten",
    "d_bias is missing or zero: the layer adds a bias to every output, so dL/d(bias) = d_out.sum(axis=(0, 1, 2)).")
D_KERNELS_FLIPPED = Misconception(
    "d-kernels-flipped",
    "Your d_kernels is flipped: the forward pass is a cross-correlation, so d_kernels[i, j] sums the window "
    "at offset (i, j) (times d_out) as it is; no flip.")
D_IMAGES_NOT_FLIPPED = Misconception(
    "d-images-kernel-not-flipped",
    "Your d_images slides the kernel over d_out without flipping it. Each output sent its gradient back "
    "through the kernel tap that touched each input, so d_images is d_out correlated with the flipped kernel "
    "(or: scatter d_out[y, x] * kernels[i, j] back to (y * s + i, x * s + j)).")
STRIDE_IGNORED_IN_D_IMAGES = Misconception(
    "stride-ignored-in-d-images",
    "d_images ignores the stride: output (y, x) read the window at (y * sh, x * sw), so its gradient goes back "
    "there, not to (y, x).")
NOT_CROPPED = Misconception(
    "padding-not-cropped",
    "Your d_images has the padded shape: the padded cells are not inputs, so crop the gradient of the padded "
    "images back to (m, h, w, c) (drop `before` rows and columns at the top and left), for explicit padding "
    "as for 'same'.")
CROPPED_WRONG_SIDE = Misconception(
    "crop-wrong-side",
    "The crop is on the wrong side: with an odd total the extra zero of 'same' padding is after (below and "
    "right), so d_images = padded[:, before:before + h, left:left + w], not from the other end.")
CHANNEL_AXES_SWAPPED = Misconception(
    "d-kernels-channel-axes-swapped",
    "d_kernels has the kernels' shape (kh, kw, c, nc): input channel third, filter last. Yours has the two "
    "swapped.")


def _d_bias(value):
    return lambda f, r, p: (r[0], r[1], value(f, r))


#: Most often seen first (69 solutions): the p:-p crop (46), d_bias of shape (1, 1, 1, nc) (34 of 35
#: channels-last), symmetric 'same' padding (26 of 26 Holberton: 13 with + 1, 11 ceil, 2 floor), the gradient
#: in uint8 (6 of 26), explicit padding not cropped (2 of 3), the 1:-1 crop (2), stride ignored (1); the rest
#: were seen outside these courses (the flips), or the notebook warns of them.
_CONV_BACKWARD_MISCONCEPTIONS = (
    _conv_idea(EMPTY_CROP, [_conv_predict(wrong=lambda f, r, p: (_minus_crop(f, p, "before"), r[1], r[2])),
                            _conv_predict(wrong=lambda f, r, p: (_minus_crop(f, p, "after"), r[1], r[2]))],
               _crop_raised),
    D_BIAS_KEEPDIMS.seen(["convolve_backward"], [_conv_predict(wrong=_d_bias(lambda f, r: r[2].reshape(1, 1, 1, -1)))]),
    _conv_idea(SAME_PLUS_ONE, [_PLUS_ONE]),
    _conv_idea(EVEN_KERNEL_SYMMETRIC, [_SPLIT_FLOOR, _SPLIT_CEIL]),
    _conv_idea(SAME_KEEPS_INPUT_SIZE, [_INPUT_SIZE_CEIL, _INPUT_SIZE_FLOOR]),
    _conv_idea(GRADIENT_IN_IMAGES_DTYPE, explains=_in_images_dtype),
    _conv_idea(NOT_CROPPED, [_conv_predict(_padded, lambda f, r, p: (p, r[1], r[2])),
                             _conv_predict(_explicit_padding, lambda f, r, p: (p, r[1], r[2]))]),
    _conv_idea(HARDCODED_CROP, [_conv_predict(wrong=lambda f, r, p: (p[:, 1:-1, 1:-1], r[1], r[2]))]),
    _conv_idea(STRIDE_IGNORED, [_conv_predict(_strided, alter=lambda f: f._replace(stride=(1, 1)))]),
    _conv_idea(STRIDE_IGNORED_IN_D_IMAGES, [_conv_predict(_strided, image_stride=(1, 1))]),
    _conv_idea(DILATION_IGNORED, [_undilated(False), _undilated(True)]),
    _conv_idea(PADDING_IGNORED, [_conv_predict(_padded, alter=lambda f: f._replace(pads=((0, 0), (0, 0))))]),
    _conv_idea(D_BIAS_BATCH, [
        _conv_predict(lambda f: f.d.shape[0] > 1, _d_bias(lambda f, r: f.d[0].sum(axis=(0, 1)))),
        _conv_predict(lambda f: f.d.shape[0] > 1, lambda f, r, p: (r[0], r[1], f.d.sum(axis=(1, 2)))),
        _conv_predict(lambda f: f.d.shape[0] > 1, _d_bias(lambda f, r: r[2] / f.d.shape[0]))]),
    D_BIAS_FORGOTTEN.seen(["convolve_backward"], [_conv_predict(wrong=_d_bias(lambda f, r: np.zeros_like(r[2]))),
                                                  _conv_predict(wrong=lambda f, r, p: (r[0], r[1]))]),
    _conv_idea(D_KERNELS_FLIPPED, [_conv_predict(wrong=lambda f, r, p: (r[0], r[1][::-1, ::-1], r[2]))]),
    _conv_idea(D_IMAGES_NOT_FLIPPED, [_conv_predict(flip_for_images=True)]),
    _conv_idea(CROPPED_WRONG_SIDE, [_conv_predict(_asymmetric, lambda f, r, p: (
        p[:, f.pads[0][1]:f.pads[0][1] + f.x.shape[1], f.pads[1][1]:f.pads[1][1] + f.x.shape[2]], r[1], r[2]))]),
    _conv_idea(CHANNEL_AXES_SWAPPED, [_conv_predict(lambda f: f.k.shape[2] != f.k.shape[3], lambda f, r, p: (
        r[0], np.ascontiguousarray(r[1].transpose(0, 1, 3, 2)), r[2]))]),
    IDENTITY_COMPARISON.seen(["convolve_backward"], static=identity_findings),
) + every_function("convolve_backward", identity=False) + (
    WINDOW_PAST_PADDED_IMAGE.seen(["convolve_backward"], explains=window_past),)


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
