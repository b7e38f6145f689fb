"""Flare severity and organ involvement: tables, ordinal comparisons, Cliff's delta, proportional odds.

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
