"""Serialisers of :class:`~autograder.grading.results.SubmissionResult`, one module per format, and
:data:`FORMATS`, the one list the command line and class runs read: adding a format is a module here and
its line in that list (``convcourse grade --NAME FILE`` and ``grade-class --NAME`` follow from it).

The project's own JSON is :meth:`SubmissionResult.to_json`; here are Gradescope's ``results.json``, JUnit
XML, the terminal table, HTML for notebooks and feedback pages, and the class's tables (its CSV, Canvas's import).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..grading.results import SCHEMA
from .canvas import to_canvas_csv
from .classcsv import to_class_csv
from .gradescope import to_gradescope
from .html import to_html, to_html_page
from .junit import to_junit
from .table import render_table

__all__ = ["Format", "FORMATS", "to_gradescope", "to_junit", "render_table", "to_html", "to_html_page",
           "to_class_csv", "to_canvas_csv"]


@dataclass(frozen=True)
class Format:
    """A file format of one submission's result.

    ``render(result, title)`` writes it; ``record`` is its file name in a class run's record folder;
    ``every_record``: written for every student of a class run (else only when asked for).
    """

    name: str
    record: str
    render: Callable[..., str]
    describes: str
    every_record: bool = False


FORMATS: tuple[Format, ...] = (
    Format("json", "results.json", lambda result, title: result.dumps(), f"{SCHEMA} JSON",
           every_record=True),
    Format("html", "feedback.html", to_html_page, "feedback page (HTML)", every_record=True),
    Format("gradescope", "gradescope.json", lambda result, title: to_gradescope(result), "Gradescope results.json"),
    Format("junit", "junit.xml", lambda result, title: to_junit(result), "JUnit XML"),
)
