"""convcourse's autograder: the Numba reference (:mod:`autograder.reference`) and the grader built on it."""

__version__ = "0.1.0"
