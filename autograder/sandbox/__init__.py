"""Where student code runs: a sandboxed child process, never the grader (SPEC §4).

- :mod:`.runner`: :class:`Runner`, the grader's handle on one child (requests, timeouts, timed calls).
- :mod:`.isolation`: the layers (bubblewrap, an unprivileged uid, cgroup, environment, working directory),
  the probe that decides which hold on this machine, and how a child is started.
- :mod:`.bubblewrap` and :mod:`.image`: the bubblewrap command line and what it shows the child.
- :mod:`.limits`: rlimits and the cgroup.
- :mod:`.runtime`: everything the child itself runs (standard library and numpy only).
"""

from .isolation import Isolation, Layer, Policy, SandboxUnavailable
from .limits import CALL_SECONDS, Containment, Limits
from .runner import Outcome, Runner

__all__ = ["Runner", "Outcome", "Limits", "Containment", "Isolation", "Layer", "Policy", "SandboxUnavailable",
           "CALL_SECONDS"]
