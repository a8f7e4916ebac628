"""The terminal table of a grading run (``rich``), with a plain-text fallback."""

from __future__ import annotations

from ..grading.results import SubmissionResult

__all__ = ["render_table"]

_MARK = {"passed": "passed", "failed": "FAILED", "error": "ERROR", "missing": "missing"}


def _rows(result: SubmissionResult):
    for e in result.exercises:
        broken = [r.id for r in e.rules if not r.passed]
        tier = f"{e.tier} ({e.ratio:.1f}x)" if e.tier and e.ratio is not None else (e.tier or "-")
        yield (e.slug, _MARK[e.status], f"{e.passed}/{e.total}", e.score_text(),
               tier, ", ".join(e.diagnoses[:2]) or "-", ", ".join(broken) or "-")


HEADERS = ("exercise", "status", "cases", "score", "tier", "diagnosis", "rules broken")


def _isolation_line(result: SubmissionResult) -> str:
    from ..sandbox.isolation import Isolation

    iso = Isolation.from_json(result.isolation)
    return iso.summary() + "\n" if iso else ""


def render_table(result: SubmissionResult, width: int | None = None) -> str:
    return _table(result, width) + _isolation_line(result)


def _table(result: SubmissionResult, width: int | None) -> str:
    title = f"{result.submission} ({result.student}): {result.score_text()}"
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        rows = [HEADERS, *_rows(result)]
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(HEADERS))]
        lines = [title] + ["  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in rows]
        return "\n".join(lines) + "\n"
    table = Table(title=title)
    for h in HEADERS:
        table.add_column(h)
    styles = {"passed": "green", "FAILED": "red", "ERROR": "red", "missing": "yellow"}
    for row in _rows(result):
        table.add_row(*row, style=styles.get(row[1]))
    console = Console(width=width or 120, record=True, force_terminal=False)
    with console.capture() as cap:
        console.print(table)
    return cap.get()
