"""The variants of a convolution: depthwise (notebook 3: each channel with its own kernels, channel
``ci * multiplier + j`` out) and transposed (notebook 6: each input pixel scatters a scaled copy of the
kernel into the output, ``stride`` pixels apart). Images are ``(m, h, w, c)``.
"""

from __future__ import annotations

import math

import numpy as np

from .channels import BANK_BOUNDS
from .common import (IDENTITY_COMPARISON, array_misconceptions, convolution_misconceptions, identity_findings, images,
                     kernel, points)
from .grayscale import STRIDED_PARAMS
from .model import Call, Exercise, FunctionSpec, Misconception, Param, Workload, noise, row

__all__ = ["EXERCISES", "DEPTHWISE", "TRANSPOSE", "DEPTHWISE_CHANNEL_ORDER"]

DEPTHWISE = Workload("depthwise", m=16, probe=1, bounds=BANK_BOUNDS, make=lambda rng, m: {
    "images": noise(rng, (m, 28, 28, 8)), "kernels": noise(rng, (3, 3, 8, 1))})

TRANSPOSE = Workload("transpose", m=16, probe=1, bounds=BANK_BOUNDS, make=lambda rng, m: {
    "images": noise(rng, (m, 14, 14, 8)), "kernels": noise(rng, (3, 3, 8, 8)), "stride": (2, 2)})


def _depthwise_terms(values: dict) -> int:
    return int(math.prod(np.shape(values["kernels"])[:2]))


def _channel_major(call: Call):
    """The right output with its channels in the order j * channels + ci (multiplier first)."""
    want, k = call.want, np.shape(call.args["kernels"])
    c, mult = k[2], k[3]
    if not isinstance(want, np.ndarray) or c < 2 or mult < 2:
        return None
    return np.ascontiguousarray(want.reshape(want.shape[:3] + (c, mult)).swapaxes(3, 4).reshape(want.shape))


DEPTHWISE_CHANNEL_ORDER = Misconception(
    "depthwise-channel-order",
    "Your output channels are in the wrong order: channel ci * multiplier + j is input channel ci correlated "
    "with kernels[:, :, ci, j] (Keras' DepthwiseConv2D order); yours are ordered j * channels + ci.",
    functions=("depthwise_convolve",), predicts=(_channel_major,))


def _depthwise_public():
    rng = np.random.default_rng(5)
    return [row("multiplier-1", "multiplier 1, 'same'", images=images(rng, (2, 6, 5, 3)),
                kernels=kernel(rng, (3, 3, 3, 1))),
            row("multiplier-2", "multiplier 2: channel ci * 2 + j", images=images(rng, (2, 6, 6, 2)),
                kernels=kernel(rng, (3, 3, 2, 2)), padding="valid"),
            row("same-even-kernel-stride-2", "'same', even kernel, stride 2", images=images(rng, (1, 7, 7, 2)),
                kernels=kernel(rng, (2, 2, 2, 1)), stride=(2, 2)),
            # added after the first three
            row("same-stride-2-padding-after", "'same', stride 2 on 8 pixels: no zero above, one below",
                images=images(rng, (1, 8, 8, 2)), kernels=kernel(rng, (3, 3, 2, 1)), stride=(2, 2)),
            row("explicit-padding-non-square", "padding (1, 2), a 3x2 kernel, stride (1, 2)",
                images=images(rng, (2, 7, 6, 2)), kernels=kernel(rng, (3, 2, 2, 1)), padding=(1, 2), stride=(1, 2)),
            row("uint8-images", "uint8 images: compute in floats", images=images(rng, (2, 5, 5, 2), np.uint8),
                kernels=kernel(rng, (3, 3, 2, 1)), padding="valid")]


def _depthwise_hidden(rng):
    h, w = int(rng.integers(5, 9)), int(rng.integers(5, 9))
    return [row("1x1-kernel", "1x1 kernel", images=images(rng, (2, h, w, 3)), kernels=kernel(rng, (1, 1, 3, 2))),
            row("uint8-stride", "uint8 images, stride (1, 2)", images=images(rng, (2, h, w, 2), np.uint8),
                kernels=kernel(rng, (3, 2, 2, 1)), stride=(1, 2)),
            row("float32-multiplier-3", "float32 images, multiplier 3", images=images(rng, (1, h, w, 2), np.float32),
                kernels=kernel(rng, (3, 3, 2, 3)).astype(np.float32), padding="valid", stride=(2, 2)),
            row("explicit-padding", "explicit padding (1, 0)", images=images(rng, (2, h, w, 2)),
                kernels=kernel(rng, (2, 2, 2, 1)), padding=(1, 0))]


def _transpose_terms(values: dict) -> int:
    """Products per output value: every kernel tap of every input channel can land on it."""
    k = np.shape(values["kernels"])
    return int(k[0] * k[1] * k[3])


def _transpose_public():
    rng = np.random.default_rng(6)
    return [row("valid-stride-1", "'valid', stride 1", images=images(rng, (2, 3, 3, 2)), kernels=kernel(rng, (3, 3, 4, 2))),
            row("valid-stride-2", "'valid', stride 2: upsampling", images=images(rng, (2, 3, 4, 2)),
                kernels=kernel(rng, (3, 3, 1, 2)), stride=(2, 2)),
            row("same-stride-2", "'same', stride 2: exactly twice the size", images=images(rng, (1, 4, 4, 1)),
                kernels=kernel(rng, (4, 4, 2, 1)), padding="same", stride=(2, 2)),
            # added after the first three
            row("uint8-images", "uint8 images: compute in floats", images=images(rng, (2, 3, 3, 2), np.uint8),
                kernels=kernel(rng, (2, 2, 2, 2)))]


def _transpose_hidden(rng):
    h, w = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    return [row("stride-larger-than-kernel", "stride larger than the kernel height", images=images(rng, (2, h, w, 3)),
                kernels=kernel(rng, (2, 3, 2, 3)), stride=(3, 2)),
            row("float32-same", "float32, 'same', stride (2, 1)", images=images(rng, (1, h, w, 2), np.float32),
                kernels=kernel(rng, (3, 3, 2, 2)).astype(np.float32), padding="same", stride=(2, 1)),
            row("uint8-1x1-kernel", "uint8, 1x1 kernel, stride 2", images=images(rng, (2, h, w, 1), np.uint8),
                kernels=kernel(rng, (1, 1, 3, 1)), stride=(2, 2)),
            row("same-stride-1", "'same', stride 1", images=images(rng, (2, h, w, 2)), kernels=kernel(rng, (3, 2, 1, 2)),
                padding="same")]


EXERCISES = (
    Exercise(
        slug="depthwise_convolve", title="Depthwise convolution", notebook=3, points=points(4, tier=True),
        functions=(FunctionSpec("depthwise_convolve", (Param("images"), Param("kernels")) + STRIDED_PARAMS[:2],
                                "depthwise_convolve", "ndarray (m, oh, ow, c * multiplier)", terms=_depthwise_terms,
                                public=_depthwise_public, hidden=_depthwise_hidden),),
        misconceptions=convolution_misconceptions("depthwise_convolve", "depthwise_convolve", depthwise=True,
                                                  extra=(DEPTHWISE_CHANNEL_ORDER,)),
        loop_budget=3, workload=DEPTHWISE),
    Exercise(
        slug="convolve_transpose", title="Transposed convolution", notebook=6, points=points(5, tier=True),
        functions=(FunctionSpec("convolve_transpose", (Param("images"), Param("kernels"), Param("padding", "valid"),
                                                       Param("stride", (1, 1))),
                                "convolve_transpose", "ndarray (m, H, W, nc)", terms=_transpose_terms, public=_transpose_public,
                                hidden=_transpose_hidden),),
        misconceptions=(IDENTITY_COMPARISON.seen(["convolve_transpose"], static=identity_findings),)
        + array_misconceptions("convolve_transpose"),
        loop_budget=3, workload=TRANSPOSE),
)
