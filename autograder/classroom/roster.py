"""Find a class's submissions: nbgrader's ``submitted/<student>/<assignment>/`` or one entry per student.

Nothing here runs or parses student code: it lists what is there and fingerprints it, so that a class
run can tell a submission it has already graded from one that changed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..exercises import registry
from ..grading.submission import SubmissionError

__all__ = ["Entry", "find_submissions", "exercises_for", "notebook_exercises", "fingerprint"]

_CODE = (".py", ".ipynb")


@dataclass(frozen=True)
class Entry:
    """One thing to grade: a student's assignment (nbgrader) or a student's whole submission.

    Attributes
    ----------
    student : str
    assignment : str or None
        The nbgrader assignment id; None for a per-student folder or file (graded on the whole course).
    path : Path
        The folder or file to grade.
    """

    student: str
    assignment: str | None
    path: Path

    @property
    def key(self) -> str:
        """``alice/01_convolution_by_hand`` or ``alice``: where its records live under the output folder."""
        return f"{self.student}/{self.assignment}" if self.assignment else self.student


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name != "__pycache__"


def _has_code(folder: Path) -> bool:
    return any(f.suffix in _CODE and f.is_file() and ".ipynb_checkpoints" not in f.parts for f in folder.rglob("*"))


def find_submissions(root: str | Path) -> list[Entry]:
    """The submissions under ``root``, sorted by student then assignment.

    ``root`` may be an nbgrader course folder (its ``submitted/`` is used), nbgrader's ``submitted/``
    folder itself (``<student>/<assignment>/*.ipynb``), or a class folder with one folder or one
    ``.py``/``.ipynb`` file per student. Raises :class:`~autograder.grading.submission.SubmissionError` with a
    one-line reason when it holds none of these.
    """
    root = Path(root)
    if not root.is_dir():
        what = "not a folder" if root.exists() else "no such folder"
        raise SubmissionError(f"{root}: {what} (expected a class folder or nbgrader's submitted/)")
    if (root / "submitted").is_dir() and (root / "nbgrader_config.py").exists():
        root = root / "submitted"
    students = sorted(p for p in root.iterdir() if _visible(p) and (p.is_dir() or p.suffix in _CODE))
    nbgrader = students and all(
        p.is_dir() and any(q.is_dir() and _visible(q) for q in p.iterdir())
        and not any(q.is_file() and q.suffix in _CODE for q in p.iterdir())
        for p in students)
    entries = []
    for p in students:
        if nbgrader:
            entries += [Entry(p.name, a.name, a) for a in sorted(p.iterdir())
                        if a.is_dir() and _visible(a) and _has_code(a)]
        elif p.is_file():
            entries.append(Entry(p.stem, None, p))
        elif _has_code(p):
            entries.append(Entry(p.name, None, p))
    if not entries:
        raise SubmissionError(f"{root}: no submissions found (expected <student>/<assignment>/*.ipynb as nbgrader "
                              "collects them, or one folder or .py/.ipynb file per student)")
    return entries


def exercises_for(assignment: str | None) -> list[str] | None:
    """Slugs an nbgrader assignment grades: those of the notebook its leading number names
    (``01_convolution_by_hand`` -> notebook 1); None (every exercise) when it names none."""
    m = re.match(r"(\d+)", assignment or "")
    if not m:
        return None
    slugs = [e.slug for e in registry.EXERCISES if e.notebook == int(m[1])]
    return slugs or None


def notebook_exercises(assignment: str) -> list[str]:
    """:func:`exercises_for` an ``--assignment`` the user typed; raises :class:`ValueError` saying what was
    expected when it names no notebook of the course."""
    slugs = exercises_for(assignment)
    if not slugs:
        raise ValueError(f"--assignment {assignment}: no notebook of the course has that number (expected e.g. "
                         "04_pooling)")
    return slugs


def fingerprint(path: Path) -> str:
    """sha256 over the names and bytes of every code file of a submission, the files the grader reads
    (:func:`~autograder.grading.submission.code_files`), read the way it reads them; a submission that cannot be read
    fingerprints as the reason."""
    from ..grading.submission import MAX_NOTEBOOK_BYTES, MAX_SOURCE_BYTES, code_files, read_file

    digest = hashlib.sha256()
    try:
        files = [path] if path.is_file() else code_files(path)
        for f in files:   # each name and content length-prefixed: no two different folders digest alike
            name = str(f.relative_to(path) if path.is_dir() else f.name).encode("utf-8", "backslashreplace")
            for part in (name, read_file(f, MAX_NOTEBOOK_BYTES if f.suffix == ".ipynb" else MAX_SOURCE_BYTES)):
                digest.update(len(part).to_bytes(8, "little"))
                digest.update(part)
    except SubmissionError as exc:
        digest.update(f"unreadable: {exc}".encode("utf-8", "backslashreplace"))
    return digest.hexdigest()
