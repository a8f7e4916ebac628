"""Notebook 08's training run with the reference layers: test accuracy and seconds, against the issue's targets.

    python benchmarks/training.py            # (make bench)

One full run of ``autograder.course.training.train`` (the defaults the notebook uses), timed in this
process. ``OPENBLAS_CORETYPE`` is left as the environment sets it; the BLAS kernel that ran is printed
from threadpoolctl. The run pins BLAS to one thread itself (its products are tiny).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from autograder.course.training import Layers, load_digits_split, train  # noqa: E402

TARGETS = {"test accuracy": 0.95, "seconds": 60.0}


def blas_lines() -> list[str]:
    """Every BLAS loaded, with the kernel (threadpoolctl's 'architecture') and which one the reference calls."""
    from threadpoolctl import threadpool_info

    from autograder.reference.blas import gemm

    used = gemm().library
    return [f"  {i['internal_api']} {i['version']}, kernel {i.get('architecture')}, {i['num_threads']} threads"
            f"{' (called by the reference)' if i['filepath'] == used else ''}: {i['filepath']}"
            for i in threadpool_info() if i["user_api"] == "blas"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=None, help="default: train()'s")
    args = ap.parse_args()
    start = time.perf_counter()
    data = load_digits_split()
    options = {} if args.epochs is None else {"epochs": args.epochs}
    history = train(Layers.reference(), seed=args.seed, data=data, **options)
    total = time.perf_counter() - start
    accuracy_ok = history.test_accuracy >= TARGETS["test accuracy"]
    seconds_ok = total <= TARGETS["seconds"]
    print(f"Notebook 08's CNN, reference layers, seed {args.seed}, {len(history.loss)} epochs, "
          f"{len(data.x_train)} training and {len(data.x_test)} test digits, {os.cpu_count()} cores")
    print(f"  test accuracy   {history.test_accuracy:.4f}  (target >= {TARGETS['test accuracy']:.2f}: "
          f"{'yes' if accuracy_ok else '**NO**'})")
    print(f"  training        {history.seconds:.2f} s  (epochs and the test predictions)")
    print(f"  whole run       {total:.2f} s  (with loading the digits and any first-call compilation; "
          f"target <= {TARGETS['seconds']:.0f} s: {'yes' if seconds_ok else '**NO**'})")
    print(f"  final loss      {history.loss[-1]:.4f}, training accuracy {history.accuracy[-1]:.4f}")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; BLAS in this process:")
    print("\n".join(blas_lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
