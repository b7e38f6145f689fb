"""Numerical engines for ordinal severity comparisons (private).

Everything here works on *count tables*: an ordinal outcome with K levels is
summarised per cluster (patient) by a row of K counts.  A sample of independent
observations is the special case of one observation per cluster.  This makes
the rank statistics exact for tied ordinal data, vectorisable over many
simulated trials, and lets one formula give both the naive (flares
independent) and the cluster-robust (flares correlated within patient)
variance of the probability of superiority.

Notation: ``A`` (…, I, K) counts of the treatment group ``x``, ``B`` (…, J, K)
counts of the reference group ``y``; level ``k`` is more severe than ``k-1``.
The probability of superiority is ``p = P(X > Y) + 0.5 P(X = Y)``.

Public wrappers with validation live in :mod:`lupusstats.severity`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf

_SQRT_EPS = 1e-12


# --------------------------------------------------------------------------- placements
def _midcdf(totals: np.ndarray) -> np.ndarray:
    """Mid-distribution function ``F(k-) + 0.5 f(k)`` of a count vector (…, K)."""
    n = totals.sum(axis=-1, keepdims=True)
    below = np.cumsum(totals, axis=-1) - totals
    with np.errstate(invalid="ignore", divide="ignore"):
        return (below + 0.5 * totals) / n


def superiority_from_counts(A: np.ndarray, B: np.ndarray, *, clustered: bool) -> dict[str, np.ndarray]:
    """Probability of superiority and its variance from per-cluster counts.

    Parameters
    ----------
    A, B : ndarray (..., I, K) and (..., J, K)
        Counts per cluster and level for the treatment (x) and reference (y)
        groups.  Leading axes (e.g. trials) broadcast.
    clustered : bool
        ``False``: every observation independent; variance of Brunner & Munzel
        (2000) from the placements (the DeLong variance with n - 1 divisors),
        Satterthwaite degrees of freedom.
        ``True``: cluster-robust variance of Obuchowski (1997), from the
        per-cluster sums of placements (clusters with no observation do not
        count); the same point estimate.

    Returns
    -------
    dict with ``p``, ``var``, ``df`` (inf for clustered), ``m``, ``n`` (numbers of
    observations), ``i``, ``j`` (numbers of non-empty clusters).
    """
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    a = A.sum(axis=-2)  # (..., K)
    b = B.sum(axis=-2)
    M = a.sum(axis=-1)
    N = b.sum(axis=-1)
    Fy = _midcdf(b)  # placement of an x at level k among the y's
    Gx = 1.0 - _midcdf(a)  # placement of a y at level k among the x's: P(X > k) + 0.5 P(X = k)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = (a * Fy).sum(axis=-1) / M
        if clustered:
            Vx = (A * Fy[..., None, :]).sum(axis=-1)  # (..., I) sum of placements per cluster
            Vy = (B * Gx[..., None, :]).sum(axis=-1)
            mx = A.sum(axis=-1)
            my = B.sum(axis=-1)
            I = (mx > 0).sum(axis=-1)
            J = (my > 0).sum(axis=-1)
            ssx = ((Vx - mx * p[..., None]) ** 2).sum(axis=-1)
            ssy = ((Vy - my * p[..., None]) ** 2).sum(axis=-1)
            vx = I / (I - 1.0) * ssx / M**2
            vy = J / (J - 1.0) * ssy / N**2
            df = np.full(np.shape(p), np.inf)
        else:
            s2x = (a * (Fy - p[..., None]) ** 2).sum(axis=-1) / (M - 1.0)
            s2y = (b * (Gx - p[..., None]) ** 2).sum(axis=-1) / (N - 1.0)
            vx = s2x / M
            vy = s2y / N
            df = (vx + vy) ** 2 / (vx**2 / (M - 1.0) + vy**2 / (N - 1.0))
            I, J = M, N
    return {"p": p, "var": vx + vy, "df": df, "m": M, "n": N, "i": I, "j": J}


def bootstrap_superiority(A: np.ndarray, B: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster (patient) bootstrap replicates of the probability of superiority.

    Clusters are resampled with replacement within each group (stratified by
    arm, as randomisation fixed the group sizes); a replicate's counts are the
    multinomial-weighted sums of the cluster rows, so no Python loop runs over
    replicates or clusters.
    """
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    I, J = A.shape[0], B.shape[0]
    wa = rng.multinomial(I, np.full(I, 1.0 / I), size=n_boot)
    wb = rng.multinomial(J, np.full(J, 1.0 / J), size=n_boot)
    a = wa @ A  # (n_boot, K)
    b = wb @ B
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * _midcdf(b)).sum(axis=-1) / a.sum(axis=-1)


# --------------------------------------------------------------------------- Mann-Whitney
def mann_whitney_from_counts(a: np.ndarray, b: np.ndarray, *, correction: bool, alternative: str):
    """Wilcoxon-Mann-Whitney normal approximation with tie correction, from level totals.

    As R ``wilcox.test(x, y, exact = FALSE, correct = correction)``: ``W`` is the
    Mann-Whitney U of `x`, the variance carries the tie correction and the
    continuity correction moves ``W`` by 0.5 towards its null mean.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    M = a.sum(axis=-1)
    N = b.sum(axis=-1)
    W = (a * _midcdf(b)).sum(axis=-1) * N
    t = a + b
    total = M + N
    var = M * N / 12.0 * ((total + 1) - (t**3 - t).sum(axis=-1) / (total * (total - 1)))
    d = W - M * N / 2.0
    if correction:
        if alternative == "two-sided":
            d = d - np.sign(d) * 0.5
        elif alternative == "greater":
            d = d - 0.5
        else:
            d = d + 0.5
    with np.errstate(invalid="ignore", divide="ignore"):
        z = d / np.sqrt(var)
    return W, z, np.asarray(_inf.pvalue_from_z(z, alternative))


# --------------------------------------------------------------------------- intervals for proportions
def goodman_interval(x: npt.ArrayLike, n: float, confidence_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Goodman (1965) simultaneous intervals for the K cells of one multinomial.

    ``x`` (K,) counts, ``n`` the (effective) total; chi-square quantile with one
    degree of freedom at level ``1 - alpha / K`` (as ``DescTools::MultinomCI(method = "goodman")``).
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    K = x.size
    A = stats.chi2.ppf(1 - (1 - confidence_level) / K, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        centre = (A + 2 * n * p) / (2 * (n + A))
        half = np.sqrt(A * (A + 4 * n * p * (1 - p))) / (2 * (n + A))
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def ratio_design_effect(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Design effect of the ratio estimator ``sum y / sum m`` over clusters.

    ``y`` (I, K) cluster counts per level, ``m`` (I,) cluster sizes.  Returns
    per level the cluster-robust variance (``I/(I-1) * sum (y - p m)^2 / M^2``)
    divided by the binomial variance ``p (1 - p) / M``; 1 where undefined.
    Clusters with no observation do not count.
    """
    y = np.asarray(y, dtype=float)
    m = np.asarray(m, dtype=float)
    keep = m > 0
    y, m = y[keep], m[keep]
    I = m.size
    M = m.sum()
    if I < 2 or M == 0:
        return np.ones(y.shape[1] if y.ndim == 2 else 1)
    p = y.sum(axis=0) / M
    robust = I / (I - 1.0) * ((y - m[:, None] * p) ** 2).sum(axis=0) / M**2
    binom = p * (1 - p) / M
    with np.errstate(invalid="ignore", divide="ignore"):
        deff = np.where(binom > 0, robust / binom, 1.0)
    return deff


# --------------------------------------------------------------------------- Fisher exact r x c
_MAX_TABLES = 5_000_000


def _log_factorial(x):
    from scipy.special import gammaln

    return gammaln(np.asarray(x, dtype=float) + 1.0)


def fisher_exact_two_rows(table: np.ndarray) -> float | None:
    """Exact two-sided Fisher p-value of a 2 x K table by enumerating every table.

    Tables with the observed margins are enumerated column by column (the first
    row's counts; the second row follows), their hypergeometric probabilities
    summed where not larger than the observed one (relative tolerance 1e-7, as
    R ``fisher.test``).  Returns ``None`` when there are more than 5 million
    tables (the caller then uses Monte Carlo).
    """
    table = np.asarray(table, dtype=np.int64)
    r1 = int(table[0].sum())
    cols = table.sum(axis=0)
    n_tables = float(np.prod(cols.astype(float) + 1.0))
    if n_tables > 4 * _MAX_TABLES:
        return None
    const = _log_factorial(table.sum(axis=1)).sum() + _log_factorial(cols).sum() - _log_factorial(table.sum())
    # partial tables: running first-row sum s and log of prod 1/(x! (c - x)!)
    s = np.zeros(1, dtype=np.int64)
    lp = np.zeros(1)
    for j, c in enumerate(cols[:-1]):
        x = np.arange(c + 1)
        s = (s[:, None] + x[None, :]).ravel()
        lp = (lp[:, None] - _log_factorial(x)[None, :] - _log_factorial(c - x)[None, :]).ravel()
        remaining = int(cols[j + 1 :].sum())
        ok = (s <= r1) & (s >= r1 - remaining)
        s, lp = s[ok], lp[ok]
        if s.size > _MAX_TABLES:
            return None
    last = r1 - s
    c = cols[-1]
    ok = (last >= 0) & (last <= c)
    lp = lp[ok] - _log_factorial(last[ok]) - _log_factorial(c - last[ok]) + const
    obs = const - _log_factorial(table).sum()
    prob = np.exp(lp)
    return float(min(1.0, prob[lp <= obs + 1e-7 * abs(obs) + 1e-12].sum() / prob.sum()))


# --------------------------------------------------------------------------- Cochran-Armitage
def cochran_armitage(table: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """Cochran-Armitage trend statistic of a 2 x K table (row 1 = group of interest).

    ``z`` is positive when the share of row 1 rises with the column score; the
    variance uses the total N (not N - 1), so ``z**2`` equals R
    ``prop.trend.test(table[1, ], colSums(table), score)``.
    """
    x = table[1].astype(float)
    n = table.sum(axis=0).astype(float)
    N = n.sum()
    p = x.sum() / N
    sbar = (n * scores).sum() / N
    T = (x * (scores - sbar)).sum()
    var = p * (1 - p) * (n * (scores - sbar) ** 2).sum()
    z = T / math.sqrt(var) if var > 0 else math.nan
    return z, var
