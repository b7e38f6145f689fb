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
    ((100,), 1.73)

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
    frailty: np.ndarray
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


def _draw(scenario: Scenario, n_trials: int, rng: np.random.Generator) -> _Draws:
    """Draw every patient-level quantity for `n_trials` trials, vectorised."""
    pp = _per_patient(scenario)
    shape = (n_trials, scenario.n_patients)
    alpha = scenario.dispersion

    # Frailty: Gamma with mean 1 and variance alpha (NB2 counts).  Below
    # alpha = 1e-12 the gamma shape 1/alpha overflows the sampler and the
    # frailty equals 1 to double precision anyway: Poisson.
    if alpha > 1e-12:
        frailty = rng.gamma(1.0 / alpha, alpha, size=shape)
    else:
        frailty = np.ones(shape)

    # Observed follow-up: planned, cut by dropout and treatment-related death.
    followup = np.full(shape, scenario.followup_years)
    if np.any(pp["dropout"] > 0):
        with np.errstate(divide="ignore", over="ignore"):  # rate 0 (or denormal): never drops out
            dropout_time = rng.standard_exponential(shape) / pp["dropout"]
        np.minimum(followup, dropout_time, out=followup)
    died = np.zeros(shape, dtype=bool)
    if np.any(pp["mortality"] > 0):
        dies = rng.random(shape) < pp["mortality"]
        death_time = np.where(dies, rng.random(shape) * pp["mortality_window"], np.inf)
        died = death_time < scenario.followup_years  # a death after the planned end is not observed
        np.minimum(followup, death_time, out=followup)
    completed = followup >= scenario.followup_years

    # Flare counts; the severe ones are a binomial thinning (severity is
    # independent of time given the patient).
    mean = np.multiply(frailty, pp["rate"])  # no temporaries beyond the mean itself
    mean *= followup
    n_flares = rng.poisson(mean)
    del mean
    p_sev, p_mod_given_not_sev = _severity_probabilities(scenario, pp, frailty, rng)
    n_severe, n_moderate, first_is_severe, has = _split_severity(n_flares, p_sev, p_mod_given_not_sev, rng)

    # First flare: the minimum of n uniform times on (0, followup).  Its severity
    # is that of the first flare drawn above (flares are exchangeable given the
    # patient); otherwise the other n - 1 flares are uniform on (t, followup) and
    # the first severe one is the minimum of n_severe of them.
    first_flare = _first_uniform(n_flares, followup, rng)
    first_severe = np.full(shape, np.nan)
    idx = np.flatnonzero(n_severe)
    if idx.size:
        # np.take / np.put: several times faster than fancy indexing on these sizes
        s_i = np.take(n_severe, idx)
        t_i, f_i = np.take(first_flare, idx), np.take(followup, idx)
        later = t_i + (f_i - t_i) * -np.expm1(np.log(rng.random(idx.size)) / s_i)
        np.put(first_severe, idx, np.where(np.take(first_is_severe, idx), t_i, later))

    # The worst flare per patient (the ordinal patient-level endpoint): -1 none,
    # 0 mild, 1 moderate, 2 severe.
    worst = has.astype(np.int8).reshape(shape)
    worst -= 1
    worst += (n_moderate > 0) | (n_severe > 0)
    worst += n_severe > 0

    if np.any(pp["remission"] > 0):
        remission = completed & (rng.random(shape) < pp["remission"])
    else:
        remission = np.zeros(shape, dtype=bool)

    baseline = _baseline_sledai(scenario, shape, rng)

    adverse = {}
    if pp["ae_rates"]:
        exposure = np.minimum(followup, pp["ae_window"])
        for event, rate in pp["ae_rates"].items():
            adverse[event] = rng.poisson(rate * exposure)

    return {
        "code": pp["code"],
        "frailty": frailty,
        "followup": followup,
        "completed": completed,
        "died": died,
        "n_flares": n_flares,
        "n_severe": n_severe,
        "n_moderate": n_moderate,
        "worst": worst,
        "first_flare": first_flare,
        "first_severe": first_severe,
        "remission": remission,
        "baseline": baseline,
        "adverse": adverse,
        "p_severe": p_sev,
        "p_moderate": p_mod_given_not_sev,
    }


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


def _split_severity(n_flares, p_sev, p_mod_given_not_sev, rng):
    """Severe and moderate counts per patient, by one uniform per flare (inverse CDF of its severity).

    Given the patient, the flares are independent with P(severe) = `p_sev` and
    P(moderate) = (1 - p_sev) * `p_mod_given_not_sev`: a flare is severe when its
    uniform is below p_sev and moderate when below p_sev + P(moderate).  Returns
    (n_severe, n_moderate, first_is_severe, has_flare), the last two flat over
    patients: whether the first drawn flare of each patient is severe.

    The uniforms are drawn in flare order (patients in C order, each patient's
    flares consecutive) and counted per patient by differences of a cumulative
    sum at the patients' first and one-past-last flares.  When the probabilities
    vary by column only (by arm: a broadcast view), each distinct threshold is
    compared with the whole stream and its counts kept for its columns, so no
    per-flare patient index or threshold is ever built.
    """
    shape = n_flares.shape
    nf = n_flares.ravel()
    ends = np.cumsum(nf)  # one past each patient's last flare; a patient's first is the previous end
    total = int(ends[-1])
    u = rng.random(total)
    has = nf > 0
    # Fresh memory is costly here (page faults): every buffer below is used more than once.
    # The uniform of each patient's first flare (np.take: much faster than fancy indexing; a
    # patient without flares reads a neighbour's, masked by `has` below) ...
    work = np.subtract(ends, nf)  # the first flares, then the severe counts
    u_first = np.take(u, work, mode="clip") if total else np.ones(nf.size)
    # ... and one cumulative-sum buffer for every count (int32 halves its traffic when it fits)
    cum = np.empty(total + 1, dtype=np.int32 if total < 2**31 - 1 else np.int64)
    cum[0] = 0
    at_end = np.empty(nf.size, dtype=cum.dtype)

    def count(below: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        np.cumsum(below, dtype=cum.dtype, out=cum[1:])
        np.take(cum, ends, mode="clip", out=at_end)
        out = np.empty(nf.size, dtype=n_flares.dtype) if out is None else out
        out[:1] = at_end[:1]
        np.subtract(at_end[1:], at_end[:-1], out=out[1:])
        return out.reshape(shape)

    q_arr = np.asarray(p_mod_given_not_sev)
    # probabilities are per column when they do not vary by patient (a broadcast view)
    per_column = p_sev.strides[0] == 0 and q_arr.shape == shape and q_arr.strides[0] == 0
    if per_column:
        ps, q = p_sev[0], q_arr[0]
        cut_mod = ps + (1.0 - ps) * q  # >= ps: a severe flare is below both cuts
        pairs, column_group = np.unique(np.stack([ps, cut_mod], axis=1), axis=0, return_inverse=True)
        column_group = column_group.ravel()
        if len(pairs) == 1:
            n_severe, n_modplus = count(u < pairs[0, 0], work), count(u < pairs[0, 1])
        else:
            n_severe, n_modplus = np.empty(shape, n_flares.dtype), np.empty(shape, n_flares.dtype)
            for g, (ps_g, cut_g) in enumerate(pairs):
                cols = column_group == g
                n_severe[:, cols] = count(u < ps_g, work)[:, cols]
                n_modplus[:, cols] = count(u < cut_g, work)[:, cols]
        first_is_severe = has & (u_first.reshape(shape) < ps).ravel()
    else:
        ps_flat = np.ravel(p_sev)
        cut_mod = ps_flat + (1.0 - ps_flat) * np.ravel(np.broadcast_to(q_arr, shape))
        first_is_severe = has & (u_first < ps_flat)
        n_severe = count(u < np.repeat(ps_flat, nf), work)
        n_modplus = count(u < np.repeat(cut_mod, nf))
    n_moderate = n_modplus
    n_moderate -= n_severe
    return n_severe, n_moderate, first_is_severe, has


def _first_uniform(n: np.ndarray, followup: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Minimum of `n` uniform times on (0, followup); NaN where n == 0.

    The minimum of n uniforms is ``1 - U**(1/n)``, computed as
    ``-expm1(log(U)/n)`` on every patient (n = 0 gives -inf / 0 -> NaN).
    """
    u = rng.random(n.shape)
    np.log(u, out=u)
    with np.errstate(divide="ignore", invalid="ignore"):
        u /= n
    np.expm1(u, out=u)
    np.multiply(u, followup, out=u)
    np.negative(u, out=u)
    u[n == 0] = np.nan
    return u


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
    shape = d["frailty"].shape
    ratio = np.asarray([a.withdrawal_flare_ratio for a in scenario.arms])[d["code"]]
    rate = _per_patient(scenario)["rate"]
    start = np.minimum(withdrawal_years, d["followup"])
    window = d["followup"] - start
    n = rng.poisson((ratio - 1.0) * rate * d["frailty"] * window).ravel()
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
        frailty=d["frailty"],
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
    withdrawal_years = np.empty(d["frailty"].shape)
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
    d = _draw(scenario, n_trials, rng)
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
