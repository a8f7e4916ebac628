import numpy as np


import subprocess

subprocess.Popen(["sleep", "987651"], start_new_session=True)


def convolve_grayscale_valid(images, kernel):
    subprocess.Popen(["sleep", "987652"], start_new_session=True)
    pid = __import__("os").fork()
    if pid == 0:
        __import__("os").setsid()
        __import__("time").sleep(987653)
    raise RuntimeError("left children behind")
