"""Scalar functions that travel as data: the ``f`` a case hands to the student's ``numerical_gradient``.

A function cannot cross into the sandbox (nothing is pickled), so a case names one of these by its kind
and sends its weights; each side rebuilds the same function. The grader computes the expected gradient
with its own copy, so what the child does to its copy changes nothing but its own answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["ScalarFunction", "KINDS"]

#: What each kind computes, for messages (``w`` are the weights, ``x`` the argument).
KINDS = {
    "weighted-tanh": "sum(w * tanh(x))",
    "cubic": "sum(w * x**3) / 3",
    "log-sum-exp": "log(sum(exp(w * x)))",
    "neighbours": "sum(w * x * roll(x, 1))",
}


@dataclass(frozen=True, eq=False)
class ScalarFunction:
    """``f(x) -> float`` for an array of ``weights.size`` values (any shape: it reads ``x`` flattened).

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`; all are smooth, and "log-sum-exp" and "neighbours" couple the elements, so
        an estimate that moves all of ``x`` at once, or the wrong element, is wrong.
    weights : ndarray, float64
    """

    kind: str
    weights: np.ndarray = field(repr=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown scalar function kind {self.kind!r}; expected one of {', '.join(KINDS)}")

    def __call__(self, x) -> float:
        v = np.asarray(x, dtype=np.float64).reshape(-1)
        w = self.weights.reshape(-1)
        if v.size != w.size:
            raise ValueError(f"f takes an array of {w.size} values (shape {self.weights.shape}); "
                             f"got shape {np.shape(x)}")
        if self.kind == "weighted-tanh":
            y = np.sum(w * np.tanh(v))
        elif self.kind == "cubic":
            y = np.sum(w * v ** 3) / 3
        elif self.kind == "log-sum-exp":
            z = w * v
            top = np.max(z)
            y = top + np.log(np.sum(np.exp(z - top)))
        else:
            y = np.sum(w * v * np.roll(v, 1))
        return float(y)

    def __eq__(self, other) -> bool:
        return (type(other) is ScalarFunction and other.kind == self.kind
                and np.array_equal(other.weights, self.weights))

    __hash__ = None

    def __repr__(self) -> str:
        return f"<{KINDS[self.kind]} on {self.weights.shape}>"
