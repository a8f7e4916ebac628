"""The worked examples of the course, computed by the reference and printed for ``convcourse examples``."""

from __future__ import annotations

import numpy as np

from .. import reference as R
from ..reference.examples import CLASSIC_IMAGE, POOL_EXAMPLE, POOL_SPOT_THE_MISTAKE, VERTICAL_EDGE, classic_batch

__all__ = ["worked_examples", "print_worked_examples"]


def _grid(a) -> str:
    a = np.asarray(a)
    cells = [[f"{v:g}" for v in row] for row in a]
    width = max(len(c) for row in cells for c in row)
    return "\n".join("    [" + " ".join(c.rjust(width) for c in row) + "]" for row in cells)


def worked_examples() -> list[tuple[str, str]]:
    """(title, text) pairs: every worked example, its inputs and the reference's answer."""
    conv = R.convolve_grayscale_valid(classic_batch(CLASSIC_IMAGE), VERTICAL_EDGE)[0]
    pool_a = R.pool(classic_batch(POOL_EXAMPLE, channels=True), (2, 2), (2, 2), "max")[0, :, :, 0]
    pool_b = R.pool(classic_batch(POOL_SPOT_THE_MISTAKE, channels=True), (2, 2), (2, 2), "max")[0, :, :, 0]
    window = CLASSIC_IMAGE[:3, :3]
    products = " + ".join(f"{a:g}*{b:g}" if b >= 0 else f"{a:g}*({b:g})" for a, b in zip(window.ravel(), VERTICAL_EDGE.ravel()))
    sizes = [(n, k, R.conv_output_size(n, k)) for n, k in ((28, 3), (28, 5), (26, 3), (13, 3))]
    pooled = [(n, R.conv_output_size(n, 2, "valid", 2)) for n in (26, 11, 24)]
    return [
        ("Convolution by hand: the 5x5 image and the 3x3 vertical-edge kernel ('valid')",
         f"  image:\n{_grid(CLASSIC_IMAGE)}\n  kernel:\n{_grid(VERTICAL_EDGE)}\n"
         f"  output[0, 0] = {products} = {conv[0, 0]:g}\n  output:\n{_grid(conv)}"),
        ("Max pooling 2x2, stride 2",
         f"  input:\n{_grid(POOL_EXAMPLE)}\n  output:\n{_grid(pool_a)}"),
        ("Spot the mistake: max pooling 2x2, stride 2 (a source printed [[3 2] [4 5]])",
         f"  input:\n{_grid(POOL_SPOT_THE_MISTAKE)}\n  output:\n{_grid(pool_b)}"),
        ("Output sizes ('valid', stride 1) and 2x2/2 pooling",
         "  " + ", ".join(f"{n} -> {o} ({k}x{k})" for n, k, o in sizes) + "\n  "
         + ", ".join(f"{n} -> {o}" for n, o in pooled)),
        ("Parameters: Conv2D vs Dense",
         f"  Conv2D(32, 3x3) on 28x28x1:   {R.conv_params(3, 3, 1, 32):>9,}\n"
         f"  Conv2D(64, 3x3) on 13x13x32:  {R.conv_params(3, 3, 32, 64):>9,}\n"
         f"  Dense(128) on 784 inputs:     {R.dense_params(784, 128):>9,}\n"
         f"  Dense(676) on 784 inputs:     {R.dense_params(784, 676):>9,}  (as many outputs as a 26x26 map)"),
    ]


def print_worked_examples() -> None:
    for title, text in worked_examples():
        print(f"\n{title}\n{text}")


# ------------------------------------------------------------------ inputs and answers for the lessons' cells

#: The worked examples' inputs by the name a lesson cell asks for.
_INPUTS = {"classic image": CLASSIC_IMAGE, "vertical edge": VERTICAL_EDGE, "pool example": POOL_EXAMPLE,
           "pool spot the mistake": POOL_SPOT_THE_MISTAKE}


def example(name: str) -> np.ndarray:
    """A copy of a worked example's input (``"classic image"``, ``"vertical edge"``, ``"pool example"``,
    ``"pool spot the mistake"``): the grader's public cases are made from the same arrays, so a lesson cell
    that changes its copy changes no case."""
    try:
        return _INPUTS[name].copy()
    except KeyError:
        raise ValueError(f"example: no worked example {name!r}; expected one of {', '.join(map(repr, _INPUTS))}") \
            from None


def spot_the_mistake_answer() -> np.ndarray:
    """The right 2x2 max pool, stride 2, of the "spot the mistake" input, by the reference: (2, 2)."""
    return R.pool(classic_batch(POOL_SPOT_THE_MISTAKE, channels=True), (2, 2), (2, 2), "max")[0, :, :, 0]


def padded_average_of_ones(n: int = 5, window: int = 3, stride: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """'same' average pooling of an all-ones n x n image, by the reference, two ways: padded cells left out
    (TensorFlow, the course) and counted as zeros (PyTorch's ``count_include_pad=True`` default)."""
    ones = np.ones((1, n, n, 1))
    excluded = R.pool(ones, (window, window), (stride, stride), "avg", padding="same")[0, :, :, 0]
    # counted: the sum of each padded window over all its window x window cells
    g = R.axis_geometry(n, window, "same", stride)
    sums = R.convolve_grayscale(ones[..., 0], np.ones((window, window)), padding=((g.before, g.after),) * 2,
                                stride=(stride, stride))[0]
    return excluded, sums / window ** 2
