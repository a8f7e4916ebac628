"""Output sizes and padding amounts: the one place that does this arithmetic.

Every function that needs an output size or a padding amount (the reference kernels, the grader's checks,
the lessons' shape tables) calls :func:`axis_geometry` or one of the small functions built on it, so the
rules of SPEC §1 live here once.

Per spatial axis, with input size ``n``, kernel size ``k``, stride ``s`` and dilation ``d``:

- effective kernel ``k_eff = (k - 1) * d + 1``;
- ``'valid'``: no padding;
- ``'same'`` (Keras/TensorFlow): ``out = ceil(n / s)``, ``total = max((out - 1) * s + k_eff - n, 0)``,
  ``before = total // 2``, ``after = total - before`` (the odd zero goes after: below and right);
- explicit padding ``p`` or ``(before, after)``;
- ``out = (n + before + after - k_eff) // s + 1``, and ``out < 1`` is an error.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

__all__ = [
    "AxisGeometry",
    "axis_geometry",
    "effective_kernel_size",
    "same_padding",
    "conv_output_size",
    "transpose_output_size",
    "receptive_field",
]


@dataclass(frozen=True)
class AxisGeometry:
    """How a window slides along one spatial axis.

    Attributes
    ----------
    n : int
        Input size along the axis.
    k : int
        Kernel (window) size.
    stride, dilation : int
        Step between windows, and between kernel taps.
    before, after : int
        Zeros added before (top/left) and after (bottom/right) the input.
    out : int
        Number of output positions along the axis (at least 1).
    """

    n: int
    k: int
    stride: int
    dilation: int
    before: int
    after: int
    out: int

    @property
    def k_eff(self) -> int:
        """Effective kernel size, ``(k - 1) * dilation + 1``."""
        return effective_kernel_size(self.k, self.dilation)

    @property
    def padded(self) -> int:
        """Size of the padded input, ``n + before + after``."""
        return self.n + self.before + self.after


def _positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer; got {value!r} of type {type(value).__name__}")
    value = int(value)
    if value < 0 or (value == 0 and not allow_zero):
        expected = "a non-negative integer" if allow_zero else "a positive integer"
        raise ValueError(f"{name} must be {expected}; got {value}")
    return value


def effective_kernel_size(k: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``(k - 1) * dilation + 1``."""
    return (k - 1) * dilation + 1


def same_padding(n: int, k: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """Zeros ``(before, after)`` that Keras/TensorFlow 'same' padding adds along one axis.

    The output has ``ceil(n / stride)`` positions. When the total is odd the extra zero goes after
    (bottom/right): ``same_padding(4, 2)`` is ``(0, 1)``, ``same_padding(5, 3, stride=2)`` is ``(1, 1)``.
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + effective_kernel_size(k, dilation) - n, 0)
    return total // 2, total - total // 2


def axis_geometry(n, k, padding="valid", stride=1, dilation=1, *, name: str = "axis") -> AxisGeometry:
    """Output size and padding along one axis, with every argument checked.

    Parameters
    ----------
    n : int
        Input size (>= 0).
    k : int
        Kernel size (>= 1).
    padding : {'valid', 'same'} or int or tuple of 2 ints
        ``'valid'``, ``'same'``, ``p`` (p zeros on each side) or ``(before, after)``.
    stride, dilation : int
        Positive integers.
    name : str
        Names the axis in error messages (for example ``"height"``).

    Returns
    -------
    AxisGeometry

    Raises
    ------
    ValueError
        If an argument is malformed, or the (dilated) kernel is larger than the padded input.
    """
    n = _positive_int(n, f"input size along the {name}", allow_zero=True)
    k = _positive_int(k, f"kernel size along the {name}")
    stride = _positive_int(stride, f"stride along the {name}")
    dilation = _positive_int(dilation, f"dilation along the {name}")
    if isinstance(padding, str):
        if padding == "valid":
            before, after = 0, 0
        elif padding == "same":
            before, after = same_padding(n, k, stride, dilation)
        else:
            raise ValueError(f"padding must be 'valid', 'same' or explicit zeros; got the string {padding!r}")
    elif isinstance(padding, tuple | list) and len(padding) == 2:
        before = _positive_int(padding[0], f"padding before the {name}", allow_zero=True)
        after = _positive_int(padding[1], f"padding after the {name}", allow_zero=True)
    else:
        p = _positive_int(padding, f"padding along the {name}", allow_zero=True)
        before, after = p, p
    k_eff = effective_kernel_size(k, dilation)
    padded = n + before + after
    if k_eff > padded:
        dil = f" (size {k} with dilation {dilation})" if dilation != 1 else ""
        raise ValueError(
            f"the kernel spans {k_eff}{dil} along the {name}, more than the padded input "
            f"({n} + {before} + {after} = {padded}); expected a kernel no larger than the padded input"
        )
    out = (padded - k_eff) // stride + 1
    return AxisGeometry(n=n, k=k, stride=stride, dilation=dilation, before=before, after=after, out=out)


def conv_output_size(n, k, padding="valid", stride=1, dilation=1) -> int:
    """Number of output positions of a convolution along one axis (catalogue exercise ``output_size``).

    Parameters
    ----------
    n : int
        Input size.
    k : int
        Kernel size.
    padding : {'valid', 'same'} or int
        ``'valid'``, ``'same'`` or ``p`` zeros on each side.
    stride, dilation : int, optional
        Positive integers, default 1.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_output_size(28, 3)
    26
    >>> conv_output_size(28, 3, padding='same', stride=2)
    14
    """
    return axis_geometry(n, k, padding, stride, dilation).out


def transpose_output_size(n, k, padding="valid", stride=1) -> int:
    """Output size of a transposed convolution along one axis.

    ``(n - 1) * stride + k`` for ``'valid'``, ``n * stride`` for ``'same'`` (Keras ``Conv2DTranspose``).
    """
    n = _positive_int(n, "input size")
    k = _positive_int(k, "kernel size")
    stride = _positive_int(stride, "stride")
    if padding == "valid":
        return (n - 1) * stride + k
    if padding == "same":
        return n * stride
    raise ValueError(f"padding of a transposed convolution must be 'valid' or 'same'; got {padding!r}")


def receptive_field(layers) -> tuple[int, int]:
    """How many input pixels one output of a stack of layers sees, along one axis (exercise
    ``receptive_field``).

    Parameters
    ----------
    layers : sequence of (kernel, stride, dilation)
        One triple of positive ints per layer, first layer first (a pooling layer is a kernel and a
        stride with dilation 1).

    Returns
    -------
    (size, jump) : tuple of 2 ints
        ``size = 1 + sum((k_i - 1) * d_i * prod(s_j for j < i))``: the input pixels one output of the
        last layer depends on; ``jump = prod(s_i)``: the input distance between two neighbouring outputs.

    Examples
    --------
    >>> receptive_field([(3, 1, 1), (3, 1, 1), (3, 1, 1)])
    (7, 1)
    >>> receptive_field([(3, 1, 1), (2, 2, 1), (3, 1, 1)])
    (8, 2)
    """
    try:
        triples = [tuple(layer) for layer in layers]
    except TypeError:
        raise ValueError(f"receptive_field: layers must be a sequence of (kernel, stride, dilation); "
                         f"got {layers!r}"[:300]) from None
    size, jump = 1, 1
    for i, layer in enumerate(triples):
        if len(layer) != 3:
            raise ValueError(f"receptive_field: layer {i} must be (kernel, stride, dilation); got {layer!r}")
        k = _positive_int(layer[0], f"receptive_field: layer {i}'s kernel")
        s = _positive_int(layer[1], f"receptive_field: layer {i}'s stride")
        d = _positive_int(layer[2], f"receptive_field: layer {i}'s dilation")
        size += (k - 1) * d * jump
        jump *= s
    return size, jump
