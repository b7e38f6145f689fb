"""Simulate lupus cohorts (tidy tables) and many trials at once (numpy arrays).

The generative model (see ``docs/architecture.md``):

* **frailty** ``u ~ Gamma(mean 1, variance dispersion)`` per patient, so flare
  counts are negative binomial (NB2) with ``Var = mu + dispersion * mu**2``;
* **follow-up**: the planned follow-up, cut short by dropout (exponential with
  the arm's hazard) or by treatment-related death (with the arm's probability,
  uniformly within its window);
* **flares**: a Poisson process with intensity
  ``baseline_flare_rate * flare_rate_ratio * u`` over the observed follow-up;
* **severity** of each flare from a proportional-odds model: cumulative logits
  of the baseline mix shifted by ``log(severity_odds_ratio)`` of the arm, plus
  ``severity_frailty_log_or * (log u - E log u)`` and a patient random effect
  ``N(0, severity_patient_sd**2)``.  Given the patient, severity levels split
  the flare process into independent Poisson processes;
* **organ** domain per flare (categorical), **SLEDAI increase** per flare
  (``min + Poisson(mean - min)`` by severity), **baseline SLEDAI** (rounded
  normal, truncated below), **drug-free remission** (the arm's probability is
  for all randomised patients, as trials report it: dropouts and deaths count
  as non-remitters, and completers remit with probability p / P(complete)),
  **adverse events** (Poisson counts at the arm's rate over its exposure window).

:func:`simulate_cohort` returns the patients and flares tables of one study;
:func:`simulate_trials` draws the same model for many trials at once as arrays
of shape ``(n_trials, n_patients)``, with no Python loop over patients or trials.
Both take ``rng`` (anything :func:`numpy.random.default_rng` accepts).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, TypedDict

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.results import _read_only
from lupusstats._core.types import RNGLike
from lupusstats.cohort import columns as C
from lupusstats.cohort.cohort import Cohort
from lupusstats.model.activity import simulate_visits, visits_table
from lupusstats.model.scenario import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TrialBatch", "simulate_cohort", "simulate_trials"]

_SLEDAI_MAX = 105


@dataclasses.dataclass(frozen=True, repr=False)
class TrialBatch:
    """Many simulated trials as arrays of shape ``(n_trials, n_patients)``.

    Patients are ordered by arm (all patients of the first arm, then the next);
    ``arm`` holds each patient's arm code and ``arm_names`` the names.  Every
    array is read-only (``flags.writeable`` is False; also after pickling), so
    that analyses sharing a batch cannot change it: copy an array to modify it.

    Attributes
    ----------
    n_flares, n_severe_flares, n_moderate_flares : ndarray of int
        Flare counts per patient (mild = the rest).
    n_flares_by_severity : ndarray of int, shape (n_trials, n_patients, 3)
        Flares per patient by severity, mild / moderate / severe on the last
        axis (``ls.columns.SEVERITY_LEVELS``); sums to ``n_flares``, the last two
        columns are ``n_moderate_flares`` and ``n_severe_flares``.  The
        ``counts`` argument of :func:`lupusstats.compare_severity_batch`.
        Computed on first use (a property; read-only like the rest).
    worst_severity : ndarray of int8
        Most severe flare per patient: -1 none, 0 mild, 1 moderate, 2 severe
        (the patient-level ordinal endpoint).
    followup_years : ndarray of float
        Observed follow-up (exposure).
    first_flare_years, first_severe_flare_years : ndarray of float
        Time of the first (severe) flare; NaN when there was none (censored at
        ``followup_years``).
    completed : ndarray of bool
    drug_free_remission : ndarray of bool
        When an arm has a ``remission_probability``: the arm's remission as
        its source defines it (drawn among completers, so that the share of
        randomised patients is the probability).  When no arm has one and the
        visits model ran (``visits=True``, or an arm with a
        ``withdrawal_flare_ratio``): drug-free remission at the last scheduled
        visit by :func:`lupusstats.drug_free_remission` (clinical SLEDAI 0, no
        glucocorticoid, no immunosuppressant, antimalarials allowed; death,
        dropout or rescue = not in remission).  Otherwise all False.
    died : ndarray of bool
        Died before the end of the planned follow-up (drawn from the arm's
        ``treatment_mortality``, the model's only deaths); follow-up ends at the death.
    baseline_sledai : ndarray of int
    adverse_events : read-only mapping of str to ndarray of int
        Counts per adverse event.
    arm : ndarray of int, shape (n_patients,)
    arm_names : tuple of str
    scenario : Scenario
    visits : read-only mapping of str to ndarray, or None
        The visit arrays of the disease-activity model (``simulate_trials(...,
        visits=True)``): the fields of :class:`lupusstats.endpoints.VisitArrays`
        (``week``, ``attended``, ``sledai``, ``clinical_sledai``, ``pga``,
        ``prednisone_mg``, ``on_immunosuppressant``, ``on_antimalarial``,
        ``rescue``, ``major_organ_activity``, ``new_activity``, ``bilag``), each
        of shape ``(n_trials, n_patients, n_visits)`` (``bilag`` one more axis of
        9 domains; ``week`` the grid).  ``VisitArrays(**batch.visits)`` is what
        the endpoint kernels take.

    Examples
    --------
    100 simulated nephritis induction trials; the flare rate of the
    cyclophosphamide arm in each:

    >>> import lupusstats as ls
    >>> batch = ls.simulate_trials(ls.preset("nephritis_induction"), 100, rng=1)
    >>> batch.n_flares.shape, batch.arm_names[1]
    ((100, 555), 'IV cyclophosphamide')
    >>> on_cyc = batch.arm == 1
    >>> rate = batch.n_flares[:, on_cyc].sum(axis=1) / batch.followup_years[:, on_cyc].sum(axis=1)
    >>> rate.shape, round(float(rate.mean()), 2)
    ((100,), 1.74)

    Flares by severity per patient, the input of the batch severity tests:

    >>> batch.n_flares_by_severity.shape
    (100, 555, 3)
    >>> bool((batch.n_flares_by_severity.sum(axis=-1) == batch.n_flares).all())
    True
    """

    n_flares: np.ndarray
    n_severe_flares: np.ndarray
    n_moderate_flares: np.ndarray
    worst_severity: np.ndarray
    followup_years: np.ndarray
    first_flare_years: np.ndarray
    first_severe_flare_years: np.ndarray
    completed: np.ndarray
    died: np.ndarray
    drug_free_remission: np.ndarray
    baseline_sledai: np.ndarray
    adverse_events: Mapping[str, np.ndarray]
    arm: np.ndarray
    arm_names: tuple[str, ...]
    scenario: Scenario
    visits: Mapping[str, np.ndarray] | None = None

    def __post_init__(self) -> None:
        # read-only views: the caller's own arrays (if passed in) stay writeable
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                object.__setattr__(self, f.name, _read_only(value))
        events = {k: _read_only(v) for k, v in dict(self.adverse_events).items()}
        object.__setattr__(self, "adverse_events", MappingProxyType(events))
        if self.visits is not None:
            arrays = {k: _read_only(v) for k, v in dict(self.visits).items()}
            object.__setattr__(self, "visits", MappingProxyType(arrays))

    def __reduce__(self):
        # numpy unpickles (and deep-copies) arrays as writeable and a mappingproxy
        # cannot be pickled: rebuild through __init__, which makes them read-only again
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["adverse_events"] = dict(fields["adverse_events"])
        if fields["visits"] is not None:
            fields["visits"] = dict(fields["visits"])
        return (_rebuild_batch, (fields,))

    @functools.cached_property
    def n_flares_by_severity(self) -> np.ndarray:
        """Flares per patient by severity, shape ``(n_trials, n_patients, 3)``: mild, moderate, severe.

        Sums to ``n_flares`` over the last axis; read-only (computed once, on
        first use, from the stored counts).
        """
        mild = self.n_flares - self.n_moderate_flares - self.n_severe_flares
        return _read_only(np.stack([mild, self.n_moderate_flares, self.n_severe_flares], axis=-1))

    @property
    def n_trials(self) -> int:
        """Number of simulated trials."""
        return int(self.n_flares.shape[0])

    @property
    def n_patients(self) -> int:
        """Patients per trial (all arms)."""
        return int(self.n_flares.shape[1])

    def in_arm(self, name: str) -> np.ndarray:
        """Boolean mask of shape ``(n_patients,)`` for the patients of arm `name`."""
        if name not in self.arm_names:
            raise ValueError(f"unknown arm {name!r}; this batch has {list(self.arm_names)}.")
        return self.arm == self.arm_names.index(name)

    def to_patients(self) -> pd.DataFrame:
        """Return all trials as one long patients table with a ``trial`` column."""
        import pandas as pd

        T, P = self.n_flares.shape
        data = {
            C.TRIAL: np.repeat(np.arange(T), P),
            C.PATIENT: np.tile(np.arange(1, P + 1), T),
            # pandas-stubs require an Index for `categories`; pandas takes any list-like
            C.ARM: pd.Categorical.from_codes(np.tile(self.arm, T), categories=list(self.arm_names)),  # type: ignore[call-overload]
            C.FOLLOWUP_YEARS: self.followup_years.ravel(),
            C.COMPLETED: self.completed.ravel(),
            C.DIED: self.died.ravel(),
            C.BASELINE_SLEDAI: self.baseline_sledai.ravel(),
            C.N_FLARES: self.n_flares.ravel(),
            C.N_SEVERE_FLARES: self.n_severe_flares.ravel(),
            C.FIRST_FLARE_YEARS: self.first_flare_years.ravel(),
            C.FIRST_SEVERE_FLARE_YEARS: self.first_severe_flare_years.ravel(),
            C.DRUG_FREE_REMISSION: self.drug_free_remission.ravel(),
        }
        for event, counts in self.adverse_events.items():
            data[C.ae_column(event)] = counts.ravel()
        return pd.DataFrame(data)

    def __repr__(self) -> str:
        return f"TrialBatch(n_trials={self.n_trials}, n_patients={self.n_patients}, arms={list(self.arm_names)})"


def _rebuild_batch(fields: dict[str, object]) -> TrialBatch:
    return TrialBatch(**fields)  # type: ignore[arg-type]


def _check_scenario(scenario: object) -> Scenario:
    if not isinstance(scenario, Scenario):
        raise TypeError(
            f"`scenario` must be a lupusstats.Scenario (see ls.preset / ls.Scenario), got {type(scenario).__name__}."
        )
    return scenario


class _PerPatient(TypedDict):
    """Arm parameters, one entry per patient (:func:`_per_patient`)."""

    code: np.ndarray
    rate: np.ndarray
    log_or: np.ndarray
    dropout: np.ndarray
    mortality: np.ndarray
    mortality_window: np.ndarray
    remission: np.ndarray
    ae_window: np.ndarray
    ae_rates: dict[str, np.ndarray]


class _Draws(TypedDict):
    """Patient-level draws of `n_trials` trials, shape (n_trials, n_patients) (:func:`_draw`)."""

    code: np.ndarray
    frailty: np.ndarray | None  # None when not kept (_draw(frailty=False))
    followup: np.ndarray
    completed: np.ndarray
    died: np.ndarray
    n_flares: np.ndarray
    n_severe: np.ndarray
    n_moderate: np.ndarray
    worst: np.ndarray
    first_flare: np.ndarray
    first_severe: np.ndarray
    remission: np.ndarray
    baseline: np.ndarray
    adverse: dict[str, np.ndarray]
    p_severe: np.ndarray
    p_moderate: np.ndarray


def _per_patient(scenario: Scenario) -> _PerPatient:
    """Arm parameters expanded to one entry per patient (patients ordered by arm)."""
    sizes = np.asarray(scenario.n_per_arm)
    code = np.repeat(np.arange(len(scenario.arms)), sizes)

    def expand(values) -> np.ndarray:
        return np.asarray(values, dtype=float)[code]

    arms = scenario.arms
    window = [math.inf if a.adverse_event_window_years is None else a.adverse_event_window_years for a in arms]
    return {
        "code": code,
        "rate": scenario.baseline_flare_rate * expand([a.flare_rate_ratio for a in arms]),
        "log_or": expand([math.log(a.severity_odds_ratio) for a in arms]),
        "dropout": expand([a.dropout_rate for a in arms]),
        "mortality": expand([a.treatment_mortality for a in arms]),
        "mortality_window": expand([a.mortality_window_years for a in arms]),
        # Remission is counted among completers; the arm's probability is per
        # randomised patient (intention to treat), so rescale by P(complete).
        "remission": expand(
            [
                a.remission_probability / a.completion_probability(scenario.followup_years)
                if a.remission_probability > 0
                else 0.0
                for a in arms
            ]
        ),
        "ae_window": expand(window),
        "ae_rates": {
            event: expand([a.adverse_events.get(event, 0.0) for a in arms]) for event in scenario.adverse_events
        },
    }


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _logit(p: float) -> float:
    return math.log(p) - math.log1p(-p)


# Patient-trials drawn per block of trials: every temporary of a block stays in the CPU cache and is
# carved from memory the previous block freed, where whole-array temporaries would each be fresh memory
# (page faults: on the 2-core build machine a fresh 16 MB array costs about as much as filling it ten
# times).  The random stream is the blocks' draws in turn, so seeded results depend on this constant:
# changing it changes every seeded number (as a new draw order would).
_BLOCK_CELLS = 1 << 15


def _draw(scenario: Scenario, n_trials: int, rng: np.random.Generator, *, frailty: bool = True) -> _Draws:
    """Draw every patient-level quantity for `n_trials` trials, vectorised, in blocks of trials.

    ``frailty=False``: the frailties are drawn (the same stream) but not kept
    (``d["frailty"]`` is None): only the visits model and the rise after
    withdrawal read them.
    """
    pp = _per_patient(scenario)
    n_patients = scenario.n_patients
    shape = (n_trials, n_patients)
    mortal, remits = bool(np.any(pp["mortality"] > 0)), bool(np.any(pp["remission"] > 0))
    constant = not (mortal or np.any(pp["dropout"] > 0))  # everyone followed to the planned end
    # Arrays that would hold one value (no dropout or death: every follow-up is the planned one) are
    # read-only broadcast views (below), not memory to fill.
    out: dict = {
        "code": pp["code"],
        "frailty": np.empty(shape) if frailty else None,
        "followup": None if constant else np.empty(shape),
        "completed": None if constant else np.empty(shape, dtype=bool),
        "died": np.empty(shape, dtype=bool) if mortal else None,
        "n_flares": np.empty(shape, dtype=np.int64),
        "n_severe": np.empty(shape, dtype=np.int64),
        "n_moderate": np.empty(shape, dtype=np.int64),
        "worst": np.empty(shape, dtype=np.int8),
        "first_flare": np.empty(shape),
        "first_severe": np.empty(shape),
        "remission": np.empty(shape, dtype=bool) if remits else None,
        "baseline": np.empty(shape, dtype=np.int64),
        "adverse": {event: np.empty(shape, dtype=np.int64) for event in pp["ae_rates"]},
    }
    varying = _severity_varies(scenario)
    if varying:
        out["p_severe"], out["p_moderate"] = np.empty(shape), np.empty(shape)
    # without patient-level terms the severity probabilities are one row (by arm), the same in every block
    by_arm = None if varying else _severity_probabilities(scenario, pp, np.ones((1, n_patients)), rng)
    rows = max(1, _BLOCK_CELLS // max(n_patients, 1))
    for start in range(0, n_trials, rows):
        block = slice(start, min(start + rows, n_trials))
        skip = ("code", "adverse") if varying else ("code", "adverse", "p_severe", "p_moderate")
        views = {key: value[block] for key, value in out.items() if key not in skip and value is not None}
        views["adverse"] = {event: counts[block] for event, counts in out["adverse"].items()}
        p_sev, p_mod = _draw_block(scenario, pp, views, (block.stop - block.start, n_patients), rng, by_arm)
        if not varying and start == 0:  # by arm only: one row, broadcast (no work per trial)
            out["p_severe"], out["p_moderate"] = np.broadcast_to(p_sev[0], shape), np.broadcast_to(p_mod[0], shape)
    for key, value in (
        ("followup", float(scenario.followup_years)),
        ("completed", True),
        ("died", False),
        ("remission", False),
    ):
        if out[key] is None:
            out[key] = np.broadcast_to(np.array(value), shape)
    return out  # type: ignore[return-value]


def _draw_block(
    scenario: Scenario,
    pp: _PerPatient,
    out: dict,
    shape: tuple[int, int],
    rng: np.random.Generator,
    by_arm: tuple[np.ndarray, np.ndarray] | None = None,
):
    """Draw one block of trials of `shape` into `out`, views of the arrays of :func:`_draw` (rows of one block).

    Arrays that :func:`_draw` leaves out (one value for every patient) are not
    in `out`.  Returns P(severe) and P(moderate | not severe) of the block
    (written into `out` too when they vary by patient; `by_arm`: their one row
    when they do not, from :func:`_severity_probabilities`).
    """
    alpha = scenario.dispersion

    # Frailty: Gamma with mean 1 and variance alpha (NB2 counts).  Below
    # alpha = 1e-12 the gamma shape 1/alpha overflows the sampler and the
    # frailty equals 1 to double precision anyway: Poisson.
    frailty = rng.gamma(1.0 / alpha, alpha, size=shape) if alpha > 1e-12 else np.ones(shape)
    if "frailty" in out:
        out["frailty"][...] = frailty

    # Observed follow-up: planned, cut by dropout and treatment-related death (absent from `out` when
    # nobody drops out or dies: then it is the planned one for everyone).
    followup: float | np.ndarray = scenario.followup_years
    constant = "followup" not in out
    if not constant:
        observed: np.ndarray = out["followup"]
        observed.fill(scenario.followup_years)
        if np.any(pp["dropout"] > 0):
            with np.errstate(divide="ignore", over="ignore"):  # rate 0 (or denormal): never drops out
                dropout_time = rng.standard_exponential(shape) / pp["dropout"]
            np.minimum(observed, dropout_time, out=observed)
        if "died" in out:
            dies = rng.random(shape) < pp["mortality"]
            death_time = np.where(dies, rng.random(shape) * pp["mortality_window"], np.inf)
            np.less(death_time, scenario.followup_years, out=out["died"])  # a death after the end is unseen
            np.minimum(observed, death_time, out=observed)
        np.greater_equal(observed, scenario.followup_years, out=out["completed"])
        followup = observed

    # Flare counts; their severities, first flare and first severe flare given the patient.
    mean = np.multiply(frailty, pp["rate"])
    mean *= followup
    out["n_flares"][...] = rng.poisson(mean)
    if by_arm is None:
        p_sev, p_mod_given_not_sev = _severity_probabilities(scenario, pp, frailty, rng)
    else:
        p_sev, p_mod_given_not_sev = (np.broadcast_to(row[0], shape) for row in by_arm)
    if "p_severe" in out:
        out["p_severe"][...], out["p_moderate"][...] = p_sev, p_mod_given_not_sev
    _flare_summaries(out, followup, p_sev, p_mod_given_not_sev, rng)

    if "remission" in out:
        below = rng.random(shape) < pp["remission"]
        if constant:
            out["remission"][...] = below
        else:
            np.logical_and(out["completed"], below, out=out["remission"])

    out["baseline"][...] = _baseline_sledai(scenario, shape, rng)

    if pp["ae_rates"]:
        exposure = np.minimum(followup, pp["ae_window"])
        for event, rate in pp["ae_rates"].items():
            out["adverse"][event][...] = rng.poisson(np.broadcast_to(rate * exposure, shape))
    return p_sev, p_mod_given_not_sev


def _severity_varies(scenario: Scenario) -> bool:
    """Whether P(severe) varies by patient within an arm (a frailty or patient term on the severity logit)."""
    p_mild, _, p_sev = scenario.severity_probs
    if p_sev in (0.0, 1.0) or p_mild in (0.0, 1.0):
        return False
    return (scenario.severity_frailty_log_or != 0.0 and scenario.dispersion > 1e-12) or (
        scenario.severity_patient_sd > 0
    )


def _severity_probabilities(scenario, pp, frailty, rng):
    """P(severe) and P(moderate | not severe) per patient (or per arm when constant)."""
    p_mild, p_mod, p_sev = scenario.severity_probs
    if p_sev in (0.0, 1.0) or p_mild in (0.0, 1.0):
        # Degenerate mixes have no finite cumulative logits; no shift can apply.
        q = 0.0 if p_mod == 0 else p_mod / (1.0 - p_sev)
        return np.full(frailty.shape, p_sev), np.full(frailty.shape, q)
    theta_sev = _logit(p_sev)
    theta_modplus = _logit(p_mod + p_sev)
    eta = pp["log_or"]
    varying = False
    if scenario.severity_frailty_log_or != 0.0 and scenario.dispersion > 1e-12:
        from scipy.special import digamma

        k = 1.0 / scenario.dispersion
        centred = np.log(frailty) - (digamma(k) - math.log(k))  # E log u = psi(k) - log k
        eta = eta + scenario.severity_frailty_log_or * centred
        varying = True
    if scenario.severity_patient_sd > 0:
        eta = eta + scenario.severity_patient_sd * rng.standard_normal(frailty.shape)
        varying = True
    # Without patient-level terms the probabilities vary by arm only: compute
    # them per patient column and broadcast (no work per trial).
    sev = _expit(theta_sev + eta)
    modplus = _expit(theta_modplus + eta)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(sev < 1.0, (modplus - sev) / (1.0 - sev), 0.0)
    q = np.clip(q, 0.0, 1.0)
    if not varying:
        return np.broadcast_to(sev, frailty.shape), np.broadcast_to(q, frailty.shape)
    return sev, q


def _flare_summaries(out, followup, p_sev, p_mod_given_not_sev, rng):
    """Severity counts, worst severity and first (severe) flare times per patient from the flare counts.

    Given the patient, flares are independent with P(severe) = `p_sev` and
    P(moderate) = (1 - p_sev) * `p_mod_given_not_sev`, and their times are
    uniform on (0, followup).  Only the patients with a flare are touched
    (about half at the usual rates), and each one's flares are split into the
    first in time and the n - 1 others (exchangeable given the patient):

    * the first flare's time is the minimum of n uniforms, ``F (1 - W**(1/n))``
      computed as ``-F expm1(log(W) / n)``, and its severity the inverse CDF of
      one uniform V (severe below p_sev, moderate below p_sev + P(moderate));
    * the n - 1 later flares are classified the same way by one uniform each,
      drawn in patient order and counted per patient by differences of one
      cumulative sum at each patient's last flare;
    * the first severe flare is the first flare when that is severe, else the
      minimum of the s later severe ones, uniform on (t, F):
      ``t + (F - t) (1 - R**(1/s))``.

    Reads ``out["n_flares"]`` and `followup` (an array of its shape, or one
    number when every patient has the planned follow-up) and writes
    ``out["n_severe"], out["n_moderate"], out["worst"]`` (-1 none, 0 mild, 1
    moderate, 2 severe), ``out["first_flare"]`` and ``out["first_severe"]``
    (NaN where there is no such flare): C-contiguous arrays of one shape.
    `p_sev` and `p_mod_given_not_sev` are arrays of that shape or broadcast
    views of one row (probabilities by arm only).

    Written for speed on arrays of millions of patients (measured in
    benchmarks/bench_simulate.py): fancy-index assignment rather than
    ``np.put``, ``flatnonzero`` of a boolean rather than of the counts, no
    ``np.where`` / ``np.diff(prepend=)`` on full arrays (each several times
    slower here).
    """
    n_flares = out["n_flares"]
    shape = n_flares.shape
    nf = n_flares.ravel()
    idx = np.flatnonzero(nf > 0)  # the patients with a flare
    n1 = np.take(nf, idx)
    f1 = followup if np.ndim(followup) == 0 else np.take(followup, idx)
    q_arr = np.asarray(p_mod_given_not_sev)
    # probabilities per column (by arm, a broadcast view): one scalar, or looked up by column
    per_column = p_sev.strides[0] == 0 and q_arr.shape == shape and q_arr.strides[0] == 0
    if per_column:
        ps_col = p_sev[0]
        cut_col = ps_col + (1.0 - ps_col) * q_arr[0]  # >= ps: a severe flare is below both cuts
        if np.all(ps_col == ps_col[0]) and np.all(cut_col == cut_col[0]):
            ps1, cut1 = ps_col[0], cut_col[0]
        else:
            col = idx % shape[1]
            ps1, cut1 = np.take(ps_col, col), np.take(cut_col, col)
    else:
        ps1 = np.take(np.ravel(p_sev), idx)
        cut1 = ps1 + (1.0 - ps1) * np.take(np.ravel(np.broadcast_to(q_arr, shape)), idx)

    # the first flare: its time and severity
    t1 = rng.random(idx.size)
    np.log(t1, out=t1)
    t1 /= n1
    np.expm1(t1, out=t1)
    t1 *= f1
    np.negative(t1, out=t1)
    v = rng.random(idx.size)
    first_sev = v < ps1
    n_modplus = (v < cut1).astype(nf.dtype)

    # the later flares: one uniform each, counted per patient by one int64 cumulative sum of a code
    # holding both counts (severe ones in the high 32 bits), read at each patient's last flare
    later = n1 - 1
    ends = np.cumsum(later)
    total = int(ends[-1]) if ends.size else 0
    u = rng.random(total)
    code = np.empty(total + 1, dtype=np.int64)
    code[0] = 0
    tail = code[1:]
    if np.ndim(ps1) == 0:
        np.less(u, ps1, out=tail, casting="unsafe")
        tail <<= 32
        tail += u < cut1
    else:
        np.less(u, np.repeat(ps1, later), out=tail, casting="unsafe")
        tail <<= 32
        tail += u < np.repeat(cut1, later)
    del u
    np.cumsum(tail, out=tail)
    at_end = np.take(code, ends)
    del code, tail
    at_end[1:] -= at_end[:-1].copy()
    sev_later = at_end >> 32
    n_sev = sev_later + first_sev
    at_end &= 0xFFFFFFFF
    n_modplus += at_end

    def scatter(key: str, values: np.ndarray, fill: float) -> None:
        flat = out[key].reshape(-1)  # a view: the block's rows are contiguous
        flat.fill(fill)
        flat[idx] = values

    # the first severe flare: the first flare, or the earliest of the later severe ones
    with np.errstate(invalid="ignore"):
        first_sev_time = np.divide(0.0, first_sev)  # 0 where the first flare is severe, else 0/0 = NaN
    first_sev_time += t1
    j = np.flatnonzero(~first_sev & (sev_later > 0))
    if j.size:
        tj = np.take(t1, j)
        r = rng.random(j.size)
        np.log(r, out=r)
        r /= np.take(sev_later, j)
        np.expm1(r, out=r)
        r *= (f1 if np.ndim(f1) == 0 else np.take(f1, j)) - tj
        first_sev_time[j] = tj - r

    worst = (n_modplus > 0).astype(np.int8)
    worst += n_sev > 0
    n_modplus -= n_sev
    scatter("n_severe", n_sev, 0)
    scatter("n_moderate", n_modplus, 0)
    scatter("worst", worst, -1)
    scatter("first_flare", t1, np.nan)
    scatter("first_severe", first_sev_time, np.nan)


def _baseline_sledai(scenario: Scenario, shape, rng: np.random.Generator) -> np.ndarray:
    """Rounded normal, truncated below at ``sledai_baseline_min`` (and 0), above at 105.

    Truncation by rejection: values rounding below the minimum are redrawn
    until none is left (exact, and cheap because the excluded tail is small
    for published parameters; a tail heavier than 50% falls back to the
    inverse CDF).
    """
    mean, sd = scenario.sledai_baseline_mean, scenario.sledai_baseline_sd
    low = max(scenario.sledai_baseline_min, 0)
    if sd == 0:
        return np.full(shape, int(np.clip(round(mean), low, _SLEDAI_MAX)), dtype=np.int64)
    cut = low - 0.5
    if (cut - mean) / sd > 0:  # more than half the mass excluded: inverse CDF
        from scipy.special import ndtr, ndtri

        a = ndtr((cut - mean) / sd)
        x = mean + sd * ndtri(np.clip(a + (1.0 - a) * rng.random(shape), 1e-300, 1 - 1e-16))
    else:
        x = rng.standard_normal(shape)
        x *= sd
        x += mean
        bad = np.flatnonzero(x < cut)
        flat = x.ravel()
        while bad.size:
            flat[bad] = mean + sd * rng.standard_normal(bad.size)
            bad = bad[flat[bad] < cut]
    np.rint(x, out=x)
    np.clip(x, low, _SLEDAI_MAX, out=x)
    return x.astype(np.int64)


def _flare_events(scenario: Scenario, d: _Draws, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One row per flare of every trial, as flat arrays (for the visits model of many trials).

    The same model as the flares table of :func:`simulate_cohort`: given the
    patient's counts by severity, times uniform on the observed follow-up,
    organ from ``organ_probs``, SLEDAI increase ``min + Poisson(mean - min)``.
    """
    n_flares = d["n_flares"].ravel()
    n_severe, n_moderate = d["n_severe"].ravel(), d["n_moderate"].ravel()
    n_mild = n_flares - n_severe - n_moderate
    by_level = np.stack([n_mild, n_moderate, n_severe], axis=1).ravel()
    severity = np.tile(np.arange(3, dtype=np.int8), n_flares.size).repeat(by_level)
    # rows are grouped by patient and, within a patient, by severity (mild first)
    index = np.repeat(np.arange(n_flares.size), n_flares)
    time = rng.random(index.size) * d["followup"].ravel()[index]
    organ, increase = _organ_and_increase(scenario, severity, rng)
    return {"index": index, "time": time, "severity": severity, "organ": organ, "increase": increase}


def _organ_and_increase(
    scenario: Scenario, severity: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Organ domain (from ``organ_probs``) and SLEDAI increase (``min + Poisson(mean - min)``) of each flare."""
    organ = rng.choice(len(C.ORGAN_DOMAINS), size=severity.size, p=scenario.organ_probs)
    inc_min = np.asarray(scenario.sledai_increase_min)[severity]
    increase = inc_min + rng.poisson(np.asarray(scenario.sledai_increase_mean)[severity] - inc_min)
    return organ, increase


def _kept_frailty(d: _Draws) -> np.ndarray:
    """The frailties of `d` (drawn with ``_draw(frailty=True)``)."""
    if d["frailty"] is None:  # pragma: no cover - a programming error, not a user one
        raise RuntimeError("the frailties were not kept: call _draw(..., frailty=True)")
    return d["frailty"]


def _has_withdrawal_rise(scenario: Scenario) -> bool:
    return any(a.withdrawal_flare_ratio != 1.0 for a in scenario.arms)


def _withdrawal_flares(
    scenario: Scenario, d: _Draws, withdrawal_years: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The extra flares of the rise after withdrawal (``Arm.withdrawal_flare_ratio``), as flat flare arrays.

    On (w, followup] of each patient withdrawn at time w, a Poisson process of
    rate ``(ratio - 1) x`` her own flare rate (arm rate times frailty), so that
    with the flares already drawn on (0, followup] her rate after withdrawal is
    ``ratio x`` (superposition).  Each flare's severity uses her own severity
    probabilities; organ and SLEDAI increase as for every flare.  Rows are
    grouped by patient, times uniform on her window.
    """
    frailty = _kept_frailty(d)
    shape = frailty.shape
    ratio = np.asarray([a.withdrawal_flare_ratio for a in scenario.arms])[d["code"]]
    rate = _per_patient(scenario)["rate"]
    start = np.minimum(withdrawal_years, d["followup"])
    window = d["followup"] - start
    n = rng.poisson((ratio - 1.0) * rate * frailty * window).ravel()
    index = np.repeat(np.arange(n.size), n)
    time = start.ravel()[index] + rng.random(index.size) * window.ravel()[index]
    p_sev = np.broadcast_to(d["p_severe"], shape).ravel()[index]
    p_mod = (1.0 - p_sev) * np.broadcast_to(d["p_moderate"], shape).ravel()[index]
    u = rng.random(index.size)
    severity = np.where(u < p_sev, 2, np.where(u < p_sev + p_mod, 1, 0)).astype(np.int8)
    organ, increase = _organ_and_increase(scenario, severity, rng)
    return {"index": index, "time": time, "severity": severity, "organ": organ, "increase": increase}


def _add_flares(d: _Draws, extra: Mapping[str, np.ndarray]) -> _Draws:
    """`d` with the flare summaries (counts, worst severity, first flare times) updated for `extra` flares."""
    shape = d["n_flares"].shape
    size = d["n_flares"].size
    index, severity, time = extra["index"], extra["severity"], extra["time"]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(index[mask], minlength=size).reshape(shape).astype(d["n_flares"].dtype, copy=False)

    def first(mask: np.ndarray) -> np.ndarray:
        t = np.full(size, np.nan)
        np.fmin.at(t, index[mask], time[mask])
        return t.reshape(shape)

    every = np.ones(index.size, dtype=bool)
    worst = np.full(size, -1, dtype=np.int8)
    np.maximum.at(worst, index, severity)
    out = dict(d)
    out["n_flares"] = d["n_flares"] + count(every)
    out["n_severe"] = d["n_severe"] + count(severity == 2)
    out["n_moderate"] = d["n_moderate"] + count(severity == 1)
    out["worst"] = np.maximum(d["worst"], worst.reshape(shape))
    out["first_flare"] = np.fmin(d["first_flare"], first(every))
    out["first_severe"] = np.fmin(d["first_severe"], first(severity == 2))
    return out  # type: ignore[return-value]


def _concat_flares(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([a[key], np.asarray(b[key], dtype=np.asarray(a[key]).dtype)]) for key in a}


def _drug_free_at_end(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """In drug-free remission at the last scheduled visit, from the visit arrays (the patients-table column).

    The definition of ``lupusstats.drug_free_remission`` with its defaults
    (clinical SLEDAI 0, prednisone 0, no immunosuppressant, antimalarials
    allowed) under the composite estimand: a patient who died, dropped out
    (did not attend the last visit) or had rescue therapy is not in remission.
    tests/test_withdrawal_rise.py checks it against that endpoint.
    """
    last = (Ellipsis, -1)
    return (
        arrays["attended"][last]
        & ~arrays["rescue"][last]
        & (arrays["clinical_sledai"][last] == 0)
        & (arrays["prednisone_mg"][last] == 0)
        & ~arrays["on_immunosuppressant"][last]
    )


def _visits_from_activity(scenario: Scenario) -> bool:
    """Whether the patients' ``drug_free_remission`` comes from the visits (no arm has a remission probability)."""
    return all(a.remission_probability == 0 for a in scenario.arms)


def _visits(
    scenario: Scenario,
    d: _Draws,
    flares: Mapping[str, np.ndarray],
    rng: np.random.Generator,
    withdrawal_years: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    # the withdrawal times are asked for only when needed (the call is otherwise the same as before them)
    extra = {} if withdrawal_years is None else {"withdrawal_years": withdrawal_years}
    return simulate_visits(
        scenario,
        code=d["code"],
        frailty=_kept_frailty(d),
        followup=d["followup"],
        baseline_sledai=d["baseline"],
        flare_index=flares["index"],
        flare_time=flares["time"],
        flare_severity=flares["severity"],
        flare_organ=flares["organ"],
        flare_increase=flares["increase"],
        rng=rng,
        **extra,
    )


def _visits_with_rise(
    scenario: Scenario,
    d: _Draws,
    flares: Mapping[str, np.ndarray],
    child: np.random.Generator,
    rng: np.random.Generator,
) -> tuple[_Draws, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The visits, with the flare rise after each patient's own withdrawal when an arm has one.

    Without a rise: the visits from `child`, `d` and `flares` unchanged.  With
    one: a first visits pass gives each patient's withdrawal time; the extra
    flares after it are drawn from a new child stream of `rng` and the visits
    re-run with the same visit stream (a copy of `child`), so only the flares'
    consequences differ.  Returns the updated draws, flares and visits.
    """
    if not _has_withdrawal_rise(scenario):
        return d, dict(flares), _visits(scenario, d, flares, child)
    replay = copy.deepcopy(child)
    withdrawal_years = np.empty(d["n_flares"].shape)
    _visits(scenario, d, flares, child, withdrawal_years)
    extra = _withdrawal_flares(scenario, d, withdrawal_years, rng.spawn(1)[0])
    flares = _concat_flares(flares, extra)
    return _add_flares(d, extra), flares, _visits(scenario, d, flares, replay)


def simulate_trials(scenario: Scenario, n_trials: int, *, rng: RNGLike = None, visits: bool = False) -> TrialBatch:
    """Simulate `n_trials` independent trials of `scenario` as arrays.

    The same model as :func:`simulate_cohort`, vectorised over trials and
    patients: every array has shape ``(n_trials, n_patients)`` with patients
    ordered by arm.  This is the fast path used by power and calibration.

    Parameters
    ----------
    scenario : Scenario
    n_trials : int
        Number of trials (>= 1).
    rng : None, int, SeedSequence or Generator
        Passed to :func:`numpy.random.default_rng`.
    visits : bool, default False
        Also simulate the visits (disease activity, prednisone, rescue) for
        the trial endpoints (SRI-4, BICLA, LLDAS ...): ``batch.visits``.  The
        flare and patient arrays are the same either way (the visits use a
        child stream of `rng`); they cost memory of order n_trials x
        n_patients x n_visits x 9 bytes, so simulate many trials in chunks.
        An arm with a ``withdrawal_flare_ratio`` runs the visits model in
        any case (its flares depend on each patient's withdrawal time).

    Returns
    -------
    TrialBatch

    Examples
    --------
    >>> import lupusstats as ls
    >>> batch = ls.simulate_trials(ls.preset("nephritis_induction"), 100, rng=1)
    >>> batch.n_flares.shape
    (100, 555)
    >>> batch.arm_names
    ('standard care', 'IV cyclophosphamide', 'MSC + standard care')
    """
    scenario = _check_scenario(scenario)
    n_trials = _v.check_int("n_trials", n_trials, minimum=1)
    if not isinstance(visits, bool):
        raise TypeError(f"`visits` must be True or False, got {visits!r}.")
    _v.check_rng(rng)
    rng = np.random.default_rng(rng)
    d = _draw(scenario, n_trials, rng, frailty=visits or _has_withdrawal_rise(scenario))
    visit_arrays = None
    if visits or _has_withdrawal_rise(scenario):
        child = rng.spawn(1)[0]
        d, _, visit_arrays = _visits_with_rise(scenario, d, _flare_events(scenario, d, child), child, rng)
        if _visits_from_activity(scenario):
            d["remission"] = _drug_free_at_end(visit_arrays)
        if not visits:
            visit_arrays = None
    return TrialBatch(
        n_flares=d["n_flares"],
        n_severe_flares=d["n_severe"],
        n_moderate_flares=d["n_moderate"],
        worst_severity=d["worst"],
        followup_years=d["followup"],
        first_flare_years=d["first_flare"],
        first_severe_flare_years=d["first_severe"],
        completed=d["completed"],
        died=d["died"],
        drug_free_remission=d["remission"],
        baseline_sledai=d["baseline"],
        adverse_events=d["adverse"],
        arm=d["code"],
        arm_names=scenario.arm_names,
        scenario=scenario,
        visits=visit_arrays,
    )


def simulate_cohort(scenario: Scenario, *, rng: RNGLike = None) -> Cohort:
    """Simulate one study of `scenario`: a patients table and a flares table.

    Parameters
    ----------
    scenario : Scenario
        Arms and model parameters, e.g. ``ls.preset("nephritis_induction")``.
    rng : None, int, SeedSequence or Generator
        Passed to :func:`numpy.random.default_rng`; the same seed gives
        identical tables.

    Returns
    -------
    Cohort
        With ``.patients`` (one row per patient), ``.flares`` (one row per
        flare) and ``.visits`` in the table shapes of ``lupusstats.columns``.
        The flares include those of the rise after withdrawal
        (``Arm.withdrawal_flare_ratio``).  The patients' ``drug_free_remission``
        is the arms' ``remission_probability`` draw when an arm has one, else
        drug-free remission at the last scheduled visit from the visits (as
        ``TrialBatch.drug_free_remission``).

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=50), rng=7)
    >>> len(cohort.patients)
    50
    >>> list(cohort.flares.columns)
    ['patient', 'arm', 'time_years', 'severity', 'organ', 'sledai_increase']
    >>> bool((cohort.flares.groupby("patient").size()
    ...       == cohort.patients.set_index("patient")["n_flares"][lambda s: s > 0]).all())
    True
    """
    import pandas as pd

    scenario = _check_scenario(scenario)
    _v.check_rng(rng)
    rng = np.random.default_rng(rng)
    d = _draw(scenario, 1, rng)
    code = d["code"]
    n_patients = scenario.n_patients
    followup = d["followup"][0]
    n_flares, n_severe, n_moderate = d["n_flares"][0], d["n_severe"][0], d["n_moderate"][0]
    n_mild = n_flares - n_severe - n_moderate
    arm_cat = pd.CategoricalDtype(list(scenario.arm_names), ordered=False)
    sev_cat = pd.CategoricalDtype(list(C.SEVERITY_LEVELS), ordered=True)
    organ_cat = pd.CategoricalDtype(list(C.ORGAN_DOMAINS), ordered=False)

    # One row per flare: patient index repeated by count, severity codes by
    # per-patient counts, independent uniform times (sorted within patient).
    total = int(n_flares.sum())
    by_level = np.stack([n_mild, n_moderate, n_severe], axis=1).ravel()
    sev_code = np.tile(np.arange(3), n_patients).repeat(by_level)
    patient_idx = np.repeat(np.arange(n_patients), n_flares)
    times = rng.random(total) * followup[patient_idx]
    order = np.lexsort((times, patient_idx))
    times, sev_code = times[order], sev_code[order]
    organ_code, sledai_increase = _organ_and_increase(scenario, sev_code, rng)

    child = rng.spawn(1)[0]
    events = {
        "index": patient_idx,
        "time": times,
        "severity": sev_code,
        "organ": organ_code,
        "increase": sledai_increase,
    }
    d, events, arrays = _visits_with_rise(scenario, d, events, child, rng)
    if _has_withdrawal_rise(scenario):
        # the extra flares after withdrawal join the flares table, sorted by patient and time
        order = np.lexsort((events["time"], events["index"]))
        events = {key: value[order] for key, value in events.items()}
        patient_idx, times, sev_code = events["index"], events["time"], events["severity"]
        organ_code, sledai_increase = events["organ"], events["increase"]
        n_flares, n_severe = d["n_flares"][0], d["n_severe"][0]
        total = int(n_flares.sum())
    if _visits_from_activity(scenario):
        d["remission"] = _drug_free_at_end(arrays)

    first_flare = np.full(n_patients, np.nan)
    first_severe = np.full(n_patients, np.nan)
    if total:
        starts = np.concatenate(([0], np.cumsum(n_flares)[:-1]))
        has = n_flares > 0
        first_flare[has] = times[starts[has]]
        severe_rows = np.flatnonzero(sev_code == 2)
        if severe_rows.size:
            pid = patient_idx[severe_rows]  # sorted by patient then time, so first occurrence is earliest
            uniq, first_pos = np.unique(pid, return_index=True)
            first_severe[uniq] = times[severe_rows[first_pos]]

    patients = {
        C.PATIENT: np.arange(1, n_patients + 1),
        C.ARM: pd.Categorical.from_codes(code, dtype=arm_cat),
        C.FOLLOWUP_YEARS: followup,
        C.COMPLETED: d["completed"][0],
        C.DIED: d["died"][0],
        C.BASELINE_SLEDAI: d["baseline"][0],
        C.N_FLARES: n_flares,
        C.N_SEVERE_FLARES: n_severe,
        C.FIRST_FLARE_YEARS: first_flare,
        C.FIRST_SEVERE_FLARE_YEARS: first_severe,
        C.DRUG_FREE_REMISSION: d["remission"][0],
    }
    for event, counts in d["adverse"].items():
        patients[C.ae_column(event)] = counts[0]
    flares = {
        C.PATIENT: patient_idx + 1,
        C.ARM: pd.Categorical.from_codes(code[patient_idx], dtype=arm_cat),
        C.TIME_YEARS: times,
        C.SEVERITY: pd.Categorical.from_codes(sev_code, dtype=sev_cat),
        C.ORGAN: pd.Categorical.from_codes(organ_code, dtype=organ_cat),
        C.SLEDAI_INCREASE: sledai_increase,
    }
    visits = visits_table(arrays, trial=0, arm_codes=code, arm_names=scenario.arm_names)
    return Cohort(patients=pd.DataFrame(patients), flares=pd.DataFrame(flares), scenario=scenario, visits=visits)
