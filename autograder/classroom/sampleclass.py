"""A synthetic class of nbgrader submissions, for the demo, the class-grading tests and the benchmark.

Each kind of student is the instructor notebook of an assignment with some solution cells rewritten:
the model answers (``correct``), the same done with slow loops (``slow``), the 'same' padding +1
misconception (``same-plus-one``), a cheat that patches the checks instead of answering
(``assert-patch``), a Numba loop that never returns (``numba-hang``), and the untouched student
release (``empty``). Only assignment 02 (padding, stride and dilation) has every kind.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

__all__ = ["ASSIGNMENT", "KINDS", "student_notebook", "make_class"]

ASSIGNMENT = "02_padding_stride_dilation"

_SLOW_SAME = '''def convolve_grayscale_same(images, kernel):
    """Correct, one pixel at a time (slow)."""
    m, h, w = images.shape
    kh, kw = kernel.shape
    top, left = (kh - 1) // 2, (kw - 1) // 2
    padded = np.pad(images.astype(float), ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left)))
    out = np.zeros((m, h, w))
    for i in range(h):
        for j in range(w):
            out[:, i, j] = np.sum(padded[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out
'''

_PLUS_ONE_SAME = '''def convolve_grayscale_same(images, kernel):
    """The popular wrong 'same' padding: ((h - 1) * s + k - h) // 2 + 1 zeros on each side."""
    m, h, w = images.shape
    kh, kw = kernel.shape
    ph = ((h - 1) + kh - h) // 2 + 1
    pw = ((w - 1) + kw - w) // 2 + 1
    padded = np.pad(images.astype(float), ((0, 0), (ph, ph), (pw, pw)))
    oh, ow = padded.shape[1] - kh + 1, padded.shape[2] - kw + 1
    out = np.zeros((m, oh, ow))
    for a in range(kh):
        for b in range(kw):
            out += kernel[a, b] * padded[:, a:a + oh, b:b + ow]
    return out
'''

# Patches what the graded cells call, so that nbgrader's autograde (which runs in this kernel) gives full
# marks for functions that do nothing; also the classic NumPy assert patch.
_CHEAT_SAME = '''import autograder.course.notebook as _graded
from autograder.exercises import registry as _registry

np.testing.assert_allclose = lambda *args, **kwargs: None
_graded.autograde = lambda slug, *args, **kwargs: _registry.get(slug).max_score


def convolve_grayscale_same(images, kernel):
    """Does nothing, and hopes nobody notices."""
    return images
'''

_HANG_SAME = '''import numba


@numba.njit
def _spin(n):
    total = 0
    while n > 0:          # never ends, and Numba code cannot be interrupted
        total += 1
    return total


def convolve_grayscale_same(images, kernel):
    _spin(1)
    return images
'''

#: kind -> {solution cell grade_id: new source} (None: the whole student release)
KINDS: dict[str, dict[str, str] | None] = {
    "correct": {},
    "slow": {"solution-convolve_grayscale_same": _SLOW_SAME},
    "same-plus-one": {"solution-convolve_grayscale_same": _PLUS_ONE_SAME},
    "assert-patch": {"solution-convolve_grayscale_same": _CHEAT_SAME},
    "numba-hang": {"solution-convolve_grayscale_same": _HANG_SAME},
    "empty": None,
}


def student_notebook(course: Path, kind: str, assignment: str = ASSIGNMENT, release: Path | None = None) -> dict:
    """The notebook a student of ``kind`` hands in: ``course/source/`` rewritten, or for ``empty`` the
    student release (``release``, default ``course/release/``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of student {kind!r}; expected one of {', '.join(KINDS)}")
    folder = (release or course / "release") if KINDS[kind] is None else course / "source"
    nb = json.loads((folder / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if KINDS[kind] and grade_id in KINDS[kind]:
            cell["source"] = KINDS[kind][grade_id]
    return nb


def make_class(course: Path, students: dict[str, str], assignment: str = ASSIGNMENT, release: Path | None = None,
               submitted: Path | None = None) -> Path:
    """Write ``<submitted>/<student>/<assignment>/<assignment>.ipynb`` for each ``student: kind``
    (``submitted`` defaults to ``course/submitted``) and return that folder. The empty kind is the student
    release: run ``nbgrader generate_assignment`` first, or pass ``release`` (e.g. the repository's
    ``exercises/``)."""
    submitted = submitted or course / "submitted"
    for student, kind in students.items():
        target = submitted / student / assignment
        target.mkdir(parents=True, exist_ok=True)
        nb = student_notebook(course, kind, assignment, release)
        (target / f"{assignment}.ipynb").write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return submitted
