"""What kind of case a case is, in words read from its arguments (an even kernel, a stride > 1, uint8
images): never its values. The pattern a diagnosis reports across cases is told in these words, and a
hidden case says which kind it is in them, so that a student learns what failed without the inputs.
"""

from __future__ import annotations

import numpy as np

from ..exercises.model import Exercise
from .cases import Case

__all__ = ["features", "case_kind"]


def _pair(value):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return int(value[0]), int(value[1])
    return None


def features(case: Case, exercise: Exercise | None = None) -> tuple[str, ...]:
    """What kind of case ``case`` is, as phrases that follow "every case" ("with an even kernel", "with
    uint8 images", "of `dense_params`"): the kinds a pattern of failures is told in. Never its values."""
    if case.is_answer:
        return ()
    args = case.named
    out = []
    if exercise is not None and len(exercise.functions) > 1:
        out.append(f"of `{case.function}`")
    kernel = next((args[k] for k in ("kernel", "kernels", "kernel_shape", "k") if k in args), None)
    dims = np.shape(kernel)[:2] if isinstance(kernel, np.ndarray) and np.ndim(kernel) >= 2 else _pair(kernel)
    if dims:
        kh, kw = dims
        if kh % 2 == 0 or kw % 2 == 0:
            out.append("with an even kernel")
        if kh != kw:
            out.append("with a non-square kernel")
        if (kh, kw) == (1, 1):
            out.append("with a 1x1 kernel")
    stride = _pair(args.get("stride"))
    if stride and stride != (1, 1):
        out.append("with a stride > 1")
    padding = args.get("padding")
    if isinstance(padding, str):
        out.append(f"with {padding!r} padding")
    elif padding is not None and _pair(padding) != (0, 0) and padding != ((0, 0), (0, 0)):
        out.append("with explicit padding")
    dilation = _pair(args.get("dilation"))
    if dilation and dilation != (1, 1):
        out.append("with a dilation > 1")
    images = args.get("images")
    if isinstance(images, np.ndarray):
        if images.dtype != np.float64:
            out.append(f"with {images.dtype} images")
        if images.ndim >= 3 and images.shape[1] != images.shape[2]:
            out.append("with non-square images")
        if images.shape[:1] == (1,):
            out.append("with a batch of one")
    if isinstance(args.get("mode"), str):
        out.append(f"with {args['mode']!r} pooling")
    if args.get("use_bias") is False:
        out.append("with use_bias=False")
    if isinstance(args.get("depth_multiplier"), int) and args["depth_multiplier"] > 1:
        out.append("with a depth multiplier > 1")
    return tuple(out)


def case_kind(case: Case) -> str:
    """The case's kind as a phrase (``'same' padding, an even kernel, a stride > 1``), '' when it has none."""
    return ", ".join(f.removeprefix("with ") for f in features(case))
