"""Cox proportional hazards (Efron ties) and restricted mean survival time for :mod:`lupusstats.survival`.

Private; the public names are re-exported by ``lupusstats.survival``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import EstimateResult
from lupusstats.survival.data import _check_reference, _km_one, _survival_iv

if TYPE_CHECKING:
    import pandas as pd


def _normal_interval(level: float, centre, se, log_scale):
    """Wald interval ``centre -/+ z se`` at `level` (exponentiated when `log_scale`)."""
    return _inf.wald_interval(centre, se, level, back=np.exp if log_scale else None)


# ---------------------------------------------------------------------------
# Cox proportional hazards
# ---------------------------------------------------------------------------


def _efron_tables(t, e, codes):
    """Sufficient statistics of the Efron partial likelihood for group indicators.

    With only group indicators as covariates the Efron partial likelihood
    depends on the data through the numbers at risk ``R[j, g]`` and the events
    ``D[j, g]`` per distinct event time j and group g:
    ``loglik = sum_g beta_g O_g - sum_j sum_{l<d_j} log sum_g (R_jg - l/d_j D_jg) exp(beta_g)``.
    This is the likelihood R ``coxph(ties="efron")`` and statsmodels
    ``PHReg(ties="efron")`` maximise (the tests check both), written out here
    because PHReg loops over event times in Python (~0.1 s per fit), too slow
    for calibration over hundreds of simulated trials.  Returns ``(C, O)``: the
    weights ``R_jg - l/d_j D_jg`` (one row per event) and the events per group.
    """
    k = int(codes.max()) + 1
    times, inverse = np.unique(t, return_inverse=True)
    D = np.zeros((times.size, k))
    at = np.zeros((times.size, k))
    np.add.at(D, (inverse, codes), e.astype(float))
    np.add.at(at, (inverse, codes), 1.0)
    R = at[::-1].cumsum(axis=0)[::-1]
    keep = D.sum(axis=1) > 0
    D, R = D[keep], R[keep]
    d = D.sum(axis=1).astype(int)
    idx = np.repeat(np.arange(d.size), d)
    ell = np.arange(idx.size) - np.repeat(np.cumsum(d) - d, d)
    return R[idx] - (ell / d[idx])[:, None] * D[idx], D.sum(axis=0)


def _efron_parts(beta, C, O, free):
    """Log partial likelihood at the full coefficient vector `beta`, its score and information in `free`."""
    Cw = C * np.exp(beta)
    A = Cw.sum(axis=1)
    loglik = float(beta @ O - np.log(A).sum())
    P = Cw[:, free] / A[:, None]
    return loglik, O[free] - P.sum(axis=0), np.diag(P.sum(axis=0)) - P.T @ P


def _efron_newton(C, O, beta, free, *, max_iter=50, tol=1e-10):
    """Maximise over the coefficients `free` (the others stay at their value in `beta`) by Newton-Raphson.

    Step halving keeps the likelihood from falling.  Returns ``(beta, loglik,
    information, converged)``; ``converged`` is False when the iterations run
    out or a coefficient runs past 15 (R ``coxph``: "beta may be infinite"),
    and `loglik` is then the value reached, within about ``exp(-|beta|)`` of
    the supremum when the likelihood is monotone.
    """
    beta = np.array(beta, dtype=float)
    loglik, score, info = _efron_parts(beta, C, O, free)
    if free.size == 0:
        return beta, loglik, info, True
    for _ in range(max_iter):
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            return beta, loglik, info, False
        new = beta.copy()
        new[free] += step
        new_loglik, new_score, new_info = _efron_parts(new, C, O, free)
        halvings = 0
        while new_loglik < loglik - 1e-12 and halvings < 30:
            step /= 2
            new = beta.copy()
            new[free] += step
            new_loglik, new_score, new_info = _efron_parts(new, C, O, free)
            halvings += 1
        done = abs(new_loglik - loglik) <= tol * (abs(loglik) + tol)
        beta, loglik, score, info = new, new_loglik, new_score, new_info
        if done:
            return beta, loglik, info, bool(np.abs(beta[free]).max() <= 15)
    return beta, loglik, info, False


#: Where the profile of a diverging log hazard ratio is evaluated for the supremum of the likelihood:
#: exp(-60) ~ 1e-26, far below the double-precision resolution of a log likelihood.
_INFINITE_BETA = 60.0


def _profile_loglik(b, C, O, ref_code, j):
    """Profile log partial likelihood of the coefficient of group `j` at `b` (the other groups maximised)."""
    beta = np.zeros(C.shape[1])
    beta[j] = b
    free = np.array([g for g in range(C.shape[1]) if g not in (ref_code, j)], dtype=int)
    return _efron_newton(C, O, beta, free, max_iter=200)[1]


def _profile_interval(level, C, O, ref_code, j, sup, direction):
    """Profile-likelihood interval of a hazard ratio whose estimate is 0 (`direction` -1) or infinite (+1).

    The set ``{b : 2 (sup - pl(b)) <= chi2_1(level)}`` is a half-line: open on
    the side where the coefficient diverges, and bounded on the other by the
    root of ``2 (sup - pl(b)) = chi2_1(level)`` (Brent's method).  When the
    profile never falls that far (too few events) both ends are open: ``(0, inf)``.
    """
    from scipy import optimize, stats

    q = float(stats.chi2.ppf(level, 1))

    def gap(b):
        return 2.0 * (sup - _profile_loglik(b, C, O, ref_code, j)) - q

    steps = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)  # away from the divergence, from the null outwards
    outer = next((b for b in (-direction * s for s in steps) if gap(b) > 0), None)
    if outer is None:
        return 0.0, math.inf
    ends = sorted((direction * _INFINITE_BETA, outer))
    bound = math.exp(optimize.brentq(gap, *ends, xtol=1e-12, rtol=1e-12))
    return (0.0, bound) if direction < 0 else (bound, math.inf)


def _pick_treatment(levels, reference, treatment):
    _check_reference(reference, levels)
    others = [lvl for lvl in levels if lvl != reference]
    if treatment is None:
        if len(others) != 1:
            raise ValueError(
                f"`group` has {len(levels)} groups {levels}; pass `treatment=` (one of {others}) "
                "to choose the comparison."
            )
        return others[0]
    return _check_reference(treatment, others, "treatment")


def cox_hazard_ratio(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    group: npt.ArrayLike,
    *,
    reference: Hashable,
    treatment: Hashable | None = None,
    confidence_level: float = 0.95,
) -> EstimateResult:
    """Hazard ratio of `treatment` against `reference` from a Cox model with Efron ties (R ``coxph``).

    One Cox model is fitted with an indicator for every non-reference group
    (as ``coxph(Surv(time, event) ~ group)`` with `reference` as the first
    level) by Newton-Raphson on the Efron partial likelihood, which for group
    indicators reduces to numbers at risk and events per time (equal to R
    ``coxph`` and statsmodels ``PHReg(ties="efron")``, ~100 times faster).  The interval and p-value
    are Wald, from the inverse observed information, as R's ``summary(coxph)``.

    Parameters
    ----------
    time, event, group : array-like
        Follow-up times, event indicators (0/1), group labels.
    reference : label
        The reference group.
    treatment : label, optional
        The group whose hazard ratio is returned; required with more than two groups.
    confidence_level : float

    Returns
    -------
    EstimateResult
        ``estimate`` (HR), ``se`` (of log HR), ``statistic`` (Wald z),
        ``pvalue``, ``confidence_interval()``.  When the partial likelihood is
        monotone in the treatment's coefficient (a group without events, or
        complete separation: one group's events all happen while the other
        has no one at risk) a ``RuntimeWarning`` says so, as R ``coxph``
        warns "coefficient may be infinite", and the result is what that
        means: ``estimate`` 0 or ``inf``, ``se`` ``inf``, the
        profile-likelihood interval (one end open, the other the root of
        ``2 (sup l - pl(b)) = chi2_1(level)``), and the likelihood-ratio test
        (R's "Likelihood ratio test"; ``statistic`` is its signed root).

    Raises
    ------
    ValueError
        Unknown `reference` or `treatment`, all observations censored, or
        neither `treatment` nor `reference` with an event (0/0).

    Warns
    -----
    RuntimeWarning
        Monotone likelihood (see Returns).

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.cox_hazard_ratio([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 0, 1, 1, 0, 1],
    ...                         ["a", "b", "a", "a", "b", "a", "b", "b"], reference="a")
    >>> round(r.estimate, 3), round(r.se, 3)
    (0.433, 0.933)
    """
    t, e, codes, levels = _survival_iv(time, event, group)
    cl = _v.check_confidence_level(confidence_level)
    treatment = _pick_treatment(levels, reference, treatment)
    ref_code, trt_code = levels.index(reference), levels.index(treatment)
    events_per_group = np.bincount(codes[e], minlength=len(levels))
    if events_per_group[ref_code] == 0 and events_per_group[trt_code] == 0:
        raise ValueError(
            f"neither {treatment!r} nor the reference {reference!r} has an event, so their hazard ratio is 0/0 "
            "(not defined); compare them with another reference or report the event counts."
        )
    C, O = _efron_tables(t, e, codes)
    free = np.array([g for g in range(len(levels)) if g != ref_code])
    beta_all, _, info, converged = _efron_newton(C, O, np.zeros(len(levels)), free)
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.full((free.size, free.size), np.nan)
    j = int(np.flatnonzero(free == trt_code)[0])
    bses = np.sqrt(np.abs(np.diag(cov)))
    beta, se = float(beta_all[trt_code]), float(bses[j])
    if abs(beta) > 15 or not (math.isfinite(beta) and math.isfinite(se)):
        return _cox_monotone(C, O, ref_code, trt_code, beta, str(treatment), str(reference), cl)
    if not converged:
        diverging = [levels[g] for g in free if abs(beta_all[g]) > 15]
        if not diverging:
            raise ValueError(
                "the Cox fit did not converge in 50 Newton-Raphson iterations; check `time` for extreme values."
            )
        warnings.warn(
            f"Cox model: the coefficient of group(s) {diverging} diverges (monotone likelihood: R coxph warns "
            f"'Loglik converged before variable ...; coefficient may be infinite'); the hazard ratio of "
            f"{treatment!r} vs {reference!r} is still finite and is reported with its Wald interval.",
            RuntimeWarning,
            stacklevel=2,
        )
    z = beta / se
    ci_args = (beta, se, True)
    low, high = _normal_interval(cl, *ci_args)
    return EstimateResult(
        estimate=math.exp(beta),
        ci_low=low,
        ci_high=high,
        pvalue=_inf.pvalue_from_z(z),
        statistic=z,
        se=se,
        method=f"Cox PH hazard ratio {treatment} vs {reference}, Efron ties, Wald interval",
        confidence_level=cl,
        _ci_func=_normal_interval,
        _ci_args=ci_args,
    )


def _cox_monotone(C, O, ref_code, trt_code, beta, treatment, reference, cl):
    """The Cox result when the likelihood is monotone in the treatment's log hazard ratio (it diverges).

    As R ``coxph`` (which warns "Loglik converged before variable ...;
    coefficient may be infinite"), the estimate is 0 or infinite.  The Wald
    interval and test are meaningless there (the standard error grows without
    bound), so the interval is the profile-likelihood one (one end open, the
    other finite; :func:`_profile_interval`) and the p-value is the
    likelihood-ratio test of no difference, ``2 (sup l - pl(0))`` on 1 df,
    which R prints as "Likelihood ratio test" (checked against R in the tests).
    """
    from scipy import stats

    direction = 1.0 if beta > 0 else -1.0
    sup = _profile_loglik(direction * _INFINITE_BETA, C, O, ref_code, trt_code)
    lr = max(2.0 * (sup - _profile_loglik(0.0, C, O, ref_code, trt_code)), 0.0)
    ci_args = (C, O, ref_code, trt_code, sup, direction)
    low, high = _profile_interval(cl, *ci_args)
    what = "0" if direction < 0 else "infinite"
    warnings.warn(
        f"Cox model: the partial likelihood is monotone in the log hazard ratio of {treatment!r} vs "
        f"{reference!r} (complete separation: one group has no events, or none while the other still has patients "
        f"at risk; R coxph: 'Loglik converged before variable ...; coefficient may be infinite'), so the "
        f"hazard ratio is {what}; reported with a profile-likelihood interval and a likelihood-ratio p-value.",
        RuntimeWarning,
        stacklevel=3,
    )
    return EstimateResult(
        estimate=math.inf if direction > 0 else 0.0,
        ci_low=low,
        ci_high=high,
        pvalue=float(stats.chi2.sf(lr, 1)),
        statistic=direction * math.sqrt(lr),
        se=math.inf,
        method=(
            f"Cox PH hazard ratio {treatment} vs {reference}, Efron ties; monotone likelihood: estimate "
            f"{'infinite' if direction > 0 else '0'}, profile-likelihood interval, likelihood-ratio test "
            "(statistic: its signed root)"
        ),
        confidence_level=cl,
        _ci_func=_profile_interval,
        _ci_args=ci_args,
    )


# ---------------------------------------------------------------------------
# restricted mean survival time
# ---------------------------------------------------------------------------


def _rmst_one(t, e, tau):
    """RMST up to tau and its variance, the algebra of R survival:::survmean."""
    times, n_risk, n_event, _, surv, _ = _km_one(t, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(n_risk - n_event == 0, 0.0, n_event / (n_risk * (n_risk - n_event)))
    keep = times <= tau
    temptime = np.append(times[keep], tau)
    tempsurv = np.append(surv[keep], surv[keep][-1] if keep.any() else 1.0)
    hh = np.append(hh[keep], 0.0)
    delta = np.diff(np.concatenate([[0.0], temptime]))
    rectangles = delta * np.concatenate([[1.0], tempsurv[:-1]])
    var = float(np.sum(np.cumsum(rectangles[1:][::-1]) ** 2 * hh[::-1][1:]))
    return float(rectangles.sum()), var


@dataclasses.dataclass(frozen=True)
class RMSTResult(EstimateResult):
    """Difference in restricted mean survival time (treatment minus reference) up to ``tau``.

    Returned by :func:`rmst_difference`.  Besides the attributes below it has
    those of :class:`EstimateResult` (``pvalue``, ``se``, ``method`` ...) and its
    ``confidence_interval()``.

    Attributes
    ----------
    estimate : float
        ``rmst_treatment - rmst_reference``, in the time unit of the data (years
        for :func:`time_to_first_flare`).
    tau : float
        The truncation time.
    rmst_treatment, rmst_reference : float
        Each arm's restricted mean survival time: the mean time free of the
        event during the first `tau`.
    se_treatment, se_reference : float
        Their standard errors.

    Examples
    --------
    In one simulated trial of 100 per arm of a drug that cuts the flare rate by
    40%, patients on it spend 0.07 years (24 days) more of the first year free
    of flares, with an interval that does not exclude no difference:

    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.6)],
    ...                  n_per_arm=100, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> first = ls.time_to_first_flare(ls.simulate_cohort(sc, rng=1).patients)
    >>> r = ls.rmst_difference(first.time, first.event, first.arm, reference="standard care", tau=1.0)
    >>> round(r.rmst_treatment, 3), round(r.rmst_reference, 3), round(r.estimate, 3)
    (0.731, 0.666, 0.066)
    >>> [round(v, 3) for v in r.confidence_interval()]
    [-0.033, 0.164]
    """

    tau: float = math.nan
    rmst_treatment: float = math.nan
    rmst_reference: float = math.nan
    se_treatment: float = math.nan
    se_reference: float = math.nan

    def to_frame(self) -> pd.DataFrame:
        frame = super().to_frame()
        for name in ("tau", "rmst_treatment", "se_treatment", "rmst_reference", "se_reference"):
            frame[name] = getattr(self, name)
        return frame


def rmst_difference(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    group: npt.ArrayLike,
    *,
    reference: Hashable,
    treatment: Hashable | None = None,
    tau: float | None = None,
    confidence_level: float = 0.95,
) -> RMSTResult:
    """Restricted mean survival time (area under the Kaplan-Meier curve up to `tau`) difference.

    Each arm's RMST and its SE are those of R ``print(survfit(...), rmean=tau)``
    (the Greenwood-type variance of survival:::survmean); the difference
    ``treatment - reference`` has ``SE = sqrt(se_t^2 + se_r^2)`` and a Wald interval
    and z-test.  For time to flare a positive difference (longer flare-free
    time) favours treatment.

    Parameters
    ----------
    time, event, group : array-like
    reference : label
    treatment : label, optional
        Required with more than two groups.
    tau : float, optional
        Truncation time; default the smallest of the arms' largest follow-up
        times, so each curve is observed up to `tau`.  It must not exceed that.
    confidence_level : float

    Returns
    -------
    RMSTResult

    Raises
    ------
    ValueError
        Unknown group, `tau` <= 0 or beyond the shortest arm's follow-up.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.rmst_difference([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 1, 0, 1, 1, 0, 1],
    ...                        ["a", "a", "a", "a", "b", "b", "b", "b"], reference="a", tau=4)
    >>> round(r.estimate, 3), round(r.rmst_reference, 3)
    (1.5, 2.5)
    """
    t, e, codes, levels = _survival_iv(time, event, group, need_events=False)
    cl = _v.check_confidence_level(confidence_level)
    treatment = _pick_treatment(levels, reference, treatment)
    it, ir = levels.index(treatment), levels.index(reference)
    horizon = min(t[codes == it].max(), t[codes == ir].max())
    if tau is None:
        tau = float(horizon)
    else:
        tau = _v.check_positive("tau", tau)
        if tau > horizon:
            raise ValueError(
                f"`tau` must be <= {horizon:g}, the shortest arm's largest follow-up time, got {tau:g}: "
                "beyond it a Kaplan-Meier curve is not estimated."
            )
    m1, v1 = _rmst_one(t[codes == it], e[codes == it], tau)
    m0, v0 = _rmst_one(t[codes == ir], e[codes == ir], tau)
    diff, se = m1 - m0, math.sqrt(v1 + v0)
    ci_args = (diff, se, False)
    low, high = _normal_interval(cl, *ci_args)
    z = diff / se if se > 0 else math.nan
    if not se > 0:
        warnings.warn(
            f"no events before `tau` = {tau:g} in either group: both restricted means equal tau with zero "
            "variance, so the test is undefined (p-value NaN).",
            RuntimeWarning,
            stacklevel=2,
        )
    return RMSTResult(
        estimate=diff,
        ci_low=low,
        ci_high=high,
        pvalue=_inf.pvalue_from_z(z) if np.isfinite(z) else math.nan,
        statistic=z,
        se=se,
        method=f"RMST difference up to tau={tau:g} ({treatment} - {reference}), Wald interval",
        confidence_level=cl,
        _ci_func=_normal_interval,
        _ci_args=ci_args,
        tau=tau,
        rmst_treatment=m1,
        rmst_reference=m0,
        se_treatment=math.sqrt(v1),
        se_reference=math.sqrt(v0),
    )
