"""Time to first (severe) flare: Kaplan-Meier, log-rank, Cox hazard ratio, restricted mean survival time.

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
