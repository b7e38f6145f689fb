"""Figures for lupusstats results: seaborn/matplotlib, ``ax=None`` in, ``Axes`` out.

**The rule:** a plot draws the output of one lupusstats function, passed
unchanged as its first argument: a cohort table (``cohort.patients`` or
``cohort.flares`` from :func:`lupusstats.simulate_cohort` or
:func:`lupusstats.read_cohort`) or what an analysis returned (the table of
:func:`lupusstats.flare_rates`, :func:`lupusstats.compare_rates`,
:func:`lupusstats.kaplan_meier`, :func:`lupusstats.power_grid` ..., or the
result object of :func:`lupusstats.meta_analysis`).  Never raw arrays; column
keywords (``group=``, ``severity=`` ...) have the names and defaults of the
analyses, and each docstring names the function whose output it takes
(checked by ``tests/test_layers.py``).

No function here changes global matplotlib style.  Each topic lives in its own
private module and is re-exported here, so ``ls.plots.plot_forest`` and friends
are one namespace.  Importing this subpackage imports matplotlib; importing
``lupusstats`` alone does not.
"""

from __future__ import annotations

from lupusstats.plots._cohort import plot_flare_counts, plot_organ_mix, plot_severity_mix, plot_swimlane
from lupusstats.plots._effects import plot_effect_card, plot_kaplan_meier
from lupusstats.plots._fitting import plot_calibration
from lupusstats.plots._meta import plot_bayes_forest, plot_forest, plot_funnel
from lupusstats.plots._power import plot_power_curve, plot_power_heatmap, plot_validation
from lupusstats.plots._rates import plot_flare_rates, plot_mcf, plot_overdispersion, plot_rate_ratios
from lupusstats.plots._severity import plot_organ_heatmap, plot_severity_bars, plot_sledai_ecdf

__all__ = [
    "plot_bayes_forest",
    "plot_calibration",
    "plot_effect_card",
    "plot_flare_counts",
    "plot_flare_rates",
    "plot_forest",
    "plot_funnel",
    "plot_kaplan_meier",
    "plot_mcf",
    "plot_organ_heatmap",
    "plot_organ_mix",
    "plot_overdispersion",
    "plot_power_curve",
    "plot_power_heatmap",
    "plot_rate_ratios",
    "plot_severity_bars",
    "plot_severity_mix",
    "plot_sledai_ecdf",
    "plot_swimlane",
    "plot_validation",
]
