"""Give each public function and class its family as its public home."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Iterable
from typing import Any


def export(namespace: dict[str, Any], names: Iterable[str]) -> None:
    """Set ``__module__`` of the functions and classes in `names` to the family module.

    A family's ``__init__`` imports its public names from its topic modules and
    calls ``export(globals(), __all__)``, so that ``ls.compare_rates.__module__``
    is ``"lupusstats.rates"`` (where a user imports it from), help() and the API
    docs show that home, and pickles of result classes do not depend on which
    topic module defines them (as numpy does with ``set_module``).
    """
    home = namespace["__name__"]
    for name in names:
        obj = namespace[name]
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__.startswith("lupusstats."):
            if inspect.isclass(obj) and obj.__module__ != home:
                _keep_method_doctests(obj)
            obj.__module__ = home


def _keep_method_doctests(cls: type) -> None:
    # doctest collects a method's examples only from the module that a class's
    # __module__ names; list them in the defining module's __test__ so they still run.
    defining = sys.modules[cls.__module__]
    tests = defining.__dict__.setdefault("__test__", {})
    for attr, value in vars(cls).items():
        func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
        if inspect.isfunction(func) and ">>>" in (func.__doc__ or ""):
            tests[f"{cls.__name__}.{attr}"] = func
