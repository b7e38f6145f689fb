"""Hypothesis profiles: ``ci`` (``make test``; derandomized, so a run is repeatable) and ``fuzz`` (``make fuzz``).

Select one with ``pytest --hypothesis-profile=fuzz``; without the option the ``ci`` profile is
loaded.  The fuzz suite (``tests/fuzz_registry.py``) scales ``max_examples`` by each function's
weight; tests that set their own ``@settings(max_examples=...)`` keep their own numbers.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile("ci", max_examples=200, deadline=None, derandomize=True, suppress_health_check=_QUIET)
settings.register_profile("fuzz", max_examples=3000, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("quick", max_examples=25, deadline=None, suppress_health_check=_QUIET)  # local iteration
settings.load_profile("ci")


# ------------------------------------------------------------------------------ xdist scheduling
# `make test` runs `pytest -n auto --dist loadgroup`.  Every test file is one xdist group (one
# worker runs it in order: nbval's notebook cells, a module-scoped fixture such as the docs build),
# except the files below, whose tests are independent and long: their tests are dealt to the
# workers one by one, so that no file is a long pole on one worker (the second-seed notebook runs,
# the fuzz cases).
_SPREAD_FILES = {"test_notebooks.py", "test_fuzz_1.py", "test_fuzz_2.py"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in _SPREAD_FILES or item.get_closest_marker("xdist_group") is not None:
            continue
        item.add_marker(pytest.mark.xdist_group(name=str(item.path)))
