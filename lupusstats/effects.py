"""Effect sizes with confidence intervals: d/g/Glass, RR/OR/RD/NNT, p-value adjustment and the effect card.

Conventions used throughout:

* **Group 1 is the treatment, group 2 (or ``y``) the reference.**  Differences are
  group 1 minus group 2, ratios group 1 over group 2.
* Standardised mean differences (:func:`cohens_d`, :func:`hedges_g`,
  :func:`glass_delta`) get exact intervals by inverting the noncentral t
  distribution, exactly as R ``effectsize`` 0.8 does; their ``*_from_stats``
  twins take summary statistics (mean, SD, n per group).
* 2x2 measures (:func:`risk_ratio`, :func:`odds_ratio`, :func:`risk_difference`)
  default to Wald intervals (on the log scale for ratios: Katz for RR, Woolf for
  OR) and, like R ``metafor::escalc``, add 0.5 to every cell of a table that has a
  zero cell.  ``odds_ratio(method="exact")`` is the conditional maximum-likelihood
  estimate with the exact interval of R ``fisher.test``; ``risk_difference(
  method="newcombe")`` is Newcombe's hybrid Wilson score interval (method 10).
* :func:`number_needed_to_treat` follows Altman (BMJ 1998;317:1309): a signed
  number (positive = NNTB, negative = NNTH) whose interval passes through
  infinity when the risk-difference interval includes zero.

The effect card (:func:`effect_card`) is at the end of this module.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import _validation as _v
from ._results import ConfidenceInterval, EstimateResult, ResultBase

__all__ = [
    "cohens_d",
    "hedges_g",
    "glass_delta",
    "cohens_d_from_stats",
    "hedges_g_from_stats",
    "glass_delta_from_stats",
    "risk_ratio",
    "odds_ratio",
    "risk_difference",
    "number_needed_to_treat",
    "NNTResult",
    "rate_difference",
    "number_needed_to_treat_rate",
    "d_to_log_odds_ratio",
    "log_odds_ratio_to_d",
    "adjust_pvalues",
    "effect_card",
]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _z(confidence_level: float, alternative: str) -> float:
    """Normal quantile for a two-sided or one-sided interval."""
    from scipy import stats

    if alternative == "two-sided":
        return float(stats.norm.ppf(0.5 + confidence_level / 2))
    return float(stats.norm.ppf(confidence_level))


def _normal_pvalue(z: float, alternative: str) -> float:
    from scipy import stats

    if not np.isfinite(z):
        return math.nan
    if alternative == "two-sided":
        return float(2 * stats.norm.sf(abs(z)))
    if alternative == "greater":
        return float(stats.norm.sf(z))
    return float(stats.norm.cdf(z))


def _one_sided(low: float, high: float, alternative: str, lower_limit: float, upper_limit: float):
    """Replace the open end of a one-sided interval by the parameter's bound."""
    if alternative == "greater":
        return low, upper_limit
    if alternative == "less":
        return lower_limit, high
    return low, high


def _level_for(confidence_level: float, alternative: str) -> float:
    """A one-sided interval at level c is one end of a two-sided one at 2c - 1."""
    return confidence_level if alternative == "two-sided" else 2 * confidence_level - 1


# ---------------------------------------------------------------------------
# standardised mean differences
# ---------------------------------------------------------------------------


def _ncp_interval(t: float, df: float, confidence_level: float) -> tuple[float, float]:
    """Noncentrality parameters whose t distributions put `t` at the 1-a/2 and a/2 quantiles.

    R ``effectsize:::.get_ncp_t`` solves the same two equations with ``optim``; a
    bracketed root finder is used here (P(T <= t | ncp) decreases in ncp).
    """
    from scipy import optimize, stats

    a = 1 - confidence_level

    def root(target: float) -> float:
        f = lambda ncp: stats.nct.cdf(t, df, ncp) - target  # noqa: E731
        step = max(1.0, abs(t))
        lo, hi = t - step, t + step
        while f(lo) < 0:
            lo -= step
            step *= 2
        step = max(1.0, abs(t))
        while f(hi) > 0:
            hi += step
            step *= 2
        return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))

    return root(1 - a / 2), root(a / 2)


def _smd(kind: str, mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative) -> EstimateResult:
    """Cohen's d, Hedges' g or Glass's delta from summary statistics (effectsize 0.8 algebra)."""
    from scipy import special, stats

    diff = mean1 - mean2
    if kind in ("d", "g"):
        df = n1 + n2 - 2
        s = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / df)
        hn = 1 / n1 + 1 / n2
        se = s * math.sqrt(hn)
        what = "pooled SD"
    else:
        df = n2 - 1
        s = sd2
        if s == 0:
            raise ValueError("Glass's delta needs a reference group (`y`) with a non-zero SD, got SD 0.")
        hn = 1 / n2 + sd1**2 / (n1 * sd2**2)
        se = s * math.sqrt(hn)
        what = "SD of the reference group"
    if s == 0:
        raise ValueError(
            "both groups have zero standard deviation, so a standardised difference is undefined."
        )
    estimate = diff / s
    t = diff / se
    J = 1.0
    if kind == "g":
        # exact small-sample correction, as effectsize (Hedges 1981)
        J = math.exp(special.gammaln(df / 2) - math.log(math.sqrt(df / 2)) - special.gammaln((df - 1) / 2))

    def ci(level: float) -> tuple[float, float]:
        lo_ncp, hi_ncp = _ncp_interval(t, df, _level_for(level, alternative))
        low, high = lo_ncp * math.sqrt(hn) * J, hi_ncp * math.sqrt(hn) * J
        return _one_sided(low, high, alternative, -math.inf, math.inf)

    low, high = ci(confidence_level)
    if alternative == "two-sided":
        p = float(2 * stats.t.sf(abs(t), df))
    elif alternative == "greater":
        p = float(stats.t.sf(t, df))
    else:
        p = float(stats.t.cdf(t, df))
    names = {"d": "Cohen's d", "g": "Hedges' g", "delta": "Glass's delta"}
    test = "Student t-test" if kind != "delta" else f"Welch t statistic with {df} df (reference group)"
    return EstimateResult(
        estimate=float(estimate * J),
        ci_low=float(low),
        ci_high=float(high),
        pvalue=p,
        statistic=float(t),
        method=f"{names[kind]} ({what}); noncentral-t interval as R effectsize; p from {test}",
        confidence_level=confidence_level,
        alternative=alternative,
        _ci_func=ci,
    )


def _smd_data(kind: str, x, y, confidence_level, alternative) -> EstimateResult:
    x = _v.as_float_array("x", x, ndim=1)
    y = _v.as_float_array("y", y, ndim=1)
    for name, arr in (("x", x), ("y", y)):
        if arr.size < 2:
            raise ValueError(f"`{name}` needs at least 2 observations, got {arr.size}.")
        if not np.isfinite(arr).all():
            raise ValueError(f"`{name}` must be finite, got infinity.")
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    return _smd(kind, x.mean(), x.std(ddof=1), x.size, y.mean(), y.std(ddof=1), y.size, cl, alt)


def _smd_stats(kind: str, mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative) -> EstimateResult:
    m1 = _v.check_number("mean1", mean1)
    m2 = _v.check_number("mean2", mean2)
    s1 = _v.check_positive("sd1", sd1, allow_zero=True)
    s2 = _v.check_positive("sd2", sd2, allow_zero=True)
    k1 = _v.check_int("n1", n1, minimum=2)
    k2 = _v.check_int("n2", n2, minimum=2)
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    return _smd(kind, m1, s1, k1, m2, s2, k2, cl, alt)


def cohens_d(x, y, *, confidence_level=0.95, alternative="two-sided") -> EstimateResult:
    """Cohen's d of `x` (treatment) against `y` (reference), pooled SD, with a noncentral-t CI.

    ``d = (mean(x) - mean(y)) / s_pooled``.  The interval inverts the noncentral
    t distribution of the two-sample t statistic (Steiger & Fouladi 1997), as
    R ``effectsize::cohens_d``; the p-value is that of Student's t-test, so the
    interval excludes 0 exactly when p < 1 - confidence_level.

    Parameters
    ----------
    x, y : array-like of float
        Outcomes of the treatment and reference groups (at least 2 each, no NaN).
    confidence_level : float
        Confidence level of the interval.
    alternative : {"two-sided", "less", "greater"}
        One-sided intervals are open at -inf or +inf, as effectsize.

    Returns
    -------
    EstimateResult
        ``estimate``, ``confidence_interval()``, ``pvalue``, ``statistic`` (t).

    Raises
    ------
    ValueError
        A group with fewer than 2 values, NaN, or zero variance in both groups.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.cohens_d([5, 6, 7, 8, 9], [3, 4, 5, 6, 7])
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (1.265, [-0.147, 2.615])
    """
    return _smd_data("d", x, y, confidence_level, alternative)


def hedges_g(x, y, *, confidence_level=0.95, alternative="two-sided") -> EstimateResult:
    """Hedges' g: Cohen's d times the exact small-sample correction J(df), with a noncentral-t CI.

    ``J(df) = Gamma(df/2) / (sqrt(df/2) * Gamma((df-1)/2))`` with ``df = n1 + n2 - 2``;
    the interval is the d interval times J, as R ``effectsize::hedges_g``.

    Parameters
    ----------
    x, y : array-like of float
        Treatment and reference outcomes (at least 2 each).
    confidence_level : float
    alternative : {"two-sided", "less", "greater"}

    Returns
    -------
    EstimateResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.hedges_g([5, 6, 7, 8, 9], [3, 4, 5, 6, 7]).estimate, 3)
    1.142
    """
    return _smd_data("g", x, y, confidence_level, alternative)


def glass_delta(x, y, *, confidence_level=0.95, alternative="two-sided") -> EstimateResult:
    """Glass's delta: the mean difference in units of the reference group's SD (`y`).

    Useful when treatment changes the spread.  The interval follows R
    ``effectsize::glass_delta`` 0.8: t = difference / sqrt(s_x^2/n_x + s_y^2/n_y)
    referred to a noncentral t with ``n_y - 1`` df; the p-value uses the same t
    and df.

    Parameters
    ----------
    x, y : array-like of float
        Treatment and reference outcomes (at least 2 each; `y` with SD > 0).
    confidence_level : float
    alternative : {"two-sided", "less", "greater"}

    Returns
    -------
    EstimateResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.glass_delta([5, 6, 7, 8, 9], [3, 4, 5, 6, 7]).estimate, 3)
    1.265
    """
    return _smd_data("delta", x, y, confidence_level, alternative)


def cohens_d_from_stats(mean1, sd1, n1, mean2, sd2, n2, *, confidence_level=0.95, alternative="two-sided"):
    """Cohen's d from summary statistics (group 1 = treatment, group 2 = reference).

    Same numbers as :func:`cohens_d` on the raw data (SDs with ``n - 1``).

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.cohens_d_from_stats(7, 1.5811, 5, 5, 1.5811, 5).estimate, 3)
    1.265
    """
    return _smd_stats("d", mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative)


def hedges_g_from_stats(mean1, sd1, n1, mean2, sd2, n2, *, confidence_level=0.95, alternative="two-sided"):
    """Hedges' g from summary statistics (group 1 = treatment, group 2 = reference).

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.hedges_g_from_stats(-8, 4, 12, -5, 4, 6).estimate, 3)
    -0.714
    """
    return _smd_stats("g", mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative)


def glass_delta_from_stats(mean1, sd1, n1, mean2, sd2, n2, *, confidence_level=0.95, alternative="two-sided"):
    """Glass's delta from summary statistics; `sd2` (reference) is the standardiser.

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.glass_delta_from_stats(-8, 5, 12, -5, 4, 6).estimate, 3)
    -0.75
    """
    return _smd_stats("delta", mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative)


# ---------------------------------------------------------------------------
# 2x2 tables
# ---------------------------------------------------------------------------


def _counts_iv(events1, n1, events2, n2):
    e1 = _v.check_int("events1", events1, minimum=0)
    k1 = _v.check_int("n1", n1, minimum=1)
    e2 = _v.check_int("events2", events2, minimum=0)
    k2 = _v.check_int("n2", n2, minimum=1)
    if e1 > k1:
        raise ValueError(f"`events1` must be <= `n1`, got events1={e1} > n1={k1}.")
    if e2 > k2:
        raise ValueError(f"`events2` must be <= `n2`, got events2={e2} > n2={k2}.")
    return e1, k1, e2, k2


def _cells(e1, k1, e2, k2, zero_correction):
    """Cells a, b, c, d with `zero_correction` added to all four when any is 0 (escalc to="only0")."""
    a, b, c, d = float(e1), float(k1 - e1), float(e2), float(k2 - e2)
    corrected = zero_correction > 0 and min(a, b, c, d) == 0
    if corrected:
        a, b, c, d = a + zero_correction, b + zero_correction, c + zero_correction, d + zero_correction
    return a, b, c, d, corrected


def _wald_result(estimate_scale, se, log_scale, confidence_level, alternative, method, null=0.0):
    """Wald interval and z-test on the (log) scale; back-transformed when `log_scale`."""
    z_stat = (estimate_scale - null) / se if se > 0 else math.nan

    def ci(level: float):
        q = _z(level, alternative)
        low, high = estimate_scale - q * se, estimate_scale + q * se
        low, high = _one_sided(low, high, alternative, -math.inf, math.inf)
        if log_scale:
            return math.exp(low), math.exp(high)
        return low, high

    low, high = ci(confidence_level)
    return EstimateResult(
        estimate=float(math.exp(estimate_scale) if log_scale else estimate_scale),
        ci_low=float(low),
        ci_high=float(high),
        pvalue=_normal_pvalue(z_stat, alternative),
        statistic=float(z_stat),
        se=float(se),
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
        _ci_func=ci,
    )


def _zc_note(corrected: bool, zero_correction: float) -> str:
    return f"; {zero_correction:g} added to every cell (zero cell)" if corrected else ""


def risk_ratio(events1, n1, events2, n2, *, confidence_level=0.95, method="katz", alternative="two-sided",
               zero_correction=0.5) -> EstimateResult:
    """Risk ratio (treatment over reference) with a Katz log-scale Wald interval.

    ``RR = (events1/n1) / (events2/n2)``, ``SE(log RR) = sqrt(1/a - 1/n1 + 1/c - 1/n2)``
    (Katz et al. 1978).  When any of the four cells is 0, `zero_correction` is
    added to every cell first, as R ``metafor::escalc(measure="RR")`` does; pass
    ``zero_correction=0`` to refuse (a zero-event table then raises).

    Parameters
    ----------
    events1, n1 : int
        Events and patients in the treatment group.
    events2, n2 : int
        Events and patients in the reference group.
    confidence_level : float
    method : {"katz"}
        ``"wald"`` is accepted as an alias.
    alternative : {"two-sided", "less", "greater"}
        For the z-test of log RR = 0 and the interval.
    zero_correction : float
        Added to all cells of a table with a zero cell (default 0.5).

    Returns
    -------
    EstimateResult
        ``estimate`` (RR), ``se`` (of log RR), ``pvalue`` (Wald z), ``confidence_interval()``.

    Raises
    ------
    ValueError
        Negative counts, ``events > n``, or zero events with ``zero_correction=0``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.risk_ratio(15, 100, 30, 100)
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (0.5, [0.287, 0.87])
    """
    e1, k1, e2, k2 = _counts_iv(events1, n1, events2, n2)
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    _v.check_choice("method", method, ("katz", "wald"))
    zc = _v.check_positive("zero_correction", zero_correction, allow_zero=True)
    a, b, c, d, corrected = _cells(e1, k1, e2, k2, zc)
    if a == 0 or c == 0:
        raise ValueError(
            f"a group has zero events (events1={e1}, events2={e2}) and `zero_correction` is 0: "
            "the log risk ratio is infinite."
        )
    log_rr = math.log((a / (a + b)) / (c / (c + d)))
    se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    return _wald_result(log_rr, se, True, cl, alt, "risk ratio, Katz log (Wald) interval" + _zc_note(corrected, zc))


def odds_ratio(events1, n1, events2, n2, *, confidence_level=0.95, method="woolf", alternative="two-sided",
               zero_correction=0.5) -> EstimateResult:
    """Odds ratio (treatment over reference): Woolf log-scale Wald or exact conditional.

    * ``method="woolf"`` (default): sample OR with ``SE(log OR) = sqrt(1/a + 1/b + 1/c + 1/d)``;
      `zero_correction` is added to every cell of a table with a zero cell, as R
      ``metafor::escalc(measure="OR")``; p-value from the Wald z-test.
    * ``method="exact"``: conditional maximum-likelihood OR with the exact
      interval and Fisher's exact p-value, exactly as R ``fisher.test``
      (``scipy.stats.contingency.odds_ratio(kind="conditional")`` and
      ``scipy.stats.fisher_exact``).  No correction; the estimate may be 0 or inf.

    Parameters
    ----------
    events1, n1, events2, n2 : int
        Events and patients, treatment (1) and reference (2).
    confidence_level : float
    method : {"woolf", "exact"}
        ``"wald"`` is an alias of ``"woolf"``.
    alternative : {"two-sided", "less", "greater"}
    zero_correction : float
        Woolf only.

    Returns
    -------
    EstimateResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.odds_ratio(15, 100, 30, 100).estimate, 3)
    0.412
    >>> r = ls.odds_ratio(3, 10, 0, 12, method="exact")
    >>> r.estimate, round(r.confidence_interval().low, 3)
    (inf, 0.539)
    """
    e1, k1, e2, k2 = _counts_iv(events1, n1, events2, n2)
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    method = _v.check_choice("method", method, ("woolf", "wald", "exact"))
    zc = _v.check_positive("zero_correction", zero_correction, allow_zero=True)
    if method == "exact":
        from scipy import stats
        from scipy.stats.contingency import odds_ratio as _scipy_or

        table = [[e1, k1 - e1], [e2, k2 - e2]]
        res = _scipy_or(table, kind="conditional")
        scipy_alt = {"two-sided": "two-sided", "less": "less", "greater": "greater"}[alt]

        def ci(level: float):
            c = res.confidence_interval(confidence_level=level, alternative=scipy_alt)
            return float(c.low), float(c.high)

        low, high = ci(cl)
        p = float(stats.fisher_exact(table, alternative=scipy_alt).pvalue)
        return EstimateResult(
            estimate=float(res.statistic),
            ci_low=low,
            ci_high=high,
            pvalue=p,
            method="odds ratio, conditional MLE with exact interval and Fisher's exact test (as R fisher.test)",
            confidence_level=cl,
            alternative=alt,
            _ci_func=ci,
        )
    a, b, c, d, corrected = _cells(e1, k1, e2, k2, zc)
    if min(a, b, c, d) == 0:
        raise ValueError(
            f"the table has a zero cell (events1={e1}, n1={k1}, events2={e2}, n2={k2}) and `zero_correction` is 0: "
            "the log odds ratio is infinite; use method='exact'."
        )
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return _wald_result(log_or, se, True, cl, alt, "odds ratio, Woolf log (Wald) interval" + _zc_note(corrected, zc))


def _newcombe(e1, k1, e2, k2, level):
    """Newcombe (1998) hybrid score interval for p1 - p2 (method 10), via statsmodels."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(e1, k1, e2, k2, method="newcomb", compare="diff", alpha=1 - level)
    return float(low), float(high)


def risk_difference(events1, n1, events2, n2, *, confidence_level=0.95, method="wald", alternative="two-sided",
                    zero_correction=0.5) -> EstimateResult:
    """Risk difference ``events1/n1 - events2/n2`` (treatment minus reference).

    * ``method="wald"`` (default): ``SE = sqrt(p1 q1 / n1 + p2 q2 / n2)`` and a Wald
      z-test; like R ``metafor::escalc(measure="RD")``, `zero_correction` is added
      to every cell of a table with a zero cell (set it to 0 for the raw RD; a
      table with both risks 0 or 1 then raises, as its SE is 0).
    * ``method="newcombe"``: the raw RD with Newcombe's hybrid Wilson score
      interval (Newcombe 1998, method 10; good coverage with small counts and
      zero cells); the p-value is the uncorrected Pearson chi-square (score)
      test, as R ``prop.test(correct=FALSE)``.

    Parameters
    ----------
    events1, n1, events2, n2 : int
    confidence_level : float
    method : {"wald", "newcombe"}
    alternative : {"two-sided", "less", "greater"}
    zero_correction : float
        Wald only.

    Returns
    -------
    EstimateResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.risk_difference(15, 100, 30, 100, method="newcombe")
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (-0.15, [-0.261, -0.034])
    """
    e1, k1, e2, k2 = _counts_iv(events1, n1, events2, n2)
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    method = _v.check_choice("method", method, ("wald", "newcombe"))
    zc = _v.check_positive("zero_correction", zero_correction, allow_zero=True)
    if method == "newcombe":
        rd = e1 / k1 - e2 / k2

        def ci(level: float):
            low, high = _newcombe(e1, k1, e2, k2, _level_for(level, alt))
            return _one_sided(low, high, alt, -1.0, 1.0)

        low, high = ci(cl)
        pooled = (e1 + e2) / (k1 + k2)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / k1 + 1 / k2))
        z = rd / se0 if se0 > 0 else math.nan
        return EstimateResult(
            estimate=float(rd),
            ci_low=low,
            ci_high=high,
            pvalue=_normal_pvalue(z, alt),
            statistic=float(z),
            method="risk difference, Newcombe hybrid score interval; p from the score (Pearson chi-square) test",
            confidence_level=cl,
            alternative=alt,
            _ci_func=ci,
        )
    a, b, c, d, corrected = _cells(e1, k1, e2, k2, zc)
    p1, p2 = a / (a + b), c / (c + d)
    se = math.sqrt(p1 * (1 - p1) / (a + b) + p2 * (1 - p2) / (c + d))
    if se == 0:
        raise ValueError(
            f"both risks are 0 or 1 (events1={e1}/{k1}, events2={e2}/{k2}) so the Wald SE is 0; "
            "use method='newcombe' or a positive `zero_correction`."
        )
    return _wald_result(p1 - p2, se, False, cl, alt, "risk difference, Wald interval" + _zc_note(corrected, zc))


# ---------------------------------------------------------------------------
# number needed to treat
# ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NNTResult(ResultBase):
    """Number needed to treat, signed as Altman (1998): positive = NNTB, negative = NNTH.

    Attributes
    ----------
    estimate : float
        ``1 / benefit`` where ``benefit`` is the risk (or rate) difference oriented
        so that positive favours treatment; ``inf`` when it is exactly 0.
    benefit, benefit_low, benefit_high : float
        That oriented difference and its confidence interval.
    includes_infinity : bool
        True when the difference interval contains 0: the NNT interval then runs
        from NNTH ``|ci_low|`` through infinity to NNTB ``ci_high`` and is the
        *union* ``(-inf, ci_low] U [ci_high, inf)``, not the span between them.
    ci_low, ci_high : float
        Signed NNT at the two ends of the difference interval.  Without
        ``includes_infinity`` they are ordered and have one sign.
    pvalue : float
        p-value of the underlying difference.
    unit : str
        ``"patients"`` or ``"patient-years"``.
    method : str
    confidence_level : float
    """

    estimate: float
    benefit: float
    benefit_low: float
    benefit_high: float
    includes_infinity: bool
    ci_low: float = dataclasses.field(repr=False)
    ci_high: float = dataclasses.field(repr=False)
    pvalue: float = math.nan
    unit: str = "patients"
    method: str = ""
    confidence_level: float = 0.95

    def confidence_interval(self) -> ConfidenceInterval:
        """Signed NNT at the ends of the difference interval (see ``includes_infinity``)."""
        return ConfidenceInterval(self.ci_low, self.ci_high)

    @property
    def label(self) -> str:
        """Altman's display, e.g. ``"NNTB 10.0 (NNTH 50.0 to ∞ to NNTB 5.0)"``."""

        def one(v: float) -> str:
            if not np.isfinite(v):
                return "∞"
            return f"{'NNTB' if v > 0 else 'NNTH'} {abs(v):.1f}"

        pct = f"{100 * self.confidence_level:g}% CI"
        if self.includes_infinity:
            return f"{one(self.estimate)} ({pct} {one(self.ci_low)} to ∞ to {one(self.ci_high)})"
        near, far = sorted((self.ci_low, self.ci_high), key=abs)
        return f"{one(self.estimate)} ({pct} {one(near)} to {one(far)})"

    def to_frame(self):
        """One-row DataFrame with ``label`` (Altman's display) added."""
        frame = super().to_frame()
        frame["label"] = self.label
        return frame


def _nnt_from_difference(benefit: float, low: float, high: float, pvalue: float, unit: str, method: str,
                         confidence_level: float) -> NNTResult:
    def inv(v: float) -> float:
        return math.inf if v == 0 else 1.0 / v

    crosses = low <= 0 <= high
    if crosses:
        # from the harm end through infinity to the benefit end
        ci_low, ci_high = inv(low), inv(high)
    else:
        ci_low, ci_high = sorted((inv(low), inv(high)))
    return NNTResult(
        estimate=inv(benefit),
        benefit=benefit,
        benefit_low=low,
        benefit_high=high,
        includes_infinity=crosses,
        ci_low=ci_low,
        ci_high=ci_high,
        pvalue=pvalue,
        unit=unit,
        method=method,
        confidence_level=confidence_level,
    )


def number_needed_to_treat(events1, n1, events2, n2, *, confidence_level=0.95, method="wald",
                           outcome="undesirable", zero_correction=0.5) -> NNTResult:
    """Number needed to treat (benefit or harm) from a 2x2 table, with Altman's interval.

    The risk difference ``RD = events1/n1 - events2/n2`` (treatment minus
    reference) comes from :func:`risk_difference`.  It is oriented so that a
    positive ``benefit`` favours treatment: ``benefit = -RD`` when the counted
    event is undesirable (a flare, an adverse event: default) and ``benefit = RD``
    when it is desirable (remission).  Then ``NNT = 1 / benefit``: positive is the
    number needed to treat for one to benefit (NNTB), negative for one to be
    harmed (NNTH).  The interval is the reciprocal of the benefit interval; when
    that includes 0 the NNT interval passes through infinity (Altman, BMJ
    1998;317:1309-12) and ``includes_infinity`` is True.

    Parameters
    ----------
    events1, n1, events2, n2 : int
        Treatment (1) and reference (2) events and patients.
    confidence_level : float
    method : {"wald", "newcombe"}
        Interval for the risk difference.
    outcome : {"undesirable", "desirable"}
        Whether the counted event is bad (default) or good for the patient.
    zero_correction : float
        Passed to :func:`risk_difference` (Wald only).

    Returns
    -------
    NNTResult
        ``estimate``, ``confidence_interval()``, ``includes_infinity``, ``label``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.number_needed_to_treat(60, 100, 40, 100, outcome="desirable").label
    'NNTB 5.0 (95% CI NNTB 3.0 to NNTB 15.6)'
    >>> ls.number_needed_to_treat(12, 100, 10, 100).label
    'NNTH 50.0 (95% CI NNTH 9.4 to ∞ to NNTB 15.0)'
    """
    outcome = _v.check_choice("outcome", outcome, ("undesirable", "desirable"))
    rd = risk_difference(events1, n1, events2, n2, confidence_level=confidence_level, method=method,
                         zero_correction=zero_correction)
    lo, hi = rd.confidence_interval()
    if outcome == "desirable":
        b, bl, bh = rd.estimate, lo, hi
    else:
        b, bl, bh = -rd.estimate, -hi, -lo
    return _nnt_from_difference(b, bl, bh, rd.pvalue, "patients", f"1 / ({rd.method})", rd.confidence_level)


# ---------------------------------------------------------------------------
# rates
# ---------------------------------------------------------------------------


def _rates_iv(events1, exposure1, events2, exposure2):
    e1 = _v.check_int("events1", events1, minimum=0)
    e2 = _v.check_int("events2", events2, minimum=0)
    t1 = _v.check_positive("exposure1", exposure1)
    t2 = _v.check_positive("exposure2", exposure2)
    return e1, t1, e2, t2


def rate_difference(events1, exposure1, events2, exposure2, *, confidence_level=0.95,
                    alternative="two-sided") -> EstimateResult:
    """Incidence-rate difference ``events1/exposure1 - events2/exposure2`` with a Wald interval.

    ``SE = sqrt(events1/exposure1^2 + events2/exposure2^2)`` (Poisson variance, as
    R ``metafor::escalc(measure="IRD")``).  With over-dispersed flare counts
    (negative binomial) this SE is too small and the interval too narrow;
    prefer the rate ratio from ``ls.compare_rates`` for inference and use this
    for a rough absolute scale.

    Parameters
    ----------
    events1, exposure1 : int, float
        Events and patient-years, treatment.
    events2, exposure2 : int, float
        Events and patient-years, reference.
    confidence_level : float
    alternative : {"two-sided", "less", "greater"}

    Returns
    -------
    EstimateResult
        Events per patient-year.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.rate_difference(30, 60.0, 60, 60.0)
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (-0.5, [-0.81, -0.19])
    """
    e1, t1, e2, t2 = _rates_iv(events1, exposure1, events2, exposure2)
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    se = math.sqrt(e1 / t1**2 + e2 / t2**2)
    if se == 0:
        raise ValueError("no events in either group (events1=0, events2=0): the rate difference has SE 0.")
    return _wald_result(e1 / t1 - e2 / t2, se, False, cl, alt, "rate difference per patient-year, Poisson Wald interval")


def number_needed_to_treat_rate(events1, exposure1, events2, exposure2, *, confidence_level=0.95,
                                outcome="undesirable") -> NNTResult:
    """Patient-years of treatment per event prevented (or caused): NNT from flare rates.

    ``1 / benefit`` where ``benefit`` is :func:`rate_difference` oriented as in
    :func:`number_needed_to_treat`; with flares (undesirable, the default) a
    positive value is the number of patient-years of treatment instead of the
    reference needed to prevent one flare.  The interval passes through
    infinity when the rate-difference interval includes 0.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.number_needed_to_treat_rate(30, 60.0, 60, 60.0)
    >>> round(r.estimate, 2), r.unit
    (2.0, 'patient-years')
    """
    outcome = _v.check_choice("outcome", outcome, ("undesirable", "desirable"))
    rd = rate_difference(events1, exposure1, events2, exposure2, confidence_level=confidence_level)
    lo, hi = rd.confidence_interval()
    if outcome == "desirable":
        b, bl, bh = rd.estimate, lo, hi
    else:
        b, bl, bh = -rd.estimate, -hi, -lo
    return _nnt_from_difference(b, bl, bh, rd.pvalue, "patient-years", f"1 / ({rd.method})", rd.confidence_level)


# ---------------------------------------------------------------------------
# conversions and multiplicity
# ---------------------------------------------------------------------------


def d_to_log_odds_ratio(d):
    """Convert a standardised mean difference to a log odds ratio: ``log OR = d * pi / sqrt(3)``.

    The logistic-distribution conversion of Hasselblad & Hedges (1995) and Chinn
    (2000), as R ``effectsize::d_to_oddsratio(log=TRUE)``.  Standard errors
    convert by the same factor (variances by ``pi^2 / 3``).

    Parameters
    ----------
    d : float or array-like

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.d_to_log_odds_ratio(0.5), 4)
    0.9069
    """
    arr = _v.as_float_array("d", d)
    out = arr * math.pi / math.sqrt(3)
    return float(out) if out.ndim == 0 else out


def log_odds_ratio_to_d(log_odds_ratio):
    """Convert a log odds ratio to a standardised mean difference: ``d = log OR * sqrt(3) / pi``.

    Inverse of :func:`d_to_log_odds_ratio` (R ``effectsize::oddsratio_to_d(log=TRUE)``).

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(ls.log_odds_ratio_to_d(0.9069), 3)
    0.5
    """
    arr = _v.as_float_array("log_odds_ratio", log_odds_ratio)
    out = arr * math.sqrt(3) / math.pi
    return float(out) if out.ndim == 0 else out


_ADJUST = {"holm": "holm", "hochberg": "simes-hochberg", "bonferroni": "bonferroni", "fdr_bh": "fdr_bh", "BH": "fdr_bh"}


def adjust_pvalues(p, method="holm"):
    """Adjust p-values for multiple comparisons (statsmodels ``multipletests``).

    Parameters
    ----------
    p : array-like of float
        p-values in [0, 1]; NaN is an error (drop them first and say so).
    method : {"holm", "hochberg", "bonferroni", "fdr_bh"}
        Holm (step-down FWER), Hochberg (step-up FWER, valid under independence
        or positive dependence), Bonferroni, Benjamini-Hochberg FDR (``"BH"`` is
        an alias).  Same numbers as R ``p.adjust``.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order (same shape).

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.adjust_pvalues([0.01, 0.02, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.06, 0.06, 0.5]
    """
    from statsmodels.stats.multitest import multipletests

    method = _v.check_choice("method", method, tuple(_ADJUST))
    arr = _v.as_float_array("p", p)
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError(f"`p` must hold p-values in [0, 1], got {arr[(arr < 0) | (arr > 1)][:5].tolist()}.")
    if arr.size == 0:
        return arr.copy()
    flat = arr.ravel()
    adjusted = multipletests(flat, method=_ADJUST[method])[1]
    return np.asarray(adjusted, dtype=float).reshape(arr.shape)


# ---------------------------------------------------------------------------
# the effect card
# ---------------------------------------------------------------------------

_CARD_COLUMNS = [
    "arm", "reference", "domain", "endpoint", "measure", "estimate", "ci_low", "ci_high", "null_value",
    "pvalue", "pvalue_holm", "favours_treatment_if", "favours", "method", "label",
]


def _favours(estimate, low, high, null, lower_is_better):
    """'treatment' / 'reference' when the interval excludes the null, else 'neither'."""
    if not (np.isfinite(low) and np.isfinite(high)) and not (low > null or high < null):
        return "neither (CI includes null)"
    if high < null:
        return "treatment" if lower_is_better else "reference"
    if low > null:
        return "reference" if lower_is_better else "treatment"
    return "neither (CI includes null)"


def effect_card(cohort, *, reference=None, confidence_level=0.95, adverse_events=None):
    """Benefits and harms of every arm against a reference, one tidy row per endpoint.

    Endpoints (one row each per non-reference arm):

    ========================  =====================================================  ===================
    endpoint                  measure (method)                                       favours treatment if
    ========================  =====================================================  ===================
    flare rate                rate ratio, NB2 with log follow-up offset              < 1
                              (``ls.compare_rates(model="negbin")``)
    severe flare rate         same, on ``n_severe_flares``                           < 1
    time to first flare       hazard ratio, Cox with Efron ties                      < 1
    time to first severe      hazard ratio, Cox with Efron ties                      < 1
    flare
    flare severity            P(X > Y) + 0.5 P(X = Y) per flare, cluster-robust      < 0.5
                              by patient (``ls.compare_severity``)
    SLEDAI increase from      Hedges' g of each patient's total SLEDAI increase      < 0
    flares                    over its observed follow-up (0 without flares)
    drug-free remission       risk difference, Newcombe interval                     > 0
    drug-free remission       NNT (signed; > 0 is NNTB), from the same interval     > 0
    adverse event <name>      risk ratio of patients with >= 1 event, Katz           < 1
    adverse event <name>      NNT (signed; < 0 is NNTH = NNH), Newcombe              > 0
    ========================  =====================================================  ===================

    The SLEDAI endpoint: the simulated (and most cohort) tables hold a baseline
    SLEDAI and the SLEDAI rise at each flare, not a SLEDAI at the end of
    follow-up, so the patient-level endpoint is the sum of ``sledai_increase``
    over the patient's flares (the same as ``ls.compare_severity(...,
    patient_outcome="total_sledai_increase")``).  It is not the change of
    SLEDAI from baseline reported by trials, which would also count improvement.

    ``pvalue_holm`` adjusts, within each arm's comparison, the p-values of all
    rows except the NNT rows: an NNT row displays the risk difference behind it
    (its ``pvalue`` is that difference's score test) and is not a separate
    hypothesis, so its ``pvalue_holm`` is NaN.  For NNT rows ``null_value`` is
    inf and ``favours`` follows the sign of the interval.  Holm controls the family-wise error under any
    dependence between endpoints (flare rate and time to first flare are
    strongly dependent).

    Parameters
    ----------
    cohort : object with ``.patients`` and ``.flares`` DataFrames
        E.g. the result of :func:`ls.simulate_cohort` (one trial only).
    reference : str, optional
        Reference arm; default the first arm (category order of ``arm``).
    confidence_level : float
    adverse_events : list of str, optional
        Adverse-event names (``ae_<name>`` columns); default every ``ae_`` column.

    Returns
    -------
    DataFrame
        Columns ``arm, reference, domain ("benefit"/"harm"), endpoint, measure,
        estimate, ci_low, ci_high, null_value, pvalue, pvalue_holm,
        favours_treatment_if, favours, method, label`` (``label``: Altman's
        display for NNT rows).

    Raises
    ------
    TypeError
        `cohort` without ``patients`` and ``flares`` tables.
    ValueError
        Unknown `reference`, several trials in one table, unknown adverse event.

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> card = ls.effect_card(cohort, reference="standard care")
    >>> card.groupby("arm", observed=True).size().tolist()
    [16, 16]
    >>> card["endpoint"].iloc[:3].tolist()
    ['flare rate', 'severe flare rate', 'time to first flare']
    """
    import pandas as pd

    from . import columns as C
    from .rates import compare_rates
    from .severity import compare_severity
    from .survival import cox_hazard_ratio, time_to_first_flare

    patients = getattr(cohort, "patients", None)
    flares = getattr(cohort, "flares", None)
    if not isinstance(patients, pd.DataFrame) or not isinstance(flares, pd.DataFrame):
        raise TypeError(
            "`cohort` must have `.patients` and `.flares` DataFrames (e.g. ls.simulate_cohort(...)), "
            f"got {type(cohort).__name__}."
        )
    cl = _v.check_confidence_level(confidence_level)
    needed = [C.ARM, C.PATIENT, C.FOLLOWUP_YEARS, C.N_FLARES, C.N_SEVERE_FLARES, C.FIRST_FLARE_YEARS,
              C.FIRST_SEVERE_FLARE_YEARS, C.DRUG_FREE_REMISSION]
    _v.check_columns("cohort.patients", patients, needed)
    _v.check_columns("cohort.flares", flares, [C.ARM, C.PATIENT, C.SEVERITY, C.SLEDAI_INCREASE])
    for name, frame in (("patients", patients), ("flares", flares)):
        if C.TRIAL in frame.columns and frame[C.TRIAL].nunique() > 1:
            raise ValueError(f"`cohort.{name}` holds {frame[C.TRIAL].nunique()} trials; pass one trial at a time.")
    arms = patients[C.ARM]
    levels = list(arms.cat.categories) if isinstance(arms.dtype, pd.CategoricalDtype) else sorted(arms.unique())
    levels = [lvl for lvl in levels if (arms == lvl).any()]
    if reference is None:
        reference = levels[0]
    if reference not in levels:
        raise ValueError(f"`reference` must be one of the arms {levels}, got {reference!r}.")
    ae_all = [c[len(C.AE_PREFIX):] for c in patients.columns if c.startswith(C.AE_PREFIX)]
    if adverse_events is None:
        adverse_events = ae_all
    else:
        if isinstance(adverse_events, str):
            adverse_events = [adverse_events]
        unknown = [a for a in adverse_events if a not in ae_all]
        if unknown:
            raise ValueError(f"`adverse_events` {unknown} have no ae_ column; the table has {ae_all}.")

    rows = []

    def add(arm, domain, endpoint, measure, est, low, high, null, p, lower_is_better, method, label="", group=None):
        nnt = measure == "NNT"
        rows.append({
            "arm": arm, "reference": reference, "domain": domain, "endpoint": endpoint, "measure": measure,
            "estimate": float(est), "ci_low": float(low), "ci_high": float(high),
            "null_value": math.inf if nnt else null, "pvalue": float(p),
            "favours_treatment_if": "> 0 (NNTB)" if nnt else ("< " if lower_is_better else "> ") + f"{null:g}",
            "favours": _favours(est, low, high, null, lower_is_better), "method": method, "label": label,
            "_group": group if group is not None else len(rows), "_nnt": nnt,
        })

    # NB rate ratios (ls.compare_rates), both flare counts
    rate_rows = {}
    for count, endpoint in ((C.N_FLARES, "flare rate"), (C.N_SEVERE_FLARES, "severe flare rate")):
        res = compare_rates(patients, model="negbin", reference=reference, count=count, confidence_level=cl)
        rate_rows[endpoint] = res.set_index("arm")

    tte = {sev: time_to_first_flare(patients, severe=sev) for sev in (False, True)}
    severity = compare_severity(flares, patients, unit="flare", inference="cluster", reference=reference,
                                confidence_level=cl).set_index("arm")
    sledai_total = (flares.groupby(C.PATIENT, observed=True)[C.SLEDAI_INCREASE].sum()
                    .reindex(patients[C.PATIENT]).fillna(0.0).to_numpy())
    remission = patients[C.DRUG_FREE_REMISSION].to_numpy(dtype=bool)
    ref_mask = (arms == reference).to_numpy()

    for arm in [lvl for lvl in levels if lvl != reference]:
        mask = (arms == arm).to_numpy()
        for endpoint in ("flare rate", "severe flare rate"):
            r = rate_rows[endpoint].loc[arm]
            note = f"; {r['note']}" if isinstance(r.get("note"), str) and r["note"] else ""
            add(arm, "benefit", endpoint, "rate ratio", r["rate_ratio"], r["ci_low"], r["ci_high"], 1.0, r["pvalue"],
                True, f"negative binomial (NB2) rate ratio, Wald (ls.compare_rates){note}")
        for sev, endpoint in ((False, "time to first flare"), (True, "time to first severe flare")):
            d = tte[sev]
            keep = (mask | ref_mask)
            try:
                hr = cox_hazard_ratio(d["time"][keep], d["event"][keep], d[C.ARM][keep].astype(str),
                                      reference=str(reference), confidence_level=cl)
                add(arm, "benefit", endpoint, "hazard ratio", hr.estimate, *hr.confidence_interval(), 1.0,
                    hr.pvalue, True, "Cox PH (Efron ties), this arm and the reference, Wald")
            except ValueError as err:  # no events / monotone likelihood: say so, do not invent a number
                add(arm, "benefit", endpoint, "hazard ratio", math.nan, math.nan, math.nan, 1.0, math.nan, True,
                    f"not estimable: {err}")
        s = severity.loc[arm]
        add(arm, "benefit", "flare severity", "P(X>Y)", s["probability_superiority"], s["ci_low"], s["ci_high"], 0.5,
            s["pvalue"], True, "probability of superiority per flare, cluster-robust by patient (ls.compare_severity)")
        g = hedges_g(sledai_total[mask], sledai_total[ref_mask], confidence_level=cl)
        add(arm, "benefit", "SLEDAI increase from flares", "Hedges' g", g.estimate, *g.confidence_interval(), 0.0,
            g.pvalue, True, "Hedges' g of total SLEDAI increase per patient, noncentral-t CI")
        e1, n1, e2, n2 = int(remission[mask].sum()), int(mask.sum()), int(remission[ref_mask].sum()), int(ref_mask.sum())
        rd = risk_difference(e1, n1, e2, n2, confidence_level=cl, method="newcombe")
        group = len(rows)
        add(arm, "benefit", "drug-free remission", "risk difference", rd.estimate, *rd.confidence_interval(), 0.0,
            rd.pvalue, False, "risk difference, Newcombe hybrid score interval", group=group)
        nnt = number_needed_to_treat(e1, n1, e2, n2, confidence_level=cl, method="newcombe", outcome="desirable")
        add(arm, "benefit", "drug-free remission", "NNT", nnt.estimate, *nnt.confidence_interval(), 0.0, nnt.pvalue,
            False, "signed NNT (> 0 NNTB, < 0 NNTH) from the Newcombe RD interval, Altman"
            + ("; the interval passes through infinity (see label)" if nnt.includes_infinity else ""),
            label=nnt.label, group=group)
        for event in adverse_events:
            had = patients[C.ae_column(event)].to_numpy() > 0
            e1, e2 = int(had[mask].sum()), int(had[ref_mask].sum())
            endpoint = f"adverse event: {event}"
            group = len(rows)
            try:
                rr = risk_ratio(e1, n1, e2, n2, confidence_level=cl)
                add(arm, "harm", endpoint, "risk ratio", rr.estimate, *rr.confidence_interval(), 1.0, rr.pvalue,
                    True, "risk ratio of patients with >= 1 event, " + rr.method.split(", ", 1)[1], group=group)
            except ValueError as err:
                add(arm, "harm", endpoint, "risk ratio", math.nan, math.nan, math.nan, 1.0, math.nan, True,
                    f"not estimable: {err}", group=group)
            nnh = number_needed_to_treat(e1, n1, e2, n2, confidence_level=cl, method="newcombe", outcome="undesirable")
            add(arm, "harm", endpoint, "NNT", nnh.estimate, *nnh.confidence_interval(), 0.0, nnh.pvalue, False,
                "signed NNT (< 0 NNTH = number needed to harm) from the Newcombe RD interval, Altman"
                + ("; the interval passes through infinity (see label)" if nnh.includes_infinity else ""),
                label=nnh.label, group=group)

    card = pd.DataFrame(rows)
    card["pvalue_holm"] = np.nan
    for arm, part in card.groupby("arm", sort=False):
        family = part[~part["_nnt"] & part["pvalue"].notna()]
        if len(family):
            card.loc[family.index, "pvalue_holm"] = adjust_pvalues(family["pvalue"].to_numpy(), "holm")
    card["arm"] = pd.Categorical(card["arm"], categories=[lvl for lvl in levels if lvl != reference])
    card = card[_CARD_COLUMNS].reset_index(drop=True)
    card.attrs["confidence_level"] = cl
    return card

