"""Inference formulas shared by every family, each written once.

* ``alternative``: :func:`check_alternative` (re-exported from
  :mod:`lupusstats._core.validation`), :func:`two_sided_level`,
  :func:`one_sided` and :func:`statsmodels_alternative`;
* critical values and p-values of a z (normal) or t statistic:
  :func:`critical_value`, :func:`pvalue_from_z`;
* :func:`wald_interval`: ``estimate -/+ crit * se`` on a working scale (log,
  atanh, ...), one- or two-sided, back-transformed and clipped;
* :func:`wilson_interval` for a proportion (statsmodels, with R's exact ends);
  :func:`clopper_pearson_interval`, the exact interval (the Monte Carlo
  interval of a simulated rejection rate);
* the Miettinen-Nurminen score test and interval for a difference of two
  independent proportions: :func:`mn_restricted_proportions`,
  :func:`mn_score_statistic`, :func:`mn_score_interval` (vectorised; written
  here because statsmodels' version is wrong away from the null, see there);
* :func:`hedges_j`, Hedges' exact small-sample correction;
* the 2x2 table: :func:`zero_cell_correction` (``metafor::escalc``'s rule),
  :func:`log_risk_ratio`, :func:`log_odds_ratio`, :func:`risk_difference`
  with their large-sample variances.

Conventions.  A one-sided interval at level ``c`` is one end of the two-sided
interval at level ``2c - 1`` and is open (``-inf``/``+inf`` on the working
scale) at the other end; ``"less"`` keeps the upper limit, ``"greater"`` the
lower one.  Critical values use the upper tail, ``norm.isf((1 - c) / 2)``
(two-sided) or ``norm.isf(1 - c)`` (one-sided), as statsmodels does; a finite
``df`` switches to Student's t.  Everything broadcasts over numpy arrays and
returns a float for scalar input.  The normal and t distribution functions
are the ``scipy.special`` ufuncs that scipy.stats calls (the same numbers,
without scipy.stats' per-call overhead).  scipy and statsmodels are imported
only when a function runs.  This module imports nothing from the rest of the
package but :mod:`lupusstats._core.validation`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from lupusstats._core.types import FloatOrArray
from lupusstats._core.validation import check_alternative

__all__ = [
    "ALTERNATIVES",
    "check_alternative",
    "clopper_pearson_interval",
    "critical_value",
    "hedges_j",
    "log_odds_ratio",
    "log_risk_ratio",
    "mn_restricted_proportions",
    "mn_score_interval",
    "mn_score_statistic",
    "one_sided",
    "pvalue_from_z",
    "risk_difference",
    "statsmodels_alternative",
    "two_sided_level",
    "wald_interval",
    "wilson_interval",
    "zero_cell_correction",
]

#: The values of every ``alternative`` argument.
ALTERNATIVES = ("two-sided", "less", "greater")

_STATSMODELS_ALTERNATIVE = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}

#: Zero-cell rules of :func:`zero_cell_correction` (``metafor::escalc``'s ``to``).
ZERO_CELL_RULES = ("only0", "all", "if0all", "none")


def _out(x: npt.NDArray[np.float64]) -> FloatOrArray:
    """A float for a 0-d result, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------- alternative
def statsmodels_alternative(alternative: str) -> str:
    """statsmodels' name of an alternative: ``"less"`` is ``"smaller"``, ``"greater"`` is ``"larger"``."""
    return _STATSMODELS_ALTERNATIVE[check_alternative(alternative)]


def two_sided_level(confidence_level: float, alternative: str) -> float:
    """Level of the two-sided interval whose one end is the one-sided interval at `confidence_level`.

    ``c`` for ``"two-sided"``, ``2c - 1`` otherwise.
    """
    return confidence_level if alternative == "two-sided" else 2 * confidence_level - 1


def one_sided(low, high, alternative: str, lower_limit: float = -math.inf, upper_limit: float = math.inf):
    """Replace the open end of a one-sided interval by the parameter's bound.

    ``"greater"`` keeps `low` and sets the upper end to `upper_limit`;
    ``"less"`` keeps `high` and sets the lower end to `lower_limit`;
    ``"two-sided"`` returns the interval unchanged.
    """
    if alternative == "greater":
        return low, upper_limit if np.ndim(high) == 0 else np.full(np.shape(high), upper_limit)
    if alternative == "less":
        return lower_limit if np.ndim(low) == 0 else np.full(np.shape(low), lower_limit), high
    return low, high


# --------------------------------------------------------------------------- z and t
# The scipy.special ufuncs that scipy.stats.norm and scipy.stats.t call (scipy 1.17), with scipy.stats'
# handling of the edges: the same numbers bit for bit (tests/test_distributions.py) without its per-call
# argument checking and broadcasting (about 100 microseconds for one number).
def _norm_cdf(x):
    """``scipy.stats.norm.cdf(x)``: ``special.ndtr(x)``."""
    from scipy import special

    return special.ndtr(x)


def _norm_sf(x):
    """``scipy.stats.norm.sf(x)``: ``special.ndtr(-x)``."""
    from scipy import special

    return special.ndtr(-np.asarray(x, dtype=float))


def _norm_isf(q):
    """``scipy.stats.norm.isf(q)``: ``-special.ndtri(q)`` (``+ 0.0``: scipy.stats returns 0.0, not -0.0, at 0.5)."""
    from scipy import special

    return -special.ndtri(q) + 0.0


def _t_cdf(x, df):
    """``scipy.stats.t.cdf(x, df)``: ``special.stdtr(df, x)`` (NaN for ``df <= 0``, as scipy.stats)."""
    from scipy import special

    return special.stdtr(df, x)


def _t_sf(x, df):
    """``scipy.stats.t.sf(x, df)``: ``special.stdtr(df, -x)``."""
    from scipy import special

    return special.stdtr(df, -np.asarray(x, dtype=float))


def _t_isf(q, df):
    """``scipy.stats.t.isf(q, df)``: ``-special.stdtrit(df, q)`` inside (0, 1).

    ``stdtrit`` returns ``inf`` at ``q = 0`` and ``q = 1``; scipy.stats returns
    the ends of the support there (``+inf`` at 0, ``-inf`` at 1), and NaN for
    ``df <= 0`` or NaN.
    """
    from scipy import special

    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        inner = -special.stdtrit(df, q) + 0.0
        out = np.where(q == 0.0, np.inf, np.where(q == 1.0, -np.inf, inner))
        out = np.where(df > 0.0, out, np.nan)
    return out[()] if np.ndim(out) == 0 else out


def critical_value(confidence_level, alternative: str = "two-sided", df=math.inf):
    """Critical value of a normal (``df = inf``) or Student t interval or test.

    ``isf((1 - c) / 2)`` for ``"two-sided"`` and ``isf(1 - c)`` for a one-sided
    alternative.  `confidence_level` (``c``) and `df` broadcast; an infinite
    `df` gives the normal quantile exactly.

    Examples
    --------
    >>> from lupusstats._core.inference import critical_value
    >>> round(critical_value(0.95), 4), round(critical_value(0.95, "less"), 4)
    (1.96, 1.6449)
    >>> round(critical_value(0.95, df=10), 4)
    2.2281
    """
    alternative = check_alternative(alternative)
    tail = 1.0 - np.asarray(confidence_level, dtype=float)
    if alternative == "two-sided":
        tail = tail / 2.0
    df = np.asarray(df, dtype=float)
    finite = np.isfinite(df)
    if not finite.any():
        q = _norm_isf(tail)
        if df.ndim:
            q = np.broadcast_to(q, np.broadcast(tail, df).shape)
    else:
        q = np.where(finite, _t_isf(tail, np.where(finite, df, 1.0)), _norm_isf(tail))
    return _out(q)


def pvalue_from_z(z, alternative: str = "two-sided", df=math.inf):
    """p-value of a z (``df = inf``) or t statistic against 0.

    ``"greater"``: ``P(Z >= z)``; ``"less"``: ``P(Z <= z)``; ``"two-sided"``:
    ``2 min(P(Z >= z), P(Z <= z))`` (``= 2 P(Z >= |z|)``), at most 1.  NaN stays
    NaN; ``z = +-inf`` gives the limits 0 and 1.

    Examples
    --------
    >>> from lupusstats._core.inference import pvalue_from_z
    >>> round(pvalue_from_z(1.96), 4), round(pvalue_from_z(1.96, "greater"), 4), round(pvalue_from_z(1.96, "less"), 4)
    (0.05, 0.025, 0.975)
    """
    alternative = check_alternative(alternative)
    z = np.asarray(z, dtype=float)
    df = np.asarray(df, dtype=float)
    finite = np.isfinite(df)
    if not finite.any():
        sf, cdf = _norm_sf(z), _norm_cdf(z)
        if df.ndim:
            sf, cdf = np.broadcast_arrays(sf, cdf, df)[:2]
    else:
        dfs = np.where(finite, df, 1.0)
        sf = np.where(finite, _t_sf(z, dfs), _norm_sf(z))
        cdf = np.where(finite, _t_cdf(z, dfs), _norm_cdf(z))
    if alternative == "greater":
        p = sf
    elif alternative == "less":
        p = cdf
    else:
        p = np.minimum(1.0, 2.0 * np.minimum(sf, cdf))
    return _out(p)


def wald_interval(
    estimate,
    se,
    confidence_level,
    alternative: str = "two-sided",
    *,
    df=math.inf,
    back: Callable | None = None,
    clip: Sequence[float] | None = None,
):
    """Wald interval ``estimate -/+ crit * se`` on a working scale.

    Parameters
    ----------
    estimate, se : float or array_like
        Estimate and standard error on the working scale (e.g. log RR).
    confidence_level : float
    alternative : {"two-sided", "less", "greater"}
        One-sided intervals are open: ``-inf`` (``"less"``) or ``+inf``
        (``"greater"``) on the working scale.
    df : float or array_like, default inf
        Student t degrees of freedom (inf: normal).
    back : callable, optional
        Back-transform applied to both ends, e.g. ``np.exp`` for a log-scale
        interval (open ends become 0 and inf) or ``np.tanh`` for Fisher's z.
    clip : (low, high), optional
        Bounds of the parameter; both ends are clipped into them.

    Returns
    -------
    (low, high) : floats for scalar input, arrays otherwise

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats._core.inference import wald_interval
    >>> [round(v, 4) for v in wald_interval(np.log(0.5), 0.2, 0.95, back=np.exp)]
    [0.3378, 0.74]
    >>> wald_interval(0.3, 0.1, 0.95, "less", clip=(0.0, 1.0))[0]
    0.0
    """
    alternative = check_alternative(alternative)
    crit = critical_value(confidence_level, alternative, df)
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        low = estimate - crit * se if alternative != "less" else np.full(np.broadcast(estimate, se).shape, -np.inf)
        high = estimate + crit * se if alternative != "greater" else np.full(np.broadcast(estimate, se).shape, np.inf)
        if back is not None:
            low, high = back(low), back(high)
    if clip is not None:
        lo, hi = clip
        low, high = np.minimum(np.maximum(low, lo), hi), np.maximum(np.minimum(high, hi), lo)
    return _out(low), _out(high)


# --------------------------------------------------------------------------- proportions
def wilson_interval(x, n, confidence_level):
    """Wilson score interval for a proportion ``x / n``, as R ``prop.test(x, n, correct = FALSE)``.

    The formula is statsmodels' ``proportion_confint(method="wilson")``; as R,
    the lower end is exactly 0 at ``x = 0`` and the upper end exactly 1 at
    ``x = n`` (statsmodels leaves rounding error of order 1e-17 there).  `n`
    may be an effective (non-integer) size; NaN propagates.  Vectorised.

    Examples
    --------
    >>> from lupusstats._core.inference import wilson_interval
    >>> [round(v, 4) for v in wilson_interval(3, 10, 0.95)]
    [0.1078, 0.6032]
    >>> wilson_interval(0, 10, 0.95)[0], wilson_interval(10, 10, 0.95)[1]
    (0.0, 1.0)
    """
    from statsmodels.stats.proportion import proportion_confint

    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = proportion_confint(x, n, alpha=1.0 - confidence_level, method="wilson")
    low = np.where(x == 0, 0.0, low)
    high = np.where(x == n, 1.0, high)
    return _out(low), _out(high)


def clopper_pearson_interval(x, n, confidence_level):
    """Clopper-Pearson (exact) interval for a binomial proportion ``x / n``, as R ``binom.test(x, n)$conf.int``.

    The ends are beta quantiles, ``B((1 - c)/2; x, n - x + 1)`` and
    ``B((1 + c)/2; x + 1, n - x)``, with 0 at ``x = 0`` and 1 at ``x = n``;
    its coverage is at least `confidence_level` for every true proportion,
    which makes it the interval of a simulated rejection rate (power or type I
    error).  Vectorised over `x` and `n` (integer counts, ``0 <= x <= n``,
    ``n >= 1``); NaN propagates.

    Examples
    --------
    >>> from lupusstats._core.inference import clopper_pearson_interval
    >>> [round(v, 4) for v in clopper_pearson_interval(3, 10, 0.95)]  # binom.test(3, 10)
    [0.0667, 0.6525]
    >>> clopper_pearson_interval(0, 10, 0.95)[0], clopper_pearson_interval(10, 10, 0.95)[1]
    (0.0, 1.0)
    """
    from scipy.special import betaincinv

    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    tail = (1.0 - confidence_level) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(x <= 0, 0.0, betaincinv(np.maximum(x, 1e-300), n - x + 1.0, tail))
        high = np.where(x >= n, 1.0, betaincinv(x + 1.0, np.maximum(n - x, 1e-300), 1.0 - tail))
    nan = np.isnan(x) | np.isnan(n)
    return _out(np.where(nan, np.nan, low)), _out(np.where(nan, np.nan, high))


# --------------------------------------------------------------------------- standardised mean differences
def hedges_j(df):
    """Hedges' (1981) exact small-sample correction ``J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))``.

    Computed on the log scale (``gammaln``), as R ``effectsize`` and
    ``metafor::escalc(measure="SMD")``.  Vectorised.

    Examples
    --------
    >>> from lupusstats._core.inference import hedges_j
    >>> round(hedges_j(8), 4)
    0.9027
    """
    from scipy.special import gammaln

    df = np.asarray(df, dtype=float)
    return _out(np.exp(gammaln(df / 2) - np.log(np.sqrt(df / 2)) - gammaln((df - 1) / 2)))


# --------------------------------------------------------------------------- 2x2 tables
def zero_cell_correction(cells, add: float = 0.5, to: str = "only0"):
    """``metafor::escalc``'s zero-cell rule: add `add` to the cells of a table (study) with a zero cell.

    Parameters
    ----------
    cells : sequence of float or array_like
        The cells (or counts) of the tables, one array per cell, one entry per
        table (scalars for one table): ``[a, b, c, d]`` of 2x2 tables, ``[x1, x2]``
        for rates, ``[x, n - x]`` for a proportion.
    add : float, default 0.5
    to : {"only0", "all", "if0all", "none"}
        ``"only0"``: every cell of a table that has a zero cell; ``"all"``:
        every table; ``"if0all"``: every table when any has a zero cell;
        ``"none"``: never.  ``add = 0`` never corrects.

    Returns
    -------
    (cells, corrected)
        The cells as float arrays and a boolean array: which tables received `add`.

    Examples
    --------
    >>> from lupusstats._core.inference import zero_cell_correction
    >>> cells, flag = zero_cell_correction([3, 7, 0, 12])
    >>> [float(c) for c in cells], bool(flag)
    ([3.5, 7.5, 0.5, 12.5], True)
    """
    if to not in ZERO_CELL_RULES:
        raise ValueError(f"`to` must be one of {list(ZERO_CELL_RULES)}, got {to!r}.")
    cells = [np.asarray(c, dtype=float) for c in cells]
    shape = np.broadcast(*cells).shape
    if to == "none" or add == 0:
        return cells, np.zeros(shape, dtype=bool)
    has0 = np.zeros(shape, dtype=bool)
    for c in cells:
        has0 |= c == 0
    if to == "all":
        flag = np.ones(shape, dtype=bool)
    elif to == "only0":
        flag = has0
    else:  # if0all
        flag = np.full(shape, bool(has0.any()))
    return [c + add * flag for c in cells], flag


def log_risk_ratio(
    a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, d: npt.ArrayLike
) -> tuple[FloatOrArray, FloatOrArray]:
    """Log risk ratio of a 2x2 table and its Katz variance ``1/a - 1/(a+b) + 1/c - 1/(c+d)``.

    Cells: ``a`` events and ``b`` non-events of group 1, ``c`` and ``d`` of group 2
    (after any :func:`zero_cell_correction`).  Returns ``(log_rr, variance)``;
    a zero cell gives an infinite or NaN result (no warning).  Vectorised.
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.log(a / n1) - np.log(c / n2)), _out(1 / a - 1 / n1 + 1 / c - 1 / n2)


def log_odds_ratio(
    a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, d: npt.ArrayLike
) -> tuple[FloatOrArray, FloatOrArray]:
    """Log odds ratio ``log(ad / bc)`` of a 2x2 table and its Woolf variance ``1/a + 1/b + 1/c + 1/d``.

    Cells as :func:`log_risk_ratio`.  Returns ``(log_or, variance)``.  Vectorised.
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.log(a * d / (b * c))), _out(1 / a + 1 / b + 1 / c + 1 / d)


def risk_difference(
    a: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, d: npt.ArrayLike
) -> tuple[FloatOrArray, FloatOrArray]:
    """Risk difference ``p1 - p2`` of a 2x2 table and its Wald variance ``p1 q1 / n1 + p2 q2 / n2``.

    Cells as :func:`log_risk_ratio`.  Returns ``(rd, variance)``.  Vectorised.
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = a / n1, c / n2
        return _out(p1 - p2), _out(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)


# --------------------------------------------------------------------------- Miettinen-Nurminen
# Written here, vectorised, rather than taken from statsmodels: in statsmodels 0.14.6 and 0.15.0 the
# restricted estimate of `score_test_proportions_2indep(compare="diff")` has a wrong linear coefficient
# of its cubic (``count0`` where ``nobs0`` belongs; statsmodels issue #10269, fix proposed in PR #10270,
# read with the search tool), so its score test at a non-zero difference and
# `confint_proportions_2indep(method="score")` are off by up to about 6e-3, and the latter's root
# bracketing fails outright on many small tables.  At a null difference of 0 (the test of equality)
# statsmodels is right: it uses the pooled proportion, as here.
def mn_restricted_proportions(x1, n1, x0, n0, delta):
    """Restricted maximum-likelihood proportions ``(p1, p0)`` under ``p1 - p0 = delta``.

    The closed-form root of the likelihood equation (a cubic in ``p0``; the
    trigonometric solution of Miettinen & Nurminen 1985, Appendix, as
    Farrington & Manning 1990 write it), clipped into the feasible range
    ``max(0, -delta) <= p0 <= min(1, 1 - delta)``.  Group 1 is the treated
    group, group 0 the reference.  Vectorised over all arguments.

    Examples
    --------
    >>> from lupusstats._core.inference import mn_restricted_proportions
    >>> p1, p0 = mn_restricted_proportions(56, 70, 48, 80, 0.3)
    >>> round(float(p1 - p0), 12), round(float(p0), 6)
    (0.3, 0.538388)
    """
    x1, n1, x0, n0, delta = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0, delta))
    big_n = n1 + n0
    x = x1 + x0
    a3 = big_n
    a2 = (n1 + 2.0 * n0) * delta - big_n - x
    a1 = (n0 * delta - big_n - 2.0 * x0) * delta + x
    a0 = x0 * delta * (1.0 - delta)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (a2 / (3.0 * a3)) ** 3 - a1 * a2 / (6.0 * a3**2) + a0 / (2.0 * a3)
        u = np.sign(v) * np.sqrt(np.maximum((a2 / (3.0 * a3)) ** 2 - a1 / (3.0 * a3), 0.0))
        ratio = np.where(u != 0, v / u**3, 0.0)
        w = (np.pi + np.arccos(np.clip(ratio, -1.0, 1.0))) / 3.0
        p0 = 2.0 * u * np.cos(w) - a2 / (3.0 * a3)
    # u = 0 with v = 0 (a triple root) leaves p0 = -a2 / (3 a3), the root itself
    p0 = np.where(delta == 0, x / big_n, p0)  # the pooled proportion at the null of equality, exactly
    p0 = np.clip(p0, np.maximum(0.0, -delta), np.minimum(1.0, 1.0 - delta))
    return _out(p0 + delta), _out(p0)


def mn_score_statistic(x1, n1, x0, n0, delta=0.0, *, correction: bool = True):
    """Miettinen-Nurminen score statistic ``z`` for ``H0: p1 - p0 = delta``.

    ``z = (x1/n1 - x0/n0 - delta) / sqrt(V)`` with ``V = (p1~ q1~ / n1 + p0~ q0~
    / n0) * N / (N - 1)``, the restricted estimates of
    :func:`mn_restricted_proportions` and ``N = n1 + n0``; ``correction=False``
    drops the ``N / (N - 1)`` factor (the Farrington-Manning statistic).  At
    ``delta = 0`` this is the Pearson chi-square z times ``sqrt((N - 1) / N)``.
    ``V = 0`` (every or no patient responded, at ``delta = 0``) gives NaN.
    Vectorised.

    Examples
    --------
    >>> from lupusstats._core.inference import mn_score_statistic
    >>> round(mn_score_statistic(56, 70, 48, 80), 6)
    2.641323
    """
    x1, n1, x0, n0, delta = (np.asarray(v, dtype=float) for v in (x1, n1, x0, n0, delta))
    p1t, p0t = mn_restricted_proportions(x1, n1, x0, n0, delta)
    big_n = n1 + n0
    var = p1t * (1.0 - p1t) / n1 + p0t * (1.0 - p0t) / n0
    if correction:
        var = var * big_n / (big_n - 1.0)
    diff = x1 / n1 - x0 / n0 - delta
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, diff / np.sqrt(var), np.where(diff == 0, np.nan, np.sign(diff) * np.inf))
    return _out(z)


def mn_score_interval(x1, n1, x0, n0, confidence_level, *, correction: bool = True, iterations: int = 64):
    """Miettinen-Nurminen score interval for ``p1 - p0`` (two-sided), vectorised.

    The set of differences ``delta`` not rejected by the two-sided
    :func:`mn_score_statistic` test, ``|z(delta)| <= z_(1 - a/2)``: each limit
    is the root of ``z(delta) = +-z_(1 - a/2)``, found by bisection on
    ``(-1, d)`` and ``(d, 1)`` with ``d`` the observed difference (``z`` falls
    as ``delta`` rises), for every table at once; 64 halvings leave the limits
    exact to rounding.  A limit is -1 or 1 when the observed difference is.
    Miettinen & Nurminen (1985), Stat Med 4:213-26; with ``correction=False``
    the variance lacks ``N / (N - 1)``.

    Examples
    --------
    >>> from lupusstats._core.inference import mn_score_interval
    >>> [round(float(v), 4) for v in mn_score_interval(56, 70, 48, 80, 0.95)]
    [0.0528, 0.3382]
    """
    x1, n1, x0, n0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x0, n0)))
    crit = critical_value(confidence_level, "two-sided")
    d = x1 / n1 - x0 / n0

    def solve(lo, hi, target):
        lo, hi = lo.copy(), hi.copy()
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            above = np.asarray(mn_score_statistic(x1, n1, x0, n0, mid, correction=correction)) > target
            # z is decreasing in delta: above the target means the root lies to the right
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        return 0.5 * (lo + hi)

    with np.errstate(invalid="ignore"):
        low = solve(np.full(d.shape, -1.0), d, crit)
        high = solve(d, np.full(d.shape, 1.0), -crit)
    low = np.where(d <= -1.0, -1.0, low)
    high = np.where(d >= 1.0, 1.0, high)
    return _out(low), _out(high)
