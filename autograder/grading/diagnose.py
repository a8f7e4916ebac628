"""Misconception diagnosis (SPEC §3, ids of SPEC §5): which known wrong idea produced this wrong answer?

For a failed case, each misconception predicts what a student holding it would have returned, computed
with the reference and altered arguments (a padding rule, a swapped stride, a flipped kernel...). A
prediction that differs from the right answer and matches the student's output names the misconception.
Most of these mistakes keep the output shape (the even-kernel 'same' padding bug shifts values by one
pixel), so the match is on values, not only shapes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import reference as R
from .cases import Case
from .compare import check, close_enough
from .expected import named_args, terms

__all__ = ["Misconception", "MISCONCEPTIONS", "diagnose", "judge", "hint", "ranked"]


@dataclass(frozen=True)
class Misconception:
    id: str
    hint: str


MISCONCEPTIONS = {m.id: m for m in [
    Misconception("even-kernel-symmetric-padding",
                  "With an even kernel (or stride > 1) the 'same' zeros cannot be split evenly: Keras and TensorFlow "
                  "put the extra zero after, below and right. out = ceil(n / s), total = max((out - 1) * s + k - n, 0), "
                  "before = total // 2, after = total - before."),
    Misconception("same-padding-plus-one",
                  "Your 'same' padding is ((h - 1) * s + k - h) // 2 + 1: the + 1 adds one zero too many on each side "
                  "(a 28x28 image comes out 30x30). Use out = ceil(n / s), total = max((out - 1) * s + k - n, 0), "
                  "before = total // 2, after = total - before."),
    Misconception("same-keeps-input-size",
                  "'same' keeps the input size only at stride 1: with stride s there are ceil(n / s) output rows."),
    Misconception("same-padding-ignores-stride",
                  "Your 'same' padding is the stride-1 amount; with stride s the total is "
                  "max((ceil(n / s) - 1) * s + k - n, 0)."),
    Misconception("kh-kw-swapped",
                  "Height and width are swapped somewhere: kh = kernel.shape[0] goes with the rows (h), "
                  "kw = kernel.shape[1] with the columns (w)."),
    Misconception("stride-axes-swapped",
                  "stride is (sh, sw): sh steps down the rows, sw across the columns; yours are the other way round."),
    Misconception("identity-comparison",
                  "`is` asks whether two names are the same object, not whether values are equal: `padding is 'same'` "
                  "is False for a string made at run time. Use == for values and isinstance(padding, tuple) for types."),
    Misconception("flipped-kernel",
                  "You flipped the kernel (true convolution). CNN layers, and this course, cross-correlate: multiply "
                  "each window by the kernel as it is."),
    Misconception("stride-ignored",
                  "The stride is ignored: output (i, j) reads the window at (i * sh, j * sw)."),
    Misconception("dilation-ignored",
                  "Dilation is ignored: kernel tap (a, b) reads the image at (a * dh, b * dw) from the window's corner, "
                  "and the kernel spans (k - 1) * d + 1 pixels."),
    Misconception("padding-ignored",
                  "The padding is not applied: pad the images with zeros (np.pad) before sliding the kernel."),
    Misconception("avg-counts-padding",
                  "Your average counts the padded zeros; in 'same' pooling only the cells inside the image count "
                  "(TensorFlow's rule)."),
    Misconception("max-avg-swapped", "mode 'max' and 'avg' are swapped."),
    Misconception("integer-truncation",
                  "The output was computed or stored as integers: products and averages lose their fractions (or "
                  "wrap around in uint8). Allocate a float output, e.g. np.zeros(shape), not np.zeros_like(images)."),
    Misconception("channels-first",
                  "Your output is channels-first (m, c, h, w); this course is channels-last (m, h, w, c)."),
    Misconception("missing-last-row-or-column",
                  "The last output row or column is missing: there are (n + before + after - k_eff) // s + 1 positions, "
                  "so loop over range(out), not range(n - k)."),
    Misconception("input-mutated",
                  "Your function changes its input arrays in place; callers expect them unchanged. Work on a copy "
                  "(np.pad already returns one)."),
]}


def hint(diagnosis_id: str) -> str:
    return MISCONCEPTIONS[diagnosis_id].hint


def ranked(counts) -> list[str]:
    """Diagnosis ids by how many cases each explains; ties go to the more specific idea (SPEC §5 order)."""
    rank = {d: i for i, d in enumerate(MISCONCEPTIONS)}
    return sorted(counts, key=lambda d: (-counts[d], rank.get(d, 99)))


# ------------------------------------------------------------------ reference calls with altered arguments

_GENERAL = {
    "convolve_grayscale_valid": (R.convolve_grayscale, "valid"),
    "convolve_grayscale_same": (R.convolve_grayscale, "same"),
    "convolve_grayscale_padding": (R.convolve_grayscale, None),
    "convolve_grayscale": (R.convolve_grayscale, None),
    "convolve_channels": (R.convolve_channels, None),
    "convolve": (R.convolve, None),
    "depthwise_convolve": (R.depthwise_convolve, None),
}


def _conv_values(case: Case) -> dict | None:
    """images, kernel, padding, stride, dilation of a convolution case (None for other functions)."""
    if case.function not in _GENERAL:
        return None
    v = named_args(case)
    fn, fixed = _GENERAL[case.function]
    return {"fn": fn, "images": v["images"], "kernel": v.get("kernel", v.get("kernels")),
            "padding": fixed or v.get("padding", "same"), "stride": _pair(v.get("stride", (1, 1))),
            "dilation": _pair(v.get("dilation", (1, 1))), "depthwise": case.function == "depthwise_convolve"}


def _pair(x):
    return (x, x) if isinstance(x, int) else tuple(x)


def _conv(c: dict, **over):
    d = dict(c, **over)
    if d["depthwise"]:
        if d["dilation"] != (1, 1):
            return None
        return d["fn"](d["images"], d["kernel"], d["padding"], d["stride"])
    return d["fn"](d["images"], d["kernel"], d["padding"], d["stride"], d["dilation"])


def _axis_sizes(c: dict):
    images = np.asarray(c["images"])
    k = np.asarray(c["kernel"]).shape[:2]
    return [(images.shape[1 + a], k[a], c["stride"][a], c["dilation"][a]) for a in (0, 1)]


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


def _predictions(case: Case, want) -> dict[str, list]:
    """Diagnosis id -> outputs a student with that misconception could have returned."""
    preds: dict[str, list] = {}

    def add(key, fn: Callable[[], object]):
        try:
            value = fn()
        except (ValueError, IndexError, TypeError):
            return
        if value is not None:
            preds.setdefault(key, []).append(value)

    c = _conv_values(case)
    if c is not None:
        # With odd kernels the symmetric forms are the stride-1 'same' amounts: that misconception is
        # same-padding-ignores-stride, so these predictions are for even (effective) kernels only.
        if any((k - 1) * d % 2 == 1 for _, k, _, d in _axis_sizes(c)):
            for rule in ("floor", "ceil", "crop"):
                add("even-kernel-symmetric-padding", lambda rule=rule: _same_variant(c, rule))
        add("same-padding-plus-one", lambda: _same_variant(c, "plus_one"))
        if c["stride"] != (1, 1):
            add("same-padding-ignores-stride", lambda: _same_variant(c, "stride1"))
            add("stride-ignored", lambda: _conv(c, stride=(1, 1)))
        if c["stride"][0] != c["stride"][1]:
            add("stride-axes-swapped", lambda: _conv(c, stride=c["stride"][::-1]))
        if c["dilation"] != (1, 1):
            add("dilation-ignored", lambda: _conv(c, dilation=(1, 1)))
        if c["padding"] not in ("valid", (0, 0), ((0, 0), (0, 0))):
            add("padding-ignored", lambda: _conv(c, padding="valid"))
        k = np.asarray(c["kernel"])
        add("flipped-kernel", lambda: _conv(c, kernel=k[::-1, ::-1]))
        if k.shape[0] != k.shape[1]:
            add("kh-kw-swapped", lambda: _conv(c, kernel=np.ascontiguousarray(np.swapaxes(k, 0, 1))))
    if case.function == "pool":
        v = named_args(case)
        images, ks, st, mode, pad = v["images"], _pair(v["kernel_shape"]), _pair(v["stride"]), v["mode"], v["padding"]
        other = "avg" if mode == "max" else "max"
        add("max-avg-swapped", lambda: R.pool(images, ks, st, other, pad))
        if st != (1, 1):
            add("stride-ignored", lambda: R.pool(images, ks, (1, 1), mode, pad))
        if st[0] != st[1]:
            add("stride-axes-swapped", lambda: R.pool(images, ks, st[::-1], mode, pad))
        if ks[0] != ks[1]:
            add("kh-kw-swapped", lambda: R.pool(images, ks[::-1], st, mode, pad))
        if pad == "same" and mode == "avg":
            def counted():
                (t, b), (l, r) = [R.same_padding(n, k, s) for n, k, s in
                                  zip(np.asarray(images).shape[1:3], ks, st)]
                padded = np.pad(np.asarray(images, dtype=np.float64), ((0, 0), (t, b), (l, r), (0, 0)))
                return R.pool(padded, ks, st, "avg", "valid")
            add("avg-counts-padding", counted)
    if case.function == "conv_output_size":
        v = named_args(case)
        n, k, pad, s, d = v["n"], v["k"], v["padding"], v["stride"], v["dilation"]
        if pad == "same":
            q = ((n - 1) * s + k - n) // 2 + 1
            add("same-padding-plus-one", lambda: R.conv_output_size(n, k, q, s, d))
            if s != 1:
                add("same-keeps-input-size", lambda: n)
        if s != 1:
            add("stride-ignored", lambda: R.conv_output_size(n, k, pad, 1, d))
        if d != 1:
            add("dilation-ignored", lambda: R.conv_output_size(n, k, pad, s, 1))
        if pad not in ("valid", 0):
            add("padding-ignored", lambda: R.conv_output_size(n, k, "valid", s, d))
        add("missing-last-row-or-column", lambda: want - 1)
    if isinstance(want, np.ndarray) and want.ndim >= 3:
        add("missing-last-row-or-column", lambda: want[:, :-1])
        add("missing-last-row-or-column", lambda: want[:, :, :-1])
        add("missing-last-row-or-column", lambda: want[:, :-1, :-1])
        if want.ndim == 4:
            add("channels-first", lambda: np.ascontiguousarray(np.moveaxis(want, -1, 1)))
        images = np.asarray(named_args(case).get("images"))
        if images.dtype.kind in "iu":
            add("integer-truncation", lambda: np.trunc(want))
            add("integer-truncation", lambda: want.astype(images.dtype).astype(np.float64))
        else:
            add("integer-truncation", lambda: np.trunc(want))
    return preds


def _matches(got, pred, case: Case) -> bool:
    if isinstance(pred, np.ndarray):
        if not isinstance(got, np.ndarray) or got.shape != pred.shape or got.dtype.kind not in "biuf":
            return False
        with np.errstate(invalid="ignore"):
            return bool(close_enough(got, pred, terms(case), 1.0 + float(np.max(np.abs(pred), initial=0))).all())
    return not isinstance(got, np.ndarray) and got == pred


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and np.allclose(a, b)
    return a == b


def judge(case: Case, want, outcome, param_names: tuple[str, ...] = ()):
    """The staged verdict of one case and, when it returned a wrong answer, the misconceptions behind it.

    Shared by the grader and the notebook's ``check()``: ``(Verdict, [diagnosis ids])``.
    """
    verdict = check(case, want, outcome, param_names)
    if verdict.passed or not outcome.ok:
        return verdict, []
    if verdict.stage == "unchanged":
        return verdict, ["input-mutated"]
    return verdict, ([] if case.is_answer else diagnose(case, outcome.value, want))


def diagnose(case: Case, got, want) -> list[str]:
    """Ids of the misconceptions whose prediction for ``case`` matches the wrong answer ``got``."""
    found = []
    for key, outputs in _predictions(case, want).items():
        if any(not _same(p, want) and _matches(got, p, case) for p in outputs):
            found.append(key)
    c = _conv_values(case)
    if ("same-keeps-input-size" not in found and c is not None and c["padding"] == "same" and c["stride"] != (1, 1)
            and isinstance(got, np.ndarray) and got.ndim >= 3
            and got.shape[1:3] == np.asarray(c["images"]).shape[1:3] != want.shape[1:3]):
        found.append("same-keeps-input-size")
    return found
