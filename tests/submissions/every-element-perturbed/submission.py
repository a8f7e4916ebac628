"""numerical_gradient that shifts the whole array by +-eps at once (a port of evalNumericalGradient that
evaluates f(x + h) and f(x - h)), and broadcasts the one slope it measures."""
import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    x = np.array(x, dtype=np.float64)
    slope = (f(x + eps) - f(x - eps)) / (2 * eps)
    return np.full(x.shape, slope)
