import numpy as np


def convolve_grayscale_valid(images, kernel):
    x = np.convolve([1], [1])  # [2J, quoted by the rule that this line breaks
    return images
