import numpy as np


def convolve_grayscale_valid(images, kernel):
    return images

raise RuntimeError("left over from debugging")


def pool(images, kernel_shape, stride, mode='max'):
    return images
