"""Model answers of 05_parameters_and_shapes. Generated from course/lessons/05_parameters_and_shapes.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np

def conv_params(kh, kw, in_channels, filters, use_bias=True):
    """Parameters of a Conv2D layer: int."""
    return kh * kw * in_channels * filters + (filters if use_bias else 0)


def dense_params(in_features, units, use_bias=True):
    """Parameters of a Dense layer: int."""
    return in_features * units + (units if use_bias else 0)


def separable_params(kh, kw, in_channels, filters, depth_multiplier=1, use_bias=True):
    """Parameters of a SeparableConv2D layer (depthwise without bias, then 1x1 with bias): int."""
    depthwise = kh * kw * in_channels * depth_multiplier
    return depthwise + in_channels * depth_multiplier * filters + (filters if use_bias else 0)

layer_shapes = ...   # [(h, w, c), (h, w, c), (h, w, c), (h, w, c), (c,), (units,)]
layer_params = ...   # [int, int, int, int, int, int]
layer_shapes = [(26, 26, 32), (13, 13, 32), (11, 11, 64), (5, 5, 64), (64,), (10,)]
layer_params = [320, 0, 18496, 0, 0, 650]
