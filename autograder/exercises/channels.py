"""Channels and banks of filters (notebook 3): one kernel over every channel, and a bank of kernels.
Images are ``(m, h, w, c)``, channels last.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading.results import Tier
from .common import convolution_misconceptions, points
from .grayscale import STRIDED_PARAMS, strided_hidden, strided_public
from .model import Call, Exercise, FunctionSpec, Misconception, Param, Workload, noise

__all__ = ["EXERCISES", "CHANNELS", "BANK", "BANK_BOUNDS", "CHANNELS_AVERAGED"]

_IMAGES = Param("images")

#: Tier bounds of the bank workload (docs/tiers.md, runs 7 and 8). A BLAS-backed einsum runs at about 4-5x
#: the reference's time there (the reference's own micro-kernel against numpy's GEMM), the reference itself
#: in a child at 0.8-1.6x. Kernel-position loops (many small matrix products) ran at 3.6-4.3x (run 6) and
#: 4.2-5.0x (run 8) on an Intel Xeon but at 1.9-3.4x on an AMD EPYC, where the reference's AVX-512
#: kernel is less far ahead: the reference-class bound lies between the two, with less margin than
#: elsewhere. Channels, depthwise and transpose have no canonical implementations of their own yet and
#: use these bounds.
BANK_BOUNDS = ((Tier.REFERENCE_CLASS, 1.75), (Tier.FAST, 10.0), (Tier.VECTORIZED, 190.0))

CHANNELS = Workload("channels", m=32, probe=2, bounds=BANK_BOUNDS, make=lambda rng, m: {
    "images": noise(rng, (m, 28, 28, 3)), "kernel": noise(rng, (3, 3, 3))})
BANK = Workload("bank", m=16, probe=1, bounds=BANK_BOUNDS, make=lambda rng, m: {
    "images": noise(rng, (m, 28, 28, 8)), "kernels": noise(rng, (3, 3, 8, 16))})


def _window_terms(key):
    """Products per output value of a kernel that spans its channels: kh * kw * c."""
    return lambda values: int(math.prod(np.shape(values[key])[:3]))


def _averaged(call: Call):
    """The right sums over the window divided by the number of channels (np.mean over the channel axis)."""
    c = np.shape(call.args["images"])[-1]
    return call.want / c if c > 1 and isinstance(call.want, np.ndarray) else None


CHANNELS_AVERAGED = Misconception(
    "channels-averaged",
    "You averaged over the channels: a convolution adds up the products of every channel too, "
    "np.sum(window * kernel, axis=(1, 2, 3)), not a mean over the channel axis.")


def _channels_averaged(function: str) -> Misconception:
    return CHANNELS_AVERAGED.seen([function], [_averaged])


EXERCISES = (
    Exercise(
        slug="convolve_channels", title="Convolution with channels", notebook=3, points=points(4, tier=True),
        functions=(FunctionSpec("convolve_channels", (_IMAGES, Param("kernel")) + STRIDED_PARAMS, "convolve_channels",
                                "ndarray (m, oh, ow)", terms=_window_terms("kernel"),
                                public=strided_public(3, "kernel"),
                                hidden=strided_hidden(lambda rng: int(rng.integers(2, 4)), "kernel")),),
        misconceptions=convolution_misconceptions("convolve_channels", "convolve_channels",
                                                  extra=(_channels_averaged("convolve_channels"),), channels=False),
        loop_budget=2, workload=CHANNELS),
    Exercise(
        slug="convolve", title="Multiple kernels", notebook=3, points=points(5, tier=True),
        functions=(FunctionSpec("convolve", (_IMAGES, Param("kernels")) + STRIDED_PARAMS, "convolve",
                                "ndarray (m, oh, ow, nc)", terms=_window_terms("kernels"),
                                public=strided_public(2, "kernels", filters=3),
                                hidden=strided_hidden(lambda rng: int(rng.integers(1, 4)), "kernels", filters=True)),),
        misconceptions=convolution_misconceptions("convolve", "convolve", extra=(_channels_averaged("convolve"),)),
        loop_budget=3, workload=BANK),
)
