"""Power and sample size for lupus trials: formulas, simulation, and scenario grids.

Two routes to the same question -- how many patients give a trial enough power?

* **Formula** (:func:`power_rate_ratio`, :func:`sample_size_rate_ratio`): the
  negative-binomial rate-ratio formula of Zhu & Lakkis (2014), written with the
  expected Fisher information per patient so that it also covers unequal
  allocation, dropout (exponential, per arm) and variable planned follow-up
  (Tang 2015).  With fixed follow-up and no dropout it equals
  ``statsmodels.stats.rates.power_negbin_ratio_2indep`` (the tests check it).
  For a binary endpoint (renal response, remission): :func:`power_proportions`
  and :func:`sample_size_proportions`, the two-proportion z-test as statsmodels
  ``power_proportions_2indep`` computes it, with non-completers counted as
  non-responders.
* **Simulation** (:func:`simulate_power`, :func:`simulate_sample_size`,
  :func:`power_grid`): many trials drawn by :func:`lupusstats.simulate_trials`
  and analysed all at once -- NB2 regression by
  :func:`lupusstats.compare_rates_batch`, the log-rank test vectorised over
  trials (:func:`lupusstats.logrank_batch`) and the
  patient-level ordinal test of :func:`lupusstats.compare_severity_batch` and
  the two-proportion test of :func:`lupusstats.compare_proportions_batch`
  (``endpoint="remission"``).
  Grids run serially, on local processes or on a Dask cluster and give the same
  numbers on every backend: each grid cell draws from its own
  ``SeedSequence.spawn`` stream.

Power estimates carry their Monte Carlo standard error ``sqrt(p (1 - p) / n_trials)``
and a Wilson interval; a simulated sample size carries a confidence interval.

Modules: ``formula`` (closed-form power and sample size), ``simulation``
(simulated power and sample size), ``grid`` (scenario grids on serial, process
or Dask backends), ``recurrent`` (flare tables of simulated trials, every-flare
analyses compared on the same trials, log-rank power of time to first flare
under gamma-Poisson flares).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.power.formula import (
    ProportionSampleSizeResult,
    SampleSizeResult,
    power_proportions,
    power_rate_ratio,
    sample_size_proportions,
    sample_size_rate_ratio,
)
from lupusstats.power.grid import power_grid
from lupusstats.power.recurrent import power_time_to_first_flare, simulate_power_recurrent, trial_tables
from lupusstats.power.simulation import (
    ENDPOINTS,
    PowerResult,
    SimulatedSampleSizeResult,
    simulate_power,
    simulate_sample_size,
)

__all__ = [
    "ENDPOINTS",
    "PowerResult",
    "ProportionSampleSizeResult",
    "SampleSizeResult",
    "SimulatedSampleSizeResult",
    "power_grid",
    "power_proportions",
    "power_rate_ratio",
    "power_time_to_first_flare",
    "sample_size_proportions",
    "sample_size_rate_ratio",
    "simulate_power",
    "simulate_power_recurrent",
    "simulate_sample_size",
    "trial_tables",
]

export(globals(), __all__)
