"""numerical_gradient that walks a flat float copy of x and returns the flat gradient."""
import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    shape = np.shape(x)
    flat = np.array(x, dtype=np.float64).ravel()
    grad = np.zeros(flat.size)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f(flat.reshape(shape))
        flat[i] = old - eps
        down = f(flat.reshape(shape))
        flat[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad
