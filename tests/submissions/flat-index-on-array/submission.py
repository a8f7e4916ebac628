"""numerical_gradient as "Deep Learning from Scratch"-style solutions write it (about 10 of 15 seen): right for
a 1-D x, but x[idx] is a whole row of a 2-D x, and the rows run out."""
import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    h = eps
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad
