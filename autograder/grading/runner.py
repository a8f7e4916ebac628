"""What the grading core needs of whatever runs the student's code: the small :class:`CaseRunner` interface.

Two runners implement it: :class:`autograder.sandbox.Runner`, a sandboxed child process (the hardened
grader), and :class:`InProcess`, the student's own functions called in this process (the notebook's
``check()`` and ``autograde()``, which are for learning, not defence). The core cannot tell them apart.
"""

from __future__ import annotations

import copy
import os
import sys
from dataclasses import replace
from typing import Protocol

from ..sandbox.replies import ErrorRecord, clean_error
from ..sandbox.runner import Outcome
from ..sandbox.runtime.functions import ScalarFunction
from ..sandbox.runtime.protocol import as_received
from ..sandbox.runtime.stubs import describe, describe_error, fresh, not_started

__all__ = ["CaseRunner", "InProcess"]


class CaseRunner(Protocol):
    """Runs one submission's cases.

    ``found`` maps each name the submission defines to :func:`~autograder.sandbox.runtime.stubs.describe`'s
    description; ``load_failure`` and ``load_errors`` say why a name could not be loaded;
    ``runtime_imports`` lists the imports student code made while running; ``budget_spent`` is true once
    the submission's time budget is gone (``spent_message()`` says so).
    """

    found: dict[str, dict]
    load_failure: str | None
    load_errors: list[ErrorRecord]
    runtime_imports: list[dict]

    @property
    def budget_spent(self) -> bool: ...

    def spent_message(self) -> str: ...

    def call(self, name: str, args: tuple) -> Outcome: ...

    def get(self, name: str) -> Outcome: ...


class InProcess:
    """The student's ``functions`` and ``answers`` (name -> object), called here, each call on copies of
    the case's arguments (so a function that changes its inputs is seen to); what comes back is what a
    child would have sent (:func:`~autograder.sandbox.runtime.protocol.as_received`). ``runtime_imports``:
    what a loader saw the code import (a notebook reads imports from the functions' globals instead)."""

    load_failure = None
    budget_spent = False

    def __init__(self, functions: dict | None = None, answers: dict | None = None, runtime_imports=()):
        self.functions = {k: v for k, v in (functions or {}).items() if callable(v)}
        self.answers = dict(answers or {})
        self.found = {name: describe(fn) for name, fn in self.functions.items()}
        self.found.update({name: describe(value) for name, value in self.answers.items()})
        self.load_errors: list[ErrorRecord] = []
        self.runtime_imports: list[dict] = list(runtime_imports)   # imports a loader saw, if any

    def spent_message(self) -> str:   # pragma: no cover - an in-process run has no budget
        return ""

    def call(self, name: str, args: tuple) -> Outcome:
        fn = self.functions[name]
        args = [fresh(a) for a in copy.deepcopy(args)]
        watch = _CourseWatch(getattr(getattr(fn, "__code__", None), "co_filename", None))
        previous, raised = sys.getprofile(), None
        sys.setprofile(watch)
        try:
            value = fn(*args)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - the student's error is the feedback (not Ctrl-C)
            raised = exc
        finally:
            sys.setprofile(previous)   # before anything of the grader's own runs
        if raised is not None:
            return replace(Outcome(False, error=_error(raised)), reached=watch.reached)
        if (stub := not_started(fn, value)) is not None:
            return Outcome(False, error=clean_error(stub))
        return replace(_received(value, args), reached=watch.reached)

    def get(self, name: str) -> Outcome:
        return _received(self.answers[name])


def _received(value, args=()) -> Outcome:
    """The outcome of a call that returned ``value``, as a child's reply would bring it (a value that
    cannot be sent fails as it does from a child)."""
    try:
        return Outcome(True, value=as_received(value), args_after=tuple(as_received(a) for a in args))
    except Exception as exc:  # noqa: BLE001 - a huge int, a self-referencing list...
        return Outcome(False, error=clean_error({"type": "ProtocolError",
                                                 "message": f"the result could not be sent: {exc}"}))


_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
#: Where the course's own code lives: this package (the reference, the grader), and in a checkout the
#: model answers and the lessons (not the rest of course/, where nbgrader keeps students' submissions).
_COURSE = tuple(os.path.join(d, "") for d in (_PACKAGE, os.path.join(os.path.dirname(_PACKAGE), "solutions"),
                                              os.path.join(os.path.dirname(_PACKAGE), "course", "lessons")))
#: Course code a case hands the student to call (the ``f`` of ``numerical_gradient``): calling it is the task.
#: Its code objects, not its file: other code compiled under that file's name is still the course's.
_GIVEN = frozenset(v.__code__ for v in vars(ScalarFunction).values() if hasattr(v, "__code__"))


class _CourseWatch:
    """A profile function that notes the first call into the course's own code (outside the file of the
    function being checked: a model answer's own helpers are its own) while a student's function runs.
    In a notebook the reference is a name away; what a function gets from calling it is not its answer."""

    def __init__(self, own_file: str | None):
        self.own = own_file
        self.reached: tuple[str, ...] = ()
        self._seen: dict = {}

    def __call__(self, frame, event, arg):
        if event != "call" or self.reached:
            return
        code = frame.f_code
        hit = self._seen.get(code)
        if hit is None:   # the real path: a link to the package is the package
            name = code.co_filename
            hit = self._seen[code] = name != self.own and not name.startswith("<") and code not in _GIVEN and \
                os.path.realpath(name).startswith(_COURSE)
        if hit:
            self.reached = (f"called {frame.f_globals.get('__name__', '?')}.{code.co_qualname} while it ran",)


_NOT_STUDENT = tuple({sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(__file__))})


def _error(exc: BaseException) -> ErrorRecord:
    """The error as the sandbox's child reports it: type, message, and the last line of student code
    it passed through (a frame outside Python's installation and this package)."""
    return clean_error(describe_error(exc, lambda filename: not filename.startswith(_NOT_STUDENT)))
