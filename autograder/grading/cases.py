"""Cases of an exercise, made from the rows its family module declares: public ones (shown to students)
and hidden ones seeded per student; and what each should return.

A case is the call a student's function receives (positional arguments in catalogue order; an added
parameter such as ``dilation`` is passed only when the case needs a value other than its default) or the
name of an answer to read. Expected values are never stored: the grader computes them with the
reference, in its own process (:func:`expected`).

Hidden cases come from the exercise's generators seeded by ``sha256(student_key(secret, student), slug)``:
every student gets different inputs, and a regrade gives the same ones. Together they cover the edge
cases of SPEC §3 (each family module lists its own).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass, field, replace

import numpy as np

from ..exercises import registry
from ..exercises.model import REQUIRED, Answer, Exercise, FunctionSpec

__all__ = ["Case", "public_cases", "hidden_cases", "all_cases", "expected", "seed_for", "student_key",
           "DEFAULT_SECRET", "NoSecret", "course_secret"]

#: Used when neither ``CONVCOURSE_SECRET`` nor an explicit secret is given (fine for practice; instructors
#: set their own so that students cannot regenerate the hidden inputs).
DEFAULT_SECRET = "convcourse-practice"


class NoSecret(Exception):
    """Grading for the record was asked for without a course secret (see :func:`course_secret`)."""


def course_secret(practice: bool = False, given: str | None = None) -> str:
    """The secret that seeds the hidden cases when grading for the record: ``given``, else
    ``$CONVCOURSE_SECRET``. Without one (unset, empty, or the public practice secret) raise
    :class:`NoSecret`, since every student's hidden cases would then be public; with ``practice``,
    return the practice secret instead."""
    if practice:
        return DEFAULT_SECRET
    secret = given if given is not None else os.environ.get("CONVCOURSE_SECRET", "")
    if not secret.strip() or secret == DEFAULT_SECRET:
        why = "is the public practice secret" if secret == DEFAULT_SECRET else "is unset or empty"
        raise NoSecret(f"CONVCOURSE_SECRET {why}, so every student's hidden cases would be ones anybody can "
                       "generate; export the course's secret, or pass --practice to grade with the practice cases")
    return secret


@dataclass(frozen=True)
class Case:
    """One call of a student's function, or one answer to read.

    Attributes
    ----------
    name : str
        ``public-N`` or ``hidden-N``: its place in this run.
    id : str
        The exercise's stable name for it (its row's id), the same for every student.
    function : str
        Catalogue function (or answer variable) name.
    args : tuple
        Positional arguments, in catalogue order.
    hidden : bool
    needs : tuple of str
        Added parameters this case passes (their absence is "needs ...", not a failure of the code).
    note : str
        What the case covers, for feedback ("even kernel: the extra zero goes after").
    """

    name: str
    function: str
    args: tuple = ()
    hidden: bool = False
    needs: tuple[str, ...] = ()
    note: str = ""
    is_answer: bool = False
    meta: dict = field(default_factory=dict, compare=False)
    id: str = ""
    spec: FunctionSpec | Answer | None = field(default=None, compare=False, repr=False)

    @property
    def named(self) -> dict:
        """The arguments by parameter name, defaults filled in (empty for an answer)."""
        return {} if self.is_answer else self.spec.named(self.args)

    @property
    def terms(self) -> int:
        """How many products each output value sums (the comparison's tolerance grows with it)."""
        return 9 if self.is_answer else self.spec.terms(self.named)


def student_key(secret: str, student: str) -> str:
    """The key of one student's hidden cases: all a process grading only that student needs (nbgrader's
    kernel gets this, never the course secret, see :mod:`autograder.course.nbgrader_preprocessors`)."""
    return hmac.new(secret.encode(), f"convcourse student\0{student}".encode(), hashlib.sha256).hexdigest()


def seed_for(student: str, slug: str, secret: str | None = None) -> int:
    """Seed of a student's hidden cases for one exercise: from ``secret``, else from
    ``$CONVCOURSE_STUDENT_KEY`` when it is this student's (``$CONVCOURSE_STUDENT``), else from
    ``$CONVCOURSE_SECRET`` or the practice secret."""
    if secret is None and os.environ.get("CONVCOURSE_STUDENT_KEY") and os.environ.get("CONVCOURSE_STUDENT") == student:
        key = os.environ["CONVCOURSE_STUDENT_KEY"]
    else:
        key = student_key(secret if secret is not None else os.environ.get("CONVCOURSE_SECRET", DEFAULT_SECRET), student)
    digest = hashlib.sha256(f"{key}\0{slug}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


# ------------------------------------------------------------------------------------------- making

def _call(spec: FunctionSpec, values: dict) -> tuple[tuple, tuple[str, ...]]:
    """Positional args in catalogue order; trailing defaults dropped; added params kept only if needed."""
    args, needs = [], []
    last = 0
    for i, p in enumerate(spec.params):
        if p.name in values and (p.default is REQUIRED or values[p.name] != p.default):
            last = i + 1
    for p in spec.params[:last]:
        value = values.get(p.name, p.default)
        if p.added and value != p.default:
            needs.append(p.name)
        args.append(value)
    return tuple(args), tuple(needs)


def _cases(spec: FunctionSpec, rows, hidden: bool) -> list[Case]:
    out = []
    for r in rows:
        args, needs = _call(spec, r.values)
        out.append(Case(name="", function=spec.name, args=args, hidden=hidden, needs=needs, note=r.note,
                        id=r.id, spec=spec))
    return out


def _number(cases: list[Case], prefix: str) -> list[Case]:
    return [replace(c, name=f"{prefix}-{i + 1}") for i, c in enumerate(cases)]


def _exercise(exercise: Exercise | str) -> Exercise:
    return registry.get(exercise) if isinstance(exercise, str) else exercise


def public_cases(exercise: Exercise | str) -> list[Case]:
    """The exercise's public cases (the same for everyone)."""
    exercise = _exercise(exercise)
    if exercise.answers:
        return [Case(name=f"answer-{i + 1}", function=a.name, is_answer=True, note=a.question, id=a.name, spec=a)
                for i, a in enumerate(exercise.answers)]
    return _number([c for spec in exercise.functions for c in _cases(spec, spec.public(), hidden=False)], "public")


def hidden_cases(exercise: Exercise | str, student: str = "anonymous", secret: str | None = None) -> list[Case]:
    """The exercise's hidden cases for ``student`` (reproducible; none for answer exercises)."""
    exercise = _exercise(exercise)
    if exercise.answers:
        return []
    rng = np.random.default_rng(seed_for(student, exercise.slug, secret))
    # one generator, drawn function after function in catalogue order
    return _number([c for spec in exercise.functions for c in _cases(spec, spec.hidden(rng), hidden=True)], "hidden")


def all_cases(exercise: Exercise | str, student: str = "anonymous", secret: str | None = None) -> list[Case]:
    return public_cases(exercise) + hidden_cases(exercise, student, secret)


def expected(case: Case):
    """The reference's answer to ``case`` (computed here, in the grader's process)."""
    if case.is_answer:
        return case.spec.value()
    return case.spec.reference(*case.args)
