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

**visits** -- one row per patient per scheduled visit (week 0 = baseline)
    ``trial``, ``patient``, ``arm``, ``week``, ``sledai``, ``clinical_sledai``,
    ``pga``, ``prednisone_mg``, ``on_immunosuppressant``, ``on_antimalarial``,
    ``rescue``, one ``bilag_<domain>`` grade column per BILAG-2004 domain
    (letters ``A``..``E``, ``A`` the most active), ``major_organ_activity``,
    ``new_activity`` and, for nephritis, ``upcr`` and ``egfr``.  A patient who
    died or left has no rows after the last visit attended.

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
    "BILAG_COLUMNS",
    "BILAG_DOMAINS",
    "BILAG_GRADES",
    "BILAG_PREFIX",
    "CLINICAL_SLEDAI",
    "COMPLETED",
    "DIED",
    "DRUG_FREE_REMISSION",
    "EGFR",
    "EVENT",
    "FIRST_FLARE_YEARS",
    "FIRST_SEVERE_FLARE_YEARS",
    "FLARE_COLUMNS",
    "FOLLOWUP_YEARS",
    "MAJOR_ORGAN_ACTIVITY",
    "NEW_ACTIVITY",
    "N_FLARES",
    "N_SEVERE_FLARES",
    "ON_ANTIMALARIAL",
    "ON_IMMUNOSUPPRESSANT",
    "ORGAN",
    "ORGAN_DOMAINS",
    "ORGAN_TO_BILAG",
    "PATIENT",
    "PATIENT_COLUMNS",
    "PGA",
    "PREDNISONE_MG",
    "RENAL_VISIT_COLUMNS",
    "RESCUE",
    "SEVERITY",
    "SEVERITY_LEVELS",
    "SLEDAI",
    "SLEDAI_INCREASE",
    "TIME",
    "TIME_YEARS",
    "TRIAL",
    "UPCR",
    "VISIT_COLUMNS",
    "WEEK",
    "ae_column",
    "bilag_column",
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

# visits table
WEEK = "week"
SLEDAI = "sledai"  # SLEDAI-2K total at the visit
CLINICAL_SLEDAI = "clinical_sledai"  # SLEDAI-2K without the two serology items (anti-dsDNA, complement)
PGA = "pga"  # physician global assessment, 0-3
PREDNISONE_MG = "prednisone_mg"  # daily glucocorticoid dose, prednisone equivalent (mg/day)
ON_IMMUNOSUPPRESSANT = "on_immunosuppressant"
ON_ANTIMALARIAL = "on_antimalarial"
RESCUE = "rescue"  # protocol-prohibited rescue therapy at or before this visit
MAJOR_ORGAN_ACTIVITY = "major_organ_activity"  # renal, CNS, cardiopulmonary, vasculitis or fever (LLDAS)
NEW_ACTIVITY = "new_activity"  # activity absent at the previous visit (LLDAS criterion 2)
UPCR = "upcr"  # urine protein:creatinine ratio, g/g (nephritis)
EGFR = "egfr"  # estimated GFR, mL/min/1.73 m2 (nephritis)
BILAG_PREFIX = "bilag_"

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

#: The nine BILAG-2004 domains, in the index's order; one ``bilag_<domain>`` column each.
BILAG_DOMAINS: tuple[str, ...] = (
    "constitutional",
    "mucocutaneous",
    "neuropsychiatric",
    "musculoskeletal",
    "cardiorespiratory",
    "gastrointestinal",
    "ophthalmic",
    "renal",
    "haematological",
)

#: BILAG-2004 grades, most active first (A: severe activity ... E: never involved).
BILAG_GRADES: tuple[str, ...] = ("A", "B", "C", "D", "E")

#: The BILAG-2004 domain of each flare organ (``ORGAN_DOMAINS``); the flares
#: table says "cardiopulmonary" where BILAG-2004 says "cardiorespiratory".
ORGAN_TO_BILAG: dict[str, str] = {
    "constitutional": "constitutional",
    "mucocutaneous": "mucocutaneous",
    "neuropsychiatric": "neuropsychiatric",
    "musculoskeletal": "musculoskeletal",
    "cardiopulmonary": "cardiorespiratory",
    "renal": "renal",
    "haematological": "haematological",
}

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


def bilag_column(domain: str) -> str:
    """Return the visits-table column holding the BILAG-2004 grade of `domain`.

    Examples
    --------
    >>> bilag_column("renal")
    'bilag_renal'
    """
    return BILAG_PREFIX + domain


#: BILAG grade columns of the visits table, in ``BILAG_DOMAINS`` order.
BILAG_COLUMNS: tuple[str, ...] = tuple(BILAG_PREFIX + d for d in BILAG_DOMAINS)

#: Columns of the visits table, in order (``upcr`` and ``egfr`` follow for nephritis).
VISIT_COLUMNS: tuple[str, ...] = (
    TRIAL,
    PATIENT,
    ARM,
    WEEK,
    SLEDAI,
    CLINICAL_SLEDAI,
    PGA,
    PREDNISONE_MG,
    ON_IMMUNOSUPPRESSANT,
    ON_ANTIMALARIAL,
    RESCUE,
    *BILAG_COLUMNS,
    MAJOR_ORGAN_ACTIVITY,
    NEW_ACTIVITY,
)

#: Optional nephritis columns of the visits table.
RENAL_VISIT_COLUMNS: tuple[str, ...] = (UPCR, EGFR)


def ae_column(event: str) -> str:
    """Return the patients-table column holding counts of adverse event `event`.

    Examples
    --------
    >>> ae_column("pneumonia")
    'ae_pneumonia'
    """
    return AE_PREFIX + event
