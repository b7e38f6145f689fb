"""Hypothesis profiles: ``ci`` (``make test``; derandomized, so a run is repeatable) and ``fuzz`` (``make fuzz``).

Select one with ``pytest --hypothesis-profile=fuzz``; without the option the ``ci`` profile is
loaded.  The fuzz suite (``tests/fuzz_registry.py``) scales ``max_examples`` by each function's
weight; tests that set their own ``@settings(max_examples=...)`` keep their own numbers.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=_QUIET)
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("quick", max_examples=25, deadline=None, suppress_health_check=_QUIET)  # local iteration
settings.load_profile("ci")
