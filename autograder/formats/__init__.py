"""Serialisers of :class:`~autograder.grading.results.SubmissionResult`, one module per format.

The project's own JSON is :meth:`SubmissionResult.to_json`; here are Gradescope's ``results.json``, JUnit
XML, the terminal table and HTML for notebooks.
"""

from .gradescope import to_gradescope
from .classcsv import to_class_csv
from .html import to_html, to_html_page
from .junit import to_junit
from .table import render_table

__all__ = ["to_gradescope", "to_junit", "render_table", "to_html", "to_html_page", "to_class_csv"]
