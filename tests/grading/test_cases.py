"""Cases: hidden ones are reproducible per student, differ between students and cover SPEC §3's edges."""

from __future__ import annotations

import numpy as np

from autograder.exercises import registry
from autograder.grading.cases import all_cases, expected, hidden_cases, public_cases
from autograder.sandbox.runtime.functions import ScalarFunction


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


def test_a_hidden_case_says_what_kind_it_is_and_nothing_it_holds():
    """`conv_output_size(n=22, k=4, padding='same')` once named a hidden case whole: now its kind only."""
    from autograder.grading.cases import hidden_cases
    from autograder.grading.compare import check
    from autograder.grading.kinds import case_kind
    from autograder.sandbox.runner import Outcome

    for case in hidden_cases("output_size", "ann", "s3cret") + hidden_cases("convolve_grayscale", "ann", "s3cret"):
        wrong = check(case, None, Outcome(True, value="nonsense"))
        kind = case_kind(case)
        assert not wrong.passed and f"on a hidden case ({kind})" in wrong.message if kind else "on a hidden case " in wrong.message
        for value in case.args:
            if isinstance(value, int) and value > 9:
                assert str(value) not in wrong.message, wrong.message
    kinds = {case_kind(c) for c in hidden_cases("convolve_grayscale", "ann", "s3cret")}
    assert any("uint8 images" in k for k in kinds) and any("an even kernel" in k for k in kinds)
    assert any("a dilation > 1" in k for k in kinds) and any("a stride > 1" in k for k in kinds)


#: Each exercise's first public cases as they were before issue 14 added public cases (how many, and a
#: digest of their ids and inputs): cases are only ever added after them.
EARLIER_PUBLIC = {
    "correlate_by_hand": (2, "373e87b0f5a934c7"), "convolve_grayscale_valid": (3, "b322c3b625940191"),
    "convolve_grayscale_same": (4, "2a5cb791188a9907"), "convolve_grayscale_padding": (3, "59e4f2e452878610"),
    "convolve_grayscale": (5, "fd15900c8dff5410"), "convolve_channels": (5, "ffb5071d9b00b055"),
    "convolve": (5, "46dd8fd6b3240c8d"), "pool": (5, "e6a04884b6293c0e"), "global_average_pool": (2, "f4b964ad58851465"),
    "depthwise_convolve": (3, "465d8f0b817ec05a"), "convolve_transpose": (3, "7ab9ecee8c08c51f"),
    "output_size": (6, "5796db89c0b1e1fc"), "parameter_count": (5, "bb1f59679f38eb3b"),
    "shape_tracking": (2, "2bc93ab80f3d67aa"),
    # the backward pass (issue 15), as first released
    "numerical_gradient": (6, "57938f8d1eb09d45"), "pool_backward": (9, "5195b0112da32001"),
    "convolve_backward": (8, "9dcf4e3679db0fd8"), "receptive_field": (6, "7920c4b69c5e7ad7"),
    # notebook 8's shapes, parameters and memory of LeNet-5 and a VGG block, as first released
    "architecture_tracking": (6, "8db92597503c6f20"),
}


def _digest(cases) -> str:
    import hashlib

    h = hashlib.sha256()
    for c in cases:
        h.update(c.id.encode())
        for a in c.args:
            if isinstance(a, ScalarFunction):   # what it is, not how it prints
                h.update(a.kind.encode() + a.weights.tobytes())
            else:
                h.update(np.ascontiguousarray(a).tobytes() if isinstance(a, np.ndarray) else repr(a).encode())
    return h.hexdigest()[:16]


def test_added_public_cases_come_after_the_earlier_ones_which_keep_their_names_and_inputs():
    for e in registry.EXERCISES:
        n, digest = EARLIER_PUBLIC[e.slug]
        cases = public_cases(e)
        assert _digest(cases[:n]) == digest, e.slug
        assert [c.name for c in cases[:n]] == [f"{'answer' if c.is_answer else 'public'}-{i + 1}"
                                               for i, c in enumerate(cases[:n])]


def test_the_public_cases_need_padding_where_the_notebook_says_they_do():
    """'same' at stride 2 on 8 pixels with a 3x3 kernel: no zero above, one below (the stride-1 amount is one
    each side), so 'same' padding worked out as at stride 1 fails a public case."""
    from autograder.reference import same_padding

    case = next(c for c in public_cases("convolve_grayscale") if c.id == "same-stride-2-padding-after")
    v = case.named
    assert v["images"].shape[1:] == (8, 8) and v["kernel"].shape == (3, 3) and v["stride"] == (2, 2)
    assert same_padding(8, 3, 2) == (0, 1) != same_padding(8, 3, 1)
    sizes = {c.id: c.named for c in public_cases("output_size")}
    assert sizes["same-stride-1"]["padding"] == "same" and sizes["same-stride-1"]["stride"] == 1
