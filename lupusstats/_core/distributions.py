"""Distribution functions for scalar hot paths, without scipy.stats' per-call overhead.

``scipy.stats.norm.sf(x)`` and its kin check and broadcast their arguments
(``argsreduce``) on every call: about 100 microseconds for one number, which
dominates a root finder or a bisection that calls it hundreds of times.  The
functions here call the ``scipy.special`` ufuncs that scipy.stats (1.17) calls
itself and reproduce its handling of the edges (infinite and NaN arguments,
invalid shape parameters, probabilities 0 and 1), so that they return the same
numbers:

* bit for bit: :func:`nct_cdf`, :func:`chi2_sf`, :func:`chi2_ppf`,
  :func:`poisson_cdf`, :func:`poisson_sf`, :func:`poisson_pmf` and
  :func:`binom_sf` (the normal and t functions live in
  :mod:`lupusstats._core.inference`, the one home of those distributions);
* to rounding: the binomial mid-p tails :func:`binom_midp_upper` and
  :func:`binom_midp_lower`.  scipy.stats computes the point mass with a
  private ufunc; here ``P(X > k) + P(X = k) / 2`` is the mean of the two
  public regularised incomplete beta tails ``P(X > k)`` and ``P(X > k - 1)``
  (and likewise below), which involves no cancellation.  Against 60-digit
  sums they are as accurate as ``binom.sf + binom.pmf / 2`` in the upper tail
  and more accurate in the lower one (``binom.cdf``'s deep lower tail carries
  relative errors near 1e-13, ``betaincc``'s near 1e-16).

``tests/test_distributions.py`` compares each with scipy.stats on grids that
include the edges.  Arguments broadcast; a scalar input gives a numpy scalar
(as scipy.stats does).  scipy is imported when a function first runs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "binom_midp_lower",
    "binom_midp_upper",
    "binom_sf",
    "chi2_ppf",
    "chi2_sf",
    "nct_cdf",
    "poisson_cdf",
    "poisson_pmf",
    "poisson_sf",
]


def _result(x: npt.NDArray[np.float64]) -> np.float64 | npt.NDArray[np.float64]:
    """A numpy scalar for a 0-d array, as scipy.stats returns."""
    return x[()] if np.ndim(x) == 0 else x


# --------------------------------------------------------------------------- noncentral t
def nct_cdf(x, df, nc):
    """``scipy.stats.nct.cdf(x, df, nc)``: ``special.nctdtr(df, nc, x)`` at finite `x`.

    The ends: 0 at ``x = -inf`` and 1 at ``x = inf``; NaN for ``df <= 0`` or a
    NaN `x`, `df` or `nc`.
    """
    from scipy import special

    x = np.asarray(x, dtype=float)
    df = np.asarray(df, dtype=float)
    nc = np.asarray(nc, dtype=float)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(x)
        inner = special.nctdtr(df, nc, np.where(finite, x, 0.0))
        out = np.where(finite, inner, np.where(x > 0, 1.0, 0.0))
        out = np.where((df > 0.0) & (nc == nc) & ~np.isnan(x), out, np.nan)
    return _result(out)


# --------------------------------------------------------------------------- chi-squared
def chi2_sf(x, df):
    """``scipy.stats.chi2.sf(x, df)``: ``special.chdtrc(df, x)`` for ``x > 0``, 1 for ``x <= 0``, 0 at inf."""
    from scipy import special

    x = np.asarray(x, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        inner = special.chdtrc(df, np.where(np.isfinite(x) & (x > 0), x, 1.0))
        out = np.where(x <= 0.0, 1.0, np.where(x == np.inf, 0.0, inner))
        out = np.where((df > 0.0) & ~np.isnan(x), out, np.nan)
    return _result(out)


def chi2_ppf(q, df):
    """``scipy.stats.chi2.ppf(q, df)``: ``2 special.gammaincinv(df / 2, q)`` inside (0, 1), 0 at 0, inf at 1."""
    from scipy import special

    q = np.asarray(q, dtype=float)
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        inner = 2.0 * special.gammaincinv(df / 2.0, q) + 0.0
        out = np.where(q == 0.0, 0.0, np.where(q == 1.0, np.inf, inner))
        out = np.where((df > 0.0) & (q >= 0.0) & (q <= 1.0), out, np.nan)
    return _result(out)


# --------------------------------------------------------------------------- Poisson
def _poisson_valid(k, mu):
    return (mu >= 0.0) & ~np.isnan(k)


def _poisson_tail(k, mu, tail: str, below: float, at_inf: float):
    """``special.<tail>(floor(k), mu)`` with scipy.stats' ends: `below` for ``k < 0``, `at_inf` at ``k = inf``."""
    from scipy import special

    k = np.asarray(k, dtype=float)
    mu = np.asarray(mu, dtype=float)
    with np.errstate(invalid="ignore"):
        inner = getattr(special, tail)(np.floor(np.where((k >= 0) & np.isfinite(k), k, 0.0)), mu)
        out = np.where(k < 0, below, np.where(k == np.inf, at_inf, inner))
        out = np.where(_poisson_valid(k, mu), out, np.nan)
    return _result(out)


def poisson_cdf(k, mu):
    """``scipy.stats.poisson.cdf(k, mu)``: ``special.pdtr(floor(k), mu)``; 0 below 0, 1 at ``k = inf``."""
    return _poisson_tail(k, mu, "pdtr", 0.0, 1.0)


def poisson_sf(k, mu):
    """``scipy.stats.poisson.sf(k, mu)``: ``special.pdtrc(floor(k), mu)``; 1 below 0, 0 at ``k = inf``."""
    return _poisson_tail(k, mu, "pdtrc", 1.0, 0.0)


def poisson_pmf(k, mu):
    """``scipy.stats.poisson.pmf(k, mu)``: ``exp(xlogy(k, mu) - gammaln(k + 1) - mu)``, clipped to [0, 1].

    0 at a negative or non-integer `k`.
    """
    from scipy import special

    k = np.asarray(k, dtype=float)
    mu = np.asarray(mu, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        support = (k >= 0) & (np.floor(k) == k)
        kk = np.where(support, k, 0.0)
        inner = np.clip(np.exp(special.xlogy(kk, mu) - special.gammaln(kk + 1) - mu), 0.0, 1.0)
        out = np.where(support, inner, 0.0)
        out = np.where(_poisson_valid(k, mu), out, np.nan)
    return _result(out)


# --------------------------------------------------------------------------- binomial
def _binom_sf(k, n, p):
    """``P(X > k)`` for integer-valued arrays `k` (any), `n` >= 0 and `p` in [0, 1]: ``I_p(k + 1, n - k)``."""
    from scipy import special

    inside = (k >= 0) & (k < n)
    inner = special.betainc(np.where(inside, k + 1.0, 1.0), np.where(inside, n - k, 1.0), p)
    return np.where(k < 0, 1.0, np.where(k >= n, 0.0, inner))


def _binom_cdf(k, n, p):
    """``P(X <= k)``: ``1 - I_p(k + 1, n - k)``, computed as the complementary incomplete beta (no cancellation)."""
    from scipy import special

    inside = (k >= 0) & (k < n)
    inner = special.betaincc(np.where(inside, k + 1.0, 1.0), np.where(inside, n - k, 1.0), p)
    return np.where(k < 0, 0.0, np.where(k >= n, 1.0, inner))


def _binom_args(k, n, p):
    k, n, p = (np.asarray(a, dtype=float) for a in (k, n, p))
    valid = (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1) & ~np.isnan(k)
    return np.floor(k), n, p, valid


def binom_sf(k, n, p):
    """``scipy.stats.binom.sf(k, n, p)``: ``special.betainc(k + 1, n - k, p)`` for ``0 <= k < n``.

    1 below 0, 0 from `n` on; NaN for a negative or non-integer `n`, a `p`
    outside [0, 1] or a NaN.
    """
    k, n, p, valid = _binom_args(k, n, p)
    with np.errstate(invalid="ignore"):
        return _result(np.where(valid, _binom_sf(k, n, p), np.nan))


def binom_midp_upper(k, n, p):
    """Mid-p upper tail ``P(X > k) + P(X = k) / 2`` of a binomial, as ``(P(X > k) + P(X > k - 1)) / 2``.

    Equals ``binom.sf(k, n, p) + 0.5 * binom.pmf(k, n, p)`` to rounding (see
    the module docstring); NaN where scipy.stats gives NaN.
    """
    k, n, p, valid = _binom_args(k, n, p)
    with np.errstate(invalid="ignore"):
        return _result(np.where(valid, 0.5 * (_binom_sf(k, n, p) + _binom_sf(k - 1.0, n, p)), np.nan))


def binom_midp_lower(k, n, p):
    """Mid-p lower tail ``P(X < k) + P(X = k) / 2`` of a binomial, as ``(P(X <= k - 1) + P(X <= k)) / 2``.

    Equals ``binom.cdf(k - 1, n, p) + 0.5 * binom.pmf(k, n, p)`` to rounding
    (see the module docstring); NaN where scipy.stats gives NaN.
    """
    k, n, p, valid = _binom_args(k, n, p)
    with np.errstate(invalid="ignore"):
        return _result(np.where(valid, 0.5 * (_binom_cdf(k - 1.0, n, p) + _binom_cdf(k, n, p)), np.nan))
