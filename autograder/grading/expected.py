"""What a case should return, computed by the reference in the grader's process (never in the child)."""

from __future__ import annotations

import math

import numpy as np

from .. import reference
from ..exercises import registry
from .cases import Case
from ..reference import examples

__all__ = ["expected", "answer", "terms", "function_spec", "named_args"]


def answer(name: str):
    """Expected value of a numeric-answer variable."""
    if name in ("output_00", "output_full"):
        out = reference.convolve_grayscale_valid(examples.classic_batch(examples.CLASSIC_IMAGE), examples.VERTICAL_EDGE)[0]
        return float(out[0, 0]) if name == "output_00" else out
    table = examples.small_cnn_table()
    if name == "layer_shapes":
        return [shape for _, shape, _ in table]
    if name == "layer_params":
        return [params for _, _, params in table]
    raise KeyError(name)


def function_spec(name: str) -> registry.FunctionSpec:
    for exercise in registry.EXERCISES:
        for spec in exercise.functions:
            if spec.name == name:
                return spec
    raise KeyError(name)


def named_args(case: Case) -> dict:
    """The case's arguments by parameter name, defaults filled in."""
    spec = function_spec(case.function)
    values = {p.name: p.default for p in spec.params}
    values.update({p.name: a for p, a in zip(spec.params, case.args)})
    return values


def expected(case: Case):
    """The reference's answer to ``case``."""
    if case.is_answer:
        return answer(case.function)
    return function_spec(case.function).reference(*case.args)


def terms(case: Case) -> int:
    """How many products each output value sums (for the comparison tolerance)."""
    if case.is_answer:
        return 9
    args = named_args(case)
    images = np.asarray(args.get("images", np.zeros((1, 1, 1))))
    for key in ("kernel", "kernels"):
        if key in args:
            k = np.asarray(args[key])
            if case.function == "depthwise_convolve":
                return int(k.shape[0] * k.shape[1])
            if case.function == "convolve_transpose":
                return int(k.shape[0] * k.shape[1] * k.shape[3])
            return int(math.prod(k.shape[:3]) if k.ndim >= 3 else math.prod(k.shape))
    if "kernel_shape" in args:
        return int(math.prod(args["kernel_shape"]))
    if case.function == "global_average_pool":
        return int(images.shape[1] * images.shape[2])
    return 1
