"""Flare severity and organ involvement: tables, ordinal comparisons, Cliff's delta, proportional odds.

Direction convention, everywhere in this module: the first sample ``x`` (or a
non-reference arm) is the *treatment*, the second ``y`` (the reference arm) the
comparator, and higher severity levels are worse.  So

* probability of superiority ``P(X > Y) + 0.5 P(X = Y)`` **< 0.5** means flares
  are milder under treatment;
* Cliff's delta ``P(X > Y) - P(X < Y)`` **< 0** means milder under treatment;
* the proportional-odds common odds ratio (odds of a flare at or above any
  severity level, treatment vs reference) **< 1** means milder under treatment,
  the same direction as ``Arm.severity_odds_ratio`` in the simulator;
* a Cochran-Armitage ``z`` **< 0** means milder under treatment.

The unit of analysis.  Flares of one patient are correlated (patients who flare
often may flare harder, and a patient's disease has its own severity), so a
test that treats flares as independent observations is anti-conservative.
Comparisons offer two correct units:

* ``unit="flare"`` with cluster-aware inference by patient (the default,
  ``inference="cluster"``: the cluster-robust variance of Obuchowski 1997 for
  rank statistics, the cluster-robust sandwich for the proportional-odds model;
  or ``inference="bootstrap"``: patients resampled within arm);
* ``unit="patient"``: one ordinal outcome per patient (worst flare, with
  ``"none"`` below the mildest level for a patient without a flare; number of
  severe flares; total SLEDAI increase), patients being independent.

``inference="naive"`` (flares independent) is offered only to show what goes
wrong; see ``notebooks/03_flare_severity.ipynb``.

Modules: ``tables`` (severity, organ and SLEDAI tables), ``twosample`` (two-sample
rank and contingency tests), ``compare`` (cohort-level comparisons and the batch
version used by power), ``ordinal`` (the vectorised rank engine shared by them).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.severity.compare import compare_severity, compare_severity_batch, proportional_odds
from lupusstats.severity.tables import (
    organ_table,
    patient_severity,
    severity_counts,
    severity_table,
    sledai_ecdf,
    sledai_summary,
)
from lupusstats.severity.twosample import (
    ContingencyTestResult,
    SeverityComparison,
    cliffs_delta,
    cochran_armitage,
    contingency_test,
    mann_whitney,
    probability_of_superiority,
)

__all__ = [
    "ContingencyTestResult",
    "SeverityComparison",
    "cliffs_delta",
    "cochran_armitage",
    "compare_severity",
    "compare_severity_batch",
    "contingency_test",
    "mann_whitney",
    "organ_table",
    "patient_severity",
    "probability_of_superiority",
    "proportional_odds",
    "severity_counts",
    "severity_table",
    "sledai_ecdf",
    "sledai_summary",
]

export(globals(), __all__)
