"""Two-sample ordinal tests and contingency-table tests behind :mod:`lupusstats.severity` (private).

This module holds the result classes ``SeverityComparison`` and
``ContingencyTestResult``, the two-sample ordinal comparisons
(``probability_of_superiority``, ``mann_whitney``, ``cliffs_delta``, with or
without clustering) and their shared machinery (``_superiority_result``,
``_ci_superiority``), and the contingency-table tests (``contingency_test``,
``cochran_armitage``).  It imports the ordinal helpers of
:mod:`lupusstats.severity.tables`; the public names are re-exported by
:mod:`lupusstats.severity`, so import them from there.  The direction
convention is the one in the :mod:`lupusstats.severity` docstring.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import EstimateResult, ResultBase
from lupusstats._core.types import RNGLike
from lupusstats.severity import ordinal as _o
from lupusstats.severity.tables import _cluster_counts, _ordered_codes

if TYPE_CHECKING:
    import pandas as pd


# =========================================================================== results
@dataclasses.dataclass(frozen=True)
class SeverityComparison(EstimateResult):
    """Probability of superiority (or Cliff's delta) of `x` over `y`, with CI and test.

    Attributes
    ----------
    estimate : float
        ``P(X > Y) + 0.5 P(X = Y)`` (or Cliff's delta ``2 p - 1``); see the
        module docstring for the direction convention.
    ci_low, ci_high : float
        Confidence interval (method in `method`).
    pvalue, statistic : float
        Test of no difference (p = 0.5, delta = 0).
    se : float
        Standard error of `estimate`.
    df : float
        Degrees of freedom of the t reference distribution (inf = normal).
    n_x, n_y : int
        Observations in each sample.

    Examples
    --------
    Worst flare severity, 45 flares per arm: an estimate below 0.5 means that
    flares on treatment (`x`) are milder.

    >>> import lupusstats as ls
    >>> treated = ["mild"] * 30 + ["moderate"] * 10 + ["severe"] * 5
    >>> reference = ["mild"] * 20 + ["moderate"] * 15 + ["severe"] * 10
    >>> r = ls.probability_of_superiority(treated, reference, levels=["mild", "moderate", "severe"])
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()], round(r.pvalue, 4)
    (0.383, [0.277, 0.489], 0.0307)
    """

    df: float = math.inf
    n_x: int = 0
    n_y: int = 0

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row ``DataFrame`` with the estimate, interval, test and sizes."""
        frame = super().to_frame()
        frame.insert(6, "df", self.df)
        frame["n_x"] = self.n_x
        frame["n_y"] = self.n_y
        return frame


@dataclasses.dataclass(frozen=True)
class ContingencyTestResult(ResultBase):
    """Test of association in a contingency table (no estimate, no interval).

    Returned by :func:`contingency_test` and :func:`cochran_armitage`.

    Attributes
    ----------
    statistic : float
        Chi-square statistic; the z statistic of the Cochran-Armitage trend
        test; NaN for Fisher's exact test, which has none.
    pvalue : float
    df : float
        Degrees of freedom of the chi-square statistic (NaN for Fisher's test).
    method : str
    n : int
        Total count in the table.
    mc_se : float
        Monte Carlo standard error of a simulated p-value,
        ``sqrt(p (1 - p) / n_resamples)`` (Fisher's test on a table too large
        to enumerate); NaN for an exact or asymptotic p-value.

    Examples
    --------
    Mild / moderate / severe flares (columns) on treatment and reference (rows):

    >>> import lupusstats as ls
    >>> r = ls.contingency_test([[30, 10, 5], [20, 15, 10]], method="chisq")
    >>> round(r.statistic, 3), r.df, round(r.pvalue, 4), r.n
    (4.667, 2.0, 0.097, 90)
    """

    statistic: float
    pvalue: float
    df: float
    method: str
    n: int
    mc_se: float = math.nan


# =========================================================================== two-sample ordinal comparisons
def _two_sample_counts(x, y, levels):
    """Level totals (K,) of two samples on a common ordinal scale, plus codes."""
    import pandas as pd

    xs, ys = pd.Series(x) if not isinstance(x, pd.Series) else x, pd.Series(y) if not isinstance(y, pd.Series) else y
    both_categorical = isinstance(xs.dtype, pd.CategoricalDtype) and isinstance(ys.dtype, pd.CategoricalDtype)
    if (
        both_categorical
        and levels is None
        and (list(xs.cat.categories) != list(ys.cat.categories) or xs.cat.ordered != ys.cat.ordered)
    ):
        raise ValueError(
            "`x` and `y` must share the same ordered categories, got "
            f"{list(xs.cat.categories)} and {list(ys.cat.categories)}."
        )
    both = pd.concat([xs.reset_index(drop=True), ys.reset_index(drop=True)], ignore_index=True)
    if isinstance(xs.dtype, pd.CategoricalDtype) and levels is None:
        both = both.astype(xs.dtype)
    codes, lev, _ = _ordered_codes("x and y", both, levels)
    cx, cy = codes[: len(xs)], codes[len(xs) :]
    if cx.size < 2 or cy.size < 2:
        raise ValueError(f"`x` and `y` need at least 2 observations each, got {cx.size} and {cy.size}.")
    return cx, cy, lev


def _cluster_rows(codes, cluster, K, name):
    if cluster is None:
        out = np.zeros((codes.size, K))
        out[np.arange(codes.size), codes] = 1
        return out
    cl = np.asarray(cluster)
    if cl.shape != codes.shape:
        raise ValueError(f"`{name}` must have one entry per observation ({codes.size}), got shape {cl.shape}.")
    return _cluster_counts(codes, cl, K)


def _superiority_result(A, B, *, clustered, alternative, confidence_level, delta, label):
    r = _o.superiority_from_counts(A, B, clustered=clustered)
    p, var, df = float(r["p"]), float(r["var"]), float(r["df"])
    se = math.sqrt(var) if var >= 0 else math.nan
    scale, shift, lo_b, hi_b = (2.0, -1.0, -1.0, 1.0) if delta else (1.0, 0.0, 0.0, 1.0)
    est = scale * p + shift
    if not se > 0:
        warnings.warn(
            "the variance estimate is zero (e.g. all observations in one level or complete separation); "
            "the test and interval are undefined (NaN).",
            RuntimeWarning,
            stacklevel=3,
        )
        stat = pval = math.nan
        ci = (math.nan, math.nan)
    else:
        stat = (p - 0.5) / se
        pval = _inf.pvalue_from_z(stat, alternative, df=df)
        ci = _ci_superiority(p, se, df, alternative, confidence_level, scale, shift, lo_b, hi_b)
    return SeverityComparison(
        estimate=est,
        ci_low=ci[0],
        ci_high=ci[1],
        pvalue=pval,
        statistic=stat,
        se=scale * se,
        method=label,
        confidence_level=confidence_level,
        alternative=alternative,
        _ci_func=_ci_superiority_at,
        _ci_args=(p, se, df, alternative, scale, shift, lo_b, hi_b),
        df=df,
        n_x=int(r["m"]),
        n_y=int(r["n"]),
    )


def _ci_superiority(p, se, df, alternative, level, scale, shift, lo_b, hi_b):
    lo, hi = _inf.wald_interval(p, se, level, alternative, df=df, clip=(0.0, 1.0))
    return scale * lo + shift, scale * hi + shift


def _ci_superiority_at(level, p, se, df, alternative, scale, shift, lo_b, hi_b):
    """:func:`_ci_superiority` with the level first (a result's ``_ci_func``)."""
    return _ci_superiority(p, se, df, alternative, level, scale, shift, lo_b, hi_b)


def _fisher_z_interval(level, d, se_z, alternative):
    """Fisher-z interval of Cliff's delta at `level`, as effectsize::cliffs_delta."""
    rf = math.atanh(max(min(d, 1 - 1e-15), -1 + 1e-15))
    return _inf.wald_interval(rf, se_z, level, alternative, back=np.tanh)


def probability_of_superiority(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    cluster_x: npt.ArrayLike | None = None,
    cluster_y: npt.ArrayLike | None = None,
    levels: Sequence[Hashable] | None = None,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> SeverityComparison:
    """Probability of superiority ``P(X > Y) + 0.5 P(X = Y)`` with the Brunner-Munzel test and interval.

    `x` is the treatment sample, `y` the reference; a value below 0.5 means
    `x` tends to be milder.  Without clusters this is the Brunner-Munzel (2000)
    test: the estimate from midranks (exact for tied ordinal data), its
    variance from the placements, a t reference with Satterthwaite degrees of
    freedom, and the interval ``p -/+ t * se`` clipped to [0, 1] (as the R
    package ``brunnermunzel``; the statistic and p-value equal
    ``scipy.stats.brunnermunzel`` with the sign flipped to our direction).
    Unlike the Mann-Whitney test it does not assume equal distributions under
    the null, only ``p = 0.5``.

    With `cluster_x` and `cluster_y` (e.g. patient ids of flares) the variance
    is the cluster-robust one of Obuchowski (1997), built from the sums of
    placements within each cluster, with a normal reference: observations of
    one cluster may be correlated, clusters are independent.

    Parameters
    ----------
    x, y : array-like
        Ordinal values: ordered Categoricals with the same categories, numbers,
        or labels with `levels`.
    cluster_x, cluster_y : array-like, optional
        Cluster (patient) of each observation; both or neither.
    levels : sequence, optional
        Labels in increasing order when `x`, `y` hold labels.
    alternative : {"two-sided", "less", "greater"}
        "less": `x` milder than `y` (p < 0.5).
    confidence_level : float

    Returns
    -------
    SeverityComparison

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.probability_of_superiority([1, 1, 2, 3], [2, 3, 3, 3])
    >>> round(r.estimate, 4), round(r.pvalue, 3)
    (0.1875, 0.124)
    """
    alternative = _v.check_alternative(alternative)
    confidence_level = _v.check_confidence_level(confidence_level)
    if (cluster_x is None) != (cluster_y is None):
        raise ValueError("pass both `cluster_x` and `cluster_y`, or neither.")
    cx, cy, lev = _two_sample_counts(x, y, levels)
    K = len(lev)
    A = _cluster_rows(cx, cluster_x, K, "cluster_x")
    B = _cluster_rows(cy, cluster_y, K, "cluster_y")
    clustered = cluster_x is not None
    label = (
        "probability of superiority, cluster-robust variance (Obuchowski 1997), normal"
        if clustered
        else "probability of superiority, Brunner-Munzel t test and interval"
    )
    return _superiority_result(
        A, B, clustered=clustered, alternative=alternative, confidence_level=confidence_level, delta=False, label=label
    )


def mann_whitney(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    levels: Sequence[Hashable] | None = None,
    correction: bool = True,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> SeverityComparison:
    """Wilcoxon-Mann-Whitney test with ties, and the probability of superiority ``U / (n_x n_y)``.

    The p-value is the normal approximation with tie correction (and, by
    default, continuity correction), as R ``wilcox.test(x, y, exact = FALSE)``
    and ``scipy.stats.mannwhitneyu(x, y, method="asymptotic")``; ``statistic``
    is R's ``W`` (the U of `x`).  Exact p-values are not offered: with the
    heavy ties of a three-level severity scale they are not available in R
    either.  The interval for ``p`` uses the placement (DeLong) variance with a
    normal quantile.  Mann-Whitney tests equal distributions; prefer
    :func:`probability_of_superiority` (Brunner-Munzel) when spreads may differ.
    Observations must be independent (one per patient).

    Parameters
    ----------
    x, y : array-like
        Treatment and reference samples (see :func:`probability_of_superiority`).
    levels : sequence, optional
    correction : bool
        Continuity correction.
    alternative : {"two-sided", "less", "greater"}
        "greater": `x` tends to be larger (more severe).
    confidence_level : float

    Returns
    -------
    SeverityComparison
        ``estimate`` is ``W / (n_x n_y)``, ``statistic`` is ``W``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.mann_whitney([1, 1, 2, 3], [2, 3, 3, 3])
    >>> r.statistic, round(r.pvalue, 4)
    (3.0, 0.1606)
    """
    alternative = _v.check_alternative(alternative)
    confidence_level = _v.check_confidence_level(confidence_level)
    if not isinstance(correction, bool):
        raise TypeError(f"`correction` must be True or False, got {correction!r}.")
    cx, cy, lev = _two_sample_counts(x, y, levels)
    K = len(lev)
    a = np.bincount(cx, minlength=K).astype(float)
    b = np.bincount(cy, minlength=K).astype(float)
    W, _z, pval = _o.mann_whitney_from_counts(a, b, correction=correction, alternative=alternative)
    if not np.isfinite(pval):
        warnings.warn(
            "every observation of `x` and `y` is tied (one level), so the Mann-Whitney statistic has zero "
            "variance: the p-value is NaN (R wilcox.test gives NA).",
            RuntimeWarning,
            stacklevel=2,
        )
    r = _o.superiority_from_counts(a[None, :] * 0 + np.eye(K)[cx], np.eye(K)[cy], clustered=False)
    p, se = float(r["p"]), math.sqrt(float(r["var"]))
    ci_args = (p, se, math.inf, alternative, 1.0, 0.0, 0.0, 1.0)
    low, high = _ci_superiority_at(confidence_level, *ci_args) if se > 0 else (math.nan, math.nan)
    return SeverityComparison(
        estimate=p,
        ci_low=low,
        ci_high=high,
        pvalue=float(pval),
        statistic=float(W),
        se=se,
        method="Wilcoxon-Mann-Whitney, normal approximation with tie"
        + (" and continuity" if correction else "")
        + " correction; DeLong interval for W/(n_x n_y)",
        confidence_level=confidence_level,
        alternative=alternative,
        _ci_func=_ci_superiority_at,
        _ci_args=ci_args,
        df=math.inf,
        n_x=int(cx.size),
        n_y=int(cy.size),
    )


def cliffs_delta(
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    cluster_x: npt.ArrayLike | None = None,
    cluster_y: npt.ArrayLike | None = None,
    levels: Sequence[Hashable] | None = None,
    method: str = "brunner-munzel",
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> SeverityComparison:
    """Cliff's delta ``P(X > Y) - P(X < Y)`` (= rank-biserial correlation) with a confidence interval.

    ``delta = 2 p - 1`` with ``p`` the probability of superiority; negative
    means `x` (treatment) milder.  Two intervals:

    * ``method="brunner-munzel"`` (default): ``2 * CI(p) - 1`` from
      :func:`probability_of_superiority` -- valid with ties and unequal
      spreads, and cluster-robust when clusters are given; p-value of the same
      test.
    * ``method="fisher-z"``: the interval of R ``effectsize::cliffs_delta``
      (version 0.8): ``tanh(atanh(delta) -/+ z * sqrt((n_x + n_y + 1) / (3 n_x n_y)))``.
      Its standard error is the no-ties null value, too wide or too narrow for
      a three-level scale; offered to reproduce published analyses.  The
      p-value is then that of :func:`mann_whitney`.  No clusters.

    Parameters
    ----------
    x, y : array-like
    cluster_x, cluster_y : array-like, optional
    levels : sequence, optional
    method : {"brunner-munzel", "fisher-z"}
    alternative : {"two-sided", "less", "greater"}
    confidence_level : float

    Returns
    -------
    SeverityComparison

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.cliffs_delta([1, 1, 2, 3], [2, 3, 3, 3], method="fisher-z")
    >>> round(r.estimate, 3), [round(v, 3) for v in r.confidence_interval()]
    (-0.625, [-0.919, 0.115])
    """
    method = _v.check_choice("method", method, ("brunner-munzel", "fisher-z"))
    alternative = _v.check_alternative(alternative)
    confidence_level = _v.check_confidence_level(confidence_level)
    if method == "brunner-munzel":
        if (cluster_x is None) != (cluster_y is None):
            raise ValueError("pass both `cluster_x` and `cluster_y`, or neither.")
        cx, cy, lev = _two_sample_counts(x, y, levels)
        K = len(lev)
        A = _cluster_rows(cx, cluster_x, K, "cluster_x")
        B = _cluster_rows(cy, cluster_y, K, "cluster_y")
        clustered = cluster_x is not None
        label = "Cliff's delta = 2p - 1, " + (
            "cluster-robust variance (Obuchowski 1997), normal" if clustered else "Brunner-Munzel t interval"
        )
        return _superiority_result(
            A,
            B,
            clustered=clustered,
            alternative=alternative,
            confidence_level=confidence_level,
            delta=True,
            label=label,
        )
    if cluster_x is not None or cluster_y is not None:
        raise ValueError(
            "method='fisher-z' assumes independent observations; use method='brunner-munzel' with clusters."
        )
    mw = mann_whitney(x, y, levels=levels, alternative=alternative, confidence_level=confidence_level)
    d = 2 * mw.estimate - 1
    n1, n2 = mw.n_x, mw.n_y
    se_z = math.sqrt((n1 + n2 + 1) / (3.0 * n1 * n2))
    ci_args = (d, se_z, alternative)
    low, high = _fisher_z_interval(confidence_level, *ci_args)
    return SeverityComparison(
        estimate=d,
        ci_low=low,
        ci_high=high,
        pvalue=mw.pvalue,
        statistic=mw.statistic,
        se=math.nan,
        method="Cliff's delta, Fisher-z interval as effectsize::cliffs_delta; Mann-Whitney p-value",
        confidence_level=confidence_level,
        alternative=alternative,
        _ci_func=_fisher_z_interval,
        _ci_args=ci_args,
        df=math.inf,
        n_x=n1,
        n_y=n2,
    )


# =========================================================================== contingency tables
def _count_table(table):
    import pandas as pd

    arr = table.to_numpy() if isinstance(table, pd.DataFrame) else table
    arr = _v.as_count_array("table", arr, ndim=2)
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"`table` must be at least 2 x 2, got shape {arr.shape}.")
    return arr


def contingency_test(
    table: npt.ArrayLike | pd.DataFrame,
    *,
    method: str = "fisher",
    correction: bool = False,
    n_resamples: int = 10000,
    rng: RNGLike = None,
) -> ContingencyTestResult:
    """Chi-square or Fisher exact test of association in an r x c table of counts.

    Rows are groups (arms), columns severity levels (any order: these tests
    ignore the ordering; see :func:`cochran_armitage` and :func:`compare_severity`
    for tests that use it).  Rows or columns with a zero total carry no
    information and are dropped first (an arm with no flares), which leaves
    both tests unchanged in meaning; fewer than two rows or columns left is an error.

    * ``"chisq"``: Pearson chi-square, as R ``chisq.test(table, correct = correction)``
      (Yates' correction only applies to 2 x 2 tables).
    * ``"fisher"``: Fisher's exact test, two-sided, summing the probabilities
      of all tables with the observed margins that are no more likely than the
      observed one (as R ``fisher.test``).  2 x 2: ``scipy.stats.fisher_exact``;
      2 x c and r x 2: full enumeration here; larger tables (and 2 x c tables
      with more than five million possible tables): Monte Carlo with
      `n_resamples` tables drawn with the observed margins, ``p = (1 + #{as or
      more extreme}) / (1 + n_resamples)`` (as ``fisher.test(simulate.p.value = TRUE)``),
      said so in ``method``, with its Monte Carlo standard error in ``mc_se``.
      Pass `rng` (a seed) so that the p-value is reproducible.

    These tests assume independent observations: use them on patient-level
    tables (one row per patient, e.g. the worst flare from
    :func:`patient_severity`), not on flares of the same patients.

    Parameters
    ----------
    table : 2-d array-like or DataFrame of counts (e.g. :func:`severity_counts`)
    method : {"fisher", "chisq"}
    correction : bool
        Yates' continuity correction for 2 x 2 chi-square.
    n_resamples : int
        Monte Carlo tables when an exact Fisher p-value is out of reach.
    rng : None, int, SeedSequence or Generator
        For the Monte Carlo p-value only (passed to
        :func:`numpy.random.default_rng`); without a seed that p-value changes
        from run to run.

    Returns
    -------
    ContingencyTestResult
        ``statistic`` and ``df`` are NaN for Fisher's test.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.contingency_test([[3, 1, 2], [0, 4, 5]])
    >>> round(r.pvalue, 5)
    0.14685

    A 3 x 3 table has a Monte Carlo p-value: seed it, and read its error.

    >>> r = ls.contingency_test([[8, 3, 1], [5, 5, 2], [2, 4, 7]], rng=1)
    >>> r.method
    'Fisher exact (3 x 3), Monte Carlo p-value from 10000 tables'
    >>> r.pvalue == ls.contingency_test([[8, 3, 1], [5, 5, 2], [2, 4, 7]], rng=1).pvalue
    True
    >>> bool(0 < r.mc_se < 0.005)
    True
    """
    from scipy import stats

    method = _v.check_choice("method", method, ("fisher", "chisq"))
    if not isinstance(correction, bool):
        raise TypeError(f"`correction` must be True or False, got {correction!r}.")
    n_resamples = _v.check_int("n_resamples", n_resamples, minimum=99)
    arr = _count_table(table)
    arr = arr[arr.sum(axis=1) > 0][:, arr.sum(axis=0) > 0]
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(
            f"`table` has fewer than two non-empty rows or columns after dropping empty ones (shape {arr.shape}); "
            "there is nothing to compare (for example only one arm has flares)."
        )
    n = int(arr.sum())
    if method == "chisq":
        res = stats.chi2_contingency(arr, correction=correction)
        return ContingencyTestResult(
            statistic=float(res.statistic),
            pvalue=float(res.pvalue),
            df=float(res.dof),
            method="Pearson chi-square" + (" with Yates correction" if correction and arr.shape == (2, 2) else ""),
            n=n,
        )
    p: float | None
    mc_se = math.nan
    if arr.shape == (2, 2):
        p = float(stats.fisher_exact(arr).pvalue)
        label = "Fisher exact (2 x 2)"
    else:
        work = arr if arr.shape[0] == 2 else (arr.T if arr.shape[1] == 2 else None)
        p = _o.fisher_exact_two_rows(work) if work is not None else None
        label = f"Fisher exact ({arr.shape[0]} x {arr.shape[1]}, full enumeration)"
        if p is None:
            _v.check_rng(rng)
            rng = np.random.default_rng(rng)
            dist = stats.random_table(arr.sum(axis=1), arr.sum(axis=0))
            sims = dist.rvs(size=n_resamples, random_state=rng)
            logp = dist.logpmf(sims)
            obs = dist.logpmf(arr)
            p = float((1 + np.sum(logp <= obs + 1e-7 * abs(obs))) / (n_resamples + 1))
            label = f"Fisher exact ({arr.shape[0]} x {arr.shape[1]}), Monte Carlo p-value from {n_resamples} tables"
            mc_se = math.sqrt(p * (1.0 - p) / n_resamples)
    return ContingencyTestResult(statistic=math.nan, pvalue=p, df=math.nan, method=label, n=n, mc_se=mc_se)


def cochran_armitage(
    table: npt.ArrayLike | pd.DataFrame, *, scores: npt.ArrayLike | None = None, alternative: str = "two-sided"
) -> ContingencyTestResult:
    """Cochran-Armitage test for a trend of severity between two groups.

    `table` is 2 x K: row 0 the reference group, row 1 the treatment group,
    columns the severity levels in increasing order.  The signed statistic
    ``z`` is positive when the treatment's share rises with the severity
    score (treatment more severe); ``z**2`` equals the chi-square of R
    ``prop.trend.test(table[2, ], colSums(table), score = scores)``.  The
    observations must be independent (patient level).

    Parameters
    ----------
    table : 2 x K array-like or DataFrame of counts
    scores : sequence of K floats, optional
        Column scores, default 0, 1, ..., K - 1.
    alternative : {"two-sided", "less", "greater"}
        "less": treatment milder.

    Returns
    -------
    ContingencyTestResult
        ``statistic`` is the signed z, ``df`` 1.

    Examples
    --------
    >>> import lupusstats as ls
    >>> r = ls.cochran_armitage([[10, 6, 4], [15, 4, 1]])
    >>> round(r.statistic, 3), round(r.pvalue, 4)
    (-1.789, 0.0736)
    """
    alternative = _v.check_alternative(alternative)
    arr = _count_table(table)
    if arr.shape[0] != 2:
        raise ValueError(f"`table` must have 2 rows (reference, treatment), got shape {arr.shape}.")
    K = arr.shape[1]
    sc = np.arange(K, dtype=float) if scores is None else _v.as_float_array("scores", scores, ndim=1)
    if sc.size != K:
        raise ValueError(f"`scores` must have {K} entries (one per column), got {sc.size}.")
    if (arr.sum(axis=1) == 0).any():
        raise ValueError("`table` has a group with no observations; a trend test needs both groups.")
    z, var = _o.cochran_armitage(arr, sc)
    if not var > 0:
        raise ValueError("the trend statistic is undefined: all observations fall in columns with one score.")
    pval = _inf.pvalue_from_z(z, alternative)
    return ContingencyTestResult(
        statistic=float(z),
        pvalue=pval,
        df=1.0,
        method="Cochran-Armitage trend test (z; z^2 = prop.trend.test chi-square)",
        n=int(arr.sum()),
    )
