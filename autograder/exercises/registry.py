"""The exercise catalogue (SPEC §2, §3) as typed data: the one place that says what each exercise is.

The grader, the in-notebook checks, the CLI and the docs read :data:`EXERCISES`; nothing else lists
exercises, signatures, points or rules. Cases live in :mod:`.cases`, keyed by slug.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import reference

__all__ = ["REQUIRED", "Param", "FunctionSpec", "Answer", "Points", "Exercise", "EXERCISES", "get",
           "ALLOWED_IMPORTS", "FORBIDDEN_CALLS"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: Marks a parameter without a default.
REQUIRED = _Required()

#: Modules a submission may import (SPEC §2).
ALLOWED_IMPORTS = frozenset({"numpy", "math"})

#: Calls that do the exercise for the student (SPEC §2), as dotted names after resolving ``np``: every
#: FFT transform (a convolution by FFT in any number of dimensions is not one written by hand).
FORBIDDEN_CALLS = frozenset({"numpy.convolve", "numpy.correlate"} | {
    f"numpy.fft.{kind}{name}" for kind in ("", "i", "r", "ir", "h", "ih") for name in ("fft", "fft2", "fftn")
} - {"numpy.fft.hfft2", "numpy.fft.hfftn", "numpy.fft.ihfft2", "numpy.fft.ihfftn"})


@dataclass(frozen=True)
class Param:
    """One parameter of a catalogue function.

    ``added`` marks the parameters this course added to signatures that older courses already use
    (``dilation``, ``pool``'s ``padding``): a submission without them is still graded on every case that
    does not need them (SPEC §2, compatibility).
    """

    name: str
    default: object = REQUIRED
    added: bool = False

    def render(self) -> str:
        return self.name if self.default is REQUIRED else f"{self.name}={self.default!r}"


@dataclass(frozen=True)
class FunctionSpec:
    """A function the student writes, and the reference that answers for it."""

    name: str
    params: tuple[Param, ...]
    reference: object
    returns: str

    def signature(self) -> str:
        return f"{self.name}({', '.join(p.render() for p in self.params)})"

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class Answer:
    """A number (or array, or list) the student computes by hand and assigns to a variable."""

    name: str
    question: str


@dataclass(frozen=True)
class Points:
    """Points an exercise gives for correct cases (partial credit), for keeping its rules, and for its tier."""

    correctness: float
    rules: float = 0.0
    tier: float = 0.0


@dataclass(frozen=True)
class Exercise:
    """One exercise of the catalogue.

    Attributes
    ----------
    slug : str
        Stable id used in results, the CLI (``--exercise``) and the notebooks.
    notebook : int
        Lesson notebook (1-6) that teaches it.
    functions : tuple of FunctionSpec
        What the student writes; empty for exercises answered with numbers.
    answers : tuple of Answer
        Variables the student assigns, for exercises answered with numbers.
    loop_budget : int or None
        Most ``for`` loops (comprehensions included, ``while`` never) in the function and the helpers it
        calls; None where no rule applies.
    tier_workload : str or None
        Name of the standard performance workload (measured by the tiers issue); None where none.
    """

    slug: str
    title: str
    notebook: int
    points: Points
    functions: tuple[FunctionSpec, ...] = ()
    answers: tuple[Answer, ...] = ()
    loop_budget: int | None = None
    tier_workload: str | None = None
    rule_points: dict = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        """Names the grader looks for in a submission."""
        return tuple(f.name for f in self.functions) + tuple(a.name for a in self.answers)

    def function(self, name: str) -> FunctionSpec:
        for f in self.functions:
            if f.name == name:
                return f
        raise KeyError(name)

    def score(self, passed: int, total: int, rules_kept=()) -> float:
        """Points without a tier: correctness by the share of cases passed, plus each kept rule's points
        (none when no case passes: an empty function keeps every rule)."""
        score = self.points.correctness * passed / max(total, 1)
        if passed:
            score += sum(self.rule_points.get(rule, 0.0) for rule in rules_kept)
        return score

    @property
    def max_score(self) -> float:
        """Points available without a tier (tier points join when a tier is measured)."""
        return self.points.correctness + self.points.rules


_IMAGES3 = Param("images")
_IMAGES = Param("images")
_PAD_SAME = Param("padding", "same")
_STRIDE = Param("stride", (1, 1))
_DILATION = Param("dilation", (1, 1), added=True)

_ARRAY_POINTS = Points(correctness=6.0, rules=2.0, tier=2.0)
_RULES = {"loop-budget": 1.0, "forbidden-import": 0.5, "forbidden-call": 0.5}


def _conv(name, params, ref, returns, slug=None, notebook=1, budget=2, title="", tier=None):
    return Exercise(
        slug=slug or name, title=title, notebook=notebook, points=_ARRAY_POINTS,
        functions=(FunctionSpec(name, params, ref, returns),), loop_budget=budget,
        tier_workload=tier, rule_points=dict(_RULES),
    )


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        slug="correlate_by_hand", title="Convolution by hand", notebook=1, points=Points(correctness=2.0),
        answers=(
            Answer("output_00", "output[0, 0] of the 5x5 image cross-correlated with the 3x3 vertical-edge kernel"),
            Answer("output_full", "the whole 3x3 'valid' output of that example"),
        ),
    ),
    _conv("convolve_grayscale_valid", (_IMAGES3, Param("kernel")), reference.convolve_grayscale_valid,
          "ndarray (m, h - kh + 1, w - kw + 1)", title="Valid convolution", tier="gray"),
    _conv("convolve_grayscale_same", (_IMAGES3, Param("kernel")), reference.convolve_grayscale_same,
          "ndarray (m, h, w)", notebook=2, title="Same convolution", tier="gray"),
    _conv("convolve_grayscale_padding", (_IMAGES3, Param("kernel"), Param("padding")),
          reference.convolve_grayscale_padding, "ndarray (m, h + 2 ph - kh + 1, w + 2 pw - kw + 1)", notebook=2,
          title="Convolution with padding", tier="gray"),
    _conv("convolve_grayscale", (_IMAGES3, Param("kernel"), _PAD_SAME, _STRIDE, _DILATION),
          reference.convolve_grayscale, "ndarray (m, oh, ow)", notebook=2, title="Strided, dilated convolution",
          tier="gray"),
    _conv("convolve_channels", (_IMAGES, Param("kernel"), _PAD_SAME, _STRIDE, _DILATION),
          reference.convolve_channels, "ndarray (m, oh, ow)", notebook=3, title="Convolution with channels",
          tier="channels"),
    _conv("convolve", (_IMAGES, Param("kernels"), _PAD_SAME, _STRIDE, _DILATION), reference.convolve,
          "ndarray (m, oh, ow, nc)", notebook=3, budget=3, title="Multiple kernels", tier="bank"),
    _conv("pool", (_IMAGES, Param("kernel_shape"), Param("stride"), Param("mode", "max"),
                   Param("padding", "valid", added=True)),
          reference.pool, "ndarray (m, oh, ow, c)", notebook=4, title="Pooling", tier="pool"),
    _conv("global_average_pool", (_IMAGES,), reference.global_average_pool, "ndarray (m, c)", notebook=4,
          budget=0, title="Global average pooling"),
    _conv("depthwise_convolve", (_IMAGES, Param("kernels"), _PAD_SAME, _STRIDE), reference.depthwise_convolve,
          "ndarray (m, oh, ow, c * multiplier)", notebook=3, budget=3, title="Depthwise convolution",
          tier="depthwise"),
    _conv("convolve_transpose", (_IMAGES, Param("kernels"), Param("padding", "valid"), _STRIDE),
          reference.convolve_transpose, "ndarray (m, H, W, nc)", notebook=6, budget=3,
          title="Transposed convolution", tier="transpose"),
    Exercise(
        slug="output_size", title="Output size", notebook=2, points=Points(correctness=3.0),
        functions=(FunctionSpec("conv_output_size",
                                (Param("n"), Param("k"), Param("padding", "valid"), Param("stride", 1),
                                 Param("dilation", 1, added=True)),
                                reference.conv_output_size, "int"),),
    ),
    Exercise(
        slug="parameter_count", title="Counting parameters", notebook=5, points=Points(correctness=3.0),
        functions=(
            FunctionSpec("conv_params", (Param("kh"), Param("kw"), Param("in_channels"), Param("filters"),
                                         Param("use_bias", True)), reference.conv_params, "int"),
            FunctionSpec("dense_params", (Param("in_features"), Param("units"), Param("use_bias", True)),
                         reference.dense_params, "int"),
            FunctionSpec("separable_params", (Param("kh"), Param("kw"), Param("in_channels"), Param("filters"),
                                              Param("depth_multiplier", 1), Param("use_bias", True)),
                         reference.separable_params, "int"),
        ),
    ),
    Exercise(
        slug="shape_tracking", title="Shapes through a small CNN", notebook=5, points=Points(correctness=2.0),
        answers=(
            Answer("layer_shapes", "the output shape (h, w, c) of each layer of the small CNN, in order"),
            Answer("layer_params", "the number of parameters of each layer, in order"),
        ),
    ),
)

_BY_SLUG = {e.slug: e for e in EXERCISES}


def get(slug: str) -> Exercise:
    """The exercise with this slug; ``KeyError`` lists the valid ones."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"no exercise {slug!r}; the catalogue has: {', '.join(_BY_SLUG)}") from None
