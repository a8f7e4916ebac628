import numpy as np


def convolve_grayscale_valid(images, kernel):
    hog = np.ones((200_000, 100_000))
    return hog


def convolve_grayscale_same(images, kernel):
    chunks = []
    while True:
        chunks.append(bytearray(2**28))
