"""The published-summary data sets shipped in data/: list_datasets() and load_dataset(name).

Under construction: see the open issue for this module.
"""

from __future__ import annotations

__all__: list[str] = []
