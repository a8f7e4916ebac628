"""A student who hides the forbidden FFT behind names bound to it: a module alias in the file and a
function alias inside the function. The answers are right; the rules must still see the calls."""

import numpy as np

spectral = np.fft


def convolve_grayscale_valid(images, kernel):
    forward = spectral.rfft2
    inverse = np.fft.irfft2
    m, h, w = images.shape
    kh, kw = kernel.shape
    size = (h + kh - 1, w + kw - 1)
    flipped = kernel[::-1, ::-1]
    full = inverse(forward(images, size) * forward(flipped, size), size)
    return full[:, kh - 1:h, kw - 1:w]
