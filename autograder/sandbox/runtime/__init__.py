"""The whole world of the child that runs student code: this folder, the standard library and numpy.

The sandbox mounts this folder alone (never the rest of ``autograder``: no reference, no solutions, no
course files) and the child imports it as the top-level package ``runtime``. So every module here imports
only the standard library, numpy and its siblings (relatively). The grader imports the same modules as
``autograder.sandbox.runtime`` for the wire format and the stub check: one copy of each.
"""
