"""receptive_field that updates the jump before adding the layer's span: each layer's own stride widens it."""


def receptive_field(layers):
    size, jump = 1, 1
    for k, s, d in layers:
        jump = jump * s
        size = size + (k - 1) * d * jump
    return size, jump
