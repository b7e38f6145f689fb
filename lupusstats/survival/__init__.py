"""Time to first (severe) flare: Kaplan-Meier, log-rank, Cox hazard ratio, restricted mean survival time.

All functions take plain arrays ``time`` (> 0), ``event`` (1 = event observed,
0 = censored) and ``group`` (labels), so any time-to-event data fit;
:func:`time_to_first_flare` builds them from a patients table, where
``first_flare_years`` (or ``first_severe_flare_years``) is NaN for a patient
without the event, who is then censored at ``followup_years``.

Reference implementations: R ``survival`` (``survfit``, ``survdiff``,
``coxph`` with Efron ties, ``print(survfit, rmean=tau)``).  Each is a few
vectorised lines here: statsmodels has no RMST, its ``survdiff`` does not
return the observed/expected table, and its ``PHReg(ties="efron")`` (used in
the tests as a cross-check) takes ~0.1 s per fit, too slow for calibration.

Modules: ``nonparametric`` (Kaplan-Meier, log-rank single and batch, time to first
flare from a patients table), ``models`` (Cox hazard ratio, RMST), ``recurrent``
(every flare: Andersen-Gill, LWYY and PWP gap-time regressions on counting-process
intervals, robust variance clustered by patient), ``compare``
(:func:`compare_survival`: log-rank and Cox on a table, as the other families'
``compare_*``), ``data`` (the shared argument checks).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.survival.compare import SurvivalComparison, compare_survival
from lupusstats.survival.models import RMSTResult, cox_hazard_ratio, rmst_difference
from lupusstats.survival.nonparametric import (
    LogrankResult,
    kaplan_meier,
    logrank,
    logrank_batch,
    time_to_first_flare,
)
from lupusstats.survival.recurrent import counting_process, recurrent_event_regression

__all__ = [
    "LogrankResult",
    "RMSTResult",
    "SurvivalComparison",
    "compare_survival",
    "counting_process",
    "cox_hazard_ratio",
    "kaplan_meier",
    "logrank",
    "logrank_batch",
    "recurrent_event_regression",
    "rmst_difference",
    "time_to_first_flare",
]

export(globals(), __all__)
