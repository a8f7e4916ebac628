"""nbgrader preprocessors that keep the course secret out of the students' kernels and feedback.

``nbgrader autograde`` runs each student's notebook in a kernel where the student's own cells run
beside the graded ones. Handing that kernel ``CONVCOURSE_SECRET`` (to seed the hidden cases) would let a
cell print it into the feedback, and with it every classmate's hidden cases and the key of the class
records. Instead:

- :class:`StudentKeyExecute` (nbgrader's ``Execute``) starts each kernel without the course secret,
  with only that student's key (:func:`autograder.grading.cases.student_key`) and id, which seed exactly the
  hidden cases the hardened grader gives the same student;
- :class:`RedactSecret`, right after it, replaces the secret and the student's key wherever a cell's
  outputs still show them (a cell printing its environment), before anything is saved: neither the
  autograded notebook nor the feedback made from it holds them.

``course/nbgrader_config.py`` puts both in nbgrader's autograde list.
"""

from __future__ import annotations

import json
import os
import typing as t

from nbclient.util import run_sync
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import Execute
from traitlets import Bool

from ..grading.cases import student_key

__all__ = ["StudentKeyExecute", "RedactSecret", "REDACTED"]

REDACTED = "[redacted]"


def _student(resources) -> str | None:
    return ((resources or {}).get("nbgrader") or {}).get("student")


class StudentKeyExecute(Execute):
    """nbgrader's Execute, with a kernel whose environment holds the student's key, not the secret."""

    def preprocess(self, nb, resources=None, km=None):
        self._convcourse_student = _student(resources)
        return super().preprocess(nb, resources, km)

    async def async_start_new_kernel(self, **kwargs: t.Any) -> None:
        env = dict(kwargs.pop("env", None) or os.environ)
        secret = env.pop("CONVCOURSE_SECRET", "")
        student = getattr(self, "_convcourse_student", None)
        if secret and student:
            env.update(CONVCOURSE_STUDENT=student, CONVCOURSE_STUDENT_KEY=student_key(secret, student))
        await super().async_start_new_kernel(env=env, **kwargs)

    # nbclient binds its synchronous twin to its own coroutine function at class creation: rebind it
    start_new_kernel = run_sync(async_start_new_kernel)


def _scrub(value, secrets: list[str]):
    if isinstance(value, str):
        for s in secrets:
            value = value.replace(s, REDACTED)
        return value
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return type(value)((_scrub(k, secrets), _scrub(v, secrets)) for k, v in value.items())
    return value


class RedactSecret(Preprocessor):
    """Replace ``$CONVCOURSE_SECRET`` and the student's key in every code cell's outputs."""

    enabled = Bool(True)   # nbconvert's preprocessors are off unless enabled

    def preprocess(self, nb, resources):
        secret = os.environ.get("CONVCOURSE_SECRET", "")
        student = _student(resources)
        secrets = [s for s in (secret, student_key(secret, student) if secret and student else "") if len(s) >= 4]
        if not secrets:
            return nb, resources
        for cell in nb.cells:
            if cell.get("cell_type") == "code":
                text = json.dumps(cell.get("outputs", []))
                if any(s in text for s in secrets):
                    cell["outputs"] = _scrub(cell["outputs"], secrets)
        return nb, resources
