"""Published evidence: the data sets shipped in ``data/`` and meta-analysis of published summaries.

Modules: ``datasets`` (``list_datasets``, ``load_dataset`` and the schemas that
validate every file), ``effect_sizes`` (``metafor::escalc``-style effect sizes
from summaries), ``meta`` (fixed- and random-effects meta-analysis, as
``metafor::rma``).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.evidence.datasets import DatasetError, list_datasets, load_dataset, validate_dataset
from lupusstats.evidence.effect_sizes import MEASURES, back_transform, effect_sizes
from lupusstats.evidence.meta import MetaAnalysisResult, meta_analysis

__all__ = [
    "MEASURES",
    "DatasetError",
    "MetaAnalysisResult",
    "back_transform",
    "effect_sizes",
    "list_datasets",
    "load_dataset",
    "meta_analysis",
    "validate_dataset",
]

export(globals(), __all__)
