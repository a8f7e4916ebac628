import numpy as np


def convolve_grayscale_valid(images, kernel):
    while True:
        pass
