"""Every public name is fuzzed or excluded with a reason; the README's counts are the registry's."""

from __future__ import annotations

import inspect
import pathlib
import re

from fuzz_registry import EXCLUDED, REGISTRY, excluded_kind

import lupusstats as ls

ROOT = pathlib.Path(__file__).resolve().parents[1]


def fuzz_counts() -> tuple[int, int]:
    """(functions fuzzed, argument cases): what the README's reliability section states."""
    return len(REGISTRY), sum(entry.n_cases() for entry in REGISTRY.values())


def test_every_public_name_is_fuzzed_or_excluded_with_a_reason():
    uncovered = [n for n in ls.__all__ if n not in REGISTRY and n not in EXCLUDED and not excluded_kind(getattr(ls, n))]
    assert not uncovered, (
        f"public name(s) {uncovered} have no fuzz strategy: add an Entry for each to REGISTRY in "
        "tests/fuzz_registry.py (valid arguments and their edge cases; see the entries of similar functions), "
        "or, for a constant or module, a line in EXCLUDED saying why."
    )


def test_registry_names_only_public_functions():
    stale = [n for n in REGISTRY if n not in ls.__all__ or not callable(getattr(ls, n, None))]
    assert not stale, f"REGISTRY entries {stale} are not public functions of lupusstats any more: remove them."
    wrong = [n for n in EXCLUDED if n not in ls.__all__ or inspect.isfunction(getattr(ls, n))]
    assert not wrong, f"EXCLUDED lists {wrong}, which are functions or not public: fuzz them instead."
    assert all(reason.strip() for reason in EXCLUDED.values())


def test_registry_arguments_are_parameters():
    for name, entry in REGISTRY.items():
        params = inspect.signature(getattr(ls, name)).parameters
        for arg in (*entry.positional, *entry.keywords):
            assert arg in params, f"{name}: registry argument {arg!r} is not a parameter of ls.{name}"


def test_readme_states_the_registry_counts():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    functions, cases = fuzz_counts()
    match = re.search(r"(\d+) public functions.*?(\d+) argument cases", section, flags=re.S)
    assert match, "the README's Reliability section must state '<N> public functions ... <M> argument cases'"
    assert (int(match.group(1)), int(match.group(2))) == (functions, cases), (
        f"README says {match.group(1)} functions and {match.group(2)} cases; the registry has {functions} and "
        f"{cases}: run `python tests/fuzz_registry.py` and copy its line into the README"
    )
