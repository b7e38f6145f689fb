"""Treatment arms, trial scenarios and presets built from published SLE numbers.

A :class:`Scenario` holds everything the simulator needs: the arms (the first
is the reference), the number of patients per arm, the flare rate of the
reference arm, the negative-binomial dispersion, the planned follow-up and the
distributions of flare severity, organ domain and SLEDAI.  Every parameter of a
preset carries its source and evidence tag, shown by :meth:`Scenario.sources`:

* ``V`` verified -- the number was read in the paper's text or table;
* ``R`` recalled -- not re-read; verify before relying on it;
* ``D`` derived -- computed here from ``V`` numbers, the derivation is given;
* ``A`` assumption -- a modelling choice where no published number exists
  (usually the neutral value: no effect, no dropout);
* ``user`` -- set by the user.

The numbers come from ``DOMAIN.md`` (the project's evidence file); none is
invented.  Where the literature has no number, the preset says so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from . import _validation as _v
from .columns import ORGAN_DOMAINS, SEVERITY_LEVELS

__all__ = ["Source", "Arm", "Scenario", "preset", "list_presets"]

_TAGS = ("V", "R", "D", "A", "user")
_YEAR_DAYS = 365.25
_WEEK = 7.0 / _YEAR_DAYS


@dataclasses.dataclass(frozen=True)
class Source:
    """Where a parameter value comes from.

    Parameters
    ----------
    citation : str
        Short citation (authors, year, journal, PMID or DOI).
    tag : {"V", "R", "D", "A", "user"}
        Evidence tag: verified, recalled, derived, modelling assumption, user.
    note : str
        What exactly was taken from the source, or how it was derived.
    """

    citation: str
    tag: str
    note: str = ""

    def __post_init__(self) -> None:
        _v.check_choice("tag", self.tag, _TAGS)


def _freeze(name: str, mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if mapping is None:
        return MappingProxyType({})
    if not isinstance(mapping, Mapping):
        raise TypeError(f"`{name}` must be a mapping (dict), got {type(mapping).__name__}.")
    return MappingProxyType(dict(mapping))


@dataclasses.dataclass(frozen=True, eq=False)
class Arm:
    """One treatment arm of a simulated lupus study.

    Only `name` is positional; every other parameter is keyword-only and
    defaults to the neutral value (no effect, no dropout, no adverse events,
    no remission, no treatment-related mortality).

    Parameters
    ----------
    name : str
        Arm label, unique within a scenario.
    flare_rate_ratio : float, default 1.0
        Flare rate relative to the scenario's reference rate (> 0).
    severity_odds_ratio : float, default 1.0
        Proportional-odds shift of flare severity: the odds of a flare being at
        or above any severity level are multiplied by this (< 1 = milder).
    dropout_rate : float, default 0.0
        Hazard of dropping out (events per patient-year, exponential).
    treatment_mortality : float, default 0.0
        Probability of a treatment-related death, occurring uniformly within
        the first `mortality_window_years` after randomisation.
    mortality_window_years : float, default 100 days
        Window for treatment-related death (transplant series report 100-day
        mortality).
    remission_probability : float, default 0.0
        Probability of drug-free remission (as the source defines remission) for
        a patient alive and in follow-up at the end of the study.
    adverse_events : mapping of str to float, optional
        Adverse-event rates per patient-year, e.g. ``{"infection": 2.1}``.
        Counts are Poisson over the exposure window below.
    adverse_event_window_years : float, optional
        Adverse events occur only during this many years after randomisation
        (e.g. the induction course).  ``None`` = the whole observed follow-up.
    exploratory : bool, default False
        Marks an arm whose parameters rest on case series only (e.g. CD19 CAR-T).
    description : str
        Free text shown in tables.
    provenance : mapping of str to Source, optional
        Source of each parameter (keys are parameter names; adverse events
        as ``"adverse_events.<event>"``).  Missing keys show as ``user``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> arm = ls.Arm("IV cyclophosphamide", flare_rate_ratio=0.8,
    ...              adverse_events={"alopecia": 0.97})
    >>> arm.flare_rate_ratio
    0.8
    """

    name: str
    flare_rate_ratio: float = 1.0
    severity_odds_ratio: float = 1.0
    dropout_rate: float = 0.0
    treatment_mortality: float = 0.0
    mortality_window_years: float = 100.0 / _YEAR_DAYS
    remission_probability: float = 0.0
    adverse_events: Mapping[str, float] = dataclasses.field(default_factory=dict)
    adverse_event_window_years: float | None = None
    exploratory: bool = False
    description: str = ""
    provenance: Mapping[str, Source] = dataclasses.field(default_factory=dict, repr=False)

    def __init__(
        self,
        name: str,
        *,
        flare_rate_ratio: float = 1.0,
        severity_odds_ratio: float = 1.0,
        dropout_rate: float = 0.0,
        treatment_mortality: float = 0.0,
        mortality_window_years: float = 100.0 / _YEAR_DAYS,
        remission_probability: float = 0.0,
        adverse_events: Mapping[str, float] | None = None,
        adverse_event_window_years: float | None = None,
        exploratory: bool = False,
        description: str = "",
        provenance: Mapping[str, Source] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"`name` must be a non-empty string, got {name!r}.")
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "flare_rate_ratio", _v.check_positive("flare_rate_ratio", flare_rate_ratio))
        set_(self, "severity_odds_ratio", _v.check_positive("severity_odds_ratio", severity_odds_ratio))
        set_(self, "dropout_rate", _v.check_positive("dropout_rate", dropout_rate, allow_zero=True))
        set_(self, "treatment_mortality", _v.check_probability("treatment_mortality", treatment_mortality))
        set_(self, "mortality_window_years", _v.check_positive("mortality_window_years", mortality_window_years))
        set_(self, "remission_probability", _v.check_probability("remission_probability", remission_probability))
        events = _freeze("adverse_events", adverse_events)
        for event, rate in events.items():
            if not isinstance(event, str) or not event.isidentifier():
                raise ValueError(
                    f"`adverse_events` keys must be simple names such as 'pneumonia', got {event!r}."
                )
            _v.check_positive(f"adverse_events[{event!r}]", rate, allow_zero=True)
        set_(self, "adverse_events", MappingProxyType({k: float(r) for k, r in events.items()}))
        if adverse_event_window_years is not None:
            adverse_event_window_years = _v.check_positive("adverse_event_window_years", adverse_event_window_years)
        set_(self, "adverse_event_window_years", adverse_event_window_years)
        if not isinstance(exploratory, bool):
            raise TypeError(f"`exploratory` must be True or False, got {exploratory!r}.")
        set_(self, "exploratory", exploratory)
        if not isinstance(description, str):
            raise TypeError(f"`description` must be a string, got {type(description).__name__}.")
        set_(self, "description", description)
        set_(self, "provenance", _check_provenance(provenance))

    def replace(self, **changes: Any) -> Arm:
        """Return a copy with some parameters changed (validated again).

        A changed parameter loses its published source and is tagged ``user``.
        """
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        unknown = set(changes) - set(kwargs)
        if unknown:
            raise TypeError(f"Arm has no parameter(s) {sorted(unknown)}; known: {sorted(kwargs)}.")
        provenance = dict(kwargs.pop("provenance"))
        for key, value in changes.items():
            if not _differs(value, kwargs.get(key, getattr(self, key))):
                continue
            if key == "adverse_events":
                provenance = {k: s for k, s in provenance.items() if not k.startswith("adverse_events.")}
            provenance.pop(key, None)
        kwargs.update(changes)
        return Arm(kwargs.pop("name"), provenance=provenance, **kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Arm):
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(self) if f.name != "provenance"
        )

    __hash__ = None  # type: ignore[assignment]


#: Three-level severity mix of flares, McElhone et al. 2021 (BILAG-2004).
_MCELHONE_SEVERITY = (126 / 195, 32 / 195, 37 / 195)


@dataclasses.dataclass(frozen=True, eq=False)
class Scenario:
    """A simulated lupus study: arms plus the model's published parameters.

    Parameters
    ----------
    arms : list of Arm
        At least one arm; the first is the reference (its flare rate is
        `baseline_flare_rate`).  Names must be unique.
    n_per_arm : int or sequence of int
        Patients per arm (one number for equal allocation, or one per arm).
    baseline_flare_rate : float
        Flares per patient-year in the reference arm (> 0).
    dispersion : float
        Negative-binomial (NB2) over-dispersion: between-patient frailty
        ``u ~ Gamma(mean 1, variance dispersion)``, so a patient's flare count
        has variance ``mu + dispersion * mu**2``.  ``0`` gives Poisson counts.
        R's ``theta`` (``MASS::glm.nb``) is ``1 / dispersion``.
    followup_years : float
        Planned follow-up per patient (> 0); cut short by dropout or death.
    severity_probs : sequence of 3 floats
        Mild / moderate / severe mix of flares for a patient of average
        frailty in the reference arm.  Default: McElhone et al. 2021,
        126 / 32 / 37 of 195 BILAG-2004 flares.
    organ_probs : sequence of 7 floats
        Probability of each organ domain per flare, in the order of
        ``lupusstats.columns.ORGAN_DOMAINS``.
    severity_frailty_log_or : float, default 0.0
        Log odds ratio of a more severe flare per unit of (centred) log frailty;
        > 0 makes frequent flarers flare harder.
    severity_patient_sd : float, default 0.0
        SD of a patient random effect on the severity log-odds (within-patient
        correlation of severity independent of frailty).
    sledai_baseline_mean, sledai_baseline_sd, sledai_baseline_min : float
        Baseline SELENA-SLEDAI: a normal distribution with this mean and SD,
        truncated below at `sledai_baseline_min` (the entry criterion) and
        rounded to integers.  The mean and SD are those of the underlying
        normal, not of the truncated distribution.
    sledai_increase_mean : sequence of 3 floats
        Mean SLEDAI increase at a mild / moderate / severe flare.
    sledai_increase_min : sequence of 3 ints
        Minimum increase at each severity; the increase is
        ``min + Poisson(mean - min)``.
    name, description, flare_definition : str
        Labels shown in tables; `flare_definition` names the flare instrument
        (SFI, BILAG-2004, SLEDAI-2K rise >= 4 ...) because published rates
        differ several-fold between instruments.
    provenance : mapping of str to Source, optional
        Source of each scenario-level parameter; see :meth:`sources`.

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.7)],
    ...                  n_per_arm=100, baseline_flare_rate=1.0, dispersion=0.5,
    ...                  followup_years=1.0)
    >>> sc.arm_names
    ('standard care', 'new drug')
    >>> sc.n_patients
    200
    """

    arms: tuple[Arm, ...]
    n_per_arm: tuple[int, ...]
    baseline_flare_rate: float
    dispersion: float
    followup_years: float
    severity_probs: tuple[float, float, float] = _MCELHONE_SEVERITY
    organ_probs: tuple[float, ...] = ()
    severity_frailty_log_or: float = 0.0
    severity_patient_sd: float = 0.0
    sledai_baseline_mean: float = 0.0
    sledai_baseline_sd: float = 0.0
    sledai_baseline_min: int = 0
    sledai_increase_mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sledai_increase_min: tuple[int, int, int] = (0, 0, 0)
    name: str = ""
    description: str = ""
    flare_definition: str = ""
    provenance: Mapping[str, Source] = dataclasses.field(default_factory=dict, repr=False)

    def __init__(
        self,
        arms: Sequence[Arm],
        *,
        n_per_arm: int | Sequence[int],
        baseline_flare_rate: float,
        dispersion: float,
        followup_years: float,
        severity_probs: Sequence[float] | None = None,
        organ_probs: Sequence[float] | None = None,
        severity_frailty_log_or: float = 0.0,
        severity_patient_sd: float = 0.0,
        sledai_baseline_mean: float | None = None,
        sledai_baseline_sd: float | None = None,
        sledai_baseline_min: int | None = None,
        sledai_increase_mean: Sequence[float] | None = None,
        sledai_increase_min: Sequence[int] | None = None,
        name: str = "",
        description: str = "",
        flare_definition: str = "",
        provenance: Mapping[str, Source] | None = None,
    ) -> None:
        set_ = object.__setattr__
        if isinstance(arms, Arm) or not isinstance(arms, Sequence):
            raise TypeError(f"`arms` must be a list of Arm, got {type(arms).__name__}.")
        arms = tuple(arms)
        if not arms:
            raise ValueError("`arms` must contain at least one Arm, got an empty list.")
        for i, arm in enumerate(arms):
            if not isinstance(arm, Arm):
                raise TypeError(f"`arms[{i}]` must be an Arm, got {type(arm).__name__} {arm!r}.")
        _v.check_unique_names("arms", [a.name for a in arms])
        set_(self, "arms", arms)

        if isinstance(n_per_arm, Sequence) and not isinstance(n_per_arm, str):
            if len(n_per_arm) != len(arms):
                raise ValueError(
                    f"`n_per_arm` must be one integer or one per arm ({len(arms)}), got {list(n_per_arm)}."
                )
            sizes = tuple(_v.check_int(f"n_per_arm[{i}]", n, minimum=1) for i, n in enumerate(n_per_arm))
        else:
            sizes = (_v.check_int("n_per_arm", n_per_arm, minimum=1),) * len(arms)
        set_(self, "n_per_arm", sizes)

        set_(self, "baseline_flare_rate", _v.check_positive("baseline_flare_rate", baseline_flare_rate))
        set_(self, "dispersion", _v.check_positive("dispersion", dispersion, allow_zero=True))
        set_(self, "followup_years", _v.check_positive("followup_years", followup_years))

        sev = _MCELHONE_SEVERITY if severity_probs is None else severity_probs
        set_(self, "severity_probs", tuple(float(p) for p in _v.check_probability_vector("severity_probs", sev, length=3)))
        org = _DEFAULT_ORGAN_PROBS if organ_probs is None else organ_probs
        set_(
            self,
            "organ_probs",
            tuple(float(p) for p in _v.check_probability_vector("organ_probs", org, length=len(ORGAN_DOMAINS))),
        )
        set_(self, "severity_frailty_log_or", _v.check_number("severity_frailty_log_or", severity_frailty_log_or))
        set_(self, "severity_patient_sd", _v.check_positive("severity_patient_sd", severity_patient_sd, allow_zero=True))

        d = _DEFAULT_SLEDAI
        set_(self, "sledai_baseline_mean", _v.check_number(
            "sledai_baseline_mean", d["mean"] if sledai_baseline_mean is None else sledai_baseline_mean))
        set_(self, "sledai_baseline_sd", _v.check_positive(
            "sledai_baseline_sd", d["sd"] if sledai_baseline_sd is None else sledai_baseline_sd, allow_zero=True))
        set_(self, "sledai_baseline_min", _v.check_int(
            "sledai_baseline_min", d["min"] if sledai_baseline_min is None else sledai_baseline_min, minimum=0))
        inc_mean = d["increase_mean"] if sledai_increase_mean is None else sledai_increase_mean
        inc_min = d["increase_min"] if sledai_increase_min is None else sledai_increase_min
        inc_mean = _v.as_float_array("sledai_increase_mean", inc_mean, ndim=1)
        if inc_mean.size != 3:
            raise ValueError(f"`sledai_increase_mean` must have 3 entries (mild, moderate, severe), got {inc_mean.size}.")
        inc_min = tuple(_v.check_int(f"sledai_increase_min[{i}]", m, minimum=0) for i, m in enumerate(inc_min))
        if len(inc_min) != 3:
            raise ValueError(f"`sledai_increase_min` must have 3 entries, got {len(inc_min)}.")
        for i, (mean, low) in enumerate(zip(inc_mean, inc_min)):
            if not math.isfinite(mean) or mean < low:
                raise ValueError(
                    f"`sledai_increase_mean[{i}]` must be finite and >= sledai_increase_min[{i}] = {low}, got {mean}."
                )
        set_(self, "sledai_increase_mean", tuple(float(x) for x in inc_mean))
        set_(self, "sledai_increase_min", inc_min)

        for label, text in (("name", name), ("description", description), ("flare_definition", flare_definition)):
            if not isinstance(text, str):
                raise TypeError(f"`{label}` must be a string, got {type(text).__name__}.")
        set_(self, "name", name)
        set_(self, "description", description)
        set_(self, "flare_definition", flare_definition)
        set_(self, "provenance", _check_provenance(provenance))

    # ------------------------------------------------------------------ views
    @property
    def arm_names(self) -> tuple[str, ...]:
        """Arm names in scenario order (the first is the reference)."""
        return tuple(a.name for a in self.arms)

    @property
    def n_patients(self) -> int:
        """Total patients over all arms."""
        return int(sum(self.n_per_arm))

    @property
    def adverse_events(self) -> tuple[str, ...]:
        """Every adverse event named by any arm, in first-seen order."""
        seen: dict[str, None] = {}
        for arm in self.arms:
            for event in arm.adverse_events:
                seen.setdefault(event, None)
        return tuple(seen)

    def arm(self, name: str) -> Arm:
        """Return the arm called `name`."""
        for a in self.arms:
            if a.name == name:
                return a
        raise ValueError(f"unknown arm {name!r}; this scenario has {list(self.arm_names)}.")

    # --------------------------------------------------------------- changes
    def replace(self, **changes: Any) -> Scenario:
        """Return a copy with scenario-level parameters changed (validated again).

        Changed parameters lose their published source and show as ``user``.

        Examples
        --------
        >>> import lupusstats as ls
        >>> ls.preset("general_cohort").replace(n_per_arm=50).n_patients
        50
        """
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        unknown = set(changes) - set(kwargs)
        if unknown:
            raise TypeError(f"Scenario has no parameter(s) {sorted(unknown)}; known: {sorted(kwargs)}.")
        provenance = dict(kwargs.pop("provenance"))
        for key, value in changes.items():
            current = kwargs[key]
            if key == "n_per_arm" and not isinstance(value, Sequence):
                value = (value,) * len(current)
            if _differs(value, current):
                provenance.pop(key, None)
        sizes = kwargs["n_per_arm"]
        if "arms" in changes and "n_per_arm" not in changes and len(set(sizes)) == 1:
            kwargs["n_per_arm"] = sizes[0]  # equal allocation carries over to a new set of arms
        kwargs.update(changes)
        return Scenario(kwargs.pop("arms"), provenance=provenance, **kwargs)

    def with_arm(self, name: str, **changes: Any) -> Scenario:
        """Return a copy in which arm `name` has some parameters changed."""
        self.arm(name)
        arms = [a.replace(**changes) if a.name == name else a for a in self.arms]
        return self.replace(arms=arms)

    def with_rate_ratio(self, rate_ratio: float) -> Scenario:
        """Return a copy in which every non-reference arm has this flare rate ratio."""
        arms = [self.arms[0], *(a.replace(flare_rate_ratio=rate_ratio) for a in self.arms[1:])]
        return self.replace(arms=arms)

    # ------------------------------------------------------------ provenance
    def sources(self):
        """Every parameter with its value, source and evidence tag, as a DataFrame.

        One row per parameter: scenario-level rows have ``arm`` empty; arm rows
        name the arm.  Parameters the user set (or changed from a preset) show
        the tag ``user``.

        Examples
        --------
        >>> import lupusstats as ls
        >>> table = ls.preset("nephritis_induction").sources()
        >>> sorted(set(table["evidence_tag"]))
        ['A', 'D', 'V']
        """
        import pandas as pd

        rows = []
        for key in _SCENARIO_PARAMETERS:
            rows.append(_source_row(key, "", getattr(self, key), self.provenance))
        for arm in self.arms:
            for key in _ARM_PARAMETERS:
                rows.append(_source_row(key, arm.name, getattr(arm, key), arm.provenance))
            for event, rate in arm.adverse_events.items():
                key = f"adverse_events.{event}"
                rows.append(_source_row(key, arm.name, rate, arm.provenance))
        return pd.DataFrame(rows, columns=["arm", "parameter", "value", "evidence_tag", "source", "note"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return all(
            getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(self) if f.name != "provenance"
        )

    __hash__ = None  # type: ignore[assignment]


_SCENARIO_PARAMETERS = (
    "n_per_arm",
    "baseline_flare_rate",
    "dispersion",
    "followup_years",
    "severity_probs",
    "organ_probs",
    "severity_frailty_log_or",
    "severity_patient_sd",
    "sledai_baseline_mean",
    "sledai_baseline_sd",
    "sledai_baseline_min",
    "sledai_increase_mean",
    "sledai_increase_min",
)
_ARM_PARAMETERS = (
    "flare_rate_ratio",
    "severity_odds_ratio",
    "dropout_rate",
    "treatment_mortality",
    "mortality_window_years",
    "remission_probability",
    "adverse_event_window_years",
)


def _differs(new: Any, old: Any) -> bool:
    """True unless `new` equals `old` (sequences compared element-wise)."""
    try:
        if isinstance(new, (Sequence, Mapping)) and not isinstance(new, str):
            if isinstance(new, Mapping):
                return dict(new) != dict(old)
            return tuple(new) != tuple(old)
        return bool(new != old)
    except (TypeError, ValueError):
        return True


def _check_provenance(provenance: Mapping[str, Source] | None) -> Mapping[str, Source]:
    frozen = _freeze("provenance", provenance)
    for key, src in frozen.items():
        if not isinstance(src, Source):
            raise TypeError(f"`provenance[{key!r}]` must be a Source, got {type(src).__name__}.")
    return frozen


def _source_row(key: str, arm: str, value: Any, provenance: Mapping[str, Source]) -> dict[str, Any]:
    src = provenance.get(key)
    if isinstance(value, tuple) and len(set(value)) == 1 and key == "n_per_arm":
        value = value[0]
    if src is None:
        return {"arm": arm, "parameter": key, "value": value, "evidence_tag": "user", "source": "", "note": ""}
    return {"arm": arm, "parameter": key, "value": value, "evidence_tag": src.tag, "source": src.citation, "note": src.note}


# ---------------------------------------------------------------------------
# Published defaults.  Every number below is quoted from DOMAIN.md (the
# project's evidence file, with the original citations) or derived from such
# numbers by the formula written next to it.
# ---------------------------------------------------------------------------

_MCELHONE = "McElhone K, et al. Rheumatology 2021;60:3262-7, doi:10.1093/rheumatology/keaa777"
_BLISS_SLEDAI = (
    "BLISS-52/-76 pooled baseline table, Ann Rheum Dis 2012 (PMC3465857; "
    "Manzi S, et al. ARD 2012;71:1833-8 [R: that the table is from this paper])"
)
_BLISS_ORGAN = (
    "BLISS-52/-76 pooled placebo, BILAG worsening by organ domain at 52 weeks, Table 2 "
    "(PMC3465857; Manzi S, et al. ARD 2012;71:1833-8 [R: citation])"
)
_PETRI_1991 = "Petri M, Genovese M, Engle E, Hochberg M. Arthritis Rheum 1991;34:937-44 [R: journal details]"

#: Share of BLISS placebo patients with new BILAG A/B worsening per domain by
#: week 52 (Table 2): general 18/557, mucocutaneous 24/538, neurological 4/562,
#: musculoskeletal 26/515, cardiorespiratory 5/558, renal 42/561,
#: haematological 51/561 (vasculitis 9/548 has no domain here and is left out).
_BLISS_ORGAN_SHARES = (18 / 557, 24 / 538, 4 / 562, 26 / 515, 5 / 558, 42 / 561, 51 / 561)
_DEFAULT_ORGAN_PROBS = tuple(s / sum(_BLISS_ORGAN_SHARES) for s in _BLISS_ORGAN_SHARES)

_DEFAULT_SLEDAI = {
    "mean": 9.71,
    "sd": 3.76,
    "min": 0,
    "increase_mean": (3.0, 3.0, 3.0),
    "increase_min": (0, 0, 0),
}


def _rate_from_risk(risk: float, years: float) -> float:
    """Constant hazard giving cumulative risk `risk` over `years`: -ln(1 - risk) / years."""
    return -math.log1p(-risk) / years


def _common_provenance() -> dict[str, Source]:
    """Provenance of the model defaults shared by all presets."""
    return {
        "severity_probs": Source(
            _MCELHONE, "V", "126 mild / 32 moderate / 37 severe of 195 BILAG-2004 flares (shares derived)"
        ),
        "organ_probs": Source(
            _BLISS_ORGAN,
            "D",
            "share of placebo patients with new BILAG A/B worsening per domain at week 52 "
            "(general 18/557, mucocutaneous 24/538, neuro 4/562, musculoskeletal 26/515, "
            "cardiorespiratory 5/558, renal 42/561, haematological 51/561), normalised to sum to 1; "
            "vasculitis (9/548) left out. Patient-level worsening used as the organ mix of flares.",
        ),
        "severity_frailty_log_or": Source("no published number", "A", "neutral: severity independent of flare frequency"),
        "severity_patient_sd": Source("no published number", "A", "neutral: no extra within-patient correlation"),
        "sledai_baseline_mean": Source(
            _BLISS_SLEDAI, "V", "SELENA-SLEDAI at entry, BLISS pooled 9.71 +/- 3.76 (n=1684)"
        ),
        "sledai_baseline_sd": Source(
            _BLISS_SLEDAI,
            "V",
            "SD 3.76; check: a rounded normal(9.71, 3.76) gives P(score >= 10) = 0.52, "
            "published 52.1% (same table)",
        ),
        "sledai_baseline_min": Source(
            "no truncation", "A", "BLISS screening required a minimum score, but baseline scores below it are possible"
        ),
        "sledai_increase_mean": Source(
            _PETRI_1991,
            "V",
            "mean SLEDAI rise at flare +3.0 (PGA-defined flares); the same for every severity "
            "because no by-severity numbers were found [A]",
        ),
        "sledai_increase_min": Source("no published number", "A", "no minimum (PGA-defined flares may not raise SLEDAI)"),
    }


def _neutral(*keys: str) -> dict[str, Source]:
    return {k: Source("no published number", "A", "neutral default (not modelled)") for k in keys}


def _general_cohort() -> Scenario:
    bliss52 = "BLISS-52 placebo, ClinicalTrials.gov NCT00424476 participant flow"
    care = Arm(
        "standard care",
        dropout_rate=_rate_from_risk(61 / 287, 52 * _WEEK),
        description="standard of care (placebo arm of a trial or cohort follow-up)",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(
                bliss52, "D", "61 of 287 did not complete 52 weeks: -ln(226/287) / 52 weeks = 0.24 per year"
            ),
            **_neutral("severity_odds_ratio", "treatment_mortality", "remission_probability", "adverse_event_window_years"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source("illustrative", "A", "cohort size for examples; BLISS-52 placebo had 287"),
            "baseline_flare_rate": Source(
                "Petri 1991 (0.65/py, PGA); Buyon 2005 SELENA HRT placebo (mild/moderate 0.86/py + severe 0.049); "
                "Petri 2005 SELENA OC placebo (1.44/py + 0.087)",
                "D",
                "1.0 flares per patient-year (any SFI flare), the middle of the published 0.65-1.5 range (DOMAIN.md)",
            ),
            "dispersion": Source(
                "Buyon 2005 SELENA placebo; McElhone 2021",
                "D",
                "NB fitted to mean count and P(0 flares): k = 1.5 (SELENA) and 2.4 (McElhone); alpha = 1/k = 0.5 "
                "(k = 2). No published dispersion estimate exists.",
            ),
            "followup_years": Source("SELENA trials (12-month rates); BLISS-52 (52 weeks)", "A", "one year"),
        }
    )
    return Scenario(
        [care],
        n_per_arm=200,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
        name="general_cohort",
        description="Natural history under standard care in a mixed, mostly stable SLE cohort.",
        flare_definition="SELENA Flare Index (any flare); severity mix from BILAG-2004",
        provenance=prov,
    )


def _nephritis_induction() -> Scenario:
    weeks24 = 24 * _WEEK
    alms = "Appel GB, et al. (ALMS) J Am Soc Nephrol 2009;20:1103-12; AE table in Hogan J, et al. CJASN 2014, doi:10.2215/CJN.01600214"
    ginzler = "Ginzler EM, et al. NEJM 2005;353:2219-28 (MMF 71 vs IVC 69); AE table in Hogan 2014 CJASN"
    deng = "Deng D, et al. Ann Rheum Dis 2017;76:1436-9, PMID 28478399 (double-blind RCT, 12 MSC vs 6 placebo)"

    def risk_to_rate(label: str, risk: float, source: str, what: str) -> tuple[float, Source]:
        rate = _rate_from_risk(risk, weeks24)
        return rate, Source(source, "D", f"{what} {risk:.1%} over 24 weeks -> -ln(1 - p) / 24 weeks = {rate:.3g} per year")

    # MMF-based standard care (ALMS MMF arm) and IV cyclophosphamide (ALMS IVC arm).
    ae_care, ae_cyc = {}, {}
    prov_care: dict[str, Source] = {}
    prov_cyc: dict[str, Source] = {}
    for event, p_mmf, p_ivc, src, what in (
        ("infection", 0.69, 0.62, alms, "patients with >= 1 infection"),
        ("alopecia", 0.11, 0.36, alms, "alopecia"),
        ("cytopenia", 0.22, 0.37, ginzler, "lymphopenia"),
        ("pneumonia", 0.01, 0.04, ginzler, "UPPER BOUND: no pneumonia-specific rate was found; severe infection"),
    ):
        ae_care[event], prov_care[f"adverse_events.{event}"] = risk_to_rate(event, p_mmf, src, what)
        ae_cyc[event], prov_cyc[f"adverse_events.{event}"] = risk_to_rate(event, p_ivc, src, what)

    drop_care = _rate_from_risk(32 / 185, weeks24)
    drop_cyc = _rate_from_risk(28 / 185, weeks24)
    alms_flow = "ALMS induction flow (Appel 2009 table): completed 150/185 MMF vs 156/185 IVC; 3 vs 1 deaths"
    common_arm = {
        "severity_odds_ratio": Source("no published number", "A", "no effect on flare severity reported"),
        "mortality_window_years": Source(alms, "V", "deaths during the 24-week induction"),
        "adverse_event_window_years": Source(alms, "A", "adverse events over the 24-week induction (= follow-up)"),
    }
    care = Arm(
        "standard care",
        dropout_rate=drop_care,
        treatment_mortality=3 / 185,
        mortality_window_years=weeks24,
        remission_probability=0.562,
        adverse_events=ae_care,
        description="mycophenolate-based induction (ALMS MMF arm)",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(alms_flow, "D", "32 non-completers other than deaths of 185 over 24 weeks"),
            "treatment_mortality": Source(alms_flow, "V", "3 deaths of 185 during induction"),
            "remission_probability": Source(alms, "V", "response at 24 weeks (UPCR fall + stable creatinine) 56.2%"),
            **common_arm,
            **prov_care,
        },
    )
    cyc = Arm(
        "IV cyclophosphamide",
        flare_rate_ratio=1.0,
        dropout_rate=drop_cyc,
        treatment_mortality=1 / 185,
        mortality_window_years=weeks24,
        remission_probability=0.530,
        adverse_events=ae_cyc,
        description="IV cyclophosphamide 0.5-1 g/m2 monthly (ALMS IVC arm)",
        provenance={
            "flare_rate_ratio": Source(
                alms,
                "D",
                "no flare rate ratio published; response OR 1.2 (0.8-1.8) MMF vs IVC shows no difference, so 1.0",
            ),
            "dropout_rate": Source(alms_flow, "D", "28 non-completers other than deaths of 185 over 24 weeks"),
            "treatment_mortality": Source(alms_flow, "V", "1 death of 185 during induction"),
            "remission_probability": Source(alms, "V", "response at 24 weeks 53.0%"),
            **common_arm,
            **prov_cyc,
        },
    )
    msc = Arm(
        "MSC + standard care",
        flare_rate_ratio=1.0,
        dropout_rate=drop_care,
        treatment_mortality=3 / 185,
        mortality_window_years=weeks24,
        remission_probability=0.562 * (9 / 12) / (5 / 6),
        adverse_events=ae_care,
        description="umbilical-cord mesenchymal stem cells on top of standard care (Deng 2017 design)",
        provenance={
            "flare_rate_ratio": Source(deng, "D", "no added effect in the only double-blind RCT (stopped for futility): 1.0"),
            "dropout_rate": Source(alms_flow, "A", "as standard care (MSC added on top)"),
            "treatment_mortality": Source(
                "Wang D, et al. Arthritis Res Ther 2014;16:R79 (no transplant-related adverse events)",
                "A",
                "as standard care: no MSC-related deaths reported",
            ),
            "remission_probability": Source(
                deng, "D", "standard-care response 0.562 x remission RR (9/12)/(5/6) = 0.90 -> 0.506"
            ),
            **common_arm,
            **{k: Source(s.citation, "A", "as standard care (MSC added on top; no excess adverse events reported)")
               for k, s in prov_care.items()},
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(alms, "V", "185 per arm in ALMS"),
            "baseline_flare_rate": Source(
                "Petri M, et al. J Rheumatol 2009;36:2476-80, doi:10.3899/jrheum.090019",
                "V",
                "BILAG A or B flares 1.765 per year (Hopkins cohort; not a nephritis-only population)",
            ),
            "dispersion": Source("Buyon 2005; McElhone 2021", "D", "alpha = 0.5 (k = 2), as the general cohort"),
            "followup_years": Source(alms, "V", "24-week induction phase"),
        }
    )
    return Scenario(
        [care, cyc, msc],
        n_per_arm=185,
        baseline_flare_rate=1.765,
        dispersion=0.5,
        followup_years=weeks24,
        name="nephritis_induction",
        description=(
            "Lupus nephritis induction: MMF-based standard care vs IV cyclophosphamide vs mesenchymal "
            "stem cells on top of standard care, over 24 weeks."
        ),
        flare_definition="BILAG A or B flare",
        provenance=prov,
    )


def _refractory() -> Scenario:
    burt = "Burt RK, et al. JAMA 2006;295:527-35 [R: volume, pages]"
    jayne = "Jayne D, et al. Lupus 2004;13:168-76, PMID 15119545 (EBMT/EULAR registry)"
    muller = "Mueller F, et al. NEJM 2024;390:687-700, PMID 38381673"
    mackensen = "Mackensen A, et al. Nat Med 2022;28:2124-32, PMID 36109639"
    liang = "Liang J, et al. Ann Rheum Dis 2010;69:1423-9, doi:10.1136/ard.2009.123463"
    base_rate = 0.25 * 12
    hsct_hazard = -math.log(0.5) / 5.0
    cart_rate = 3.0 / 10.0
    care = Arm(
        "standard care",
        description="continued standard immunosuppression in refractory disease",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            **_neutral(
                "severity_odds_ratio", "dropout_rate", "treatment_mortality", "remission_probability",
                "adverse_event_window_years",
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    hsct = Arm(
        "autologous HSCT",
        flare_rate_ratio=hsct_hazard / base_rate,
        treatment_mortality=2 / 50,
        remission_probability=33 / 50,
        description="autologous haematopoietic stem-cell transplantation (CYC + ATG conditioning)",
        provenance={
            "flare_rate_ratio": Source(
                burt,
                "D",
                "5-year disease-free survival 50% -> hazard -ln(0.5)/5 = 0.139/yr, divided by the reference "
                f"rate {base_rate:g}/yr. Registry DFS 29% at 5 years (Alchi 2013) would give 0.25/yr.",
            ),
            "treatment_mortality": Source(burt, "V", "treatment-related mortality by intention to treat 2/50 (4%); "
                                          "registries 11-12% (EBMT 100-day; Jayne 2004)"),
            "mortality_window_years": Source("EBMT registry (Tyndall review), ASH Education 2011", "V",
                                             "transplant-related mortality is reported at 100 days"),
            "remission_probability": Source(jayne, "V", "remission (SLEDAI < 3) by 6 months 33/50"),
            "severity_odds_ratio": Source("no published number", "A", "no effect on severity of the flares that occur"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
            "adverse_event_window_years": Source("not used", "A", "infection counts after HSCT for SLE were not found"),
        },
    )
    cart = Arm(
        "CD19 CAR-T (exploratory)",
        flare_rate_ratio=cart_rate / base_rate,
        remission_probability=1.0,
        adverse_events={"cytokine_release_syndrome": _rate_from_risk(11 / 15, 30 / _YEAR_DAYS)},
        adverse_event_window_years=30 / _YEAR_DAYS,
        exploratory=True,
        description="CD19 CAR-T cells: 13 patients in two case series; an exploratory scenario, not an estimate",
        provenance={
            "flare_rate_ratio": Source(
                f"{muller}; {mackensen}",
                "D",
                "no flares in 8 patients over about 10 patient-years: rule-of-three upper 95% bound 0.3/py, "
                f"divided by the reference rate {base_rate:g}/yr (an upper bound, not an estimate)",
            ),
            "remission_probability": Source(f"{muller}; {mackensen}", "V", "DORIS remission 8/8 and 5/5"),
            "adverse_events.cytokine_release_syndrome": Source(
                muller, "D", "CRS grade 1 in 10/15 and grade 2 in 1/15 (all diseases): risk 11/15 within 30 days"
            ),
            "adverse_event_window_years": Source(muller, "A", "CRS occurs within days of infusion; 30-day window"),
            "treatment_mortality": Source(f"{muller}; {mackensen}", "V", "no deaths reported"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
            "severity_odds_ratio": Source("no published number", "A", "neutral"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(burt, "A", "illustrative trial size; Burt 2006 enrolled 50"),
            "baseline_flare_rate": Source(
                _MCELHONE, "D", "0.25 flares per patient-month in active SLE needing more immunosuppression -> 3.0/yr"
            ),
            "dispersion": Source(_MCELHONE, "D", "NB fitted to mean 1.95 flares and P(0) = 0.24: k = 2.4, alpha = 0.42"),
            "followup_years": Source("illustrative", "A", "two years"),
            "sledai_baseline_mean": Source(liang, "V", "SLEDAI 12.2 +/- 3.3 at entry (refractory, MSC series)"),
            "sledai_baseline_sd": Source(liang, "V", "SD 3.3"),
        }
    )
    return Scenario(
        [care, hsct, cart],
        n_per_arm=50,
        baseline_flare_rate=base_rate,
        dispersion=0.42,
        followup_years=2.0,
        sledai_baseline_mean=12.2,
        sledai_baseline_sd=3.3,
        name="refractory",
        description=(
            "Refractory SLE: standard care vs autologous HSCT, with CD19 CAR-T as an explicitly "
            "exploratory arm (case series only)."
        ),
        flare_definition="BILAG-2004 flare",
        provenance=prov,
    )


_PRESETS = {
    "general_cohort": _general_cohort,
    "nephritis_induction": _nephritis_induction,
    "refractory": _refractory,
}


def preset(name: str, **changes: Any) -> Scenario:
    """Return a preset scenario built from published numbers.

    Parameters
    ----------
    name : str
        One of the names in :func:`list_presets`.
    **changes
        Scenario-level parameters to change (e.g. ``n_per_arm=50``); they show
        as ``user`` in :meth:`Scenario.sources`.

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.preset("nephritis_induction").arm_names
    ('standard care', 'IV cyclophosphamide', 'MSC + standard care')
    >>> ls.preset("nephritis_induction", n_per_arm=30).n_per_arm
    (30, 30, 30)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, one of {sorted(_PRESETS)}, got {name!r}.")
    if name not in _PRESETS:
        raise ValueError(f"unknown preset {name!r}; known presets: {sorted(_PRESETS)}.")
    scenario = _PRESETS[name]()
    return scenario.replace(**changes) if changes else scenario


def list_presets():
    """Return one row per preset: name, arms, sizes, rates and description.

    Examples
    --------
    >>> import lupusstats as ls
    >>> list(ls.list_presets()["name"])
    ['general_cohort', 'nephritis_induction', 'refractory']
    """
    import pandas as pd

    rows = []
    for key in _PRESETS:
        sc = preset(key)
        rows.append(
            {
                "name": key,
                "arms": ", ".join(sc.arm_names),
                "n_per_arm": sc.n_per_arm[0],
                "baseline_flare_rate": sc.baseline_flare_rate,
                "dispersion": sc.dispersion,
                "followup_years": sc.followup_years,
                "flare_definition": sc.flare_definition,
                "description": sc.description,
            }
        )
    return pd.DataFrame(rows)
