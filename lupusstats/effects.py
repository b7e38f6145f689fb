"""Effect sizes with confidence intervals: d/g/Glass, RR/OR/RD/NNT, p-value adjustment and the effect card.

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
