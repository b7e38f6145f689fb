"""Published evidence: the data sets shipped in ``data/`` and meta-analysis of published summaries.

Modules: ``datasets`` (``list_datasets``, ``load_dataset``, the schemas that
validate every file, and ``overlap_groups`` / ``one_per_overlap_group`` /
``distinct_patients`` for series that share patients), ``effect_sizes`` (``metafor::escalc``-style effect sizes
from summaries), ``meta`` (fixed- and random-effects meta-analysis, as
``metafor::rma``), ``bayes`` (Bayesian random-effects meta-analysis with the
exact posterior, as R ``bayesmeta``), ``claims`` (``pool_independent``: pooling of independent
patient pools only, REML/Knapp-Hartung beside a Bayesian pool; ``certainty_table``;
``short_answer``: the project's answer to the "cope without drugs" claim, from the data).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.evidence.bayes import BayesMetaResult, bayes_meta_analysis, bayes_meta_analysis_batch
from lupusstats.evidence.claims import IndependentPool, certainty_table, pool_independent, short_answer
from lupusstats.evidence.datasets import (
    DatasetError,
    distinct_patients,
    list_datasets,
    load_dataset,
    one_per_overlap_group,
    overlap_groups,
    validate_dataset,
)
from lupusstats.evidence.effect_sizes import MEASURES, back_transform, effect_sizes
from lupusstats.evidence.meta import MetaAnalysisResult, meta_analysis

__all__ = [
    "MEASURES",
    "BayesMetaResult",
    "DatasetError",
    "IndependentPool",
    "MetaAnalysisResult",
    "back_transform",
    "bayes_meta_analysis",
    "bayes_meta_analysis_batch",
    "certainty_table",
    "distinct_patients",
    "effect_sizes",
    "list_datasets",
    "load_dataset",
    "meta_analysis",
    "one_per_overlap_group",
    "overlap_groups",
    "pool_independent",
    "short_answer",
    "validate_dataset",
]

export(globals(), __all__)
