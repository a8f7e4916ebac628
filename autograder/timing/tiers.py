"""Performance tiers (SPEC §3): the standard workloads and the thresholds on ``r = t_student / t_reference``.

Tiers, from slowest: ``loops``, ``vectorized``, ``fast``, ``reference-class``; ``too-slow`` when the
workload would not finish in its time limit. The thresholds come from canonical implementations
(``benchmarks/canonical/``, measured by ``python benchmarks/tiers.py``): pure Python loops land in
``loops``, loops over output positions with numpy inside in ``vectorized``, loops over kernel positions
and a ``sliding_window_view``/``einsum`` version in ``fast``, the reference itself in ``reference-class``,
each a wide margin from the thresholds around it (see ``docs/performance.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["Workload", "WORKLOADS", "THRESHOLDS", "TIER_POINTS", "tier_points", "classify", "workload_args"]

#: Upper bounds of r for each tier, fastest first, per workload; above the last bound a submission is
#: ``loops``. Each bound is near the geometric mean of the median ratios of the canonical classes on either
#: side of it (``python benchmarks/tiers.py``, docs/performance.md). On the bank workload a BLAS-backed
#: einsum runs within 2x of the reference (both are near this machine's float64 GEMM rate), so its
#: reference-class bound sits closer. channels, depthwise and transpose have no canonical implementations
#: of their own yet and use the bank's bounds.
THRESHOLDS = {
    "gray": (("reference-class", 1.6), ("fast", 15.0), ("vectorized", 95.0)),
    "bank": (("reference-class", 1.7), ("fast", 10.0), ("vectorized", 190.0)),
    "pool": (("reference-class", 1.8), ("fast", 5.0), ("vectorized", 57.0)),
}
THRESHOLDS["channels"] = THRESHOLDS["depthwise"] = THRESHOLDS["transpose"] = THRESHOLDS["bank"]

#: Share of an exercise's tier points each tier earns.
TIER_POINTS = {"reference-class": 1.0, "fast": 1.0, "vectorized": 0.5, "loops": 0.25, "too-slow": 0.0}


def tier_points(exercise, tier: str | None) -> float:
    """The points ``exercise`` (a registry Exercise) gives for ``tier``; none when no tier was measured."""
    return exercise.points.tier * TIER_POINTS[tier] if tier else 0.0

#: A workload whose student run would take longer than this (predicted from the probe) is ``too-slow``.
MAX_SECONDS = 20.0

#: Seconds the timed calls of one exercise should take at most (the batch shrinks for slow submissions).
TIME_BUDGET = 3.0

#: When the probe's ratio is more than this many times the slowest tier's bound, the probe alone decides
#: (``loops``): repeats could not bring it back across the bound.
PROBE_ONLY_MARGIN = 3.0


#: Median ratios of the canonical implementations in the calibration run (docs/tiers.md), shown
#: next to a student's own in ``check(fn, perf=True)``.
CANONICAL_RATIOS = {
    "gray": {"pure loops": 429.0, "loops over output positions": 27.6, "sliding_window + einsum": 6.3,
             "loops over kernel positions": 2.5, "reference": 1.0},
    "bank": {"pure loops": 1641.0, "loops over output positions": 45.4, "loops over kernel positions": 2.2,
             "sliding_window + einsum": 2.2, "reference": 1.0},
    "pool": {"pure loops": 579.0, "loops over output positions": 8.9, "sliding_window + einsum": 3.2,
             "loops over kernel positions": 2.3, "reference": 1.0},
}


def classify(ratio: float, workload: str = "gray") -> str:
    """The tier of a ratio ``t_student / t_reference`` on ``workload``."""
    for tier, bound in THRESHOLDS[workload]:
        if ratio <= bound:
            return tier
    return "loops"


@dataclass(frozen=True)
class Workload:
    """A standard workload: ``make(rng, m)`` returns the named inputs for a batch of ``m`` images.

    ``probe`` is the small batch timed first, to stop early when a submission is hopelessly slow.
    """

    name: str
    m: int
    probe: int
    make: Callable[[np.random.Generator, int], dict]


def _gray(rng, m):
    return {"images": rng.standard_normal((m, 28, 28)), "kernel": rng.standard_normal((3, 3))}


def _channels(rng, m):
    return {"images": rng.standard_normal((m, 28, 28, 3)), "kernel": rng.standard_normal((3, 3, 3))}


def _bank(rng, m):
    return {"images": rng.standard_normal((m, 28, 28, 8)), "kernels": rng.standard_normal((3, 3, 8, 16))}


def _pool(rng, m):
    return {"images": rng.standard_normal((m, 28, 28, 16)), "kernel_shape": (2, 2), "stride": (2, 2)}


def _depthwise(rng, m):
    return {"images": rng.standard_normal((m, 28, 28, 8)), "kernels": rng.standard_normal((3, 3, 8, 1))}


def _transpose(rng, m):
    return {"images": rng.standard_normal((m, 14, 14, 8)), "kernels": rng.standard_normal((3, 3, 8, 8)),
            "stride": (2, 2)}


WORKLOADS = {
    "gray": Workload("gray", m=64, probe=4, make=_gray),
    "channels": Workload("channels", m=32, probe=2, make=_channels),
    "bank": Workload("bank", m=16, probe=1, make=_bank),
    "pool": Workload("pool", m=32, probe=2, make=_pool),
    "depthwise": Workload("depthwise", m=16, probe=1, make=_depthwise),
    "transpose": Workload("transpose", m=16, probe=1, make=_transpose),
}

def workload_args(spec, values: dict) -> tuple:
    """Positional arguments for ``spec`` (a registry FunctionSpec) from a workload's named inputs.

    Parameters the workload does not set take their catalogue default ('same' for the convolutions); the
    explicit-padding task, whose padding has no default, gets one zero on each side. Trailing added
    parameters at their default are left out, so older signatures take the call too.
    """
    from ..exercises.registry import REQUIRED

    args = []
    for p in spec.params:
        if p.name in values:
            args.append(values[p.name])
        elif p.default is REQUIRED:
            if p.name != "padding":
                raise KeyError(f"workload gives no {p.name} for {spec.name}")
            args.append((1, 1))
        else:
            args.append(p.default)
    while args and spec.params[len(args) - 1].added and args[-1] == spec.params[len(args) - 1].default:
        args.pop()
    return tuple(args)
