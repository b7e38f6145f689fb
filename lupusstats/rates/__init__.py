"""Flare frequency: Poisson rates and CIs, rate-ratio tests, negative-binomial regression, batch fits, mean cumulative function.

Counts of lupus flares are over-dispersed (some patients flare far more often
than others) and exposure differs between patients (dropout), so this module
offers

* exact and approximate intervals for one rate (:func:`poisson_rate_ci`) and per
  arm (:func:`flare_rates`);
* the conditional test of two rates (:func:`rate_ratio_test`, as R
  ``poisson.test``) -- valid only when counts are Poisson;
* rate-ratio regression with a ``log(exposure)`` offset (:func:`compare_rates`):
  negative binomial (NB2, as R ``MASS::glm.nb``), Poisson, quasi-Poisson and
  Poisson with sandwich standard errors; the same fits for thousands of
  simulated trials at once (:func:`compare_rates_batch`);
* a test of over-dispersion (:func:`overdispersion_test`) and observed versus
  fitted count frequencies (:func:`count_frequencies`);
* the mean cumulative function of flares with a robust confidence band
  (:func:`mean_cumulative_function`).

NB2 dispersion: ``Var = mu + dispersion * mu**2``; R's ``theta = 1 / dispersion``.
Severe flares are analysed with the same functions and ``count="n_severe_flares"``.

Modules: ``poisson`` (one and two Poisson rates), ``regression`` (per-arm rates and
rate-ratio regressions, single cohort and batch), ``negbin`` (the vectorised NB2
maximum-likelihood engine), ``describe`` (over-dispersion, count frequencies, mean
cumulative function), ``design`` (tables to arrays).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.rates.describe import (
    OverdispersionResult,
    count_frequencies,
    mean_cumulative_function,
    overdispersion_test,
)
from lupusstats.rates.poisson import RateRatioResult, poisson_rate_ci, rate_ratio_test
from lupusstats.rates.regression import RATE_MODELS, compare_rates, compare_rates_batch, flare_rates

__all__ = [
    "RATE_MODELS",
    "OverdispersionResult",
    "RateRatioResult",
    "compare_rates",
    "compare_rates_batch",
    "count_frequencies",
    "flare_rates",
    "mean_cumulative_function",
    "overdispersion_test",
    "poisson_rate_ci",
    "rate_ratio_test",
]

export(globals(), __all__)
