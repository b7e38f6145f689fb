"""Reading a user's own cohort data into the patients/flares table shapes (filled in by its issue)."""

from __future__ import annotations

__all__: list[str] = []
