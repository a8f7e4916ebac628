"""The grader's reading of a child's replies (SPEC §4): whatever a reply holds, each field comes out in
the form the grader uses and cut to size, or the request fails with a ProtocolError; the checks that
judge a case never raise on what came back."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.grading.cases import expected, hidden_cases, public_cases
from autograder.grading.compare import check
from autograder.sandbox import Outcome
from autograder.sandbox.replies import (MAX_TEXT, clean_error, clean_found, clean_imports, clean_load_errors,
                                        clean_shared_results)
from autograder.sandbox.runtime.protocol import Opaque, ProtocolError

_scalars = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
            | st.floats(allow_nan=True) | st.text(max_size=40) | st.binary(max_size=10))
_any = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                    | st.dictionaries(st.sampled_from(["type", "message", "line", "file", "code", "module",
                                                       "params", "kind", "varargs", "dtype", "shape", "x"]),
                                      inner, max_size=6), max_leaves=20)
_long = st.integers(min_value=MAX_TEXT + 1, max_value=10**6).map(lambda n: "y" * n)


def _text_ok(value, limit=MAX_TEXT + 60):
    return isinstance(value, str) and len(value) <= limit


@settings(max_examples=300)
@given(reply=_any | _long, names=st.lists(st.sampled_from(["convolve", "pool", "x"]), max_size=3))
def test_every_reply_field_comes_out_in_its_form_and_size(reply, names):
    err = clean_error(reply)
    assert _text_ok(err.type) and _text_ok(err.message)
    assert err.line is None or (type(err.line) is int and err.line >= 0)
    for imp in clean_imports(reply):
        assert _text_ok(imp["module"]) and _text_ok(imp["file"])
    for name, info in clean_found(reply, names).items():
        assert name in names and info["kind"] in ("function", "value")
        assert all(isinstance(p, str) for p in info["params"]) and type(info["varargs"]) is bool
    assert all(_text_ok(e.message) for e in clean_load_errors(reply))
    try:
        metas = clean_shared_results(reply, 2, 4096)
    except ProtocolError:
        return
    assert len(metas) == 2
    for meta in metas:   # one array, or the parts of a tuple result, which together fit the slot
        parts = meta if isinstance(meta, list) else [meta]
        assert sum(-(-n // 64) * 64 for _, _, n, _ in parts) <= 4096 or len(parts) == 1 and parts[0][2] <= 4096
        assert all(type(at) is int and 0 <= at < 2**63 for _, _, _, at in parts)


@given(parts=st.lists(st.fixed_dictionaries({"dtype": st.sampled_from(["<f8", "<f4", "|u1", "|O", "<U3"]),
                                              "shape": st.lists(st.integers(0, 40), max_size=3),
                                              "at": st.sampled_from([0, 4096, -1, 2**64, "7", 1.5])}),
                      max_size=10))
def test_the_parts_of_a_timed_tuple_answer_fit_their_slot_or_are_refused(parts):
    try:
        (meta,) = clean_shared_results([{"parts": parts}], 1, 4096)
    except ProtocolError:
        return
    assert 0 < len(meta) <= 8 and sum(-(-n // 64) * 64 for _, _, n, _ in meta) <= 4096
    assert all(np.dtype(d).kind in "buif" for d, _, _, _ in meta)
    assert all(at in (0, 4096) for _, _, _, at in meta)   # an address is an int the machine can have


@settings(max_examples=200)
@given(fields=st.dictionaries(st.sampled_from(["type", "message", "line", "file", "code"]), _any | _long))
def test_a_hostile_error_is_a_located_failure(fields):
    err = clean_error(fields)
    assert len(err.message) <= MAX_TEXT + 60 and len(err.type) <= 160


_values = (_any | st.builds(lambda n: np.zeros(n), st.integers(0, 5))
           | st.builds(lambda s: np.full((1, 2, 2), s), st.floats(allow_nan=True, allow_infinity=True))
           | st.builds(lambda: Opaque("Sneaky", "x" * 1000)) | _long)
_cases = [c for slug in ("convolve_grayscale_valid", "pool", "output_size", "parameter_count", "convolve_backward",
                         "receptive_field", "numerical_gradient")
          for c in public_cases(slug)[:2] + hidden_cases(slug, "fuzz")[:1]]


@settings(max_examples=300)
@given(case=st.sampled_from(_cases), value=_values, ok=st.booleans(), error=_any, after=_any)
def test_the_staged_check_never_raises_on_what_came_back(case, value, ok, error, after):
    outcome = Outcome(ok, value=value, error=clean_error(error) if not ok else None,
                      args_after=tuple(after) if isinstance(after, (list, tuple)) else ())
    verdict = check(case, expected(case), outcome)
    assert isinstance(verdict.message, str) and len(verdict.message) < 2000
    if case.hidden and not verdict.passed:
        assert "yyyy" not in verdict.message and "Sneaky" not in verdict.message


def test_an_exception_type_name_that_is_no_identifier_is_reported_as_error():
    """A child's class named "E\\n  bob  0/141 copied" would carry a line of its own into every message,
    summary and log that quotes it (tests/classroom/test_attack_summary_forgery.py)."""
    from autograder.sandbox.replies import clean_error

    for forged in ("E\n  bob  0/141 copied", "E\tx", "\x1b[2KE", "a b", "", "1E", "E.", 7):
        assert clean_error({"type": forged, "message": "m"}).type == "Error", forged
    for honest in ("ValueError", "numpy.linalg.LinAlgError", "_Private", "E" * 300):
        assert clean_error({"type": honest, "message": "m"}).type.startswith(honest[:100])
