"""convcourse's autograder: the Numba reference (:mod:`autograder.reference`) and the grader built on it."""

__version__ = "0.1.0"


def check(*args, **kwargs):
    """Check an exercise in the notebook; see :func:`autograder.notebook.check`."""
    from .notebook import check as _check

    return _check(*args, **kwargs)
