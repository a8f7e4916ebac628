"""Read a submission: a ``.py`` file, an ``.ipynb`` notebook, or a folder of them, as Python sources.

Nothing here runs student code, and nothing a submission holds can raise out of here but a
:class:`SubmissionError` with a one-line reason. Sources are decoded as Python decodes them (PEP 263
coding cookies, a UTF-8 byte-order mark). A notebook becomes one source made of its code cells (only the
nbgrader solution cells when the notebook is an nbgrader assignment), each cell parsed on its own: a cell
that does not parse is left out (its lines kept blank) and costs only what it defines. IPython magics and
shell escapes are recognised by IPython's own input transformer and become calls on a shell that does
nothing (:mod:`autograder.sandbox.runtime.child`).
"""

from __future__ import annotations

import ast
import codecs
import errno
import io
import json
import os
import re
import stat
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ..exercises.policy import ALLOWED_IMPORTS
from ..sandbox.runtime.protocol import printable

__all__ = ["Source", "Submission", "SubmissionError", "load_submission", "notebook_code", "code_files", "read_file",
           "MAX_SOURCE_BYTES", "MAX_NOTEBOOK_BYTES", "MAX_FILES"]

#: The largest ``.py`` file read (a whole course's answers are about 30 KB).
MAX_SOURCE_BYTES = 2 * 2**20
#: The largest notebook read (outputs with pictures included).
MAX_NOTEBOOK_BYTES = 32 * 2**20
#: The most ``.py``/``.ipynb`` files a folder may hold.
MAX_FILES = 200

#: The encodings a source's coding cookie may name (as :func:`codecs.lookup` names them): the ones people
#: write Python in, whose decoders take time in proportion to the text (``punycode``'s is quadratic: a
#: 2 MiB file once held the grader 14 minutes).
SOURCE_ENCODINGS = frozenset({"utf-8", "utf-8-sig", "ascii", "cp1250", "cp1251", "cp1252", "cp1253",
                              "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "koi8-r", "koi8-u", "mac-roman",
                              "gbk", "gb2312", "gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp932",
                              "cp949", "cp950", "utf-16", "utf-16-le", "utf-16-be"}
                             | {f"iso8859-{n}" for n in range(1, 17)})

#: Cell magics whose body is Python that runs as written (``%%time`` above a cell of definitions).
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun"}


class SubmissionError(Exception):
    """The submission cannot be read at all (no such path, unreadable file, not a notebook)."""


def parse(text: str, label: str) -> tuple[ast.Module | None, tuple[int, str] | None]:
    """``(tree, None)``, or ``(None, (line, why))`` when ``text`` does not parse; never raises (a parser
    out of stack or memory on a hostile source is a reason like any other)."""
    try:
        return ast.parse(text, filename=label), None
    except SyntaxError as exc:   # its message can quote the offending character
        return None, (exc.lineno or 0, printable(str(exc.msg))[:200])
    except ValueError as exc:   # null bytes
        return None, (0, printable(str(exc))[:200])
    except (RecursionError, MemoryError) as exc:
        return None, (0, f"too deeply nested or too large for Python's parser ({type(exc).__name__})")


@dataclass
class Source:
    """One unit of student code: a file, or a notebook's code cells joined.

    Attributes
    ----------
    label : str
        How messages name it (``5-convolve.py``, ``conv.ipynb``).
    text : str
        Python source (a notebook's cells that do not parse are blank lines here).
    path : str
    cells : list of (int, int)
        For notebooks, ``(cell number, first line)`` of each cell in ``text``.
    broken : dict of int to (str, str)
        For notebooks, each cell that does not parse, by cell number: its code, and where and why.
    encoding : str
        How the file was decoded (its copy for the child is written the same way).
    syntax_error : str or None
        Why the whole source cannot run (a file that does not parse or decode), located.
    names : dict of str to str
        Names the code uses that are bound outside its text, and what they stand for (``np`` ->
        ``numpy`` for a notebook function whose cell did not import it): the rules read calls through them.
    """

    label: str
    text: str
    path: str
    cells: list[tuple[int, int]] = field(default_factory=list)
    broken: dict[int, tuple[str, str]] = field(default_factory=dict)
    encoding: str = "utf-8"
    tree: ast.Module | None = None
    syntax_error: str | None = None
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.syntax_error is not None:
            return
        self.tree, problem = parse(self.text, self.label)
        if problem is not None:
            line, why = problem
            self.syntax_error = f"{self.where(line)}: {why}" if line else f"{self.label}: {why}"

    @cached_property
    def lines(self) -> list[str]:
        """The text's lines (split once: rules quote many of them)."""
        return self.text.splitlines()

    def _cell_at(self, line: int) -> tuple[int, int]:
        """``(cell number, first line)`` of the notebook cell that holds ``line`` of the text."""
        cell, start = self.cells[0]
        for c, s in self.cells:
            if s <= line:
                cell, start = c, s
        return cell, start

    def where(self, line: int) -> str:
        """``file.py, line 7`` or ``notebook.ipynb, cell 4, line 2``."""
        if not self.cells:
            return f"{self.label}, line {line}"
        cell, start = self._cell_at(line)
        return f"{self.label}, cell {cell}, line {line - start + 1}"

    def cell_of(self, line: int | None) -> int | None:
        """The notebook cell that holds ``line`` of the text (None for a file or no line)."""
        return self._cell_at(line)[0] if self.cells and line else None

    def definition_line(self, name: str) -> int | None:
        """The line of the text where ``name`` is defined at top level (the last definition), if it is."""
        if self.tree is not None:
            lines = [n.lineno for n in self.tree.body if _defines_node(n, name)]
            if lines:
                return lines[-1]
        found = list(_definition(name).finditer(self.text))
        return self.text.count("\n", 0, found[-1].start()) + 1 if found else None

    def defines(self, name: str) -> bool:
        """Whether the text defines ``name`` at top level (also in code that does not parse)."""
        if self.tree is not None:
            return (any(_defines_node(n, name) for n in self.tree.body)
                    or any(_definition(name).search(code) for code, _ in self.broken.values()))
        return _definition(name).search(self.text) is not None

    def problem(self, name: str) -> str | None:
        """Why the code defining ``name`` cannot run (the whole source, or the cell defining it, does not
        parse), located; None when it can."""
        if self.syntax_error is not None:
            return self.syntax_error
        if self.tree is not None and any(_defines_node(n, name) for n in self.tree.body):
            return None
        for code, why in self.broken.values():
            if _definition(name).search(code):
                return why
        return None


def _defines_node(node: ast.stmt, name: str) -> bool:
    """Whether a top-level statement defines ``name`` (a function, a class, an assignment)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name == name
    return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)


def _definition(name: str) -> re.Pattern:
    """A definition of ``name`` at the start of a line, for code that does not parse."""
    return re.compile(rf"^\s*(def\s+{re.escape(name)}\b|{re.escape(name)}\s*=)", re.M)


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


def _cell_text(cell) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def _allowed_imports(tree: ast.Module, text: str) -> list[str]:
    """The top-level ``import numpy`` / ``import math`` statements of a cell, as source lines."""
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


_transformer = None


def as_python(cell: str) -> str:
    """A cell's code as IPython would run it: magics and shell escapes become ``get_ipython()`` calls
    (IPython's own input transformer decides what is a magic, so ``% 2)`` inside parentheses stays
    Python); the body of ``%%time`` and its kind stays code, so that it is graded as written."""
    global _transformer
    first, _, rest = cell.partition("\n")
    magic = re.match(r"\s*%%(\w+)", first)
    if magic and magic.group(1) in _PYTHON_CELL_MAGICS:
        return "\n" + as_python(rest)
    if "%" not in cell and "!" not in cell and "?" not in cell:
        return cell   # the common case, and what authoring's generated model answers rely on
    if _transformer is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _transformer = TransformerManager()
    try:   # IPython expects every line to end with a newline (it warns otherwise)
        out = _transformer.transform_cell(cell if cell.endswith("\n") else cell + "\n")
        return out if cell.endswith("\n") else out[:-1] if out.endswith("\n") else out
    except Exception:  # noqa: BLE001 - IPython gives up on some broken cells; the parser then says why
        return cell


def notebook_code(nb: dict, label: str = "notebook") -> tuple[str, list[tuple[int, int]], dict[int, tuple[str, str]]]:
    """The Python the grader reads from a notebook: its text, ``(cell number, first line)`` of each cell
    in it, and the cells that do not parse (``{cell number: (code, where and why)}``, left blank in the
    text).

    In an nbgrader assignment that is the solution cells, preceded by the ``numpy``/``math`` imports of
    the other code cells (a lesson's set-up cell imports NumPy for everyone); in a plain notebook, every
    code cell.
    """
    cells = nb["cells"]
    if not isinstance(cells, list):
        raise TypeError("its 'cells' is not a list")
    code = [(i + 1, c) for i, c in enumerate(cells) if isinstance(c, dict) and c.get("cell_type") == "code"]

    def solution(cell) -> bool:
        meta = cell.get("metadata")
        grader = meta.get("nbgrader") if isinstance(meta, dict) else None
        return isinstance(grader, dict) and bool(grader.get("solution"))

    graded = any(solution(c) for _, c in code)
    lines, spans, broken = [], [], {}
    for number, cell in code:
        text = as_python(_cell_text(cell))
        tree, problem = parse(text, label)
        if graded and not solution(cell):
            kept = _allowed_imports(tree, text) if tree is not None else []
            if not kept:
                continue
        elif problem is not None:
            line, why = problem
            where = f"{label}, cell {number}" + (f", line {line}" if line else "")
            broken[number] = (text, f"{where}: {why}")
            kept = [""] * len(text.splitlines())
        else:
            kept = text.splitlines()
        spans.append((number, len(lines) + 1))
        lines += kept + [""]
    return "\n".join(lines) + "\n", spans, broken


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of a submission's regular file, at most ``limit`` of them. Never follows a symbolic link
    and never blocks: a link to a classmate's work, the model answers or ``/proc/kmsg``, a FIFO or a
    device is a :class:`SubmissionError`, not a read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        why = "a symbolic link: a submission's files must be its own" if exc.errno == errno.ELOOP else exc.strerror
        raise SubmissionError(f"{printable(str(path))}: cannot be read ({why or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SubmissionError(f"{printable(str(path))}: not a regular file")
        if info.st_size > limit:
            raise SubmissionError(f"{printable(str(path))}: {info.st_size:,} bytes, more than the {limit:,} a "
                                  "submission's file may have")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(2**20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise SubmissionError(f"{printable(str(path))}: more than the {limit:,} bytes a submission's file may have")
        return b"".join(chunks)
    except OSError as exc:
        raise SubmissionError(f"{printable(str(path))}: cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def code_files(path: Path) -> list[Path]:
    """The ``.py`` and ``.ipynb`` files of a submission folder, sorted by name (hidden files and
    checkpoints skipped). A symbolic link anywhere below ``path`` is a :class:`SubmissionError`: it could
    point at anything the grader can read."""
    files = []
    try:
        for f in sorted(path.rglob("*")):
            rel = f.relative_to(path).parts
            if any(part.startswith(".") or part == "__pycache__" for part in rel):
                continue
            if f.is_symlink():
                raise SubmissionError(f"{printable(str(f))}: a symbolic link: a submission's files must be its own")
            if f.suffix in (".py", ".ipynb") and f.is_file():
                files.append(f)
    except OSError as exc:
        raise SubmissionError(f"{printable(str(path))}: cannot be listed ({exc.strerror or exc})") from None
    if len(files) > MAX_FILES:
        raise SubmissionError(f"{printable(str(path))}: {len(files)} .py and .ipynb files, more than the {MAX_FILES} "
                              "a submission may have")
    return files


def _notebook_source(path: Path) -> Source:
    data = read_file(path, MAX_NOTEBOOK_BYTES)
    try:
        nb = json.loads(data.decode("utf-8-sig"))
        if not isinstance(nb, dict):
            raise TypeError("it is not a JSON object")
        text, spans, broken = notebook_code(nb, printable(path.name))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SubmissionError(f"{printable(str(path))}: not a readable notebook ({type(exc).__name__}: "
                              f"{printable(str(exc)[:200])})") from None
    except (RecursionError, MemoryError) as exc:
        raise SubmissionError(f"{printable(str(path))}: not a readable notebook (nested too deeply or too large: "
                              f"{type(exc).__name__})") from None
    return Source(label=printable(path.name), text=text, path=str(path), cells=spans, broken=broken)


def _file_source(path: Path) -> Source:
    """A ``.py`` file decoded as Python would (PEP 263); one that does not decode is a source that cannot
    run, with the reason (its text, decoded with replacement characters, still says what it defines)."""
    data = read_file(path, MAX_SOURCE_BYTES)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if codecs.lookup(encoding).name not in SOURCE_ENCODINGS:
            raise LookupError(f"the coding cookie asks for {encoding!r}; sources may be in "
                              f"{', '.join(sorted(SOURCE_ENCODINGS))}")
        text = data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as exc:
        why = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return Source(label=printable(path.name), text=data.decode("utf-8", errors="replace"), path=str(path),
                      syntax_error=f"{printable(path.name)}: cannot be decoded as Python source ({why[:200]})")
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(label=printable(path.name), text=text, path=str(path),
                  encoding="utf-8" if encoding == "utf-8-sig" else encoding)


def load_submission(path: str | Path) -> Submission:
    """Read a ``.py`` file, an ``.ipynb`` notebook or a folder of them (sorted by name, hidden files and
    checkpoints skipped). Raise :class:`SubmissionError` with a one-line reason when it cannot."""
    p = Path(path)
    if not p.exists():
        raise SubmissionError(f"{path}: no such file or folder")
    if p.is_dir():
        files = code_files(p)
        if not files:
            raise SubmissionError(f"{path}: the folder holds no .py or .ipynb file")
        return Submission(str(path), [_notebook_source(f) if f.suffix == ".ipynb" else _file_source(f) for f in files])
    if p.suffix == ".ipynb":
        return Submission(str(path), [_notebook_source(p)])
    if p.suffix == ".py":
        return Submission(str(path), [_file_source(p)])
    raise SubmissionError(f"{path}: expected a .py file, an .ipynb notebook or a folder of them")
