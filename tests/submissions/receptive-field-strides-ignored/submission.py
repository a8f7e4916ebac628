"""receptive_field that adds (k - 1) * d per layer in input pixels, as if every stride were 1."""
import math


def receptive_field(layers):
    size = 1 + sum((k - 1) * d for k, s, d in layers)
    jump = math.prod(s for k, s, d in layers)
    return size, jump
