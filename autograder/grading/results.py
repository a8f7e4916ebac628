"""The typed result model of a grading run, and its serialisation to the project's JSON (SPEC §5).

Every other format (Gradescope, JUnit, terminal table, HTML) is written from these classes by its own
module in :mod:`autograder.formats`.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

__all__ = ["shown", "score_text", "SCHEMA", "Status", "Stage", "Tier", "Breakdown", "CaseResult", "RuleResult", "ExerciseResult",
           "SubmissionResult", "write_atomic"]

#: /2: ``max_score`` counts correctness and rules only; tier points are extra credit: ``score`` includes the
#: ``extra_credit`` earned, ``extra_credit_max`` is what the tiers could earn. /1 counted them in ``max_score``.
SCHEMA = "convcourse.results/2"


class Status(StrEnum):
    """How an exercise went: every case passed, some failed, it could not be graded, or it is absent."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    MISSING = "missing"


class Stage(StrEnum):
    """The staged checks of one case, in order (SPEC §3): the first that fails is the verdict."""

    EXISTS = "exists"
    RUNS = "runs"
    NDARRAY = "ndarray"
    SHAPE = "shape"
    DTYPE = "dtype"
    VALUES = "values"
    UNCHANGED = "unchanged"


class Tier(StrEnum):
    """Performance tiers, fastest first; ``too-slow`` when the workload would not finish in time."""

    REFERENCE_CLASS = "reference-class"
    FAST = "fast"
    VECTORIZED = "vectorized"
    LOOPS = "loops"
    TOO_SLOW = "too-slow"


def shown(points: float) -> str:
    """A number of points as every format prints it: at most two decimals (7.33, not 7.3333)."""
    return f"{round(points, 2):g}"


def score_text(score: float, max_score: float, extra_credit: float = 0.0, extra_credit_max: float = 0.0) -> str:
    """``12 / 10 (2 of 2 extra credit for speed)``: the one way a score is written for people. ``score``
    includes the extra credit earned; ``max_score`` does not."""
    text = f"{shown(score)} / {shown(max_score)}"
    if extra_credit_max:
        text += f" ({shown(extra_credit)} of {shown(extra_credit_max)} extra credit for speed)"
    return text


@dataclass
class Breakdown:
    """Where an exercise's score came from: correct cases, kept rules, the measured tier."""

    correctness: float = 0.0
    rules: float = 0.0
    tier: float = 0.0

    def to_json(self) -> dict:
        return {"correctness": round(self.correctness, 4), "rules": round(self.rules, 4),
                "tier": round(self.tier, 4)}


@dataclass
class CaseResult:
    """One case's verdict. ``name`` is its place in the run (``public-3``); ``id`` is the exercise's own,
    stable name for it (``same-even-kernel``), the same for every student and every version that keeps it."""

    name: str
    hidden: bool
    passed: bool
    stage: Stage
    message: str
    function: str = ""
    note: str = ""
    id: str = ""


@dataclass
class RuleResult:
    id: str
    passed: bool
    message: str
    line: str | None = None


@dataclass
class ExerciseResult:
    slug: str
    status: Status
    score: float
    max_score: float
    passed: int
    total: int
    tier: Tier | None = None
    ratio: float | None = None
    rules: list[RuleResult] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)
    message: str = ""
    cases: list[CaseResult] = field(default_factory=list)
    points: Breakdown = field(default_factory=Breakdown)
    #: The tier points this exercise could earn on top of ``max_score`` (0 without a measured workload).
    extra_credit_max: float = 0.0
    #: Where the code used the course's own code (SPEC §2): then the exercise earns no points.
    borrowed: list[str] = field(default_factory=list)

    @property
    def extra_credit(self) -> float:
        """The tier points earned: extra credit, part of ``score``, never of ``max_score``."""
        return self.points.tier

    def score_text(self) -> str:
        return score_text(self.score, self.max_score, self.extra_credit, self.extra_credit_max)

    def to_json(self) -> dict:
        return {
            "slug": self.slug, "status": self.status, "score": round(self.score, 4),
            "max_score": round(self.max_score, 4),
            "extra_credit": round(self.extra_credit, 4), "extra_credit_max": round(self.extra_credit_max, 4),
            "correctness": {"passed": self.passed, "total": self.total},
            "points": self.points.to_json(), "tier": self.tier, "ratio": self.ratio,
            "rules": [{"id": r.id, "passed": r.passed, "message": r.message} for r in self.rules],
            "diagnoses": list(self.diagnoses), "borrowed": list(self.borrowed), "message": self.message,
            "cases": [{"name": c.name, "id": c.id, "hidden": c.hidden, "passed": c.passed, "stage": c.stage,
                       "message": c.message} for c in self.cases],
        }


@dataclass
class SubmissionResult:
    student: str
    submission: str
    exercises: list[ExerciseResult]
    isolation: dict | None = None   # Isolation.to_json(): which sandbox layers held (SPEC §5)

    @property
    def score(self) -> float:
        return sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        """Correctness and rule points: the grade's denominator (tier points are extra credit)."""
        return sum(e.max_score for e in self.exercises)

    @property
    def extra_credit(self) -> float:
        """The tier points earned (part of :attr:`score`)."""
        return sum(e.extra_credit for e in self.exercises)

    @property
    def extra_credit_max(self) -> float:
        """The tier points the exercises could earn on top of :attr:`max_score`."""
        return sum(e.extra_credit_max for e in self.exercises)

    def score_text(self) -> str:
        return score_text(self.score, self.max_score, self.extra_credit, self.extra_credit_max)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "student": self.student, "submission": self.submission,
                "score": round(self.score, 4), "max_score": round(self.max_score, 4),
                "extra_credit": round(self.extra_credit, 4), "extra_credit_max": round(self.extra_credit_max, 4),
                "isolation": self.isolation,
                "exercises": [e.to_json() for e in self.exercises]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        exercises = []
        for e in data["exercises"]:
            exercises.append(ExerciseResult(
                slug=e["slug"], status=Status(e["status"]), score=e["score"], max_score=e["max_score"],
                passed=e["correctness"]["passed"], total=e["correctness"]["total"],
                tier=Tier(e["tier"]) if e["tier"] else None, ratio=e["ratio"],
                rules=[RuleResult(**r) for r in e["rules"]], diagnoses=e["diagnoses"], message=e["message"],
                cases=[CaseResult(**{**c, "stage": Stage(c["stage"])}) for c in e["cases"]],
                points=Breakdown(**e.get("points", {})), extra_credit_max=e.get("extra_credit_max", 0.0),
                borrowed=list(e.get("borrowed", []))))
        return cls(student=data["student"], submission=data["submission"], exercises=exercises,
                   isolation=data.get("isolation"))


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half of one.

    A target that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO) is written
    through, as a shell's ``>`` would: renaming a temporary file onto it would, for root, replace the device
    node itself with a file, for every process on the machine."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode   # follows a link: /dev/stdout is one
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.fchmod(fd, 0o666 & ~umask)   # as open() would make it (mkstemp's 0600 would hide feedback files)
        # backslashreplace: a stray lone surrogate must cost a character, never the record
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
