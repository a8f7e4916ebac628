"""The catalogue: each exercise is one unit in its family module, and nothing else spells a slug."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from autograder.exercises import registry
from autograder.exercises.model import row
from autograder.grading.cases import all_cases, hidden_cases, public_cases
from autograder.timing.tiers import classify

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "autograder"
SLUGS = {e.slug for e in registry.EXERCISES}


def _family_of(slug: str) -> Path:
    family = next(f for f in registry.FAMILIES if any(e.slug == slug for e in f.EXERCISES))
    return Path(family.__file__)


def _string_literals(path: Path):
    """``(line, value)`` of each string constant of ``path`` that is not a docstring."""
    tree = ast.parse(path.read_text())
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_slug_is_spelled_outside_its_exercise_module_and_the_registry():
    """The reference names its own functions (some share a slug's spelling) and is left out."""
    registry_file = Path(registry.__file__)
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == registry_file or PACKAGE / "reference" in path.parents:
            continue
        for line, value in _string_literals(path):
            if value in SLUGS and path != _family_of(value):
                found.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not found, found
    # and the scan does see the slugs where they are defined
    assert all(any(v == e.slug for _, v in _string_literals(_family_of(e.slug))) for e in registry.EXERCISES)


def test_reading_the_catalogue_and_making_every_case_loads_no_numba():
    code = ("import sys\n"
            "from autograder.exercises import registry\n"
            "from autograder.grading.cases import all_cases, expected\n"
            "cases = [c for e in registry.EXERCISES for c in all_cases(e, 'someone')]\n"
            "print('numba' in sys.modules)\n"
            "expected(cases[3])\n"
            "print('numba' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["False", "True"], r.stdout   # until a reference answer is needed


def test_case_ids_are_unique_per_exercise_and_the_same_for_every_student():
    for e in registry.EXERCISES:
        alice, bob = all_cases(e, "alice"), all_cases(e, "bob", secret="another")
        ids = [c.id for c in alice]
        assert len(set(ids)) == len(ids) and all(ids), (e.slug, ids)
        assert ids == [c.id for c in bob], e.slug   # never drawn from the inputs
        assert not any(re.fullmatch(r"(public|hidden|answer)-\d+", i) for i in ids), ids


def test_inserting_a_case_renames_no_other():
    exercise = registry.get("convolve_grayscale_same")
    spec = exercise.functions[0]
    grown = dataclasses.replace(spec, public=lambda: [row("a-new-first-case", "new", images=np.zeros((1, 3, 3)),
                                                          kernel=np.ones((1, 1)))] + spec.public())
    before = public_cases(exercise)
    after = public_cases(dataclasses.replace(exercise, functions=(grown,)))
    assert [c.id for c in after[1:]] == [c.id for c in before]
    assert [c.name for c in after[1:]] != [c.name for c in before]   # names are places in the run
    assert all(np.array_equal(a.args[0], b.args[0]) for a, b in zip(after[1:], before))


def test_each_misconception_belongs_to_its_exercise_and_has_one_hint():
    hints = {}
    for e in registry.EXERCISES:
        for m in e.misconceptions:
            assert m.functions and set(m.functions) <= set(e.names), (e.slug, m.id, m.functions)
            assert m.predicts or m.explains or m.static, (e.slug, m.id)
            assert hints.setdefault(m.id, m.hint) == m.hint, m.id
    assert len(hints) >= 17


def test_each_function_names_a_reference_with_its_signature():
    for e in registry.EXERCISES:
        for spec in e.functions:
            params = list(inspect.signature(spec.reference).parameters)
            assert params == [p.name for p in spec.params], (spec.name, params)
            assert public_cases(e) and hidden_cases(e, "x"), e.slug


def test_points_are_stated_once():
    for e in registry.EXERCISES:
        assert e.max_score == e.points.correctness + sum(e.rule_points.values())
        assert bool(e.rule_points) == bool(e.functions)   # the rules apply to every answer that is code (SPEC §2)
        assert ("loop-budget" in e.rule_points) == (e.loop_budget is not None)
        assert (e.points.tier > 0) == (e.workload is not None), e.slug


def test_the_canonical_ratios_are_the_calibration_runs():
    """autograder/timing/canonical.json (what check(fn, perf=True) draws) holds the medians of docs/tiers.md's
    calibration run in force, and that run gives every class its tier with the catalogue's bounds."""
    canonical = json.loads((PACKAGE / "timing" / "canonical.json").read_text())["ratios"]
    doc = (ROOT / "docs" / "tiers.md").read_text()
    run1 = doc.split("## In force")[1].split("\n## ")[0].split("\n### ")[0]
    labels = {"pure_loops": "pure loops", "output_loops": "loops over output positions",
              "kernel_loops": "loops over kernel positions", "einsum": "sliding_window + einsum",
              "reference": "reference"}
    seen = 0
    bounds = {e.workload.name: e.workload for e in registry.EXERCISES if e.workload}
    for m in re.finditer(r"^\| (\w+) \| \w+ \(([\w-]+)\) \| ([\w-]+) \|.*\| (\d+)/20 \| [\d.]+ / ([\d.]+) / [\d.]+ \|"
                         r" [\d.]+ / [\d.]+ \|$", run1, re.M):
        assert canonical[m[2]][labels[m[1]]] == float(m[5]), m[0]
        assert classify(float(m[5]), bounds[m[2]]) == m[3] and int(m[4]) >= 19, m[0]   # stated bounds in force
        seen += 1
    assert seen == sum(len(v) for v in canonical.values()) == 25


def test_points_follow_difficulty():
    """Correctness points are twice the difficulty level (common.DIFFICULTY_POINTS), and a harder exercise
    is worth more: each step of the course's ladder at least as much as the one below it, the ends apart."""
    from autograder.exercises.common import DIFFICULTY_POINTS

    points = {e.slug: e.points.correctness for e in registry.EXERCISES}
    assert set(points.values()) <= set(DIFFICULTY_POINTS.values())
    ladder = ["correlate_by_hand", "convolve_grayscale_valid", "convolve_grayscale_same", "convolve_grayscale",
              "convolve_channels", "convolve"]
    assert all(points[a] <= points[b] for a, b in zip(ladder, ladder[1:])), points
    assert points["correlate_by_hand"] < points["convolve_grayscale_valid"] < points["convolve_grayscale_same"] \
        < points["convolve_grayscale"] < points["convolve"]
    assert points["global_average_pool"] < points["pool"] and points["correlate_by_hand"] < points["shape_tracking"]
    assert points["convolve_grayscale_valid"] <= points["convolve_transpose"] == max(points.values())
    assert points["global_average_pool"] == min(points.values())
