"""Submissions made to order for the diagnosis tests: a runner that answers each case as a student holding
one idea would (its predictor, or a few lines standing for a wrong implementation), graded by the one
grading core, with a source file for the static findings."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np

from autograder.exercises.common import RAISES
from autograder.exercises.model import Call, Exercise
from autograder.grading.cases import Case, expected, public_cases
from autograder.grading.core import grade_cases
from autograder.grading.diagnose import prediction
from autograder.grading.submission import load_submission
from autograder.sandbox.replies import ErrorRecord
from autograder.sandbox.runner import Outcome

__all__ = ["Scripted", "grade", "from_predictor", "BROADCAST"]

#: What NumPy says when a window cut short meets the kernel.
BROADCAST = ErrorRecord("ValueError", "operands could not be broadcast together with shapes (2,1,3) (3,3)")


class Scripted:
    """A :class:`~autograder.grading.runner.CaseRunner` whose every reply is ``reply(case, want)``: a value,
    :data:`RAISES` (a window past the edge), an :class:`ErrorRecord` (raised), or an :class:`Outcome`."""

    load_failure = None
    budget_spent = False

    def __init__(self, exercise: Exercise, cases: list[Case], reply):
        self.cases = {id(c.args): c for c in cases if not c.is_answer}
        self.answers = {c.function: c for c in cases if c.is_answer}
        self.reply = reply
        self.found = {s.name: {"params": [p.name for p in s.params]} for s in exercise.functions}
        self.found.update({a.name: {} for a in exercise.answers})
        self.load_errors, self.runtime_imports = [], []

    def spent_message(self) -> str:
        return ""

    def call(self, name, args) -> Outcome:
        return self._outcome(self.cases[id(args)], args)

    def get(self, name) -> Outcome:
        return self._outcome(self.answers[name], ())

    def _outcome(self, case: Case, args) -> Outcome:
        value = self.reply(case, expected(case))
        if isinstance(value, Outcome):
            return value
        if value is RAISES:
            return Outcome(False, error=BROADCAST)
        if isinstance(value, ErrorRecord):
            return Outcome(False, error=value)
        return Outcome(True, value=value, args_after=copy.deepcopy(args))


def from_predictor(predict):
    """The reply of a student holding the idea ``predict`` stands for: its prediction where it makes a
    difference, the right answer elsewhere."""
    def reply(case, want):
        value = prediction(predict, Call(case, case.named, want))
        return want if value is None else value
    return reply


def grade(exercise: Exercise, reply, tmp_path: Path, cases: list[Case] | None = None, source: str = ""):
    """The result of grading ``exercise`` on ``cases`` (its public ones by default), each answered by
    ``reply``; ``source`` is the submission's text (stubs of its functions by default)."""
    cases = public_cases(exercise) if cases is None else cases
    text = source or "".join(f"def {s.name}({', '.join(p.name for p in s.params)}):\n    return None\n\n\n"
                             for s in exercise.functions) or "x = 1\n"
    path = tmp_path / f"{exercise.slug}_scripted.py"
    path.write_text(text)
    return grade_cases(exercise, cases, Scripted(exercise, cases, reply), load_submission(path), rules=[])
