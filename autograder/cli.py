"""The ``convcourse`` command."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def _cmd_warmup(args: argparse.Namespace) -> int:
    from .reference.warmup import kernel_dispatchers, warm_up

    timings = warm_up()
    if not args.quiet:
        dispatchers = kernel_dispatchers()
        hits = sum(sum(d.stats.cache_hits.values()) for d in dispatchers.values())
        misses = sum(sum(d.stats.cache_misses.values()) for d in dispatchers.values())
        spent = ", ".join(f"{name} {secs:.1f} s" for name, secs in timings.items())
        print(f"convcourse warmup: {len(dispatchers)} kernels ready ({spent}; "
              f"{hits} loaded from Numba's cache, {misses} compiled)")
    return 0


def _cmd_examples(args: argparse.Namespace) -> int:
    from .demo import print_worked_examples

    print_worked_examples()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convcourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("warmup", help="compile the reference's Numba kernels into the cache")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(run=_cmd_warmup)
    p = sub.add_parser("examples", help="print the course's worked examples, computed by the reference")
    p.set_defaults(run=_cmd_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
