"""Calibration of every test and interval by simulation: type I error and coverage (filled in by its issue)."""

from __future__ import annotations

__all__: list[str] = []
