import numpy as np


import time


def pool(images, kernel_shape, stride, mode='max', padding='valid'):
    time.sleep(3600)
