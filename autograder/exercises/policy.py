"""The course's rules for every function a student writes (SPEC §2), and the points they are worth.

Read by the static rules (:mod:`autograder.grading.rules`), the loader (a forbidden import is why a file
could not load), the child (which imports it lets through) and the score. Nothing here imports anything.
"""

from __future__ import annotations

__all__ = ["ALLOWED_IMPORTS", "FORBIDDEN_CALLS", "FORBIDDEN_PACKAGES", "COURSE_PACKAGES", "RULE_POINTS"]

#: Modules a submission may import.
ALLOWED_IMPORTS = frozenset({"numpy", "math"})

#: Calls that do the exercise for the student, as dotted names after resolving ``np``: every FFT transform
#: (a convolution by FFT in any number of dimensions is not one written by hand).
FORBIDDEN_CALLS = frozenset({"numpy.convolve", "numpy.correlate"} | {
    f"numpy.fft.{kind}{name}" for kind in ("", "i", "r", "ir", "h", "ih") for name in ("fft", "fft2", "fftn")
} - {"numpy.fft.hfft2", "numpy.fft.hfftn", "numpy.fft.ihfft2", "numpy.fft.ihfftn"})

#: Packages any call into which does the exercise (the course's own reference among them).
FORBIDDEN_PACKAGES = ("scipy", "torch", "tensorflow", "keras", "jax", "autograder", "cv2", "skimage", "numba",
                      "sklearn")

#: The course's own code (the reference, the model answers, the grader): code that reaches any of it, by an
#: import, a call or a name bound to it, borrows the answer and earns nothing for that exercise (SPEC §2).
COURSE_PACKAGES = ("autograder", "solutions", "convcourse")

#: Points for keeping each rule. Every exercise whose answer is code has the import and call rules; the
#: loop budget only where the catalogue gives one.
RULE_POINTS = {"loop-budget": 1.0, "forbidden-import": 0.5, "forbidden-call": 0.5}
