"""Simulated power and sample size: many trials from :func:`lupusstats.simulate_trials`, analysed at once.

The public names are re-exported by :mod:`lupusstats.power`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import ConfidenceInterval, ResultBase
from lupusstats._core.types import RNGLike
from lupusstats.effects import compare_proportions_batch
from lupusstats.endpoints.responders import responder_kernel
from lupusstats.endpoints.visits import VisitArrays
from lupusstats.model.scenario import Scenario
from lupusstats.model.simulate import TrialBatch, simulate_trials
from lupusstats.power.formula import (
    _check_alpha,
    _check_target_power,
    sample_size_proportions,
    sample_size_rate_ratio,
)
from lupusstats.rates import RATE_MODELS, compare_rates_batch
from lupusstats.severity import compare_severity_batch
from lupusstats.survival import logrank_batch

if TYPE_CHECKING:
    import pandas as pd

#: Responder endpoints from the visits model that :func:`simulate_power` accepts (every randomised
#: patient is in the denominator, as the composite estimand counts them).
_VISIT_ENDPOINTS = (
    "sri4",
    "bicla",
    "lldas",
    "doris",
    "drug_free_remission",
    "renal_response",
    "complete_renal_response",
    "alms_response",
)

_RENAL_ENDPOINTS = ("renal_response", "complete_renal_response", "alms_response")

#: Endpoints understood by :func:`simulate_power`.
ENDPOINTS = (
    "flare_rate",
    "severe_flare_rate",
    "time_to_first_flare",
    "time_to_first_severe_flare",
    "severity",
    "remission",
    *_VISIT_ENDPOINTS,
)
_CELLS_PER_CHUNK = 500_000  # patient-trials simulated and analysed at once (memory ~ tens of MB)
_VISIT_CELLS_PER_CHUNK = 50_000  # with the visits model (~0.5 kB per patient-trial for a 52-week schedule)
#: Patient-trials per random stream.  The trials are cut into blocks of this many cells, each drawn from its own
#: stream spawned from `rng`, and a chunk is a whole number of blocks: so the numbers depend on the seed and the
#: design, not on the chunk size (memory) or how the work is split.  Changing it changes every seeded result.
_CELLS_PER_STREAM = 50_000


# =========================================================================== batch tests
def _first_event(first, followup):
    event = ~np.isnan(first)
    return np.where(event, first, followup), event


def _analyse(batch, treated, endpoint, model, alternative):
    """The :class:`BatchResult` of one batch of trials for `endpoint` (p-values for `alternative`)."""
    if endpoint in ("flare_rate", "severe_flare_rate"):
        y = batch.n_flares if endpoint == "flare_rate" else batch.n_severe_flares
        return compare_rates_batch(y, batch.followup_years, treated, model=model, alternative=alternative)
    if endpoint in ("time_to_first_flare", "time_to_first_severe_flare"):
        first = batch.first_flare_years if endpoint == "time_to_first_flare" else batch.first_severe_flare_years
        time, event = _first_event(first, batch.followup_years)
        return logrank_batch(time, event, treated, alternative=alternative)
    if endpoint == "remission":
        # the arm's remission (or response) indicator; non-completers are non-remitters
        return compare_proportions_batch(batch.drug_free_remission, treated, alternative=alternative)
    if endpoint in _VISIT_ENDPOINTS:
        # responders at the last scheduled visit, composite estimand (death, dropout, rescue = non-responder)
        arrays = VisitArrays(**batch.visits)
        responder, _ = responder_kernel(arrays, endpoint, arrays.n_visits - 1)
        return compare_proportions_batch(responder, treated, alternative=alternative)
    # severity: worst flare per patient, none < mild < moderate < severe (Brunner-Munzel)
    worst = batch.worst_severity
    counts = (worst[..., None] == np.arange(3)).astype(np.int64)
    return compare_severity_batch(counts, np.asarray(treated), unit="patient", alternative=alternative)


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
    alternative : str
    median_estimate : float
        Median over trials of the estimated log rate ratio (rate endpoints),
        log hazard ratio (time to first flare: the Peto estimate of
        :func:`lupusstats.logrank_batch`), probability of superiority
        (severity) or risk difference (remission); trials with an infinite
        estimate are left out.
    pvalues : ndarray
        The p-value of each simulated trial.

    Examples
    --------
    Simulated power of a 100-per-arm trial of a drug that cuts the flare rate
    by 30% agrees with the formula (:func:`power_rate_ratio`) within Monte
    Carlo error:

    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.7)],
    ...                  n_per_arm=100, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> res = ls.simulate_power(sc, n_trials=400, rng=1)
    >>> formula = ls.power_rate_ratio(0.7, n_per_arm=100, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> round(formula, 3), abs(res.power - formula) < 3 * res.mc_se
    (0.487, True)
    >>> res.pvalues.shape, res.n_rejected == int((res.pvalues < res.alpha).sum())
    ((400,), True)
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
    pvalues: np.ndarray | None = dataclasses.field(default=None, repr=False, compare=False)

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval[float]:
        """Wilson interval for the power (by default at the stored level)."""
        level = self.confidence_level if confidence_level is None else _v.check_confidence_level(confidence_level)
        low, high = _inf.wilson_interval(self.n_rejected, self.n_trials, level)
        return ConfidenceInterval(low, high)


def _two_arm(scenario, arm):
    """The reference arm and the compared arm only (other arms are not simulated)."""
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
    return scenario.replace(
        arms=[scenario.arms[0], scenario.arms[j]], n_per_arm=(scenario.n_per_arm[0], scenario.n_per_arm[j])
    ), arm


def _check_renal(scenario, endpoint):
    """A renal endpoint needs a nephritis scenario (UPCR and eGFR in the visits)."""
    if endpoint in _RENAL_ENDPOINTS and not scenario.activity.renal:
        raise ValueError(
            f"`endpoint` {endpoint!r} needs a nephritis scenario whose visits carry UPCR and eGFR "
            "(`scenario.activity.renal`), e.g. ls.preset('nephritis_induction') or ls.preset('bliss_ln')."
        )


def _sim_iv(n_trials, endpoint, model, alpha, alternative):
    n_trials = _v.check_int("n_trials", n_trials, minimum=1)
    endpoint = _v.check_choice("endpoint", endpoint, ENDPOINTS)
    if endpoint in ("flare_rate", "severe_flare_rate"):
        model = _v.check_choice("model", model, RATE_MODELS)
    else:
        model = {
            "severity": "brunner-munzel",
            "time_to_first_flare": "logrank",
            "time_to_first_severe_flare": "logrank",
            "remission": "score",
        }.get(endpoint, "score")
    return n_trials, endpoint, model, _check_alpha(alpha), _v.check_alternative(alternative)


def _join_trials(arrays: list[np.ndarray]) -> np.ndarray:
    """Per-trial arrays joined on axis 0; one value everywhere (a broadcast view, e.g. the follow-up
    without dropout) stays a broadcast view, so a chunk of one block and of several hold the same kind of
    array (sums over a broadcast view and over its copy can differ in the last bit)."""
    first = arrays[0]
    if all(not any(a.strides) for a in arrays) and all(a.flat[0] == first.flat[0] for a in arrays):
        return np.broadcast_to(first.flat[0], (sum(len(a) for a in arrays), *first.shape[1:]))
    return np.concatenate(arrays)


def _concat_batches(batches: list[TrialBatch]) -> TrialBatch:
    """One TrialBatch of the trials of several (same scenario), in order: per-trial arrays joined on axis 0."""
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    fields = {f.name: getattr(first, f.name) for f in dataclasses.fields(first)}
    per_patient = {"arm", "arm_names", "scenario", "adverse_events", "visits"}
    for name in fields.keys() - per_patient:
        fields[name] = _join_trials([getattr(b, name) for b in batches])
    fields["adverse_events"] = {k: np.concatenate([b.adverse_events[k] for b in batches]) for k in first.adverse_events}
    if first.visits is not None:
        fields["visits"] = {
            k: v if k == "week" else np.concatenate([b.visits[k] for b in batches])  # type: ignore[index]
            for k, v in first.visits.items()
        }
    return TrialBatch(**fields)


def _simulate_pvalues(sc2, n_trials, endpoint, model, alternative, rng, progress):
    """p-values of `n_trials` trials of the two-arm scenario: blocks of trials with their own streams, in chunks.

    The trials are drawn in blocks of ``_CELLS_PER_STREAM // n_patients``
    trials, block i from the i-th stream spawned from `rng`; a chunk (what is
    simulated and analysed at once) is a whole number of blocks, so the chunk
    size changes memory and speed, never the numbers.
    """
    # "remission" is the patients' drug_free_remission: from the visits when no arm has a remission probability
    visits = endpoint in _VISIT_ENDPOINTS or (
        endpoint == "remission" and all(a.remission_probability == 0 for a in sc2.arms)
    )
    block = max(1, _CELLS_PER_STREAM // sc2.n_patients)
    per_chunk = max(1, (_VISIT_CELLS_PER_CHUNK if visits else _CELLS_PER_CHUNK) // (block * sc2.n_patients))
    sizes = [min(block, n_trials - s) for s in range(0, n_trials, block)]
    streams = rng.spawn(len(sizes))
    treated = np.repeat([False, True], sc2.n_per_arm)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_trials, desc=f"simulate_power ({endpoint})", unit="trial")
    p_all, est_all = [], []
    try:
        for start in range(0, len(sizes), per_chunk):
            chunk = zip(sizes[start : start + per_chunk], streams[start : start + per_chunk], strict=True)
            parts = [simulate_trials(sc2, size, rng=stream, visits=visits) for size, stream in chunk]
            batch = _concat_batches(parts)
            res = _analyse(batch, treated, endpoint, model, alternative)
            with np.errstate(divide="ignore"):
                est = np.log(res.estimate) if res.scale == "log" else res.estimate
            p_all.append(res.pvalue)
            est_all.append(est)
            if bar is not None:
                bar.update(batch.n_trials)
    finally:
        if bar is not None:
            bar.close()
    return np.concatenate(p_all), np.concatenate(est_all)


def simulate_power(
    scenario: Scenario,
    *,
    n_trials: int,
    endpoint: str = "flare_rate",
    model: str = "negbin",
    alpha: float = 0.05,
    rng: RNGLike = None,
    progress: bool = False,
    arm: str | None = None,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> PowerResult:
    """Power of a trial design by simulation: the share of simulated trials that reject.

    Trials are drawn by :func:`lupusstats.simulate_trials` and analysed all at
    once (no Python loop over trials), in chunks of about 500,000
    patient-trials; the trials are drawn in blocks of about 50,000
    patient-trials, each from its own random stream spawned from `rng`, so
    the same seed gives the same trials whatever the chunk size.

    Parameters
    ----------
    scenario : Scenario
        The design and the assumed truth (rate ratio, dispersion, dropout ...).
    n_trials : int
        Number of simulated trials (>= 1).  The Monte Carlo SE of the power is
        at most ``0.5 / sqrt(n_trials)``.
    endpoint : {"flare_rate", "severe_flare_rate", "time_to_first_flare", "time_to_first_severe_flare", \
"severity", "remission"}
        ``"flare_rate"`` / ``"severe_flare_rate"``: rate ratio of all / severe
        flares from :func:`lupusstats.compare_rates_batch` with `model`;
        ``"time_to_first_flare"`` (and severe): log-rank test (as R
        ``survdiff``); ``"severity"``: each patient's worst flare (none < mild <
        moderate < severe) compared by the Brunner--Munzel test
        (:func:`lupusstats.compare_severity_batch`, ``unit="patient"``).  Note
        that this patient-level endpoint mixes flare frequency (fewer flares,
        more "none") with flare severity: with no severity effect
        (``severity_odds_ratio = 1``) its power is the power to detect that
        fewer treated patients flare at all.  ``"remission"``: the share of
        patients in remission (``TrialBatch.drug_free_remission``: from each
        arm's ``remission_probability``; when no arm has one, drug-free
        remission at the last visit from the visits model, the same as
        ``"drug_free_remission"``) compared by the score z-test of
        :func:`lupusstats.compare_proportions_batch`, whose power the formula
        :func:`lupusstats.power_proportions` gives; patients who do not
        complete count as non-remitters.  ``"sri4"``, ``"bicla"``, ``"lldas"``,
        ``"doris"``, ``"drug_free_remission"``: responders at the last
        scheduled visit of the visits model (composite estimand: death,
        dropout and rescue count as non-response; definitions in
        ``lupusstats.endpoints``), compared by the same score test;
        ``"renal_response"`` (BLISS-LN primary efficacy renal response),
        ``"complete_renal_response"`` and ``"alms_response"`` likewise, for a
        nephritis scenario (``activity.renal``: the visits carry UPCR and
        eGFR), e.g. ``ls.preset("nephritis_induction")`` with ``"alms_response"``.
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
        worst flares / fewer remissions.
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
    _check_renal(sc2, endpoint)
    _v.check_rng(rng)
    rng = np.random.default_rng(rng)
    p, est = _simulate_pvalues(sc2, n_trials, endpoint, model, alternative, rng, progress)
    return _power_result(p, est, n_trials, endpoint, model, arm, sc2.arm_names[0], alpha, alternative, cl)


def _power_result(p, est, n_trials, endpoint, model, arm, reference, alpha, alternative, cl):
    undefined = ~np.isfinite(p)
    rejected = int(np.sum(np.where(undefined, False, p < alpha)))
    power = rejected / n_trials
    low, high = _inf.wilson_interval(rejected, n_trials, cl)
    finite = est[np.isfinite(est)]
    return PowerResult(
        power=power,
        mc_se=math.sqrt(power * (1 - power) / n_trials),
        ci_low=low,
        ci_high=high,
        n_trials=n_trials,
        n_rejected=rejected,
        n_undefined=int(undefined.sum()),
        endpoint=endpoint,
        model=model,
        arm=arm,
        reference=reference,
        alpha=alpha,
        alternative=alternative,
        confidence_level=cl,
        median_estimate=float(np.median(finite)) if finite.size else math.nan,
        pvalues=p,
    )


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


def _proportions_formula_for(sc2):
    """Inputs of :func:`power_proportions` matching the remission endpoint of a two-arm scenario.

    ``remission_probability`` is already the share of all randomised patients
    (non-completers are non-remitters in the simulator), so no dropout is applied.
    """
    ref, trt = sc2.arms
    return {
        "p_treated": trt.remission_probability,
        "p_reference": ref.remission_probability,
        "allocation": sc2.n_per_arm[1] / sc2.n_per_arm[0],
    }


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
    n_trials : int
        Simulated trials per size evaluated.
    endpoint, model : str
    intercept, slope : float
        The fitted power curve ``Phi(intercept + slope * sqrt(n_reference))``.
    steps : DataFrame
        Every size evaluated: ``n_reference, n_treated, power, mc_se, ci_low,
        ci_high`` (Wilson interval of that power), ``fitted``.
    ci_low, ci_high : float
        Confidence interval for the *size* (not the power): the reference-arm size at which the fitted
        curve reaches the target (``confidence_interval()``): the sizes ``n``
        where the Wald interval of the fitted probit ``a + b sqrt(n)`` contains
        ``Phi^-1(target)`` (the inverse-prediction, Fieller-type interval; the
        covariance of ``(a, b)`` is the inverse expected Fisher information of
        the binomial fit).  It is the Monte Carlo uncertainty of the answer:
        report the size with it, or rounded to what it supports.  It is ``(0,
        inf)`` when the fitted slope is not clearly positive.
    confidence_level : float
        Of that interval.
    covariance : tuple of tuple of float
        Covariance matrix of ``(intercept, slope)``.

    Examples
    --------
    For a 40% cut in the flare rate, the simulated answer agrees with the
    formula (:func:`sample_size_rate_ratio`):

    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.6)],
    ...                  n_per_arm=50, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> res = ls.simulate_sample_size(sc, power=0.8, n_trials=400, rng=2)
    >>> formula = ls.sample_size_rate_ratio(0.6, power=0.8, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> formula.n_per_arm, abs(res.n_per_arm[0] - formula.n_per_arm[0]) <= 10
    ((111, 111), True)
    >>> list(res.steps.columns)
    ['n_reference', 'n_treated', 'power', 'mc_se', 'ci_low', 'ci_high', 'fitted']
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
    ci_low: float = math.nan
    ci_high: float = math.nan
    confidence_level: float = 0.95
    covariance: tuple = dataclasses.field(default=((math.nan, math.nan), (math.nan, math.nan)), repr=False)

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval[float]:
        """Interval for the reference-arm size reaching the target power (by default at the stored level)."""
        level = self.confidence_level if confidence_level is None else _v.check_confidence_level(confidence_level)
        return ConfidenceInterval(*_n_interval(self.intercept, self.slope, self.covariance, self.target_power, level))

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n_reference, n_treated, power, mc_se, target_power, ...``."""
        import pandas as pd

        row = {"n_reference": self.n_per_arm[0], "n_treated": self.n_per_arm[1]}
        row.update({k: v for k, v in self._public_fields().items() if k not in ("n_per_arm", "steps", "covariance")})
        return pd.DataFrame([row])


def _probit_covariance(a, b, n, m):
    """Inverse expected Fisher information of ``(a, b)`` in ``P(reject) = Phi(a + b sqrt(n))``, m trials per size."""
    from scipy.special import log_ndtr

    x = np.sqrt(np.asarray(n, dtype=float))
    eta = a + b * x
    # phi(eta)^2 / (Phi(eta) (1 - Phi(eta))), on the log scale for extreme eta
    log_w = 2.0 * (-0.5 * eta**2 - 0.5 * math.log(2.0 * math.pi)) - log_ndtr(eta) - log_ndtr(-eta)
    w = np.asarray(m, dtype=float) * np.exp(log_w)
    info = np.array([[w.sum(), (w * x).sum()], [(w * x).sum(), (w * x * x).sum()]])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((2, 2), np.inf)
    return tuple(tuple(float(v) for v in row) for row in cov)


def _n_interval(a, b, cov, target, level):
    """Sizes n whose fitted probit ``a + b sqrt(n)`` is within ``c`` SEs of ``Phi^-1(target)`` (Fieller).

    Solves ``(a + b x - z)^2 <= c^2 Var(a + b x)`` for ``x = sqrt(n)``; the set is
    a bounded interval when ``b^2 > c^2 Var(b)`` (the slope is clearly positive),
    otherwise it is reported as ``(0, inf)``.
    """
    from scipy.special import ndtri

    (vaa, vab), (_, vbb) = cov
    if not (np.isfinite([a, b, vaa, vab, vbb]).all() and b > 0):
        return math.nan, math.nan
    z = float(ndtri(target))
    c2 = float(_inf.critical_value(level)) ** 2
    qa = b * b - c2 * vbb
    qb = 2.0 * ((a - z) * b - c2 * vab)
    qc = (a - z) ** 2 - c2 * vaa
    if qa <= 0:
        return 0.0, math.inf  # the slope is not clearly positive: no bounded set of sizes
    disc = math.sqrt(max(qb * qb - 4.0 * qa * qc, 0.0))
    lo, hi = (-qb - disc) / (2.0 * qa), (-qb + disc) / (2.0 * qa)
    return max(lo, 0.0) ** 2, hi**2


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

    res = optimize.minimize(
        nll, np.array([a0, b0]), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000}
    )
    return float(res.x[0]), float(res.x[1])


def simulate_sample_size(
    scenario: Scenario,
    *,
    power: float = 0.8,
    n_trials: int = 1000,
    endpoint: str = "flare_rate",
    model: str = "negbin",
    alpha: float = 0.05,
    rng: RNGLike = None,
    arm: str | None = None,
    alternative: str = "two-sided",
    n_start: int | None = None,
    n_max: int = 5000,
    n_rounds: int = 3,
    progress: bool = False,
    confidence_level: float = 0.95,
) -> SimulatedSampleSizeResult:
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
    3. report the fitted size and an independent simulated power there, with
       a confidence interval for the size (``confidence_interval()``: the
       sizes whose fitted power is compatible with the target, from the
       covariance of the fit).  The size is known only to within that
       interval; quote it with the interval or rounded to what it supports.

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
        First size tried (default: the formula answer for the flare-rate and
        remission endpoints, else 50).
    n_max : int, default 5000
        Give up above this reference-arm size (``ValueError``).
    n_rounds : int, default 3
        Refinement rounds after bracketing.
    progress : bool
        One tqdm bar per evaluated size.
    confidence_level : float, default 0.95
        Of the interval for the size.

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
    >>> low, high = res.confidence_interval()
    >>> bool(low < res.n_per_arm[0] < high)
    True
    """
    import pandas as pd
    from scipy.special import ndtr, ndtri

    target = _check_target_power(power)
    n_trials, endpoint, model, alpha, alternative = _sim_iv(n_trials, endpoint, model, alpha, alternative)
    n_max = _v.check_int("n_max", n_max, minimum=3)
    n_rounds = _v.check_int("n_rounds", n_rounds, minimum=1)
    cl = _v.check_confidence_level(confidence_level)
    sc2, arm = _two_arm(scenario, arm)
    _check_renal(sc2, endpoint)
    ratio = sc2.n_per_arm[1] / sc2.n_per_arm[0]
    _v.check_rng(rng)
    root = np.random.default_rng(rng)
    if n_start is None:
        n_start = 50
        if endpoint == "flare_rate":
            f = _formula_for(sc2)
            if f["rate_ratio"] != 1.0:
                try:
                    n_start = sample_size_rate_ratio(
                        f.pop("rate_ratio"), power=target, alpha=alpha, alternative=alternative, **f
                    ).n_per_arm[0]
                except ValueError:
                    n_start = 50
        elif endpoint == "remission":
            f = _proportions_formula_for(sc2)
            if f["p_treated"] != f["p_reference"] and 0 < f["p_reference"] < 1:
                try:
                    n_start = sample_size_proportions(
                        f.pop("p_treated"), power=target, alpha=alpha, alternative=alternative, **f
                    ).n_per_arm[0]
                except ValueError:
                    n_start = 50
    n_start = min(max(_v.check_int("n_start", n_start, minimum=2), 2), n_max)
    evals = []

    def evaluate(n):
        n1 = max(1, math.ceil(ratio * n - 1e-9))
        p, est = _simulate_pvalues(
            sc2.replace(n_per_arm=(n, n1)), n_trials, endpoint, model, alternative, root.spawn(1)[0], progress
        )
        res = _power_result(p, est, n_trials, endpoint, model, arm, sc2.arm_names[0], alpha, alternative, 0.95)
        evals.append((n, n1, res))
        return res.power

    # 1. bracket
    n, p = n_start, evaluate(n_start)
    if p < target:
        while p < target:
            if n >= n_max:
                raise ValueError(
                    f"the simulated power stays below {target} up to n_max={n_max} patients per arm; "
                    "raise `n_max` or check the assumed effect."
                )
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
            raise ValueError(
                "the simulated power does not increase with the sample size here; "
                "check the scenario (is there an effect?) or raise `n_trials`."
            )
        new = min(max(2, math.ceil(((ndtri(target) - a) / b) ** 2)), n_max)
        if new == answer:
            break
        answer = new
        evaluate(answer)
    # 3. report the fitted size with its own simulated power
    last = [e for e in evals if e[0] == answer][-1]
    cov = _probit_covariance(a, b, [e[0] for e in evals], [n_trials] * len(evals))
    n_low, n_high = _n_interval(a, b, cov, target, cl)
    steps = pd.DataFrame(
        [
            {
                "n_reference": n,
                "n_treated": n1,
                "power": r.power,
                "mc_se": r.mc_se,
                "ci_low": r.ci_low,
                "ci_high": r.ci_high,
                "fitted": float(ndtr(a + b * math.sqrt(n))),
            }
            for n, n1, r in evals
        ]
    )
    return SimulatedSampleSizeResult(
        n_per_arm=(answer, last[1]),
        power=last[2].power,
        mc_se=last[2].mc_se,
        target_power=target,
        n_trials=n_trials,
        endpoint=endpoint,
        model=model,
        intercept=a,
        slope=b,
        steps=steps,
        ci_low=n_low,
        ci_high=n_high,
        confidence_level=cl,
        covariance=cov,
    )
