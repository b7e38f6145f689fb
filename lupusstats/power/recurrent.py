"""Recurrent flares in power calculations: flare tables of simulated trials, every-flare analyses compared.

* :func:`trial_tables` turns one trial of a :class:`lupusstats.TrialBatch`
  into a patients table and a flares table (one row per flare, with its time),
  so that the analyses that need flare times (the recurrent-event regressions
  of :func:`lupusstats.recurrent_event_regression`) run on the very trials the
  vectorised count and first-flare analyses see.
* :func:`simulate_power_recurrent` analyses the same simulated trials three
  ways -- negative-binomial rate ratio, Andersen-Gill, time to first flare --
  and reports each one's power with its Monte Carlo interval.
* :func:`power_time_to_first_flare` is the large-sample power of the log-rank
  test of time to first flare under the simulator's gamma-Poisson flare model,
  where the hazards are not proportional.

The public names are re-exported by :mod:`lupusstats.power`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike
from lupusstats.cohort import columns as C
from lupusstats.model.scenario import Scenario
from lupusstats.model.simulate import TrialBatch, simulate_trials
from lupusstats.power.formula import _check_alpha
from lupusstats.power.simulation import _two_arm
from lupusstats.rates import compare_rates_batch
from lupusstats.survival import logrank_batch, recurrent_event_regression

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["power_time_to_first_flare", "simulate_power_recurrent", "trial_tables"]


# =========================================================================== flare tables of a batch
def trial_tables(batch: TrialBatch, trial: int, *, rng: RNGLike = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patients table and the flares table (with flare times) of one simulated trial of a batch.

    A :class:`lupusstats.TrialBatch` keeps each patient's flare count, the time
    of the first flare and the observed follow-up, not every flare time.  In
    the simulator's model the flare times of a patient with ``n`` flares are
    ``n`` independent uniform times on the observed follow-up ``(0, F)``
    (as in :func:`lupusstats.simulate_cohort`); given their minimum ``T1``
    (``batch.first_flare_years``), the other ``n - 1`` are independent uniform
    on ``(T1, F)``.  They are drawn so, which gives flare times from the
    simulator's model that agree with the batch's counts and first flares: an
    analysis of every flare and an analysis of the counts or of the first
    flare then see the same trial.

    Parameters
    ----------
    batch : TrialBatch
        From :func:`lupusstats.simulate_trials`.
    trial : int
        Which trial (0 to ``batch.n_trials - 1``).
    rng : None, int, SeedSequence or Generator
        For the times after the first flare.

    Returns
    -------
    (DataFrame, DataFrame)
        ``patients`` with columns ``patient`` (1, 2, ...), ``arm``
        (Categorical in the scenario's arm order), ``followup_years``,
        ``n_flares``; ``flares`` with ``patient``, ``arm``, ``time_years``,
        sorted by patient and time: the input of
        :func:`lupusstats.recurrent_event_regression` and
        :func:`lupusstats.compare_rates`.

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.7)],
    ...                  n_per_arm=50, baseline_flare_rate=1.5, dispersion=0.5, followup_years=1.0)
    >>> batch = ls.simulate_trials(sc, 20, rng=1)
    >>> patients, flares = ls.trial_tables(batch, 3, rng=2)
    >>> len(patients), len(flares) == int(batch.n_flares[3].sum())
    (100, True)
    >>> first = flares.groupby("patient")["time_years"].min().to_numpy()
    >>> bool((first == batch.first_flare_years[3][batch.n_flares[3] > 0]).all())
    True
    """
    import pandas as pd

    if not isinstance(batch, TrialBatch):
        raise TypeError(
            f"`batch` must be a lupusstats.TrialBatch (from ls.simulate_trials), got {type(batch).__name__}."
        )
    trial = _v.check_int("trial", trial, minimum=0)
    if trial >= batch.n_trials:
        raise ValueError(f"`trial` must be below the batch's {batch.n_trials} trials, got {trial}.")
    _v.check_rng(rng)
    rng = np.random.default_rng(rng)
    n = batch.n_flares[trial].astype(np.int64)
    follow = batch.followup_years[trial].astype(float)
    first = batch.first_flare_years[trial]
    arm_type = pd.CategoricalDtype(list(batch.arm_names))
    patient_id = np.arange(1, n.size + 1)
    patients = pd.DataFrame(
        {
            C.PATIENT: patient_id,
            C.ARM: pd.Categorical.from_codes(batch.arm, dtype=arm_type),
            C.FOLLOWUP_YEARS: follow,
            C.N_FLARES: n,
        }
    )
    rest = np.maximum(n - 1, 0)
    who_rest = np.repeat(np.arange(n.size), rest)
    t1 = first[who_rest]
    later = t1 + rng.random(who_rest.size) * (follow[who_rest] - t1)
    has = np.flatnonzero(n > 0)
    who = np.concatenate([has, who_rest])
    times = np.concatenate([first[has], later])
    order = np.lexsort((times, who))
    who, times = who[order], times[order]
    flares = pd.DataFrame(
        {
            C.PATIENT: patient_id[who],
            C.ARM: pd.Categorical.from_codes(batch.arm[who], dtype=arm_type),
            C.TIME_YEARS: times,
        }
    )
    return patients, flares


# =========================================================================== log-rank power, gamma-Poisson first flare
def power_time_to_first_flare(
    rate_ratio: float,
    *,
    n_per_arm: float,
    baseline_rate: float,
    followup_years: float,
    dispersion: float,
    alpha: float = 0.05,
    dropout_rate: float | tuple[float, float] = 0.0,
    alternative: str = "two-sided",
) -> float:
    """Large-sample power of the log-rank test of time to first flare when flares are gamma-Poisson.

    In the simulator's model a patient flares as a Poisson process of rate
    ``rate * u``, ``u ~ Gamma(mean 1, variance dispersion)``, so the time to
    the first flare has survival ``S(t) = (1 + dispersion rate t)^(-1/dispersion)``
    and hazard ``rate / (1 + dispersion rate t)``: a flare-rate ratio is not a
    constant hazard ratio (the frail patients flare first and leave the risk
    set), so Schoenfeld's proportional-hazards formula does not apply.  The
    log-rank score ``U = sum(O_treated - E_treated)`` is asymptotically normal
    with, per randomised patient, mean ``m = int w (h1 - h0) dt`` and variance
    ``v = int w (y0 h1 + y1 h0) / (y0 + y1) dt``, where ``y_g(t) = pi_g S_g(t)
    exp(-d_g t)`` is the share of patients at risk in arm g (allocation
    ``pi_g = 1/2``, exponential dropout ``d_g``, administrative censoring at
    `followup_years`) and ``w = y0 y1 / (y0 + y1)``; the test divides ``U`` by
    its hypergeometric variance, whose limit is ``v0 = int w (y0 h0 + y1 h1) /
    (y0 + y1) dt``.  Power = ``Phi((|m| sqrt(N) - z sqrt(v0)) / sqrt(v))`` with
    ``N = 2 n_per_arm`` (both tails for two-sided), the integrals by 64-point
    Gauss-Legendre quadrature.  This is the continuous form of the
    non-proportional-hazards approximation of Lakatos (Biometrics
    1988;44:229-41); the tests check it against simulated trials.

    Parameters
    ----------
    rate_ratio : float
        Flare rate ratio, treated / reference (> 0).
    n_per_arm : float
        Patients per arm (>= 2).
    baseline_rate : float
        Flares per patient-year in the reference arm (> 0).
    followup_years : float
        Planned follow-up (> 0).
    dispersion : float
        Gamma frailty variance, the NB2 dispersion of the counts (>= 0).
    alpha : float, default 0.05
    dropout_rate : float or (float, float), default 0.0
        Exponential dropout hazard per patient-year, for both arms or
        ``(reference, treated)``.
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the treated arm flares later (fewer flares).

    Returns
    -------
    float

    Examples
    --------
    >>> import lupusstats as ls
    >>> p = ls.power_time_to_first_flare(0.7, n_per_arm=200, baseline_rate=1.0, followup_years=1.0,
    ...                                  dispersion=0.5)
    >>> round(p, 2)
    0.58
    >>> rate = ls.power_rate_ratio(0.7, n_per_arm=200, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> bool(p < rate)  # every flare carries more information than the first
    True
    """
    rr = _v.check_positive("rate_ratio", rate_ratio)
    n = _v.check_number("n_per_arm", n_per_arm, low=2.0)
    rate = _v.check_positive("baseline_rate", baseline_rate)
    tau = _v.check_positive("followup_years", followup_years)
    a = _v.check_positive("dispersion", dispersion, allow_zero=True)
    alpha = _check_alpha(alpha)
    alternative = _v.check_alternative(alternative)
    if isinstance(dropout_rate, tuple):
        if len(dropout_rate) != 2:
            raise ValueError(f"`dropout_rate` must be a number or a (reference, treated) pair, got {dropout_rate!r}.")
        d0, d1 = (_v.check_positive("dropout_rate", d, allow_zero=True) for d in dropout_rate)
    else:
        d0 = d1 = _v.check_positive("dropout_rate", dropout_rate, allow_zero=True)
    u, wq = np.polynomial.legendre.leggauss(64)
    t = 0.5 * tau * (u + 1.0)
    wq = 0.5 * tau * wq

    def arm(r, d):
        if a < 1e-12:
            s, h = np.exp(-r * t), np.full_like(t, r)
        else:
            s, h = (1.0 + a * r * t) ** (-1.0 / a), r / (1.0 + a * r * t)
        return 0.5 * s * np.exp(-d * t), h

    y0, h0 = arm(rate, d0)
    y1, h1 = arm(rate * rr, d1)
    total = y0 + y1
    w = y0 * y1 / total
    m = float(wq @ (w * (h1 - h0)))
    v = float(wq @ (w * (y0 * h1 + y1 * h0) / total))
    v0 = float(wq @ (w * (y0 * h0 + y1 * h1) / total))
    if not (math.isfinite(v) and v > 0 and math.isfinite(v0) and v0 > 0):
        raise ValueError(
            f"`rate_ratio` {rr:g} with `baseline_rate` {rate:g} and `followup_years` {tau:g} leaves one arm with "
            "no patient at risk for almost all of follow-up, so the log-rank information is 0 to double precision; "
            "the formula does not apply (choose rates and follow-up that leave patients at risk)."
        )
    root_n = math.sqrt(2.0 * n)

    def sf(x):  # P(Z > x) for standard normal Z
        return float(_inf.pvalue_from_z(x, "greater"))

    def tail(sign):  # P(sign * Z > z) for the standardised log-rank statistic
        z = _inf.critical_value(1.0 - alpha, "greater")
        return sf((z * math.sqrt(v0) - sign * m * root_n) / math.sqrt(v))

    if alternative == "less":
        return tail(-1.0)
    if alternative == "greater":
        return tail(1.0)
    z2 = _inf.critical_value(1.0 - alpha)
    return sf((z2 * math.sqrt(v0) - m * root_n) / math.sqrt(v)) + sf((z2 * math.sqrt(v0) + m * root_n) / math.sqrt(v))


# =========================================================================== three analyses of the same trials
_ANALYSES = (
    ("NB rate ratio", "compare_rates_batch(model='negbin')"),
    ("Andersen-Gill", "recurrent_event_regression(model='andersen_gill')"),
    ("time to first flare", "logrank_batch"),
)


def simulate_power_recurrent(
    scenario: Scenario,
    *,
    n_trials: int,
    alpha: float = 0.05,
    rng: RNGLike = None,
    arm: str | None = None,
    confidence_level: float = 0.95,
    progress: bool = False,
) -> pd.DataFrame:
    """Power of three analyses of flares on the same simulated trials: NB rate ratio, Andersen-Gill, first flare.

    The trials are drawn once by :func:`lupusstats.simulate_trials`; each is
    analysed by the negative-binomial rate ratio
    (:func:`lupusstats.compare_rates_batch`, all trials at once), the
    Andersen-Gill model with robust variance
    (:func:`lupusstats.recurrent_event_regression` on the tables of
    :func:`trial_tables`, one fit per trial: the slow part, about 10 ms a
    trial) and the log-rank test of time to first flare
    (:func:`lupusstats.logrank_batch`, all at once).  Because the trials are
    shared, the differences in power are not blurred by different draws.

    Parameters
    ----------
    scenario : Scenario
        The design; the reference arm and `arm` are simulated.
    n_trials : int
        Simulated trials (>= 1).  The Monte Carlo SE of a power is at most
        ``0.5 / sqrt(n_trials)``.
    alpha : float, default 0.05
        Two-sided level of each test.
    rng : None, int, SeedSequence or Generator
    arm : str, optional
        The compared arm (default the first non-reference arm).
    confidence_level : float, default 0.95
        Level of the Wilson interval of each power.
    progress : bool, default False
        A tqdm progress bar over the Andersen-Gill fits.

    Returns
    -------
    DataFrame
        One row per analysis: ``analysis``, ``power``, ``mc_se``, ``ci_low``,
        ``ci_high``, ``n_rejected``, ``n_undefined`` (trials where the test is
        undefined, e.g. an arm without flares; they count as not rejecting),
        ``n_trials``, ``median_estimate`` (median estimated rate / hazard
        ratio; the Peto hazard ratio for the first flare), ``call``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.6)],
    ...                  n_per_arm=60, baseline_flare_rate=1.5, dispersion=0.5, followup_years=1.0)
    >>> table = ls.simulate_power_recurrent(sc, n_trials=40, rng=1)
    >>> list(table["analysis"])
    ['NB rate ratio', 'Andersen-Gill', 'time to first flare']
    >>> bool(((table["ci_low"] <= table["power"]) & (table["power"] <= table["ci_high"])).all())
    True
    """
    import pandas as pd

    n_trials = _v.check_int("n_trials", n_trials, minimum=1)
    alpha = _check_alpha(alpha)
    cl = _v.check_confidence_level(confidence_level)
    if not isinstance(progress, bool):
        raise TypeError(f"`progress` must be True or False, got {progress!r}.")
    sc2, _ = _two_arm(scenario, arm)
    streams = np.random.default_rng(rng).spawn(2)
    batch = simulate_trials(sc2, n_trials, rng=streams[0])
    treated = batch.arm == 1
    nb = compare_rates_batch(batch.n_flares, batch.followup_years, treated, model="negbin")
    event = ~np.isnan(batch.first_flare_years)
    first = logrank_batch(np.where(event, batch.first_flare_years, batch.followup_years), event, treated)
    p_ag, est_ag = np.full(n_trials, np.nan), np.full(n_trials, np.nan)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc="Andersen-Gill fits", unit="trial")
    table_streams = streams[1].spawn(n_trials)
    try:
        for i in range(n_trials):
            patients, flares = trial_tables(batch, i, rng=table_streams[i])
            try:
                res = recurrent_event_regression(flares, patients, model="andersen_gill").iloc[0]
                p_ag[i], est_ag[i] = res["pvalue"], res["hazard_ratio"]
            except ValueError:  # an arm without flares: no finite hazard ratio
                pass
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for (name, call), p, est in zip(
        _ANALYSES, (nb.pvalue, p_ag, first.pvalue), (nb.estimate, est_ag, first.estimate), strict=True
    ):
        p = np.asarray(p, dtype=float)
        est = np.asarray(est, dtype=float)
        undefined = ~np.isfinite(p)
        k = int((p[~undefined] < alpha).sum())
        power = k / n_trials
        low, high = _inf.wilson_interval(k, n_trials, cl)
        finite = est[np.isfinite(est) & (est > 0)]
        rows.append(
            {
                "analysis": name,
                "power": power,
                "mc_se": math.sqrt(power * (1.0 - power) / n_trials),
                "ci_low": float(low),
                "ci_high": float(high),
                "n_rejected": k,
                "n_undefined": int(undefined.sum()),
                "n_trials": n_trials,
                "median_estimate": float(np.median(finite)) if finite.size else math.nan,
                "call": call,
            }
        )
    return pd.DataFrame(rows)
