"""Static rules of SPEC §2, read from the source without running it: loop budget, imports, calls, ``is``.

The loop budget counts ``for`` loops and comprehension clauses in the function and in every function of
the submission it calls, directly or not (each counted once); ``while`` is never allowed. Imports other
than ``numpy`` and ``math`` (also through ``__import__`` or ``importlib``) and calls that do the exercise
(``np.convolve``, SciPy, the course's own reference) break the rules, and so does running code made from a
string (``exec``, ``eval``, ``compile``) anywhere in the file, which no rule could read. Each finding
names its line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from ..exercises.model import Exercise
from ..exercises.policy import ALLOWED_IMPORTS, COURSE_PACKAGES, FORBIDDEN_CALLS, FORBIDDEN_PACKAGES
from ..sandbox.runtime.protocol import printable
from .results import RuleResult
from .submission import Source, Submission

__all__ = ["Finding", "check_rules", "borrowed_answers", "identity_comparisons", "function_nodes"]

_TYPE_NAMES = {"tuple", "list", "int", "float", "str", "dict", "bool", "set"}
#: Builtins that run code made from a string at run time: no rule can read that code (its loops, its
#: imports), so using them anywhere in a file breaks the rules of the exercises that file defines.
_DYNAMIC_CODE = {"exec", "eval", "compile", "builtins.exec", "builtins.eval", "builtins.compile"}


@dataclass(frozen=True)
class Finding:
    rule: str
    line: str
    text: str


def _walk(src: Source, node) -> list:
    """``ast.walk(node)`` as a list, made once per node of ``src`` (each exercise's rules walk the same
    helpers: a helper of 20,000 loops once took the grader minutes)."""
    cache = src.__dict__.setdefault("_walks", {})
    key = id(node)
    if key not in cache:
        cache[key] = list(ast.walk(node))
    return cache[key]


def _top_functions(sub: Submission) -> dict[str, tuple[Source, ast.AST]]:
    """The code a function may reach by name: the files' functions, classes (all their methods: a call of
    ``Layer().forward`` runs one) and lambdas bound to a name (``f = lambda x: ...``)."""
    found = {}
    for src in sub.sources:
        if src.tree is None:
            continue
        for node in src.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                found[node.name] = (src, node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        found[target.id] = (src, node.value)
    return found


def function_nodes(sub: Submission, name: str) -> list[tuple[Source, ast.AST]]:
    """The function ``name`` and every submission function it calls, transitively (each once)."""
    top = _top_functions(sub)
    if name not in top:
        return []
    seen, order, stack = set(), [], [name]
    while stack:
        current = stack.pop()
        if current in seen or current not in top:
            continue
        seen.add(current)
        src, node = top[current]
        order.append((src, node))
        for sub_node in _walk(src, node):
            if isinstance(sub_node, ast.Call) and isinstance(sub_node.func, ast.Name):
                stack.append(sub_node.func.id)
            elif isinstance(sub_node, ast.Name) and sub_node.id in top:  # passed as a value (map, callbacks)
                stack.append(sub_node.id)
    return order


def _aliases(src: Source) -> dict[str, str]:
    """Local name -> dotted name of what it stands for: the file's imports, and names bound to a module
    or a function of one (``s = np.fft``, ``_f = np.fft.fft2``, in the file or a function, chains too)."""
    if "_aliases" in src.__dict__:
        return src.__dict__["_aliases"]
    names = src.__dict__["_aliases"] = dict(src.names)
    nodes = _walk(src, src.tree)
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    bindings = [(n.targets[0].id, n.value) for n in nodes if isinstance(n, ast.Assign) and len(n.targets) == 1
                and isinstance(n.targets[0], ast.Name) and isinstance(n.value, (ast.Name, ast.Attribute))]
    for _ in range(3):   # `s = np.fft; t = s.fft2` resolves in two rounds
        for name, value in bindings:
            target = _dotted(value, names)
            if target and _root_name(value) in names and name not in names:
                names[name] = target
    return names


def _root_name(node) -> str | None:
    """The name an attribute chain starts from (``np`` of ``np.fft.fft2``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node, aliases) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    root = aliases.get(node.id, node.id)
    return ".".join([root] + parts[::-1])


#: The most findings a rule's message quotes (a helper of 3,000 loops once made a 2.7 MB result).
MAX_QUOTED = 5


def _snippet(src: Source, node) -> str:
    lines = src.lines
    line = lines[node.lineno - 1].strip() if node.lineno <= len(lines) else ""
    return f"{src.where(node.lineno)}: {printable(line[:80])}"


def _quoted(items: list[str]) -> str:
    more = len(items) - MAX_QUOTED
    return "; ".join(items[:MAX_QUOTED]) + (f"; and {more} more" if more > 0 else "")


def _import_findings(src: Source, nodes, own: frozenset[str] = frozenset()) -> list[Finding]:
    """Forbidden imports among ``nodes``; ``own`` names the submission's own modules (files of a folder,
    as in ``__import__('5-convolve')``), which may be imported."""
    allowed = ALLOWED_IMPORTS | own
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] not in allowed:
                    out.append(Finding("forbidden-import", _snippet(src, node), f"imports {a.name}"))
        elif isinstance(node, ast.ImportFrom):
            mod = (node.module or "").split(".")[0]
            if node.level or mod not in allowed:
                out.append(Finding("forbidden-import", _snippet(src, node), f"imports from {node.module or '.'}"))
        elif isinstance(node, ast.Call):
            target = _dotted(node.func, {})
            if target in ("__import__", "importlib.import_module", "builtins.__import__"):
                arg = node.args[0] if node.args else None
                name = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
                if name is None or name.split(".")[0] not in allowed:
                    out.append(Finding("forbidden-import", _snippet(src, node),
                                       f"imports {name or 'a module chosen at run time'} with {target}"))
    return out


def _call_findings(src: Source, fn_node, aliases) -> list[Finding]:
    out = []
    for node in _walk(src, fn_node):
        if isinstance(node, ast.Call):
            target = _dotted(node.func, aliases)
            if target and (target in FORBIDDEN_CALLS or target.split(".")[0] in FORBIDDEN_PACKAGES):
                out.append(Finding("forbidden-call", _snippet(src, node), f"calls {target}"))
    return out


def _dynamic_code_findings(src: Source) -> list[Finding]:
    return [Finding("forbidden-call", _snippet(src, node), f"runs code built at run time with {target}")
            for node in _walk(src, src.tree)
            if isinstance(node, ast.Call) and (target := _dotted(node.func, {})) in _DYNAMIC_CODE]


#: A string naming course code: a module (``autograder.reference``, ``convcourse``) or a path into it
#: (``/work/solutions/01.py``, ``autograder/reference``). A bare ``"solutions"`` is left to the run-time
#: watch: it is also a word students print.
_COURSE_WORD = re.compile(r"(?:^|[/\\])(?:%s)(?:$|[./\\])|(?:^|[/\\])solutions[/\\]"
                          % "|".join(p for p in COURSE_PACKAGES if p != "solutions"))


def _course_module(name: str | None, own: frozenset[str] = frozenset()) -> bool:
    """Whether module ``name`` is the course's (a submission's own file called ``solutions.py`` is not)."""
    return bool(name) and name.split(".")[0] in COURSE_PACKAGES and name.split(".")[0] not in own


def borrowed_answers(sub: Submission, exercise: Exercise) -> list[Finding]:
    """Where the exercise's functions (and the code they reach) use the course's own code, read from the
    source: an import of it (also with ``__import__`` or ``importlib``), a name bound to it (``from
    autograder.reference import pool as p`` in the file, then ``p(...)``), or a call given a string that
    names it (``open('solutions/...')``, ``import_module('auto' 'grader.reference')``). Each is a
    borrowed answer (SPEC §2), not a rule: what it returns is not the student's."""
    out = []
    own = frozenset(Path(s.path).stem for s in sub.sources)
    for spec in exercise.functions:
        for src, fn in function_nodes(sub, spec.name):
            aliases = _aliases(src)
            for node in _walk(src, fn):
                what = None
                if isinstance(node, ast.Import):
                    what = next((f"imports {a.name}" for a in node.names if _course_module(a.name, own)), None)
                elif isinstance(node, ast.ImportFrom) and not node.level and _course_module(node.module, own):
                    what = f"imports from {node.module}"
                elif isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
                    target = _dotted(node, aliases)
                    root = _root_name(node)
                    if target and root in aliases and _course_module(target, own):
                        what = f"uses {target}"
                elif isinstance(node, ast.Call):
                    given = list(node.args) + [k.value for k in node.keywords]
                    text = next((c.value for a in given for c in ast.walk(a) if isinstance(c, ast.Constant)
                                 and isinstance(c.value, str) and _COURSE_WORD.search(c.value)), None)
                    if text is not None:
                        what = f"reaches {printable(text[:60])!s} at run time"
                if what:
                    out.append(Finding("borrowed-answer", _snippet(src, node), what))
    unique = {(f.line, f.text): f for f in out}
    return sorted(unique.values(), key=_line_number)


def identity_comparisons(sub: Submission, name: str) -> list[Finding]:
    """``x is 'same'``, ``padding is tuple`` and the like in the function or its helpers."""
    out = []
    for src, fn in function_nodes(sub, name):
        for node in _walk(src, fn):
            if isinstance(node, ast.Compare) and any(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
                sides = [node.left] + node.comparators
                if any(isinstance(x, ast.Call) and isinstance(x.func, ast.Name) and x.func.id == "type" for x in sides):
                    continue   # `type(x) is tuple` is right: there is one tuple type
                for side in sides:
                    literal = isinstance(side, ast.Constant) and side.value is not None and \
                        not isinstance(side.value, bool) and side.value is not Ellipsis
                    type_name = isinstance(side, ast.Name) and side.id in _TYPE_NAMES
                    if literal or type_name or isinstance(side, (ast.Tuple, ast.List)):
                        out.append(Finding("identity-comparison", _snippet(src, node), "compares with `is`"))
                        break
    return out


def check_rules(sub: Submission, exercise: Exercise) -> list[RuleResult]:
    """The rule results of ``exercise`` for the functions the submission defines (empty if it has none, or
    the exercise's answer is not code): the loop budget where the exercise has one, imports and calls."""
    if not exercise.functions:
        return []
    functions = [pair for spec in exercise.functions for pair in function_nodes(sub, spec.name)]
    if not functions:
        return []
    loops, whiles, imports, calls = [], [], [], []
    seen_sources = set()
    own = frozenset(Path(s.path).stem for s in sub.sources)
    for src, fn in functions:
        aliases = _aliases(src)
        for node in _walk(src, fn):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                loops.append(_snippet(src, node))
            elif isinstance(node, ast.comprehension):
                loops.append(_snippet(src, node.iter))
            elif isinstance(node, ast.While):
                whiles.append(_snippet(src, node))
        calls += _call_findings(src, fn, aliases)
        imports += _import_findings(src, _walk(src, fn), own)
        if src.label not in seen_sources:
            seen_sources.add(src.label)
            calls += _dynamic_code_findings(src)
            imports += _import_findings(src, [n for n in src.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))],
                                        own)
    budget = exercise.loop_budget
    if budget is None:
        loop = None
    elif whiles:
        loop = RuleResult("loop-budget", False, f"`while` is not allowed: {whiles[0]}", whiles[0])
    elif len(loops) > budget:
        loop = RuleResult("loop-budget", False, f"{len(loops)} for loops (budget {budget}); the loops are at "
                                                + _quoted(loops), loops[budget])
    else:
        loop = RuleResult("loop-budget", True, f"{len(loops)} for loop{'s' if len(loops) != 1 else ''} (budget {budget})")
    return [r for r in (loop, _listed("forbidden-import", imports, "only numpy and math imported"),
                        _listed("forbidden-call", calls, "no forbidden calls")) if r is not None]


def _line_number(finding: Finding) -> int:
    try:
        return int(finding.line.split("line ")[1].split(":")[0])
    except (IndexError, ValueError):
        return 0


def _listed(rule: str, findings: list[Finding], ok: str) -> RuleResult:
    if not findings:
        return RuleResult(rule, True, ok)
    unique = sorted({(f.line, f.text): f for f in findings}.values(), key=_line_number)
    return RuleResult(rule, False, _quoted([f"{f.text} ({f.line})" for f in unique]), unique[0].line)
