"""The typed result model of a grading run, and its serialisation to the project's JSON (SPEC §5).

Every other format (Gradescope, JUnit, terminal table, HTML) is written from these classes by its own
module in :mod:`autograder.formats`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SCHEMA", "CaseResult", "RuleResult", "ExerciseResult", "SubmissionResult", "write_atomic"]

SCHEMA = "convcourse.results/1"
STATUSES = ("passed", "failed", "error", "missing")
TIERS = ("loops", "vectorized", "fast", "reference-class", "too-slow")


@dataclass
class CaseResult:
    name: str
    hidden: bool
    passed: bool
    stage: str
    message: str
    function: str = ""
    note: str = ""


@dataclass
class RuleResult:
    id: str
    passed: bool
    message: str
    line: str | None = None


@dataclass
class ExerciseResult:
    slug: str
    status: str
    score: float
    max_score: float
    passed: int
    total: int
    tier: str | None = None
    ratio: float | None = None
    rules: list[RuleResult] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)
    message: str = ""
    cases: list[CaseResult] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "slug": self.slug, "status": self.status, "score": round(self.score, 4),
            "max_score": round(self.max_score, 4),
            "correctness": {"passed": self.passed, "total": self.total},
            "tier": self.tier, "ratio": self.ratio,
            "rules": [{"id": r.id, "passed": r.passed, "message": r.message} for r in self.rules],
            "diagnoses": list(self.diagnoses), "message": self.message,
            "cases": [{"name": c.name, "hidden": c.hidden, "passed": c.passed, "stage": c.stage, "message": c.message}
                      for c in self.cases],
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
        return sum(e.max_score for e in self.exercises)

    def to_json(self) -> dict:
        return {"schema": SCHEMA, "student": self.student, "submission": self.submission,
                "score": round(self.score, 4), "max_score": round(self.max_score, 4),
                "isolation": self.isolation,
                "exercises": [e.to_json() for e in self.exercises]}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2)

    @classmethod
    def from_json(cls, data: dict) -> SubmissionResult:
        exercises = []
        for e in data["exercises"]:
            exercises.append(ExerciseResult(
                slug=e["slug"], status=e["status"], score=e["score"], max_score=e["max_score"],
                passed=e["correctness"]["passed"], total=e["correctness"]["total"], tier=e["tier"],
                ratio=e["ratio"], rules=[RuleResult(**r) for r in e["rules"]], diagnoses=e["diagnoses"],
                message=e["message"], cases=[CaseResult(**c) for c in e["cases"]]))
        return cls(student=data["student"], submission=data["submission"], exercises=exercises,
                   isolation=data.get("isolation"))


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a reader sees the old file or the new one, never half of one."""
    path = Path(path)
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
