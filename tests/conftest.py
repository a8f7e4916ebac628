import os

from hypothesis import HealthCheck, settings

# Numba may compile on a first call: no per-example deadline. CI runs the same number of examples as a
# developer, derandomised so that a red CI run can be replayed exactly.
settings.register_profile(
    "default", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", deadline=None, max_examples=60, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")
