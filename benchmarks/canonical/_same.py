"""Keras 'same' padding shared by the canonical implementations (not a submission: imported by them)."""


def same_pads(n, k, s=1):
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2
