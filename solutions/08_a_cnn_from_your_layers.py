"""Model answers of 08_a_cnn_from_your_layers. Generated from course/lessons/08_a_cnn_from_your_layers.py by `convcourse build-course`: edit the lesson, not this file."""

import numpy as np

def receptive_field(layers):
    """The receptive field of one output of a stack of layers, along one axis.

    Parameters
    ----------
    layers : sequence of (kernel, stride, dilation)
        One triple of positive ints per layer, first layer first. A pooling layer is its window and its
        stride, with dilation 1.

    Returns
    -------
    (size, jump) : tuple of 2 ints
        size: how many input pixels one output of the last layer sees; jump: the distance, in input
        pixels, between two neighbouring outputs of the last layer (the product of the strides).
    """
    size, jump = 1, 1
    for kernel, stride, dilation in layers:
        size += (kernel - 1) * dilation * jump
        jump *= stride
    return size, jump

lenet_shapes = ...        # [(h, w, c), ..., (n,), ...]: 8 shapes
lenet_params = ...        # 8 ints
lenet_activations = ...   # 8 ints: floats per image
vgg_shapes = ...          # 3 shapes
vgg_params = ...          # 3 ints
vgg_activations = ...     # 3 ints: floats per image
lenet_shapes = [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
lenet_params = [156, 0, 2416, 0, 0, 48120, 10164, 850]
lenet_activations = [4704, 1176, 1600, 400, 400, 120, 84, 10]
vgg_shapes = [(112, 112, 128), (112, 112, 128), (56, 56, 128)]
vgg_params = [73856, 147584, 0]
vgg_activations = [1605632, 1605632, 401408]
