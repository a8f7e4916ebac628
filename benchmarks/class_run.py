"""Grade a synthetic class with ``convcourse grade-class``: throughput, memory, and a kill halfway.

    python benchmarks/class_run.py --students 200 --kill-at 0.5 --write docs/class-grading.md

Makes N nbgrader submissions of assignment 02 (a mix of the kinds of autograder/classroom/sampleclass.py), runs
``convcourse grade-class`` on them with performance tiers, samples the resident memory of the whole
process tree (grade-class, its workers and their sandboxed children) every half second, kills the process
group once a share of the class is recorded, runs the same command again, and checks that nothing was
lost and nothing regraded.

    python benchmarks/class_run.py --students 40 --compare-dask

grades the same class with the local pool and then on ``--scheduler local:N`` (N the cores), each from
nothing, and prints both throughputs and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.classroom.sampleclass import ASSIGNMENT, make_class  # noqa: E402

MIX = [("correct", 10), ("slow", 5), ("same-plus-one", 5), ("assert-patch", 2), ("numba-hang", 1), ("empty", 2)]


def students(n: int) -> dict[str, str]:
    cycle = [kind for kind, weight in MIX for _ in range(weight)]
    return {f"s{i:03d}": cycle[i % len(cycle)] for i in range(n)}


def tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        procs = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def run(cmd: list[str], out: Path, n: int, kill_at: float | None) -> dict:
    """Run ``cmd``; sample memory and progress; kill the process group at ``kill_at`` of the class."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    samples, killed = [], False
    while proc.poll() is None:
        done = len(list(out.glob("*/*/.done"))) if out.exists() else 0
        samples.append((time.perf_counter() - started, done, tree_rss(proc.pid)))
        if kill_at is not None and done >= kill_at * n:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            killed = True
            break
        time.sleep(0.5)
    stdout = proc.stdout.read() if not killed else ""
    return {"seconds": time.perf_counter() - started, "samples": samples, "killed": killed, "stdout": stdout,
            "done": len(list(out.glob("*/*/.done")))}


def memory_at(samples, n, share) -> float:
    """Largest tree RSS (MB) seen while the class was at ``share`` +- 5% done."""
    near = [rss for _, done, rss in samples if abs(done / n - share) <= 0.05]
    return max(near, default=0) / 2**20


def compare_dask(cmd: list[str], work: Path, n: int, write: str | None) -> int:
    """The class graded twice from nothing, by the local pool and on ``--scheduler local:N``: each
    command's whole wall time, cluster start-up included, as submissions a minute."""
    workers = os.cpu_count() or 1
    runs = {}
    for name, extra in (("local pool", []), (f"Dask local:{workers}", ["--scheduler", f"local:{workers}"])):
        out = work / f"grades-{len(runs)}"
        done = run(cmd + [str(out)] + extra, out, n, None)
        if len(list(out.glob("*/*/.done"))) != n:
            print(f"{name}: only {done['done']} of {n} recorded:\n{done['stdout']}", file=sys.stderr)
            return 1
        runs[name] = n / (done["seconds"] / 60)
    (pool, pool_rate), (dask_name, dask_rate) = runs.items()
    lines = [f"- {pool}: {n} submissions in {n / pool_rate * 60:.1f} s, {pool_rate:.1f} a minute",
             f"- {dask_name}: {n} submissions in {n / dask_rate * 60:.1f} s, {dask_rate:.1f} a minute",
             f"- Dask / local pool: {dask_rate / pool_rate:.2f}"]
    report = "\n".join(lines)
    print(report)
    if write:
        Path(write).write_text(report + "\n")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=200)
    ap.add_argument("--kill-at", type=float, default=0.5, help="share of the class recorded when the first run "
                                                               "is killed (0 or less: no kill)")
    ap.add_argument("--write", metavar="FILE", help="write the report (markdown) here")
    ap.add_argument("--compare-dask", action="store_true",
                    help="instead: grade the class with the local pool, then on a local Dask cluster "
                         "(--scheduler local:N, N the cores), and print both throughputs and their ratio")
    args = ap.parse_args()
    n = args.students
    work = Path(tempfile.mkdtemp(prefix="convcourse-class-"))
    class_ = students(n)
    make_class(ROOT / "course", class_, release=ROOT / "exercises", submitted=work / "submitted")
    out = work / "grades"
    cmd = [str(Path(sys.executable).parent / "convcourse"), "grade-class", str(work / "submitted"), "--out", str(out)]
    env_secret = os.environ.setdefault("CONVCOURSE_SECRET", "benchmark-secret")
    del env_secret
    if args.compare_dask:
        return compare_dask(cmd[:-1], work, n, args.write)
    kill_at = args.kill_at if args.kill_at and args.kill_at > 0 else None
    first = run(cmd, out, n, kill_at)
    second = run(cmd, out, n, None) if first["killed"] else None
    final = second or first
    summary = final["stdout"].splitlines()[0] if final["stdout"] else "(no summary)"
    results = [json.loads(p.read_text()) for p in out.glob(f"*/{ASSIGNMENT}/results.json")]
    recorded = len(list(out.glob("*/*/.done")))
    graded_first = first["done"]
    seconds = first["seconds"] + (second["seconds"] if second else 0)
    rate_first = graded_first / (first["seconds"] / 60)
    peak = max(rss for run_ in (first, second) if run_ for _, _, rss in run_["samples"]) / 2**20
    lines = [
        "# Grading a class: throughput, memory, and a kill halfway",
        "",
        f"`python benchmarks/class_run.py --students {n} --kill-at {args.kill_at}` on this machine "
        f"({os.cpu_count()} cores), {time.strftime('%Y-%m-%d')}: {n} synthetic nbgrader submissions of "
        f"{ASSIGNMENT} (kinds and weights {MIX}), graded by `convcourse grade-class` with performance "
        "tiers and the default workers (one per core).",
        "",
        f"- First run: {graded_first} submissions recorded in {first['seconds']:.0f} s "
        f"({rate_first:.1f} a minute)" + (", then the whole process group was killed with SIGKILL."
                                            if first["killed"] else "."),
    ]
    if second:
        m = re.search(r"(\d+) graded, (\d+) kept", summary)
        regraded, kept = (m[1], m[2]) if m else ("?", "?")
        lines += [f"- Second run (the same command): {summary}.",
                  f"- Nothing lost: {recorded} of {n} submissions recorded, {len(results)} results.json files. "
                  f"Nothing regraded: the second run kept {kept} (the {graded_first} recorded before the kill) "
                  f"and graded {regraded}."]
    lines += [
        f"- Whole class: {seconds:.0f} s, {n / (seconds / 60):.1f} submissions a minute overall.",
        f"- Memory of the whole process tree (grade-class, workers, sandboxed children): "
        f"{memory_at(first['samples'], n, 0.1):.0f} MB at 10% of the class, "
        f"{memory_at((second or first)['samples'], n, 0.9):.0f} MB at 90%, peak {peak:.0f} MB.",
        f"- Scores: mean {sum(r['score'] for r in results) / max(len(results), 1):.1f} of "
        f"{max((r['max_score'] for r in results), default=0):g}.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    if args.write:
        Path(args.write).write_text(report)
    ok = recorded == n and len(results) == n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
