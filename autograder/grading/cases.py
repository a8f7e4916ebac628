"""Test cases of each exercise: public ones (shown to students) and hidden ones seeded per student.

A case is the call a student's function receives (positional arguments in catalogue order; an added
parameter such as ``dilation`` is passed only when the case needs a value other than its default) or the
name of an answer to read. Expected values are never stored here: the grader computes them with the
reference, in its own process.

Hidden cases come from a generator seeded by ``sha256(student_key(secret, student), slug)``: every student gets
different inputs, and a regrade gives the same ones. Together they cover the edge cases of SPEC §3:
1x1 kernels, kernels as large as the (padded) image, non-square images, kernels and strides, even
kernels, strides larger than the kernel, large explicit padding, dilation, a batch of one, uint8 and
float32 inputs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..exercises import registry
from ..reference import examples

__all__ = ["Case", "public_cases", "hidden_cases", "all_cases", "seed_for", "student_key", "DEFAULT_SECRET",
           "NoSecret", "course_secret"]

#: Used when neither ``CONVCOURSE_SECRET`` nor an explicit secret is given (fine for practice; instructors
#: set their own so that students cannot regenerate the hidden inputs).
DEFAULT_SECRET = "convcourse-practice"


class NoSecret(Exception):
    """Grading for the record was asked for without a course secret (see :func:`course_secret`)."""


def course_secret(practice: bool = False, given: str | None = None) -> str:
    """The secret that seeds the hidden cases when grading for the record: ``given``, else
    ``$CONVCOURSE_SECRET``. Without one (unset, empty, or the public practice secret) raise
    :class:`NoSecret`, since every student's hidden cases would then be public; with ``practice``,
    return the practice secret instead."""
    if practice:
        return DEFAULT_SECRET
    secret = given if given is not None else os.environ.get("CONVCOURSE_SECRET", "")
    if not secret.strip() or secret == DEFAULT_SECRET:
        why = "is the public practice secret" if secret == DEFAULT_SECRET else "is unset or empty"
        raise NoSecret(f"CONVCOURSE_SECRET {why}, so every student's hidden cases would be ones anybody can "
                       "generate; export the course's secret, or pass --practice to grade with the practice cases")
    return secret


@dataclass(frozen=True)
class Case:
    """One call of a student's function, or one answer to read.

    Attributes
    ----------
    name : str
        ``public-N`` or ``hidden-N``.
    function : str
        Catalogue function (or answer variable) name.
    args : tuple
        Positional arguments, in catalogue order.
    hidden : bool
    needs : tuple of str
        Added parameters this case passes (their absence is "needs ...", not a failure of the code).
    note : str
        What the case covers, for feedback ("even kernel: the extra zero goes after").
    """

    name: str
    function: str
    args: tuple = ()
    hidden: bool = False
    needs: tuple[str, ...] = ()
    note: str = ""
    is_answer: bool = False
    meta: dict = field(default_factory=dict, compare=False)


def student_key(secret: str, student: str) -> str:
    """The key of one student's hidden cases: all a process grading only that student needs (nbgrader's
    kernel gets this, never the course secret, see :mod:`autograder.course.nbgrader_preprocessors`)."""
    return hmac.new(secret.encode(), f"convcourse student\0{student}".encode(), hashlib.sha256).hexdigest()


def seed_for(student: str, slug: str, secret: str | None = None) -> int:
    """Seed of a student's hidden cases for one exercise: from ``secret``, else from
    ``$CONVCOURSE_STUDENT_KEY`` when it is this student's (``$CONVCOURSE_STUDENT``), else from
    ``$CONVCOURSE_SECRET`` or the practice secret."""
    if secret is None and os.environ.get("CONVCOURSE_STUDENT_KEY") and os.environ.get("CONVCOURSE_STUDENT") == student:
        key = os.environ["CONVCOURSE_STUDENT_KEY"]
    else:
        key = student_key(secret if secret is not None else os.environ.get("CONVCOURSE_SECRET", DEFAULT_SECRET), student)
    digest = hashlib.sha256(f"{key}\0{slug}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


# ---------------------------------------------------------------------------------------------- inputs

def _images(rng, shape, dtype=np.float64):
    dtype = np.dtype(dtype)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape, dtype=np.uint8)
    return rng.standard_normal(shape).astype(dtype)


def _kernel(rng, shape):
    return np.round(rng.standard_normal(shape), 3)


def _call(spec: registry.FunctionSpec, values: dict) -> tuple[tuple, tuple[str, ...]]:
    """Positional args in catalogue order; trailing defaults dropped; added params kept only if needed."""
    args, needs = [], []
    last = 0
    for i, p in enumerate(spec.params):
        if p.name in values and (p.default is registry.REQUIRED or values[p.name] != p.default):
            last = i + 1
    for p in spec.params[:last]:
        value = values.get(p.name, p.default)
        if p.added and value != p.default:
            needs.append(p.name)
        args.append(value)
    return tuple(args), tuple(needs)


def _make(exercise: registry.Exercise, fname: str, rows: list[tuple[dict, str]], hidden: bool) -> list[Case]:
    spec = exercise.function(fname)
    out = []
    for values, note in rows:
        args, needs = _call(spec, values)
        out.append(Case(name="", function=fname, args=args, hidden=hidden, needs=needs, note=note))
    return out


# ------------------------------------------------------------------------------------ per exercise

def _classic():
    return examples.classic_batch(examples.CLASSIC_IMAGE)


def _gray_public(kind):
    rng = np.random.default_rng(1)
    rows = []
    if kind == "valid":
        rows.append((dict(images=_classic(), kernel=examples.VERTICAL_EDGE), "the 5x5 worked example"))
    if kind == "same":
        rows.append((dict(images=_classic(), kernel=examples.VERTICAL_EDGE), "the 5x5 example, 'same'"))
    rows.append((dict(images=_images(rng, (2, 6, 5)), kernel=_kernel(rng, (3, 3))), "two 6x5 images, 3x3 kernel"))
    rows.append((dict(images=_images(rng, (2, 7, 6)), kernel=_kernel(rng, (3, 2))), "non-square kernel"))
    if kind == "same":
        rows.append((dict(images=_images(rng, (1, 6, 6)), kernel=_kernel(rng, (2, 2))),
                     "even kernel: the extra zero goes below and right"))
    if kind == "padding":
        rows = [(dict(images=_images(rng, (2, 6, 5)), kernel=_kernel(rng, (3, 3)), padding=(1, 1)), "padding (1, 1)"),
                (dict(images=_images(rng, (2, 5, 7)), kernel=_kernel(rng, (3, 2)), padding=(2, 0)),
                 "padding (2, 0): rows only"),
                (dict(images=_images(rng, (1, 4, 4)), kernel=_kernel(rng, (2, 3)), padding=(0, 3)),
                 "padding (0, 3) with a non-square kernel")]
    return rows


def _gray_hidden(rng, kind):
    h, w = int(rng.integers(5, 9)), int(rng.integers(5, 9))
    while w == h:
        w = int(rng.integers(4, 10))
    rows = [
        (dict(images=_images(rng, (3, h, w)), kernel=_kernel(rng, (1, 1))), "1x1 kernel"),
        (dict(images=_images(rng, (1, h, w)), kernel=_kernel(rng, (3, 3))), "a batch of one"),
        (dict(images=_images(rng, (2, h, w), np.uint8), kernel=_kernel(rng, (3, 3))), "uint8 images"),
        (dict(images=_images(rng, (2, h, w), np.float32), kernel=_kernel(rng, (3, 3)).astype(np.float32)),
         "float32 images"),
        (dict(images=_images(rng, (2, h, w)), kernel=_kernel(rng, (4, 2))), "even, non-square kernel"),
    ]
    if kind == "valid":
        rows.append((dict(images=_images(rng, (2, h, w)), kernel=_kernel(rng, (h, w))), "kernel as large as the image"))
    if kind == "same":
        rows.append((dict(images=_images(rng, (2, h, w)), kernel=_kernel(rng, (2, 4))),
                     "even kernel: the extra zero goes below and right"))
        rows.append((dict(images=_images(rng, (2, 4, 5)), kernel=_kernel(rng, (5, 6))), "kernel larger than the image"))
    if kind == "padding":
        rows = [(dict(images=r[0]["images"], kernel=r[0]["kernel"], padding=p), r[1] + f", padding {p}")
                for r, p in zip(rows, [(0, 0), (1, 2), (2, 1), (3, 0), (1, 1)])]
        rows.append((dict(images=_images(rng, (2, 3, 4)), kernel=_kernel(rng, (7, 6)), padding=(2, 1)),
                     "kernel as large as the padded image"))
        rows.append((dict(images=_images(rng, (2, h, w)), kernel=_kernel(rng, (3, 3)), padding=(5, 4)),
                     "large padding"))
    return rows


def _strided_public(ndim_c, kname, filters=None):
    rng = np.random.default_rng(2)

    def img(shape):
        return _images(rng, shape if ndim_c is None else shape + (ndim_c,))

    def ker(shape):
        full = shape if ndim_c is None else shape + (ndim_c,)
        return _kernel(rng, full + ((filters,) if filters else ()))

    return [
        ({"images": img((2, 6, 5)), kname: ker((3, 3))}, "'same', stride 1 (the defaults)"),
        ({"images": img((2, 7, 6)), kname: ker((3, 3)), "padding": "valid", "stride": (2, 2)}, "'valid', stride 2"),
        ({"images": img((2, 8, 7)), kname: ker((3, 2)), "padding": (1, 2), "stride": (2, 1)},
         "explicit padding (1, 2), stride (2, 1)"),
        ({"images": img((1, 8, 8)), kname: ker((2, 2)), "padding": "same", "stride": (2, 2)},
         "'same' with an even kernel and stride 2"),
        ({"images": img((2, 9, 8)), kname: ker((3, 3)), "padding": "same", "dilation": (2, 2)}, "dilation 2"),
    ]


def _strided_hidden(rng, ndim_c, kname, filters=None):
    c = ndim_c

    def img(shape, dtype=np.float64):
        return _images(rng, shape if c is None else shape + (c,), dtype)

    def ker(shape):
        nf = (int(rng.integers(1, 4)),) if filters else ()
        return _kernel(rng, (shape if c is None else shape + (c,)) + nf)

    h, w = int(rng.integers(6, 10)), int(rng.integers(5, 9))
    return [
        ({"images": img((2, h, w)), kname: ker((1, 1)), "stride": (2, 3)}, "1x1 kernel, stride (2, 3)"),
        ({"images": img((2, h, w)), kname: ker((2, 2)), "padding": "valid", "stride": (3, 3)},
         "stride larger than the kernel"),
        ({"images": img((1, h, w)), kname: ker((4, 3)), "padding": "same", "stride": (2, 1)},
         "'same', even kernel height, stride (2, 1)"),
        ({"images": img((2, h, w)), kname: ker((3, 3)), "padding": "same", "stride": (3, 2)},
         "'same' with stride (3, 2)"),
        ({"images": img((2, h, w), np.uint8), kname: ker((3, 3)), "padding": (2, 1)}, "uint8 images, padding (2, 1)"),
        ({"images": img((2, h, w), np.float32), kname: ker((2, 3)).astype(np.float32), "padding": "valid"},
         "float32 images"),
        ({"images": img((2, h, w)), kname: ker((3, 2)), "padding": "same", "stride": (1, 2), "dilation": (1, 2)},
         "dilation (1, 2)"),
        ({"images": img((2, 4, 5)), kname: ker((4, 5)), "padding": "valid"}, "kernel as large as the image"),
        ({"images": img((2, h, w)), kname: ker((3, 3)), "padding": (4, 3), "stride": (2, 2)}, "large padding"),
    ]


def _pool_public():
    rng = np.random.default_rng(3)
    a = examples.classic_batch(examples.POOL_EXAMPLE, channels=True)
    b = examples.classic_batch(examples.POOL_SPOT_THE_MISTAKE, channels=True)
    return [
        (dict(images=a, kernel_shape=(2, 2), stride=(2, 2)), "the 4x4 worked example"),
        (dict(images=b, kernel_shape=(2, 2), stride=(2, 2)), "the 'spot the mistake' example"),
        (dict(images=_images(rng, (2, 6, 6, 3)), kernel_shape=(3, 3), stride=(2, 2), mode="avg"), "average 3x3/2"),
        (dict(images=_images(rng, (2, 7, 5, 2)), kernel_shape=(2, 2), stride=(2, 2), mode="max", padding="same"),
         "'same' max pooling: padded cells never win"),
        (dict(images=_images(rng, (2, 5, 5, 2)), kernel_shape=(3, 3), stride=(2, 2), mode="avg", padding="same"),
         "'same' average pooling: padded cells are not counted"),
    ]


def _pool_hidden(rng):
    h, w = int(rng.integers(6, 10)), int(rng.integers(5, 9))
    return [
        (dict(images=_images(rng, (2, h, w, 3)), kernel_shape=(2, 3), stride=(2, 3)), "non-square window and stride"),
        (dict(images=_images(rng, (1, h, w, 2)), kernel_shape=(2, 2), stride=(3, 3), mode="avg"),
         "stride larger than the window"),
        (dict(images=_images(rng, (2, h, w, 2), np.uint8), kernel_shape=(3, 3), stride=(1, 1), mode="avg"),
         "uint8 images, average"),
        (dict(images=_images(rng, (2, h, w, 3), np.float32), kernel_shape=(2, 2), stride=(2, 2)), "float32 images"),
        (dict(images=_images(rng, (2, h, w, 2)), kernel_shape=(3, 2), stride=(2, 2), mode="avg", padding="same"),
         "'same' average pooling"),
        (dict(images=_images(rng, (2, h, w, 2)) - 5, kernel_shape=(2, 2), stride=(2, 2), mode="max", padding="same"),
         "'same' max pooling of negative images"),
        (dict(images=_images(rng, (2, 4, 5, 1)), kernel_shape=(4, 5), stride=(1, 1)), "window as large as the image"),
    ]


def _gap_public():
    rng = np.random.default_rng(4)
    return [(dict(images=_images(rng, (2, 3, 4, 5))), "two 3x4 images with 5 channels"),
            (dict(images=examples.classic_batch(examples.POOL_EXAMPLE, channels=True)), "the 4x4 pooling example")]


def _gap_hidden(rng):
    return [(dict(images=_images(rng, (1, 5, 3, 2))), "a batch of one"),
            (dict(images=_images(rng, (3, 4, 4, 2), np.uint8)), "uint8 images"),
            (dict(images=_images(rng, (2, 7, 2, 4), np.float32)), "float32 images"),
            (dict(images=_images(rng, (2, 1, 1, 3))), "1x1 images")]


def _depthwise_public():
    rng = np.random.default_rng(5)
    return [(dict(images=_images(rng, (2, 6, 5, 3)), kernels=_kernel(rng, (3, 3, 3, 1))), "multiplier 1, 'same'"),
            (dict(images=_images(rng, (2, 6, 6, 2)), kernels=_kernel(rng, (3, 3, 2, 2)), padding="valid"),
             "multiplier 2: channel ci * 2 + j"),
            (dict(images=_images(rng, (1, 7, 7, 2)), kernels=_kernel(rng, (2, 2, 2, 1)), stride=(2, 2)),
             "'same', even kernel, stride 2")]


def _depthwise_hidden(rng):
    h, w = int(rng.integers(5, 9)), int(rng.integers(5, 9))
    return [(dict(images=_images(rng, (2, h, w, 3)), kernels=_kernel(rng, (1, 1, 3, 2))), "1x1 kernel"),
            (dict(images=_images(rng, (2, h, w, 2), np.uint8), kernels=_kernel(rng, (3, 2, 2, 1)), stride=(1, 2)),
             "uint8 images, stride (1, 2)"),
            (dict(images=_images(rng, (1, h, w, 2), np.float32), kernels=_kernel(rng, (3, 3, 2, 3)).astype(np.float32),
                  padding="valid", stride=(2, 2)), "float32 images, multiplier 3"),
            (dict(images=_images(rng, (2, h, w, 2)), kernels=_kernel(rng, (2, 2, 2, 1)), padding=(1, 0)),
             "explicit padding (1, 0)")]


def _transpose_public():
    rng = np.random.default_rng(6)
    return [(dict(images=_images(rng, (2, 3, 3, 2)), kernels=_kernel(rng, (3, 3, 4, 2))), "'valid', stride 1"),
            (dict(images=_images(rng, (2, 3, 4, 2)), kernels=_kernel(rng, (3, 3, 1, 2)), stride=(2, 2)),
             "'valid', stride 2: upsampling"),
            (dict(images=_images(rng, (1, 4, 4, 1)), kernels=_kernel(rng, (4, 4, 2, 1)), padding="same",
                  stride=(2, 2)), "'same', stride 2: exactly twice the size")]


def _transpose_hidden(rng):
    h, w = int(rng.integers(2, 5)), int(rng.integers(2, 5))
    return [(dict(images=_images(rng, (2, h, w, 3)), kernels=_kernel(rng, (2, 3, 2, 3)), stride=(3, 2)),
             "stride larger than the kernel height"),
            (dict(images=_images(rng, (1, h, w, 2), np.float32), kernels=_kernel(rng, (3, 3, 2, 2)).astype(np.float32),
                  padding="same", stride=(2, 1)), "float32, 'same', stride (2, 1)"),
            (dict(images=_images(rng, (2, h, w, 1), np.uint8), kernels=_kernel(rng, (1, 1, 3, 1)), stride=(2, 2)),
             "uint8, 1x1 kernel, stride 2"),
            (dict(images=_images(rng, (2, h, w, 2)), kernels=_kernel(rng, (3, 2, 1, 2)), padding="same"),
             "'same', stride 1")]


def _size_public():
    return [(dict(n=28, k=3), "28 with a 3x3 kernel"), (dict(n=28, k=5), "28 with 5x5"),
            (dict(n=28, k=3, padding="same", stride=2), "'same', stride 2"),
            (dict(n=26, k=2, padding="valid", stride=2), "pooling 26 by 2x2/2"),
            (dict(n=28, k=3, padding=1), "one zero on each side"),
            (dict(n=56, k=3, padding="same", stride=1, dilation=2), "dilation 2")]


def _size_hidden(rng):
    rows = []
    for _ in range(6):
        n, k = int(rng.integers(5, 60)), int(rng.integers(1, 6))
        s = int(rng.integers(1, 4))
        pad = [str("valid"), str("same"), int(rng.integers(0, 4))][int(rng.integers(0, 3))]
        rows.append((dict(n=n, k=min(k, n), padding=pad, stride=s), f"n={n}, k={min(k, n)}"))
    n = int(rng.integers(20, 40))
    rows.append((dict(n=n, k=3, padding="same", stride=1, dilation=3), "dilation 3"))
    rows.append((dict(n=n, k=2, padding="same", stride=1), "even kernel, 'same'"))
    return rows


def _params_public():
    return {
        "conv_params": [(dict(kh=3, kw=3, in_channels=1, filters=32), "Conv2D(32, 3x3) on 28x28x1"),
                        (dict(kh=3, kw=3, in_channels=32, filters=64), "Conv2D(64, 3x3) on 13x13x32")],
        "dense_params": [(dict(in_features=784, units=128), "Dense(128) on 784 inputs"),
                         (dict(in_features=784, units=676), "Dense(676) on 784 inputs")],
        "separable_params": [(dict(kh=3, kw=3, in_channels=32, filters=64), "SeparableConv2D(64, 3x3) on 32 channels")],
    }


def _params_hidden(rng):
    def r(a, b):
        return int(rng.integers(a, b))

    return {
        "conv_params": [(dict(kh=r(1, 6), kw=r(1, 6), in_channels=r(1, 65), filters=r(1, 129)), "random Conv2D"),
                        (dict(kh=r(1, 4), kw=r(1, 4), in_channels=r(1, 9), filters=r(1, 9), use_bias=False),
                         "no bias")],
        "dense_params": [(dict(in_features=r(10, 5000), units=r(1, 500)), "random Dense"),
                         (dict(in_features=r(10, 100), units=r(1, 50), use_bias=False), "no bias")],
        "separable_params": [(dict(kh=r(1, 6), kw=r(1, 6), in_channels=r(1, 65), filters=r(1, 129),
                                   depth_multiplier=r(1, 4)), "with a depth multiplier"),
                             (dict(kh=3, kw=3, in_channels=r(1, 33), filters=r(1, 65), depth_multiplier=1,
                                   use_bias=False), "no bias")],
    }


def _by_function(slug: str, rows) -> list[tuple[str, list]]:
    if isinstance(rows, dict):
        return list(rows.items())
    return [(registry.get(slug).functions[0].name, rows)]


_PUBLIC: dict[str, Callable[[], object]] = {
    "convolve_grayscale_valid": lambda: _gray_public("valid"),
    "convolve_grayscale_same": lambda: _gray_public("same"),
    "convolve_grayscale_padding": lambda: _gray_public("padding"),
    "convolve_grayscale": lambda: _strided_public(None, "kernel"),
    "convolve_channels": lambda: _strided_public(3, "kernel"),
    "convolve": lambda: _strided_public(2, "kernels", filters=3),
    "pool": _pool_public,
    "global_average_pool": _gap_public,
    "depthwise_convolve": _depthwise_public,
    "convolve_transpose": _transpose_public,
    "output_size": _size_public,
    "parameter_count": _params_public,
}

_HIDDEN: dict[str, Callable[[np.random.Generator], object]] = {
    "convolve_grayscale_valid": lambda rng: _gray_hidden(rng, "valid"),
    "convolve_grayscale_same": lambda rng: _gray_hidden(rng, "same"),
    "convolve_grayscale_padding": lambda rng: _gray_hidden(rng, "padding"),
    "convolve_grayscale": lambda rng: _strided_hidden(rng, None, "kernel"),
    "convolve_channels": lambda rng: _strided_hidden(rng, int(rng.integers(2, 4)), "kernel"),
    "convolve": lambda rng: _strided_hidden(rng, int(rng.integers(1, 4)), "kernels", filters=True),
    "pool": _pool_hidden,
    "global_average_pool": _gap_hidden,
    "depthwise_convolve": _depthwise_hidden,
    "convolve_transpose": _transpose_hidden,
    "output_size": _size_hidden,
    "parameter_count": _params_hidden,
}


def _answer_cases(exercise: registry.Exercise) -> list[Case]:
    return [Case(name=f"answer-{i + 1}", function=a.name, is_answer=True, note=a.question)
            for i, a in enumerate(exercise.answers)]


def _number(cases: list[Case], prefix: str) -> list[Case]:
    return [Case(name=f"{prefix}-{i + 1}", function=c.function, args=c.args, hidden=c.hidden, needs=c.needs,
                 note=c.note, is_answer=c.is_answer) for i, c in enumerate(cases)]


def public_cases(slug: str) -> list[Case]:
    """The exercise's public cases (the same for everyone)."""
    exercise = registry.get(slug)
    if exercise.answers:
        return _answer_cases(exercise)
    cases = []
    for fname, rows in _by_function(slug, _PUBLIC[slug]()):
        cases += _make(exercise, fname, rows, hidden=False)
    return _number(cases, "public")


def hidden_cases(slug: str, student: str = "anonymous", secret: str | None = None) -> list[Case]:
    """The exercise's hidden cases for ``student`` (reproducible; none for answer exercises)."""
    exercise = registry.get(slug)
    if exercise.answers:
        return []
    rng = np.random.default_rng(seed_for(student, slug, secret))
    cases = []
    for fname, rows in _by_function(slug, _HIDDEN[slug](rng)):
        cases += _make(exercise, fname, rows, hidden=True)
    return _number(cases, "hidden")


def all_cases(slug: str, student: str = "anonymous", secret: str | None = None) -> list[Case]:
    return public_cases(slug) + hidden_cases(slug, student, secret)
