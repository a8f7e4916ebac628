"""Calibrate and check the performance tiers with the canonical implementations.

    python benchmarks/tiers.py                 # one grading of each canonical class on each workload
    python benchmarks/tiers.py --runs 20 --busy 10   # stability: 20 gradings, 10 with the other core busy

Each grading goes through the real path (child process, timing from outside it, interleaved with the
reference): `autograder.timing.measure.measure_tier`. Prints each class's ratios and tiers per workload.
"""

from __future__ import annotations

import argparse
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
from autograder.grading.submission import Submission, Source  # noqa: E402
from autograder.timing.measure import measure_tier  # noqa: E402

CANONICAL = HERE / "canonical"
CLASSES = {"pure_loops": "loops", "output_loops": "vectorized", "kernel_loops": "fast", "einsum": "fast",
           "reference": "reference-class"}
FUNCTIONS = ("convolve_grayscale_same", "convolve", "pool")
#: How check(fn, perf=True) names each class beside a student's own ratio (autograder/timing/canonical.json).
LABELS = {"pure_loops": "pure loops", "output_loops": "loops over output positions",
          "kernel_loops": "loops over kernel positions", "einsum": "sliding_window + einsum", "reference": "reference"}


def _spin(stop):
    x = 0
    while not stop.is_set():
        x += 1


def grade_once(name: str, fn: str, seed: int):
    path = CANONICAL / f"{name}.py"
    helper = CANONICAL / "_same.py"
    sub = Submission(str(path), [Source(helper.name, helper.read_text(), str(helper)),
                                 Source(path.name, path.read_text(), str(path))])
    exercise = next(e for e in registry.EXERCISES if fn in e.names)
    with Runner(sub, [fn], timeout=30) as runner:
        runner.start()
        return measure_tier(runner, exercise.function(fn), exercise.workload, seed=seed)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--busy", type=int, default=0, help="of the runs, how many with the other core kept busy")
    ap.add_argument("--only", nargs="*", default=None, help="canonical classes to run")
    ap.add_argument("--functions", nargs="*", default=list(FUNCTIONS), help="functions (workloads) to run")
    ap.add_argument("--write", metavar="FILE", help="also write the table as markdown (e.g. docs/tiers.md) and "
                    "the medians as autograder/timing/canonical.json")
    args = ap.parse_args()
    rows = []
    for name in args.only or CLASSES:
        for fn in args.functions:
            tiers, ratios = Counter(), []
            for run in range(args.runs):
                stop = mp.Event()
                busy = mp.Process(target=_spin, args=(stop,)) if run < args.busy else None
                if busy:
                    busy.start()
                try:
                    res = grade_once(name, fn, seed=run)
                finally:
                    if busy:
                        stop.set()
                        busy.join()
                tiers[res.tier] += 1
                if res.ratio is not None:
                    ratios.append(res.ratio)
            want = CLASSES[name]
            ok = tiers.get(want, 0) + (tiers.get("too-slow", 0) if want == "loops" else 0)
            span = f"{min(ratios):.1f} / {statistics.median(ratios):.1f} / {max(ratios):.1f}" if ratios else "-"
            rows.append((name, fn, want, dict(tiers), f"{ok}/{args.runs}", span))
            print(f"{name:13} {fn:24} want {want:16} got {dict(tiers)}  ratio min/median/max {span}", flush=True)
            print(f"    all ratios: {' '.join(f'{r:.2f}' for r in sorted(ratios))}", flush=True)
    table = ["| class | function | expected tier | tiers over the runs | right | ratio min / median / max |",
             "|---|---|---|---|---|---|"] + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    print()
    print("\n".join(table))
    if args.write:
        import datetime as dt
        import platform

        import json

        from autograder.timing.tiers import workloads

        bounds = "; ".join(f"{w.name}: " + ", ".join(f"{t} <= {b:g}" for t, b in w.bounds)
                           for w in workloads().values() if w.name in ("gray", "bank", "pool"))
        canonical = Path(__file__).resolve().parent.parent / "autograder" / "timing" / "canonical.json"
        kept = json.loads(canonical.read_text())
        medians = kept["ratios"]   # a run of some classes or functions replaces only what it measured
        for name, fn, _, _, _, span in rows:
            if span != "-":
                wl = next(e for e in registry.EXERCISES if fn in e.names).workload.name
                medians.setdefault(wl, {})[LABELS[name]] = float(span.split(" / ")[1])
        canonical.write_text(json.dumps({"about": kept["about"], "ratios": medians}, indent=2) + "\n")
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
