import numpy as np


def convolve_grayscale_valid(images, kernel):
    return images.tolist()


def convolve_grayscale_same(images, kernel):
    out = images * 0.0  # the work is done, but the `return out` is missing: the function returns None


def conv_output_size(n, k, padding='valid', stride=1, dilation=1):
    return (n - k) / stride + 1


def global_average_pool(images):
    return np.array([[object()]])
