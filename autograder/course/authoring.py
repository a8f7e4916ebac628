"""Build the course from its one source: ``course/lessons/*.py`` -> notebooks, model answers, student release.

A lesson is a Python file in the "percent" format: cells start at ``# %%`` lines.

``# %% [markdown]``
    Prose; every line starts with ``# `` (removed in the notebook).
``# %%``
    A lesson code cell (set-up, pictures, experiments), editable by the student.
``# %% [solution]``
    Where the student writes code. ``### BEGIN SOLUTION`` / ``### END SOLUTION`` mark the model answer;
    nbgrader replaces it with the stub of ``course/nbgrader_config.py`` in the student version.
``# %% [autograde SLUG]``
    A locked, autograded test cell for one exercise of the registry. Its code and its points are
    generated from :mod:`autograder.exercises.registry` here, never written by hand.

From the lessons, :func:`build` writes

* ``course/source/<lesson>/<lesson>.ipynb``: the instructor version, with nbgrader's cell metadata;
* ``solutions/<lesson>.py``: the model answers, i.e. exactly the code the grader reads from the
  instructor notebook (:func:`autograder.grading.submission.notebook_code`);
* ``exercises/<lesson>/<lesson>.ipynb``: the student version, made by ``nbgrader generate_assignment``
  itself in a scratch copy of the course.

``check=True`` writes nothing and lists every generated file that differs from what its source gives.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..exercises import registry
from ..grading.submission import notebook_code

__all__ = ["Cell", "Lesson", "parse_lesson", "lesson_notebook", "autograde_source", "render_numbers", "build",
           "lessons", "run_nbgrader", "BuildError"]

#: The checkout this package sits in (its course/, solutions/ and exercises/), for the defaults of the commands
ROOT = Path(__file__).resolve().parents[2]
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
_HEADER = re.compile(r"^# %%(?: \[(?P<kind>[a-z]+)(?: (?P<arg>[a-z0-9_]+))?\])?\s*$")
_GENERATED = "Generated from course/lessons/{name}.py by `convcourse build-course`: edit the lesson, not this file."
_REFERENCE_IMPORT = re.compile(r"\bautograder\.reference\b|\bfrom\s+autograder\s+import\s+[^\n]*\breference\b")


class BuildError(Exception):
    """A lesson cannot be built (bad cell marker, unknown exercise, nbgrader failed); says where."""


@dataclass(frozen=True)
class Cell:
    kind: str          # markdown, code, solution, autograde
    source: str
    slug: str | None = None
    line: int = 0      # where the cell starts in the lesson file


@dataclass(frozen=True)
class Lesson:
    name: str          # the assignment id: 01_convolution_by_hand
    cells: tuple[Cell, ...]


def lessons(root: Path = ROOT) -> list[Path]:
    """The lesson files, in course order."""
    return sorted((root / "course" / "lessons").glob("[0-9][0-9]_*.py"))


def parse_lesson(path: Path) -> Lesson:
    """Read one lesson file into cells (raises :class:`BuildError` naming the line of a bad marker)."""
    cells, kind, slug, start, body = [], None, None, 0, []

    def close():
        if kind is None:
            return
        text = "\n".join(body).strip("\n")
        if kind == "markdown":
            lines = text.splitlines()
            bad = [i for i, ln in enumerate(lines) if ln and not ln.startswith("#")]
            if bad:
                raise BuildError(f"{path.name}, line {start + 1 + bad[0]}: markdown lines must start with '# '")
            text = render_numbers("\n".join(ln[2:] if ln.startswith("# ") else ln[1:] for ln in lines),
                                  f"{path.name}, cell at line {start}")
        cells.append(Cell(kind, text, slug, start))

    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("# %%"):
            m = _HEADER.match(line)
            if not m or (m["kind"] or "code") not in ("markdown", "code", "solution", "autograde"):
                raise BuildError(f"{path.name}, line {number}: unknown cell marker {line!r}; expected '# %%', "
                                 "'# %% [markdown]', '# %% [solution]' or '# %% [autograde SLUG]'")
            close()
            kind, slug, start, body = m["kind"] or "code", m["arg"], number, []
            if kind == "autograde":
                try:
                    registry.get(slug or "")
                except KeyError as exc:
                    raise BuildError(f"{path.name}, line {number}: {exc.args[0]}") from None
        elif kind is None:
            if line.strip():
                raise BuildError(f"{path.name}, line {number}: text before the first '# %%' cell marker")
        else:
            body.append(line)
    close()
    for cell in cells:
        if cell.kind == "solution" and "### BEGIN SOLUTION" not in cell.source:
            raise BuildError(f"{path.name}, line {cell.line}: a solution cell needs a ### BEGIN SOLUTION region")
        # a name the student's kernel holds could be called by their function: the reference stays inside
        # autograder.course (figures, worked examples), and prose numbers are computed at build time
        if cell.kind in ("code", "solution") and _REFERENCE_IMPORT.search(cell.source):
            raise BuildError(f"{path.name}, line {cell.line}: a lesson cell imports autograder.reference; use "
                             "figures / worked_examples (or figures.yours_or_reference) instead")
    return Lesson(path.stem, tuple(cells))


def _namespace() -> dict:
    import numpy as np

    from .. import reference
    from ..reference import examples

    from . import figures

    ns = {"np": np, "R": reference, "math": __import__("math"), "kernel_curvatures": figures.kernel_curvatures}
    ns.update({name: getattr(examples, name) for name in examples.__all__})
    ns.update({name: getattr(reference, name) for name in reference.__all__})
    return ns


def _format(value) -> str:
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):,.6g}" if float(value) != int(value) else f"{int(value):,}"
    if isinstance(value, np.ndarray):
        return str(value.astype(int).tolist() if np.array_equal(value, np.round(value)) else value.tolist())
    if isinstance(value, tuple):
        return "\u00d7".join(_format(v) for v in value)
    return str(value)


def render_numbers(text: str, where: str = "") -> str:
    """Replace each ``{{ expression }}`` of lesson prose by its value, computed with the reference.

    The prose never types a result: ``{{ dense_params(28 * 28, 676) }}`` becomes ``530,660``. Names: every
    function of :mod:`autograder.reference`, the worked examples' inputs, ``np``, ``math`` and what the
    lessons' figures measure (``kernel_curvatures``). Integers get
    thousands separators, tuples become ``26×26``.
    """
    ns = None

    def value(m):
        nonlocal ns
        ns = ns or _namespace()
        try:
            return _format(eval(m[1], ns))  # noqa: S307 - the course's own lesson text, at build time
        except Exception as exc:  # noqa: BLE001
            raise BuildError(f"{where}: {{{{{m[1]}}}}} failed: {type(exc).__name__}: {exc}") from None

    return re.sub(r"\{\{(.+?)\}\}", value, text)


def autograde_source(slug: str) -> str:
    """The code of the autograded cell of exercise ``slug``, from the registry."""
    ex = registry.get(slug)
    rules = sum(ex.rule_points.values())
    parts = f"{ex.points.correctness:g} for the cases" + (f", {rules:g} for the rules" if rules else "")
    head = [f"# Autograded: {ex.title}, {ex.max_score:g} points ({parts}). This cell is locked.",
            "from autograder import autograde", ""]
    if ex.answers:
        args = ", ".join(f"{a.name}={a.name}" for a in ex.answers)
        return "\n".join(head + [f'autograde("{slug}", {args})'])
    names = ", ".join(f.name for f in ex.functions)
    return "\n".join(head + [
        "hidden_cases = False  # nbgrader's autograde adds your hidden cases",
        "### BEGIN HIDDEN TESTS",
        "hidden_cases = True",
        "### END HIDDEN TESTS",
        f'autograde("{slug}", {names}, hidden=hidden_cases)',
    ])


def _solution_id(cell: Cell, taken: set[str]) -> str:
    m = re.search(r"^(?:def\s+(\w+)|(\w+)\s*=)", cell.source, re.M)
    base = f"solution-{(m[1] or m[2]) if m else 'cell'}"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def lesson_notebook(lesson: Lesson) -> dict:
    """The instructor notebook of ``lesson`` (nbformat 4.5, no outputs, python3 kernel)."""
    cells, taken = [], set()
    for i, cell in enumerate(lesson.cells):
        meta: dict = {}
        if cell.kind == "markdown":
            nb_cell = {"cell_type": "markdown", "id": f"cell-{i:03d}", "metadata": meta, "source": cell.source}
        else:
            source = cell.source
            if cell.kind == "solution":
                cid = _solution_id(cell, taken)
                meta["nbgrader"] = {"grade": False, "grade_id": cid, "locked": False, "schema_version": 3,
                                    "solution": True, "task": False}
            elif cell.kind == "autograde":
                cid = f"autograde-{cell.slug}"
                if cid in taken:
                    raise BuildError(f"{lesson.name}.py, line {cell.line}: exercise {cell.slug} is graded twice")
                source = autograde_source(cell.slug)
                meta["nbgrader"] = {"grade": True, "grade_id": cid, "locked": True,
                                    "points": registry.get(cell.slug).max_score, "schema_version": 3,
                                    "solution": False, "task": False}
            else:
                cid = f"cell-{i:03d}"
            taken.add(cid)
            nb_cell = {"cell_type": "code", "execution_count": None, "id": cid, "metadata": meta, "outputs": [],
                       "source": source}
        cells.append(nb_cell)
    return {"cells": cells, "metadata": {"kernelspec": KERNELSPEC,
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def dumps(nb: dict) -> str:
    """Notebook JSON as Jupyter writes it (one-space indent, sorted keys, source as a list of lines)."""
    def lines(text):
        return text.splitlines(keepends=True)

    out = dict(nb, cells=[dict(c, source=lines(c["source"]) if isinstance(c["source"], str) else c["source"])
                          for c in nb["cells"]])
    return json.dumps(out, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def _solutions_py(name: str, nb: dict) -> str:
    text, _, _ = notebook_code(nb)
    kept = [ln for ln in text.splitlines() if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
    body = re.sub(r"\n{3,}", "\n\n\n", "\n".join(kept).strip("\n"))
    return f'"""Model answers of {name}. {_GENERATED.format(name=name)}"""\n\n{body}\n'


def run_nbgrader(args: list[str], cwd: Path, env: dict | None = None,
                 timeout: float | None = None) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``cwd`` with this Python's nbgrader, output captured; ``env`` adds variables.

    nbgrader runs the ``alembic`` command that sits beside this Python: its folder goes first on the PATH.
    """
    env = dict(os.environ, **(env or {}))
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


def _release(root: Path, names: list[str], sources: dict[str, str]) -> dict[str, str]:
    """``nbgrader generate_assignment`` on each lesson, in a scratch course: relative path -> text."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="convcourse-release-") as tmp:
        course = Path(tmp) / "course"
        course.mkdir()
        shutil.copy(root / "course" / "nbgrader_config.py", course / "nbgrader_config.py")
        for name in names:
            (course / "source" / name).mkdir(parents=True)
            (course / "source" / name / f"{name}.ipynb").write_text(sources[name], encoding="utf-8")
        for name in names:
            done = run_nbgrader(["generate_assignment", name, "--force", "--log-level=WARN"], course)
            if done.returncode != 0:
                raise BuildError(f"nbgrader generate_assignment {name} failed:\n{done.stdout}{done.stderr}")
            for f in sorted((course / "release" / name).rglob("*")):
                if f.is_file():
                    out[f"{name}/{f.relative_to(course / 'release' / name)}"] = f.read_text(encoding="utf-8")
    return out


def build(root: Path = ROOT, check: bool = False, release: bool = True) -> list[str]:
    """Generate (or with ``check``, compare) everything made from the lessons; return the files that
    changed (or drifted), as paths relative to ``root``."""
    paths = lessons(root)
    if not paths:
        raise BuildError(f"no lessons in {root / 'course' / 'lessons'}")
    wanted: dict[str, str] = {}
    sources = {}
    for path in paths:
        lesson = parse_lesson(path)
        nb = lesson_notebook(lesson)
        sources[lesson.name] = dumps(nb)
        wanted[f"course/source/{lesson.name}/{lesson.name}.ipynb"] = sources[lesson.name]
        wanted[f"solutions/{lesson.name}.py"] = _solutions_py(lesson.name, nb)
    if release:
        for rel, text in _release(root, list(sources), sources).items():
            wanted[f"exercises/{rel}"] = text
    owned = {"course/source": "*.ipynb", "solutions": "*.py"} | ({"exercises": "*.ipynb"} if release else {})
    stale = [str(f.relative_to(root)) for folder, pattern in owned.items() for f in (root / folder).rglob(pattern)
             if ".ipynb_checkpoints" not in f.parts and str(f.relative_to(root)) not in wanted]
    changed = [rel for rel, text in wanted.items()
               if not (root / rel).is_file() or (root / rel).read_text(encoding="utf-8") != text]
    if not check:
        for rel in changed:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(wanted[rel], encoding="utf-8")
        for rel in stale:
            (root / rel).unlink()
    return sorted(changed + stale)
