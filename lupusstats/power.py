"""Power and sample size for lupus trials: formulas, simulation, and scenario grids.

Two routes to the same question -- how many patients give a trial enough power?

* **Formula** (:func:`power_rate_ratio`, :func:`sample_size_rate_ratio`): the
  negative-binomial rate-ratio formula of Zhu & Lakkis (2014), written with the
  expected Fisher information per patient so that it also covers unequal
  allocation, dropout (exponential, per arm) and variable planned follow-up
  (Tang 2015).  With fixed follow-up and no dropout it equals
  ``statsmodels.stats.rates.power_negbin_ratio_2indep`` (the tests check it).
* **Simulation** (:func:`simulate_power`, :func:`simulate_sample_size`,
  :func:`power_grid`): many trials drawn by :func:`lupusstats.simulate_trials`
  and analysed all at once -- NB2 regression by
  :func:`lupusstats.compare_rates_batch`, the log-rank test vectorised over
  trials (:func:`lupusstats.logrank_batch`) and the
  patient-level ordinal test of :func:`lupusstats.compare_severity_batch`.
  Grids run serially, on local processes or on a Dask cluster and give the same
  numbers on every backend: each grid cell draws from its own
  ``SeedSequence.spawn`` stream.

Power estimates carry their Monte Carlo standard error ``sqrt(p (1 - p) / n_trials)``
and a Wilson interval.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from collections.abc import Mapping, Sequence

import numpy as np

from . import _validation as _v
from ._results import ConfidenceInterval, ResultBase

__all__ = [
    "power_rate_ratio",
    "sample_size_rate_ratio",
    "SampleSizeResult",
    "simulate_power",
    "PowerResult",
    "simulate_sample_size",
    "SimulatedSampleSizeResult",
    "power_grid",
    "ENDPOINTS",
]

#: Endpoints understood by :func:`simulate_power`.
ENDPOINTS = ("flare_rate", "severe_flare_rate", "time_to_first_flare", "time_to_first_severe_flare", "severity")
_RATE_MODELS = ("negbin", "poisson", "quasipoisson", "robust")
_METHOD_VAR = ("alt", "ftotal")
_BACKENDS = ("serial", "processes", "dask")
_CELLS_PER_CHUNK = 500_000  # patient-trials simulated and analysed at once (memory ~ tens of MB)


# =========================================================================== checks
def _check_alpha(alpha):
    return _v.check_number("alpha", alpha, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _check_target_power(power):
    return _v.check_number("power", power, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _positive_array(name, value):
    arr = _v.as_float_array(name, value)
    if not np.isfinite(arr).all() or (arr <= 0).any():
        bad = arr[~(np.isfinite(arr) & (arr > 0))][:5].tolist()
        raise ValueError(f"`{name}` must be > 0 and finite, got {bad}.")
    return arr


def _dropout_pair(dropout_rate):
    if isinstance(dropout_rate, (str, bytes)):
        raise TypeError(f"`dropout_rate` must be a number or a pair (reference, treated), got {dropout_rate!r}.")
    if isinstance(dropout_rate, Sequence) or isinstance(dropout_rate, np.ndarray):
        vals = list(dropout_rate)
        if len(vals) != 2:
            raise ValueError(f"`dropout_rate` must be one number or a pair (reference, treated), got {vals}.")
        return tuple(_v.check_positive(f"dropout_rate[{i}]", v, allow_zero=True) for i, v in enumerate(vals))
    d = _v.check_positive("dropout_rate", dropout_rate, allow_zero=True)
    return d, d


# =========================================================================== formula
# Gauss-Legendre nodes for the expected information over a dropout time in (0, T).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def _info_per_patient(rate, followup, dispersion, dropout):
    """E[ mu t / (1 + a mu t) ]: Fisher information for the log rate of one patient.

    The observed exposure is ``t = min(D, T)`` with ``D ~ Exp(dropout)`` and the
    planned follow-up ``T`` drawn from the values in `followup` (equally
    weighted).  Broadcasts over `rate` (any shape); `followup` is 1-d.
    """
    rate = np.asarray(rate, dtype=float)[..., None]
    T = np.asarray(followup, dtype=float)  # (m,)

    def g(t):
        x = rate * t
        return x / (1.0 + dispersion * x)

    at_end = g(T)
    if dropout == 0.0:
        return at_end.mean(axis=-1)
    # integral_0^T g(s) d e^{-ds} ds + g(T) e^{-dT}, by Gauss-Legendre on (0, T)
    s = 0.5 * T[:, None] * (_GL_X + 1.0)  # (m, q)
    dens = dropout * np.exp(-dropout * s) * 0.5 * T[:, None] * _GL_W
    x = rate[..., None] * s  # (..., m, q)
    gs = x / (1.0 + dispersion * x)
    inner = (gs * dens).sum(axis=-1)
    return (inner + at_end * np.exp(-dropout * T)).mean(axis=-1)


def _variances(rate_ratio, baseline_rate, followup, dispersion, allocation, dropout, method_var):
    """Variance of log(rate ratio) times n_reference, under the alternative and the null."""
    r0 = baseline_rate
    r1 = baseline_rate * rate_ratio
    i0 = _info_per_patient(r0, followup, dispersion, dropout[0])
    i1 = _info_per_patient(r1, followup, dispersion, dropout[1])
    v1 = 1.0 / i0 + 1.0 / (allocation * i1)
    if method_var == "alt":
        return v1, v1
    # Zhu & Lakkis (2014) method 3: both rates at the pooled rate (expected events / expected exposure)
    e0 = _mean_exposure(followup, dropout[0])
    e1 = _mean_exposure(followup, dropout[1])
    pooled = (r0 * e0 + allocation * r1 * e1) / (e0 + allocation * e1)
    j0 = _info_per_patient(pooled, followup, dispersion, dropout[0])
    j1 = _info_per_patient(pooled, followup, dispersion, dropout[1])
    return v1, 1.0 / j0 + 1.0 / (allocation * j1)


def _mean_exposure(followup, dropout):
    T = np.asarray(followup, dtype=float)
    if dropout == 0.0:
        return float(T.mean())
    return float((-np.expm1(-dropout * T) / dropout).mean())


def _normal_power(effect, sd0, sd1, alpha, alternative):
    """Power of a z test: the statistic is N(effect/sd1 ..) -- as statsmodels normal_power_het."""
    from scipy.special import ndtr, ndtri

    if alternative == "two-sided":
        z = -ndtri(alpha / 2.0)
        return ndtr((effect - z * sd0) / sd1) + ndtr((-effect - z * sd0) / sd1)
    z = -ndtri(alpha)
    signed = -effect if alternative == "less" else effect
    return ndtr((signed - z * sd0) / sd1)


def _formula_iv(rate_ratio, baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate,
                alternative, method_var):
    rr = _positive_array("rate_ratio", rate_ratio)
    base = _v.check_positive("baseline_rate", baseline_rate)
    fu = _positive_array("followup_years", followup_years)
    if fu.ndim > 1:
        raise ValueError(f"`followup_years` must be a number or a 1-d array of planned follow-ups, got shape {fu.shape}.")
    disp = _v.check_positive("dispersion", dispersion, allow_zero=True)
    a = _check_alpha(alpha)
    alloc = _v.check_positive("allocation", allocation)
    drop = _dropout_pair(dropout_rate)
    alternative = _v.check_alternative(alternative)
    method_var = _v.check_choice("method_var", method_var, _METHOD_VAR)
    return rr, base, np.atleast_1d(fu), disp, a, alloc, drop, alternative, method_var


def power_rate_ratio(rate_ratio, *, n_per_arm, baseline_rate, followup_years, dispersion, alpha=0.05,
                     allocation=1.0, dropout_rate=0.0, alternative="two-sided", method_var="alt"):
    """Power of the negative-binomial rate-ratio test (Zhu & Lakkis 2014), with dropout and variable follow-up.

    The test is the Wald test of ``log(rate_treated / rate_reference) = 0`` from
    an NB2 regression with ``log(exposure)`` offset (what
    :func:`lupusstats.compare_rates` does).  A patient followed for ``t`` years
    at rate ``mu`` carries Fisher information ``mu t / (1 + dispersion mu t)``
    for the log rate, so ``Var(log RR) = 1 / (n0 I0) + 1 / (n1 I1)`` with ``Ig``
    the expected information per patient of arm g over the distribution of the
    observed follow-up.  With fixed follow-up this is Zhu & Lakkis' formula
    ``(1/(mu0 t) + 1/(k mu1 t) + (1 + k) dispersion / k) / n0``; with dropout or
    variable follow-up it is the extension of Tang (2015), which is more accurate
    than plugging in the mean exposure.

    Vectorised: `rate_ratio` and `n_per_arm` broadcast against each other.

    Parameters
    ----------
    rate_ratio : float or array_like
        True flare rate ratio, treated / reference (> 0).
    n_per_arm : float or array_like
        Patients in the reference arm; the treated arm has ``allocation *
        n_per_arm`` (>= 2).
    baseline_rate : float
        Flares per patient-year in the reference arm (> 0).
    followup_years : float or 1-d array_like
        Planned follow-up.  An array is read as the planned follow-ups of the
        patients (equally likely), e.g. staggered entry with a common end date.
    dispersion : float
        NB2 dispersion (>= 0; ``Var = mu + dispersion mu**2``; R's theta = 1/dispersion).
    alpha : float, default 0.05
        Significance level, in (0, 1).
    allocation : float, default 1.0
        Treated : reference allocation ratio (``n_treated = allocation * n_per_arm``).
    dropout_rate : float or (float, float), default 0.0
        Exponential dropout hazard per patient-year, for both arms or
        ``(reference, treated)``.  A dropout *proportion* p over follow-up T is
        the hazard ``-log(1 - p) / T``.  Patients who drop out contribute their
        partial exposure (as in the analysis).
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the treated rate is lower.  The two-sided power counts
        rejections in both directions (as statsmodels).
    method_var : {"alt", "ftotal"}
        Variance of the statistic under the null: ``"alt"`` = under the
        alternative (Zhu & Lakkis method 1; the Wald test actually used by
        :func:`lupusstats.compare_rates`), ``"ftotal"`` = both rates at the pooled
        rate (their method 3; statsmodels ``method_var="ftotal"``).

    Returns
    -------
    float or ndarray
        Power (a float when every input is scalar).

    Raises
    ------
    ValueError
        For a rate ratio, rate or follow-up <= 0, negative dispersion, alpha
        outside (0, 1), or n_per_arm < 2.

    References
    ----------
    Zhu H, Lakkis H. Sample size calculation for comparing two negative binomial
    rates. Stat Med 2014;33:376-87, doi:10.1002/sim.5947.
    Tang Y. Sample size estimation for negative binomial regression comparing
    rates of recurrent events with unequal follow-up time. J Biopharm Stat
    2015;25:1100-13, doi:10.1080/10543406.2014.971167.

    Examples
    --------
    >>> import lupusstats as ls
    >>> p = ls.power_rate_ratio(0.7, n_per_arm=150, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> round(p, 3)
    0.655
    >>> ls.power_rate_ratio([0.6, 0.7], n_per_arm=150, baseline_rate=1.0, followup_years=1.0,
    ...                     dispersion=0.5, dropout_rate=0.2).round(3)
    array([0.878, 0.618])
    """
    rr, base, fu, disp, a, alloc, drop, alternative, method_var = _formula_iv(
        rate_ratio, baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var)
    n = _v.as_float_array("n_per_arm", n_per_arm)
    if not np.isfinite(n).all() or (n < 2).any():
        raise ValueError(f"`n_per_arm` must be >= 2, got {n[~(np.isfinite(n) & (n >= 2))][:5].tolist()}.")
    rr_b, n_b = np.broadcast_arrays(rr, n)
    v1, v0 = _variances(rr_b, base, fu, disp, alloc, drop, method_var)
    power = _normal_power(np.log(rr_b), np.sqrt(v0 / n_b), np.sqrt(v1 / n_b), a, alternative)
    scalar = np.ndim(rate_ratio) == 0 and np.ndim(n_per_arm) == 0
    return float(power) if scalar else power


@dataclasses.dataclass(frozen=True)
class SampleSizeResult(ResultBase):
    """Patients needed for a target power (formula).

    Attributes
    ----------
    n_per_arm : tuple of int
        ``(n_reference, n_treated)``.
    n_total : int
    power : float
        Power achieved with these (rounded-up) numbers.
    target_power, rate_ratio, alpha, allocation : float
    expected_events : float
        Expected flares in the whole trial under the alternative.
    method : str
    """

    n_per_arm: tuple
    n_total: int
    power: float
    target_power: float
    rate_ratio: float
    alpha: float
    allocation: float
    expected_events: float
    method: str

    def to_frame(self):
        """One row: ``n_reference, n_treated, n_total, power, target_power, ...``."""
        import pandas as pd

        row = {"n_reference": self.n_per_arm[0], "n_treated": self.n_per_arm[1]}
        row.update({k: v for k, v in self._public_fields().items() if k != "n_per_arm"})
        return pd.DataFrame([row])


def sample_size_rate_ratio(rate_ratio, *, power=0.8, baseline_rate, followup_years, dispersion, alpha=0.05,
                           allocation=1.0, dropout_rate=0.0, alternative="two-sided", method_var="alt"):
    """Patients per arm for a target power of the NB rate-ratio test (Zhu & Lakkis 2014; Tang 2015).

    Solves ``n0 = (z_alpha sqrt(V0) + z_beta sqrt(V1))**2 / log(RR)**2`` (with
    ``V`` the per-patient variances of :func:`power_rate_ratio`), rounds both
    arms up, and then steps to the smallest ``n_reference`` whose power
    (:func:`power_rate_ratio`, with ``n_treated = ceil(allocation * n_reference)``)
    reaches the target.

    Parameters
    ----------
    rate_ratio : float
        Rate ratio to detect (> 0, != 1).
    power : float, default 0.8
        Target power, in (0, 1).
    baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var
        As in :func:`power_rate_ratio`.

    Returns
    -------
    SampleSizeResult
        ``n_per_arm = (n_reference, n_treated)``, ``n_total``, achieved ``power``.

    Raises
    ------
    ValueError
        Power or alpha outside (0, 1), rate ratio <= 0 or equal to 1,
        negative dispersion.

    Examples
    --------
    >>> import lupusstats as ls
    >>> res = ls.sample_size_rate_ratio(0.7, power=0.8, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> res.n_per_arm, round(res.power, 3)
    ((212, 212), 0.801)
    """
    from scipy.special import ndtri

    rr, base, fu, disp, a, alloc, drop, alternative, method_var = _formula_iv(
        rate_ratio, baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var)
    target = _check_target_power(power)
    if rr.ndim != 0:
        raise TypeError(f"`rate_ratio` must be a single number here, got shape {rr.shape}; loop over values.")
    rr = float(rr)
    if rr == 1.0:
        raise ValueError("`rate_ratio` must differ from 1 (no effect needs infinitely many patients), got 1.0.")
    if alternative == "less" and rr > 1 or alternative == "greater" and rr < 1:
        raise ValueError(f"`rate_ratio` {rr} lies on the wrong side of 1 for alternative={alternative!r}.")
    v1, v0 = (float(v) for v in _variances(rr, base, fu, disp, alloc, drop, method_var))
    za = -ndtri(a / 2.0 if alternative == "two-sided" else a)
    zb = -ndtri(1.0 - target)
    n0 = max(2, math.ceil((za * math.sqrt(v0) + zb * math.sqrt(v1)) ** 2 / math.log(rr) ** 2))

    def achieved(n):
        n1 = math.ceil(alloc * n - 1e-9)
        # power for the rounded arms: n_treated enters through an effective allocation
        return float(power_rate_ratio(rr, n_per_arm=n, baseline_rate=base, followup_years=fu, dispersion=disp,
                                      alpha=a, allocation=n1 / n, dropout_rate=drop, alternative=alternative,
                                      method_var=method_var)), n1

    p, n1 = achieved(n0)
    while p < target:
        n0 += 1
        p, n1 = achieved(n0)
    while n0 > 2:
        p_less, n1_less = achieved(n0 - 1)
        if p_less < target:
            break
        n0, p, n1 = n0 - 1, p_less, n1_less
    e0, e1 = _mean_exposure(fu, drop[0]), _mean_exposure(fu, drop[1])
    events = n0 * base * e0 + n1 * base * rr * e1
    extras = []
    if drop != (0.0, 0.0):
        extras.append(f"exponential dropout {drop[0]:g}/{drop[1]:g} per year")
    if fu.size > 1:
        extras.append("variable follow-up")
    method = (f"NB2 Wald test of log rate ratio, {alternative}; Zhu & Lakkis (2014) variance "
              f"{'under the alternative' if method_var == 'alt' else 'ftotal (method 3)'}"
              + (f"; {', '.join(extras)} (Tang 2015 expected information)" if extras else ""))
    return SampleSizeResult(n_per_arm=(int(n0), int(n1)), n_total=int(n0 + n1), power=p, target_power=target,
                            rate_ratio=rr, alpha=a, allocation=alloc, expected_events=float(events), method=method)


# =========================================================================== batch tests
def _first_event(first, followup):
    event = ~np.isnan(first)
    return np.where(event, first, followup), event


def _analyse(batch, treated, endpoint, model, alternative):
    """p-values and signed statistics (> 0: treated worse) of one batch of trials."""
    from . import rates as _rates
    from . import severity as _severity
    from . import survival as _survival

    if endpoint in ("flare_rate", "severe_flare_rate"):
        y = batch.n_flares if endpoint == "flare_rate" else batch.n_severe_flares
        res = _rates.compare_rates_batch(y, batch.followup_years, treated, model=model)
        z = res.statistic
        res_df = y.shape[1] - 2 if model == "quasipoisson" else None
        if alternative == "two-sided":
            p = res.pvalue
        else:
            from scipy import stats

            dist = stats.t(res_df) if res_df else stats.norm
            zz = np.where(np.isfinite(z), z, 0.0)
            p = dist.cdf(zz) if alternative == "less" else dist.sf(zz)
            p = np.where(np.isfinite(z), p, 1.0)
        return p, z, res.log_rate_ratio
    if endpoint in ("time_to_first_flare", "time_to_first_severe_flare"):
        first = batch.first_flare_years if endpoint == "time_to_first_flare" else batch.first_severe_flare_years
        time, event = _first_event(first, batch.followup_years)
        res = _survival.logrank_batch(time, event, treated, alternative=alternative)
        return res.pvalue, res.z, np.full(res.z.shape, np.nan)
    # severity: worst flare per patient, none < mild < moderate < severe (Brunner-Munzel)
    worst = batch.worst_severity
    counts = (worst[..., None] == np.arange(3)).astype(np.int64)
    out = _severity.compare_severity_batch(counts, np.asarray(treated), unit="patient", alternative=alternative)
    return out["pvalue"].to_numpy(), out["statistic"].to_numpy(), out["probability_superiority"].to_numpy()


# =========================================================================== simulation
@dataclasses.dataclass(frozen=True)
class PowerResult(ResultBase):
    """Power estimated by simulation.

    Attributes
    ----------
    power : float
        Share of simulated trials with ``p < alpha`` (trials where the test is
        undefined, e.g. an arm without events, count as not rejecting).
    mc_se : float
        Monte Carlo standard error ``sqrt(power (1 - power) / n_trials)``.
    ci_low, ci_high : float
        Wilson interval for the power at `confidence_level`; also
        ``confidence_interval()``.
    n_trials, n_rejected, n_undefined : int
    endpoint, model, arm, reference : str
    alpha, confidence_level : float
    mean_estimate : float
        Median over trials of the estimated log rate ratio (rate endpoints) or
        probability of superiority (severity); NaN for log-rank.
    """

    power: float
    mc_se: float
    ci_low: float = dataclasses.field(repr=False)
    ci_high: float = dataclasses.field(repr=False)
    n_trials: int
    n_rejected: int
    n_undefined: int
    endpoint: str
    model: str
    arm: str
    reference: str
    alpha: float
    alternative: str = "two-sided"
    confidence_level: float = 0.95
    median_estimate: float = math.nan
    pvalues: np.ndarray = dataclasses.field(default=None, repr=False, compare=False)

    def confidence_interval(self, confidence_level=None) -> ConfidenceInterval:
        """Wilson interval for the power (by default at the stored level)."""
        level = self.confidence_level if confidence_level is None else _v.check_confidence_level(confidence_level)
        low, high = _wilson(self.n_rejected, self.n_trials, level)
        return ConfidenceInterval(low, high)


def _wilson(k, n, level):
    from scipy.special import ndtri

    z = -ndtri((1.0 - level) / 2.0)
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return min(low, p), max(high, p)


def _two_arm(scenario, arm):
    """The reference arm and the compared arm only (other arms are not simulated)."""
    from .scenarios import Scenario

    if not isinstance(scenario, Scenario):
        raise TypeError(f"`scenario` must be a lupusstats.Scenario (see ls.preset), got {type(scenario).__name__}.")
    names = scenario.arm_names
    if len(names) < 2:
        raise ValueError(f"`scenario` needs at least two arms to compare, got {list(names)}.")
    if arm is None:
        arm = names[1]
    elif not isinstance(arm, str):
        raise TypeError(f"`arm` must be an arm name (str), one of {list(names[1:])}, got {arm!r}.")
    elif arm not in names[1:]:
        raise ValueError(f"`arm` must be a non-reference arm of the scenario, one of {list(names[1:])}, got {arm!r}.")
    if len(names) == 2:
        return scenario, arm
    j = names.index(arm)
    return scenario.replace(arms=[scenario.arms[0], scenario.arms[j]],
                            n_per_arm=(scenario.n_per_arm[0], scenario.n_per_arm[j])), arm


def _sim_iv(n_trials, endpoint, model, alpha, alternative):
    n_trials = _v.check_int("n_trials", n_trials, minimum=1)
    endpoint = _v.check_choice("endpoint", endpoint, ENDPOINTS)
    if endpoint in ("flare_rate", "severe_flare_rate"):
        model = _v.check_choice("model", model, _RATE_MODELS)
    else:
        model = {"severity": "brunner-munzel", "time_to_first_flare": "logrank",
                 "time_to_first_severe_flare": "logrank"}[endpoint]
    return n_trials, endpoint, model, _check_alpha(alpha), _v.check_alternative(alternative)


def _simulate_pvalues(sc2, n_trials, endpoint, model, alternative, rng, progress):
    """p-values of `n_trials` trials of the two-arm scenario, in fixed-size chunks with spawned streams."""
    from .simulate import simulate_trials

    chunk = max(1, _CELLS_PER_CHUNK // sc2.n_patients)
    sizes = [min(chunk, n_trials - s) for s in range(0, n_trials, chunk)]
    streams = rng.spawn(len(sizes))
    treated = np.repeat([False, True], sc2.n_per_arm)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc=f"simulate_power ({endpoint})", unit="trial")
    p_all, est_all = [], []
    try:
        for size, stream in zip(sizes, streams):
            batch = simulate_trials(sc2, size, rng=stream)
            p, _, est = _analyse(batch, treated, endpoint, model, alternative)
            p_all.append(p)
            est_all.append(est)
            if bar is not None:
                bar.update(size)
    finally:
        if bar is not None:
            bar.close()
    return np.concatenate(p_all), np.concatenate(est_all)


def simulate_power(scenario, *, n_trials, endpoint="flare_rate", model="negbin", alpha=0.05, rng=None,
                   progress=False, arm=None, alternative="two-sided", confidence_level=0.95):
    """Power of a trial design by simulation: the share of simulated trials that reject.

    Trials are drawn by :func:`lupusstats.simulate_trials` and analysed all at
    once (no Python loop over trials), in chunks of about 500,000
    patient-trials, each from its own spawned random stream.

    Parameters
    ----------
    scenario : Scenario
        The design and the assumed truth (rate ratio, dispersion, dropout ...).
    n_trials : int
        Number of simulated trials (>= 1).  The Monte Carlo SE of the power is
        at most ``0.5 / sqrt(n_trials)``.
    endpoint : {"flare_rate", "severe_flare_rate", "time_to_first_flare", "time_to_first_severe_flare", "severity"}
        ``"flare_rate"`` / ``"severe_flare_rate"``: rate ratio of all / severe
        flares from :func:`lupusstats.compare_rates_batch` with `model`;
        ``"time_to_first_flare"`` (and severe): log-rank test (as R
        ``survdiff``); ``"severity"``: each patient's worst flare (none < mild <
        moderate < severe) compared by the Brunner--Munzel test
        (:func:`lupusstats.compare_severity_batch`, ``unit="patient"``).  Note
        that this patient-level endpoint mixes flare frequency (fewer flares,
        more "none") with flare severity.
    model : {"negbin", "poisson", "quasipoisson", "robust"}
        Count model for the rate endpoints (ignored otherwise).
    alpha : float, default 0.05
        Significance level, in (0, 1).
    rng : None, int, SeedSequence or Generator
    progress : bool, default False
        Show a tqdm progress bar (the numbers do not depend on it).
    arm : str, optional
        The arm compared with the reference (the scenario's first arm).  Default:
        the first non-reference arm.  Other arms are not simulated.
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the treated arm has fewer flares / later flares / milder
        worst flares.
    confidence_level : float, default 0.95
        Level of the Wilson interval for the power.

    Returns
    -------
    PowerResult
        ``power``, ``mc_se``, ``confidence_interval()``, ``n_trials``,
        ``n_rejected``, per-trial ``pvalues``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.7)],
    ...                  n_per_arm=100, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> res = ls.simulate_power(sc, n_trials=2000, rng=1)
    >>> round(res.power, 2), round(res.mc_se, 3)
    (0.5, 0.011)
    """
    n_trials, endpoint, model, alpha, alternative = _sim_iv(n_trials, endpoint, model, alpha, alternative)
    cl = _v.check_confidence_level(confidence_level)
    sc2, arm = _two_arm(scenario, arm)
    rng = np.random.default_rng(rng)
    p, est = _simulate_pvalues(sc2, n_trials, endpoint, model, alternative, rng, progress)
    return _power_result(p, est, n_trials, endpoint, model, arm, sc2.arm_names[0], alpha, alternative, cl)


def _power_result(p, est, n_trials, endpoint, model, arm, reference, alpha, alternative, cl):
    undefined = ~np.isfinite(p)
    rejected = int(np.sum(np.where(undefined, False, p < alpha)))
    power = rejected / n_trials
    low, high = _wilson(rejected, n_trials, cl)
    finite = est[np.isfinite(est)]
    return PowerResult(power=power, mc_se=math.sqrt(power * (1 - power) / n_trials), ci_low=low, ci_high=high,
                       n_trials=n_trials, n_rejected=rejected, n_undefined=int(undefined.sum()), endpoint=endpoint,
                       model=model, arm=arm, reference=reference, alpha=alpha, alternative=alternative,
                       confidence_level=cl, median_estimate=float(np.median(finite)) if finite.size else math.nan,
                       pvalues=p)


# =========================================================================== sample size by simulation
@dataclasses.dataclass(frozen=True)
class SimulatedSampleSizeResult(ResultBase):
    """Reference-arm size reaching the target power, from a probit fit to simulated power.

    Attributes
    ----------
    n_per_arm : tuple of int
        ``(n_reference, n_treated)`` at the answer.
    power, mc_se : float
        Simulated power at the answer (an independent run) and its Monte Carlo SE.
    target_power : float
    intercept, slope : float
        The fitted power curve ``Phi(intercept + slope * sqrt(n_reference))``.
    steps : DataFrame
        Every size evaluated: ``n_reference, n_treated, power, mc_se, ci_low,
        ci_high, fitted``.
    """

    n_per_arm: tuple
    power: float
    mc_se: float
    target_power: float
    n_trials: int
    endpoint: str
    model: str
    intercept: float
    slope: float
    steps: object = dataclasses.field(repr=False, compare=False)

    def to_frame(self):
        """One row: ``n_reference, n_treated, power, mc_se, target_power, ...``."""
        import pandas as pd

        row = {"n_reference": self.n_per_arm[0], "n_treated": self.n_per_arm[1]}
        row.update({k: v for k, v in self._public_fields().items() if k not in ("n_per_arm", "steps")})
        return pd.DataFrame([row])


def _probit_fit(n, k, m):
    """Binomial ML fit of P(reject) = Phi(a + b sqrt(n)) to k rejections of m trials at each size n."""
    from scipy import optimize
    from scipy.special import log_ndtr, ndtri

    x = np.sqrt(np.asarray(n, dtype=float))
    k = np.asarray(k, dtype=float)
    m = np.asarray(m, dtype=float)
    p = np.clip((k + 0.5) / (m + 1.0), 1e-4, 1 - 1e-4)
    b0, a0 = np.polyfit(x, ndtri(p), 1) if np.unique(x).size > 1 else (0.0, float(ndtri(p[0])))

    def nll(theta):
        eta = theta[0] + theta[1] * x
        return -float(np.sum(k * log_ndtr(eta) + (m - k) * log_ndtr(-eta)))

    res = optimize.minimize(nll, np.array([a0, b0]), method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    return float(res.x[0]), float(res.x[1])


def simulate_sample_size(scenario, *, power=0.8, n_trials=1000, endpoint="flare_rate", model="negbin", alpha=0.05,
                         rng=None, arm=None, alternative="two-sided", n_start=None, n_max=5000, n_rounds=3,
                         progress=False):
    """Sample size for a target power by simulation, from a probit fit to simulated power.

    Bisection on noisy power estimates stops at a lucky crossing (near 80% the
    power curve is flat, so one Monte Carlo SE moves the crossing by many
    patients).  Instead every evaluated size uses its own independent stream,
    and all of them inform one fitted curve ``power(n) = Phi(a + b sqrt(n))``
    -- the large-sample form of a Wald test's power, ``Phi(|effect| sqrt(n) /
    sd - z)`` -- fitted by binomial maximum likelihood:

    1. bracket the target: start at `n_start`, halve or double until one size
       is below and one above the target;
    2. fit, solve ``a + b sqrt(n) = Phi^-1(power)``, simulate at that size, refit
       (`n_rounds` times, stopping when the answer repeats);
    3. report the fitted size and an independent simulated power there.

    The allocation ratio of the scenario (treated : reference) is kept.

    Parameters
    ----------
    scenario : Scenario
    power : float, default 0.8
        Target power, in (0, 1).
    n_trials : int, default 1000
        Simulated trials per size evaluated.
    endpoint, model, alpha, arm, alternative
        As in :func:`simulate_power`.
    rng : None, int, SeedSequence or Generator
    n_start : int, optional
        First size tried (default: the formula answer for the flare-rate
        endpoint, else 50).
    n_max : int, default 5000
        Give up above this reference-arm size (``ValueError``).
    n_rounds : int, default 3
        Refinement rounds after bracketing.
    progress : bool
        One tqdm bar per evaluated size.

    Returns
    -------
    SimulatedSampleSizeResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.6)],
    ...                  n_per_arm=50, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> res = ls.simulate_sample_size(sc, power=0.8, n_trials=400, rng=2)
    >>> 80 < res.n_per_arm[0] < 130
    True
    """
    import pandas as pd
    from scipy.special import ndtr, ndtri

    target = _check_target_power(power)
    n_trials, endpoint, model, alpha, alternative = _sim_iv(n_trials, endpoint, model, alpha, alternative)
    n_max = _v.check_int("n_max", n_max, minimum=3)
    n_rounds = _v.check_int("n_rounds", n_rounds, minimum=1)
    sc2, arm = _two_arm(scenario, arm)
    ratio = sc2.n_per_arm[1] / sc2.n_per_arm[0]
    root = np.random.default_rng(rng)
    if n_start is None:
        n_start = 50
        if endpoint == "flare_rate":
            f = _formula_for(sc2)
            if f["rate_ratio"] != 1.0:
                try:
                    n_start = sample_size_rate_ratio(f.pop("rate_ratio"), power=target, alpha=alpha,
                                                     alternative=alternative, **f).n_per_arm[0]
                except ValueError:
                    n_start = 50
    n_start = min(max(_v.check_int("n_start", n_start, minimum=2), 2), n_max)
    evals = []

    def evaluate(n):
        n1 = max(1, math.ceil(ratio * n - 1e-9))
        p, est = _simulate_pvalues(sc2.replace(n_per_arm=(n, n1)), n_trials, endpoint, model, alternative,
                                   root.spawn(1)[0], progress)
        res = _power_result(p, est, n_trials, endpoint, model, arm, sc2.arm_names[0], alpha, alternative, 0.95)
        evals.append((n, n1, res))
        return res.power

    # 1. bracket
    n, p = n_start, evaluate(n_start)
    if p < target:
        while p < target:
            if n >= n_max:
                raise ValueError(f"the simulated power stays below {target} up to n_max={n_max} patients per arm; "
                                 "raise `n_max` or check the assumed effect.")
            n = min(2 * n, n_max)
            p = evaluate(n)
    else:
        while p >= target and n > 2:
            n = max(2, n // 2)
            p = evaluate(n)
    # 2. fit and refine
    answer = None
    a = b = math.nan
    for _ in range(n_rounds):
        ns = [e[0] for e in evals]
        a, b = _probit_fit(ns, [e[2].n_rejected for e in evals], [n_trials] * len(evals))
        if not b > 0:
            raise ValueError("the simulated power does not increase with the sample size here; "
                             "check the scenario (is there an effect?) or raise `n_trials`.")
        new = min(max(2, math.ceil(((ndtri(target) - a) / b) ** 2)), n_max)
        if new == answer:
            break
        answer = new
        evaluate(answer)
    # 3. report the fitted size with its own simulated power
    last = [e for e in evals if e[0] == answer][-1]
    steps = pd.DataFrame([{"n_reference": n, "n_treated": n1, "power": r.power, "mc_se": r.mc_se,
                           "ci_low": r.ci_low, "ci_high": r.ci_high, "fitted": float(ndtr(a + b * math.sqrt(n)))}
                          for n, n1, r in evals])
    return SimulatedSampleSizeResult(n_per_arm=(answer, last[1]), power=last[2].power, mc_se=last[2].mc_se,
                                     target_power=target, n_trials=n_trials, endpoint=endpoint, model=model,
                                     intercept=a, slope=b, steps=steps)


# =========================================================================== grids
def _formula_for(sc2):
    """Formula inputs matching a two-arm scenario (None when the formula does not apply)."""
    ref, trt = sc2.arms
    rate0 = sc2.baseline_flare_rate * ref.flare_rate_ratio
    return {
        "rate_ratio": trt.flare_rate_ratio / ref.flare_rate_ratio,
        "baseline_rate": rate0,
        "followup_years": sc2.followup_years,
        "dispersion": sc2.dispersion,
        "allocation": sc2.n_per_arm[1] / sc2.n_per_arm[0],
        "dropout_rate": (ref.dropout_rate, trt.dropout_rate),
    }


def _apply_change(scenario, key, value, arm):
    """Apply one `vary` entry: a Scenario field, ``"<arm>:<field>"`` or ``"*:<field>"``."""
    if ":" in key:
        who, field = key.split(":", 1)
        names = scenario.arm_names if who == "*" else [arm if who == "<treated>" else who]
        for name in names:
            scenario = scenario.with_arm(name, **{field: value})
        return scenario
    return scenario.replace(**{key: value})


def _grid_cell(payload):
    """Simulate one grid cell (runs in a worker): returns the cell's row."""
    sc, changes, options, stream = payload
    arm = options["arm"]
    for key, value in changes.items():
        if key == "rate_ratio":
            continue
        if key == "n_per_arm":
            sc = sc.replace(n_per_arm=value)
        else:
            sc = _apply_change(sc, key, value, arm)
    if "rate_ratio" in changes:
        sc = sc.with_arm(arm, flare_rate_ratio=changes["rate_ratio"])
    res = simulate_power(sc, n_trials=options["n_trials"], endpoint=options["endpoint"], model=options["model"],
                         alpha=options["alpha"], rng=stream, arm=arm, alternative=options["alternative"])
    row = {"power": res.power, "mc_se": res.mc_se, "ci_low": res.ci_low, "ci_high": res.ci_high,
           "n_trials": res.n_trials, "n_undefined": res.n_undefined}
    row["power_formula"] = math.nan
    if options["endpoint"] == "flare_rate" and options["model"] == "negbin":
        f = _formula_for(_two_arm(sc, arm)[0])
        row["power_formula"] = power_rate_ratio(f.pop("rate_ratio"), n_per_arm=_two_arm(sc, arm)[0].n_per_arm[0],
                                                alpha=options["alpha"], alternative=options["alternative"], **f)
    return row


def power_grid(scenario, *, n_per_arm, rate_ratio, n_trials, rng=None, backend="serial", vary=None,
               endpoint="flare_rate", model="negbin", alpha=0.05, arm=None, alternative="two-sided",
               n_workers=None, client=None, progress=False):
    """Simulated power over a grid of designs: n per arm x rate ratio (x any scenario parameter).

    Every cell is an independent :func:`simulate_power` run with its own random
    stream, spawned from `rng` in grid order (``SeedSequence.spawn``), so the
    table is the same whatever the backend and the number of workers.

    Parameters
    ----------
    scenario : Scenario
        The base design; grid values replace its parameters cell by cell.
    n_per_arm : list of int (or of per-arm tuples)
        Sizes; an int gives every arm that many patients.
    rate_ratio : list of float
        Flare rate ratios (> 0), set on the compared arm (`arm`); other
        non-reference arms are not simulated.
    n_trials : int
        Simulated trials per cell.
    rng : None, int, SeedSequence or Generator
    backend : {"serial", "processes", "dask"}
        ``"processes"``: ``concurrent.futures.ProcessPoolExecutor`` on
        `n_workers` local processes (default: all cores).  ``"dask"``: the
        ``dask.distributed`` `client` passed in (a cluster of any size), or a
        temporary ``LocalCluster`` with `n_workers` processes.  Dask is the
        optional extra ``pip install lupusstats[dask]``.
    vary : mapping of str to list, optional
        More grid axes.  Keys: a Scenario parameter (``"dispersion"``,
        ``"followup_years"``, ``"baseline_flare_rate"`` ...); ``"<arm name>:<arm
        parameter>"`` for one arm (e.g. ``"standard care:dropout_rate"``);
        ``"*:<arm parameter>"`` for every arm (e.g. ``"*:dropout_rate"``);
        ``"<treated>:<arm parameter>"`` for the compared arm (e.g.
        ``"<treated>:severity_odds_ratio"``).  Grid columns carry these keys.
    endpoint, model, alpha, arm, alternative
        As in :func:`simulate_power`.
    n_workers : int, optional
    client : dask.distributed.Client, optional
    progress : bool
        tqdm bar over cells (serial and processes backends).

    Returns
    -------
    DataFrame
        One row per cell: ``n_per_arm, rate_ratio``, one column per `vary` key,
        then ``power, mc_se, ci_low, ci_high`` (95% Wilson), ``n_trials,
        n_undefined`` and ``power_formula`` (:func:`power_rate_ratio` for the
        same design; NaN unless ``endpoint="flare_rate"`` and ``model="negbin"``;
        treatment-related deaths are not in the formula).

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug")], n_per_arm=50,
    ...                  baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> grid = ls.power_grid(sc, n_per_arm=[50, 100], rate_ratio=[0.6, 0.8], n_trials=200, rng=1)
    >>> grid.shape[0], list(grid.columns[:4])
    (4, ['n_per_arm', 'rate_ratio', 'power', 'mc_se'])
    """
    import pandas as pd

    n_trials, endpoint, model, alpha, alternative = _sim_iv(n_trials, endpoint, model, alpha, alternative)
    backend = _v.check_choice("backend", backend, _BACKENDS)
    _, arm = _two_arm(scenario, arm)
    axes = {"n_per_arm": _grid_values("n_per_arm", n_per_arm), "rate_ratio": _grid_values("rate_ratio", rate_ratio)}
    for r in axes["rate_ratio"]:
        _v.check_positive("rate_ratio", r)
    for n in axes["n_per_arm"]:
        if isinstance(n, (tuple, list)):
            for i, m in enumerate(n):
                _v.check_int(f"n_per_arm[{i}]", m, minimum=1)
        else:
            _v.check_int("n_per_arm", n, minimum=1)
    if vary is not None:
        if not isinstance(vary, Mapping):
            raise TypeError(f"`vary` must be a mapping of parameter name to a list of values, got {type(vary).__name__}.")
        for key, values in vary.items():
            if key in axes:
                raise ValueError(f"`vary` must not repeat {key!r}; pass it as its own argument.")
            axes[key] = _grid_values(f"vary[{key!r}]", values)
            _apply_change(scenario, key, axes[key][0], arm)  # fail early on an unknown parameter
    if n_workers is not None:
        n_workers = _v.check_int("n_workers", n_workers, minimum=1)
    cells = [dict(zip(axes, combo)) for combo in itertools.product(*axes.values())]
    streams = np.random.default_rng(rng).spawn(len(cells))
    options = {"arm": arm, "n_trials": n_trials, "endpoint": endpoint, "model": model, "alpha": alpha,
               "alternative": alternative}
    payloads = [(scenario, cell, options, stream) for cell, stream in zip(cells, streams)]  # Scenario pickles
    rows = _run(payloads, backend, n_workers, client, progress)
    frame = pd.DataFrame([{**{k: (v if not isinstance(v, list) else tuple(v)) for k, v in c.items()}, **r}
                          for c, r in zip(cells, rows)])
    frame["endpoint"] = endpoint
    frame["model"] = model
    return frame


def _grid_values(name, values):
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"`{name}` must be a list of values, got {values!r}.")
    values = list(values.tolist() if isinstance(values, np.ndarray) else values)
    if not values:
        raise ValueError(f"`{name}` must hold at least one value, got an empty list.")
    return values


def _run(payloads, backend, n_workers, client, progress):
    if backend == "serial":
        it = map(_grid_cell, payloads)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, total=len(payloads), desc="power_grid", unit="cell")
        return list(it)
    if backend == "processes":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        workers = n_workers or os.cpu_count() or 1
        # "spawn"/"forkserver" avoid forking a process that may hold threads (BLAS, Jupyter)
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
            it = pool.map(_grid_cell, payloads)
            if progress:
                from tqdm.auto import tqdm

                it = tqdm(it, total=len(payloads), desc="power_grid", unit="cell")
            return list(it)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install 'lupusstats[dask]'.") from None
    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(f"`client` must be a dask.distributed.Client, got {type(client).__name__}.")
        futures = client.map(_grid_cell, payloads, pure=False)
        return client.gather(futures)
    workers = n_workers or os.cpu_count() or 1
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as own:
        futures = own.map(_grid_cell, payloads, pure=False)
        return own.gather(futures)
