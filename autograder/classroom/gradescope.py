"""Deploy to Gradescope: ``convcourse gradescope-bundle`` writes the autograder zip, and
``convcourse gradescope-run`` (what its ``run_autograder`` calls) grades one submission there.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds the
assignment's image, then ``run_autograder`` for every submission, with the student's files in
``/autograder/submission`` and ``/autograder/submission_metadata.json`` beside them, and reads
``/autograder/results/results.json``. The bundle holds:

* ``setup.sh``: Python 3.11+ and bubblewrap from apt where the image lacks them, a virtualenv in ``/autograder/venv`` with the grader
  (the wheel of this checkout built into the zip, or ``--package``), and the Numba cache warmed so that no
  submission is timed against a compile;
* ``run_autograder``: ``convcourse gradescope-run``, and a zero results.json of its own should the grader
  not run at all (not installed, killed);
* ``convcourse.json``: the exercises graded, whether this is a practice bundle, whether tiers are measured;
* ``convcourse_secret``: the course secret, read from ``$CONVCOURSE_SECRET`` when the bundle is made (a
  bundle without one is refused unless ``--practice``). Only the bundle and the grader ever hold it:
  ``setup.sh`` and ``run_autograder`` make it readable by root alone, the student's code runs as an
  unprivileged user in the sandbox, and no result or log line quotes it.

The student id that seeds the hidden cases is Gradescope's user id from the metadata (``users[0].id``,
stable across resubmissions), ``gradescope-<id>``; a group submission is graded under its first member.
Whatever fails, ``gradescope-run`` writes a valid results.json (score 0 and the reason): Gradescope shows an
error page otherwise.

The sandbox: Gradescope runs the container as root, and may refuse bubblewrap the user namespaces it
needs. The grader then takes the fallback of :mod:`autograder.sandbox.isolation`: the child runs as an
unprivileged uid of its own (so it can read neither the secret nor the results folder), with rlimits, a
whitelisted environment and a private working directory, and the cgroup where Docker lets one be made.
The layers that held are the result's ``isolation`` (``extra_data.isolation`` in results.json, and a
line of the autograder's output); with neither bubblewrap nor an unprivileged uid nothing runs.
``CONVCOURSE_GRADESCOPE_ROOT`` replaces ``/autograder`` (the tests use a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

__all__ = ["ROOT_ENV", "BundleError", "make_bundle", "run", "student_id"]

#: Overrides ``/autograder`` (tests lay a Gradescope root out in a temporary folder).
ROOT_ENV = "CONVCOURSE_GRADESCOPE_ROOT"
SECRET_FILE = "convcourse_secret"
CONFIG_FILE = "convcourse.json"

SETUP = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the assignment's image (convcourse gradescope-bundle
# wrote it): Python 3.11+ and bubblewrap, the grader in a virtualenv, and a warm Numba cache.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${CONVCOURSE_GRADESCOPE_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
PYTHON=""
find_python() {   # the grader needs Python 3.11 or later, with venv and ensurepip (python3-venv on Ubuntu)
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null \
        && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$candidate"; return 0
    fi
  done
  return 1
}
UPDATED=""
apt_install() {   # only what is missing, so an image that has everything needs no apt at all
  if [ -z "$UPDATED" ]; then apt-get update -qq; UPDATED=1; fi
  apt-get install -y -qq "$@" >/dev/null
}
command -v bwrap >/dev/null || apt_install bubblewrap
if ! find_python; then
  apt_install python3 python3-venv
  if ! find_python; then   # an older base image (Ubuntu 22.04 has 3.10): Ubuntu's own 3.11
    apt_install python3.11 python3.11-venv
    PYTHON=python3.11
  fi
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
SPEC="$(cat "$SOURCE/package.txt")"
case "$SPEC" in wheel:*) SPEC="$SOURCE/${SPEC#wheel:}" ;; esac   # the wheel built into the bundle
"$ROOT/venv/bin/python" -m pip install --quiet "$SPEC"
"$ROOT/venv/bin/convcourse" warmup --quiet
chmod 600 "$SOURCE/convcourse_secret" 2>/dev/null || true
"""

RUN = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission (convcourse gradescope-bundle wrote it): convcourse grades
# /autograder/submission into /autograder/results/results.json.
ROOT="${CONVCOURSE_GRADESCOPE_ROOT:-/autograder}"
CONVCOURSE="${CONVCOURSE_GRADESCOPE_COMMAND:-$ROOT/venv/bin/convcourse}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"   # a results.json after the run is then this run's
chmod 600 "$ROOT/source/convcourse_secret" 2>/dev/null || true
"$CONVCOURSE" gradescope-run --root "$ROOT"
status=$?
if [ ! -s "$RESULTS" ]; then   # the grader is not installed or died: Gradescope still needs a valid results.json
  printf '{"score": 0, "output": "convcourse could not grade this submission: the grader stopped before it wrote a result (exit status %d); the course staff can see why in the autograder output", "output_format": "text", "stdout_visibility": "hidden", "tests": []}\n' "$status" >"$RESULTS"
fi
exit 0
"""


class BundleError(Exception):
    """The bundle cannot be made (the message is one line)."""


def _checkout() -> Path | None:
    """The source checkout this package runs from, if it runs from one (an editable install)."""
    top = Path(__file__).resolve().parents[2]
    return top if (top / "pyproject.toml").is_file() and (top / "autograder").is_dir() else None


def _wheel(into: Path) -> Path:
    top = _checkout()
    if top is None:
        raise BundleError("this convcourse is not installed from a checkout, so no wheel can be built: pass "
                          "--package with a pip requirement (e.g. 'convcourse @ git+https://...@v0.1.0')")
    for isolation in (["--no-build-isolation"], []):   # setuptools at hand, else pip fetches it
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation,
                               "-w", str(into), str(top)], capture_output=True, text=True, timeout=600)
        if done.returncode == 0:
            break
    wheels = sorted(into.glob("convcourse-*.whl"))
    if done.returncode or not wheels:
        raise BundleError(f"building the wheel failed: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    return wheels[-1]


def make_bundle(out: str | Path, slugs: list[str] | None, secret: str | None, package: str | None = None,
                perf: bool = True) -> Path:
    """Write the autograder zip to ``out`` (see the module's docstring); ``secret`` None makes a practice
    bundle; ``perf`` False grades without the performance tiers. Returns ``out``."""
    out = Path(out)
    config = {"schema": "convcourse.gradescope/1", "exercises": slugs, "practice": secret is None, "perf": perf}
    with tempfile.TemporaryDirectory(prefix="convcourse-bundle-") as scratch:
        files: dict[str, bytes | Path] = {"setup.sh": SETUP.encode(), "run_autograder": RUN.encode(),
                                          CONFIG_FILE: json.dumps(config, indent=2).encode()}
        if package:
            files["package.txt"] = package.encode()
        else:
            wheel = _wheel(Path(scratch))
            files[wheel.name] = wheel
            files["package.txt"] = f"wheel:{wheel.name}".encode()
        if secret is not None:
            files[SECRET_FILE] = secret.encode()
        partial = out.with_name(out.name + ".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                mode = 0o755 if name in ("setup.sh", "run_autograder") else 0o600 if name == SECRET_FILE else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data.read_bytes() if isinstance(data, Path) else data)
        os.replace(partial, out)
    return out


def student_id(metadata: dict) -> str:
    """``gradescope-<id>`` of the submission's first user (Gradescope's ``users[0].id``)."""
    users = metadata.get("users") if isinstance(metadata, dict) else None
    first = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    uid = first.get("id")
    if isinstance(uid, int) or (isinstance(uid, str) and uid.isalnum()):
        return f"gradescope-{uid}"
    raise ValueError("submission_metadata.json names no user id (users[0].id)")


def _failure(reason: str, started: float) -> dict:
    from ..formats.gradescope import failure_results

    return failure_results(reason, time.perf_counter() - started)


def _scrub(text: str, secret: str | None) -> str:
    """``text`` without the secret (no exception message may carry it into results or logs)."""
    return text.replace(secret, "[the course secret]") if secret and secret.strip() else text


def run(root: str | Path | None = None) -> int:
    """Grade ``ROOT/submission`` into ``ROOT/results/results.json``; exit status 0 whenever a results.json
    was written (a failure to grade is its content, not a crash)."""
    from ..grading.results import write_atomic

    started = time.perf_counter()
    root = Path(root or os.environ.get(ROOT_ENV) or "/autograder")
    results = root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    for path, mode in ((results.parent, 0o700), (root / "source" / SECRET_FILE, 0o600)):
        try:   # student code runs as another user: it can neither write the results nor read the secret
            path.chmod(mode)
        except OSError:
            pass
    try:
        secret = (root / "source" / SECRET_FILE).read_text().strip()
    except OSError:
        secret = None
    try:
        answer = _grade(root, started)
    except Exception as exc:  # noqa: BLE001 - Gradescope needs a results.json whatever happened
        answer = _failure(f"{type(exc).__name__}: {str(exc)[:300]}", started)
    text = json.dumps(answer, indent=2)
    # never expected (results are scrubbed where they are made), but results.json is shown to the student;
    # a secret this short could also be an ordinary word of a result, so only a real one is looked for
    if secret and len(secret) >= 8 and secret in text:
        answer = _failure("an internal error (the report was withheld)", started)
        text = json.dumps(answer, indent=2)
    write_atomic(results, text)
    # standard output is shown to instructors only (stdout_visibility hidden): which layers held
    isolation = (answer.get("extra_data") or {}).get("isolation")
    if isolation:
        from ..sandbox import Isolation

        print(_scrub(Isolation.from_json(isolation).summary(), secret))
    print(_scrub(f"convcourse gradescope-run: wrote {results} (score {answer['score']:g}; "
                 f"{answer['output'].splitlines()[0][:300]})", secret))
    return 0


def _grade(root: Path, started: float) -> dict:
    from ..formats.gradescope import gradescope_results
    from ..grading.cases import DEFAULT_SECRET
    from ..grading.grade import grade_path
    from ..grading.submission import SubmissionError
    from ..sandbox import Policy, SandboxUnavailable

    source = root / "source"
    try:
        config = json.loads((source / CONFIG_FILE).read_text())
    except (OSError, ValueError) as exc:
        return _failure(f"the autograder bundle has no readable {CONFIG_FILE} ({type(exc).__name__}): rebuild it "
                        "with convcourse gradescope-bundle", started)
    if config.get("practice"):
        secret = DEFAULT_SECRET
    else:
        try:
            secret = (source / SECRET_FILE).read_text().strip()
        except OSError:
            secret = ""
        if not secret:
            return _failure("the autograder bundle holds no course secret: rebuild it with CONVCOURSE_SECRET set",
                            started)
    try:
        metadata = json.loads((root / "submission_metadata.json").read_text())
        student = student_id(metadata)
    except (OSError, ValueError) as exc:
        return _failure(f"no student id: {exc}", started)
    try:
        # require: with neither bubblewrap nor an unprivileged uid (only possible as root) the student's code
        # would run as the grader, beside the secret, so it does not run; anything less is recorded
        result = grade_path(root / "submission", student=student, slugs=config.get("exercises") or None,
                            secret=secret, perf=config.get("perf", True), policy=Policy(require=True))
    except SubmissionError as exc:
        return _failure(f"cannot grade {str(exc).replace(str(root / 'submission'), 'your submission')}", started)
    except SandboxUnavailable as exc:
        print(f"convcourse gradescope-run: no sandbox: {exc}")   # the details, for instructors only
        return _failure("the autograder could not isolate student code on this machine, so it did not run it "
                        "(the course staff can see why in the autograder output)", started)
    result.submission = "submission"
    return gradescope_results(result, time.perf_counter() - started)


def add_bundle_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="autograder.zip", help="the zip to write (default: autograder.zip)")
    p.add_argument("--exercise", action="append", metavar="SLUG", help="grade only this exercise (repeatable)")
    p.add_argument("--assignment", metavar="NOTEBOOK", help="grade the exercises of one notebook, e.g. "
                                                             "02_padding_stride_dilation")
    p.add_argument("--package", metavar="PIP_SPEC", help="what setup.sh installs with pip (default: a wheel of this "
                                                          "checkout, built into the zip)")
    p.add_argument("--practice", action="store_true", help="a practice bundle: the public practice cases, no secret")
    p.add_argument("--no-perf", action="store_true", help="grade without the performance tiers (no extra credit, "
                                                           "no leaderboard times)")
    p.set_defaults(run=bundle_main)


def bundle_main(args: argparse.Namespace) -> int:
    from ..exercises import registry
    from ..grading.cases import NoSecret, course_secret
    from .roster import notebook_exercises

    try:
        slugs = list(args.exercise or [])
        for slug in slugs:
            registry.get(slug)
        if args.assignment:
            try:
                named = notebook_exercises(args.assignment)
            except ValueError as exc:
                raise BundleError(str(exc)) from None
            slugs += [s for s in named if s not in slugs]
        secret = None if args.practice else course_secret(False)
        out = make_bundle(args.out, slugs or None, secret, args.package, perf=not args.no_perf)
    except KeyError as exc:
        print(f"convcourse gradescope-bundle: {exc.args[0]}", file=sys.stderr)
        return 2
    except NoSecret as exc:
        print(f"convcourse gradescope-bundle: refusing to bundle for the record: {exc}", file=sys.stderr)
        return 2
    except BundleError as exc:
        print(f"convcourse gradescope-bundle: {exc}", file=sys.stderr)
        return 2
    what = ", ".join(slugs) if slugs else "every exercise"
    graded = [registry.get(s) for s in slugs] if slugs else list(registry.EXERCISES)
    points = sum(e.max_score for e in graded)
    extra = sum(e.points.tier for e in graded if e.workload is not None) if not args.no_perf else 0
    print(f"convcourse gradescope-bundle: wrote {out} ({what}: {points:g} points, set that as the assignment's "
          f"total in Gradescope" + (f", and up to {extra:g} extra credit for speed" if extra else "") + "; "
          f"{'practice cases' if args.practice else 'the course secret inside: keep the zip from students'})")
    return 0


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", default=None, help=f"Gradescope's folder (default: ${ROOT_ENV} or /autograder)")
    p.set_defaults(run=lambda args: run(args.root))


if __name__ == "__main__":
    sys.exit(run())
