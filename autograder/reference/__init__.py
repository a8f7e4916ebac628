"""The Numba-accelerated reference: every catalogue function of SPEC §2 under its catalogue name.

>>> from autograder import reference
>>> reference.convolve(images, kernels, padding='same', stride=(2, 2))  # doctest: +SKIP

Semantics are SPEC §1: cross-correlation, batch-first and channels-last, Keras 'same' padding, float32
results for float32 images and float64 otherwise. Bad arguments raise ``ValueError`` naming the argument,
what was received and what was expected. :func:`single_threaded` is the mode the performance tiers time in.
"""

from ..lazy import lazy_attributes
from .geometry import axis_geometry, conv_output_size, receptive_field, same_padding, transpose_output_size
from .gradcheck import numerical_gradient
from .params import conv_params, dense_params, depthwise_params, separable_params
from .threads import num_threads, single_thread_env, single_threaded, threads

#: The functions that run Numba kernels, by module: imported on first use (PEP 562), so reading the
#: catalogue, the worked examples' inputs or the sizes never loads Numba.
_COMPILED = {
    "convolution": ("convolve_grayscale_valid", "convolve_grayscale_same", "convolve_grayscale_padding",
                    "convolve_grayscale", "convolve_channels", "convolve", "depthwise_convolve", "convolve_transpose"),
    "pooling": ("pool", "global_average_pool"),
    "backward": ("convolve_backward", "pool_backward"),
}
_MODULE_OF = {name: module for module, names in _COMPILED.items() for name in names}

__getattr__ = lazy_attributes(__name__, _MODULE_OF)


def __dir__():
    return sorted(set(globals()) | set(_MODULE_OF))


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
    "convolve_backward",
    "pool_backward",
    "numerical_gradient",
    "receptive_field",
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
