"""Pooling (notebook 4): max and average pooling with 'valid' or 'same' windows, and global average
pooling. Images are ``(m, h, w, c)``; each channel is pooled on its own.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading.results import Tier
from ..reference import examples
from .common import (IDENTITY_COMPARISON, KH_KW_SWAPPED, STRIDE_AXES_SWAPPED, STRIDE_IGNORED,
                     WINDOW_PAST_PADDED_IMAGE, array_misconceptions, every_function, identity_findings, images, pair,
                     points, window_past)
from .model import Call, Exercise, FunctionSpec, Misconception, Param, Workload, noise, reference, row

__all__ = ["EXERCISES", "POOL", "AVG_COUNTS_PADDING", "MAX_POOL_ZERO_PADDING", "MAX_AVG_SWAPPED"]

POOL = Workload("pool", m=32, probe=2, make=lambda rng, m: {
    "images": noise(rng, (m, 28, 28, 16)), "kernel_shape": (2, 2), "stride": (2, 2)},
    bounds=((Tier.REFERENCE_CLASS, 1.8), (Tier.FAST, 6.2), (Tier.VECTORIZED, 57.0)))   # docs/tiers.md, runs 7 and 8


# --------------------------------------------------------------------------------------------- cases

def _pool_public():
    rng = np.random.default_rng(3)
    a = examples.classic_batch(examples.POOL_EXAMPLE, channels=True)
    b = examples.classic_batch(examples.POOL_SPOT_THE_MISTAKE, channels=True)
    return [
        row("worked-example", "the 4x4 worked example", images=a, kernel_shape=(2, 2), stride=(2, 2)),
        row("spot-the-mistake", "the 'spot the mistake' example", images=b, kernel_shape=(2, 2), stride=(2, 2)),
        row("average-3x3", "average 3x3/2", images=images(rng, (2, 6, 6, 3)), kernel_shape=(3, 3), stride=(2, 2),
            mode="avg"),
        row("same-max", "'same' max pooling: padded cells never win", images=images(rng, (2, 7, 5, 2)),
            kernel_shape=(2, 2), stride=(2, 2), mode="max", padding="same"),
        row("same-average", "'same' average pooling: padded cells are not counted", images=images(rng, (2, 5, 5, 2)),
            kernel_shape=(3, 3), stride=(2, 2), mode="avg", padding="same"),
        # added after the first five
        row("non-square-window", "a 3x2 window, stride (2, 1): the first of each pair goes down the rows",
            images=images(rng, (2, 7, 6, 2)), kernel_shape=(3, 2), stride=(2, 1)),
        row("uint8-average-2x2", "uint8 images, average: the mean is not an integer",
            images=images(rng, (2, 5, 6, 2), np.uint8), kernel_shape=(2, 2), stride=(2, 2), mode="avg"),
    ]


def _pool_hidden(rng):
    h, w = int(rng.integers(6, 10)), int(rng.integers(5, 9))
    return [
        row("non-square", "non-square window and stride", images=images(rng, (2, h, w, 3)), kernel_shape=(2, 3),
            stride=(2, 3)),
        row("stride-larger-than-window", "stride larger than the window", images=images(rng, (1, h, w, 2)),
            kernel_shape=(2, 2), stride=(3, 3), mode="avg"),
        row("uint8-average", "uint8 images, average", images=images(rng, (2, h, w, 2), np.uint8), kernel_shape=(3, 3),
            stride=(1, 1), mode="avg"),
        row("float32", "float32 images", images=images(rng, (2, h, w, 3), np.float32), kernel_shape=(2, 2),
            stride=(2, 2)),
        row("same-average-non-square", "'same' average pooling", images=images(rng, (2, h, w, 2)), kernel_shape=(3, 2),
            stride=(2, 2), mode="avg", padding="same"),
        row("same-max-negative", "'same' max pooling of negative images", images=images(rng, (2, h, w, 2)) - 5,
            kernel_shape=(2, 2), stride=(2, 2), mode="max", padding="same"),
        row("window-as-large-as-image", "window as large as the image", images=images(rng, (2, 4, 5, 1)),
            kernel_shape=(4, 5), stride=(1, 1)),
    ]


def _gap_public():
    rng = np.random.default_rng(4)
    return [row("five-channels", "two 3x4 images with 5 channels", images=images(rng, (2, 3, 4, 5))),
            row("worked-example", "the 4x4 pooling example",
                images=examples.classic_batch(examples.POOL_EXAMPLE, channels=True))]


def _gap_hidden(rng):
    return [row("batch-of-one", "a batch of one", images=images(rng, (1, 5, 3, 2))),
            row("uint8", "uint8 images", images=images(rng, (3, 4, 4, 2), np.uint8)),
            row("float32", "float32 images", images=images(rng, (2, 7, 2, 4), np.float32)),
            row("1x1-images", "1x1 images", images=images(rng, (2, 1, 1, 3)))]


# ------------------------------------------------------------------------------------ misconceptions

def _form(call: Call):
    v = call.args
    return v["images"], pair(v["kernel_shape"]), pair(v["stride"]), v["mode"], v["padding"]


def _pool(images_, ks, st, mode, pad):
    return reference("pool")(images_, ks, st, mode, pad)


def _other_mode(call):
    images_, ks, st, mode, pad = _form(call)
    return _pool(images_, ks, st, "avg" if mode == "max" else "max", pad)


def _zero_padded(call, which):
    """'same' pooling of the images padded with zeros (which then count in an average, and win a max over
    negative cells), for the cases of ``which`` mode."""
    images_, ks, st, mode, pad = _form(call)
    if pad != "same" or mode != which:
        return None
    (t, b), (l, r) = [reference("same_padding")(n, k, s) for n, k, s in zip(np.asarray(images_).shape[1:3], ks, st)]
    padded = np.pad(np.asarray(images_, dtype=np.float64), ((0, 0), (t, b), (l, r), (0, 0)))
    return _pool(padded, ks, st, which, "valid")


def _counted_padding(call):
    return _zero_padded(call, "avg")


def _max_of_zeros(call):
    return _zero_padded(call, "max")


def _altered(test, alter):
    def predict(call):
        images_, ks, st, mode, pad = form = _form(call)
        return _pool(*alter(*form)) if test(ks, st) else None
    return predict


AVG_COUNTS_PADDING = Misconception(
    "avg-counts-padding",
    "Your average counts the padded zeros; in 'same' pooling only the cells inside the image count "
    "(TensorFlow's rule).", functions=("pool",), predicts=(_counted_padding,))
MAX_POOL_ZERO_PADDING = Misconception(
    "max-pool-zero-padding",
    "Your 'same' max pooling pads with zeros, and a zero wins the max of a window whose cells are all "
    "negative. Padded cells never win: pad with -inf (np.pad(..., constant_values=-np.inf)), or take the "
    "max over the cells inside the image only.", functions=("pool",), predicts=(_max_of_zeros,))
MAX_AVG_SWAPPED = Misconception("max-avg-swapped", "mode 'max' and 'avg' are swapped.", functions=("pool",),
                                predicts=(_other_mode,))

_POOL_MISCONCEPTIONS = (
    KH_KW_SWAPPED.seen(["pool"], [_altered(lambda ks, st: ks[0] != ks[1],
                                           lambda im, ks, st, mode, pad: (im, ks[::-1], st, mode, pad))]),
    STRIDE_AXES_SWAPPED.seen(["pool"], [_altered(lambda ks, st: st[0] != st[1],
                                                 lambda im, ks, st, mode, pad: (im, ks, st[::-1], mode, pad))]),
    IDENTITY_COMPARISON.seen(["pool"], static=identity_findings),
    STRIDE_IGNORED.seen(["pool"], [_altered(lambda ks, st: st != (1, 1),
                                            lambda im, ks, st, mode, pad: (im, ks, (1, 1), mode, pad))]),
    AVG_COUNTS_PADDING,
    MAX_POOL_ZERO_PADDING,
    MAX_AVG_SWAPPED,
) + array_misconceptions("pool") + (WINDOW_PAST_PADDED_IMAGE.seen(["pool"], explains=window_past),)


EXERCISES = (
    Exercise(
        slug="pool", title="Pooling", notebook=4, points=points(3, tier=True),
        functions=(FunctionSpec("pool", (Param("images"), Param("kernel_shape"), Param("stride"), Param("mode", "max"),
                                         Param("padding", "valid", added=True)), "pool", "ndarray (m, oh, ow, c)",
                                terms=lambda v: int(math.prod(v["kernel_shape"])),
                                public=_pool_public, hidden=_pool_hidden),),
        misconceptions=_POOL_MISCONCEPTIONS, loop_budget=2, workload=POOL),
    Exercise(
        slug="global_average_pool", title="Global average pooling", notebook=4,
        points=points(1),   # one NumPy call; no workload, so no tier points
        functions=(FunctionSpec("global_average_pool", (Param("images"),), "global_average_pool", "ndarray (m, c)",
                                terms=lambda v: int(np.shape(v["images"])[1] * np.shape(v["images"])[2]),
                                public=_gap_public, hidden=_gap_hidden),),
        misconceptions=every_function("global_average_pool", identity=False), loop_budget=0),
)
