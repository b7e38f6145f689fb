"""Effect sizes with confidence intervals: d/g/Glass, RR/OR/RD/NNT, p-value adjustment.

Conventions used throughout:

* **Group 1 is the treatment, group 2 (or ``y``) the reference.**  Differences are
  group 1 minus group 2, ratios group 1 over group 2.
* Standardised mean differences (:func:`cohens_d`, :func:`hedges_g`,
  :func:`glass_delta`) get exact intervals by inverting the noncentral t
  distribution, exactly as R ``effectsize`` 0.8 does; their ``*_from_stats``
  twins take summary statistics (mean, SD, n per group).
* 2x2 measures (:func:`risk_ratio`, :func:`odds_ratio`, :func:`risk_difference`)
  default to Wald intervals (on the log scale for ratios: Katz for RR, Woolf for
  OR) and, like R ``metafor::escalc``, add 0.5 to every cell of a table that has a
  zero cell.  ``odds_ratio(method="exact")`` is the conditional maximum-likelihood
  estimate with the exact interval of R ``fisher.test``; ``risk_difference(
  method="newcombe")`` is Newcombe's hybrid Wilson score interval (method 10).
* :func:`number_needed_to_treat` follows Altman (BMJ 1998;317:1309): a signed
  number (positive = NNTB, negative = NNTH) whose interval passes through
  infinity when the risk-difference interval includes zero.

The effect card (:func:`effect_card`) composes the analyses, so it lives on top of
them in :mod:`lupusstats.card`.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validation as _v

__all__ = [
    "cohens_d",
    "hedges_g",
    "glass_delta",
    "cohens_d_from_stats",
    "hedges_g_from_stats",
    "glass_delta_from_stats",
    "risk_ratio",
    "odds_ratio",
    "risk_difference",
    "number_needed_to_treat",
    "NNTResult",
    "rate_difference",
    "number_needed_to_treat_rate",
    "d_to_log_odds_ratio",
    "log_odds_ratio_to_d",
    "adjust_pvalues",
]

# Standardised mean differences and 2x2/NNT/rate measures live in private modules
# (the ~500-line rule); every name is re-exported here, so ``from
# lupusstats.effects import X`` keeps working for each name importable before.
from ._effects_2x2 import (
    NNTResult,
    number_needed_to_treat,
    number_needed_to_treat_rate,
    odds_ratio,
    rate_difference,
    risk_difference,
    risk_ratio,
)
from ._effects_smd import (
    cohens_d,
    cohens_d_from_stats,
    glass_delta,
    glass_delta_from_stats,
    hedges_g,
    hedges_g_from_stats,
)

# ---------------------------------------------------------------------------
# conversions and multiplicity
# ---------------------------------------------------------------------------


def d_to_log_odds_ratio(d):
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


def log_odds_ratio_to_d(log_odds_ratio):
    """Convert a log odds ratio to a standardised mean difference: ``d = log OR * sqrt(3) / pi``.

    Inverse of :func:`d_to_log_odds_ratio` (R ``effectsize::oddsratio_to_d(log=TRUE)``).

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.log_odds_ratio_to_d(0.9069), 3)
    0.5
    """
    arr = _v.as_float_array("log_odds_ratio", log_odds_ratio)
    out = arr * math.sqrt(3) / math.pi
    return float(out) if out.ndim == 0 else out


_ADJUST = {"holm": "holm", "hochberg": "simes-hochberg", "bonferroni": "bonferroni", "fdr_bh": "fdr_bh", "BH": "fdr_bh"}


def adjust_pvalues(p, method="holm"):
    """Adjust p-values for multiple comparisons (statsmodels ``multipletests``).

    Parameters
    ----------
    p : array-like of float
        p-values in [0, 1]; NaN is an error (drop them first and say so).
    method : {"holm", "hochberg", "bonferroni", "fdr_bh"}
        Holm (step-down FWER), Hochberg (step-up FWER, valid under independence
        or positive dependence), Bonferroni, Benjamini-Hochberg FDR (``"BH"`` is
        an alias).  Same numbers as R ``p.adjust``.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order (same shape).

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.adjust_pvalues([0.01, 0.02, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.06, 0.06, 0.5]
    """
    from statsmodels.stats.multitest import multipletests

    method = _v.check_choice("method", method, tuple(_ADJUST))
    arr = _v.as_float_array("p", p)
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError(f"`p` must hold p-values in [0, 1], got {arr[(arr < 0) | (arr > 1)][:5].tolist()}.")
    if arr.size == 0:
        return arr.copy()
    flat = arr.ravel()
    adjusted = multipletests(flat, method=_ADJUST[method])[1]
    return np.asarray(adjusted, dtype=float).reshape(arr.shape)
