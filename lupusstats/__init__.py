"""lupusstats: simulate and analyse lupus (SLE) flare frequency, flare severity
and treatment effects with statistical tests.

The one flow: a :class:`Scenario` (arms plus published parameters) is simulated
into a :class:`Cohort` (patients and flares tables) or many trials at once (a
:class:`TrialBatch` of arrays); the analysis families take those tables -- or a
user's own data in the same shape, read by :func:`read_cohort` -- and return
small result objects and tidy DataFrames.

>>> import lupusstats as ls
>>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
>>> cohort.patients.shape[0]
555

One subpackage per family, each importable on its own:

* ``lupusstats.cohort`` -- column names, :class:`Cohort`, :func:`read_cohort`;
* ``lupusstats.model`` -- :class:`Arm`, :class:`Scenario`, presets, simulators;
* ``lupusstats.rates`` -- flare frequency (Poisson, negative binomial, MCF);
* ``lupusstats.severity`` -- flare severity (tables, rank tests, proportional odds);
* ``lupusstats.effects`` -- effect sizes (SMD, 2x2, NNT) and multiplicity;
* ``lupusstats.survival`` -- Kaplan-Meier, log-rank, Cox, RMST, recurrent-event regression;
* ``lupusstats.endpoints`` -- trial endpoints from visits (SRI-4, BICLA, LLDAS, DORIS, renal response);
* ``lupusstats.evidence`` -- published data sets and meta-analysis;
* ``lupusstats.power`` -- power and sample size (formula, simulation, grids);
* ``lupusstats.card``, ``lupusstats.calibration`` -- compositions on top;
* ``lupusstats.plots`` (imported on first use) and ``lupusstats.cli``.

Heavy libraries (statsmodels, seaborn, dask) are imported only by the functions
that need them; ``lupusstats.plots`` is imported on first use.  The map of the
package is docs/architecture.md.
"""

from __future__ import annotations

from importlib import metadata as _metadata

# the family subpackages, as attributes of the package (ls.rates, ls.survival ...)
from lupusstats import cohort as cohort
from lupusstats import effects as effects
from lupusstats import endpoints as endpoints
from lupusstats import evidence as evidence
from lupusstats import model as model
from lupusstats import power as power
from lupusstats import rates as rates
from lupusstats import severity as severity
from lupusstats import survival as survival
from lupusstats._core.results import BatchResult, ConfidenceInterval, EstimateResult, ResultBase
from lupusstats.calibration import VALIDATION_FAMILIES, validate_methods
from lupusstats.card import effect_card
from lupusstats.cohort import Cohort, columns, read_cohort
from lupusstats.effects import (
    NNTResult,
    adjust_pvalues,
    cohens_d,
    cohens_d_from_stats,
    compare_proportions_batch,
    d_to_log_odds_ratio,
    glass_delta,
    glass_delta_from_stats,
    hedges_g,
    hedges_g_from_stats,
    log_odds_ratio_to_d,
    number_needed_to_treat,
    number_needed_to_treat_rate,
    odds_ratio,
    rate_difference,
    risk_difference,
    risk_ratio,
)
from lupusstats.endpoints import (
    GEE_CORRELATIONS,
    RESPONDER_ENDPOINTS,
    VisitArrays,
    bicla_response,
    bilag_flares,
    cmh_test,
    compare_responders,
    doris_remission,
    drug_free_remission,
    lldas,
    renal_response,
    responder_gee,
    responder_rates,
    responders,
    selena_flares,
    sri_response,
    steroid_taper,
    visit_arrays,
)
from lupusstats.evidence import (
    MEASURES,
    BayesMetaResult,
    DatasetError,
    IndependentPool,
    MetaAnalysisResult,
    back_transform,
    bayes_meta_analysis,
    bayes_meta_analysis_batch,
    certainty_table,
    effect_sizes,
    list_datasets,
    load_dataset,
    meta_analysis,
    pool_independent,
    short_answer,
    validate_dataset,
)
from lupusstats.fitting import FitResult, check_targets, fit_preset, fit_scenario, preset_calibration
from lupusstats.model import (
    PRESET_TARGETS,
    Activity,
    Arm,
    Scenario,
    Source,
    Target,
    TrialBatch,
    list_presets,
    preset,
    preset_sensitivity,
    simulate_cohort,
    simulate_trials,
)
from lupusstats.power import (
    ENDPOINTS,
    PowerResult,
    ProportionSampleSizeResult,
    SampleSizeResult,
    SimulatedSampleSizeResult,
    power_grid,
    power_proportions,
    power_rate_ratio,
    power_time_to_first_flare,
    sample_size_proportions,
    sample_size_rate_ratio,
    simulate_power,
    simulate_power_recurrent,
    simulate_sample_size,
    trial_tables,
)
from lupusstats.rates import (
    RATE_MODELS,
    OverdispersionResult,
    RateRatioResult,
    compare_rates,
    compare_rates_batch,
    count_frequencies,
    flare_rates,
    mean_cumulative_function,
    overdispersion_test,
    poisson_rate_ci,
    rate_ratio_test,
)
from lupusstats.remission import drug_free_remission_rates
from lupusstats.severity import (
    ContingencyTestResult,
    SeverityComparison,
    cliffs_delta,
    cochran_armitage,
    compare_severity,
    compare_severity_batch,
    contingency_test,
    mann_whitney,
    organ_table,
    patient_severity,
    probability_of_superiority,
    proportional_odds,
    severity_counts,
    severity_table,
    sledai_ecdf,
    sledai_summary,
)
from lupusstats.survival import (
    LogrankResult,
    RMSTResult,
    SurvivalComparison,
    compare_survival,
    counting_process,
    cox_hazard_ratio,
    kaplan_meier,
    logrank,
    logrank_batch,
    recurrent_event_regression,
    rmst_difference,
    time_to_first_flare,
)

try:
    __version__ = _metadata.version("lupusstats")
except _metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ENDPOINTS",
    "GEE_CORRELATIONS",
    "MEASURES",
    "PRESET_TARGETS",
    "RATE_MODELS",
    "RESPONDER_ENDPOINTS",
    "VALIDATION_FAMILIES",
    "Activity",
    "Arm",
    "BatchResult",
    "BayesMetaResult",
    "Cohort",
    "ConfidenceInterval",
    "ContingencyTestResult",
    "DatasetError",
    "EstimateResult",
    "FitResult",
    "IndependentPool",
    "LogrankResult",
    "MetaAnalysisResult",
    "NNTResult",
    "OverdispersionResult",
    "PowerResult",
    "ProportionSampleSizeResult",
    "RMSTResult",
    "RateRatioResult",
    "ResultBase",
    "SampleSizeResult",
    "Scenario",
    "SeverityComparison",
    "SimulatedSampleSizeResult",
    "Source",
    "SurvivalComparison",
    "Target",
    "TrialBatch",
    "VisitArrays",
    "adjust_pvalues",
    "back_transform",
    "bayes_meta_analysis",
    "bayes_meta_analysis_batch",
    "bicla_response",
    "bilag_flares",
    "certainty_table",
    "check_targets",
    "cliffs_delta",
    "cmh_test",
    "cochran_armitage",
    "cohens_d",
    "cohens_d_from_stats",
    "columns",
    "compare_proportions_batch",
    "compare_rates",
    "compare_rates_batch",
    "compare_responders",
    "compare_severity",
    "compare_severity_batch",
    "compare_survival",
    "contingency_test",
    "count_frequencies",
    "counting_process",
    "cox_hazard_ratio",
    "d_to_log_odds_ratio",
    "doris_remission",
    "drug_free_remission",
    "drug_free_remission_rates",
    "effect_card",
    "effect_sizes",
    "fit_preset",
    "fit_scenario",
    "flare_rates",
    "glass_delta",
    "glass_delta_from_stats",
    "hedges_g",
    "hedges_g_from_stats",
    "kaplan_meier",
    "list_datasets",
    "list_presets",
    "lldas",
    "load_dataset",
    "log_odds_ratio_to_d",
    "logrank",
    "logrank_batch",
    "mann_whitney",
    "mean_cumulative_function",
    "meta_analysis",
    "number_needed_to_treat",
    "number_needed_to_treat_rate",
    "odds_ratio",
    "organ_table",
    "overdispersion_test",
    "patient_severity",
    "plots",
    "poisson_rate_ci",
    "pool_independent",
    "power_grid",
    "power_proportions",
    "power_rate_ratio",
    "power_time_to_first_flare",
    "preset",
    "preset_calibration",
    "preset_sensitivity",
    "probability_of_superiority",
    "proportional_odds",
    "rate_difference",
    "rate_ratio_test",
    "read_cohort",
    "recurrent_event_regression",
    "renal_response",
    "responder_gee",
    "responder_rates",
    "responders",
    "risk_difference",
    "risk_ratio",
    "rmst_difference",
    "sample_size_proportions",
    "sample_size_rate_ratio",
    "selena_flares",
    "severity_counts",
    "severity_table",
    "short_answer",
    "simulate_cohort",
    "simulate_power",
    "simulate_power_recurrent",
    "simulate_sample_size",
    "simulate_trials",
    "sledai_ecdf",
    "sledai_summary",
    "sri_response",
    "steroid_taper",
    "time_to_first_flare",
    "trial_tables",
    "validate_dataset",
    "validate_methods",
    "visit_arrays",
]


def __getattr__(name: str):
    # ``ls.plots`` imports matplotlib, so it is loaded on first use only.
    if name == "plots":
        import importlib

        return importlib.import_module("lupusstats.plots")
    raise AttributeError(f"module 'lupusstats' has no attribute {name!r}")
