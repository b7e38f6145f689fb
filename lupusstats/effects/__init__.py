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

Modules: ``smd`` (standardised mean differences), ``twobytwo`` (risk ratio, odds
ratio, risk and rate differences, number needed to treat), ``conversion``
(d <-> log odds ratio), ``multiplicity`` (p-value adjustment).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.effects.conversion import d_to_log_odds_ratio, log_odds_ratio_to_d
from lupusstats.effects.multiplicity import adjust_pvalues
from lupusstats.effects.smd import (
    cohens_d,
    cohens_d_from_stats,
    glass_delta,
    glass_delta_from_stats,
    hedges_g,
    hedges_g_from_stats,
)
from lupusstats.effects.twobytwo import (
    NNTResult,
    compare_proportions_batch,
    number_needed_to_treat,
    number_needed_to_treat_rate,
    odds_ratio,
    rate_difference,
    risk_difference,
    risk_ratio,
)

__all__ = [
    "NNTResult",
    "adjust_pvalues",
    "cohens_d",
    "cohens_d_from_stats",
    "compare_proportions_batch",
    "d_to_log_odds_ratio",
    "glass_delta",
    "glass_delta_from_stats",
    "hedges_g",
    "hedges_g_from_stats",
    "log_odds_ratio_to_d",
    "number_needed_to_treat",
    "number_needed_to_treat_rate",
    "odds_ratio",
    "rate_difference",
    "risk_difference",
    "risk_ratio",
]

export(globals(), __all__)
