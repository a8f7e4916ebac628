"""Calibrate and check the performance tiers with the canonical implementations.

    python benchmarks/tiers.py                 # one grading of each canonical class on each workload
    python benchmarks/tiers.py --runs 20 --busy 10   # stability: 20 gradings, 10 with the other core busy
    python benchmarks/tiers.py --functions pool_backward convolve_backward --runs 20 --busy 10 \
        --bounds conv-backward=1.6,9,130 --ratios /tmp/ratios.json   # candidate bounds, every ratio kept

Each grading goes through the real path (child process, timing from outside it, interleaved with the
reference): `autograder.timing.measure.measure_tier`. Prints each class's ratios and tiers per workload.
``--bounds`` classifies with candidate bounds instead of the catalogue's (the timing does not depend on
them, except that a single whole-workload call beyond ONE_CALL_MARGIN times the slowest bound decides).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing as mp
import os
import statistics
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from autograder.exercises import registry  # noqa: E402
from autograder.sandbox import Runner  # noqa: E402
from autograder.sandbox.isolation import Policy  # noqa: E402
from autograder.grading.submission import Submission, Source  # noqa: E402
from autograder.timing.measure import measure_tier  # noqa: E402

CANONICAL = HERE / "canonical"
CLASSES = {"pure_loops": "loops", "output_loops": "vectorized", "kernel_loops": "fast", "einsum": "fast",
           "reference": "reference-class"}
FUNCTIONS = ("convolve_grayscale_same", "convolve", "pool", "pool_backward", "convolve_backward")
#: How check(fn, perf=True) names each class beside a student's own ratio (autograder/timing/canonical.json).
LABELS = {"pure_loops": "pure loops", "output_loops": "loops over output positions",
          "kernel_loops": "loops over kernel positions", "einsum": "sliding_window + einsum", "reference": "reference"}


def _spin(stop):
    """The busy other core. Forked from this process on purpose: while it lives, every page of the
    grader's heap is copy-on-write, as it is for a moment each time a grading starts a child, so the
    timing must stand that too (docs/tiers.md, run 3)."""
    x = 0
    while not stop.is_set():
        x += 1


def exercise_of(fn: str):
    return next(e for e in registry.EXERCISES if fn in e.names)


def parse_bounds(items) -> dict:
    """``["pool=1.8,5,57", ...]`` -> ``{"pool": ((Tier.REFERENCE_CLASS, 1.8), (Tier.FAST, 5.0), ...)}``."""
    from autograder.grading.results import Tier

    tiers = (Tier.REFERENCE_CLASS, Tier.FAST, Tier.VECTORIZED)
    out = {}
    for item in items or ():
        name, _, values = item.partition("=")
        bounds = tuple(float(v) for v in values.split(","))
        if len(bounds) != len(tiers) or list(bounds) != sorted(bounds):
            raise SystemExit(f"--bounds {item}: want WORKLOAD=reference,fast,vectorized, increasing")
        out[name] = tuple(zip(tiers, bounds))
    return out


#: The reference class imports the reference (Numba), which the sandbox does not show a submission (it sees
#: the standard library and numpy alone): that one class runs in the fallback child, without bubblewrap's
#: mounts, with this checkout and the grader's site-packages put first on its sys.path. Timing is the same
#: path otherwise (child process, its cgroup's CPU time, shared-memory inputs, interleaved, checked).
REFERENCE_POLICY = Policy(require=False, bubblewrap=False)


def _reference_prologue() -> str:
    import site

    return (f"import sys\nsys.path[:0] = {[str(HERE.parent), *site.getsitepackages()]!r}   "
            "# benchmarks/tiers.py: the reference class only\n")


def grade_once(name: str, fn: str, seed: int, bounds=None):
    path = CANONICAL / f"{name}.py"
    helper = CANONICAL / "_same.py"
    text = (_reference_prologue() if name == "reference" else "") + path.read_text()
    sub = Submission(str(path), [Source(helper.name, helper.read_text(), str(helper)),
                                 Source(path.name, text, str(path))])
    exercise = exercise_of(fn)
    workload = exercise.workload if bounds is None else dataclasses.replace(exercise.workload, bounds=bounds)
    policy = REFERENCE_POLICY if name == "reference" else None
    with Runner(sub, [fn], timeout=30, policy=policy) as runner:
        runner.start()
        return measure_tier(runner, exercise.function(fn), workload, seed=seed)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--busy", type=int, default=0, help="of the runs, how many with the other core kept busy")
    ap.add_argument("--only", nargs="*", default=None, help="canonical classes to run")
    ap.add_argument("--functions", nargs="*", default=list(FUNCTIONS), help="functions (workloads) to run")
    ap.add_argument("--write", metavar="FILE", help="also write the table as markdown (e.g. docs/tiers.md) and "
                    "the medians as autograder/timing/canonical.json")
    ap.add_argument("--bounds", nargs="*", metavar="WORKLOAD=R,F,V",
                    help="classify with these bounds (reference-class, fast, vectorized) instead of the catalogue's")
    ap.add_argument("--ratios", metavar="FILE", help="also write every grading's tier and ratio as JSON")
    args = ap.parse_args()
    override = parse_bounds(args.bounds)
    rows, raw = [], []
    for name in args.only or CLASSES:
        for fn in args.functions:
            tiers, ratios = Counter(), []
            wl = exercise_of(fn).workload.name
            for run in range(args.runs):
                stop = mp.Event()
                busy = mp.Process(target=_spin, args=(stop,)) if run < args.busy else None
                if busy:
                    busy.start()
                try:
                    res = grade_once(name, fn, seed=run, bounds=override.get(wl))
                finally:
                    if busy:
                        stop.set()
                        busy.join()
                tier = None if res.tier is None else str(res.tier)   # 'fast', not <Tier.FAST: 'fast'>
                tiers[tier] += 1
                if res.ratio is not None:
                    ratios.append(res.ratio)
                raw.append({"class": name, "function": fn, "workload": wl, "run": run, "busy": run < args.busy,
                            "tier": tier, "ratio": res.ratio, "message": res.message})
            want = CLASSES[name]
            ok = tiers.get(want, 0) + (tiers.get("too-slow", 0) if want == "loops" else 0)
            span = f"{min(ratios):.1f} / {statistics.median(ratios):.1f} / {max(ratios):.1f}" if ratios else "-"
            runs = raw[-args.runs:]
            halves = [[r["ratio"] for r in runs if r["busy"] == busy and r["ratio"] is not None] for busy in (True, False)]
            split = " / ".join(f"{statistics.median(h):.1f}" if h else "-" for h in halves)
            rows.append((name, f"{fn} ({wl})", want, dict(tiers), f"{ok}/{args.runs}", span, split))
            print(f"{name:13} {fn:24} want {want:16} got {dict(tiers)}  ratio min/median/max {span}", flush=True)
            print(f"    all ratios: {' '.join(f'{r:.2f}' for r in sorted(ratios))}", flush=True)
    if args.ratios:
        Path(args.ratios).write_text(json.dumps(raw, indent=1) + "\n")
    table = ["| class | function (workload) | expected tier | tiers over the runs | right | ratio min / median / max "
             "| median busy / quiet |", "|---|---|---|---|---|---|---|"] + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    print()
    print("\n".join(table))
    if args.write:
        import datetime as dt
        import platform

        from autograder.timing.tiers import workloads

        canonical = Path(__file__).resolve().parent.parent / "autograder" / "timing" / "canonical.json"
        kept = json.loads(canonical.read_text())
        medians = kept["ratios"]   # a run of some classes or functions replaces only what it measured
        for name, fn_wl, _, _, _, span, _ in rows:
            if span != "-":
                wl = fn_wl.split(" (")[1].rstrip(")")
                medians.setdefault(wl, {})[LABELS[name]] = float(span.split(" / ")[1])
        canonical.write_text(json.dumps({"about": kept["about"], "ratios": medians}, indent=2) + "\n")
        # the bounds in force: the catalogue's, or --bounds where given, for every calibrated workload
        bounds = "; ".join(f"{w.name}: " + ", ".join(f"{t} <= {b:g}" for t, b in override.get(w.name, w.bounds))
                           for w in workloads().values() if w.name in medians)
        head = [
            "# Performance tiers: calibration and stability",
            "",
            f"Measured on {dt.date.today().isoformat()} by `python benchmarks/tiers.py --runs {args.runs} "
            f"--busy {args.busy}` ({platform.processor() or platform.machine()}, {os.cpu_count()} cores): each "
            "canonical implementation (`benchmarks/canonical/`) graded through the real path (child process, "
            f"timing from outside it, interleaved with the reference) {args.runs} times, the first "
            f"{args.busy} with the other core kept busy. Ratios are t_student / t_reference.",
            "",
            f"Thresholds in force: {bounds}.",
            "",
        ]
        Path(args.write).write_text("\n".join(head + table) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
