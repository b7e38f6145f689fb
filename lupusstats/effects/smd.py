"""Standardised mean differences behind :mod:`lupusstats.effects` (private).

This module holds Cohen's d, Hedges' g and Glass's delta with exact intervals
from the noncentral t distribution (as R ``effectsize``) and their
``*_from_stats`` twins for summary statistics; the interval and p-value
formulas are those of :mod:`lupusstats._core.inference`.  The public names
are re-exported by :mod:`lupusstats.effects`; import them from there (group
1 = treatment, as in that module's docstring).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from lupusstats._core import distributions as _d
from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import EstimateResult
from lupusstats._core.types import Int, Real

# ---------------------------------------------------------------------------
# standardised mean differences
# ---------------------------------------------------------------------------


def _ncp_interval(t: float, df: float, confidence_level: float) -> tuple[float, float]:
    """Noncentrality parameters whose t distributions put `t` at the 1-a/2 and a/2 quantiles.

    R ``effectsize:::.get_ncp_t`` solves the same two equations with ``optim``; a
    bracketed root finder is used here (P(T <= t | ncp) decreases in ncp).  The cdf is
    ``scipy.stats.nct.cdf``'s own ufunc (:func:`lupusstats._core.distributions.nct_cdf`),
    without scipy.stats' per-call overhead inside the root finder.
    """
    from scipy import optimize

    a = 1 - confidence_level

    def root(target: float) -> float:
        f = lambda ncp: _d.nct_cdf(t, df, ncp) - target  # noqa: E731
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

    try:
        with np.errstate(all="ignore"):
            return root(1 - a / 2), root(a / 2)
    except (ValueError, RuntimeError, OverflowError):
        # scipy's noncentral t cdf is NaN far in the tails (|t| in the thousands, or a level so close to 0
        # that both targets are 0.5): the large-sample normal approximation of T ~ N(ncp, 1 + ncp^2 / (2 df))
        # (Hedges & Olkin 1985, ch. 5) is then accurate to the digits shown, and said in a warning.
        import warnings

        warnings.warn(
            f"the noncentral-t interval could not be computed (t = {t:.4g}, df = {df:g}); the interval is the "
            "large-sample normal approximation instead.",
            RuntimeWarning,
            stacklevel=4,
        )
        z = float(_inf.critical_value(confidence_level))
        half = z * math.sqrt(1 + t * t / (2 * df))
        return t - half, t + half


def _smd_interval(level: float, t, df, hn, J, alternative) -> tuple[float, float]:
    """Noncentral-t interval of a standardised difference at `level`."""
    lo_ncp, hi_ncp = _ncp_interval(t, df, _inf.two_sided_level(level, alternative))
    low, high = lo_ncp * math.sqrt(hn) * J, hi_ncp * math.sqrt(hn) * J
    return _inf.one_sided(low, high, alternative)


def _smd(kind: str, mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative) -> EstimateResult:
    """Cohen's d, Hedges' g or Glass's delta from summary statistics (effectsize 0.8 algebra)."""
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
            "both groups have zero standard deviation (constant `x` and `y`, or `sd1` = `sd2` = 0), so a "
            "standardised difference is undefined."
        )
    estimate = diff / s
    t = diff / se
    J = _inf.hedges_j(df) if kind == "g" else 1.0  # exact small-sample correction, as effectsize
    ci_args = (t, df, hn, J, alternative)
    low, high = _smd_interval(confidence_level, *ci_args)
    p = _inf.pvalue_from_z(t, alternative, df=df)
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
        _ci_func=_smd_interval,
        _ci_args=ci_args,
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
    for name, value in (("mean1", m1), ("sd1", s1), ("mean2", m2), ("sd2", s2)):
        if abs(value) > 1e150:  # squares overflow; no measurement is that large in its own units
            raise ValueError(f"`{name}` must be below 1e150 in absolute value (rescale the data), got {value!r}.")
    k1 = _v.check_int("n1", n1, minimum=2)
    k2 = _v.check_int("n2", n2, minimum=2)
    cl = _v.check_confidence_level(confidence_level)
    alt = _v.check_alternative(alternative)
    return _smd(kind, m1, s1, k1, m2, s2, k2, cl, alt)


def cohens_d(
    x: npt.ArrayLike, y: npt.ArrayLike, *, confidence_level: float = 0.95, alternative: str = "two-sided"
) -> EstimateResult:
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


def hedges_g(
    x: npt.ArrayLike, y: npt.ArrayLike, *, confidence_level: float = 0.95, alternative: str = "two-sided"
) -> EstimateResult:
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


def glass_delta(
    x: npt.ArrayLike, y: npt.ArrayLike, *, confidence_level: float = 0.95, alternative: str = "two-sided"
) -> EstimateResult:
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


def cohens_d_from_stats(
    mean1: Real,
    sd1: Real,
    n1: Int,
    mean2: Real,
    sd2: Real,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
) -> EstimateResult:
    """Cohen's d from summary statistics (group 1 = treatment, group 2 = reference).

    Same numbers as :func:`cohens_d` on the raw data (SDs with ``n - 1``), so
    it works from the group summaries a publication reports.

    Parameters
    ----------
    mean1, sd1, n1 : float, float, int
        Mean, standard deviation (with ``n - 1``) and size of the treatment
        group (``n1 >= 2``).
    mean2, sd2, n2 : float, float, int
        The same for the reference group.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    alternative : {"two-sided", "less", "greater"}
        One-sided intervals are open at -inf or +inf, as effectsize.

    Returns
    -------
    EstimateResult
        ``estimate``, ``confidence_interval()``, ``pvalue``, ``statistic`` (t).

    Examples
    --------
    The summaries of ``cohens_d([5, 6, 7, 8, 9], [3, 4, 5, 6, 7])`` give its numbers:

    >>> import lupusstats as ls
    >>> r = ls.cohens_d_from_stats(7, 1.5811, 5, 5, 1.5811, 5)
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (1.265, [-0.147, 2.615])
    """
    return _smd_stats("d", mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative)


def hedges_g_from_stats(
    mean1: Real,
    sd1: Real,
    n1: Int,
    mean2: Real,
    sd2: Real,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
) -> EstimateResult:
    """Hedges' g from summary statistics (group 1 = treatment, group 2 = reference).

    Same numbers as :func:`hedges_g` on the raw data: Cohen's d times the exact
    small-sample correction ``J(n1 + n2 - 2)``.

    Parameters
    ----------
    mean1, sd1, n1 : float, float, int
        Mean, standard deviation (with ``n - 1``) and size of the treatment
        group (``n1 >= 2``).
    mean2, sd2, n2 : float, float, int
        The same for the reference group.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    alternative : {"two-sided", "less", "greater"}
        One-sided intervals are open at -inf or +inf, as effectsize.

    Returns
    -------
    EstimateResult
        ``estimate``, ``confidence_interval()``, ``pvalue``, ``statistic`` (t).

    Examples
    --------
    Change in SLEDAI-2K from baseline, -8 (SD 4) in 12 treated patients and -5
    (SD 4) in 6 controls:

    >>> import lupusstats as ls
    >>> r = ls.hedges_g_from_stats(-8, 4, 12, -5, 4, 6)
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (-0.714, [-1.669, 0.261])
    """
    return _smd_stats("g", mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative)


def glass_delta_from_stats(
    mean1: Real,
    sd1: Real,
    n1: Int,
    mean2: Real,
    sd2: Real,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
) -> EstimateResult:
    """Glass's delta from summary statistics; `sd2` (reference) is the standardiser.

    Same numbers as :func:`glass_delta` on the raw data: ``(mean1 - mean2) / sd2``,
    with the interval and p-value from the Welch t statistic on ``n2 - 1`` df.

    Parameters
    ----------
    mean1, sd1, n1 : float, float, int
        Mean, standard deviation (with ``n - 1``) and size of the treatment
        group (``n1 >= 2``).
    mean2, sd2, n2 : float, float, int
        The same for the reference group; `sd2` must be > 0.
    confidence_level : float, default 0.95
        Confidence level of the interval.
    alternative : {"two-sided", "less", "greater"}
        One-sided intervals are open at -inf or +inf, as effectsize.

    Returns
    -------
    EstimateResult
        ``estimate``, ``confidence_interval()``, ``pvalue``, ``statistic`` (t).

    Examples
    --------
    Treatment changes the spread (SD 5 against 4), so standardise by the
    control group's SD:

    >>> import lupusstats as ls
    >>> r = ls.glass_delta_from_stats(-8, 5, 12, -5, 4, 6)
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (-0.75, [-1.879, 0.44])
    """
    return _smd_stats("delta", mean1, sd1, n1, mean2, sd2, n2, confidence_level, alternative)
