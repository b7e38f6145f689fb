"""Fuzz suite, second half of the registry (see tests/fuzz_registry.py for the contract)."""

from __future__ import annotations

from _fuzz_run import make_test
from fuzz_registry import REGISTRY

test_public_function_keeps_the_contract = make_test(sorted(REGISTRY)[1::2])
