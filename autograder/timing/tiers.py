"""Performance tiers (SPEC §3): from ``r = t_student / t_reference`` on an exercise's workload to a tier.

Tiers, from slowest: ``loops``, ``vectorized``, ``fast``, ``reference-class``; ``too-slow`` when the
workload would not finish in its time limit. Each workload (:class:`~autograder.exercises.model.Workload`,
defined with its exercises) carries its own bounds, set from canonical implementations
(``benchmarks/canonical/``, measured by ``python benchmarks/tiers.py``, docs/tiers.md): pure Python loops
land in ``loops``, loops over output positions with numpy inside in ``vectorized``, loops over kernel
positions and a ``sliding_window_view``/``einsum`` version in ``fast``, the reference itself in
``reference-class``, each a wide margin from the bounds around it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..exercises.model import REQUIRED, Workload
from ..grading.results import Tier

__all__ = ["TIER_SHARE", "MAX_SECONDS", "TIME_BUDGET", "ONE_CALL_MARGIN", "classify", "workload_args",
           "canonical_ratios", "workloads"]

#: Share of an exercise's tier points each tier earns.
TIER_SHARE = {Tier.REFERENCE_CLASS: 1.0, Tier.FAST: 1.0, Tier.VECTORIZED: 0.5, Tier.LOOPS: 0.25, Tier.TOO_SLOW: 0.0}

#: A workload whose student run would take longer than this (predicted from the probe) is ``too-slow``.
MAX_SECONDS = 20.0

#: Seconds the timed calls of one exercise should take at most (the batch shrinks for slow submissions):
#: a call of 10 ms or more gets fewer than 16 a request (the conv-backward model solution, 21 ms, gets 6).
TIME_BUDGET = 0.75

#: When one whole-workload call's ratio is more than this many times the slowest tier's bound, that call
#: alone decides (``loops``): repeats could not bring it back across the bound.
ONE_CALL_MARGIN = 3.0


def classify(ratio: float, workload: Workload) -> Tier:
    """The tier of a ratio ``t_student / t_reference`` on ``workload``."""
    for tier, bound in workload.bounds:
        if ratio <= bound:
            return tier
    return Tier.LOOPS


def workloads() -> dict[str, Workload]:
    """Every workload of the catalogue, by name."""
    from ..exercises.registry import EXERCISES

    return {e.workload.name: e.workload for e in EXERCISES if e.workload is not None}


@cache
def _canonical() -> dict:
    return json.loads((Path(__file__).with_name("canonical.json")).read_text())["ratios"]


def canonical_ratios(workload: Workload) -> dict[str, float]:
    """Median ratios of the canonical implementations on ``workload`` in the calibration run
    (``canonical.json``, written with docs/tiers.md by ``python benchmarks/tiers.py --write``); empty
    for a workload without canonical implementations."""
    return dict(_canonical().get(workload.name, {}))


def workload_args(spec, values: dict) -> tuple:
    """Positional arguments for ``spec`` (a catalogue FunctionSpec) from a workload's named inputs.

    Parameters the workload does not set take their catalogue default ('same' for the convolutions); the
    explicit-padding task, whose padding has no default, gets one zero on each side. Trailing added
    parameters at their default are left out, so older signatures take the call too.
    """
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
