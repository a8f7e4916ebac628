"""Instant feedback in the notebook: ``from autograder import check``, then ``check(convolve)``.

(This module is ``notebook``, not ``check``, so that importing it never replaces the package's ``check``
function with a module.)

Runs the exercise's public cases and a few hidden ones in the student's own kernel (this is for learning,
not defence: the hardened path is ``convcourse grade``), with the same staged checks, messages and
diagnoses as the grader. In Jupyter it shows an HTML report with, for each failed public case, a picture
of what was expected, what came back and where they differ; elsewhere it prints text.

>>> check(convolve_grayscale_valid)                                    # doctest: +SKIP
>>> check("correlate_by_hand", output_00=1, output_full=my_answer)     # doctest: +SKIP
"""

from __future__ import annotations

import base64
import copy
import io
import os
from collections import Counter

import numpy as np

from . import registry
from .cases import Case, hidden_cases, public_cases
from .diagnose import hint, judge, ranked
from .expected import expected
from .formats.html import exercise_html
from .results import CaseResult, ExerciseResult
from .sandbox import Outcome

__all__ = ["check", "CheckReport"]


class CheckReport:
    """What :func:`check` found: an :class:`~autograder.results.ExerciseResult` and pictures."""

    def __init__(self, result: ExerciseResult, pictures: dict[str, str]):
        self.result = result
        self.pictures = pictures

    @property
    def passed(self) -> bool:
        return self.result.passed == self.result.total

    def _repr_html_(self) -> str:
        return exercise_html(self.result, self.pictures)

    def __str__(self) -> str:
        r = self.result
        lines = [f"{r.slug}: {r.passed} of {r.total} cases pass", r.message]
        for c in r.cases:
            mark = "ok  " if c.passed else "FAIL"
            lines.append(f"  {mark} {c.name:10} {'' if c.passed else c.stage + ': ' + c.message}")
        return "\n".join(lines)


def _exercise_for(target) -> tuple[registry.Exercise, str | None]:
    name = target if isinstance(target, str) else getattr(target, "__name__", "")
    for exercise in registry.EXERCISES:
        if name == exercise.slug:
            return exercise, None
        if name in exercise.names:
            return exercise, name
    known = ", ".join(n for e in registry.EXERCISES for n in e.names if e.functions)
    raise ValueError(f"check: {name!r} is not an exercise function; expected one of {known}")


def _run(fn, case: Case) -> Outcome:
    args = copy.deepcopy(case.args)
    try:
        value = fn(*[("".join(list(a)) if type(a) is str else a) for a in args])
    except Exception as exc:  # noqa: BLE001 - the student's error is the feedback
        return Outcome(False, error={"type": type(exc).__name__, "message": str(exc)[:500]})
    return Outcome(True, value=value, args_after=tuple(args))


def _picture(want: np.ndarray, got) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None

    def plane(a):
        a = np.asarray(a, dtype=np.float64)
        while a.ndim > 2:
            a = a[0] if a.shape[0] and a.ndim > 3 else (a[0] if a.ndim == 3 and a.shape[-1] > 4 else a[..., 0])
        return a

    panels = [("expected", plane(want))]
    if isinstance(got, np.ndarray) and got.dtype.kind in "biuf" and got.ndim == want.ndim:
        g = plane(got)
        panels.append(("received", g))
        if g.shape == panels[0][1].shape:
            panels.append(("where they differ", np.abs(g - panels[0][1]) > 1e-6 * (1 + np.abs(panels[0][1]))))
    fig, axes = plt.subplots(1, len(panels), figsize=(2.6 * len(panels), 2.6))
    values = [p[1] for p in panels if p[1].dtype != bool]
    lo = min(float(v.min()) for v in values)
    hi = max(float(v.max()) for v in values)
    for ax, (title, img) in zip(np.atleast_1d(axes), panels):
        if img.dtype == bool:   # fixed scale: an all-different mask must show red, not a blank square
            ax.imshow(img, cmap="Reds", vmin=0, vmax=1)
        else:                   # one colour scale for expected and received, so colours compare
            ax.imshow(img, cmap="viridis", vmin=lo, vmax=hi)
        ax.set_title(f"{title}\n{img.shape[0]}x{img.shape[1]}", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f"<img alt='expected, received and where they differ (first image)' src='data:image/png;base64,{data}'/>"


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and shell.__class__.__name__ == "ZMQInteractiveShell"


def _perf(exercise, fn) -> tuple[str, str]:
    """In-kernel timing of ``fn`` against the reference on the exercise's workload: (tier, HTML/text).

    For learning only (the hardened measurement is ``convcourse grade``): same workload, fresh inputs for
    every call, the reference single-threaded, median of five.
    """
    import statistics
    import time

    from .reference import single_threaded
    from .tiers import CANONICAL_RATIOS, WORKLOADS, classify, workload_args

    wl = WORKLOADS[exercise.tier_workload]
    spec = exercise.functions[0]
    rng = np.random.default_rng(0)
    fn(*workload_args(spec, wl.make(rng, 1)))
    mine, ref = [], []
    for _ in range(5):
        args = workload_args(spec, wl.make(rng, wl.m))
        with single_threaded():
            t0 = time.perf_counter()
            spec.reference(*args)
            ref.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            fn(*args)
            mine.append(time.perf_counter() - t0)
    ratio = statistics.median(mine) / statistics.median(ref)
    tier = classify(ratio, exercise.tier_workload)
    text = (f"Tier: {tier}: {statistics.median(mine) * 1e3:.2f} ms against the reference's "
            f"{statistics.median(ref) * 1e3:.2f} ms ({ratio:.1f}x) on {wl.m} images")
    bars = dict(CANONICAL_RATIOS.get(exercise.tier_workload, {}))
    bars["you"] = ratio
    return tier, text + _bar_chart(bars, exercise.tier_workload)


def _bar_chart(ratios: dict[str, float], workload: str) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return ""
    from .tiers import THRESHOLDS

    names = list(ratios)
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(names) + 1))
    ax.barh(names, [max(ratios[n], 0.1) for n in names],
            color=["#cf222e" if n == "you" else "#8c959f" for n in names])
    ax.set_xscale("log")
    for tier, bound in THRESHOLDS[workload]:
        ax.axvline(bound, color="#0969da", lw=0.8, ls="--")
        ax.text(bound, len(names) - 0.5, f" {tier} | ", fontsize=7, ha="right", color="#0969da")
    ax.set_xlabel("time / reference time (log scale; shorter is faster)")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return ("<br/><img alt='your time against the reference and the canonical implementations' "
            f"src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'/>")


def check(target, *, hidden: int = 3, student: str | None = None, show: bool = True, perf: bool = False,
          **answers):
    """Check one exercise function (or the answers of a by-hand exercise) and show the report.

    Parameters
    ----------
    target : function or str
        The student's function (found by its catalogue name), or an exercise slug.
    hidden : int
        How many hidden cases to add to the public ones (default 3).
    student : str, optional
        Seeds the hidden cases (default ``$CONVCOURSE_STUDENT`` or "practice").
    show : bool
        Display the report (HTML in Jupyter, text elsewhere) and return None; with ``show=False`` return
        the :class:`CheckReport` instead.
    perf : bool
        When every case passes, also time the function against the reference and show its tier with a
        chart of where it stands among the canonical implementations.
    **answers
        For exercises answered with numbers: ``output_00=..., output_full=...``.
    """
    exercise, only = _exercise_for(target)
    student = student or os.environ.get("CONVCOURSE_STUDENT", "practice")
    cases = public_cases(exercise.slug) + hidden_cases(exercise.slug, student)[:hidden] if exercise.functions \
        else public_cases(exercise.slug)
    if only is not None and exercise.functions:
        cases = [c for c in cases if c.function == only]
    results, diagnoses, pictures, first_fail = [], Counter(), {}, None
    for case in cases:
        if case.is_answer:
            outcome = Outcome(True, value=answers[case.function]) if case.function in answers else \
                Outcome(False, error={"type": "NameError", "message": f"pass {case.function}=... to check()"})
        else:
            fn = target if callable(target) and getattr(target, "__name__", "") == case.function else None
            outcome = _run(fn, case) if fn else Outcome(False, error={"type": "NameError",
                                                                     "message": f"pass {case.function} to check()"})
        want = expected(case)
        spec_names = tuple(p.name for p in registry.get(exercise.slug).function(case.function).params) \
            if not case.is_answer else ()
        verdict, found = judge(case, want, outcome, spec_names)
        diagnoses.update(found)
        if not verdict.passed and outcome.ok and not case.is_answer:
            if not case.hidden and isinstance(want, np.ndarray):
                pic = _picture(want, outcome.value)
                if pic:
                    pictures[case.name] = pic
        if not verdict.passed and first_fail is None:
            first_fail = verdict
        results.append(CaseResult(case.name, case.hidden, verdict.passed, verdict.stage, verdict.message,
                                  function=case.function, note=case.note))
    passed = sum(r.passed for r in results)
    ordered = ranked(diagnoses)
    if first_fail is not None and first_fail.message.endswith("is not implemented yet"):
        message = "Not implemented yet: write the function, then run this check again."
    elif passed == len(results):
        message = f"All {len(results)} cases pass."
    else:
        message = f"{passed} of {len(results)} cases pass. {first_fail.message}."
        if ordered:
            message += f" Likely cause: {hint(ordered[0])}"
    score = exercise.points.correctness * passed / max(len(results), 1)
    result = ExerciseResult(exercise.slug, "passed" if passed == len(results) else "failed", round(score, 4),
                            exercise.points.correctness, passed, len(results), diagnoses=ordered, message=message,
                            cases=results)
    if perf and passed == len(results) and exercise.tier_workload and callable(target):
        result.tier, perf_html = _perf(exercise, target)
        result.message += " " + perf_html.split("<br/>")[0]
        pictures["perf"] = perf_html
    report = CheckReport(result, pictures)
    if not show:
        return report
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(report._repr_html_()))
    else:
        print(report)
    return None
