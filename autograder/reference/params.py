"""Parameter counts of layers (catalogue exercise ``parameter_count``), as Keras reports them."""

from __future__ import annotations

import numbers

__all__ = ["conv_params", "dense_params", "separable_params", "depthwise_params"]


def _count(value, name: str, func: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{func}: {name} must be a positive int; got {value!r}")
    return int(value)


def _flag(value, func: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{func}: use_bias must be True or False; got {value!r}")
    return value


def conv_params(kh, kw, in_channels, filters, use_bias=True) -> int:
    """Weights of a ``Conv2D``: ``kh * kw * in_channels * filters``, plus ``filters`` biases.

    >>> conv_params(3, 3, 1, 32)
    320
    """
    f = "conv_params"
    kh, kw = _count(kh, "kh", f), _count(kw, "kw", f)
    cin, cout = _count(in_channels, "in_channels", f), _count(filters, "filters", f)
    return kh * kw * cin * cout + (cout if _flag(use_bias, f) else 0)


def dense_params(in_features, units, use_bias=True) -> int:
    """Weights of a ``Dense`` layer: ``in_features * units``, plus ``units`` biases.

    >>> dense_params(784, 128)
    100480
    """
    f = "dense_params"
    n_in, n_out = _count(in_features, "in_features", f), _count(units, "units", f)
    return n_in * n_out + (n_out if _flag(use_bias, f) else 0)


def depthwise_params(kh, kw, in_channels, depth_multiplier=1, use_bias=True) -> int:
    """Weights of a ``DepthwiseConv2D``: ``kh * kw * in_channels * depth_multiplier`` (+ one bias per output)."""
    f = "depthwise_params"
    kh, kw = _count(kh, "kh", f), _count(kw, "kw", f)
    cout = _count(in_channels, "in_channels", f) * _count(depth_multiplier, "depth_multiplier", f)
    return kh * kw * cout + (cout if _flag(use_bias, f) else 0)


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True) -> int:
    """Weights of a ``SeparableConv2D``: a depthwise step without bias, then a 1x1 convolution.

    ``kh * kw * in_channels * depth_multiplier + in_channels * depth_multiplier * filters``, plus
    ``filters`` biases.

    >>> separable_params(3, 3, 32, 64)
    2400
    """
    f = "separable_params"
    depthwise = depthwise_params(kh, kw, in_channels, depth_multiplier, use_bias=False)
    mid = _count(in_channels, "in_channels", f) * _count(depth_multiplier, "depth_multiplier", f)
    return depthwise + conv_params(1, 1, mid, filters, use_bias=_flag(use_bias, f))
