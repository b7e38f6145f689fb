"""One and two Poisson rates: intervals for a rate and the conditional/score/Wald tests of a rate ratio.

The public names are re-exported by :mod:`lupusstats.rates`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from lupusstats._core import distributions as _d
from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import EstimateResult
from lupusstats._core.types import FloatOrArray, Int, Real

if TYPE_CHECKING:
    import pandas as pd

_CI_METHODS = ("exact", "midp", "score", "wald")


def _bisect(f, lo, hi, n_iter=200):
    """Vectorised bisection for an increasing function f on [lo, hi] (root of f = 0)."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        pos = f(mid) > 0
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
        if np.all(hi - lo <= 1e-15 * np.maximum(np.abs(hi), 1e-300)):
            break
    return 0.5 * (lo + hi)


def _scalar_or_array(*arrays, like):
    if np.ndim(like) == 0:
        return tuple(float(a) for a in arrays)
    return arrays


# ---------------------------------------------------------------------------
# One rate


def poisson_rate_ci(
    events: npt.ArrayLike, exposure: npt.ArrayLike, *, confidence_level: float = 0.95, method: str = "exact"
) -> tuple[FloatOrArray, FloatOrArray]:
    """Confidence interval for a Poisson rate ``events / exposure``.

    Vectorised: `events` and `exposure` broadcast against each other.

    Parameters
    ----------
    events : int or array_like of int
        Event counts (>= 0).
    exposure : float or array_like
        Exposure, e.g. patient-years (> 0).
    confidence_level : float, default 0.95
    method : {"exact", "midp", "score", "wald"}
        ``"exact"``: Garwood's gamma (chi-square) interval, as R ``poisson.test``;
        ``"midp"``: mid-p exact interval (Lancaster), narrower, close to nominal;
        ``"score"``: Wilson-type score interval; ``"wald"``: ``x/T +- z sqrt(x)/T``
        truncated at 0 (degenerate at ``x = 0``; shown for comparison only).
        All but ``"midp"`` are computed by ``statsmodels.stats.rates.confint_poisson``.

    Returns
    -------
    (low, high)
        Floats for scalar input, arrays otherwise.

    Examples
    --------
    >>> import lupusstats as ls
    >>> low, high = ls.poisson_rate_ci(10, 4.5)          # R: poisson.test(10, 4.5)
    >>> round(low, 4), round(high, 4)
    (1.0657, 4.0868)
    >>> ls.poisson_rate_ci([0, 3], [2.0, 2.0], method="score")[1].round(3)
    array([1.921, 4.411])
    """
    x = _v.as_count_array("events", events)
    t = _v.as_positive_array("exposure", exposure)
    cl = _v.check_confidence_level(confidence_level)
    method = _v.check_choice("method", method, _CI_METHODS)
    try:
        xb, tb = np.broadcast_arrays(x, t)
    except ValueError:
        raise ValueError(f"`events` {x.shape} and `exposure` {t.shape} must have broadcastable shapes.") from None
    like = np.broadcast(np.asarray(events), np.asarray(exposure))
    from statsmodels.stats.rates import confint_poisson

    def statsmodels_ci(sm_method, time):
        # statsmodels returns the float 0.0 for the lower limit of a single zero count
        return (
            np.array(np.broadcast_to(v, xb.shape), dtype=float)
            for v in confint_poisson(xb, time, method=sm_method, alpha=1.0 - cl)
        )

    if method != "midp":  # statsmodels' intervals; "exact" is Garwood's "exact-c"
        low, high = statsmodels_ci({"exact": "exact-c", "score": "score", "wald": "wald"}[method], tb)
        return _scalar_or_array(low, high, like=like)
    # mid-p: vectorised here (statsmodels' "midp-c" loops in Python), bracketed by the exact interval of the count
    xf = xb.astype(float)
    a = (1.0 - cl) / 2.0
    ex_low, ex_high = statsmodels_ci("exact-c", 1.0)
    # P(X > x) + P(X = x)/2 increases in the mean; P(X < x) + P(X = x)/2 decreases.
    # (the distribution functions: scipy.stats.poisson's own ufuncs, without its per-call overhead)
    low = _bisect(lambda m: _d.poisson_sf(xf, m) + 0.5 * _d.poisson_pmf(xf, m) - a, ex_low, np.maximum(xf, 1e-300))
    low = np.where(xb > 0, low, 0.0)
    high = _bisect(lambda m: a - (_d.poisson_cdf(xf - 1, m) + 0.5 * _d.poisson_pmf(xf, m)), xf, ex_high)
    return _scalar_or_array(low / tb, high / tb, like=like)


# ---------------------------------------------------------------------------
# Two rates


@dataclasses.dataclass(frozen=True)
class RateRatioResult(EstimateResult):
    """Comparison of two Poisson rates: ``estimate = rate1 / rate2``.

    Returned by :func:`rate_ratio_test`.  Besides the attributes below it has
    those of :class:`EstimateResult` (``pvalue``, ``se``, ``method`` ...) and its
    ``confidence_interval()``.

    Attributes
    ----------
    estimate : float
        The rate ratio ``rate1 / rate2`` (treatment over reference).
    events1, exposure1 : int, float
        Events and patient-years, group 1 (treatment).
    events2, exposure2 : int, float
        Events and patient-years, group 2 (reference).
    rate1, rate2 : float
        Events per patient-year in each group.
    null_ratio : float
        The rate ratio under the null hypothesis (1 unless asked otherwise).

    Examples
    --------
    24 flares in 40 patient-years on treatment against 40 in 38.5 patient-years
    on the reference:

    >>> import lupusstats as ls
    >>> res = ls.rate_ratio_test(24, 40.0, 40, 38.5)
    >>> round(res.rate1, 3), round(res.rate2, 3), round(res.estimate, 3)
    (0.6, 1.039, 0.578)
    >>> [round(v, 3) for v in res.confidence_interval()], round(res.pvalue, 4)
    ([0.333, 0.982], 0.0336)
    """

    events1: int = 0
    exposure1: float = math.nan
    events2: int = 0
    exposure2: float = math.nan
    rate1: float = math.nan
    rate2: float = math.nan
    null_ratio: float = 1.0

    def to_frame(self) -> pd.DataFrame:
        """One-row ``DataFrame`` with the rates, the ratio, its interval and p-value."""
        frame = super().to_frame()
        for i, name in enumerate(("rate1", "rate2", "events1", "exposure1", "events2", "exposure2")):
            frame.insert(i, name, getattr(self, name))
        frame.insert(cast(int, frame.columns.get_loc("pvalue")), "null_ratio", self.null_ratio)  # unique: an int
        return frame


def _binom_midp_ci(x, n, a_low, a_high):
    """Mid-p interval for a binomial proportion (a_low / a_high: tail probabilities).

    The mid-p tails ``P(X > x) + P(X = x) / 2`` (increasing in p) and ``P(X < x)
    + P(X = x) / 2`` (decreasing) are :func:`lupusstats._core.distributions.binom_midp_upper`
    and ``binom_midp_lower``: scipy.special's incomplete beta, without scipy.stats'
    per-call overhead in this 200-step bisection.
    """
    if a_low > 0 and x > 0:
        low = float(_bisect(lambda p: _d.binom_midp_upper(x, n, p) - a_low, 0.0, 1.0))
    else:
        low = 0.0
    if a_high > 0 and x < n:
        high = float(_bisect(lambda p: a_high - _d.binom_midp_lower(x, n, p), 0.0, 1.0))
    else:
        high = 1.0
    return low, high


def _ratio_from_p(p, d):
    """Rate ratio r with binomial probability p = r*T1 / (r*T1 + T2): r = p/(1-p) * T2/T1 (d = T2/T1)."""
    if p >= 1.0:
        return math.inf
    return p / (1.0 - p) * d


def _score_ratio_bound(x1, x2, d, c):
    """Rate ratio ``r`` at which the score statistic of :func:`rate_ratio_test` equals ``c``.

    The score statistic (Gu et al. 2008, W2A; statsmodels ``test_poisson_2indep``)
    is ``z(r) = (x1 - x2 s) / sqrt((x1 + x2) s)`` with ``s = r T1 / T2 = r / d``;
    it is strictly decreasing in ``r``, so the score interval -- the ratios not
    rejected -- is ``{r : -c_high <= z(r) <= c_low}``, and each limit solves
    ``z(r) = c``.  With ``u = sqrt(s)`` that is the quadratic
    ``x2 u**2 + c sqrt(n) u - x1 = 0``, solved here in closed form (the
    rationalised root for ``c > 0`` avoids cancellation).  It is the same
    inversion statsmodels' ``confint_poisson_2indep`` does numerically (by
    minimising the squared p-value difference), which collapses to a point when
    one count is 0; here ``z(r) = c > 0`` has the root ``r = 0`` when ``x1 = 0``
    and ``z(r) = c < 0`` has none (``r = inf``) when ``x2 = 0``.
    """
    n = x1 + x2
    q = c * math.sqrt(n)
    disc = math.sqrt(q * q + 4.0 * x1 * x2)
    if c > 0:  # lower limit: z(r) > 0 needs x1 > 0; at x1 = 0 the limit is 0
        u = 2.0 * x1 / (q + disc)
    elif x2 == 0:  # upper limit with x2 = 0: z(r) = sqrt(x1 d / r) > 0 for every r
        return math.inf
    else:
        u = (-q + disc) / (2.0 * x2)
    return u * u * d


def _rate_ratio_interval(level, method, alternative, x1, x2, n, p0, d, estimate, se):
    """Interval of :func:`rate_ratio_test` at `level` (one of its four methods).

    ``"exact"``: the Clopper-Pearson interval of the conditional binomial
    proportion from its beta quantiles (:func:`lupusstats._core.inference.clopper_pearson_interval`),
    the interval ``scipy.stats.binomtest(...).proportion_ci(method="exact")``
    finds with a root finder (to its tolerance, 2e-12) and R ``poisson.test``
    takes from ``qbeta``.
    """
    if method == "exact":
        lo_p, hi_p = _inf.clopper_pearson_interval(x1, n, _inf.two_sided_level(level, alternative))
        lo_p, hi_p = _inf.one_sided(lo_p, hi_p, alternative, 0.0, 1.0)
        return _ratio_from_p(lo_p, d), _ratio_from_p(hi_p, d)
    if method == "midp":
        tail = 1.0 - level
        a_low = tail if alternative == "greater" else (0.0 if alternative == "less" else tail / 2)
        a_high = tail if alternative == "less" else (0.0 if alternative == "greater" else tail / 2)
        lo_p, hi_p = _binom_midp_ci(x1, n, a_low, a_high)
        return _ratio_from_p(lo_p, d), _ratio_from_p(hi_p, d)
    if method == "score":
        crit = _inf.critical_value(level, alternative)
        lo, hi = _score_ratio_bound(x1, x2, d, crit), _score_ratio_bound(x1, x2, d, -crit)
        return _inf.one_sided(lo, hi, alternative, 0.0, math.inf)
    return _inf.wald_interval(math.log(estimate), se, level, alternative, back=np.exp)


def _no_events_interval(level):
    """No events in either group: every ratio is compatible with the data, at any level."""
    return 0.0, math.inf


def rate_ratio_test(
    events1: Int,
    exposure1: Real,
    events2: Int,
    exposure2: Real,
    *,
    method: str = "exact",
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
    null_ratio: float = 1.0,
) -> RateRatioResult:
    """Test and confidence interval for the ratio of two Poisson rates, ``rate1 / rate2``.

    Valid only for Poisson counts: with over-dispersed patient-level counts (as
    lupus flares are) it is anti-conservative; use :func:`compare_rates` instead.

    Parameters
    ----------
    events1, exposure1 : int, float
        Events and total exposure of group 1 (treatment).
    events2, exposure2 : int, float
        Events and total exposure of group 2 (reference).
    method : {"exact", "midp", "score", "wald"}
        ``"exact"``: conditional binomial test of ``events1`` given the total,
        with the Clopper--Pearson interval, exactly as R
        ``poisson.test(c(x1, x2), c(T1, T2))`` (two-sided p-value by the
        minimum-likelihood rule of ``binom.test``);
        ``"midp"``: mid-p version of the conditional test (two-sided p =
        twice the smaller one-sided mid-p) and the mid-p interval;
        ``"score"``: score test (Gu et al. 2008, W2A; p-value from
        ``statsmodels.stats.rates.test_poisson_2indep``) and its inverted
        interval, the ratios the test does not reject (limits in closed form,
        see Notes); ``"wald"``: Wald test on the log ratio
        (``se = sqrt(1/x1 + 1/x2)``; needs both counts > 0).
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: ``rate1 / rate2 > null_ratio``.  One-sided alternatives
        give one-sided intervals, as R.
    confidence_level : float, default 0.95
    null_ratio : float, default 1.0
        Rate ratio under the null hypothesis (R's ``r``).

    Returns
    -------
    RateRatioResult
        ``estimate`` (``inf`` when ``events2 = 0``; NaN when both are 0, with
        ``pvalue = 1`` and interval ``(0, inf)``), ``pvalue``,
        ``confidence_interval()``, ``se`` of the log ratio.

    Raises
    ------
    ValueError
        For negative or non-integer counts, exposure <= 0, or ``method="wald"``
        with a zero count.

    Notes
    -----
    A zero count.  ``events1 = 0`` gives ``estimate = 0`` and a lower limit of
    0 for every method except Wald (which raises); ``events2 = 0`` gives
    ``estimate = inf`` and an upper limit of ``inf``.  The other limit stays
    finite.  For ``"score"`` this is the exact inversion of the score test:
    with ``events1 = 0`` the score statistic is ``-sqrt(x2 r T1 / T2)``, never
    positive, so no small ratio is rejected and the upper limit is
    ``z**2 T2 / (x2 T1)`` (``z`` the normal quantile); statsmodels'
    ``confint_poisson_2indep`` returns a zero-width interval there, which
    covered the true ratio in only about 92% of small simulated trials.

    Examples
    --------
    >>> import lupusstats as ls
    >>> res = ls.rate_ratio_test(12, 10.3, 25, 11.1)   # R: poisson.test(c(12, 25), c(10.3, 11.1))
    >>> round(res.estimate, 4), round(res.pvalue, 4)
    (0.5173, 0.0694)
    >>> [round(v, 4) for v in res.confidence_interval()]
    [0.2368, 1.0685]
    >>> [round(v, 3) for v in ls.rate_ratio_test(0, 12, 5, 10, method="score").confidence_interval()]
    [0.0, 0.64]
    """
    from scipy import stats

    x1 = int(_v.as_count_array("events1", events1, ndim=0))
    x2 = int(_v.as_count_array("events2", events2, ndim=0))
    t1 = float(_v.as_positive_array("exposure1", exposure1, ndim=0))
    t2 = float(_v.as_positive_array("exposure2", exposure2, ndim=0))
    method = _v.check_choice("method", method, _CI_METHODS)
    alternative = _v.check_alternative(alternative)
    cl = _v.check_confidence_level(confidence_level)
    r0 = _v.check_positive("null_ratio", null_ratio)
    n = x1 + x2
    d = t2 / t1
    rate1, rate2 = x1 / t1, x2 / t2
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = float(np.float64(rate1) / np.float64(rate2))
    if n == 0:
        import warnings

        warnings.warn(
            "no events in either group (`events1` = `events2` = 0): the rate ratio 0/0 is undefined, so the "
            "estimate is NaN (as R poisson.test).",
            RuntimeWarning,
            stacklevel=2,
        )
    se = math.sqrt(1.0 / x1 + 1.0 / x2) if x1 > 0 and x2 > 0 else math.inf
    common: dict[str, Any] = dict(  # the fields both results share, of several types
        events1=x1,
        exposure1=t1,
        events2=x2,
        exposure2=t2,
        rate1=rate1,
        rate2=rate2,
        null_ratio=r0,
        alternative=alternative,
        confidence_level=cl,
    )
    labels = {
        "exact": "exact conditional (binomial) test, Clopper-Pearson interval (R poisson.test)",
        "midp": "mid-p conditional (binomial) test and interval",
        "score": "score test (Gu et al. 2008; statsmodels) and its inverted interval",
        "wald": "Wald test on the log rate ratio",
    }
    if n == 0:
        return RateRatioResult(
            estimate=math.nan,
            ci_low=0.0,
            ci_high=math.inf,
            pvalue=1.0,
            se=math.inf,
            method=labels[method] + "; no events in either group",
            _ci_func=_no_events_interval,
            **common,
        )
    if method == "wald" and (x1 == 0 or x2 == 0):
        raise ValueError(
            f"method='wald' needs events in both groups, got events1={x1}, events2={x2}; "
            "use method='exact' (or 'midp') with a zero count."
        )
    p0 = r0 * t1 / (r0 * t1 + t2)
    ci_args = (method, alternative, x1, x2, n, p0, d, estimate, se)

    statistic = math.nan
    if method == "exact":
        pvalue = stats.binomtest(x1, n, p0, alternative=alternative).pvalue
    elif method == "midp":
        p_less = _d.binom_midp_lower(x1, n, p0)  # P(X < x1) + P(X = x1) / 2
        p_greater = _d.binom_midp_upper(x1, n, p0)  # P(X > x1) + P(X = x1) / 2
        pvalue = {"less": p_less, "greater": p_greater, "two-sided": min(1.0, 2.0 * min(p_less, p_greater))}[
            alternative
        ]
    elif method == "score":
        from statsmodels.stats.rates import test_poisson_2indep

        alt = _inf.statsmodels_alternative(alternative)
        with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels divides by a zero rate (unused)
            res = test_poisson_2indep(x1, t1, x2, t2, value=r0, method="score", alternative=alt)
        statistic, pvalue = float(res.statistic), float(res.pvalue)
    else:
        statistic = (math.log(estimate) - math.log(r0)) / se
        pvalue = _inf.pvalue_from_z(statistic, alternative)
    low, high = _rate_ratio_interval(cl, *ci_args)
    return RateRatioResult(
        estimate=estimate,
        ci_low=float(low),
        ci_high=float(high),
        pvalue=float(min(pvalue, 1.0)),
        statistic=statistic,
        se=se,
        method=labels[method],
        _ci_func=_rate_ratio_interval,
        _ci_args=ci_args,
        **common,
    )
