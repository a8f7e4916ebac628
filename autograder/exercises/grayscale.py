"""Grayscale convolutions (notebooks 1 and 2): the 5x5 example by hand, 'valid', 'same', explicit
padding, and the general form with stride and dilation. Images are ``(m, h, w)``, the kernel ``(kh, kw)``.

Hidden cases cover the edge cases of SPEC §3: 1x1 kernels, kernels as large as the (padded) image,
non-square images and kernels, even kernels, large padding, a batch of one, uint8 and float32 images.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading.results import Tier
from ..reference import examples
from .common import RIGHT_NUMBER_WRONG_TYPE, convolution_misconceptions, images, kernel, points, right_number_wrong_type
from .model import Answer, Call, Exercise, FunctionSpec, Misconception, Param, Workload, noise, reference, row

__all__ = ["EXERCISES", "GRAY", "BY_HAND_FLIPPED", "strided_public", "strided_hidden", "STRIDED_PARAMS"]

_IMAGES = Param("images")
_KERNEL = Param("kernel")
#: padding, stride and dilation of the general convolutions (dilation was added by this course)
STRIDED_PARAMS = (Param("padding", "same"), Param("stride", (1, 1)), Param("dilation", (1, 1), added=True))


def _kernel_terms(values: dict) -> int:
    return int(math.prod(np.shape(values["kernel"])))


def _gray(rng, m):
    return {"images": noise(rng, (m, 28, 28)), "kernel": noise(rng, (3, 3))}


#: 64 images of 28x28 and a 3x3 kernel; bounds from the canonical classes (docs/tiers.md).
GRAY = Workload("gray", m=64, probe=4, make=_gray,
                bounds=((Tier.REFERENCE_CLASS, 2.5), (Tier.FAST, 25.0), (Tier.VECTORIZED, 95.0)))


# --------------------------------------------------------------------------------------------- cases

def _classic():
    return examples.classic_batch(examples.CLASSIC_IMAGE)


def _public(kind):
    def make():
        rng = np.random.default_rng(1)
        rows = []
        if kind == "valid":
            rows.append(row("worked-example", "the 5x5 worked example", images=_classic(), kernel=examples.VERTICAL_EDGE))
        if kind == "same":
            rows.append(row("worked-example", "the 5x5 example, 'same'", images=_classic(), kernel=examples.VERTICAL_EDGE))
        rows.append(row("two-images", "two 6x5 images, 3x3 kernel", images=images(rng, (2, 6, 5)), kernel=kernel(rng, (3, 3))))
        rows.append(row("non-square-kernel", "non-square kernel", images=images(rng, (2, 7, 6)), kernel=kernel(rng, (3, 2))))
        if kind == "same":
            rows.append(row("even-kernel", "even kernel: the extra zero goes below and right",
                            images=images(rng, (1, 6, 6)), kernel=kernel(rng, (2, 2))))
        if kind == "padding":
            rows = [row("padding-1-1", "padding (1, 1)", images=images(rng, (2, 6, 5)), kernel=kernel(rng, (3, 3)),
                        padding=(1, 1)),
                    row("padding-rows-only", "padding (2, 0): rows only", images=images(rng, (2, 5, 7)),
                        kernel=kernel(rng, (3, 2)), padding=(2, 0)),
                    row("padding-columns-non-square", "padding (0, 3) with a non-square kernel",
                        images=images(rng, (1, 4, 4)), kernel=kernel(rng, (2, 3)), padding=(0, 3))]
        # added after the first ones (their inputs, drawn first, stay as they were)
        extra = {"padding": {"padding": (1, 0)}}.get(kind, {})
        rows.append(row("uint8-images", "uint8 images: compute in floats", images=images(rng, (2, 5, 6), np.uint8),
                        kernel=kernel(rng, (3, 3)), **extra))
        return rows
    return make


def _hidden(kind):
    def make(rng):
        h, w = int(rng.integers(5, 9)), int(rng.integers(5, 9))
        while w == h:
            w = int(rng.integers(4, 10))
        rows = [
            row("1x1-kernel", "1x1 kernel", images=images(rng, (3, h, w)), kernel=kernel(rng, (1, 1))),
            row("batch-of-one", "a batch of one", images=images(rng, (1, h, w)), kernel=kernel(rng, (3, 3))),
            row("uint8", "uint8 images", images=images(rng, (2, h, w), np.uint8), kernel=kernel(rng, (3, 3))),
            row("float32", "float32 images", images=images(rng, (2, h, w), np.float32),
                kernel=kernel(rng, (3, 3)).astype(np.float32)),
            row("even-non-square-kernel", "even, non-square kernel", images=images(rng, (2, h, w)),
                kernel=kernel(rng, (4, 2))),
        ]
        if kind == "valid":
            rows.append(row("kernel-as-large-as-image", "kernel as large as the image", images=images(rng, (2, h, w)),
                            kernel=kernel(rng, (h, w))))
        if kind == "same":
            rows.append(row("even-wide-kernel", "even kernel: the extra zero goes below and right",
                            images=images(rng, (2, h, w)), kernel=kernel(rng, (2, 4))))
            rows.append(row("kernel-larger-than-image", "kernel larger than the image", images=images(rng, (2, 4, 5)),
                            kernel=kernel(rng, (5, 6))))
        if kind == "padding":
            rows = [row(f"{r.id}-padded", r.note + f", padding {p}", images=r.values["images"], kernel=r.values["kernel"],
                        padding=p) for r, p in zip(rows, [(0, 0), (1, 2), (2, 1), (3, 0), (1, 1)])]
            rows.append(row("kernel-as-large-as-padded-image", "kernel as large as the padded image",
                            images=images(rng, (2, 3, 4)), kernel=kernel(rng, (7, 6)), padding=(2, 1)))
            rows.append(row("large-padding", "large padding", images=images(rng, (2, h, w)), kernel=kernel(rng, (3, 3)),
                            padding=(5, 4)))
        return rows
    return make


def strided_public(channels=None, kname="kernel", filters=None):
    """Public cases of a general convolution: 'same' and 'valid', explicit padding, strides, dilation
    (``channels`` and ``filters`` add the axes of the channel and bank forms)."""
    def make():
        rng = np.random.default_rng(2)

        def img(shape):
            return images(rng, shape if channels is None else shape + (channels,))

        def ker(shape):
            full = shape if channels is None else shape + (channels,)
            return kernel(rng, full + ((filters,) if filters else ()))

        return [
            row("defaults", "'same', stride 1 (the defaults)", images=img((2, 6, 5)), **{kname: ker((3, 3))}),
            row("valid-stride-2", "'valid', stride 2", images=img((2, 7, 6)), padding="valid", stride=(2, 2),
                **{kname: ker((3, 3))}),
            row("explicit-padding-stride", "explicit padding (1, 2), stride (2, 1)", images=img((2, 8, 7)),
                padding=(1, 2), stride=(2, 1), **{kname: ker((3, 2))}),
            row("same-even-kernel-stride-2", "'same' with an even kernel and stride 2", images=img((1, 8, 8)),
                padding="same", stride=(2, 2), **{kname: ker((2, 2))}),
            row("dilation-2", "dilation 2", images=img((2, 9, 8)), padding="same", dilation=(2, 2),
                **{kname: ker((3, 3))}),
            # added after the first five (their inputs, drawn first, stay as they were)
            row("same-stride-2-padding-after", "'same', stride 2 on 8 pixels: no zero above, one below",
                images=img((2, 8, 8)), padding="same", stride=(2, 2), **{kname: ker((3, 3))}),
            row("same-even-kernel", "'same', even kernel, stride 1: the extra zero goes below and right",
                images=img((1, 6, 7)), padding="same", **{kname: ker((2, 2))}),
            row("uint8-images", "uint8 images: compute in floats", images=images(rng, (2, 6, 6) if channels is None
                                                                         else (2, 6, 6, channels), np.uint8),
                padding="valid", **{kname: ker((3, 3))}),
        ]
    return make


def strided_hidden(channels=lambda rng: None, kname="kernel", filters=False):
    """Hidden cases of a general convolution (``channels(rng)`` draws the channel count, if any)."""
    def make(rng):
        c = channels(rng)

        def img(shape, dtype=np.float64):
            return images(rng, shape if c is None else shape + (c,), dtype)

        def ker(shape):
            nf = (int(rng.integers(1, 4)),) if filters else ()
            return kernel(rng, (shape if c is None else shape + (c,)) + nf)

        h, w = int(rng.integers(6, 10)), int(rng.integers(5, 9))
        # keyword order matters: arguments are drawn in the order they are written
        return [
            row("1x1-kernel-stride", "1x1 kernel, stride (2, 3)", images=img((2, h, w)), **{kname: ker((1, 1))},
                stride=(2, 3)),
            row("stride-larger-than-kernel", "stride larger than the kernel", images=img((2, h, w)),
                **{kname: ker((2, 2))}, padding="valid", stride=(3, 3)),
            row("same-even-height-stride", "'same', even kernel height, stride (2, 1)", images=img((1, h, w)),
                **{kname: ker((4, 3))}, padding="same", stride=(2, 1)),
            row("same-stride-3-2", "'same' with stride (3, 2)", images=img((2, h, w)), **{kname: ker((3, 3))},
                padding="same", stride=(3, 2)),
            row("uint8-padding", "uint8 images, padding (2, 1)", images=img((2, h, w), np.uint8),
                **{kname: ker((3, 3))}, padding=(2, 1)),
            row("float32", "float32 images", images=img((2, h, w), np.float32),
                **{kname: ker((2, 3)).astype(np.float32)}, padding="valid"),
            row("dilation-1-2", "dilation (1, 2)", images=img((2, h, w)), **{kname: ker((3, 2))}, padding="same",
                stride=(1, 2), dilation=(1, 2)),
            row("kernel-as-large-as-image", "kernel as large as the image", images=img((2, 4, 5)),
                **{kname: ker((4, 5))}, padding="valid"),
            row("large-padding", "large padding", images=img((2, h, w)), **{kname: ker((3, 3))}, padding=(4, 3),
                stride=(2, 2)),
        ]
    return make


# ----------------------------------------------------------------------------------------- exercises

def _exercise(name, title, notebook, level, params, returns, public, hidden, padding=None,
              paddings=("valid", "same", "explicit"), strided=True):
    spec = FunctionSpec(name, params, name, returns, terms=_kernel_terms, public=public, hidden=hidden)
    return Exercise(slug=name, title=title, notebook=notebook, points=points(level, tier=True), functions=(spec,),
                    misconceptions=convolution_misconceptions(name, "convolve_grayscale", padding=padding,
                                                              paddings=paddings, strided=strided, channels=False),
                    loop_budget=2, workload=GRAY)


def _by_hand(kernel=examples.VERTICAL_EDGE):
    """The 3x3 'valid' output of the classic 5x5 image and the vertical-edge kernel."""
    return reference("convolve_grayscale_valid")(_classic(), np.ascontiguousarray(kernel))[0]


def _flipped_by_hand(call: Call):
    """The by-hand answer of a true convolution (the kernel flipped both ways: for this kernel, the
    right answer negated)."""
    out = _by_hand(examples.VERTICAL_EDGE[::-1, ::-1])
    return float(out[0, 0]) if call.case.function == "output_00" else out


_BY_HAND = ("output_00", "output_full")
BY_HAND_FLIPPED = Misconception(
    "by-hand-flipped-kernel",
    "Your answer is the right one with its sign flipped: you flipped the kernel (a true convolution), and "
    "flipping this kernel left to right negates it. Cross-correlate: lay the kernel on the window as it "
    "is, multiply each pair and add.", functions=_BY_HAND, predicts=(_flipped_by_hand,))

EXERCISES = (
    Exercise(
        slug="correlate_by_hand", title="Convolution by hand", notebook=1, points=points(1),
        answers=(
            Answer("output_00", "output[0, 0] of the 5x5 image cross-correlated with the 3x3 vertical-edge kernel",
                   lambda: float(_by_hand()[0, 0])),
            Answer("output_full", "the whole 3x3 'valid' output of that example", _by_hand),
        ),
        misconceptions=(BY_HAND_FLIPPED, RIGHT_NUMBER_WRONG_TYPE.seen(_BY_HAND, explains=right_number_wrong_type)),
    ),
    _exercise("convolve_grayscale_valid", "Valid convolution", 1, 2, (_IMAGES, _KERNEL),
              "ndarray (m, h - kh + 1, w - kw + 1)", _public("valid"), _hidden("valid"), padding="valid",
              strided=False),
    _exercise("convolve_grayscale_same", "Same convolution", 2, 3, (_IMAGES, _KERNEL), "ndarray (m, h, w)",
              _public("same"), _hidden("same"), padding="same", strided=False),
    _exercise("convolve_grayscale_padding", "Convolution with padding", 2, 3, (_IMAGES, _KERNEL, Param("padding")),
              "ndarray (m, h + 2 ph - kh + 1, w + 2 pw - kw + 1)", _public("padding"), _hidden("padding"),
              paddings=("explicit",), strided=False),
    _exercise("convolve_grayscale", "Strided, dilated convolution", 2, 4, (_IMAGES, _KERNEL) + STRIDED_PARAMS,
              "ndarray (m, oh, ow)", strided_public(), strided_hidden()),
)
