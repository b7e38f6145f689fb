"""scipy.special shortcuts against scipy.stats, on grids with the edges.

The shortcuts: lupusstats/_core/distributions.py and the normal and t helpers of
lupusstats/_core/inference.py.

Where the shortcut calls the ufunc scipy.stats calls, the two must agree bit for
bit (NaN where NaN, infinities where infinities); the binomial mid-p tails are
computed differently (two incomplete beta tails instead of a tail and a point
mass) and must agree to rounding, and be as accurate against exact sums.
"""

from __future__ import annotations

import warnings
from decimal import Decimal, getcontext

import numpy as np
import pytest
from scipy import stats

from lupusstats._core import distributions as d
from lupusstats._core import inference as inf

_FINITE = [-1e300, -40.0, -38.5, -8.0, -1.96, -1e-300, -0.0, 0.0, 1e-300, 0.5, 1.96, 8.0, 38.5, 40.0, 1e300]
X = np.array([-np.inf, *_FINITE, np.inf, np.nan])
Q = np.array([0.0, 5e-324, 1e-300, 1e-20, 1e-10, 0.025, 0.05, 0.5, 0.975, 1 - 1e-10, 1 - 1e-16, 1.0, np.nan, -0.1, 1.1])
DF = np.array([-1.0, 0.0, 1e-10, 0.5, 1.0, 2.0, 3.5, 10.0, 100.0, 1e5, 1e10, 1e20, 1e300, np.inf, np.nan])[:, None]


def _identical(ours, theirs):
    ours, theirs = np.broadcast_arrays(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float))
    same = (ours == theirs) & (np.signbit(ours) == np.signbit(theirs)) | (np.isnan(ours) & np.isnan(theirs))
    assert same.all(), list(zip(ours[~same][:5], theirs[~same][:5], strict=True))


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_normal():
    _identical(inf._norm_cdf(X), stats.norm.cdf(X))
    _identical(inf._norm_sf(X), stats.norm.sf(X))
    _identical(inf._norm_isf(Q), stats.norm.isf(Q))
    assert isinstance(inf._norm_isf(0.025), np.floating) and isinstance(inf._norm_sf(1.0), np.floating)


def test_student_t():
    _identical(inf._t_cdf(X, DF), stats.t.cdf(X, DF))
    _identical(inf._t_sf(X, DF), stats.t.sf(X, DF))
    _identical(inf._t_isf(Q, DF), stats.t.isf(Q, DF))
    for q, df in ((0.025, 10.0), (0.0, 3.0), (1.0, 3.0), (0.5, 7.0)):
        _identical(inf._t_isf(q, df), stats.t.isf(q, df))
        assert np.ndim(inf._t_isf(q, df)) == 0


def test_noncentral_t():
    nc = np.array([-np.inf, -50.0, -3.0, -1e-8, 0.0, 0.7, 5.0, 40.0, np.inf, np.nan])[:, None, None]
    _identical(d.nct_cdf(X, DF, nc), stats.nct.cdf(X, DF, nc))
    assert np.ndim(d.nct_cdf(1.5, 20.0, 0.3)) == 0


def test_chi_squared():
    x = np.concatenate([X, [1e-5, 3.0, 100.0, 1e5]])
    _identical(d.chi2_sf(x, DF), stats.chi2.sf(x, DF))
    _identical(d.chi2_ppf(Q, DF), stats.chi2.ppf(Q, DF))


def test_poisson():
    k = np.array([-np.inf, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 7.0, 30.0, 1000.0, 1e6, np.inf, np.nan])
    mu = np.array([-1.0, 0.0, 1e-300, 1e-10, 0.3, 1.0, 7.5, 30.0, 1e3, 1e6, 1e300, np.inf, np.nan])[:, None]
    _identical(d.poisson_cdf(k, mu), stats.poisson.cdf(k, mu))
    _identical(d.poisson_sf(k, mu), stats.poisson.sf(k, mu))
    _identical(d.poisson_pmf(k, mu), stats.poisson.pmf(k, mu))


def _binomial_grid():
    rng = np.random.default_rng(20261203)
    n = rng.integers(1, 3000, 4000).astype(float)
    k = np.floor(rng.random(4000) * (n + 1))
    p = np.concatenate([rng.random(2000), 10 ** rng.uniform(-300, 0, 1000), 1 - 10 ** rng.uniform(-16, 0, 1000)])
    edges_n = np.array([0.0, 1.0, 1.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, -1.0, 2.5, np.nan])
    edges_k = np.array([0.0, 0.0, 1.0, -1.0, 0.0, 5.0, 6.0, 2.0, 2.0, 2.0, 2.0, np.inf, np.nan, 0.0, 1.0, 1.0])
    edges_p = np.array([0.3, 0.0, 1.0, 0.4, 0.0, 1.0, 0.5, 0.0, 1.0, -0.1, np.nan, 0.4, 0.4, 0.5, 0.5, 0.5])
    return np.concatenate([k, edges_k]), np.concatenate([n, edges_n]), np.concatenate([p, edges_p])


def test_binomial_sf_is_scipy_stats():
    k, n, p = _binomial_grid()
    _identical(d.binom_sf(k, n, p), stats.binom.sf(k, n, p))
    _identical(d.binom_sf(k - 1, n, p), stats.binom.sf(k - 1, n, p))


def test_binomial_midp_tails_agree_with_scipy_stats():
    """The mid-p tails against ``sf + pmf / 2`` and ``cdf(k - 1) + pmf / 2``: equal to rounding.

    Above 1e-250 (below it scipy.stats' Boost routines underflow to 0): within
    1e-12 relative everywhere (the measured maximum is 4e-13, in tails below
    1e-50 where scipy.stats' own error is of that size) and within 1e-13 where
    the tail is at least 1e-6 (the tails the mid-p intervals solve for).
    """
    k, n, p = _binomial_grid()
    pmf = stats.binom.pmf(k, n, p)
    pairs = (
        (d.binom_midp_upper(k, n, p), stats.binom.sf(k, n, p) + 0.5 * pmf),
        (d.binom_midp_lower(k, n, p), stats.binom.cdf(k - 1, n, p) + 0.5 * pmf),
    )
    for ours, theirs in pairs:
        assert np.array_equal(np.isnan(ours), np.isnan(theirs))
        ok = ~np.isnan(theirs)
        assert np.array_equal(ours[ok & (theirs == 0.0) & (ours > 1e-250)], [])
        big = ok & (theirs > 1e-250)
        np.testing.assert_allclose(ours[big], theirs[big], rtol=1e-12, atol=0)
        usual = ok & (theirs > 1e-6)
        np.testing.assert_allclose(ours[usual], theirs[usual], rtol=1e-13, atol=0)
    # exact at the ends of the parameter space
    # (scipy.stats' Boost point mass at k = 0, n = 1, p = 1/2 is 0.5000000000000001; the tails are exact)
    assert (d.binom_midp_lower(0, 1, 0.5), d.binom_midp_upper(0, 1, 0.5)) == (0.25, 0.75)
    for k0, n0, p0 in ((0, 5, 0.0), (5, 5, 1.0), (3, 5, 0.0), (2, 5, 1.0)):
        pm = stats.binom.pmf(k0, n0, p0)
        assert d.binom_midp_upper(k0, n0, p0) == stats.binom.sf(k0, n0, p0) + 0.5 * pm
        assert d.binom_midp_lower(k0, n0, p0) == stats.binom.cdf(k0 - 1, n0, p0) + 0.5 * pm


def test_binomial_midp_tails_are_accurate():
    """Against 60-digit sums of the point masses: no less accurate than scipy.stats' ``sf + pmf / 2``."""
    getcontext().prec = 60
    rng = np.random.default_rng(5)
    worst = {"ours": 0.0, "stats": 0.0}
    for trial in range(12):
        n = int(rng.integers(2, 800))
        p = float(rng.random()) if trial % 2 else float(10 ** rng.uniform(-6, 0))
        big_p, big_q = Decimal(p).ln(), (1 - Decimal(p)).ln()
        log_fact = [Decimal(0)]
        for i in range(1, n + 1):
            log_fact.append(log_fact[-1] + Decimal(i).ln())
        mass = [(log_fact[n] - log_fact[j] - log_fact[n - j] + j * big_p + (n - j) * big_q).exp() for j in range(n + 1)]
        for k in rng.integers(0, n + 1, 6):
            k = int(k)
            upper = sum(mass[k + 1 :], Decimal(0)) + mass[k] / 2
            lower = sum(mass[:k], Decimal(0)) + mass[k] / 2
            pm = stats.binom.pmf(k, n, p)
            for exact, ours, theirs in (
                (upper, d.binom_midp_upper(k, n, p), stats.binom.sf(k, n, p) + 0.5 * pm),
                (lower, d.binom_midp_lower(k, n, p), stats.binom.cdf(k - 1, n, p) + 0.5 * pm),
            ):
                if exact < Decimal("1e-250"):
                    continue
                worst["ours"] = max(worst["ours"], float(abs(Decimal(float(ours)) - exact) / exact))
                worst["stats"] = max(worst["stats"], float(abs(Decimal(float(theirs)) - exact) / exact))
    assert worst["ours"] <= max(worst["stats"], 1e-15) * 1.5, worst


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_exact_rate_ratio_interval_is_scipy_binomtest_interval(alternative):
    """rate_ratio_test's exact interval (beta quantiles) against scipy.stats.binomtest's (root finder, xtol 2e-12)."""
    from lupusstats.rates.poisson import _rate_ratio_interval

    for n in (1, 2, 5, 13, 40, 200):
        for x1 in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            for level in (0.5, 0.8, 0.95, 0.999):
                theirs = stats.binomtest(x1, n, 0.5, alternative=alternative).proportion_ci(level, method="exact")
                ours = _rate_ratio_interval(level, "exact", alternative, x1, n - x1, n, 0.5, 1.0, np.nan, np.nan)
                # d = 1: the ratio is p / (1 - p), so p = r / (1 + r) (1 at r = inf)
                ours_p = [1.0 if r == np.inf else r / (1.0 + r) for r in ours]
                assert ours_p == pytest.approx(list(theirs), abs=1e-11, rel=0), (n, x1, level)
                assert [v in (0.0, 1.0) for v in ours_p] == [v in (0.0, 1.0) for v in theirs]
