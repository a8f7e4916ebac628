"""The Numba-accelerated reference: every catalogue function of SPEC §2 under its catalogue name.

>>> from autograder import reference
>>> reference.convolve(images, kernels, padding='same', stride=(2, 2))  # doctest: +SKIP

Semantics are SPEC §1: cross-correlation, batch-first and channels-last, Keras 'same' padding, float32
results for float32 images and float64 otherwise. Bad arguments raise ``ValueError`` naming the argument,
what was received and what was expected. :func:`single_threaded` is the mode the performance tiers time in.
"""

from .convolution import (
    convolve,
    convolve_channels,
    convolve_grayscale,
    convolve_grayscale_padding,
    convolve_grayscale_same,
    convolve_grayscale_valid,
    convolve_transpose,
    depthwise_convolve,
)
from .geometry import axis_geometry, conv_output_size, same_padding, transpose_output_size
from .params import conv_params, dense_params, depthwise_params, separable_params
from .pooling import global_average_pool, pool
from .threads import num_threads, single_thread_env, single_threaded, threads

__all__ = [
    "convolve_grayscale_valid",
    "convolve_grayscale_same",
    "convolve_grayscale_padding",
    "convolve_grayscale",
    "convolve_channels",
    "convolve",
    "pool",
    "global_average_pool",
    "depthwise_convolve",
    "convolve_transpose",
    "conv_output_size",
    "conv_params",
    "dense_params",
    "separable_params",
    "depthwise_params",
    "axis_geometry",
    "same_padding",
    "transpose_output_size",
    "threads",
    "single_threaded",
    "single_thread_env",
    "num_threads",
]
