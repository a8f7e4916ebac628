"""What several exercise families share: random inputs for cases, and the wrong ideas seen in more than
one family (each family says which of its functions show them, and how).

A misconception here is an idea (id, hint, priority) with no functions yet: a family module makes it a
unit of its own exercise with :meth:`~.model.Misconception.seen`. The predictors of the convolution
family (:func:`convolution_misconceptions`) and of every array result (:func:`array_misconceptions`) live
here too, since seven convolutions and every array exercise use them.
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

from ..grading.results import Stage
from .model import Call, Misconception, Points, reference

__all__ = ["images", "kernel", "pair", "RAISES", "EVEN_KERNEL_SYMMETRIC", "SAME_PLUS_ONE", "SAME_KEEPS_INPUT_SIZE",
           "SAME_IGNORES_STRIDE", "KH_KW_SWAPPED", "STRIDE_AXES_SWAPPED", "PADDING_AXES_SWAPPED", "IDENTITY_COMPARISON",
           "FLIPPED_KERNEL", "STRIDE_IGNORED", "DILATION_IGNORED", "PADDING_IGNORED", "INTEGER_TRUNCATION",
           "CHANNELS_FIRST", "MISSING_LAST", "INPUT_MUTATED", "WINDOW_PAST_PADDED_IMAGE", "RIGHT_NUMBER_WRONG_TYPE",
           "convolution_misconceptions", "array_misconceptions", "every_function", "identity_findings",
           "window_error", "right_number_wrong_type", "DIFFICULTY_POINTS", "TIER_POINTS", "points"]


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
PADDING_AXES_SWAPPED = Misconception(
    "padding-axes-swapped",
    "padding is (ph, pw): ph zeros above and below (the rows), pw left and right (the columns); yours are "
    "mixed up (the other way round, or one of them used for both): np.pad(images, ((0, 0), (ph, ph), (pw, pw))).")
WINDOW_PAST_PADDED_IMAGE = Misconception(
    "window-past-padded-image",
    "A window ran past the edge of the padded image: NumPy cuts such a slice short, so it no longer matches "
    "the kernel (the product fails to broadcast, or an index is out of bounds). Pad first, then take "
    "(n + before + after - k_eff) // s + 1 windows per axis, window i starting at i * s of the padded image.",
    priority=-1)   # what happened, not why: any idea that says why ranks first
RIGHT_NUMBER_WRONG_TYPE = Misconception(
    "right-number-wrong-type",
    "The number is right but its type is not: the answer is a number (an int for a size or a count), not a "
    "string, a float or an array holding it. Return it as it is computed, with // for integer division.")

#: What a predictor returns for a call that a student holding the idea would see raise: NumPy refusing to
#: broadcast a window cut short by the edge of the padded image, or an index past it.
RAISES = type("Raises", (), {"__repr__": lambda self: "RAISES"})()


def window_error(error) -> bool:
    """Whether an exception (an error record: ``type``, ``message``) is the kind a window past the edge of
    the (padded) image gives: a failed broadcast of window and kernel, or an index out of bounds along a
    spatial axis (rows and columns are axes 1 and 2: an index past the channels is another mistake)."""
    kind, message = getattr(error, "type", ""), getattr(error, "message", "") or ""
    if kind == "IndexError" and "out of bounds" in message:
        axis = re.search(r"axis (\d+)", message)
        return axis is None or axis[1] in ("1", "2")
    return kind == "ValueError" and any(word in message for word in ("could not be broadcast", "shape mismatch",
                                                                     "could not broadcast",
                                                                     "non-broadcastable output operand"))


def right_number_wrong_type(call: Call, got, stage) -> bool:
    """The right number came back, but as a string, a float (for an int), or an array or list of one
    element (``explains`` of :data:`RIGHT_NUMBER_WRONG_TYPE`, for scalar answers and functions; a bool is
    never a number here)."""
    want = call.want
    if stage not in (Stage.NDARRAY, Stage.DTYPE, Stage.VALUES) or isinstance(want, (np.ndarray, list, tuple)):
        return False
    if isinstance(got, (str, bytes)):
        try:
            value = float(got.strip())
        except (ValueError, UnicodeDecodeError):
            return False
    elif isinstance(got, np.ndarray) and got.size == 1 and got.dtype.kind in "biuf":
        value = float(got.reshape(()))
    elif isinstance(got, (list, tuple)) and len(got) == 1 and isinstance(got[0], numbers.Real):
        value = float(got[0])
    elif isinstance(got, numbers.Real) and isinstance(want, numbers.Integral) \
            and not isinstance(got, numbers.Integral):
        value = float(got)
    else:
        return False
    return math.isfinite(value) and abs(value - float(want)) <= 1e-6 * max(1.0, abs(float(want)))


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


def _window(win: np.ndarray, k: np.ndarray, depthwise: bool) -> np.ndarray:
    """One output position of the usual loop: the window times the kernel, summed (per filter of a bank;
    per channel of a depthwise kernel, output channel ci * multiplier + j)."""
    if k.ndim == win.ndim - 1:   # one kernel, grayscale or across the channels
        return np.sum(win * k, axis=tuple(range(1, win.ndim)))
    if not depthwise:
        return np.stack([np.sum(win * k[..., f], axis=(1, 2, 3)) for f in range(k.shape[3])], axis=-1)
    parts = np.stack([np.sum(win * k[:, :, :, j], axis=(1, 2)) for j in range(k.shape[3])], axis=-1)
    return parts.reshape(parts.shape[0], -1)


def _loops(c: dict, pads, sizes, skip: bool = False):
    """What the usual loop over output positions returns with zeros ``pads`` ((before, after) per axis)
    and an output of ``sizes``: output (i, j) is the padded image's slice from (i * sh, j * sw), one kernel
    span long, times the kernel, summed. A slice that the edge of the padded image cuts short broadcasts
    against the kernel (a row or column of one: wrong values) or raises (:data:`RAISES`); with ``skip``, such
    windows are left at zero (the student tested the window's shape)."""
    x = np.asarray(c["images"], dtype=np.float64)
    x = np.pad(x, ((0, 0), tuple(pads[0]), tuple(pads[1])) + ((0, 0),) * (x.ndim - 3))
    k = np.asarray(c["kernel"], dtype=np.float64)
    (sh, sw), (dh, dw) = c["stride"], c["dilation"]
    kh, kw = k.shape[:2]
    span_h, span_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    per = () if k.ndim == x.ndim - 1 else (k.shape[2] * k.shape[3],) if c["depthwise"] else (k.shape[3],)
    if min(sizes) < 0 or sizes[0] * sizes[1] > 10_000:
        return None   # np.zeros refuses a negative size (another error); a size of 0 is an empty output
    out = np.zeros((x.shape[0], sizes[0], sizes[1]) + per)
    try:
        with np.errstate(all="ignore"):
            for i in range(sizes[0]):
                for j in range(sizes[1]):
                    win = x[:, i * sh:i * sh + span_h:dh, j * sw:j * sw + span_w:dw]
                    if skip and win.shape[1:3] != (kh, kw):
                        continue
                    out[:, i, j] = _window(win, k, c["depthwise"])
    except (ValueError, IndexError):
        return RAISES
    return out


def _floor_at_same_size(c: dict, skip: bool):
    """Symmetric (k - 1) // 2 'same' padding, with the output allocated at the 'same' size (the input size
    at stride 1): the last windows of an even kernel reach one pixel past the padded image."""
    if c["padding"] != "same" or not _even(c):
        return None
    pads = [((k - 1) * d // 2,) * 2 for _, k, _, d in _axis_sizes(c)]
    return _loops(c, pads, [-(-n // s) for n, _, s, _ in _axis_sizes(c)], skip)


def _wrong_geometry(c: dict, dims, skip: bool):
    """Padding and output size worked out with the kernel sizes ``dims`` (rows, columns) in place of the
    kernel's own (kw for the rows, kh for both...), the windows still the kernel's own. The size is the
    student's formula, (n + before + after - k_eff) // s + 1, whatever it gives (0: an empty output)."""
    k = np.asarray(c["kernel"]).shape[:2]
    if k[0] == k[1]:
        return None
    pads, sizes = [], []
    for a, (n, _, s, d) in enumerate(_axis_sizes(c)):
        wrong = dims(*k)[a]
        padding = c["padding"] if isinstance(c["padding"], str) else c["padding"][a]
        if padding == "same":
            before, after = reference("same_padding")(n, wrong, s, d)
        elif padding == "valid":
            before, after = 0, 0
        else:
            before, after = (padding, padding) if isinstance(padding, (int, np.integer)) else tuple(padding)
        pads.append((before, after))
        sizes.append((n + before + after - (wrong - 1) * d - 1) // s + 1)
    return _loops(c, pads, sizes, skip)


def _explicit(padding) -> bool:
    return not isinstance(padding, str) and padding not in ((0, 0), ((0, 0), (0, 0)))


def convolution_misconceptions(function: str, general: str, padding: str | None = None, depthwise: bool = False,
                               paddings: tuple[str, ...] = ("valid", "same", "explicit"), strided: bool = True,
                               extra: tuple[Misconception, ...] = (), channels: bool = True
                               ) -> tuple[Misconception, ...]:
    """The wrong ideas of a convolution ``function``, predicted with the reference's ``general`` form.

    ``padding`` is fixed for the 'valid' and 'same' exercises; ``paddings`` are the kinds its cases have
    (``'explicit'``: ``(ph, pw)``); ``strided``: it takes a stride (and, unless ``depthwise``, a dilation);
    ``channels``: its output has a channel axis. Only the ideas that can show in such cases are listed;
    ``extra`` (the family's own) go before the ideas of any array result.
    """
    if padding is not None:
        paddings = (padding,)

    def form(call):
        return _conv_form(call, general, padding, depthwise)

    def symmetric(rule):
        return lambda call: _same_variant(c, rule) if _even(c := form(call)) else None

    def when(test, alter):
        return lambda call: alter(c) if test(c := form(call)) else None

    def keeps_input_size(call, got, stage):
        """The output has the input's size under stride (and is not simply the stride-1 output: that
        is the stride ignored)."""
        c = form(call)
        if not (c["padding"] == "same" and c["stride"] != (1, 1) and isinstance(got, np.ndarray) and got.ndim >= 3
                and got.shape[1:3] == np.asarray(c["images"]).shape[1:3] != call.want.shape[1:3]):
            return False
        unstrided = _conv(c, stride=(1, 1))
        return not (unstrided is not None and unstrided.shape == got.shape and got.dtype.kind in "biuf"
                    and np.allclose(got, unstrided))

    def swapped_kernel(c):
        k = np.asarray(c["kernel"])
        return _conv(c, kernel=np.ascontiguousarray(np.swapaxes(k, 0, 1))) if k.shape[0] != k.shape[1] else None

    def geometry(dims, skip):
        return lambda call: _wrong_geometry(form(call), dims, skip)

    fs = (function,)
    same, explicit = "same" in paddings, "explicit" in paddings
    ideas = []
    if same:
        ideas.append(EVEN_KERNEL_SYMMETRIC.seen(fs, [symmetric(r) for r in ("floor", "ceil", "crop")] + [
            lambda call: _floor_at_same_size(form(call), False), lambda call: _floor_at_same_size(form(call), True)]))
        ideas.append(SAME_PLUS_ONE.seen(fs, [lambda call: _same_variant(form(call), "plus_one")]))
        if strided:
            ideas.append(SAME_KEEPS_INPUT_SIZE.seen(fs, explains=keeps_input_size))
            ideas.append(SAME_IGNORES_STRIDE.seen(fs, [when(lambda c: c["stride"] != (1, 1),
                                                            lambda c: _same_variant(c, "stride1"))]))
    ideas.append(KH_KW_SWAPPED.seen(fs, [lambda call: swapped_kernel(form(call))] + [
        geometry(dims, skip) for dims in (lambda kh, kw: (kw, kh), lambda kh, kw: (kh, kh), lambda kh, kw: (kw, kw))
        for skip in (False, True)]))
    if strided:
        ideas.append(STRIDE_AXES_SWAPPED.seen(fs, [when(lambda c: c["stride"][0] != c["stride"][1],
                                                        lambda c: _conv(c, stride=c["stride"][::-1]))]))
    if explicit:
        mixed_up = (lambda p: p[::-1], lambda p: (p[0], p[0]), lambda p: (p[1], p[1]))   # swapped, one for both
        ideas.append(PADDING_AXES_SWAPPED.seen(fs, [
            when(lambda c: _explicit(c["padding"]), lambda c, pick=pick: _conv(c, padding=pick(tuple(c["padding"]))))
            for pick in mixed_up]))
    if len(paddings) > 1 or padding is None:   # a padding parameter, compared with 'same' or tested for tuple
        ideas.append(IDENTITY_COMPARISON.seen(fs, static=identity_findings))
    ideas.append(FLIPPED_KERNEL.seen(fs, [lambda call: _conv(c := form(call),
                                                             kernel=np.asarray(c["kernel"])[::-1, ::-1])]))
    if strided:
        ideas.append(STRIDE_IGNORED.seen(fs, [when(lambda c: c["stride"] != (1, 1),
                                                   lambda c: _conv(c, stride=(1, 1)))]))
    if strided and not depthwise:
        ideas.append(DILATION_IGNORED.seen(fs, [when(lambda c: c["dilation"] != (1, 1),
                                                     lambda c: _conv(c, dilation=(1, 1)))]))
    if paddings != ("valid",):
        ideas.append(PADDING_IGNORED.seen(fs, [when(lambda c: c["padding"] not in ("valid", (0, 0), ((0, 0), (0, 0))),
                                                    lambda c: _conv(c, padding="valid"))]))
    return tuple(ideas) + tuple(extra) + array_misconceptions(function, channels) + (
        WINDOW_PAST_PADDED_IMAGE.seen(fs, explains=window_past),)


def window_past(call: Call, got, stage) -> bool:
    """``explains`` of :data:`WINDOW_PAST_PADDED_IMAGE`: the call raised the error of a window cut short."""
    return stage == Stage.RUNS and window_error(got)


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


def array_misconceptions(function: str, channels: bool = True) -> tuple[Misconception, ...]:
    """The wrong ideas any function returning a batch of images can show (an array of 3 or 4 dimensions;
    ``channels``: of 4, the last one channels), and :func:`every_function`'s."""
    fs = (function,)

    def cut(index):
        return lambda call: None if (w := _array(call)) is None else w[index]

    def channels_first(call):
        w = _array(call)
        return np.ascontiguousarray(np.moveaxis(w, -1, 1)) if w is not None and w.ndim == 4 else None

    return (
        INTEGER_TRUNCATION.seen(fs, [lambda call: None if (w := _array(call)) is None else np.trunc(w),
                                     _truncated_as_input]),
    ) + ((CHANNELS_FIRST.seen(fs, [channels_first]),) if channels else ()) + (
        MISSING_LAST.seen(fs, [cut(np.s_[:, :-1]), cut(np.s_[:, :, :-1]), cut(np.s_[:, :-1, :-1])]),
        INPUT_MUTATED.seen(fs, explains=_mutated),
    )


def _mutated(call: Call, got, stage) -> bool:
    return stage == Stage.UNCHANGED


def every_function(*functions: str, identity: bool = True, mutated: bool = True) -> tuple[Misconception, ...]:
    """The ideas any function can show: ``is`` for ``==`` in its source (where it takes a string or a
    choice of types, ``identity``), and changing its inputs (where it takes arrays, ``mutated``)."""
    return (((IDENTITY_COMPARISON.seen(functions, static=identity_findings),) if identity else ())
            + ((INPUT_MUTATED.seen(functions, explains=_mutated),) if mutated else ()))


# ------------------------------------------------------------------------------------------------ points

#: Correctness points by difficulty, twice the level: 1, a few numbers by hand or one NumPy call (the
#: by-hand example, global average pooling); 2, one formula or one loop (output sizes, parameter counts,
#: the shapes of a small CNN, 'valid' convolution); 3, a loop and an edge rule ('same' and explicit
#: padding, pooling with 'same' windows); 4, the general strided, dilated form (grayscale, channels,
#: depthwise); 5, a bank of filters or the adjoint (convolve, convolve_transpose). Rule points
#: (:data:`~.policy.RULE_POINTS`) and tier points come on top.
DIFFICULTY_POINTS = {1: 2.0, 2: 4.0, 3: 6.0, 4: 8.0, 5: 10.0}

#: Points for the measured tier, the same for every exercise with a workload (speed is not difficulty).
TIER_POINTS = 2.0


def points(level: int, tier: bool = False) -> Points:
    """The points of an exercise of difficulty ``level`` (:data:`DIFFICULTY_POINTS`), with ``tier`` points
    where a workload measures one."""
    return Points(correctness=DIFFICULTY_POINTS[level], tier=TIER_POINTS if tier else 0.0)
