"""convcourse's autograder: the Numba reference (:mod:`autograder.reference`) and the grader built on it.

What a notebook uses is here, imported only when first used (``import autograder`` costs nothing):
``check`` and ``autograde`` (:mod:`autograder.course.notebook`) and the lessons' ``figures``.
"""

__version__ = "0.1.0"

__all__ = ["check", "autograde", "figures"]


def check(*args, **kwargs):
    """Check an exercise in the notebook; see :func:`autograder.course.notebook.check`."""
    from .course.notebook import check as _check

    return _check(*args, **kwargs)


def autograde(*args, **kwargs):
    """Grade an exercise in an nbgrader cell; see :func:`autograder.course.notebook.autograde`."""
    from .course.notebook import autograde as _autograde

    return _autograde(*args, **kwargs)


def __getattr__(name):
    if name == "figures":
        from .course import figures

        return figures
    raise AttributeError(f"module 'autograder' has no attribute {name!r}")
