"""What several exercise families share: random inputs for cases, and the wrong ideas seen in more than
one family (each family says which of its functions show them, and how).

A misconception here is an idea (id, hint, priority) with no functions yet: a family module makes it a
unit of its own exercise with :meth:`~.model.Misconception.seen`. The predictors of the convolution
family (:func:`convolution_misconceptions`) and of every array result (:func:`array_misconceptions`) live
here too, since seven convolutions and every array exercise use them.
"""

from __future__ import annotations

import math

import numpy as np

from ..grading.results import Stage
from .model import Call, Misconception, Points, reference

__all__ = ["images", "kernel", "pair", "EVEN_KERNEL_SYMMETRIC", "SAME_PLUS_ONE", "SAME_KEEPS_INPUT_SIZE",
           "SAME_IGNORES_STRIDE", "KH_KW_SWAPPED", "STRIDE_AXES_SWAPPED", "IDENTITY_COMPARISON", "FLIPPED_KERNEL",
           "STRIDE_IGNORED", "DILATION_IGNORED", "PADDING_IGNORED", "INTEGER_TRUNCATION", "CHANNELS_FIRST",
           "MISSING_LAST", "INPUT_MUTATED", "convolution_misconceptions", "array_misconceptions",
           "every_function", "identity_findings", "ARRAY_POINTS"]


# ---------------------------------------------------------------------------------------------- inputs

def images(rng, shape, dtype=np.float64):
    """Random images of ``shape``: uint8 in [0, 256), else standard normal in ``dtype``."""
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.standard_normal(shape).astype(dtype)


def kernel(rng, shape):
    """A random kernel rounded to 3 decimals (short to print, still not integers)."""
    return np.round(rng.standard_normal(shape), 3)


def pair(x):
    return (x, x) if isinstance(x, int) else tuple(x)


# ------------------------------------------------------------------------------------------ the ideas

EVEN_KERNEL_SYMMETRIC = Misconception(
    "even-kernel-symmetric-padding",
    "With an even kernel (or stride > 1) the 'same' zeros cannot be split evenly: Keras and TensorFlow "
    "put the extra zero after, below and right. out = ceil(n / s), total = max((out - 1) * s + k - n, 0), "
    "before = total // 2, after = total - before.")
SAME_PLUS_ONE = Misconception(
    "same-padding-plus-one",
    "Your 'same' padding is ((h - 1) * s + k - h) // 2 + 1: the + 1 adds one zero too many on each side "
    "(a 28x28 image comes out 30x30). Use out = ceil(n / s), total = max((out - 1) * s + k - n, 0), "
    "before = total // 2, after = total - before.")
SAME_KEEPS_INPUT_SIZE = Misconception(
    "same-keeps-input-size",
    "'same' keeps the input size only at stride 1: with stride s there are ceil(n / s) output rows.")
SAME_IGNORES_STRIDE = Misconception(
    "same-padding-ignores-stride",
    "Your 'same' padding is the stride-1 amount; with stride s the total is "
    "max((ceil(n / s) - 1) * s + k - n, 0).")
KH_KW_SWAPPED = Misconception(
    "kh-kw-swapped",
    "Height and width are swapped somewhere: kh = kernel.shape[0] goes with the rows (h), "
    "kw = kernel.shape[1] with the columns (w).")
STRIDE_AXES_SWAPPED = Misconception(
    "stride-axes-swapped",
    "stride is (sh, sw): sh steps down the rows, sw across the columns; yours are the other way round.")
IDENTITY_COMPARISON = Misconception(
    "identity-comparison",
    "`is` asks whether two names are the same object, not whether values are equal: `padding is 'same'` "
    "is False for a string made at run time. Use == for values and isinstance(padding, tuple) for types.",
    priority=1)   # seen in the source: it explains the failures better than any count of cases
FLIPPED_KERNEL = Misconception(
    "flipped-kernel",
    "You flipped the kernel (true convolution). CNN layers, and this course, cross-correlate: multiply "
    "each window by the kernel as it is.")
STRIDE_IGNORED = Misconception(
    "stride-ignored", "The stride is ignored: output (i, j) reads the window at (i * sh, j * sw).")
DILATION_IGNORED = Misconception(
    "dilation-ignored",
    "Dilation is ignored: kernel tap (a, b) reads the image at (a * dh, b * dw) from the window's corner, "
    "and the kernel spans (k - 1) * d + 1 pixels.")
PADDING_IGNORED = Misconception(
    "padding-ignored", "The padding is not applied: pad the images with zeros (np.pad) before sliding the kernel.")
INTEGER_TRUNCATION = Misconception(
    "integer-truncation",
    "The output was computed or stored as integers: products and averages lose their fractions (or "
    "wrap around in uint8). Allocate a float output, e.g. np.zeros(shape), not np.zeros_like(images).")
CHANNELS_FIRST = Misconception(
    "channels-first", "Your output is channels-first (m, c, h, w); this course is channels-last (m, h, w, c).")
MISSING_LAST = Misconception(
    "missing-last-row-or-column",
    "The last output row or column is missing: there are (n + before + after - k_eff) // s + 1 positions, "
    "so loop over range(out), not range(n - k).")
INPUT_MUTATED = Misconception(
    "input-mutated",
    "Your function changes its input arrays in place; callers expect them unchanged. Work on a copy "
    "(np.pad already returns one).")


# ------------------------------------------------------------------- the convolution family's predictors

def _conv_form(call: Call, general: str, padding, depthwise: bool) -> dict:
    """images, kernel, padding, stride, dilation of a convolution case, for the general function."""
    v = call.args
    return {"fn": general, "images": v["images"], "kernel": v.get("kernel", v.get("kernels")),
            "padding": padding or v.get("padding", "same"), "stride": pair(v.get("stride", (1, 1))),
            "dilation": pair(v.get("dilation", (1, 1))), "depthwise": depthwise}


def _conv(c: dict, **over):
    d = dict(c, **over)
    fn = reference(d["fn"])
    if d["depthwise"]:
        if d["dilation"] != (1, 1):
            return None
        return fn(d["images"], d["kernel"], d["padding"], d["stride"])
    return fn(d["images"], d["kernel"], d["padding"], d["stride"], d["dilation"])


def _axis_sizes(c: dict):
    images_ = np.asarray(c["images"])
    k = np.asarray(c["kernel"]).shape[:2]
    return [(images_.shape[1 + a], k[a], c["stride"][a], c["dilation"][a]) for a in (0, 1)]


def _same_variant(c: dict, rule: str):
    """The output under a wrong 'same' rule, or None when the case is not 'same'."""
    if c["padding"] != "same":
        return None
    pads, crop = [], False
    for n, k, s, d in _axis_sizes(c):
        k_eff = (k - 1) * d + 1
        if rule == "floor":
            p = ((k_eff - 1) // 2, (k_eff - 1) // 2)
        elif rule == "ceil":
            p = (k_eff // 2, k_eff // 2)
        elif rule == "crop":
            p, crop = (k_eff // 2, k_eff // 2), True
        elif rule == "plus_one":
            q = ((n - 1) * s + k - n) // 2 + 1
            p = (q, q)
        else:  # stride-1 amounts
            total = k_eff - 1
            p = (total // 2, total - total // 2)
        pads.append(p)
    try:
        out = _conv(c, padding=(pads[0], pads[1]))
    except ValueError:
        return None
    if out is not None and crop:
        sizes = [math.ceil(n / s) for n, _, s, _ in _axis_sizes(c)]
        out = out[:, : sizes[0], : sizes[1]]
    return out


def _even(c: dict) -> bool:
    # With odd kernels the symmetric forms are the stride-1 'same' amounts: that misconception is
    # same-padding-ignores-stride, so the symmetric predictions are for even (effective) kernels only.
    return any((k - 1) * d % 2 == 1 for _, k, _, d in _axis_sizes(c))


def convolution_misconceptions(function: str, general: str, padding: str | None = None,
                               depthwise: bool = False) -> tuple[Misconception, ...]:
    """The wrong ideas of a convolution ``function``, predicted with the reference's ``general`` form
    (``padding`` fixed for the 'valid' and 'same' exercises; ``depthwise`` takes no dilation)."""
    def form(call):
        return _conv_form(call, general, padding, depthwise)

    def symmetric(rule):
        return lambda call: _same_variant(c, rule) if _even(c := form(call)) else None

    def when(test, alter):
        return lambda call: alter(c) if test(c := form(call)) else None

    def keeps_input_size(call, got, stage):
        c = form(call)
        return (c["padding"] == "same" and c["stride"] != (1, 1) and isinstance(got, np.ndarray) and got.ndim >= 3
                and got.shape[1:3] == np.asarray(c["images"]).shape[1:3] != call.want.shape[1:3])

    def swapped_kernel(c):
        k = np.asarray(c["kernel"])
        return _conv(c, kernel=np.ascontiguousarray(np.swapaxes(k, 0, 1))) if k.shape[0] != k.shape[1] else None

    fs = (function,)
    return (
        EVEN_KERNEL_SYMMETRIC.seen(fs, [symmetric(r) for r in ("floor", "ceil", "crop")]),
        SAME_PLUS_ONE.seen(fs, [lambda call: _same_variant(form(call), "plus_one")]),
        SAME_KEEPS_INPUT_SIZE.seen(fs, explains=keeps_input_size),
        SAME_IGNORES_STRIDE.seen(fs, [when(lambda c: c["stride"] != (1, 1), lambda c: _same_variant(c, "stride1"))]),
        KH_KW_SWAPPED.seen(fs, [lambda call: swapped_kernel(form(call))]),
        STRIDE_AXES_SWAPPED.seen(fs, [when(lambda c: c["stride"][0] != c["stride"][1],
                                           lambda c: _conv(c, stride=c["stride"][::-1]))]),
        IDENTITY_COMPARISON.seen(fs, static=identity_findings),
        FLIPPED_KERNEL.seen(fs, [lambda call: _conv(c := form(call), kernel=np.asarray(c["kernel"])[::-1, ::-1])]),
        STRIDE_IGNORED.seen(fs, [when(lambda c: c["stride"] != (1, 1), lambda c: _conv(c, stride=(1, 1)))]),
        DILATION_IGNORED.seen(fs, [when(lambda c: c["dilation"] != (1, 1), lambda c: _conv(c, dilation=(1, 1)))]),
        PADDING_IGNORED.seen(fs, [when(lambda c: c["padding"] not in ("valid", (0, 0), ((0, 0), (0, 0))),
                                       lambda c: _conv(c, padding="valid"))]),
    ) + array_misconceptions(function)


# ------------------------------------------------------------------------- any function, any array result

def identity_findings(submission, function: str) -> list:
    from ..grading.rules import identity_comparisons

    return identity_comparisons(submission, function)


def _array(call: Call):
    return call.want if isinstance(call.want, np.ndarray) and call.want.ndim >= 3 else None


def _truncated_as_input(call: Call):
    want = _array(call)
    dtype = np.asarray(call.args.get("images")).dtype
    return want.astype(dtype).astype(np.float64) if want is not None and dtype.kind in "iu" else None


def array_misconceptions(function: str) -> tuple[Misconception, ...]:
    """The wrong ideas any function returning a batch of images can show (an array of 3 or 4 dimensions),
    and :func:`every_function`'s."""
    fs = (function,)

    def cut(index):
        return lambda call: None if (w := _array(call)) is None else w[index]

    def channels_first(call):
        w = _array(call)
        return np.ascontiguousarray(np.moveaxis(w, -1, 1)) if w is not None and w.ndim == 4 else None

    return (
        INTEGER_TRUNCATION.seen(fs, [lambda call: None if (w := _array(call)) is None else np.trunc(w),
                                     _truncated_as_input]),
        CHANNELS_FIRST.seen(fs, [channels_first]),
        MISSING_LAST.seen(fs, [cut(np.s_[:, :-1]), cut(np.s_[:, :, :-1]), cut(np.s_[:, :-1, :-1])]),
        INPUT_MUTATED.seen(fs, explains=_mutated),
    )


def _mutated(call: Call, got, stage) -> bool:
    return stage == Stage.UNCHANGED


def every_function(*functions: str) -> tuple[Misconception, ...]:
    """The ideas any function can show: ``is`` for ``==`` in its source, and changing its inputs."""
    return (IDENTITY_COMPARISON.seen(functions, static=identity_findings),
            INPUT_MUTATED.seen(functions, explains=_mutated))


#: The points of an exercise whose answer is an array of images (rule points: :data:`~.policy.RULE_POINTS`).
ARRAY_POINTS = Points(correctness=6.0, tier=2.0)
