"""Cases: hidden ones are reproducible per student, differ between students and cover SPEC §3's edges."""

from __future__ import annotations

import numpy as np

from autograder.exercises import registry
from autograder.grading.cases import all_cases, expected, hidden_cases, public_cases


def _same(a, b):
    return all((np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y) for x, y in zip(a.args, b.args))


def test_hidden_cases_are_reproducible_and_per_student():
    for e in registry.EXERCISES:
        if not e.functions:
            continue
        a1, a2, b = hidden_cases(e.slug, "alice"), hidden_cases(e.slug, "alice"), hidden_cases(e.slug, "bob")
        assert all(_same(x, y) for x, y in zip(a1, a2))
        assert not all(_same(x, y) for x, y in zip(a1, b)), e.slug
        assert not all(_same(x, y) for x, y in zip(hidden_cases(e.slug, "alice", secret="other"), a1))


def test_every_case_has_an_answer_and_public_cases_are_fixed():
    for e in registry.EXERCISES:
        cases = all_cases(e.slug, "carol")
        assert cases, e.slug
        assert [c.name for c in public_cases(e.slug)] == [c.name for c in public_cases(e.slug)]
        for c in cases:
            expected(c)  # the reference accepts every case


def test_edge_cases_of_spec_section_3_are_covered():
    seen = set()
    for slug in ("convolve_grayscale_valid", "convolve_grayscale_same", "convolve_grayscale_padding",
                 "convolve_grayscale", "convolve_channels", "convolve", "pool"):
        for c in all_cases(slug, "dave"):
            v = c.named
            x = np.asarray(v["images"])
            k = v.get("kernel", v.get("kernels"))
            kshape = np.asarray(k).shape[:2] if k is not None else tuple(v["kernel_shape"])
            stride = v.get("stride", (1, 1))
            seen.add(("dtype", x.dtype.name))
            seen.add(("batch of one", x.shape[0] == 1))
            seen.add(("non-square image", x.shape[1] != x.shape[2]))
            seen.add(("1x1", kshape == (1, 1)))
            seen.add(("non-square kernel", kshape[0] != kshape[1]))
            seen.add(("even kernel", kshape[0] % 2 == 0 or kshape[1] % 2 == 0))
            seen.add(("non-square stride", tuple(stride)[0] != tuple(stride)[1]))
            seen.add(("stride > kernel", tuple(stride)[0] > kshape[0]))
            seen.add(("dilation", tuple(v.get("dilation", (1, 1))) != (1, 1)))
            seen.add(("kernel as large as image", kshape == x.shape[1:3]))
            pad = v.get("padding")
            seen.add(("large padding", isinstance(pad, tuple) and max(pad) >= 4))
    for edge in [("dtype", "uint8"), ("dtype", "float32"), ("batch of one", True), ("non-square image", True),
                 ("1x1", True), ("non-square kernel", True), ("even kernel", True), ("non-square stride", True),
                 ("stride > kernel", True), ("dilation", True), ("kernel as large as image", True),
                 ("large padding", True)]:
        assert edge in seen, edge


def test_added_parameters_are_passed_only_when_needed():
    for c in all_cases("convolve", "erin"):
        if len(c.args) == 5:
            assert c.needs == ("dilation",) and c.args[4] != (1, 1)
        else:
            assert not c.needs
