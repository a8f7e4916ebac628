"""HTML of a grading run for notebooks: a table of cases, the diagnosis, and no expected arrays of hidden
cases (their rows say how they failed, nothing more)."""

from __future__ import annotations

from html import escape

from ..grading.results import ExerciseResult, SubmissionResult

__all__ = ["to_html", "to_html_page", "exercise_html"]

_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "missing": "#9a6700"}


def exercise_html(e: ExerciseResult, pictures: dict[str, str] | None = None) -> str:
    """One exercise; ``pictures`` maps a public case name to an ``<img>`` (expected vs received)."""
    colour = _COLOURS.get(e.status, "#000")
    rows = []
    for c in e.cases:
        mark = "&#10004;" if c.passed else "&#10008;"
        rows.append(f"<tr><td>{mark}</td><td>{escape(c.name)}</td><td>{escape(c.note if not c.hidden else '')}</td>"
                    f"<td>{escape(c.stage if not c.passed else '')}</td><td>{escape(c.message)}</td></tr>")
        if pictures and c.name in pictures:
            rows.append(f"<tr><td></td><td colspan='4'>{pictures[c.name]}</td></tr>")
    rules = "".join(f"<li>{'&#10004;' if r.passed else '&#10008;'} {escape(r.id)}: {escape(r.message)}</li>"
                    for r in e.rules)
    tier = f" &middot; tier {escape(e.tier)}" if e.tier else ""
    chart = (pictures or {}).get("perf", "")
    chart = chart[chart.find("<img"):] if "<img" in chart else ""
    return (f"<div class='convcourse'><h4 style='color:{colour}'>{escape(e.slug)}: {escape(e.status)} "
            f"({e.score:g} / {e.max_score:g}){tier}</h4><p>{escape(e.message)}</p>"
            f"<table><tr><th></th><th>case</th><th>what it covers</th><th>stage</th><th>message</th></tr>"
            f"{''.join(rows)}</table>{'<ul>' + rules + '</ul>' if rules else ''}{chart}</div>")


def to_html(result: SubmissionResult) -> str:
    body = "".join(exercise_html(e) for e in result.exercises)
    return (f"<h3>{escape(result.submission)}: {result.score:g} / {result.max_score:g}</h3>{body}")


def to_html_page(result: SubmissionResult, title: str = "") -> str:
    """A whole HTML page of feedback (what a class run writes for each student)."""
    title = escape(title or f"Feedback for {result.student}")
    return (f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto} td,th{padding:.2em .6em;"
            "text-align:left;vertical-align:top} table{border-collapse:collapse} tr:nth-child(even){background:#f6f8fa}"
            f"</style></head><body><h2>{title}</h2>{to_html(result)}</body></html>\n")
