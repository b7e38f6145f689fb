"""The one fuzz test, parametrized over part of the registry (imported by test_fuzz_1.py and test_fuzz_2.py)."""

from __future__ import annotations

import pytest
from fuzz_registry import REGISTRY, check_contract, draw_call
from hypothesis import given, settings
from hypothesis import strategies as st


def examples(name: str) -> int:
    """The profile's max_examples scaled by the entry's weight (at least 3)."""
    return max(3, round(settings().max_examples * REGISTRY[name].weight))


def make_test(names: list[str]):
    @pytest.mark.parametrize("name", names)
    def test_public_function_keeps_the_contract(name):
        entry = REGISTRY[name]

        @settings(max_examples=examples(name))
        @given(data=st.data())
        def run(data):
            args, kwargs, label = draw_call(entry, data)
            check_contract(name, entry, args, kwargs, label)

        run()

    return test_public_function_keeps_the_contract
