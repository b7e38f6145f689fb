"""Type hints on the public API: every function and public method of ``ls.__all__`` is annotated.

mypy checks the package in ``make lint`` (the level is stated in pyproject.toml's ``[tool.mypy]``
and in CONTRIBUTING.md); this test checks what mypy does not insist on at that level: that the
public signatures carry annotations at all (every parameter and the return), so that users'
type checkers see them (the package ships ``py.typed``).
"""

from __future__ import annotations

import inspect
import pathlib
import tomllib

import lupusstats as ls

ROOT = pathlib.Path(__file__).resolve().parents[1]

# Public callables not annotated yet, because their modules were being rewritten by other changes
# when the public API was annotated.  Annotate one, then remove it here: a name listed here that
# is already fully annotated fails test_pending_names_are_not_stale.  Empty the set to finish.
_PENDING_ANNOTATION: set[str] = set()


def _methods(cls: type) -> dict[str, object]:
    """Public methods and properties (and a hand-written ``__init__``) of `cls` and its package bases.

    Keyed ``Class.name`` by the class that defines them, so an inherited method is checked once.
    """
    out = {}
    for klass in cls.__mro__:
        if not klass.__module__.startswith("lupusstats"):
            continue
        for attr, value in vars(klass).items():
            if attr.startswith("_") and attr != "__init__":
                continue
            func = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
            if inspect.isfunction(func):
                out.setdefault(f"{klass.__name__}.{attr}", func)
    return out


def _public_callables() -> dict[str, object]:
    """``name -> function`` for the functions of ``ls.__all__`` and the methods of its classes."""
    out = {}
    for name in ls.__all__:
        obj = getattr(ls, name)
        if inspect.isfunction(obj):
            out[name] = obj
        elif inspect.isclass(obj):
            out.update(_methods(obj))
    return out


def _missing_annotations(func) -> list[str]:
    """What `func`'s signature leaves unannotated (a decorated function is seen through its wrapper)."""
    sig = inspect.signature(func)
    params = list(sig.parameters.values())
    if params and params[0].name in ("self", "cls") and "." in func.__qualname__:
        params = params[1:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_public_api_is_annotated():
    problems = {
        name: missing
        for name, func in _public_callables().items()
        if name not in _PENDING_ANNOTATION and (missing := _missing_annotations(func))
    }
    assert not problems, "unannotated public signatures (parameter names, or 'return'):\n" + "\n".join(
        f"  {name}: {', '.join(missing)}" for name, missing in sorted(problems.items())
    )


def test_pending_names_are_not_stale():
    """Every pending name is public and still lacks an annotation; remove it once annotated."""
    public = _public_callables()
    gone = sorted(_PENDING_ANNOTATION - set(public))
    assert not gone, f"pending names that are not public functions or methods (remove them): {gone}"
    done = sorted(name for name in _PENDING_ANNOTATION if not _missing_annotations(public[name]))
    assert not done, f"now fully annotated: remove them from _PENDING_ANNOTATION in {__file__}: {done}"


def test_the_check_sees_what_it_should():
    """The collection reaches functions, decorated functions, methods, inherited methods and properties."""
    public = _public_callables()
    for name in (
        "risk_ratio",  # a plain function
        "kaplan_meier",  # wrapped by renamed_keyword: its own signature is checked
        "BatchResult.confidence_interval",  # a method
        "ResultBase.to_frame",  # inherited by every result, checked once where defined
        "BatchResult.n_trials",  # a property
        "Scenario.__init__",  # a hand-written __init__
    ):
        assert name in public, name

    def bare(x, *, y=1):
        return x

    def annotated(x: int, *, y: int = 1) -> int:
        return x

    assert _missing_annotations(bare) == ["x", "y", "return"]
    assert _missing_annotations(annotated) == []
    assert _missing_annotations(ls.kaplan_meier) == []


def test_py_typed_marker_is_package_data():
    """PEP 561: the marker exists and pyproject ships it (tests/test_datasets.py builds the package)."""
    assert (ROOT / "lupusstats" / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["lupusstats"]
