"""Read a submission: a ``.py`` file, an ``.ipynb`` notebook, or a folder of them, as Python sources.

Nothing here runs student code. A notebook becomes one source made of its code cells (only the nbgrader
solution cells when the notebook is an nbgrader assignment), with IPython magics blanked and a map back
to cell numbers for messages.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .registry import ALLOWED_IMPORTS

__all__ = ["Source", "Submission", "SubmissionError", "load_submission", "notebook_code"]


class SubmissionError(Exception):
    """The submission cannot be read at all (no such path, unreadable file, not a notebook)."""


@dataclass
class Source:
    """One unit of student code: a file, or a notebook's code cells joined.

    Attributes
    ----------
    label : str
        How messages name it (``5-convolve.py``, ``conv.ipynb``).
    text : str
        Python source.
    cells : list of (int, int)
        For notebooks, ``(cell number, first line)`` of each cell in ``text``.
    """

    label: str
    text: str
    path: str
    cells: list[tuple[int, int]] = field(default_factory=list)
    tree: ast.Module | None = None
    syntax_error: str | None = None

    def __post_init__(self) -> None:
        try:
            self.tree = ast.parse(self.text, filename=self.label)
        except SyntaxError as exc:
            self.syntax_error = f"{self.where(exc.lineno or 0)}: {exc.msg}"
        except ValueError as exc:  # e.g. null bytes
            self.syntax_error = f"{self.label}: {exc}"

    def where(self, line: int) -> str:
        """``file.py, line 7`` or ``notebook.ipynb, cell 4, line 2``."""
        if not self.cells:
            return f"{self.label}, line {line}"
        cell, start = self.cells[0]
        for c, s in self.cells:
            if s <= line:
                cell, start = c, s
        return f"{self.label}, cell {cell}, line {line - start + 1}"

    def defines(self, name: str) -> bool:
        """Whether the text defines ``name`` at top level (also when it does not parse)."""
        if self.tree is not None:
            for node in self.tree.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                    return True
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                    return True
            return False
        return re.search(rf"^\s*(def\s+{re.escape(name)}\b|{re.escape(name)}\s*=)", self.text, re.M) is not None


@dataclass
class Submission:
    """What was submitted: the path as given and its sources, in load order."""

    path: str
    sources: list[Source]

    def source_defining(self, name: str) -> Source | None:
        for s in reversed(self.sources):  # later files win, as they would when run in order
            if s.defines(name):
                return s
        return None


_MAGIC = re.compile(r"^(\s*)([%!].*)$")


def _cell_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _allowed_imports(text: str) -> list[str]:
    """The top-level ``import numpy`` / ``import math`` statements of a cell, as source lines."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return []
    lines = text.splitlines()
    out = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level:
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        if roots <= ALLOWED_IMPORTS:
            out += lines[node.lineno - 1:node.end_lineno]
    return out


def notebook_code(nb: dict) -> tuple[str, list[tuple[int, int]]]:
    """The Python the grader reads from a notebook, and ``(cell number, first line)`` of each cell in it.

    In an nbgrader assignment that is the solution cells, preceded by the ``numpy``/``math`` imports of
    the other code cells (a lesson's set-up cell imports NumPy for everyone); in a plain notebook, every
    code cell. IPython magics and shell escapes keep their line but lose their command.
    """
    cells = nb["cells"]
    code = [(i + 1, c) for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"]
    graded = any((c.get("metadata", {}).get("nbgrader") or {}).get("solution") for _, c in code)
    lines, spans = [], []
    for number, cell in code:
        text = _cell_text(cell)
        if graded and not (cell.get("metadata", {}).get("nbgrader") or {}).get("solution"):
            kept = _allowed_imports(text)
            if not kept:
                continue
        else:
            kept = [_MAGIC.sub(r"\1pass  # \2", line) if _MAGIC.match(line) else line for line in text.splitlines()]
        spans.append((number, len(lines) + 1))
        lines += kept + [""]
    return "\n".join(lines) + "\n", spans


def _notebook_source(path: Path) -> Source:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        text, spans = notebook_code(nb)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SubmissionError(f"{path}: not a readable notebook ({exc})") from None
    return Source(label=path.name, text=text, path=str(path), cells=spans)


def _file_source(path: Path) -> Source:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SubmissionError(f"{path}: cannot be read ({exc})") from None
    return Source(label=path.name, text=text, path=str(path))


def load_submission(path: str | Path) -> Submission:
    """Read a ``.py`` file, an ``.ipynb`` notebook or a folder of them (sorted by name, hidden files and
    checkpoints skipped). Raise :class:`SubmissionError` with a one-line reason when it cannot."""
    p = Path(path)
    if not p.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.suffix in (".py", ".ipynb") and f.is_file()
                       and not any(part.startswith(".") or part == "__pycache__" for part in f.relative_to(p).parts))
        if not files:
            raise SubmissionError(f"{path}: the folder holds no .py or .ipynb file")
        return Submission(str(path), [_notebook_source(f) if f.suffix == ".ipynb" else _file_source(f) for f in files])
    if p.suffix == ".ipynb":
        return Submission(str(path), [_notebook_source(p)])
    if p.suffix == ".py":
        return Submission(str(path), [_file_source(p)])
    raise SubmissionError(f"{path}: expected a .py file, an .ipynb notebook or a folder of them")
