"""convcourse: grade convolution and pooling exercises (one submission, a class, nbgrader, Gradescope,
GitHub Classroom), build the course, and warm the reference's kernels."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]

# the one default of each limit (reading them imports neither numpy nor the sandbox's runner)
from .sandbox.limits import CALL_SECONDS, SUBMISSION_SECONDS


def _cmd_warmup(args: argparse.Namespace) -> int:
    from .reference.warmup import kernel_dispatchers, warm_up
    from .timing import agree

    timings = warm_up()
    agree.warm_up()   # the check of every timed answer
    if not args.quiet:
        dispatchers = kernel_dispatchers()
        hits = sum(sum(d.stats.cache_hits.values()) for d in dispatchers.values())
        misses = sum(sum(d.stats.cache_misses.values()) for d in dispatchers.values())
        spent = ", ".join(f"{name} {secs:.1f} s" for name, secs in timings.items())
        print(f"convcourse warmup: {len(dispatchers)} kernels ready ({spent}; "
              f"{hits} loaded from Numba's cache, {misses} compiled)")
    return 0


def _cmd_examples(args: argparse.Namespace) -> int:
    from .course.worked_examples import print_worked_examples

    print_worked_examples()
    return 0


def _write(target: str, text: str) -> None:
    from .grading.results import write_atomic

    if target == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(target, text)


def _cmd_grade(args: argparse.Namespace) -> int:
    from .exercises import registry
    from .grading.cases import NoSecret, course_secret
    from .formats import FORMATS, render_table
    from .grading.grade import grade_path
    from .sandbox import Policy, SandboxUnavailable
    from .grading.submission import SubmissionError

    for slug in args.exercise or ():
        try:
            registry.get(slug)
        except KeyError as exc:
            print(f"convcourse grade: {exc.args[0]}", file=sys.stderr)
            return 2
    try:
        secret = course_secret(args.practice)
        result = grade_path(args.path, student=args.student, slugs=args.exercise or None, secret=secret,
                            timeout=args.timeout, perf=not args.no_perf, policy=Policy(require=not args.no_sandbox),
                            budget=args.budget)
    except NoSecret as exc:
        print(f"convcourse grade: refusing to grade for the record: {exc}", file=sys.stderr)
        return 2
    except SubmissionError as exc:
        print(f"convcourse grade: cannot grade {exc}", file=sys.stderr)
        return 2
    except SandboxUnavailable as exc:
        print(f"convcourse grade: refusing to run student code: {exc}", file=sys.stderr)
        return 2
    for fmt in FORMATS:
        if getattr(args, fmt.name):
            _write(getattr(args, fmt.name), fmt.render(result, f"{args.student}: feedback"))
    if "-" not in (getattr(args, fmt.name) for fmt in FORMATS):   # standard output is one format's alone
        sys.stdout.write(render_table(result))
    return 0


def _cmd_grade_class(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .grading.cases import NoSecret, course_secret
    from .classroom.classgrade import Settings, grade_class, summary
    from .classroom.roster import notebook_exercises
    from .classroom.daskgrade import ClusterError   # Dask itself is imported only with --scheduler
    from .sandbox import SandboxUnavailable
    from .grading.submission import SubmissionError

    root = Path(args.dir)
    out = Path(args.out) if args.out else root.resolve().parent / f"{root.resolve().name}-grades"
    try:
        if args.assignment:
            try:
                notebook_exercises(args.assignment)
            except ValueError as exc:
                print(f"convcourse grade-class: {exc}", file=sys.stderr)
                return 2
        settings = Settings(perf=not args.no_perf, timeout=args.timeout, secret=course_secret(args.practice),
                            formats=_asked_formats(args), require_sandbox=not args.no_sandbox,
                            budget=args.budget, practice=args.practice, assignment=args.assignment)
        run = grade_class(root, out, settings, workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
    except NoSecret as exc:
        print(f"convcourse grade-class: refusing to grade for the record: {exc}", file=sys.stderr)
        return 2
    except SubmissionError as exc:
        print(f"convcourse grade-class: cannot grade {exc}", file=sys.stderr)
        return 2
    except SandboxUnavailable as exc:
        print(f"convcourse grade-class: refusing to run student code: {exc}", file=sys.stderr)
        return 2
    except ClusterError as exc:
        print(f"convcourse grade-class: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nconvcourse grade-class: interrupted; every finished submission is recorded in {out}: "
              "run the same command again to grade the rest", file=sys.stderr)
        return 130
    print(summary(run))
    if not _write_canvas(run, args.canvas_roster, args.canvas_match):
        return 2
    if args.gradebook:
        from .classroom.gradebook import write_scores

        url = args.gradebook
        course = root if (root / "nbgrader_config.py").exists() else root.resolve().parent
        if url == "auto":
            url = f"sqlite:///{(course / 'gradebook.db').resolve()}"
        try:
            written = write_scores(url, run.rows(), autograded=course / "autograded")
        except Exception as exc:  # noqa: BLE001 - the records are safe on disk; say why the gradebook is not
            print(f"convcourse grade-class: could not write the gradebook {url}: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
            return 2
        print(f"gradebook {url}: {written.updated} grade cells written (tier points as extra credit); "
              f"{written.outputs} autograded notebooks' grade cells now show these scores"
              + "".join(f"\n  skipped {s}" for s in written.skipped))
    return 0


def _write_canvas(run, roster_path: str | None, match: str) -> bool:
    """``OUT/canvas.csv``, Canvas's gradebook import, with Canvas's identities when given its export."""
    from .formats.canvas import RosterError, read_roster, to_canvas_csv
    from .grading.results import write_atomic

    try:
        roster = read_roster(roster_path) if roster_path else None
    except RosterError as exc:
        print(f"convcourse grade-class: {exc}", file=sys.stderr)
        return False
    table = to_canvas_csv(run.rows(), roster, match)
    write_atomic(run.out / "canvas.csv", table.text)
    print(f"Canvas gradebook import: {run.out / 'canvas.csv'}"
          + (f" ({len(table.unmatched)} left out, not in the roster's {match!r} column or in it twice: "
             f"{', '.join(table.unmatched[:10])}{', ...' if len(table.unmatched) > 10 else ''})" if table.unmatched else ""))
    return True


def _cmd_build_course(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .course.authoring import BuildError, build

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


def _asked_formats(args: argparse.Namespace) -> tuple[str, ...]:
    from .formats import FORMATS

    return tuple(fmt.name for fmt in FORMATS if not fmt.every_record and getattr(args, fmt.name))


def build_parser() -> argparse.ArgumentParser:
    from .formats import FORMATS   # each format is a flag

    parser = argparse.ArgumentParser(prog="convcourse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("warmup", help="compile the reference's Numba kernels into the cache")
    p.add_argument("--quiet", action="store_true", help="print nothing")
    p.set_defaults(run=_cmd_warmup)
    p = sub.add_parser("grade", help="grade one submission (a .py file, an .ipynb notebook or a folder)")
    p.add_argument("path", help="the submission")
    for fmt in FORMATS:
        p.add_argument(f"--{fmt.name}", metavar="FILE", help=f"write the {fmt.describes} ('-' for standard output)")
    p.add_argument("--student", default="anonymous", help="student id: seeds the hidden cases")
    p.add_argument("--exercise", action="append", metavar="SLUG", help="grade only this exercise (repeatable)")
    _grading_options(p)
    p.set_defaults(run=_cmd_grade)
    p = sub.add_parser("grade-class", help="grade a class: nbgrader's submitted/ (or a course folder), or one "
                                            "folder or file per student")
    p.add_argument("dir", help="the class folder")
    p.add_argument("--out", metavar="DIR", help="where the records go (default: DIR-grades beside DIR)")
    p.add_argument("--workers", type=int, default=None, help="submissions graded at once (default: the cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or per-submission lines: only the summary")
    p.add_argument("--assignment", metavar="NOTEBOOK", help="grade each student's folder or file on this notebook's "
                                                             "exercises (e.g. 04_pooling; default: the whole course; "
                                                             "nbgrader's submitted/ names its own)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a Dask cluster: a scheduler's tcp://host:8786 or tls://host:8786, or local:N (N "
                        "worker processes started for this run); see docs/instructors.md")
    _grading_options(p)
    for fmt in FORMATS:
        if not fmt.every_record:
            p.add_argument(f"--{fmt.name}", action="store_true", help=f"also write each student's {fmt.describes}")
    p.add_argument("--canvas-roster", metavar="CSV", help="Canvas's gradebook export: canvas.csv then carries Canvas's "
                                                          "student identities")
    p.add_argument("--canvas-match", default="SIS Login ID", choices=("SIS Login ID", "SIS User ID", "ID"),
                   help="the roster column that holds this class's student ids (default: SIS Login ID)")
    p.add_argument("--gradebook", nargs="?", const="auto", metavar="URL",
                   help="write the scores into nbgrader's gradebook (default: the course's gradebook.db)")
    p.set_defaults(run=_cmd_grade_class)
    p = sub.add_parser("build-course", help="generate the course notebooks, model answers and student release "
                                             "from course/lessons/")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated file has drifted")
    p.add_argument("--no-release", action="store_true", help="skip the student release (nbgrader)")
    p.add_argument("--root", default=".", help="the repository (default: the current folder)")
    p.set_defaults(run=_cmd_build_course)
    p = sub.add_parser("examples", help="print the course's worked examples, computed by the reference")
    p.set_defaults(run=_cmd_examples)
    from .classroom import github, gradescope   # standard library only: cheap to import for every command
    github.add_arguments(sub.add_parser("fetch-class", help="clone a GitHub Classroom assignment's repositories "
                                                             "into one folder per student, for grade-class"))
    gradescope.add_bundle_arguments(sub.add_parser("gradescope-bundle", help="write the autograder zip Gradescope "
                                                                        "expects (setup.sh, run_autograder, the secret)"))
    gradescope.add_run_arguments(sub.add_parser("gradescope-run", help="grade one submission in Gradescope's "
                                                                      "/autograder (what the bundle's run_autograder calls)"))
    return parser


def _grading_options(p: argparse.ArgumentParser) -> None:
    """The options that say how student code runs, the same for one submission and for a class."""
    p.add_argument("--no-perf", action="store_true", help="skip the performance tiers")
    p.add_argument("--timeout", type=float, default=CALL_SECONDS,
                   help=f"seconds one call may take (default {CALL_SECONDS:g})")
    p.add_argument("--budget", type=float, default=SUBMISSION_SECONDS,
                   help=f"seconds all of one submission's calls may take together (default {SUBMISSION_SECONDS:g})")
    p.add_argument("--no-sandbox", action="store_true",
                   help="grade even where no isolation layer holds (your own code on your own machine)")
    p.add_argument("--practice", action="store_true",
                   help="grade with the public practice cases: without it, CONVCOURSE_SECRET must hold the course's "
                        "secret (a forgotten export would make every student's hidden cases public)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
