"""Column names and categories shared by the simulator and the analyses.

This module is the single definition of the two table shapes used everywhere in
lupusstats (see ``docs/architecture.md``):

**patients** -- one row per patient (per trial replicate when there are several)
    ``trial``, ``patient``, ``arm``, ``followup_years``, ``completed``, ``died``,
    ``baseline_sledai``, ``n_flares``, ``n_severe_flares``, ``first_flare_years``,
    ``first_severe_flare_years``, ``drug_free_remission`` and one ``ae_<event>``
    count column per adverse event.

**flares** -- one row per flare
    ``trial``, ``patient``, ``arm``, ``time_years``, ``severity``, ``organ``,
    ``sledai_increase``.

**time to event** -- one row per patient, from :func:`lupusstats.time_to_first_flare`
    the group column, ``time``, ``event``.

Analysis functions take these names as keyword defaults, so a user's own table
with other column names works by passing the names explicitly.  This module
imports nothing from the rest of the package.
"""

from __future__ import annotations

__all__ = [
    "AE_PREFIX",
    "ARM",
    "BASELINE_SLEDAI",
    "COMPLETED",
    "DIED",
    "DRUG_FREE_REMISSION",
    "EVENT",
    "FIRST_FLARE_YEARS",
    "FIRST_SEVERE_FLARE_YEARS",
    "FLARE_COLUMNS",
    "FOLLOWUP_YEARS",
    "N_FLARES",
    "N_SEVERE_FLARES",
    "ORGAN",
    "ORGAN_DOMAINS",
    "PATIENT",
    "PATIENT_COLUMNS",
    "SEVERITY",
    "SEVERITY_LEVELS",
    "SLEDAI_INCREASE",
    "TIME",
    "TIME_YEARS",
    "TRIAL",
    "ae_column",
]

# patients table
TRIAL = "trial"
PATIENT = "patient"
ARM = "arm"
FOLLOWUP_YEARS = "followup_years"
COMPLETED = "completed"
DIED = "died"  # died during follow-up (simulated from the arm's treatment_mortality)
BASELINE_SLEDAI = "baseline_sledai"
N_FLARES = "n_flares"
N_SEVERE_FLARES = "n_severe_flares"
FIRST_FLARE_YEARS = "first_flare_years"
FIRST_SEVERE_FLARE_YEARS = "first_severe_flare_years"
DRUG_FREE_REMISSION = "drug_free_remission"
AE_PREFIX = "ae_"

# flares table
TIME_YEARS = "time_years"
SEVERITY = "severity"
ORGAN = "organ"
SLEDAI_INCREASE = "sledai_increase"

# time-to-event table (time_to_first_flare; the defaults of compare_survival)
TIME = "time"
EVENT = "event"

#: Ordered flare severity levels (an ordered pandas Categorical in tables).
SEVERITY_LEVELS: tuple[str, ...] = ("mild", "moderate", "severe")

#: Organ domains of a flare, in the order used by the BILAG-2004 index.
ORGAN_DOMAINS: tuple[str, ...] = (
    "constitutional",
    "mucocutaneous",
    "neuropsychiatric",
    "musculoskeletal",
    "cardiopulmonary",
    "renal",
    "haematological",
)

#: Fixed columns of the patients table, in order (``ae_<event>`` columns follow).
PATIENT_COLUMNS: tuple[str, ...] = (
    TRIAL,
    PATIENT,
    ARM,
    FOLLOWUP_YEARS,
    COMPLETED,
    DIED,
    BASELINE_SLEDAI,
    N_FLARES,
    N_SEVERE_FLARES,
    FIRST_FLARE_YEARS,
    FIRST_SEVERE_FLARE_YEARS,
    DRUG_FREE_REMISSION,
)

#: Columns of the flares table, in order.
FLARE_COLUMNS: tuple[str, ...] = (
    TRIAL,
    PATIENT,
    ARM,
    TIME_YEARS,
    SEVERITY,
    ORGAN,
    SLEDAI_INCREASE,
)


def ae_column(event: str) -> str:
    """Return the patients-table column holding counts of adverse event `event`.

    Examples
    --------
    >>> ae_column("pneumonia")
    'ae_pneumonia'
    """
    return AE_PREFIX + event
