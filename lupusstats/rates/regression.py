"""Rate-ratio regressions with a ``log(exposure)`` offset: per-arm rates, one cohort, many trials at once."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import BatchResult
from lupusstats.cohort import columns as C
from lupusstats.rates.design import _counts_exposure, _design, _group_codes
from lupusstats.rates.negbin import fit_rates
from lupusstats.rates.poisson import poisson_rate_ci

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RATE_MODELS", "compare_rates", "compare_rates_batch", "flare_rates"]

#: Models understood by :func:`compare_rates` and :func:`compare_rates_batch`.
RATE_MODELS = ("negbin", "poisson", "quasipoisson", "robust")
_MODEL_LABEL = {
    "negbin": "negative binomial (NB2 ML, Wald, as MASS::glm.nb)",
    "poisson": "Poisson GLM (Wald)",
    "quasipoisson": "quasi-Poisson (Pearson scale, t test)",
    "robust": "Poisson with sandwich (HC0) standard errors",
}
_RATE_COLUMNS = ("patients", "events", "patient_years", "rate", "ci_low", "ci_high", "dispersion", "method")
#: Interval methods of :func:`flare_rates`: the Poisson intervals of :func:`poisson_rate_ci`, and the NB2 model.
_RATE_CI_METHODS = ("exact", "midp", "score", "wald", "negbin")
_COMPARISON_COLUMNS = (
    "reference",
    "rate_ratio",
    "ci_low",
    "ci_high",
    "pvalue",
    "log_rate_ratio",
    "se",
    "statistic",
    "dispersion",
    "scale",
    "model",
    "confidence_level",
    "converged",
    "note",
)


# ---------------------------------------------------------------------------
# Rates per arm


def flare_rates(
    patients: pd.DataFrame,
    *,
    count: str = C.N_FLARES,
    exposure: str = C.FOLLOWUP_YEARS,
    group: str = C.ARM,
    confidence_level: float = 0.95,
    method: str = "exact",
) -> pd.DataFrame:
    """Flare rate per arm: patients, events, patient-years, rate and its CI.

    With a Poisson method (``"exact"``, ``"midp"``, ``"score"``, ``"wald"``) the
    rate is total events over total exposure (the pooled Poisson estimate) and
    the interval treats the pooled count as Poisson (see :func:`poisson_rate_ci`):
    too narrow when counts are over-dispersed, because a patient who flares often
    counts as many independent events.  ``method="negbin"`` gives the
    model-based interval of the negative-binomial (NB2) regression on the arms,
    the model :func:`compare_rates` uses.

    Parameters
    ----------
    patients : DataFrame
        Patients table.
    count, exposure, group : str
        Column names (``count="n_severe_flares"`` for severe flares).
    confidence_level : float, default 0.95
    method : {"exact", "midp", "score", "wald", "negbin"}
        ``"negbin"``: one NB2 maximum-likelihood fit of ``count ~ group`` with a
        ``log(exposure)`` offset and one dispersion shared by the arms (as R
        ``MASS::glm.nb(y ~ 0 + arm + offset(log(t)))``); the rate of each arm is
        ``exp`` of its log rate, the interval the Wald interval on the log rate
        with the standard error ``glm.nb`` reports (the IRLS covariance at the ML
        dispersion), back-transformed.  The NB estimate weights patients by
        ``1 / (1 + dispersion * mu)``, so with unequal follow-up it differs
        slightly from events / patient-years.  With no over-dispersion (the
        dispersion on the Poisson boundary 0) it is the Poisson Wald interval on
        the log rate.  An arm without events has rate 0 and the interval
        ``(0, inf)`` (the Wald interval is undefined; use an exact method).

    Returns
    -------
    DataFrame
        One row per arm: `group` (the arm, in a column named after `group`:
        ``arm`` by default), ``patients, events, patient_years, rate, ci_low,
        ci_high``, then ``dispersion`` (NB2 alpha; ``method="negbin"`` only) and
        ``method``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=50), rng=1)
    >>> list(ls.flare_rates(cohort.patients).columns)
    ['arm', 'patients', 'events', 'patient_years', 'rate', 'ci_low', 'ci_high', 'method']

    The negative-binomial interval is wider than the exact Poisson one when
    counts are over-dispersed:

    >>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> exact = ls.flare_rates(cohort.patients)
    >>> nb = ls.flare_rates(cohort.patients, method="negbin")
    >>> list(nb.columns[-2:])
    ['dispersion', 'method']
    >>> bool(((nb["ci_high"] / nb["ci_low"]) > (exact["ci_high"] / exact["ci_low"])).all())
    True
    """
    import pandas as pd

    method = _v.check_choice("method", method, _RATE_CI_METHODS)
    cl = _v.check_confidence_level(confidence_level)
    _v.check_columns("patients", patients, [count, exposure, group])
    _v.check_output_name("group", group, _RATE_COLUMNS)
    y, t = _counts_exposure(patients, count, exposure)
    codes, levels = _group_codes(patients, group)
    k = len(levels)
    events = np.bincount(codes, weights=y, minlength=k).astype(np.int64)
    years = np.bincount(codes, weights=t, minlength=k)
    out = {
        group: levels,
        "patients": np.bincount(codes, minlength=k),
        "events": events,
        "patient_years": years,
    }
    if method == "negbin":
        log_rate, se, alpha = _negbin_log_rates(y, t, codes, k)
        low, high = _wald(log_rate, se, "negbin", np.inf, cl)[2:]
        with np.errstate(under="ignore"):
            out.update(rate=np.exp(log_rate), ci_low=low, ci_high=high, dispersion=np.full(k, alpha))
    else:
        low, high = poisson_rate_ci(events, years, confidence_level=cl, method=method)
        out.update(rate=events / years, ci_low=low, ci_high=high)
    out["method"] = method
    return pd.DataFrame(out)


def _negbin_log_rates(y, t, codes, k):
    """Log rate and its se per group from one NB2 fit of ``y ~ group`` (log(t) offset), and the dispersion.

    The fit uses the reference parametrisation (intercept = group 0); the log
    rate of group j is ``b0 + bj`` with variance ``V00 + Vjj + 2 V0j``.  Groups
    without events get ``-inf`` and ``se = inf``; when group 0 has none, the
    engine fits the other groups' columns as their own intercepts.
    """
    X = np.column_stack([np.ones(len(y))] + [(codes == j).astype(float) for j in range(1, k)])
    arm_cols = list(range(1, k))
    fit = fit_rates(y[None, :], t[None, :], X, model="negbin", arm_cols=arm_cols, loglik=False)
    beta, cov, frozen = fit.beta[0], fit.cov[0], fit.frozen[0]
    log_rate = np.full(k, -np.inf)
    se = np.full(k, np.inf)
    ref_empty = bool(fit.ref_empty[0])
    if not ref_empty:
        log_rate[0], se[0] = beta[0], math.sqrt(cov[0, 0])
    for j in arm_cols:
        if frozen[j]:
            continue
        if ref_empty:
            log_rate[j], se[j] = beta[j], math.sqrt(cov[j, j])
        else:
            log_rate[j] = beta[0] + beta[j]
            se[j] = math.sqrt(cov[0, 0] + cov[j, j] + 2.0 * cov[0, j])
    return log_rate, se, float(fit.alpha[0])


# ---------------------------------------------------------------------------
# Rate-ratio regression


def _wald(beta, se, model, df, cl, alternative="two-sided"):
    """Wald statistic, p-value and rate-ratio interval (t with `df` for quasi-Poisson, normal otherwise).

    Vectorised over trials.  Where ``se`` is not finite (an arm without events)
    the test is undefined: statistic NaN, p-value 1, interval ``(0, inf)``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    df = df if model == "quasipoisson" else np.inf  # quasi-Poisson: t test on the residual df, as R
    p = _inf.pvalue_from_z(stat, alternative, df=df)
    low, high = _inf.wald_interval(beta, se, cl, alternative, df=df, back=np.exp)
    undefined = ~np.isfinite(se)
    p = np.where(undefined, 1.0, p)
    stat = np.where(undefined, np.nan, stat)
    low = np.where(undefined, 0.0, low)
    high = np.where(undefined, np.inf, high)
    return stat, p, low, high


def _arm_effects(fit, j):
    """log rate ratio and se of column j, with zero-event arms at -inf/+inf and se = inf."""
    beta = fit.beta[:, j].copy()
    se = np.sqrt(fit.cov[:, j, j])
    arm_empty = fit.frozen[:, j]
    ref_empty = fit.ref_empty
    beta = np.where(arm_empty & ~ref_empty, -np.inf, beta)
    beta = np.where(ref_empty & ~arm_empty, np.inf, beta)
    beta = np.where(ref_empty & arm_empty, np.nan, beta)
    se = np.where(arm_empty | ref_empty, np.inf, se)
    return beta, se


def compare_rates(
    patients: pd.DataFrame,
    *,
    model: str = "negbin",
    reference: str | None = None,
    count: str = C.N_FLARES,
    exposure: str = C.FOLLOWUP_YEARS,
    group: str = C.ARM,
    covariates: str | Sequence[str] | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Rate ratio of every arm against a reference, by a count regression with ``log(exposure)`` offset.

    Parameters
    ----------
    patients : DataFrame
        Patients table (one row per patient).
    model : {"negbin", "poisson", "quasipoisson", "robust"}
        ``"negbin"``: NB2 maximum likelihood with the dispersion estimated; Wald
        tests with the standard errors R ``MASS::glm.nb`` reports (the IRLS
        covariance at the ML theta).  ``"poisson"``: Poisson GLM (ignores
        over-dispersion: anti-conservative on lupus data).  ``"quasipoisson"``:
        Poisson estimates, standard errors scaled by the Pearson dispersion, t
        tests on ``n - p`` df, as R ``glm(family=quasipoisson)``.  ``"robust"``:
        Poisson estimates with sandwich (HC0) standard errors, as R
        ``sandwich::vcovHC(type="HC0")``.
    reference : str, optional
        Reference arm; default the first category of `group` (for a
        non-categorical column, the first in sorted order).
    count, exposure, group : str
        Column names (``count="n_severe_flares"`` for severe flares).
    covariates : str or list of str, optional
        Adjustment covariates, e.g. ``"baseline_sledai"``; non-numeric columns
        enter as dummy variables.
    confidence_level : float, default 0.95

    Returns
    -------
    DataFrame
        One row per non-reference arm: `group` (the arm, in a column named
        after `group`: ``arm`` by default), ``reference, rate_ratio, ci_low,
        ci_high, pvalue, log_rate_ratio, se, statistic, dispersion, scale, model,
        confidence_level, converged, note``.  ``dispersion`` is the NB2 alpha
        (0 for Poisson; NaN where not estimated), ``scale`` the quasi-Poisson
        scale (1 otherwise).

    Notes
    -----
    *No over-dispersion.*  When the score of the dispersion at 0 is <= 0 the
    NB likelihood is maximal on the boundary: ``dispersion = 0``, the fit equals
    the Poisson fit, and ``note`` says so (R's ``glm.nb`` instead drifts towards
    ``theta = inf`` with warnings).
    *Arms with no events.*  The rate ratio is 0 (``log_rate_ratio = -inf``;
    ``+inf`` when the reference has none), the Wald test is undefined:
    ``se = inf``, ``pvalue = 1``, interval ``(0, inf)``, and ``note`` points to
    the exact :func:`rate_ratio_test`.  Those patients do not affect the other
    estimates (their fitted rate is 0 at the maximum).

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> res = ls.compare_rates(cohort.patients)
    >>> list(res["arm"])
    ['IV cyclophosphamide', 'MSC + standard care']
    >>> list(res.columns[:6])
    ['arm', 'reference', 'rate_ratio', 'ci_low', 'ci_high', 'pvalue']
    """
    import pandas as pd

    model = _v.check_choice("model", model, RATE_MODELS)
    cl = _v.check_confidence_level(confidence_level)
    _v.check_output_name("group", group, _COMPARISON_COLUMNS)
    y, t, X, levels, ref, others = _design(patients, count, exposure, group, covariates, reference)
    arm_cols = list(range(1, 1 + len(others)))
    fit = fit_rates(y[None, :], t[None, :], X, model=model, arm_cols=arm_cols)
    rows = []
    for j, lvl in zip(arm_cols, others, strict=True):
        beta, se = _arm_effects(fit, j)
        stat, p, low, high = _wald(beta, se, model, fit.df_resid, cl)
        notes = []
        if model == "negbin" and fit.boundary[0]:
            notes.append("no over-dispersion: dispersion at the Poisson boundary (0), the NB fit is the Poisson fit")
        if fit.frozen[0, j] and not fit.ref_empty[0]:
            notes.append(
                f"no events in arm {levels[lvl]!r}: rate ratio 0, Wald test undefined (p set to 1); "
                "use rate_ratio_test(method='exact')"
            )
        if fit.ref_empty[0]:
            notes.append(f"no events in the reference arm {levels[ref]!r}: Wald test undefined (p set to 1)")
        if not fit.converged[0]:
            notes.append("the fit did not converge")
        rows.append(
            {
                group: levels[lvl],
                "reference": levels[ref],
                "rate_ratio": float(np.exp(beta[0])),
                "ci_low": float(low[0]),
                "ci_high": float(high[0]),
                "pvalue": float(p[0]),
                "log_rate_ratio": float(beta[0]),
                "se": float(se[0]),
                "statistic": float(stat[0]),
                "dispersion": float(fit.alpha[0]) if model in ("negbin", "poisson") else math.nan,
                "scale": float(fit.scale[0]),
                "model": model,
                "confidence_level": cl,
                "converged": bool(fit.converged[0]),
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


@_v.renamed_keyword(old="followup_years", new="exposure")
def compare_rates_batch(
    n_flares: npt.ArrayLike,
    exposure: npt.ArrayLike,
    treated: npt.ArrayLike,
    *,
    model: str = "negbin",
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> BatchResult:
    """Treated-versus-reference rate ratio for many trials at once (the engine for power analysis).

    Fits the same two-group model as :func:`compare_rates` (log(exposure)
    offset, reference = not treated) to every trial, vectorised over trials: no
    Python loop over trials or patients.  The NB2 fit runs a safeguarded Newton
    iteration on the profile likelihood of the dispersion for all trials
    together, with the digamma differences of the dispersion score computed from
    a count-of-counts table.  Results equal :func:`compare_rates` per trial.

    Parameters
    ----------
    n_flares : array_like of int, shape (n_trials, n_patients)
        Event counts (e.g. ``batch.n_flares`` or ``batch.n_severe_flares``).
    exposure : array_like, shape (n_trials, n_patients)
        Follow-up time of each patient (> 0), e.g. ``batch.followup_years``.
    treated : array_like of bool, shape (n_patients,) or (n_trials, n_patients)
        True for the treated arm; every trial needs both groups.
    model : {"negbin", "poisson", "quasipoisson", "robust"}
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the treated rate is lower (rate ratio < 1); the interval is
        then one-sided, ``(0, upper)``.  Quasi-Poisson uses the t distribution
        with the residual degrees of freedom, the others the normal.
    confidence_level : float, default 0.95

    Returns
    -------
    BatchResult
        ``estimate`` = rate ratio, ``se`` of the log rate ratio (``scale="log"``),
        ``ci_low, ci_high, statistic, pvalue``, one per trial, and the extra
        arrays ``log_rate_ratio``, ``dispersion`` (NB2 alpha: 0 on the Poisson
        boundary and for ``model="poisson"``, NaN for quasi-Poisson and robust),
        ``scale_parameter`` (quasi-Poisson scale, 1 otherwise), ``boundary``,
        ``zero_events``, ``converged`` and ``log_rate_reference`` (fitted log
        rate of the reference arm).  Trials with an arm without events get
        ``se = inf``, ``pvalue = 1`` and the interval ``(0, inf)``
        (``zero_events = True``; ``log_rate_ratio`` is ``-inf`` / ``+inf`` / NaN
        when the treated arm / the reference arm / both have none).

    Examples
    --------
    >>> import lupusstats as ls
    >>> batch = ls.simulate_trials(ls.preset("nephritis_induction"), 200, rng=3)
    >>> keep = batch.in_arm("standard care") | batch.in_arm("MSC + standard care")
    >>> res = ls.compare_rates_batch(batch.n_flares[:, keep], batch.followup_years[:, keep],
    ...                              batch.in_arm("MSC + standard care")[keep])
    >>> res.pvalue.shape
    (200,)
    >>> bool(res.converged.all())
    True
    >>> res.measure, res.alternative
    ('rate_ratio', 'two-sided')
    """
    model = _v.check_choice("model", model, RATE_MODELS)
    alternative = _v.check_alternative(alternative)
    cl = _v.check_confidence_level(confidence_level)
    y = _v.as_count_array("n_flares", n_flares, ndim=2)
    _v.check_count_limit("n_flares", y)
    t = _v.as_positive_array("exposure", exposure, ndim=2)
    _v.check_same_shape(n_flares=y, exposure=t)
    T, n = y.shape
    tr = _v.check_treated(treated, T, n)
    if tr.ndim == 1:
        X = np.column_stack([np.ones(n), tr.astype(float)])
    else:
        X = np.stack([np.ones((T, n)), tr.astype(float)], axis=-1)
    fit = fit_rates(y, t, X, model=model, arm_cols=[1], loglik=False, keep_mu=False)
    beta, se = _arm_effects(fit, 1)
    stat, p, low, high = _wald(beta, se, model, fit.df_resid, cl, alternative)
    with np.errstate(over="ignore"):
        rr = np.exp(beta)
    disp = fit.alpha if model in ("negbin", "poisson") else np.full(T, np.nan)
    return BatchResult(
        estimate=rr,
        se=se,
        ci_low=low,
        ci_high=high,
        statistic=stat,
        pvalue=p,
        measure="rate_ratio",
        method=_MODEL_LABEL[model] + ", vectorised over trials",
        alternative=alternative,
        confidence_level=cl,
        scale="log",
        extra={
            "log_rate_ratio": beta,
            "dispersion": disp,
            "scale_parameter": fit.scale,
            "boundary": fit.boundary,
            "zero_events": fit.frozen[:, 1] | fit.ref_empty,
            "converged": fit.converged,
            "log_rate_reference": np.where(fit.ref_empty, -np.inf, fit.beta[:, 0]),
        },
    )
