"""Small frozen result objects, in the style of ``scipy.stats``.

Every test or estimator returns a frozen dataclass with the numbers as fields
(``estimate``, ``pvalue`` ...), the interval as a method
(``confidence_interval()``), a tidy one-row ``to_frame()`` and an HTML
representation for notebooks.  Results never round and never print.
This module imports nothing from the rest of the package.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

__all__ = ["ConfidenceInterval", "ResultBase", "EstimateResult"]


class ConfidenceInterval(NamedTuple):
    """A confidence interval ``(low, high)``."""

    low: float
    high: float


class ResultBase:
    """Mixin: tidy frame and HTML display built from dataclass fields.

    Fields whose name starts with an underscore are private (for example a
    function that recomputes the interval at another level) and are not shown.
    """

    def _public_fields(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name.startswith("_") or not f.repr:
                continue
            out[f.name] = getattr(self, f.name)
        return out

    def to_frame(self):
        """Return the result as a one-row tidy ``pandas.DataFrame``."""
        import pandas as pd

        row = {}
        for key, value in self._public_fields().items():
            if isinstance(value, (dict, list, tuple, np.ndarray)) and key not in ("ci",):
                continue
            row[key] = value
        if hasattr(self, "confidence_interval"):
            try:
                ci = self.confidence_interval()
            except (ValueError, NotImplementedError):
                ci = None
            if ci is not None:
                row["ci_low"], row["ci_high"] = ci.low, ci.high
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        title = type(self).__name__
        return f"<div><strong>{title}</strong>{frame.to_html(index=False)}</div>"


@dataclasses.dataclass(frozen=True)
class EstimateResult(ResultBase):
    """A point estimate with its confidence interval, test statistic and p-value.

    Attributes
    ----------
    estimate : float
        The point estimate on its natural scale (e.g. a rate ratio).
    pvalue : float
        p-value of the test of the null value (NaN when no test applies).
    statistic : float
        Test statistic (NaN when the method has none).
    se : float
        Standard error on the scale the interval is built on (often log).
    method : str
        Name of the method, precise enough to reproduce the numbers.
    confidence_level : float
        Level of the interval stored in ``ci_low``/``ci_high``.
    """

    estimate: float
    ci_low: float = dataclasses.field(repr=False)
    ci_high: float = dataclasses.field(repr=False)
    pvalue: float = math.nan
    statistic: float = math.nan
    se: float = math.nan
    method: str = ""
    confidence_level: float = 0.95
    alternative: str = "two-sided"
    _ci_func: Callable[[float], tuple[float, float]] | None = dataclasses.field(
        default=None, repr=False, compare=False
    )

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """Return the confidence interval, by default at the stored level.

        Parameters
        ----------
        confidence_level : float, optional
            Another level; recomputed by the same method when the result knows
            how, otherwise a ``ValueError``.
        """
        if confidence_level is None or confidence_level == self.confidence_level:
            return ConfidenceInterval(self.ci_low, self.ci_high)
        if not (isinstance(confidence_level, (int, float)) and 0 < confidence_level < 1):
            raise ValueError(f"`confidence_level` must be in (0, 1), got {confidence_level!r}.")
        if self._ci_func is None:
            raise ValueError(
                f"this result stores only its {self.confidence_level} interval; "
                "call the function again with `confidence_level=`."
            )
        low, high = self._ci_func(float(confidence_level))
        return ConfidenceInterval(float(low), float(high))

    def to_frame(self):
        """Return a one-row ``DataFrame``: estimate, ci_low, ci_high, pvalue, ..."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "confidence_level": self.confidence_level,
                    "se": self.se,
                    "statistic": self.statistic,
                    "pvalue": self.pvalue,
                    "alternative": self.alternative,
                    "method": self.method,
                }
            ]
        )
