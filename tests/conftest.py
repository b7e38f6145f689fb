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


# ------------------------------------------------------------------------------ xdist scheduling
# `make test` runs `pytest -n auto --dist loadfile`: each file's tests run on one worker, in order
# (nbval's notebook cells, a module-scoped fixture such as the docs build).  The files below hold
# long tests that are independent of each other (the second-seed notebook runs, the fuzz cases);
# as one unit each they would be the long pole on one worker, so their tests are dealt out one by one.
_SPREAD_FILES = frozenset({"test_notebooks.py", "test_fuzz_1.py", "test_fuzz_2.py", "test_fitting.py"})


# Scopes known to take long go first (largest first is the usual heuristic for scheduling independent jobs
# on few workers: a long job started last is the run's tail).  xdist's own order (most tests first) puts
# the spread single-test scopes, which include the longest tests of the suite, at the very end.
_LONG_FIRST = (
    "tests/test_browser.py",  # one JupyterLab server for the file: about two minutes on one worker
    "tests/test_notebooks.py",  # the second-seed run of each notebook, 5-25 s each
    "tests/test_docs.py",  # the Sphinx build
    "notebooks/",  # nbval: each notebook's cells in order
    "tests/test_fitting.py",
    "tests/test_fuzz_2.py",
    "tests/test_fuzz_1.py",
)


def _rank(scope: str) -> int:
    return next((i for i, prefix in enumerate(_LONG_FIRST) if scope.startswith(prefix)), len(_LONG_FIRST))


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class _SpreadLongFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return nodeid if path.rsplit("/", 1)[-1] in _SPREAD_FILES else path

        _ordered = False

        def _assign_work_unit(self, node) -> None:
            # the first assignment sees the whole work queue: order it once, known-long scopes first, then
            # the most tests first (xdist's own order); the scopes themselves are untouched (the workers run
            # them by index into their own collection, in collection order)
            if not self._ordered:
                ranked = sorted(self.workqueue.items(), key=lambda item: (_rank(item[0]), -len(item[1])))
                self.workqueue.clear()
                self.workqueue.update(ranked)
                self._ordered = True
            super()._assign_work_unit(node)

    return _SpreadLongFiles(config, log)
