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


def _write(target: str, text: str) -> None:
    from .results import write_atomic

    if target == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(target, text)


def _cmd_grade(args: argparse.Namespace) -> int:
    from . import registry
    from .formats import render_table, to_gradescope, to_junit
    from .grade import grade_path
    from .submission import SubmissionError

    for slug in args.exercise or ():
        try:
            registry.get(slug)
        except KeyError as exc:
            print(f"convcourse grade: {exc.args[0]}", file=sys.stderr)
            return 2
    try:
        result = grade_path(args.path, student=args.student, slugs=args.exercise or None, timeout=args.timeout,
                            perf=not args.no_perf)
    except SubmissionError as exc:
        print(f"convcourse grade: cannot grade {exc}", file=sys.stderr)
        return 2
    if args.json:
        _write(args.json, result.dumps())
    if args.gradescope:
        _write(args.gradescope, to_gradescope(result))
    if args.junit:
        _write(args.junit, to_junit(result))
    if args.json != "-":
        sys.stdout.write(render_table(result))
    return 0


def _cmd_build_course(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .authoring import BuildError, build

    try:
        changed = build(Path(args.root), check=args.check, release=not args.no_release)
    except BuildError as exc:
        print(f"convcourse build-course: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if changed:
            print("convcourse build-course --check: these files differ from what course/lessons/ generates "
                  "(run `make course` and commit):\n  " + "\n  ".join(changed), file=sys.stderr)
            return 1
        print("convcourse build-course --check: every generated file matches its lesson")
        return 0
    print("\n".join(f"wrote {c}" for c in changed) if changed else "convcourse build-course: nothing to change")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="convcourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("warmup", help="compile the reference's Numba kernels into the cache")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(run=_cmd_warmup)
    p = sub.add_parser("grade", help="grade one submission (a .py file, an .ipynb notebook or a folder)")
    p.add_argument("path", help="the submission")
    p.add_argument("--json", metavar="FILE", help="write convcourse.results/1 JSON ('-' for standard output)")
    p.add_argument("--gradescope", metavar="FILE", help="write Gradescope's results.json")
    p.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    p.add_argument("--student", default="anonymous", help="student id: seeds the hidden cases")
    p.add_argument("--exercise", action="append", metavar="SLUG", help="grade only this exercise (repeatable)")
    p.add_argument("--no-perf", action="store_true", help="skip the performance tiers")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds one call may take (default 10)")
    p.set_defaults(run=_cmd_grade)
    p = sub.add_parser("build-course", help="generate the course notebooks, model answers and student release "
                                             "from course/lessons/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file has drifted")
    p.add_argument("--no-release", action="store_true", help="skip the student release (nbgrader)")
    p.add_argument("--root", default=".", help="the repository (default: the current folder)")
    p.set_defaults(run=_cmd_build_course)
    p = sub.add_parser("examples", help="print the course's worked examples, computed by the reference")
    p.set_defaults(run=_cmd_examples)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
