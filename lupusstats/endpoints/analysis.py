"""Analyses of responder endpoints: risk difference, adjusted odds ratio, CMH test, repeated status by GEE.

The analyses SLE trials report for a responder endpoint (SRI-4, BICLA, LLDAS,
renal response ...), on a per-patient responder table (one row per patient:
``patient``, ``arm``, ``responder`` and any baseline covariates and stratum,
the shape :func:`lupusstats.responders` returns, or a user's own) or, for
repeated responder status, a long table (one row per patient per visit:
``patient``, ``arm``, ``week``, ``responder``):

* :func:`compare_responders`: per non-reference arm, the response proportions,
  the risk difference with the Miettinen-Nurminen score interval and test, the
  odds ratio from a logistic regression adjusted for baseline covariates and
  the randomisation strata (as fixed effects, as BLISS-52/76 and TULIP-1/2
  analysed their primary endpoints), and with strata the
  Cochran-Mantel-Haenszel test and common odds ratio;
* :func:`cmh_test`: the Cochran-Mantel-Haenszel test on its own (two groups);
* :func:`responder_gee`: the odds ratio of response across visits from a
  logistic GEE with robust (sandwich) standard errors.

References: R ``glm`` + ``confint.default``, ``mantelhaen.test`` and
``geepack::geeglm`` (tests/reference/responders_reference.R).
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import EstimateResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["GEE_CORRELATIONS", "cmh_test", "compare_responders", "responder_gee"]

#: Working correlations of :func:`responder_gee`.
GEE_CORRELATIONS = ("exchangeable", "independence", "ar1")

_COMPARE_COLUMNS = (
    "reference",
    "n",
    "responders",
    "proportion",
    "n_reference",
    "responders_reference",
    "proportion_reference",
    "risk_difference",
    "rd_ci_low",
    "rd_ci_high",
    "rd_statistic",
    "rd_pvalue",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "or_pvalue",
    "log_odds_ratio",
    "or_se",
    "cmh_statistic",
    "cmh_pvalue",
    "cmh_odds_ratio",
    "cmh_ci_low",
    "cmh_ci_high",
    "confidence_level",
    "adjusted_for",
    "note",
)
_GEE_COLUMNS = (
    "reference",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "pvalue",
    "log_odds_ratio",
    "se",
    "statistic",
    "correlation",
    "working_correlation",
    "n_patients",
    "n_observations",
    "converged",
    "confidence_level",
)
_MAX_ROWS_SHOWN = 10


# ---------------------------------------------------------------------------
# input checks


def _rows(frame, mask) -> str:
    """The index labels of the flagged rows, the first few of them."""
    labels = list(frame.index[np.asarray(mask)])
    shown = ", ".join(repr(x) for x in labels[:_MAX_ROWS_SHOWN])
    more = f" and {len(labels) - _MAX_ROWS_SHOWN} more" if len(labels) > _MAX_ROWS_SHOWN else ""
    return f"row(s) {shown}{more}"


def _no_missing(name, frame, column, what):
    col = frame[column]
    bad = col.isna().to_numpy()
    if bad.any():
        raise ValueError(
            f"{what} column `{column}` of `{name}` has {int(bad.sum())} missing value(s), at {_rows(frame, bad)}; "
            "remove or impute those rows first (nothing is dropped silently)."
        )


def _column_names(name, value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(c, str) for c in value):
        raise TypeError(f"`{name}` must be a column name or a list of column names, got {value!r}.")
    return list(value)


def _binary(name, frame, column):
    """The responder column as 0/1 floats: bool, or numbers that are all 0 or 1."""
    import pandas as pd

    _no_missing(name, frame, column, "responder")
    col = frame[column]
    if pd.api.types.is_bool_dtype(col):
        return col.to_numpy(dtype=float)
    if not pd.api.types.is_numeric_dtype(col):
        raise TypeError(
            f"responder column `{column}` of `{name}` must be bool or 0/1 numbers, got dtype {col.dtype} "
            f"(values such as {col.unique()[:5].tolist()})."
        )
    y = col.to_numpy(dtype=float)
    bad = ~np.isin(y, (0.0, 1.0))
    if bad.any():
        raise ValueError(
            f"responder column `{column}` of `{name}` must be 0/1 (or bool), got {np.unique(y[bad])[:5].tolist()} "
            f"at {_rows(frame, bad)}."
        )
    return y


def _levels(name, frame, group, reference):
    """Group codes, level names (categorical order, else sorted), the reference index."""
    import pandas as pd

    _no_missing(name, frame, group, "group")
    col = frame[group]
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    cat = cat.cat.remove_unused_categories()
    levels = list(cat.cat.categories)
    if len(levels) < 2:
        raise ValueError(f"group column `{group}` of `{name}` must hold at least two groups to compare, got {levels}.")
    if reference is None:
        ref = 0
    elif reference in levels:
        ref = levels.index(reference)
    else:
        raise ValueError(f"`reference` {reference!r} is not a group of column `{group}`; groups are {levels}.")
    return cat.cat.codes.to_numpy(), levels, ref


def _design_columns(name, frame, columns, what):
    """Numeric columns as they are, other columns as dummies (first level dropped); names kept."""
    import pandas as pd

    blocks, names = [], []
    for c in columns:
        _no_missing(name, frame, c, what)
        col = frame[c]
        if (pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)) and what == "covariate":
            blocks.append(col.to_numpy(dtype=float)[:, None])
            names.append(c)
        else:
            dummies = pd.get_dummies(col.astype("category"), prefix=c, prefix_sep="[", drop_first=True, dtype=float)
            blocks.append(dummies.to_numpy())
            names.extend(f"{n}]" for n in dummies.columns)
    if not blocks:
        return np.zeros((len(frame), 0)), []
    return np.hstack(blocks), names


def _check_table(name, table, needed):
    import pandas as pd

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame, got {type(table).__name__}.")
    for arg, col in needed.items():
        if not isinstance(col, str):
            raise TypeError(f"`{arg}` must be a column name (str), got {col!r}.")
    _v.check_columns(name, table, list(needed.values()))
    if len(table) == 0:
        raise ValueError(f"`{name}` has no rows.")


# ---------------------------------------------------------------------------
# Cochran-Mantel-Haenszel


def _cmh_interval(level: float, log_or: float, se: float) -> tuple[float, float]:
    low, high = _inf.wald_interval(log_or, se, level, back=np.exp)
    return float(low), float(high)


def _cmh(y, treated, stratum_codes, correct, confidence_level):
    """CMH statistic (as R mantelhaen.test), p, MH odds ratio, RBG log-OR SE, and the informative strata.

    `treated` is a boolean mask over the two-group subset; one 2x2 table per stratum with rows
    (treated, reference) and columns (responder, non-responder).
    """
    from scipy import stats
    from statsmodels.stats.contingency_tables import StratifiedTable

    k = int(stratum_codes.max()) + 1
    a = np.bincount(stratum_codes, weights=y * treated, minlength=k)
    n1 = np.bincount(stratum_codes, weights=treated.astype(float), minlength=k)
    m1 = np.bincount(stratum_codes, weights=y, minlength=k)
    n = np.bincount(stratum_codes, minlength=k).astype(float)
    n0, m0 = n - n1, n - m1
    # a stratum with one patient, one group or one outcome adds nothing to the sums; it is left out
    # (R's mantelhaen.test refuses strata of size < 2 instead)
    keep = (n1 > 0) & (n0 > 0) & (m1 > 0) & (m0 > 0)
    if not keep.any():
        return math.nan, math.nan, math.nan, math.nan, 0
    a, n1, n0, m1, m0, n = a[keep], n1[keep], n0[keep], m1[keep], m0[keep], n[keep]
    delta = float(np.sum(a - n1 * m1 / n))
    var = float(np.sum(n1 * n0 * m1 * m0 / (n**2 * (n - 1.0))))
    # R's continuity correction: 0.5 is subtracted from |delta| only when |delta| >= 0.5
    # (statsmodels' test_null_odds(correction=True) subtracts it always, so it is not used here)
    yates = 0.5 if correct and abs(delta) >= 0.5 else 0.0
    stat = (abs(delta) - yates) ** 2 / var
    p = float(stats.chi2.sf(stat, 1))
    tables = np.stack([np.stack([a, n1 - a], -1), np.stack([m1 - a, n0 - (m1 - a)], -1)], 1)  # (K, 2, 2)
    st = StratifiedTable(np.moveaxis(tables, 0, -1))
    with np.errstate(divide="ignore", invalid="ignore"):
        mh_or = float(st.oddsratio_pooled)
        se = float(st.logodds_pooled_se)
    return stat, p, mh_or, se, int(keep.sum())


def cmh_test(
    table: pd.DataFrame,
    *,
    responder: str = "responder",
    group: str = "arm",
    strata: str = "stratum",
    reference: str | None = None,
    correct: bool = True,
    confidence_level: float = 0.95,
) -> EstimateResult:
    """Cochran-Mantel-Haenszel test of response between two groups across strata, with the common odds ratio.

    The test R ``mantelhaen.test`` computes on the 2 x 2 x K table of group by
    response by stratum: ``(|sum(a - E a)| - 0.5)^2 / sum Var(a)`` on 1 degree
    of freedom, with ``a`` the treated responders of a stratum and ``E a``,
    ``Var a`` their hypergeometric mean and variance; R's continuity correction
    (``correct=True``, R's default) subtracts 0.5 only when ``|sum(a - E a)| >=
    0.5``.  The common odds ratio is the Mantel-Haenszel estimate with the
    Robins-Breslow-Greenland interval (statsmodels ``StratifiedTable``; R
    reports the same), on the log scale.

    Parameters
    ----------
    table : DataFrame
        One row per patient, with the `responder`, `group` and `strata` columns.
    responder : str, default "responder"
        Column of response: bool or 0/1.
    group : str, default "arm"
        Column of the two groups compared.
    strata : str, default "stratum"
        Column of the strata (randomisation strata, centres ...).
    reference : str, optional
        The reference group (default: the first category, or the first in
        sorted order); the odds ratio is the other group's odds of response
        over the reference's.
    correct : bool, default True
        Continuity correction of the test, as R's default; the odds ratio and
        its interval do not depend on it.
    confidence_level : float, default 0.95
        Of the interval of the common odds ratio.

    Returns
    -------
    EstimateResult
        ``estimate`` = Mantel-Haenszel common odds ratio, ``ci_low, ci_high``
        (RBG), ``se`` = standard error of its log, ``statistic`` = CMH
        chi-square (1 df), ``pvalue``; ``confidence_interval(level)``
        recomputes the interval at another level.  Strata with one group, one
        outcome or one patient carry no information and are left out (the
        method string counts them); with none left everything is NaN.

    Raises
    ------
    ValueError
        A missing column, missing values (the rows are listed), a responder
        column that is not 0/1, not exactly two groups, an unknown `reference`.
    TypeError
        `table` not a DataFrame, column names not strings, `correct` not bool.

    See Also
    --------
    compare_responders : the CMH test beside the risk difference and adjusted odds ratio, for many arms.

    References
    ----------
    Mantel N, Haenszel W. J Natl Cancer Inst 1959;22:719-48.  Robins J, Breslow
    N, Greenland S. Biometrics 1986;42:311-23.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> t = pd.DataFrame({"arm": ["placebo"] * 8 + ["drug"] * 8,
    ...                   "responder": [0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1],
    ...                   "stratum": ["a", "b"] * 8})
    >>> res = ls.cmh_test(t, reference="placebo")
    >>> round(res.estimate, 3), round(res.statistic, 4), round(res.pvalue, 4)
    (4.0, 0.9032, 0.3419)
    """
    if not isinstance(correct, bool):
        raise TypeError(f"`correct` must be True or False, got {correct!r}.")
    cl = _v.check_confidence_level(confidence_level)
    _check_table("table", table, {"responder": responder, "group": group, "strata": strata})
    y = _binary("table", table, responder)
    codes, levels, ref = _levels("table", table, group, reference)
    if len(levels) != 2:
        raise ValueError(
            f"cmh_test compares two groups; column `{group}` has {len(levels)}: {levels}. Select two arms "
            "first, or use compare_responders(..., strata=...), which tests every arm against the reference."
        )
    _no_missing("table", table, strata, "strata")
    s_codes = table[strata].astype("category").cat.codes.to_numpy()
    stat, p, mh_or, se, k = _cmh(y, codes != ref, s_codes, correct, cl)
    low, high = _cmh_interval(cl, math.log(mh_or), se) if np.isfinite(se) and mh_or > 0 else (math.nan, math.nan)
    k_all = len(np.unique(s_codes))
    return EstimateResult(
        estimate=mh_or,
        ci_low=low,
        ci_high=high,
        pvalue=p,
        statistic=stat,
        se=se,
        method=(
            f"Cochran-Mantel-Haenszel chi-square (1 df{', continuity-corrected as R' if correct else ''}); "
            f"Mantel-Haenszel common odds ratio {levels[1 - ref]!r} vs {levels[ref]!r} with the "
            f"Robins-Breslow-Greenland interval; {k} of {k_all} strata informative"
        ),
        confidence_level=cl,
        _ci_func=_cmh_interval if np.isfinite(se) and mh_or > 0 else None,
        _ci_args=(math.log(mh_or), se) if np.isfinite(se) and mh_or > 0 else (),
    )


# ---------------------------------------------------------------------------
# risk difference, logistic regression, CMH per arm


def _logistic(y, X):
    """Binomial GLM (logit) by IRLS to a tight tolerance; params, covariance, converged, separation flag."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            fit = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
    flagged = {type(w.message) for w in caught}
    converged = bool(fit.converged) and ConvergenceWarning not in flagged
    mu = fit.fittedvalues
    separated = PerfectSeparationWarning in flagged or bool(np.any((mu < 1e-8) | (mu > 1 - 1e-8)))
    return np.asarray(fit.params), np.asarray(fit.cov_params()), converged, separated


def compare_responders(
    table: pd.DataFrame,
    *,
    responder: str = "responder",
    group: str = "arm",
    reference: str | None = None,
    covariates: str | Sequence[str] = (),
    strata: str | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Responder endpoint by arm: risk difference (Miettinen-Nurminen), adjusted odds ratio, CMH test.

    For every arm against the reference:

    * **proportions and risk difference** ``p_arm - p_reference``, unadjusted,
      with the Miettinen-Nurminen score interval and the score test of no
      difference (with the ``N / (N - 1)`` variance factor of Miettinen &
      Nurminen 1985; computed by ``lupusstats._core.inference`` because
      statsmodels' score interval is wrong in the versions this package
      supports, statsmodels issue #10269; its test of no difference, which is
      right, agrees);
    * **odds ratio** from the logistic regression ``responder ~ group +
      covariates + strata`` fitted to all arms (strata as fixed effects, the
      analysis BLISS-52/76 and TULIP-1/2 used for SRI-4 and BICLA), with the
      Wald interval and test (as R ``glm(family = binomial)`` with
      ``confint.default``);
    * with `strata`, the **Cochran-Mantel-Haenszel** test (continuity-corrected,
      as R ``mantelhaen.test``'s default) and the Mantel-Haenszel common odds
      ratio with its interval, on the patients of that arm and the reference
      (see :func:`cmh_test`).

    Parameters
    ----------
    table : DataFrame
        One row per patient (e.g. from ``ls.responders(...)``): the responder
        and group columns, and the covariate and stratum columns named.
    responder : str, default "responder"
        Column of response: bool or 0/1.  Missing values are an error: decide
        first how a missing assessment counts (trials: non-responder).
    group : str, default "arm"
        Column of the arms; the output names its arm column after it.
    reference : str, optional
        Reference arm; default the first category of `group` (the first in
        sorted order for a non-categorical column).
    covariates : str or list of str, default ()
        Baseline covariates of the logistic regression (e.g.
        ``"baseline_sledai"``); numeric columns enter linearly, others as
        dummy variables.
    strata : str, optional
        Stratum column: fixed effects in the logistic regression, and the CMH
        test.
    confidence_level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per non-reference arm: `group` (the arm), ``reference, n,
        responders, proportion, n_reference, responders_reference,
        proportion_reference, risk_difference, rd_ci_low, rd_ci_high,
        rd_statistic`` (MN z), ``rd_pvalue, odds_ratio, or_ci_low, or_ci_high,
        or_pvalue, log_odds_ratio, or_se`` (of the log odds ratio),
        ``cmh_statistic, cmh_pvalue, cmh_odds_ratio, cmh_ci_low, cmh_ci_high``
        (NaN without `strata`), ``confidence_level``, ``adjusted_for`` (the
        covariates and stratum of the odds ratio, comma-separated) and
        ``note`` (non-convergence, separation: an arm or stratum in which
        everyone or no one responded makes the adjusted odds ratio unreliable).

    Raises
    ------
    ValueError
        A missing column; missing values in any used column (the rows are
        listed, none is dropped); a responder column that is not 0/1; fewer
        than two groups; an unknown `reference`; a design whose covariates are
        collinear with the arms.
    TypeError
        `table` not a DataFrame, a non-numeric responder column, column names
        not strings.

    References
    ----------
    Miettinen O, Nurminen M. Comparative analysis of two rates. Stat Med
    1985;4:213-26.  Navarra SV et al. (BLISS-52). Lancet 2011;377:721-31.
    Morand EF et al. (TULIP-2). N Engl J Med 2020;382:211-21.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> t = pd.DataFrame({"arm": ["placebo"] * 10 + ["drug"] * 10,
    ...                   "responder": [1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1],
    ...                   "stratum": ["low", "high"] * 10})
    >>> res = ls.compare_responders(t, reference="placebo", strata="stratum")
    >>> res[["arm", "proportion", "proportion_reference", "risk_difference"]]
        arm  proportion  proportion_reference  risk_difference
    0  drug         0.7                   0.3              0.4
    >>> [round(float(res.loc[0, c]), 4) for c in ("rd_ci_low", "rd_ci_high", "rd_pvalue")]
    [-0.0491, 0.7146, 0.0812]
    >>> round(float(res.loc[0, "odds_ratio"]), 3), round(float(res.loc[0, "cmh_odds_ratio"]), 3)
    (5.444, 5.0)
    """
    import pandas as pd

    cl = _v.check_confidence_level(confidence_level)
    cov_names = _column_names("covariates", covariates)
    if strata is not None and not isinstance(strata, str):
        raise TypeError(f"`strata` must be a column name (str) or None, got {strata!r}.")
    _v.check_output_name("group", group, _COMPARE_COLUMNS)
    needed = {"responder": responder, "group": group}
    _check_table("table", table, needed)
    _v.check_columns("table", table, cov_names + ([strata] if strata else []))
    y = _binary("table", table, responder)
    codes, levels, ref = _levels("table", table, group, reference)
    others = [i for i in range(len(levels)) if i != ref]
    Z, _ = _design_columns("table", table, cov_names, "covariate")
    S, _ = _design_columns("table", table, [strata] if strata else [], "strata")
    X = np.column_stack([np.ones(len(y))] + [(codes == i).astype(float) for i in others] + [Z, S])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(
            f"the logistic design (arms + covariates {cov_names} + strata {strata!r}) is rank-deficient; "
            "drop a covariate collinear with the arms or the strata."
        )
    beta, cov, converged, separated = _logistic(y, X)
    s_codes = table[strata].astype("category").cat.codes.to_numpy() if strata else None
    ref_mask = codes == ref
    x0, n0 = float(y[ref_mask].sum()), float(ref_mask.sum())
    rows = []
    for j, lvl in enumerate(others, start=1):
        arm_mask = codes == lvl
        x1, n1 = float(y[arm_mask].sum()), float(arm_mask.sum())
        rd_low, rd_high = _inf.mn_score_interval(x1, n1, x0, n0, cl)
        z = float(_inf.mn_score_statistic(x1, n1, x0, n0))
        b, se = float(beta[j]), float(math.sqrt(cov[j, j]))
        or_low, or_high = _inf.wald_interval(b, se, cl, back=np.exp)
        notes = []
        if not converged:
            notes.append("the logistic regression did not converge")
        if separated:
            notes.append(
                "separation: fitted probabilities of 0 or 1 (an arm or stratum with all or no responders); "
                "the adjusted odds ratio and its Wald interval are unreliable"
            )
        cmh = (math.nan,) * 5
        if s_codes is not None:
            sub = arm_mask | ref_mask
            stat, p, mh_or, mh_se, _ = _cmh(y[sub], arm_mask[sub], s_codes[sub], True, cl)
            lo, hi = (
                _cmh_interval(cl, math.log(mh_or), mh_se) if np.isfinite(mh_se) and mh_or > 0 else (math.nan, math.nan)
            )
            cmh = (stat, p, mh_or, lo, hi)
        rows.append(
            {
                group: levels[lvl],
                "reference": levels[ref],
                "n": int(n1),
                "responders": int(x1),
                "proportion": x1 / n1,
                "n_reference": int(n0),
                "responders_reference": int(x0),
                "proportion_reference": x0 / n0,
                "risk_difference": x1 / n1 - x0 / n0,
                "rd_ci_low": float(rd_low),
                "rd_ci_high": float(rd_high),
                "rd_statistic": z,
                "rd_pvalue": float(_inf.pvalue_from_z(z)),
                "odds_ratio": math.exp(b),
                "or_ci_low": float(or_low),
                "or_ci_high": float(or_high),
                "or_pvalue": float(_inf.pvalue_from_z(b / se)),
                "log_odds_ratio": b,
                "or_se": se,
                "cmh_statistic": cmh[0],
                "cmh_pvalue": cmh[1],
                "cmh_odds_ratio": cmh[2],
                "cmh_ci_low": cmh[3],
                "cmh_ci_high": cmh[4],
                "confidence_level": cl,
                "adjusted_for": ", ".join(cov_names + ([strata] if strata else [])),
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# repeated responder status: GEE


@functools.cache
def _geepack_ar1_class():
    """The AR(1) working correlation estimated as geepack estimates it (a statsmodels ``CovStruct``).

    Built on first use so that ``import lupusstats`` does not load statsmodels.

    geepack 1.3.9-1.3.12 (``src/gee2.cc`` ``update_gamma`` and ``update_alpha``, ``src/famstr.cc``
    ``cor_ar1`` and ``cor_rho_ar1``, read in the CRAN mirror github.com/cran/geepack) fits the AR(1)
    parameter by its second estimating equation (Yan & Fine 2004; Halekoh, Hojsgaard & Yan 2006):
    with Pearson residuals ``r = (y - mu) / sqrt(v(mu))`` and the scale
    ``phi = sum(r**2) / N`` (all N observations; no degrees-of-freedom correction: the
    ``N / (N - p)`` lines are commented out in the C++), ``alpha`` solves

        sum over patients, over all pairs j < k of visits:
            d_jk * alpha**(d_jk - 1) * (r_j * r_k / phi - alpha**d_jk) = 0,

    ``d_jk = |wave_k - wave_j|`` the distance in visits (geepack's ``waves`` as a factor: the rank
    of the visit among all distinct visits).  Every pair of every lag counts once, unweighted;
    patients with one visit give no pair (but count in ``phi``).  It is the stationary point of the
    least-squares criterion ``sum (r_j r_k / phi - alpha**d_jk)**2``; geepack takes one
    Gauss-Newton step per outer iteration, this class iterates Gauss-Newton to convergence at each
    update, which has the same fixed point.  The working correlation between two visits of a
    patient is ``alpha**d_jk`` in the visit numbering, so a missed visit (a gap) lowers the
    correlation across it.

    statsmodels' own ``Autoregressive`` differs in three ways, which is why it is not used: (1) it
    minimises the weighted regression criterion ``sum w (r_k - alpha**d r_j)**2`` instead; (2) its
    residuals are not divided by the scale (statsmodels fixes the binomial scale at 1, geepack
    estimates ``phi``: 0.9975-1.0035 on the reference data sets, so (1) matters most); (3) its
    working matrix uses the position of an observation in the cluster, not the time passed, so a
    gap is ignored there while it counts in the estimation.  On the four reference data sets of
    tests/reference/responders_reference.R it gave ``alpha`` 0.0540 / 0.3180 / 0.4049 / 0.2449
    where geepack gives 0.0542 / 0.3319 / 0.4381 / 0.2480, and log odds ratios up to 7e-6 /
    1.1e-3 / 6.9e-3 / 5.5e-3 away; this class agrees to about 1e-10.
    """
    from statsmodels.genmod.cov_struct import CovStruct

    class _GeepackAR1(CovStruct):
        def __init__(self):
            super().__init__()
            self.dep_params = 0.0

        def initialize(self, model):
            super().initialize(model)
            self._pairs = []
            lags = []
            for t in model.time_li:
                wave = np.rint(np.asarray(t, dtype=float)[:, 0]).astype(np.int64)
                j, k = np.triu_indices(len(wave), 1)
                self._pairs.append((j, k))
                lags.append(np.abs(wave[k] - wave[j]))
            self._lags = np.concatenate(lags) if lags else np.zeros(0, dtype=np.int64)
            if self._lags.size and self._lags.min() == 0:
                raise ValueError("AR(1): two observations of one patient share a visit.")

        def update(self, params):
            model = self.model
            varfunc = model.family.variance
            ssr, nobs, products = 0.0, 0, []
            for i, (j, k) in enumerate(self._pairs):
                expval, _ = model.cached_means[i]
                r = (model.endog_li[i] - expval) / np.sqrt(varfunc(expval))
                ssr += float(np.sum(r * r))
                nobs += len(r)
                products.append(r[j] * r[k])
            d = self._lags
            if d.size == 0:  # no patient with two visits: geepack keeps alpha = 0 (statsmodels skips this call)
                return
            phi = ssr / (nobs - model.ddof_scale)
            z = np.concatenate(products) / phi
            if not (phi > 0 and np.isfinite(z).all()):
                raise ValueError(f"AR(1): the residuals give no correlation estimate (dispersion {phi!r}).")
            a = float(self.dep_params)
            if a == 0.0 and not (d == 1).any():
                a = 0.5  # no lag-1 pair: the derivative vanishes at 0, start inside (-1, 1)
            for _ in range(200):
                e = d * a ** (d - 1.0)
                h = float(e @ e)
                if h == 0.0:
                    raise ValueError("AR(1): the correlation estimating equation is degenerate.")
                step = float(e @ (z - a**d)) / h
                while abs(a + step) >= 1.0 and abs(step) > 1e-15:
                    step /= 2.0
                a += step
                if abs(step) < 1e-14:
                    break
                if not math.isfinite(a):
                    raise ValueError("AR(1): the correlation estimate is not finite.")
            else:
                raise ValueError("AR(1): the correlation estimate did not converge.")
            self.dep_params = a
            self.scale = phi

        def covariance_matrix(self, endog_expval, index):
            wave = np.rint(np.asarray(self.model.time_li[index], dtype=float)[:, 0])
            return self.dep_params ** np.abs(wave[:, None] - wave[None, :]), True

        def summary(self):
            return f"AR(1) working correlation (geepack estimator): {self.dep_params:.4f}"

    return _GeepackAR1


def _gee_cov_struct(correlation):
    import statsmodels.api as sm

    if correlation == "exchangeable":
        return sm.cov_struct.Exchangeable()
    if correlation == "independence":
        return sm.cov_struct.Independence()
    return _geepack_ar1_class()()


def responder_gee(
    long_table: pd.DataFrame,
    *,
    responder: str = "responder",
    group: str = "arm",
    time: str = "week",
    patient: str = "patient",
    covariates: str | Sequence[str] = (),
    correlation: str = "exchangeable",
    time_effects: bool = True,
    reference: str | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Odds ratio of response across repeated visits: logistic GEE with robust standard errors.

    Fits the marginal model ``logit P(responder) = arm + week (as categories)
    + covariates`` by generalised estimating equations (statsmodels ``GEE``,
    binomial family, logit link) with patients as clusters and the sandwich
    (robust) covariance, as R ``geepack::geeglm(responder ~ arm + factor(week)
    + covariates, id = patient, family = binomial, corstr = ...)``.  The odds
    ratio is the arm's common odds of response over the visits.

    Matching geepack: with ``correlation="exchangeable"`` the correlation is
    estimated with no degrees-of-freedom correction (statsmodels
    ``fit(ddof_scale=0)``; statsmodels' default subtracts the number of
    parameters from the number of pairs and observations, geepack does not),
    which makes the estimates and robust standard errors agree with geepack to
    rounding (the binomial scale is fixed at 1 in statsmodels and estimated
    in geepack, which does not enter the robust covariance or these
    estimates).  ``"independence"`` is the logistic regression with sandwich
    errors and agrees exactly.  ``"ar1"`` estimates the AR(1) parameter as
    geepack does, to agree with R's ``geepack`` (the reference these analyses
    are checked against): the correlation of two visits ``d``
    scheduled visits apart is ``alpha**d`` (a missed visit is a gap: the visits are
    numbered over all distinct values of `time`, as geepack's ``waves``), and
    ``alpha`` solves geepack's estimating equation over all pairs of visits of
    every patient, with Pearson residuals scaled by the estimated dispersion
    (no degrees-of-freedom correction).  Estimates, robust standard errors and
    ``alpha`` then agree with geepack to about 1e-10, with dropout and gaps.
    statsmodels' own ``Autoregressive`` is not used: it fits ``alpha`` by
    another (weighted regression) criterion, with the dispersion fixed at 1,
    and ignores gaps in its working matrix; on the reference data sets its log
    odds ratios were up to 7e-3 from geepack's and its ``alpha`` up to 0.03.

    Parameters
    ----------
    long_table : DataFrame
        One row per patient per visit with the `responder`, `group`, `time`
        and `patient` columns (and the covariates).  A patient keeps one arm;
        no patient has two rows at one visit.  Rows after dropout are simply
        absent (GEE assumes they are missing completely at random given the
        covariates, or use the composite non-responder imputation first).
    responder : str, default "responder"
        Bool or 0/1 column.
    group : str, default "arm"
        Arm column; the output names its arm column after it.
    time : str, default "week"
        Visit column (numbers); fixed effects per visit when `time_effects`,
        and the order of the visits for ``"ar1"`` (the visits are numbered
        over all distinct values of `time`, as geepack's ``waves``).
    patient : str, default "patient"
        Patient identifier: the clusters.
    covariates : str or list of str, default ()
        Baseline covariates (numeric linear, others as dummies).
    correlation : {"exchangeable", "independence", "ar1"}
        Working correlation.
    time_effects : bool, default True
        Include a fixed effect per visit (False: a constant response rate over
        visits).
    reference : str, optional
        Reference arm (default the first category or first in sorted order).
    confidence_level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per non-reference arm: `group`, ``reference, odds_ratio,
        ci_low, ci_high, pvalue`` (Wald, robust), ``log_odds_ratio, se,
        statistic, correlation`` (the working structure),
        ``working_correlation`` (its estimated parameter; NaN for
        independence), ``n_patients, n_observations, converged,
        confidence_level``.

    Raises
    ------
    ValueError
        Missing columns or values (rows listed), non-0/1 responders, fewer than
        two arms, a patient in two arms or twice at a visit, an unknown
        `correlation` or `reference`.
    TypeError
        Wrong argument types.

    References
    ----------
    Liang KY, Zeger SL. Longitudinal data analysis using generalized linear
    models. Biometrika 1986;73:13-22.  Halekoh U, Hojsgaard S, Yan J. The R
    package geepack. J Stat Softw 2006;15(2).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> long = pd.DataFrame({"patient": [p for p in range(12) for _ in range(3)],
    ...                      "arm": ["placebo"] * 18 + ["drug"] * 18,
    ...                      "week": [12, 24, 52] * 12,
    ...                      "responder": [0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1,
    ...                                    1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0]})
    >>> res = ls.responder_gee(long, reference="placebo")
    >>> res[["arm", "reference", "correlation", "n_patients", "n_observations"]]
        arm reference   correlation  n_patients  n_observations
    0  drug   placebo  exchangeable          12              36
    >>> bool(res.loc[0, "odds_ratio"] > 1)
    True
    """
    import pandas as pd
    import statsmodels.api as sm

    correlation = _v.check_choice("correlation", correlation, GEE_CORRELATIONS)
    if not isinstance(time_effects, bool):
        raise TypeError(f"`time_effects` must be True or False, got {time_effects!r}.")
    cl = _v.check_confidence_level(confidence_level)
    cov_names = _column_names("covariates", covariates)
    _v.check_output_name("group", group, _GEE_COLUMNS)
    name = "long_table"
    _check_table(name, long_table, {"responder": responder, "group": group, "time": time, "patient": patient})
    _v.check_columns(name, long_table, cov_names)
    y = _binary(name, long_table, responder)
    codes, levels, ref = _levels(name, long_table, group, reference)
    for col, what in ((patient, "patient"), (time, "time")):
        _no_missing(name, long_table, col, what)
    if not pd.api.types.is_numeric_dtype(long_table[time]):
        raise TypeError(
            f"time column `{time}` of `{name}` must hold numbers (weeks), got dtype {long_table[time].dtype}."
        )
    pid = long_table[patient]
    arms_per_patient = pd.Series(codes, index=long_table.index).groupby(pid.to_numpy()).nunique()
    if (arms_per_patient > 1).any():
        bad = arms_per_patient.index[arms_per_patient > 1].tolist()
        raise ValueError(f"patients {bad[:_MAX_ROWS_SHOWN]} appear in more than one arm in column `{group}`.")
    dup = long_table.duplicated([patient, time], keep=False).to_numpy()
    if dup.any():
        raise ValueError(
            f"`{name}` has two rows for one patient at one visit (`{patient}`, `{time}`) at {_rows(long_table, dup)}."
        )
    others = [i for i in range(len(levels)) if i != ref]
    Z, _ = _design_columns(name, long_table, cov_names, "covariate")
    weeks = long_table[time].to_numpy(dtype=float)
    if not np.isfinite(weeks).all():
        raise ValueError(
            f"time column `{time}` of `{name}` must hold finite numbers (weeks), "
            f"got {weeks[~np.isfinite(weeks)][:3].tolist()}."
        )
    visits = np.unique(weeks)
    wave = np.searchsorted(visits, weeks)
    T = (
        np.column_stack([(wave == k).astype(float) for k in range(1, len(visits))])
        if time_effects and len(visits) > 1
        else np.zeros((len(y), 0))
    )
    X = np.column_stack([np.ones(len(y))] + [(codes == i).astype(float) for i in others] + [T, Z])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(
            f"the GEE design (arms + visits + covariates {cov_names}) is rank-deficient; drop a collinear covariate."
        )
    group_codes = pid.astype("category").cat.codes.to_numpy()
    order = np.lexsort((weeks, group_codes))
    cs = _gee_cov_struct(correlation)
    model = sm.GEE(
        y[order],
        X[order],
        groups=group_codes[order],
        time=wave[order].astype(float) if correlation == "ar1" else None,
        family=sm.families.Binomial(),
        cov_struct=cs,
    )
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            try:
                fit = model.fit(maxiter=500, ctol=1e-10, ddof_scale=0, cov_type="robust")
            except (ValueError, np.linalg.LinAlgError) as err:  # statsmodels' own, naming no column
                raise ValueError(
                    f"the GEE fit of `{name}` failed ({err}); with correlation={correlation!r} check that the "
                    f"visits (`{time}`) are on one schedule, or use correlation='independence'."
                ) from None
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    params, bse = np.asarray(fit.params), np.asarray(fit.bse)
    alpha = float(np.ravel(cs.dep_params)[0]) if correlation != "independence" else math.nan
    rows = []
    for j, lvl in enumerate(others, start=1):
        b, se = float(params[j]), float(bse[j])
        low, high = _inf.wald_interval(b, se, cl, back=np.exp)
        rows.append(
            {
                group: levels[lvl],
                "reference": levels[ref],
                "odds_ratio": math.exp(b),
                "ci_low": float(low),
                "ci_high": float(high),
                "pvalue": float(_inf.pvalue_from_z(b / se)),
                "log_odds_ratio": b,
                "se": se,
                "statistic": b / se,
                "correlation": correlation,
                "working_correlation": alpha,
                "n_patients": len(np.unique(group_codes)),
                "n_observations": len(y),
                "converged": converged,
                "confidence_level": cl,
            }
        )
    return pd.DataFrame(rows)
