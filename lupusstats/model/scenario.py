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
  (usually the neutral value: no effect, no dropout), or a number carried
  over from another endpoint or population (e.g. a disease-free-survival
  hazard divided by another cohort's flare rate); a non-neutral assumed
  treatment effect is listed by :meth:`Scenario.assumed_effects` and named
  whenever its results are shown;
* ``user`` -- set by the user.

The model defaults (severity mix, organ mix, SLEDAI) are published numbers
defined at the end of this module; the presets live in :mod:`lupusstats.model.presets`.
None is invented.  Where the literature has no number, the preset says so.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats.cohort.columns import ORGAN_DOMAINS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Activity", "Arm", "Scenario", "Source"]

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

    Examples
    --------
    Every preset parameter carries its source:

    >>> import lupusstats as ls
    >>> src = ls.preset("nephritis_induction").provenance["baseline_flare_rate"]
    >>> src.tag                     # derived: a published rate applied to another population
    'D'
    >>> print(src.note)
    BILAG A or B flares 1.765 per year [V] in the Hopkins cohort (all SLE, not a nephritis-only or
    induction population), applied to patients in nephritis induction


    Record an assumption of your own (it shows in :meth:`Scenario.sources`):

    >>> assumed = ls.Source("no published number", "A", note="a 30% cut in the flare rate")
    >>> arm = ls.Arm("new drug", flare_rate_ratio=0.7, provenance={"flare_rate_ratio": assumed})
    >>> arm.provenance["flare_rate_ratio"].tag
    'A'
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
    activity_response_ratio : float, default 1.0
        Hazard ratio of improvement of active disease (an active organ domain
        improving one BILAG grade) relative to the reference arm's
        ``Activity.improvement_rate`` (> 1 = faster improvement).  With
        `flare_rate_ratio`, the treatment effect on the visits table and so on
        SRI-4, BICLA, LLDAS and DORIS (see :class:`Activity`).
    prednisone_mg : float, optional
        Protocol glucocorticoid dose (mg/day prednisone) from week 0, instead of
        the scenario's baseline distribution (e.g. CORTICOLUP's maintenance arm,
        5 mg/day); flares raise it and the taper brings it back to it.
    withdraw : sequence of {"glucocorticoids", "antimalarials", "immunosuppressants"}
        Drugs this arm withdraws (scheduled drug withdrawal, see the next four
        parameters).  Glucocorticoids go to 0 (abruptly, or linearly over
        `withdrawal_taper_weeks`); the others stop.  A flare after withdrawal
        raises prednisone again and a rescue restarts an immunosuppressant.
        The arm's `flare_rate_ratio` applies over the whole follow-up; a rise
        in flares from the withdrawal on is `withdrawal_flare_ratio`.
    withdrawal_week : float, default 0
        Earliest week of withdrawal: it starts at the first scheduled visit
        after baseline at or after this week (week 0 is the pre-randomisation
        baseline, recorded on the drugs the patient came in on).
    withdrawal_taper_weeks : float, default 0
        0 = abrupt; otherwise the glucocorticoid dose falls linearly to 0 over
        this many weeks.
    withdrawal_condition : {"none", "remission", "lldas"}
        Withdraw only once the patient has been in clinical remission (clinical
        SLEDAI 0, no BILAG A or B) or in the activity part of LLDAS (SLEDAI-2K
        <= 4, no major organ activity, prednisone <= 7.5 mg/day) for
        `withdrawal_condition_weeks`, as withdrawal trials' eligibility rules do.
    withdrawal_condition_weeks : float, default 0
        How long the condition must have held (weeks, at consecutive visits).
    withdrawal_flare_ratio : float, default 1.0
        Multiplies the patient's flare rate from her own withdrawal time to the
        end of follow-up (1 = no rise; needs `withdraw`).  The withdrawal time
        is when the drug stops: `withdrawal_week` for an unconditional
        withdrawal (week 0 = at randomisation; the visits table records the
        stop at the next scheduled visit), the visit at which the condition is
        met for a conditional one; a patient never withdrawn keeps her rate.
        The extra flares (rate ``(ratio - 1) x`` her own rate, frailty
        included) are added to the flares, the patients table and the visits
        (see :func:`lupusstats.simulate_cohort`); the withdrawal times come
        from the visits model, which then runs even for
        ``simulate_trials(..., visits=False)``.  Must be >= 1: fewer flares
        after withdrawal is not modelled (ValueError).
    dropout_rate : float, default 0.0
        Hazard of dropping out (events per patient-year, exponential).
    treatment_mortality : float, default 0.0
        Probability of a treatment-related death, occurring uniformly within
        the first `mortality_window_years` after randomisation.
    mortality_window_years : float, default 100 days
        Window for treatment-related death (transplant series report 100-day
        mortality).
    remission_probability : float, default 0.0
        Probability of drug-free remission (as the source defines remission)
        among *all randomised* patients, the way trials report it: patients who
        drop out or die count as non-remitters, so a patient who completes
        follow-up remits with probability
        ``remission_probability / P(complete follow-up)``.  A scenario whose
        arm asks for more remission than it has completers is an error.
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
    activity_response_ratio: float = 1.0
    prednisone_mg: float | None = None
    withdraw: tuple[str, ...] = ()
    withdrawal_week: float = 0.0
    withdrawal_taper_weeks: float = 0.0
    withdrawal_condition: str = "none"
    withdrawal_condition_weeks: float = 0.0
    withdrawal_flare_ratio: float = 1.0
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
        activity_response_ratio: float = 1.0,
        prednisone_mg: float | None = None,
        withdraw: Sequence[str] = (),
        withdrawal_week: float = 0.0,
        withdrawal_taper_weeks: float = 0.0,
        withdrawal_condition: str = "none",
        withdrawal_condition_weeks: float = 0.0,
        withdrawal_flare_ratio: float = 1.0,
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
        set_(
            self,
            "activity_response_ratio",
            _v.check_positive("activity_response_ratio", activity_response_ratio),
        )
        if prednisone_mg is not None:
            prednisone_mg = _v.check_positive("prednisone_mg", prednisone_mg, allow_zero=True)
        set_(self, "prednisone_mg", prednisone_mg)
        if isinstance(withdraw, str) or not isinstance(withdraw, Sequence):
            raise TypeError(f"`withdraw` must be a list of drug classes {list(WITHDRAWABLE)}, got {withdraw!r}.")
        for drug in withdraw:
            _v.check_choice("withdraw", drug, WITHDRAWABLE)
        set_(self, "withdraw", tuple(dict.fromkeys(withdraw)))
        set_(self, "withdrawal_week", _v.check_positive("withdrawal_week", withdrawal_week, allow_zero=True))
        set_(
            self,
            "withdrawal_taper_weeks",
            _v.check_positive("withdrawal_taper_weeks", withdrawal_taper_weeks, allow_zero=True),
        )
        set_(
            self,
            "withdrawal_condition",
            _v.check_choice("withdrawal_condition", withdrawal_condition, ("none", "remission", "lldas")),
        )
        set_(
            self,
            "withdrawal_condition_weeks",
            _v.check_positive("withdrawal_condition_weeks", withdrawal_condition_weeks, allow_zero=True),
        )
        withdrawal_flare_ratio = _v.check_positive("withdrawal_flare_ratio", withdrawal_flare_ratio)
        if withdrawal_flare_ratio < 1.0:
            raise ValueError(
                f"`withdrawal_flare_ratio` must be >= 1 (a rise in flares after withdrawal, or 1 for none), got "
                f"{withdrawal_flare_ratio!r}: fewer flares after withdrawal is not modelled."
            )
        if withdrawal_flare_ratio != 1.0 and not self.withdraw:
            raise ValueError(
                f"`withdrawal_flare_ratio` = {withdrawal_flare_ratio!r} needs a drug withdrawal (`withdraw`): "
                "the rise starts when the drug stops."
            )
        set_(self, "withdrawal_flare_ratio", float(withdrawal_flare_ratio))
        events = _freeze("adverse_events", adverse_events)
        for event, rate in events.items():
            if not isinstance(event, str) or not event.isidentifier():
                raise ValueError(f"`adverse_events` keys must be simple names such as 'pneumonia', got {event!r}.")
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

    def __reduce__(self):
        # Read-only mapping fields cannot be pickled; rebuild from plain dicts
        # (needed to send scenarios to worker processes).
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["adverse_events"] = dict(fields["adverse_events"])
        fields["provenance"] = dict(fields["provenance"])
        return (_rebuild_arm, (fields,))

    def completion_probability(self, followup_years: float) -> float:
        """Probability of completing `followup_years` without dropout or treatment-related death.

        ``exp(-dropout_rate * followup) * (1 - treatment_mortality * min(1, followup / window))``:
        dropout is exponential and independent of a death that is uniform over
        the mortality window.

        Examples
        --------
        >>> import lupusstats as ls
        >>> round(ls.Arm("x", dropout_rate=0.2).completion_probability(1.0), 4)
        0.8187
        """
        followup = _v.check_positive("followup_years", followup_years)
        died_before_end = self.treatment_mortality * min(1.0, followup / self.mortality_window_years)
        return math.exp(-self.dropout_rate * followup) * (1.0 - died_before_end)

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


@dataclasses.dataclass(frozen=True, eq=False)
class Activity:
    """Parameters of the disease-activity model behind the visits table.

    Each patient has one activity state per flare organ domain
    (``lupusstats.columns.ORGAN_DOMAINS``, the BILAG-2004 domains the flares
    use): a BILAG-2004 grade (A severe, B moderate, C mild or improving, D
    previously active, E never) and the SLEDAI-2K points of its active
    descriptors.  At visits every `visit_weeks` weeks:

    * **baseline**: a domain is active with probability `domain_prevalence`,
      graded A with probability `grade_a_share` (else B); the patient's
      clinical SLEDAI (``baseline_sledai`` minus serology) is shared among
      the active domains in proportion to `domain_points`.  Serology adds
      2 points each for anti-dsDNA and low complement (`serology_prevalence`),
      constant over follow-up;
    * **improvement**: an A or B domain improves one grade (A to B, B to C)
      with hazard ``improvement_rate * activity_response_ratio(arm) *
      frailty**(-response_frailty_power)`` per year; its SLEDAI points clear
      when it reaches C; C becomes D at `inactive_rate` per year.  The
      frailty term makes a patient who flares often respond less.  A share
      `persistent_share` of the domains active at baseline never improves
      (persistent activity, the "persistently active" course of cohort
      studies);
    * **flares** (the simulator's flares, with their organ, severity and SLEDAI
      increase) switch their domain on at the next visit: a severe flare
      grades it A, a mild or moderate one B, and a moderate flare also grades
      the constitutional domain B (so that the BILAG-2004 flare definitions
      -- severe = new A, moderate = two new B, mild = one new B -- recover the
      flare severities); the flare's SLEDAI increase is added to the domain;
    * **PGA** (0-3) = ``pga_intercept + pga_per_point * clinical SLEDAI +
      pga_per_grade_a * (any A)`` plus normal noise (`pga_sd`), clipped;
    * **prednisone**: taken at baseline with probability `prednisone_use`,
      dose log-normal (`prednisone_log_mean`, `prednisone_log_sd`); lowered by
      `taper_step_mg` at a visit with no BILAG A domain and no new activity,
      with probability `taper_probability`, not below `taper_floor_mg`;
      raised at a flare to at least the current dose plus `flare_prednisone_mg`
      (mild, moderate) or to the severe level (the SELENA flare index's
      > 0.5 mg/kg/day);
    * **rescue** (protocol-prohibited therapy) after a severe flare with
      probability `rescue_probability`; it starts an immunosuppressant;
    * **immunosuppressant / antimalarial** use at baseline with the given
      probabilities, unchanged otherwise.

    Every parameter carries its source in `provenance` (keys are the field
    names), shown by :meth:`Scenario.sources` as ``activity.<name>``.

    Parameters
    ----------
    visit_weeks : int
        Weeks between scheduled visits (visits at week 0, visit_weeks, ...).
    domain_prevalence : sequence of 7 floats
        Probability that each organ domain is active at baseline.
    domain_points : sequence of 7 floats
        Relative SLEDAI-2K weight of each domain's typical active descriptors.
    grade_a_share : float
        Probability that an active domain is BILAG A at baseline.
    serology_prevalence : pair of floats
        Probability of a positive anti-dsDNA and of low complement (2 SLEDAI
        points each).
    improvement_rate : float
        Hazard (per year) of an active domain improving one grade in the
        reference arm.
    inactive_rate : float
        Hazard (per year) of a grade C domain becoming D.
    persistent_share : float
        Probability that a domain active at baseline stays active (does not
        improve) over follow-up.
    response_frailty_power : float
        Exponent linking the improvement hazard to the flare frailty.
    pga_intercept, pga_per_point, pga_per_grade_a, pga_sd : float
        The PGA model.
    prednisone_use : float
        Share taking glucocorticoids at baseline.
    prednisone_log_mean, prednisone_log_sd : float
        Log-normal dose (mg/day, prednisone equivalent) among users.
    taper_probability, taper_step_mg, taper_floor_mg : float
        Protocol taper at quiet visits.
    flare_prednisone_mg : triple of floats
        Dose increase at a mild and a moderate flare, and the dose at a severe
        flare (mg/day).
    rescue_probability : float
        Probability that a severe flare leads to protocol-prohibited rescue.
    immunosuppressant_use, antimalarial_use : float
        Shares at baseline.
    renal : bool
        Simulate proteinuria and kidney function (``upcr`` and ``egfr`` in the
        visits) for nephritis scenarios: UPCR log-normal at baseline
        (`upcr_log_mean`, `upcr_log_sd`), falling at `upcr_decline_rate` per
        year times the arm's ``activity_response_ratio``, multiplied by
        `renal_flare_upcr_factor` at a renal flare, with visit-to-visit
        log-normal noise `upcr_visit_sd`; eGFR normal at baseline (`egfr_mean`,
        `egfr_sd`) with visit noise `egfr_visit_sd`.
    upcr_log_mean, upcr_log_sd, upcr_decline_rate, upcr_visit_sd, renal_flare_upcr_factor : float
        The proteinuria model (UPCR in g/g).
    egfr_mean, egfr_sd, egfr_visit_sd : float
        The kidney-function model (mL/min/1.73 m2).
    provenance : mapping of str to Source, optional

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.preset("bliss52").activity.visit_weeks
    4
    """

    visit_weeks: int = 4
    domain_prevalence: tuple[float, ...] = ()
    domain_points: tuple[float, ...] = ()
    grade_a_share: float = 0.0
    serology_prevalence: tuple[float, float] = (0.0, 0.0)
    improvement_rate: float = 0.0
    inactive_rate: float = 0.0
    persistent_share: float = 0.0
    response_frailty_power: float = 0.0
    pga_intercept: float = 0.0
    pga_per_point: float = 0.0
    pga_per_grade_a: float = 0.0
    pga_sd: float = 0.0
    prednisone_use: float = 0.0
    prednisone_log_mean: float = 0.0
    prednisone_log_sd: float = 0.0
    taper_probability: float = 0.0
    taper_step_mg: float = 0.0
    taper_floor_mg: float = 0.0
    flare_prednisone_mg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rescue_probability: float = 0.0
    immunosuppressant_use: float = 0.0
    antimalarial_use: float = 0.0
    renal: bool = False
    upcr_log_mean: float = 0.0
    upcr_log_sd: float = 0.0
    upcr_decline_rate: float = 0.0
    upcr_visit_sd: float = 0.0
    renal_flare_upcr_factor: float = 1.0
    egfr_mean: float = 0.0
    egfr_sd: float = 0.0
    egfr_visit_sd: float = 0.0
    provenance: Mapping[str, Source] = dataclasses.field(default_factory=dict, repr=False)

    def __init__(self, **params: Any) -> None:
        unknown = set(params) - set(_ACTIVITY_DEFAULTS) - {"provenance"}
        if unknown:
            raise TypeError(f"Activity has no parameter(s) {sorted(unknown)}; known: {sorted(_ACTIVITY_DEFAULTS)}.")
        values = {**_ACTIVITY_DEFAULTS, **{k: v for k, v in params.items() if k != "provenance"}}
        set_ = object.__setattr__
        set_(self, "visit_weeks", _v.check_int("visit_weeks", values["visit_weeks"], minimum=1))
        for key in ("domain_prevalence", "domain_points"):
            arr = _v.as_float_array(key, values[key], ndim=1)
            if arr.size != len(ORGAN_DOMAINS):
                raise ValueError(
                    f"`{key}` must have one entry per organ domain {list(ORGAN_DOMAINS)}, got {arr.size} entries."
                )
            low_ok = (arr >= 0).all() and (arr <= 1).all() if key == "domain_prevalence" else (arr > 0).all()
            if not (low_ok and np.isfinite(arr).all()):
                allowed = "probabilities in [0, 1]" if key == "domain_prevalence" else "positive numbers"
                raise ValueError(f"`{key}` must hold {allowed}, got {arr.tolist()}.")
            set_(self, key, tuple(float(x) for x in arr))
        for key in (
            "grade_a_share",
            "persistent_share",
            "prednisone_use",
            "taper_probability",
            "rescue_probability",
            "immunosuppressant_use",
            "antimalarial_use",
        ):
            set_(self, key, _v.check_probability(key, values[key]))
        sero = tuple(values["serology_prevalence"])
        if len(sero) != 2:
            raise ValueError(f"`serology_prevalence` must be (anti-dsDNA, low complement), got {sero!r}.")
        set_(
            self,
            "serology_prevalence",
            tuple(_v.check_probability(f"serology_prevalence[{i}]", p) for i, p in enumerate(sero)),
        )
        for key in (
            "improvement_rate",
            "inactive_rate",
            "response_frailty_power",
            "pga_per_point",
            "pga_per_grade_a",
            "pga_sd",
            "prednisone_log_sd",
            "taper_step_mg",
            "taper_floor_mg",
            "upcr_log_sd",
            "upcr_decline_rate",
            "upcr_visit_sd",
            "egfr_mean",
            "egfr_sd",
            "egfr_visit_sd",
        ):
            set_(self, key, _v.check_positive(key, values[key], allow_zero=True))
        set_(
            self,
            "renal_flare_upcr_factor",
            _v.check_positive("renal_flare_upcr_factor", values["renal_flare_upcr_factor"]),
        )
        if not isinstance(values["renal"], bool):
            raise TypeError(f"`renal` must be True or False, got {values['renal']!r}.")
        set_(self, "renal", values["renal"])
        for key in ("pga_intercept", "prednisone_log_mean", "upcr_log_mean"):
            set_(self, key, _v.check_number(key, values[key]))
        flare_gc = tuple(values["flare_prednisone_mg"])
        if len(flare_gc) != 3:
            raise ValueError(f"`flare_prednisone_mg` must have 3 entries (mild, moderate, severe), got {flare_gc!r}.")
        set_(
            self,
            "flare_prednisone_mg",
            tuple(_v.check_positive(f"flare_prednisone_mg[{i}]", x, allow_zero=True) for i, x in enumerate(flare_gc)),
        )
        given = _check_provenance(params.get("provenance"))
        inherited = {k: v for k, v in _ACTIVITY_PROVENANCE.items() if k not in params}
        set_(self, "provenance", MappingProxyType({**inherited, **given}))

    def __reduce__(self):
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["provenance"] = dict(fields["provenance"])
        return (_rebuild_activity, (fields,))

    def replace(self, **changes: Any) -> Activity:
        """Return a copy with some parameters changed; changed ones lose their source.

        Examples
        --------
        >>> import lupusstats as ls
        >>> ls.preset("bliss52").activity.replace(visit_weeks=2).visit_weeks
        2
        """
        kwargs = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        unknown = set(changes) - set(kwargs)
        if unknown:
            raise TypeError(f"Activity has no parameter(s) {sorted(unknown)}; known: {sorted(kwargs)}.")
        provenance = dict(kwargs.pop("provenance"))
        for key, value in changes.items():
            if key != "provenance" and _differs(value, kwargs[key]):
                provenance.pop(key, None)
        kwargs.update(changes)
        kwargs.setdefault("provenance", provenance)
        if "provenance" not in changes:
            kwargs["provenance"] = provenance
        return Activity(**kwargs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activity):
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
    activity : Activity, optional
        The disease-activity model behind the visits table (SLEDAI-2K, BILAG-2004
        grades, PGA, prednisone, rescue).  Default: the general-cohort activity
        model (:class:`Activity`: organ involvement, serology and drug use from
        the pooled BLISS baseline tables (V/D), the improvement rate fitted to the
        Toronto cohort's remissions (D), the rest assumptions (A); each with its
        source in :meth:`sources`).
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
    activity: Activity = dataclasses.field(default_factory=Activity)
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
        activity: Activity | None = None,
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
        for arm in arms:
            completing = arm.completion_probability(self.followup_years)
            if arm.remission_probability > completing + 1e-12:
                raise ValueError(
                    f"arm {arm.name!r}: `remission_probability` {arm.remission_probability:g} is the share of all "
                    f"randomised patients in remission, but only {completing:.3g} complete {self.followup_years:g} "
                    "years of follow-up under its dropout and mortality (non-completers count as non-remitters); "
                    "lower it, or lower the dropout or mortality."
                )

        sev = _MCELHONE_SEVERITY if severity_probs is None else severity_probs
        set_(
            self,
            "severity_probs",
            tuple(float(p) for p in _v.check_probability_vector("severity_probs", sev, length=3)),
        )
        org = _DEFAULT_ORGAN_PROBS if organ_probs is None else organ_probs
        set_(
            self,
            "organ_probs",
            tuple(float(p) for p in _v.check_probability_vector("organ_probs", org, length=len(ORGAN_DOMAINS))),
        )
        set_(self, "severity_frailty_log_or", _v.check_number("severity_frailty_log_or", severity_frailty_log_or))
        set_(
            self, "severity_patient_sd", _v.check_positive("severity_patient_sd", severity_patient_sd, allow_zero=True)
        )

        d = _DEFAULT_SLEDAI
        set_(
            self,
            "sledai_baseline_mean",
            _v.check_number(
                "sledai_baseline_mean", d["mean"] if sledai_baseline_mean is None else sledai_baseline_mean
            ),
        )
        set_(
            self,
            "sledai_baseline_sd",
            _v.check_positive(
                "sledai_baseline_sd", d["sd"] if sledai_baseline_sd is None else sledai_baseline_sd, allow_zero=True
            ),
        )
        set_(
            self,
            "sledai_baseline_min",
            _v.check_int(
                "sledai_baseline_min", d["min"] if sledai_baseline_min is None else sledai_baseline_min, minimum=0
            ),
        )
        inc_mean_in = d["increase_mean"] if sledai_increase_mean is None else sledai_increase_mean
        inc_min_in = d["increase_min"] if sledai_increase_min is None else sledai_increase_min
        inc_mean = _v.as_float_array("sledai_increase_mean", inc_mean_in, ndim=1)
        if inc_mean.size != 3:
            raise ValueError(
                f"`sledai_increase_mean` must have 3 entries (mild, moderate, severe), got {inc_mean.size}."
            )
        inc_min = tuple(_v.check_int(f"sledai_increase_min[{i}]", m, minimum=0) for i, m in enumerate(inc_min_in))
        if len(inc_min) != 3:
            raise ValueError(f"`sledai_increase_min` must have 3 entries, got {len(inc_min)}.")
        for i, (mean, low) in enumerate(zip(inc_mean, inc_min, strict=True)):
            if not math.isfinite(mean) or mean < low:
                raise ValueError(
                    f"`sledai_increase_mean[{i}]` must be finite and >= sledai_increase_min[{i}] = {low}, got {mean}."
                )
        set_(self, "sledai_increase_mean", tuple(float(x) for x in inc_mean))
        set_(self, "sledai_increase_min", inc_min)

        if activity is None:
            activity = _default_activity()
        if not isinstance(activity, Activity):
            raise TypeError(f"`activity` must be a lupusstats.Activity, got {type(activity).__name__}.")
        set_(self, "activity", activity)

        for label, text in (("name", name), ("description", description), ("flare_definition", flare_definition)):
            if not isinstance(text, str):
                raise TypeError(f"`{label}` must be a string, got {type(text).__name__}.")
        set_(self, "name", name)
        set_(self, "description", description)
        set_(self, "flare_definition", flare_definition)
        set_(self, "provenance", _check_provenance(provenance))

    def __reduce__(self):
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["provenance"] = dict(fields["provenance"])
        return (_rebuild_scenario, (fields,))

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
    def sources(self) -> pd.DataFrame:
        """Every parameter with its value, source and evidence tag, as a DataFrame.

        One row per parameter: scenario-level rows have ``arm`` empty; arm rows
        name the arm.  Parameters the user set (or changed from a preset) show
        the tag ``user``.  ``assumed_effect`` is True on the rows listed by
        :meth:`assumed_effects`: treatment effects that are assumptions, not
        published numbers.

        Examples
        --------
        >>> import lupusstats as ls
        >>> table = ls.preset("nephritis_induction").sources()
        >>> sorted(set(table["evidence_tag"]))
        ['A', 'D', 'R', 'V']
        """
        import pandas as pd

        assumed = {(arm, key) for arm, key, *_ in self._assumed_effect_rows()}
        rows = []
        for key in _SCENARIO_PARAMETERS:
            rows.append(_source_row(key, "", getattr(self, key), self.provenance))
        for field in dataclasses.fields(self.activity):
            renal_part = field.name.startswith(("upcr_", "egfr_", "renal_flare"))
            if field.name != "provenance" and (self.activity.renal or not renal_part):
                key = field.name
                row = _source_row(key, "", getattr(self.activity, key), self.activity.provenance)
                row["parameter"] = f"activity.{key}"
                rows.append(row)
        for arm in self.arms:
            for key in _ARM_PARAMETERS:
                rows.append(_source_row(key, arm.name, getattr(arm, key), arm.provenance))
            for key, default in _WITHDRAWAL_DEFAULTS.items():
                if getattr(arm, key) != default or key in arm.provenance:
                    rows.append(_source_row(key, arm.name, getattr(arm, key), arm.provenance))
            for event, rate in arm.adverse_events.items():
                key = f"adverse_events.{event}"
                rows.append(_source_row(key, arm.name, rate, arm.provenance))
        for row in rows:
            row["assumed_effect"] = (row["arm"], row["parameter"]) in assumed
        return pd.DataFrame(
            rows, columns=["arm", "parameter", "value", "evidence_tag", "source", "note", "assumed_effect"]
        )

    def _assumed_effect_rows(self) -> list[tuple[str, str, float, float, Source]]:
        reference = self.arms[0]
        out = []
        for arm in self.arms[1:]:
            for key in _EFFECT_PARAMETERS:
                src = arm.provenance.get(key)
                if src is None or src.tag != "A":
                    continue
                value = float(getattr(arm, key))
                neutral = 1.0 if key in _RATIO_PARAMETERS else float(getattr(reference, key))
                if math.isclose(value, neutral, rel_tol=1e-9, abs_tol=1e-12):
                    continue  # the neutral value (no effect) is not a claim about the treatment
                out.append((arm.name, key, value, neutral, src))
        return out

    def assumed_effects(self) -> pd.DataFrame:
        """Treatment effects that are modelling assumptions (tag ``A``), not published numbers.

        A row is listed when a non-reference arm's ``flare_rate_ratio``,
        ``severity_odds_ratio``, ``remission_probability`` or
        ``treatment_mortality`` is tagged ``A`` and differs from the neutral
        value (ratio 1.0; for the probabilities, the reference arm's value).
        Results simulated from such a scenario show what the assumption
        implies, not what any study found: :func:`lupusstats.effect_card` and
        the command line name them in one line (:meth:`assumed_effects_line`).

        Returns
        -------
        pandas.DataFrame
            Columns ``arm, parameter, value, neutral_value, source, note``
            (empty when every effect is published, derived or neutral).

        Examples
        --------
        >>> import lupusstats as ls
        >>> table = ls.preset("refractory").assumed_effects()
        >>> sorted(set(table["parameter"]))
        ['activity_response_ratio', 'flare_rate_ratio']
        >>> ls.preset("general_cohort").assumed_effects().empty
        True
        """
        import pandas as pd

        rows = [
            {
                "arm": arm,
                "parameter": key,
                "value": value,
                "neutral_value": neutral,
                "source": src.citation,
                "note": src.note,
            }
            for arm, key, value, neutral, src in self._assumed_effect_rows()
        ]
        return pd.DataFrame(rows, columns=["arm", "parameter", "value", "neutral_value", "source", "note"])

    def assumed_effects_line(self) -> str:
        """One line naming the assumed treatment effects ('' when there are none).

        Examples
        --------
        >>> import lupusstats as ls
        >>> print(ls.preset("refractory").assumed_effects_line())  # doctest: +NORMALIZE_WHITESPACE
        Assumed, not published: autologous HSCT flare_rate_ratio 0.0462 (tag A), activity_response_ratio 100
        (tag A); CD19 CAR-T (exploratory) flare_rate_ratio 0.1 (tag A), activity_response_ratio 100 (tag A)
        """
        return describe_assumed_effects(self.assumed_effects())

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
#: Arm parameters that are treatment effects (an assumed value among them is reported).
_EFFECT_PARAMETERS = (
    "flare_rate_ratio",
    "severity_odds_ratio",
    "activity_response_ratio",
    "remission_probability",
    "treatment_mortality",
    "withdrawal_flare_ratio",
)
_RATIO_PARAMETERS = ("flare_rate_ratio", "severity_odds_ratio", "activity_response_ratio", "withdrawal_flare_ratio")


def describe_assumed_effects(table) -> str:
    """One line naming assumed treatment effects, from :meth:`Scenario.assumed_effects` or a sources table.

    Parameters
    ----------
    table : pandas.DataFrame
        The output of :meth:`Scenario.assumed_effects`, or of
        :meth:`Scenario.sources` (only rows with ``assumed_effect`` True are
        used), e.g. read back from the ``scenario.csv`` that ``lupusstats
        simulate`` writes.

    Returns
    -------
    str
        ``"Assumed, not published: <arm> <parameter> <value> (tag A); ..."``,
        or ``""`` when there is nothing to report.

    Examples
    --------
    >>> import lupusstats as ls
    >>> from lupusstats.model.scenario import describe_assumed_effects
    >>> describe_assumed_effects(ls.preset("general_cohort").sources())
    ''
    """
    if table is None or len(table) == 0:
        return ""
    if "assumed_effect" in table.columns:
        flags = table["assumed_effect"]
        if flags.dtype == object:  # read back from CSV as text
            flags = flags.astype(str).str.lower().eq("true")
        table = table[flags.astype(bool)]
    if len(table) == 0:
        return ""
    parts = []
    for arm, rows in table.groupby("arm", sort=False):
        shown = ", ".join(f"{p} {float(v):.3g} (tag A)" for p, v in zip(rows["parameter"], rows["value"], strict=True))
        parts.append(f"{arm} {shown}")
    return "Assumed, not published: " + "; ".join(parts)


#: Drug classes an arm can withdraw (``Arm(withdraw=...)``).
WITHDRAWABLE = ("glucocorticoids", "antimalarials", "immunosuppressants")

#: Arm parameters of drug withdrawal, listed by :meth:`Scenario.sources` only when not at their default.
_WITHDRAWAL_DEFAULTS: dict[str, Any] = {
    "prednisone_mg": None,
    "withdraw": (),
    "withdrawal_week": 0.0,
    "withdrawal_taper_weeks": 0.0,
    "withdrawal_condition": "none",
    "withdrawal_condition_weeks": 0.0,
    "withdrawal_flare_ratio": 1.0,
}

_ARM_PARAMETERS = (
    "flare_rate_ratio",
    "severity_odds_ratio",
    "activity_response_ratio",
    "dropout_rate",
    "treatment_mortality",
    "mortality_window_years",
    "remission_probability",
    "adverse_event_window_years",
)


def _rebuild_arm(fields: dict[str, Any]) -> Arm:
    fields = dict(fields)
    return Arm(fields.pop("name"), **fields)


def _rebuild_activity(fields: dict[str, Any]) -> Activity:
    return Activity(**fields)


def _rebuild_scenario(fields: dict[str, Any]) -> Scenario:
    fields = dict(fields)
    return Scenario(fields.pop("arms"), **fields)


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
    return {
        "arm": arm,
        "parameter": key,
        "value": value,
        "evidence_tag": src.tag,
        "source": src.citation,
        "note": src.note,
    }


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


class _SledaiDefaults(TypedDict):
    """The SLEDAI defaults of :class:`Scenario` (the ``sledai_*`` arguments left as None)."""

    mean: float
    sd: float
    min: int
    increase_mean: tuple[float, float, float]
    increase_min: tuple[int, int, int]


_DEFAULT_SLEDAI: _SledaiDefaults = {
    "mean": 9.71,
    "sd": 3.76,
    "min": 0,
    "increase_mean": (3.0, 3.0, 3.0),
    "increase_min": (0, 0, 0),
}


# ---------------------------------------------------------------------------
# The disease-activity model's defaults (general cohort).  Presets override
# them with their own trial's baseline table and fitted values.
# ---------------------------------------------------------------------------

_BLISS52_BASELINE = "BLISS-52 baseline table, ARD (ard.bmj.com/highwire/markup/191181; ENDPOINTS.md [S4])"
_BLISS_POOLED_BASELINE = "Pooled BLISS-52/-76 baseline (lupus.bmj.com/highwire/markup/135674; ENDPOINTS.md [S8])"
_SLEDAI2K = "Gladman DD, et al. J Rheumatol 2002;29:288-91 (SLEDAI-2K descriptor weights)"


def _lognormal_from_share(share_above: float, cut: float, log_sd: float) -> float:
    """Log-mean of a log-normal with log-SD `log_sd` and P(X > cut) = share_above."""
    # the standard normal quantile at 1 - share_above: critical_value(c, "less") = Phi^-1(c)
    return math.log(cut) - log_sd * float(_inf.critical_value(1.0 - share_above, "less"))


# BLISS-52: 96.0% on prednisone, mean 12.7 mg/day, 69.4% on > 7.5 mg/day [V, S4].  Among
# users (the mean is read as the users' mean): P(> 7.5) = 0.694 / 0.960 = 0.723.  A
# log-normal with mean 12.7 and that share solves s**2 + 2 * 0.592 * s + 2 * ln(7.5 / 12.7)
# = 0, s = 0.593, m = ln 12.7 - s**2 / 2 = 2.366; its SD is then 8.2 (published 8.4).
_PRED_LOG_SD = 0.593
_PRED_LOG_MEAN_BLISS52 = math.log(12.7) - _PRED_LOG_SD**2 / 2

_MANZI_TABLE2 = (
    "Manzi S, et al. ARD 2012;71:1833-8, Table 2 (ard.bmj.com/highwire/markup/208698): pooled BLISS patients "
    "with no SELENA-SLEDAI involvement of each organ at baseline, by arm (n 562/559/563)"
)
#: Share of pooled BLISS patients (n = 1684) with SELENA-SLEDAI activity in each organ domain at baseline,
#: 1 - (patients without involvement) / 1684 from Manzi 2012 Table 2 [V counts]: constitutional
#: 1 - 1652/1684, mucocutaneous 1 - 305/1684, CNS 1 - 1639/1684, musculoskeletal 1 - 582/1684, serositis
#: 1 - 1579/1684, renal 1 - 1417/1684, haematological 1 - 1555/1684 (vasculitis 1 - 1573/1684 has no
#: domain of its own here).  The label's "82%" mucocutaneous, "<16%" renal and "<7%" CNS/cardiorespiratory
#: (BLISS-52 and -76 separately) agree.
_BLISS_DOMAIN_PREVALENCE = tuple(
    round(1 - x / 1684, 4)
    for x in (
        552 + 549 + 551,
        93 + 103 + 109,
        551 + 544 + 544,
        190 + 197 + 195,
        530 + 523 + 526,
        470 + 469 + 478,
        522 + 512 + 521,
    )
)

_ACTIVITY_DEFAULTS: dict[str, Any] = {
    "visit_weeks": 4,
    "domain_prevalence": _BLISS_DOMAIN_PREVALENCE,
    "domain_points": (1.0, 2.0, 8.0, 4.0, 2.0, 4.0, 1.0),
    "grade_a_share": 0.35,
    "serology_prevalence": (0.694, 0.561),
    "improvement_rate": 0.088557,
    "inactive_rate": 2.0,
    "persistent_share": 0.0,
    "response_frailty_power": 0.5,
    "pga_intercept": 0.5,
    "pga_per_point": 0.1,
    "pga_per_grade_a": 0.3,
    "pga_sd": 0.25,
    "prednisone_use": 0.863,
    # _lognormal_from_share(0.580 / 0.863, 7.5, _PRED_LOG_SD), written out so that importing the
    # package does not import scipy.stats (tests/test_scenarios.py checks the two agree)
    "prednisone_log_mean": 2.2791721629924897,
    "prednisone_log_sd": _PRED_LOG_SD,
    "taper_probability": 0.25,
    "taper_step_mg": 2.5,
    "taper_floor_mg": 5.0,
    "flare_prednisone_mg": (5.0, 10.0, 40.0),
    "rescue_probability": 0.5,
    "immunosuppressant_use": 0.487,
    "antimalarial_use": 0.672,
    "renal": False,
    "upcr_log_mean": 0.0,
    "upcr_log_sd": 0.0,
    "upcr_decline_rate": 0.0,
    "upcr_visit_sd": 0.0,
    "renal_flare_upcr_factor": 1.0,
    "egfr_mean": 0.0,
    "egfr_sd": 0.0,
    "egfr_visit_sd": 0.0,
}

_ASSUMED = "no published number"
_ACTIVITY_PROVENANCE: dict[str, Source] = {
    "visit_weeks": Source("BLISS-52, BLISS-76, TULIP-1/2 protocols", "A", "assessments every 4 weeks, as those trials"),
    "domain_prevalence": Source(
        _MANZI_TABLE2,
        "D",
        "share with SELENA-SLEDAI activity per organ at baseline, 1 - (without involvement)/1684 [V counts]: "
        "constitutional 0.019, mucocutaneous 0.819, CNS 0.027, musculoskeletal 0.654, serositis 0.062, renal 0.159, "
        "haematological 0.077; independent across domains (assumed)",
    ),
    "domain_points": Source(
        _SLEDAI2K,
        "A",
        "SLEDAI-2K weight of one typical descriptor per domain (fever 1, rash/alopecia/ulcers 2, CNS 8, "
        "arthritis 4, pleurisy/pericarditis 2, proteinuria 4, thrombocytopenia/leukopenia 1); used only as relative "
        "weights when a patient's clinical SLEDAI is shared among active domains",
    ),
    "grade_a_share": Source(_ASSUMED, "A", "share of active domains graded BILAG A at baseline"),
    "serology_prevalence": Source(
        _BLISS_POOLED_BASELINE,
        "D",
        "anti-dsDNA >= 30 IU/mL 69.4% [V]; low complement taken as low C4 56.1% [V] (low C3 45.0%; the share with "
        "either is not published, so 56.1% is a lower bound); drawn independently (assumed)",
    ),
    "improvement_rate": Source(
        "Urowitz MB, et al. J Rheumatol 2005;32:1467-72 (Toronto, n = 703)",
        "D",
        "0.089 per year: fitted by simulation (lupusstats.fit_preset('natural_history')) to complete remission "
        "lasting >= 1 year in 46/703 of a clinic cohort over ten years, with drugs stopped after a year of "
        "remission (an assumed rule). Trial placebo arms fit far faster rates (presets bliss52 and tulip): the "
        "model's single improvement hazard means different things in a clinic and in a trial",
    ),
    "inactive_rate": Source(_ASSUMED, "A", "C to D after about half a year"),
    "persistent_share": Source(
        _ASSUMED, "A", "0: every active domain can improve (the trial presets fit their own share)"
    ),
    "response_frailty_power": Source(
        _ASSUMED, "A", "frequent flarers improve more slowly (hazard x frailty^-0.5); no published estimate"
    ),
    "pga_intercept": Source(_ASSUMED, "A", "PGA model"),
    "pga_per_point": Source(_ASSUMED, "A", "PGA model"),
    "pga_per_grade_a": Source(_ASSUMED, "A", "PGA model"),
    "pga_sd": Source(_ASSUMED, "A", "visit-to-visit PGA noise"),
    "prednisone_use": Source(_BLISS_POOLED_BASELINE, "V", "steroid use 86.3% (n = 1684)"),
    "prednisone_log_mean": Source(
        _BLISS_POOLED_BASELINE,
        "D",
        "log-normal with P(> 7.5 mg/day) = 0.580 / 0.863 among users (pooled BLISS: 58.0% of all on > 7.5 [V]) and "
        "the log-SD below",
    ),
    "prednisone_log_sd": Source(
        _BLISS52_BASELINE,
        "D",
        "0.593: the log-normal with BLISS-52's mean 12.7 mg/day and 69.4/96.0% of users on > 7.5 mg/day [V]; its SD "
        "8.2 mg/day against the published 8.4",
    ),
    "taper_probability": Source(_ASSUMED, "A", "chance of a 2.5 mg step down at a quiet visit (to be fitted)"),
    "taper_step_mg": Source(_ASSUMED, "A", "2.5 mg/day steps, a common taper step"),
    "taper_floor_mg": Source(_ASSUMED, "A", "taper stops at 5 mg/day"),
    "flare_prednisone_mg": Source(
        "SELENA flare index (ENDPOINTS.md [S29])",
        "A",
        "+5 and +10 mg/day at mild and moderate flares (assumed); 40 mg/day at a severe flare, above the SFI's "
        "0.5 mg/kg/day for patients up to 80 kg",
    ),
    "rescue_probability": Source(_ASSUMED, "A", "half of severe flares lead to protocol-prohibited rescue"),
    "immunosuppressant_use": Source(_BLISS_POOLED_BASELINE, "V", "immunosuppressant use 48.7%"),
    "antimalarial_use": Source(_BLISS52_BASELINE, "V", "antimalarial use 67.2% (BLISS-52; no pooled figure read)"),
    "renal": Source("not a nephritis scenario", "A", "no proteinuria or eGFR simulated"),
    **{
        key: Source("not used", "A", "renal model off (renal=False)")
        for key in (
            "upcr_log_mean",
            "upcr_log_sd",
            "upcr_decline_rate",
            "upcr_visit_sd",
            "renal_flare_upcr_factor",
            "egfr_mean",
            "egfr_sd",
            "egfr_visit_sd",
        )
    },
}


@functools.lru_cache(maxsize=1)
def _default_activity() -> Activity:
    return Activity()
