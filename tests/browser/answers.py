"""What a notebook must not show before the student's answers pass: the model answers of the exercises
answered with numbers (the by-hand output, the shape-tracking table), as the number sequences a printout,
a caption or a page would show. Shared by tests/course/test_lessons.py and the browser tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The note :func:`autograder.course.figures.answered` prints instead of a picture that shows an answer.
GATE_NOTE = "it draws once your answers pass"


def model_answers(name: str) -> dict[str, object]:
    """The answers of notebook ``name``'s by-hand exercises, from its instructor notebook's solution cells."""
    from autograder.exercises import registry

    wanted = [a.name for ex in registry.EXERCISES if ex.notebook == int(name[:2]) for a in ex.answers]
    nb = json.loads((ROOT / "course" / "source" / name / f"{name}.ipynb").read_text())
    namespace: dict = {}
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["metadata"].get("nbgrader", {}).get("solution") and any(f"{n} =" in source for n in wanted):
            exec(compile(source, name, "exec"), namespace)  # noqa: S102 - the course's own model answers
    return {n: namespace[n] for n in wanted}


def _flat(value) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _flat(v)]
    return [float(value)]


def answer_sequences(name: str) -> list[tuple[float, ...]]:
    """Each answer of notebook ``name`` as the numbers it would show, in order: every list answer whole,
    and each of its rows or shapes of 3 numbers or more (a lone number could be anything)."""
    seqs = []
    for value in model_answers(name).values():
        if isinstance(value, (list, tuple)):
            seqs.append(tuple(_flat(value)))
            seqs += [tuple(_flat(v)) for v in value if isinstance(v, (list, tuple)) and len(_flat(v)) >= 3]
    return seqs


def numbers(text: str) -> list[float]:
    """The numbers of a text in order ("18,496" is one number; "[ 1.  3. -2.]" three)."""
    return [float(n.replace(",", "")) for n in re.findall(r"-?\d+(?:,\d{3})*(?:\.\d*)?", text)]


def shown(seq: tuple[float, ...], text: str) -> bool:
    """Whether the numbers ``seq`` appear one after the other in ``text``."""
    found = numbers(text)
    return any(tuple(found[i:i + len(seq)]) == seq for i in range(len(found) - len(seq) + 1))
