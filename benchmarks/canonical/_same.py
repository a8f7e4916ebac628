"""Keras 'same' padding shared by the canonical implementations (not a submission: imported by them)."""


def same_pads(n, k, s=1):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def conv_pads(padding, n, k, s=1, d=1, axis=0):
    """(before, after) zeros on one axis of a convolution: 'same' (Keras, the extra zero after, for the
    dilated kernel's extent), 'valid', or explicit (ph, pw) / ((top, bottom), (left, right))."""
    if padding == "same":
        return same_pads(n, (k - 1) * d + 1, s)
    if padding == "valid":
        return 0, 0
    p = padding[axis]
    return (p, p) if isinstance(p, int) else (p[0], p[1])
