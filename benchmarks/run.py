"""Benchmark the reference against a numpy baseline, PyTorch and the machine's own limits.

    python benchmarks/run.py            # everything; writes docs/performance.md   (make bench)
    python benchmarks/run.py --quick    # workload B, float32, single-threaded     (make demo)

Every measurement runs in a fresh process (``benchmarks/timer.py``) and reports the median of its
repeats. Ratios compare medians measured in this one run on this machine; absolute times on a shared
machine drift, ratios much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from workloads import CONV, POOL  # noqa: E402

DTYPES = ("float32", "float64")

# The foundation issue's targets: (description, check over the results).
VERBOSE = True

TARGETS = {
    "numpy": 1.5,        # reference >= 1.5x the numpy baseline, every conv workload, both dtypes
    "torch": 0.8,        # >= 0.8x torch float32 on C, D, E
    "gemm": 0.6,         # >= 60% of single-thread GEMM rate on C, D, both dtypes
    "memcpy": 0.6,       # pooling >= 60% of memcpy bandwidth
}


def measure(kind, workload, dtype, impl, threads=1, repeats=7) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, str(HERE / "timer.py"), kind, workload, dtype, impl, "--threads", str(threads),
           "--repeats", str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark failed: {' '.join(cmd)}\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if VERBOSE:
        print(f"  {kind:7} {workload:5} {dtype:8} {impl:10} threads={threads}  median {result['median_s'] * 1e3:8.2f} ms",
              file=sys.stderr)
    return result


def gflops(r):
    return r["flops"] / r["median_s"] / 1e9


def gbs(r):
    return r["bytes"] / r["median_s"] / 1e9


def mark(ok: bool) -> str:
    return "yes" if ok else "**NO**"


def run_full(repeats: int, cores: int, have_torch: bool) -> tuple[list[str], list[str]]:
    lines, misses = [], []
    machine = {d: measure("machine", "gemm", d, "gemm", repeats=repeats) for d in DTYPES}
    copy = measure("machine", "memcpy", "float32", "memcpy", repeats=repeats)
    lines += [
        "## Machine limits (single thread)",
        "",
        "| measurement | float32 | float64 |",
        "|---|---|---|",
        f"| GEMM `np.dot` 2048x2048 | {gflops(machine['float32']):.1f} GFLOP/s | {gflops(machine['float64']):.1f} GFLOP/s |",
        f"| memcpy `np.copyto` 256 MiB (read + write) | {gbs(copy):.1f} GB/s | |",
        "",
        "## Convolution (GFLOP/s, median; ratios in this run)",
        "",
        "| workload | dtype | reference 1 thread | reference "
        f"{cores} threads | numpy baseline | torch 1 thread | ref / numpy (>= 1.5) | ref / torch (>= 0.8) "
        "| ref / GEMM (>= 0.6) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, wl in CONV.items():
        for dtype in DTYPES:
            ref = measure("conv", name, dtype, "reference", repeats=repeats)
            ref_all = measure("conv", name, dtype, "reference", threads=cores, repeats=repeats)
            base = measure("conv", name, dtype, "numpy", repeats=repeats)
            r_numpy = base["median_s"] / ref["median_s"]
            cells = [f"{name}: {wl.describe()}", dtype, f"{gflops(ref):.1f}", f"{gflops(ref_all):.1f}",
                     f"{gflops(base):.1f}"]
            if have_torch and dtype == "float32":
                torch = measure("conv", name, dtype, "torch", repeats=repeats)
                r_torch = torch["median_s"] / ref["median_s"]
                cells.append(f"{gflops(torch):.1f}")
            else:
                r_torch = None
                cells.append("not measured" if dtype == "float32" else "–")
            r_gemm = gflops(ref) / gflops(machine[dtype])
            cells.append(f"{r_numpy:.2f}x {mark(r_numpy >= TARGETS['numpy'])}")
            if r_torch is not None and name in "CDE":
                cells.append(f"{r_torch:.2f}x {mark(r_torch >= TARGETS['torch'])}")
            else:
                cells.append(f"{r_torch:.2f}x" if r_torch is not None else "–")
            if name in "CD":
                cells.append(f"{r_gemm:.0%} {mark(r_gemm >= TARGETS['gemm'])}")
            else:
                cells.append(f"{r_gemm:.0%}")
            lines.append("| " + " | ".join(cells) + " |")
            if r_numpy < TARGETS["numpy"]:
                misses.append(f"{name} {dtype}: {r_numpy:.2f}x the numpy baseline (target 1.5x)")
            if r_torch is not None and name in "CDE" and r_torch < TARGETS["torch"]:
                misses.append(f"{name} {dtype}: {r_torch:.2f}x torch (target 0.8x)")
            if name in "CD" and r_gemm < TARGETS["gemm"]:
                misses.append(f"{name} {dtype}: {r_gemm:.0%} of GEMM (target 60%)")
    lines += [
        "",
        "## Pooling (float32; bytes = input read once + output written; GB/s, median)",
        "",
        f"| workload | reference 1 thread | reference {cores} threads | ref / memcpy (>= 0.6) |",
        "|---|---|---|---|",
    ]
    for name, wl in POOL.items():
        ref = measure("pool", name, "float32", "reference", repeats=repeats)
        ref_all = measure("pool", name, "float32", "reference", threads=cores, repeats=repeats)
        r = gbs(ref) / gbs(copy)
        lines.append(f"| {wl.describe()} | {gbs(ref):.1f} | {gbs(ref_all):.1f} | {r:.0%} {mark(r >= TARGETS['memcpy'])} |")
        if r < TARGETS["memcpy"]:
            misses.append(f"pool {name}: {r:.0%} of memcpy (target 60%)")
    return lines, misses


def run_quick(repeats: int) -> list[str]:
    wl = CONV["B"]
    ref = measure("conv", "B", "float32", "reference", repeats=repeats)
    base = measure("conv", "B", "float32", "numpy", repeats=repeats)
    return [
        f"Workload B ({wl.describe()}), float32, one thread, median of {repeats}:",
        f"  reference (Numba + BLAS)        {ref['median_s'] * 1e3:7.2f} ms  {gflops(ref):6.1f} GFLOP/s",
        f"  numpy sliding_window + einsum   {base['median_s'] * 1e3:7.2f} ms  {gflops(base):6.1f} GFLOP/s",
        f"  ratio numpy / reference         {base['median_s'] / ref['median_s']:7.2f}x",
        "  (full table: make bench; results in docs/performance.md)",
    ]


def versions() -> str:
    import numba
    import numpy
    import scipy
    from threadpoolctl import threadpool_info

    blas = sorted({f"{i['internal_api']} {i['version']} ({i.get('architecture')})" for i in threadpool_info()
                   if i["user_api"] == "blas"})
    parts = [f"Python {platform.python_version()}", f"numpy {numpy.__version__}", f"numba {numba.__version__}",
             f"scipy {scipy.__version__}", "BLAS " + ", ".join(blas)]
    if importlib.util.find_spec("torch"):
        import torch

        parts.append(f"torch {torch.__version__}")
    return "; ".join(parts)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one workload, for the demo")
    ap.add_argument("--repeats", type=int, default=None, help="timed calls per process (default 7, quick 5)")
    ap.add_argument("--output", default=str(ROOT / "docs" / "performance.md"), help="markdown file to write")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    if args.quick:
        global VERBOSE
        VERBOSE = False
        print("\n".join(run_quick(args.repeats or 5)))
        return 0
    cores = os.cpu_count() or 1
    have_torch = importlib.util.find_spec("torch") is not None
    lines, misses = run_full(args.repeats or 7, cores, have_torch)
    header = [
        "# Performance of the reference",
        "",
        f"Measured by `make bench` (`python benchmarks/run.py`) on {dt.date.today().isoformat()}: {cpu_model()}, "
        f"{cores} cores. {versions()}.",
        "",
        "Each number is the median of the timed calls in a fresh process per implementation and thread count.",
        "'1 thread' pins every thread pool (BLAS, Numba, PyTorch) to one thread; the tiers are timed that way.",
        "The numpy baseline pads, takes every window with `sliding_window_view` and contracts with",
        "`einsum(optimize=True)`. PyTorch runs `conv2d` on channels-last tensors"
        + ("." if have_torch else " but is not installed here, so its column is empty."),
        "",
    ]
    footer = ["", "## Targets missed in this run", ""] + ([f"- {m}" for m in misses] or ["- none"])
    text = "\n".join(header + lines + footer) + "\n"
    print(text)
    if not args.no_write:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
