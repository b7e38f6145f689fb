"""Effect sizes from published summaries and fixed/random-effects meta-analysis.

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
