"""What the sandbox costs: a child's start, and a whole submission graded with tiers.

    python benchmarks/sandbox.py --write docs/sandbox.md

Two plans side by side, interleaved round by round: bubblewrap (every layer) and the fallback without it
(a child process under the same uid drop, cgroup and rlimits: what grading cost before the sandbox, plus
the uid drop). Figures are medians over rounds; the ratio is the median of same-round ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.grading.grade import grade_path  # noqa: E402
from autograder.sandbox import Policy, Runner  # noqa: E402
from autograder.grading.submission import load_submission  # noqa: E402

PLANS = {"bubblewrap": Policy(), "fallback (no bubblewrap)": Policy(bubblewrap=False)}


def start_cost(policy: Policy, sub) -> float:
    """Seconds from nothing to the first answer: spawn, load the sources, one call."""
    t0 = time.perf_counter()
    with Runner(sub, ["convolve_grayscale_valid"], policy=policy) as r:
        r.start()
        r.call("convolve_grayscale_valid", (np.zeros((1, 5, 5)), np.ones((3, 3))))
    return time.perf_counter() - t0


def whole(policy: Policy) -> float:
    t0 = time.perf_counter()
    grade_path(ROOT / "solutions", student="bench", perf=True, policy=policy)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--starts", type=int, default=20, help="child starts per plan (default 20)")
    ap.add_argument("--rounds", type=int, default=3, help="whole gradings per plan (default 3)")
    ap.add_argument("--write", metavar="FILE", help="also write the table as markdown")
    args = ap.parse_args()
    sub = load_submission(ROOT / "tests" / "submissions" / "correct-loops")
    for policy in PLANS.values():   # plans probed, images built, caches warm
        start_cost(policy, sub)
    starts = {name: [] for name in PLANS}
    for _ in range(args.starts):
        for name, policy in PLANS.items():
            starts[name].append(start_cost(policy, sub))
    grades = {name: [] for name in PLANS}
    for _ in range(args.rounds):
        for name, policy in PLANS.items():
            grades[name].append(whole(policy))
    bw, fb = PLANS
    start_ratio = statistics.median(a / b for a, b in zip(starts[bw], starts[fb]))
    grade_ratio = statistics.median(a / b for a, b in zip(grades[bw], grades[fb]))
    lines = [
        "# What the sandbox costs",
        "",
        f"Measured by `python benchmarks/sandbox.py` (`make bench`) on {dt.date.today().isoformat()}, "
        f"{args.starts} child starts and {args.rounds} whole gradings per plan, interleaved.",
        "",
        "| | bubblewrap | fallback (no bubblewrap) | ratio |",
        "|---|---|---|---|",
        f"| a child's start (spawn, load, first answer) | {statistics.median(starts[bw]) * 1e3:.0f} ms | "
        f"{statistics.median(starts[fb]) * 1e3:.0f} ms | {start_ratio:.2f}x |",
        f"| `solutions/` graded whole, with tiers | {statistics.median(grades[bw]):.1f} s | "
        f"{statistics.median(grades[fb]):.1f} s | {grade_ratio:.2f}x |",
        "",
        "A whole grading starts a child for the submission and one trusted baseline child per tier workload",
        "shape, and again after each timeout; the time between is the cases and the timed calls.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        Path(args.write).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
