"""HTML of a grading run for notebooks: a table of cases, the diagnosis, and no expected arrays of hidden
cases (their rows say how they failed, nothing more)."""

from __future__ import annotations

from html import escape

from ..grading.results import ExerciseResult, SubmissionResult

__all__ = ["to_html", "to_html_page", "exercise_html", "values_html"]

_COLOURS = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#cf222e", "missing": "#9a6700"}

# Inline, since JupyterLab's stylesheet (.jp-RenderedHTMLCommon) right-aligns and centres tables otherwise.
_TABLE = "style='text-align:left;margin-left:0;margin-right:auto;table-layout:auto;border-collapse:collapse'"
_CELL = "text-align:left;vertical-align:top;padding:.2em .6em"
_TH = f"<th style='{_CELL}'>"
_TD = f"<td style='{_CELL}'>"
_NUMBER = ("text-align:right;padding:.1em .4em;border:1px solid #d0d7de;font-family:monospace;"
           "font-variant-numeric:tabular-nums")
_DIFFERS = "background:#ffebe9;color:#82071e;font-weight:bold;outline:2px solid #cf222e;outline-offset:-2px"


def _number(v: float) -> str:
    return escape(f"{v + 0.0:.4g}")   # + 0.0: no "-0"


def _grid(plane, differs=None) -> str:
    rows = []
    for r in range(plane.shape[0]):
        cells = []
        for c in range(plane.shape[1]):
            bad = differs is not None and differs[r, c]
            mark = f"class='differs' title='differs' style='{_NUMBER};{_DIFFERS}'" if bad else f"style='{_NUMBER}'"
            cells.append(f"<td {mark}>{_number(plane[r, c])}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table class='values' style='border-collapse:collapse;margin:0;table-layout:auto'>{''.join(rows)}</table>"


def values_html(grids, label: str = "") -> str:
    """Small planes as numbers, side by side: ``grids`` is ``[(title, plane, differs)]`` (``differs`` a boolean
    mask of the plane's shape, or None); the cells that differ are marked. Only for public cases: a hidden
    case's expected values are never shown."""
    heads = "".join(f"{_TH}{escape(title)} ({p.shape[0]}x{p.shape[1]})</th>" for title, p, _ in grids)
    cells = "".join(f"{_TD}{_grid(p, d)}</td>" for _, p, d in grids)
    marked = any(d is not None and d.any() for _, _, d in grids)
    note = (f"{escape(label)}{'; ' if label and marked else ''}"
            f"{'the values that differ are marked in red' if marked else ''}")
    return (f"<table class='convcourse-values' {_TABLE}><tr>{heads}</tr><tr>{cells}</tr></table>"
            + (f"<p style='text-align:left;margin:.2em 0'><small>{note}</small></p>" if note else ""))


def exercise_html(e: ExerciseResult, pictures: dict[str, str] | None = None) -> str:
    """One exercise; ``pictures`` maps a public case name to an ``<img>`` (expected vs received)."""
    colour = _COLOURS.get(e.status, "#000")
    rows = []
    for c in e.cases:
        mark = "&#10004;" if c.passed else "&#10008;"
        rows.append(f"<tr>{_TD}{mark}</td>{_TD}{escape(c.name)}</td>{_TD}{escape(c.note if not c.hidden else '')}</td>"
                    f"{_TD}{escape(c.stage if not c.passed else '')}</td>{_TD}{escape(c.message)}</td></tr>")
        if pictures and c.name in pictures and not c.hidden:   # never a hidden case's expected values
            rows.append(f"<tr>{_TD}</td><td colspan='4' style='{_CELL}'>{pictures[c.name]}</td></tr>")
    rules = "".join(f"<li>{'&#10004;' if r.passed else '&#10008;'} {escape(r.id)}: {escape(r.message)}</li>"
                    for r in e.rules)
    tier = f" &middot; tier {escape(e.tier)}" if e.tier else ""
    chart = (pictures or {}).get("perf", "")
    chart = chart[chart.find("<img"):] if "<img" in chart else ""
    return (f"<div class='convcourse'><h4 style='color:{colour}'>{escape(e.slug)}: {escape(e.status)} "
            f"({escape(e.score_text())}){tier}</h4><p>{escape(e.message)}</p>"
            f"<table {_TABLE}><tr>{_TH}</th>{_TH}case</th>{_TH}what it covers</th>{_TH}stage</th>{_TH}message</th></tr>"
            f"{''.join(rows)}</table>{'<ul>' + rules + '</ul>' if rules else ''}{chart}</div>")


def to_html(result: SubmissionResult) -> str:
    body = "".join(exercise_html(e) for e in result.exercises)
    return (f"<h3>{escape(result.submission)}: {escape(result.score_text())}</h3>{body}")


def to_html_page(result: SubmissionResult, title: str = "") -> str:
    """A whole HTML page of feedback (what a class run writes for each student)."""
    title = escape(title or f"Feedback for {result.student}")
    return (f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{title}</title>"
            "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto} td,th{padding:.2em .6em;"
            "text-align:left;vertical-align:top} table{border-collapse:collapse} tr:nth-child(even){background:#f6f8fa}"
            f"</style></head><body><h2>{title}</h2>{to_html(result)}</body></html>\n")
