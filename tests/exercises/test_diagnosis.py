"""Diagnosis that explains what really happened (issue 14).

- Every misconception is caught by a public case, for every exercise it applies to, and named: a student
  holding it (its predictor, or a few lines standing for a wrong implementation) fails a public case, and
  the grader names that idea first.
- When two ideas fit a case, the one consistent with every case wins; two ideas that together explain
  the failures are named together; a pattern across cases is told when no idea explains them; exceptions
  are explained.
"""

from __future__ import annotations

import copy
from collections import Counter

import numpy as np
import pytest

from autograder.exercises import registry
from autograder.exercises.common import RAISES
from autograder.exercises.model import Call
from autograder.grading.cases import all_cases, expected, public_cases
from autograder.grading.core import grade_cases
from autograder.grading.diagnose import analyse, explanation, judge
from autograder.grading.runner import InProcess
from autograder.grading.submission import load_submission
from autograder.sandbox.replies import ErrorRecord
from autograder.sandbox.runner import Outcome
from tests.exercises.scripted import Scripted, from_predictor, grade

FORMS = [(e.slug, m.id, i) for e in registry.EXERCISES for m in e.misconceptions for i in range(len(m.predicts))]

#: The secret of the hidden cases these tests draw (whatever $CONVCOURSE_SECRET holds).
SECRET = "diagnosis-tests"


@pytest.mark.parametrize("slug, idea, form", FORMS, ids=[f"{s}:{m}:{i}" for s, m, i in FORMS])
def test_every_form_of_every_idea_fails_a_public_case_and_is_named_first(tmp_path, slug, idea, form):
    exercise = registry.get(slug)
    result = grade(exercise, from_predictor(exercise.misconception(idea).predicts[form]), tmp_path)
    assert result.passed < result.total, f"no public case of {slug} catches {idea} (form {form})"
    assert result.diagnoses[:1] == [idea], (result.diagnoses, result.message)


# ------------------------------------------------------------------ the ideas no single output predicts

def _is_same_under_stride(case):
    v = case.named
    stride = v.get("stride", 1)
    return v.get("padding") == "same" and stride not in (1, (1, 1))


def _keeps_input_size(case, want):
    """The strided output's values, in an output allocated at the input size (the rest left zero)."""
    if not _is_same_under_stride(case):
        return want
    images = case.named["images"]
    out = np.zeros(images.shape[:3] + want.shape[3:])
    out[:, :want.shape[1], :want.shape[2]] = want
    return out


def _mutating(case, want):
    after = copy.deepcopy(case.args)
    first = next(a for a in after if isinstance(a, np.ndarray))
    first[(0,) * first.ndim] += 1
    return Outcome(True, value=want, args_after=after)


def _string_cases_raise(case, want):
    """``padding is 'same'`` is False for a string made at run time: the code goes on to ``ph, pw = padding``."""
    if any(isinstance(a, str) for a in case.args):
        return ErrorRecord("ValueError", "too many values to unpack (expected 2)")
    return want


def _as_string(case, want):
    return want if isinstance(want, np.ndarray) else str(want)


def _identity_source(exercise, compared="'same'"):
    spec = exercise.functions[0]
    params = [p.name for p in spec.params]
    which = next(p for p in ("padding", "mode") if p in params)
    return (f"def {spec.name}({', '.join(params)}):\n    if {which} is {compared}:\n        return None\n"
            f"    return None\n")


def _cast_error_on_integer_images(case, want):
    """``np.zeros_like(images)`` on uint8 images, then ``+=`` of a float gradient: NumPy refuses the cast."""
    dtype = np.asarray(case.named["images"]).dtype
    if dtype.kind in "iu":
        return ErrorRecord("UFuncTypeError", f"Cannot cast ufunc 'add' output from dtype('float64') to "
                                             f"dtype('{dtype}') with casting rule 'same_kind'")
    return want


def _rows_run_out(case, want):
    """``for i in range(x.size): x[i]``: a whole row each time, then past the first axis."""
    x = np.asarray(case.named["x"])
    if x.ndim > 1:
        return ErrorRecord("IndexError", f"index {x.shape[0]} is out of bounds for axis 0 with size {x.shape[0]}")
    return want


#: How a student holding each idea without a predictor answers: (reply, source or None).
WITHOUT_PREDICTOR = {
    "gradient-in-images-dtype": lambda e: (_cast_error_on_integer_images, None),
    "flat-index-on-array": lambda e: (_rows_run_out, None),
    "same-keeps-input-size": lambda e: (_keeps_input_size, None),
    "input-mutated": lambda e: (_mutating, None),
    "window-past-padded-image": lambda e: (lambda case, want: RAISES, None),
    "right-number-wrong-type": lambda e: (_as_string, None),
    "identity-comparison": lambda e: (
        (from_predictor(e.misconception("padding-ignored").predicts[0]), _identity_source(e, "tuple"))
        if not any(isinstance(a, str) for c in public_cases(e) for a in c.args)
        else (_string_cases_raise, _identity_source(e))),
}

WITHOUT = [(e.slug, m.id) for e in registry.EXERCISES for m in e.misconceptions if not m.predicts]


def test_every_idea_without_a_predictor_has_a_student_here():
    assert {idea for _, idea in WITHOUT} <= set(WITHOUT_PREDICTOR)


@pytest.mark.parametrize("slug, idea", WITHOUT, ids=[f"{s}:{m}" for s, m in WITHOUT])
def test_every_idea_without_a_predictor_fails_a_public_case_and_is_named_first(tmp_path, slug, idea):
    exercise = registry.get(slug)
    reply, source = WITHOUT_PREDICTOR[idea](exercise)
    result = grade(exercise, reply, tmp_path, source=source or "")
    assert result.passed < result.total, f"no public case of {slug} catches {idea}"
    assert result.diagnoses[:1] == [idea], (result.diagnoses, result.message)


# ---------------------------------------------------------------------------------- all cases together

def _evidence(exercise, reply, cases=None):
    """What the core counts: the evidence of each case, judged as the core judges it."""
    cases = public_cases(exercise) if cases is None else cases
    runner = Scripted(exercise, cases, reply)
    counts = Counter()
    for case in cases:
        outcome = runner.get(case.function) if case.is_answer else runner.call(case.function, case.args)
        counts.update(judge(exercise, case, expected(case), outcome)[1])
    return counts


def _size_reply(rule):
    def reply(case, want):
        v = case.named
        return rule(v["n"], v["k"], v["padding"], v["stride"], v["dilation"], want)
    return reply


def _keeps_n(n, k, pad, s, d, want):
    return n if pad == "same" else want


def _ignores_stride(n, k, pad, s, d, want):
    from autograder.reference import conv_output_size

    return conv_output_size(n, k, pad, 1, d)


def _plus_one(n, k, pad, s, d, want):
    from autograder.reference import conv_output_size

    return conv_output_size(n, k, ((n - 1) * s + k - n) // 2 + 1, s, d) if pad == "same" else want


def _keeps_n_half_kernel(n, k, pad, s, d, want):
    """'same' as k // 2 zeros on each side, and the stride left out of the size: n + 1 for even kernels."""
    k_eff = (k - 1) * d + 1
    return n + 2 * (k_eff // 2) - k_eff + 1 if pad == "same" else want


def test_returning_the_input_size_under_stride_is_named_by_what_the_other_cases_show(tmp_path):
    """(28, 3, 'same', stride 2) -> 28 fits three ideas; the other cases tell which one the student holds."""
    exercise = registry.get("output_size")
    same_stride_2 = next(c for c in public_cases(exercise) if c.id == "same-stride-2")
    for rule, idea, not_named in [(_keeps_n, "same-keeps-input-size", {"same-padding-plus-one", "stride-ignored"}),
                                  (_ignores_stride, "stride-ignored", {"same-padding-plus-one"}),
                                  (_plus_one, "same-padding-plus-one", {"stride-ignored"})]:
        reply = _size_reply(rule)
        assert reply(same_stride_2, 14) == 28
        result = grade(exercise, reply, tmp_path)
        assert result.diagnoses[0] == idea, (rule.__name__, result.diagnoses)
        assert not not_named & set(result.diagnoses), (rule.__name__, result.diagnoses)


def test_two_ideas_that_together_explain_the_failures_are_both_named(tmp_path):
    exercise = registry.get("output_size")
    reply = _size_reply(_keeps_n_half_kernel)
    a = analyse(exercise, _evidence(exercise, reply))
    assert set(a.primary) == {"same-keeps-input-size", "even-kernel-symmetric-padding"}, a
    assert "same-padding-plus-one" not in a.ids   # it fits both failures, but not the 'same' case that passes
    text = explanation(exercise, _evidence(exercise, reply))
    for idea in a.primary:
        assert exercise.misconception(idea).hint in text
    assert grade(exercise, reply, tmp_path).diagnoses[:2] == a.primary

    pool = registry.get("pool")
    zeros = [pool.misconception(i).predicts[0] for i in ("avg-counts-padding", "max-pool-zero-padding")]

    def padded_with_zeros(case, want):   # both modes pool a zero-padded image
        for predict in zeros:
            if (value := from_predictor(predict)(case, want)) is not want:
                return value
        return want

    assert set(analyse(pool, _evidence(pool, padded_with_zeros)).primary) == {"avg-counts-padding",
                                                                              "max-pool-zero-padding"}


def _garbage_when(test, error=None):
    def reply(case, want):
        if not test(case.named):
            return want
        return error if error is not None else want + 1.5
    return reply


def _even(v):
    k = np.shape(v["kernel"])
    return k[0] % 2 == 0 or k[1] % 2 == 0


@pytest.mark.parametrize("slug, test, error, words", [
    ("convolve_grayscale_same", _even, None, "every case with an even kernel fails, and every other case passes"),
    ("convolve_grayscale", lambda v: v["stride"] != (1, 1), ErrorRecord("KeyError", "'sh'"),
     "every case with a stride > 1 fails (raising KeyError), and every other case passes"),
    ("convolve_grayscale", lambda v: v["images"].dtype == np.uint8, None, "every case with uint8 images fails"),
    ("pool", lambda v: v["kernel_shape"][0] != v["kernel_shape"][1], None, "every case with a non-square kernel fails"),
])
def test_a_pattern_across_cases_is_told_when_no_idea_explains_them(slug, test, error, words):
    exercise = registry.get(slug)
    counts = _evidence(exercise, _garbage_when(test, error), all_cases(exercise, "pat", secret=SECRET))
    a = analyse(exercise, counts)
    assert not a.primary and a.ids == [], a
    assert words in explanation(exercise, counts)


def test_no_pattern_and_no_diagnosis_when_every_case_passes_or_every_case_fails():
    exercise = registry.get("convolve_grayscale_same")
    assert explanation(exercise, _evidence(exercise, lambda case, want: want)) == ""
    assert "pattern" not in explanation(exercise, _evidence(exercise, lambda case, want: want + 1.5))


# --------------------------------------------------------------------- real wrong code, real exceptions

def convolve_grayscale_same(images, kernel):
    """Symmetric (k - 1) // 2 padding, the output allocated at the input size: the last windows of an even
    kernel are one short, and broadcast (a 2-row kernel) or raise."""
    m, h, w = images.shape
    kh, kw = kernel.shape
    x = np.pad(images.astype(float), ((0, 0), ((kh - 1) // 2,) * 2, ((kw - 1) // 2,) * 2))
    out = np.zeros((m, h, w))
    for i in range(h):
        for j in range(w):
            out[:, i, j] = np.sum(x[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out


def convolve_grayscale_valid(images, kernel):
    """The output's width worked out with kh: one column short for a tall kernel, too wide for a flat one."""
    m, h, w = images.shape
    kh, kw = kernel.shape
    out = np.zeros((m, h - kh + 1, w - kh + 1))
    for i in range(h - kh + 1):
        for j in range(w - kh + 1):
            out[:, i, j] = np.sum(images[:, i:i + kh, j:j + kw] * kernel, axis=(1, 2))
    return out


def _graded_in_process(tmp_path, slug, fn, cases=None):
    import inspect

    exercise = registry.get(slug)
    path = tmp_path / "student.py"
    path.write_text("import numpy as np\n\n\n" + inspect.getsource(fn))
    cases = all_cases(exercise, "real", secret=SECRET) if cases is None else cases
    return grade_cases(exercise, cases, InProcess({fn.__name__: fn}), load_submission(path), rules=[])


def test_symmetric_padding_at_the_input_size_is_named_where_it_raises_and_where_it_broadcasts(tmp_path):
    result = _graded_in_process(tmp_path, "convolve_grayscale_same", convolve_grayscale_same)
    failed = [c for c in result.cases if not c.passed]
    assert {c.stage for c in failed} == {"runs", "values"}, [(c.stage, c.message) for c in failed]
    assert result.diagnoses[0] == "even-kernel-symmetric-padding", result.diagnoses
    exercise = registry.get("convolve_grayscale_same")
    counts = Counter()
    for case in all_cases(exercise, "real", secret=SECRET):
        outcome = InProcess({"convolve_grayscale_same": convolve_grayscale_same}).call(case.function, case.args)
        counts.update(judge(exercise, case, expected(case), outcome)[1])
    assert analyse(exercise, counts).primary == ["even-kernel-symmetric-padding"]


def test_a_wrong_kh_in_an_output_size_is_named_as_swapped_axes_not_a_missing_column(tmp_path):
    result = _graded_in_process(tmp_path, "convolve_grayscale_valid", convolve_grayscale_valid)
    assert not result.cases[0].passed or not all(c.passed for c in result.cases)
    assert result.diagnoses[0] == "kh-kw-swapped", (result.diagnoses, result.message)
    assert "missing-last-row-or-column" not in result.diagnoses   # square kernels pass: no row is missing


def test_an_exception_from_an_is_comparison_is_explained_with_its_line(tmp_path):
    exercise = registry.get("convolve_grayscale")
    source = _identity_source(exercise)
    path = tmp_path / "student.py"
    path.write_text(source)
    sub = load_submission(path)
    from autograder.grading.diagnose import static_findings

    seen = static_findings(exercise, sub, {"convolve_grayscale": {}})
    text = explanation(exercise, _evidence(exercise, _string_cases_raise), seen)
    assert text.startswith("Likely cause: `is` asks") and "line 2" in text, text


def test_a_window_past_the_padded_image_is_explained_when_nothing_says_why(tmp_path):
    exercise = registry.get("pool")

    def one_too_many(case, want):
        return RAISES if case.named["padding"] == "same" else want

    a = analyse(exercise, _evidence(exercise, one_too_many))
    assert a.primary == ["window-past-padded-image"], a
    assert "every case with 'same' padding fails (raising ValueError)" in explanation(
        exercise, _evidence(exercise, one_too_many))


def test_a_prediction_of_a_raise_matches_only_a_window_error():
    exercise = registry.get("convolve_grayscale_same")
    case = next(c for c in public_cases(exercise) if c.id == "even-kernel")
    want = expected(case)
    predict = exercise.misconception("even-kernel-symmetric-padding").predicts
    assert any(p(Call(case, case.named, want)) is not None for p in predict)
    for error, named in [(ErrorRecord("ValueError", "operands could not be broadcast together with shapes "
                                      "(1,1,2) (2,2)"), True),
                         (ErrorRecord("ValueError", "too many values to unpack"), False),
                         (ErrorRecord("IndexError", "index 6 is out of bounds for axis 1 with size 6"), True)]:
        outcome = Outcome(False, error=error)
        (evidence,) = judge(exercise, case, want, outcome)[1]
        assert ("window-past-padded-image" in evidence.explains) == named, (error, evidence)


# --------------------------------------------------------------------------------- the backward passes

def test_a_keepdims_d_bias_does_not_hide_the_other_mistake_of_convolve_backward(tmp_path):
    """34 of 35 channels-last solutions return d_bias as (1, 1, 1, nc), whatever else they get wrong: both
    ideas are named, each for the cases it explains."""
    exercise = registry.get("convolve_backward")
    crop = from_predictor(exercise.misconception("crop-minus-zero").predicts[0])

    def both(case, want):
        d_images, d_kernels, d_bias = crop(case, want)
        return d_images, d_kernels, d_bias.reshape(1, 1, 1, -1)

    a = analyse(exercise, _evidence(exercise, both))
    assert set(a.primary) == {"crop-minus-zero", "d-bias-keepdims"}, a
    assert not a.unexplained, a


def test_a_gradient_kept_in_the_images_uint8_dtype_is_named_whether_it_raises_or_truncates(tmp_path):
    """``np.zeros_like(images)``: ``+=`` raises NumPy's casting error; ``=`` stores the gradient truncated (and
    wrapped) in uint8."""
    exercise = registry.get("pool_backward")

    def assigned(case, want):
        images = np.asarray(case.named["images"])
        return want.astype(images.dtype) if images.dtype.kind in "iu" else want

    for reply in (assigned, _cast_error_on_integer_images):
        result = grade(exercise, reply, tmp_path)
        assert result.diagnoses[:1] == ["gradient-in-images-dtype"], (reply.__name__, result.diagnoses)


def test_a_gradient_slice_cut_short_is_a_window_past_the_padded_image():
    """In the backward loop the window's slice of the padded gradient is the target of ``+=``: NumPy says
    "non-broadcastable output operand" where the forward loop's product says "could not be broadcast"."""
    exercise = registry.get("convolve_backward")
    case = next(c for c in public_cases(exercise) if c.id == "same-even-kernel")
    outcome = Outcome(False, error=ErrorRecord("ValueError", "non-broadcastable output operand with shape "
                                                             "(1,2,1,2) doesn't match the broadcast shape (1,2,2,2)"))
    (evidence,) = judge(exercise, case, expected(case), outcome)[1]
    assert {"even-kernel-symmetric-padding", "window-past-padded-image"} <= set(evidence.explains), evidence
