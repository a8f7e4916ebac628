"""Where student code runs: a sandboxed child process, never the grader (SPEC §4).

- :mod:`.runner`: :class:`Runner`, the grader's handle on one child (requests, timeouts, timed calls).
- :mod:`.isolation`: the layers (bubblewrap, an unprivileged uid, cgroup, environment, working directory),
  the probe that decides which hold on this machine, and how a child is started.
- :mod:`.bubblewrap` and :mod:`.image`: the bubblewrap command line and what it shows the child.
- :mod:`.limits`: rlimits and the cgroup.
- :mod:`.runtime`: everything the child itself runs (standard library and numpy only).
"""

from ..lazy import lazy_attributes
from .limits import CALL_SECONDS, SUBMISSION_SECONDS, Containment, Limits

__all__ = ["Runner", "Outcome", "Limits", "Containment", "Isolation", "Layer", "Policy", "SandboxUnavailable",
           "CALL_SECONDS", "SUBMISSION_SECONDS"]

# The runner and the isolation layers (numpy, the probe) load on first use (PEP 562): the command line
# reads the limits' defaults from here without them.
_LAZY = {"Runner": "runner", "Outcome": "runner", "Isolation": "isolation", "Layer": "isolation",
         "Policy": "isolation", "SandboxUnavailable": "isolation"}

__getattr__ = lazy_attributes(__name__, _LAZY)
