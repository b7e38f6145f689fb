"""2x2-table measures, number needed to treat and rate differences behind :mod:`lupusstats.effects` (private).

This module holds the risk ratio, odds ratio and risk difference of two
independent groups (Wald, exact conditional and Newcombe intervals, with the
``metafor::escalc`` zero-cell correction), the number needed to treat
(``NNTResult``, Altman 1998) from a risk difference or a rate difference, and
the rate difference itself.  Its interval, p-value and 2x2 formulas are those
of :mod:`lupusstats._core.inference`.  The public names are re-exported by
:mod:`lupusstats.effects`; import them from there (group 1 = treatment, as in
that module's docstring).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import (
    BatchResult,
    ConfidenceInterval,
    EstimateResult,
    ResultBase,
    _check_ci_func,
    _interval_at,
)
from lupusstats._core.types import Int, Real

if TYPE_CHECKING:
    import pandas as pd

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
    cells, corrected = _inf.zero_cell_correction([e1, k1 - e1, e2, k2 - e2], zero_correction)
    return (*(float(c) for c in cells), bool(corrected))


def _wald_interval(level: float, estimate_scale, se, log_scale, alternative):
    """Wald interval at `level` on the (log) scale; back-transformed when `log_scale`."""
    return _inf.wald_interval(estimate_scale, se, level, alternative, back=np.exp if log_scale else None)


def _wald_result(estimate_scale, variance, log_scale, confidence_level, alternative, method, null=0.0):
    """Wald interval and z-test on the (log) scale; back-transformed when `log_scale`."""
    se = math.sqrt(variance)
    z_stat = (estimate_scale - null) / se if se > 0 else math.nan
    if not se > 0:
        warnings.warn(
            f"{method}: the standard error is 0 (no events, or all events, in both groups), so the Wald "
            "test is undefined: the p-value is NaN.",
            RuntimeWarning,
            stacklevel=3,
        )
    ci_args = (estimate_scale, se, log_scale, alternative)
    low, high = _wald_interval(confidence_level, *ci_args)
    return EstimateResult(
        estimate=float(math.exp(estimate_scale) if log_scale else estimate_scale),
        ci_low=float(low),
        ci_high=float(high),
        pvalue=_inf.pvalue_from_z(z_stat, alternative),
        statistic=float(z_stat),
        se=float(se),
        method=method,
        confidence_level=confidence_level,
        alternative=alternative,
        _ci_func=_wald_interval,
        _ci_args=ci_args,
    )


def _zc_note(corrected: bool, zero_correction: float) -> str:
    return f"; {zero_correction:g} added to every cell (zero cell)" if corrected else ""


def risk_ratio(
    events1: Int,
    n1: Int,
    events2: Int,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    method: str = "katz",
    alternative: str = "two-sided",
    zero_correction: float = 0.5,
) -> EstimateResult:
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
    return _wald_result(
        *_inf.log_risk_ratio(a, b, c, d),
        True,
        cl,
        alt,
        "risk ratio, Katz log (Wald) interval" + _zc_note(corrected, zc),
    )


def odds_ratio(
    events1: Int,
    n1: Int,
    events2: Int,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    method: str = "woolf",
    alternative: str = "two-sided",
    zero_correction: float = 0.5,
) -> EstimateResult:
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
        scipy_alt = {"two-sided": "two-sided", "less": "less", "greater": "greater"}[alt]
        try:
            res = _scipy_or(table, kind="conditional")
            c = res.confidence_interval(confidence_level=cl, alternative=scipy_alt)
            p = float(stats.fisher_exact(table, alternative=scipy_alt).pvalue)
        except OverflowError:
            raise ValueError(
                f"`n1` ({k1}) and `n2` ({k2}) are too large for the exact conditional method; use method='woolf'."
            ) from None
        low, high = float(c.low), float(c.high)
        if math.isnan(res.statistic):
            warnings.warn(
                f"a zero margin (events1={e1}, n1={k1}, events2={e2}, n2={k2}: no events, or only events, in both "
                "groups) leaves the conditional likelihood flat: the odds ratio is undefined (NaN), its interval "
                "[0, inf] and p = 1 (R fisher.test prints 0 for such a table).",
                RuntimeWarning,
                stacklevel=2,
            )
        return EstimateResult(
            estimate=float(res.statistic),
            ci_low=low,
            ci_high=high,
            pvalue=p,
            method="odds ratio, conditional MLE with exact interval and Fisher's exact test (as R fisher.test)",
            confidence_level=cl,
            alternative=alt,
            _ci_func=_exact_or_interval,
            _ci_args=((e1, k1 - e1, e2, k2 - e2), scipy_alt),
        )
    a, b, c, d, corrected = _cells(e1, k1, e2, k2, zc)
    if min(a, b, c, d) == 0:
        raise ValueError(
            f"the table has a zero cell (events1={e1}, n1={k1}, events2={e2}, n2={k2}) and `zero_correction` is 0: "
            "the log odds ratio is infinite; use method='exact'."
        )
    return _wald_result(
        *_inf.log_odds_ratio(a, b, c, d),
        True,
        cl,
        alt,
        "odds ratio, Woolf log (Wald) interval" + _zc_note(corrected, zc),
    )


def _exact_or_interval(level: float, cells, alternative):
    """Exact conditional interval of the odds ratio at `level` (as R fisher.test); `cells` = (a, b, c, d)."""
    from scipy.stats.contingency import odds_ratio as _scipy_or

    a, b, c, d = cells
    res = _scipy_or([[a, b], [c, d]], kind="conditional")
    ci = res.confidence_interval(confidence_level=level, alternative=alternative)
    return float(ci.low), float(ci.high)


def _newcombe(e1, k1, e2, k2, level):
    """Newcombe (1998) hybrid score interval for p1 - p2 (method 10), via statsmodels."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(e1, k1, e2, k2, method="newcomb", compare="diff", alpha=1 - level)
    return float(low), float(high)


def _newcombe_interval(level: float, e1, k1, e2, k2, alternative):
    """Newcombe interval at `level` (one-sided ones from the two-sided interval at 2 level - 1)."""
    low, high = _newcombe(e1, k1, e2, k2, _inf.two_sided_level(level, alternative))
    return _inf.one_sided(low, high, alternative, -1.0, 1.0)


def risk_difference(
    events1: Int,
    n1: Int,
    events2: Int,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    method: str = "wald",
    alternative: str = "two-sided",
    zero_correction: float = 0.5,
) -> EstimateResult:
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
        ci_args = (e1, k1, e2, k2, alt)
        low, high = _newcombe_interval(cl, *ci_args)
        pooled = (e1 + e2) / (k1 + k2)
        se0 = math.sqrt(pooled * (1 - pooled) * (1 / k1 + 1 / k2))
        z = rd / se0 if se0 > 0 else math.nan
        if not se0 > 0:
            warnings.warn(
                f"no events, or only events, in both groups (events1={e1}, n1={k1}, events2={e2}, n2={k2}): the "
                "score test is undefined, so the p-value is NaN (R prop.test: NA with a warning).",
                RuntimeWarning,
                stacklevel=2,
            )
        return EstimateResult(
            estimate=float(rd),
            ci_low=low,
            ci_high=high,
            pvalue=_inf.pvalue_from_z(z, alt),
            statistic=float(z),
            method="risk difference, Newcombe hybrid score interval; p from the score (Pearson chi-square) test",
            confidence_level=cl,
            alternative=alt,
            _ci_func=_newcombe_interval,
            _ci_args=ci_args,
        )
    a, b, c, d, corrected = _cells(e1, k1, e2, k2, zc)
    rd, var = _inf.risk_difference(a, b, c, d)
    if var == 0:
        raise ValueError(
            f"both risks are 0 or 1 (events1={e1}/{k1}, events2={e2}/{k2}) so the Wald SE is 0; "
            "use method='newcombe' or a positive `zero_correction`."
        )
    return _wald_result(rd, var, False, cl, alt, "risk difference, Wald interval" + _zc_note(corrected, zc))


def compare_proportions_batch(
    events: npt.ArrayLike,
    treated: npt.ArrayLike,
    *,
    method: str = "newcombe",
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> BatchResult:
    """Two independent proportions for many trials at once: risk difference, Newcombe interval, score test.

    The batch twin of :func:`risk_difference` with ``method="newcombe"``, one
    trial per row and no Python loop: the estimate is the raw risk difference
    ``p_treated - p_reference`` (a responder share, e.g. renal response or
    remission), the interval is Newcombe's hybrid Wilson score interval
    (Newcombe 1998, method 10; statsmodels ``confint_proportions_2indep(method=
    "newcomb")``) and the test is the score z-test with the pooled variance,
    ``z = (p1 - p0) / sqrt(p (1 - p) (1/n1 + 1/n0))`` (the uncorrected Pearson
    chi-square test, as R ``prop.test(correct = FALSE)`` and statsmodels
    ``test_proportions_2indep(method="score", correction=False)``); it is the
    test whose power :func:`lupusstats.power_proportions` computes.

    ``method="score"`` gives instead the Miettinen-Nurminen score interval
    and test (Miettinen & Nurminen 1985, with their ``N / (N - 1)`` variance
    factor), the analysis of :func:`lupusstats.compare_responders`, so that a
    simulated power matches the analysis planned: the test statistic is the
    one above times ``sqrt((N - 1) / N)`` (slightly more conservative), the
    interval inverts the score test, for all trials at once (vectorised
    bisection on the closed-form restricted estimate).

    Parameters
    ----------
    events : array_like, shape (n_trials, n_patients)
        Responder indicators (1/True = response, remission ...; 0/False = none).
        Count dropouts as non-responders, as trials do (``TrialBatch.drug_free_remission``
        does).
    treated : array_like of bool (or 0/1), shape (n_patients,) or (n_trials, n_patients)
        True = the treated group, False = the reference (e.g. ``batch.arm == 1``);
        every trial needs both.
    method : {"newcombe", "score"}
        ``"newcombe"``: Newcombe's interval and the Pearson (pooled) z-test;
        ``"score"``: the Miettinen-Nurminen interval and score test.
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: the treated group responds more often.
    confidence_level : float, default 0.95
        Of the interval (one-sided for a one-sided `alternative`: the
        bound of the two-sided interval at ``2 * confidence_level - 1``, the
        other end at -1 or 1).

    Returns
    -------
    BatchResult
        ``estimate`` = risk difference (``measure="risk_difference"``,
        ``scale="identity"``), ``se`` = its standard error under the null (the
        pooled one of the score test, times ``sqrt(N / (N - 1))`` for
        ``method="score"``), ``statistic = estimate / se``, ``pvalue``,
        ``ci_low, ci_high`` (Newcombe or Miettinen-Nurminen), plus the extra arrays
        ``risk_treated``, ``risk_reference``, ``events_treated``,
        ``events_reference``, ``n_treated``, ``n_reference``.  A trial in which
        every patient or no patient responded has no test (``se = 0``:
        statistic and p-value NaN), but its interval is defined.

    Raises
    ------
    ValueError
        `events` not 2-d or not 0/1, `treated` of the wrong shape or without
        one of the groups in a trial, a bad `alternative` or `confidence_level`.
    TypeError
        Non-numeric input.

    References
    ----------
    Newcombe RG. Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Stat Med 1998;17:873-90.

    Examples
    --------
    Two trials of four patients per arm; the second row is one trial of
    :func:`risk_difference`:

    >>> import numpy as np
    >>> import lupusstats as ls
    >>> events = np.array([[0, 1, 0, 0, 1, 1, 1, 0], [1, 1, 0, 0, 1, 1, 1, 1]])
    >>> group = [0, 0, 0, 0, 1, 1, 1, 1]
    >>> res = ls.compare_proportions_batch(events, group)
    >>> res.estimate, res.pvalue.round(4)
    (array([0.5, 0.5]), array([0.1573, 0.1025]))
    >>> one = ls.risk_difference(4, 4, 2, 4, method="newcombe")
    >>> round(one.pvalue, 4), round(one.ci_low, 4), round(float(res.ci_low[1]), 4)
    (0.1025, -0.1021, -0.1021)
    >>> mn = ls.compare_proportions_batch(events, group, method="score")
    >>> mn.pvalue.round(4), mn.ci_low.round(4)
    (array([0.1859, 0.1266]), array([-0.2223, -0.1701]))
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    method = _v.check_choice("method", method, ("newcombe", "score"))
    alternative = _v.check_alternative(alternative)
    confidence_level = _v.check_confidence_level(confidence_level)
    ev = _v.as_float_array("events", events, ndim=2)
    if not np.isin(ev, (0, 1)).all():
        raise ValueError(f"`events` must be 0/1 (or bool), got {np.unique(ev[~np.isin(ev, (0, 1))])[:5].tolist()}.")
    T, n = ev.shape
    tr = np.broadcast_to(_v.check_treated(treated, T, n), (T, n))
    n1 = tr.sum(axis=1).astype(float)
    n0 = n - n1
    e1 = (ev * tr).sum(axis=1)
    e0 = ev.sum(axis=1) - e1
    p1, p0 = e1 / n1, e0 / n0
    rd = p1 - p0
    pooled = (e1 + e0) / n
    se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, rd / se, np.nan)
    level = _inf.two_sided_level(confidence_level, alternative)
    if method == "score":
        # the MN statistic at a null difference of 0: the pooled z times sqrt((N - 1) / N)
        se = se * np.sqrt(n / (n - 1.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(se > 0, rd / se, np.nan)
        low, high = _inf.mn_score_interval(e1, n1, e0, n0, level)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            low, high = confint_proportions_2indep(e1, n1, e0, n0, method="newcomb", compare="diff", alpha=1.0 - level)
    p = _inf.pvalue_from_z(z, alternative)
    low, high = _inf.one_sided(np.asarray(low, dtype=float), np.asarray(high, dtype=float), alternative, -1.0, 1.0)
    return BatchResult(
        estimate=rd,
        se=se,
        ci_low=low,
        ci_high=high,
        statistic=z,
        pvalue=np.asarray(p, dtype=float),
        measure="risk_difference",
        method=(
            "risk difference with Newcombe's hybrid score interval; score (pooled-variance, Pearson chi-square) "
            "z-test, as R prop.test(correct = FALSE); vectorised over trials"
            if method == "newcombe"
            else "risk difference with the Miettinen-Nurminen score interval and score test (N/(N-1) variance "
            "factor); vectorised over trials"
        ),
        alternative=alternative,
        confidence_level=confidence_level,
        scale="identity",
        extra={
            "risk_treated": p1,
            "risk_reference": p0,
            "events_treated": e1,
            "events_reference": e0,
            "n_treated": n1,
            "n_reference": n0,
        },
    )


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
        ``confidence_interval(level)`` recomputes them at another level (the
        interval then passes through infinity when ``low < 0 < high``).
    pvalue : float
        p-value of the underlying difference.
    unit : str
        ``"patients"`` or ``"patient-years"``.
    method : str
    confidence_level : float

    Examples
    --------
    Remission in 60 of 100 treated against 40 of 100 reference patients:

    >>> import lupusstats as ls
    >>> r = ls.number_needed_to_treat(60, 100, 40, 100, outcome="desirable")
    >>> round(r.estimate, 1), r.includes_infinity
    (5.0, False)
    >>> [round(v, 1) for v in r.confidence_interval()]
    [3.0, 15.6]

    When the difference interval includes 0, the NNT interval runs through
    infinity (NNTH 9.4 to NNTB 15.0 here):

    >>> r = ls.number_needed_to_treat(12, 100, 10, 100)
    >>> r.includes_infinity, [round(v, 1) for v in r.confidence_interval()]
    (True, [-9.4, 15.0])
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
    _ci_func: Callable[..., tuple[float, float]] | None = dataclasses.field(default=None, repr=False, compare=False)
    _ci_args: tuple = dataclasses.field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_ci_func(self)

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval[float]:
        """Signed NNT at the ends of the difference interval (see ``includes_infinity``).

        Parameters
        ----------
        confidence_level : float, optional
            Another level: the difference interval is recomputed at it by the
            same method and inverted.  At a level where that interval includes
            0 the NNT interval passes through infinity: ``low < 0 < high``.
        """
        return _interval_at(self, confidence_level)

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

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with ``label`` (Altman's display) added."""
        frame = super().to_frame()
        frame["label"] = self.label
        return frame


def _inv(v: float) -> float:
    return math.inf if v == 0 else 1.0 / v


def _nnt_limits(low: float, high: float) -> tuple[float, float, bool]:
    """Signed NNT limits from the benefit interval ``(low, high)``, and whether it includes 0."""
    crosses = low <= 0 <= high
    if crosses:
        # from the harm end through infinity to the benefit end
        ci_low, ci_high = _inv(low), _inv(high)
    else:
        ci_low, ci_high = sorted((_inv(low), _inv(high)))
    return ci_low, ci_high, crosses


def _nnt_interval(level: float, difference: EstimateResult, sign: int) -> tuple[float, float]:
    """NNT interval at `level` from the difference result (`sign` -1: benefit = -difference)."""
    lo, hi = difference.confidence_interval(level)
    bl, bh = (lo, hi) if sign > 0 else (-hi, -lo)
    ci_low, ci_high, _ = _nnt_limits(bl, bh)
    return ci_low, ci_high


def _nnt_from_difference(difference: EstimateResult, outcome: str, unit: str) -> NNTResult:
    """NNT from a risk or rate difference (treatment minus reference); benefit = the difference for a
    desirable outcome, minus it for an undesirable one."""
    sign = 1 if outcome == "desirable" else -1
    lo, hi = difference.confidence_interval()
    benefit, low, high = (difference.estimate, lo, hi) if sign > 0 else (-difference.estimate, -hi, -lo)
    pvalue, method, confidence_level = difference.pvalue, f"1 / ({difference.method})", difference.confidence_level
    ci_low, ci_high, crosses = _nnt_limits(low, high)
    return NNTResult(
        estimate=_inv(benefit),
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
        _ci_func=_nnt_interval,
        _ci_args=(difference, sign),
    )


def number_needed_to_treat(
    events1: Int,
    n1: Int,
    events2: Int,
    n2: Int,
    *,
    confidence_level: float = 0.95,
    method: str = "wald",
    outcome: str = "undesirable",
    zero_correction: float = 0.5,
) -> NNTResult:
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
    rd = risk_difference(
        events1, n1, events2, n2, confidence_level=confidence_level, method=method, zero_correction=zero_correction
    )
    return _nnt_from_difference(rd, outcome, "patients")


# ---------------------------------------------------------------------------
# rates
# ---------------------------------------------------------------------------


def _rates_iv(events1, exposure1, events2, exposure2):
    e1 = _v.check_int("events1", events1, minimum=0)
    e2 = _v.check_int("events2", events2, minimum=0)
    t1 = _v.check_positive("exposure1", exposure1)
    t2 = _v.check_positive("exposure2", exposure2)
    return e1, t1, e2, t2


def rate_difference(
    events1: Int,
    exposure1: Real,
    events2: Int,
    exposure2: Real,
    *,
    confidence_level: float = 0.95,
    alternative: str = "two-sided",
) -> EstimateResult:
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
    var = (e1 / t1) / t1 + (e2 / t2) / t2  # not e1 / t1**2: t1**2 underflows to 0 for t1 < 1e-154
    if not math.isfinite(var):
        raise ValueError(
            f"`exposure1` ({t1!r}) or `exposure2` ({t2!r}) is so small that the rate difference's variance "
            "overflows; give exposures in patient-years."
        )
    if var == 0:
        raise ValueError("no events in either group (events1=0, events2=0): the rate difference has SE 0.")
    return _wald_result(
        e1 / t1 - e2 / t2, var, False, cl, alt, "rate difference per patient-year, Poisson Wald interval"
    )


def number_needed_to_treat_rate(
    events1: Int,
    exposure1: Real,
    events2: Int,
    exposure2: Real,
    *,
    confidence_level: float = 0.95,
    outcome: str = "undesirable",
) -> NNTResult:
    """Patient-years of treatment per event prevented (or caused): NNT from flare rates.

    ``1 / benefit`` where ``benefit`` is :func:`rate_difference` oriented as in
    :func:`number_needed_to_treat`; with flares (undesirable, the default) a
    positive value is the number of patient-years of treatment instead of the
    reference needed to prevent one flare.  The interval passes through
    infinity when the rate-difference interval includes 0.

    The Poisson rate difference ignores over-dispersion, so with negative-binomial
    flare counts the interval is too narrow; treat it as an absolute scale for
    the rate ratio of :func:`compare_rates`.

    Parameters
    ----------
    events1, exposure1 : int, float
        Events and patient-years, treatment.
    events2, exposure2 : int, float
        Events and patient-years, reference.
    confidence_level : float, default 0.95
        Level of the rate-difference interval that the NNT interval inverts.
    outcome : {"undesirable", "desirable"}
        Whether the counted event is bad (a flare: default) or good for the
        patient.

    Returns
    -------
    NNTResult
        ``estimate`` in patient-years (``unit``), ``confidence_interval()``,
        ``includes_infinity``, ``label``.

    Examples
    --------
    30 flares in 60 patient-years on treatment against 60 in 60 on the reference:
    one flare is prevented per 2 patient-years of treatment.

    >>> import lupusstats as ls
    >>> r = ls.number_needed_to_treat_rate(30, 60.0, 60, 60.0)
    >>> round(r.estimate, 2), r.unit
    (2.0, 'patient-years')
    >>> r.label
    'NNTB 2.0 (95% CI NNTB 1.2 to NNTB 5.3)'
    """
    outcome = _v.check_choice("outcome", outcome, ("undesirable", "desirable"))
    rd = rate_difference(events1, exposure1, events2, exposure2, confidence_level=confidence_level)
    return _nnt_from_difference(rd, outcome, "patient-years")
