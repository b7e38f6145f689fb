"""Formula and simulation power, sample size and scenario grids.

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
