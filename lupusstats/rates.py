"""Flare frequency: Poisson rates and CIs, rate-ratio tests, negative-binomial regression, batch fits, mean cumulative function.

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
