"""Converting between effect-size scales (standardised mean difference and log odds ratio)."""

from __future__ import annotations

import math

import numpy.typing as npt

from lupusstats._core import validation as _v
from lupusstats._core.types import FloatOrArray

__all__ = ["d_to_log_odds_ratio", "log_odds_ratio_to_d"]


def d_to_log_odds_ratio(d: npt.ArrayLike) -> FloatOrArray:
    """Convert a standardised mean difference to a log odds ratio: ``log OR = d * pi / sqrt(3)``.

    The logistic-distribution conversion of Hasselblad & Hedges (1995) and Chinn
    (2000), as R ``effectsize::d_to_oddsratio(log=TRUE)``.  Standard errors
    convert by the same factor (variances by ``pi^2 / 3``).

    Parameters
    ----------
    d : float or array-like

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.d_to_log_odds_ratio(0.5), 4)
    0.9069
    """
    arr = _v.as_float_array("d", d)
    out = arr * math.pi / math.sqrt(3)
    return float(out) if out.ndim == 0 else out


def log_odds_ratio_to_d(log_odds_ratio: npt.ArrayLike) -> FloatOrArray:
    """Convert a log odds ratio to a standardised mean difference: ``d = log OR * sqrt(3) / pi``.

    Inverse of :func:`d_to_log_odds_ratio` (R ``effectsize::oddsratio_to_d(log=TRUE)``).
    Use it to put a binary outcome (e.g. SRI-4 response) on the scale of a
    standardised mean difference; standard errors convert by the same factor.

    Parameters
    ----------
    log_odds_ratio : float or array-like
        Natural-log odds ratio(s).

    Returns
    -------
    float or ndarray
        Standardised mean difference(s): a float for a scalar input, else an
        array of the input's shape.

    Examples
    --------
    >>> import math
    >>> import lupusstats as ls
    >>> round(ls.log_odds_ratio_to_d(0.9069), 3)
    0.5
    >>> round(ls.log_odds_ratio_to_d(math.log(2.0)), 3)  # an odds ratio of 2
    0.382
    """
    arr = _v.as_float_array("log_odds_ratio", log_odds_ratio)
    out = arr * math.sqrt(3) / math.pi
    return float(out) if out.ndim == 0 else out
