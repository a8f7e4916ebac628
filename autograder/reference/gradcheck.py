"""Numerical gradients by central differences (SPEC §1): the check every backward function is held to."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["numerical_gradient"]


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float`` for an array of ``x``'s shape.
    x : array_like
        Where to take the gradient; read as float64. The caller's array is never changed: ``f`` is called
        on a float64 copy, perturbed one element at a time and restored after each.
    eps : float, optional
        The step: ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)`` for every element ``i``.

    Returns
    -------
    ndarray, shape x.shape, float64

    Notes
    -----
    Two calls of ``f`` per element: a Python loop, so use it on small arrays (a gradient check), not to
    train. The truncation error is O(eps**2) times the third derivative; the rounding error is about
    ``|f| * 1e-16 / eps``, so 1e-6 suits values of order 1 in float64.
    """
    if not callable(f):
        raise ValueError(f"numerical_gradient: f must be a callable returning a float; got {type(f).__name__}")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"numerical_gradient: eps must be a positive number; got {eps!r}")
    try:
        xp = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"numerical_gradient: x must be a numeric array; got {type(x).__name__} ({exc})") from None
    grad = np.empty_like(xp)
    flat, gflat = xp.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = _value(f, xp)
        flat[i] = old - eps
        down = _value(f, xp)
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def _value(f, x) -> float:
    y = f(x)
    try:
        return float(y)
    except (TypeError, ValueError):
        raise ValueError(f"numerical_gradient: f must return a float; it returned {type(y).__name__} "
                         f"{np.shape(y)}") from None
