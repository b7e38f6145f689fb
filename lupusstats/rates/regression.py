"""Rate-ratio regressions with a ``log(exposure)`` offset: per-arm rates, one cohort, many trials at once."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.rates.design import _counts_exposure, _design, _group_codes
from lupusstats.rates.poisson import poisson_rate_ci

__all__ = ["RATE_MODELS", "flare_rates", "compare_rates", "compare_rates_batch", "BatchRateComparison"]

#: Models understood by :func:`compare_rates` and :func:`compare_rates_batch`.
RATE_MODELS = ("negbin", "poisson", "quasipoisson", "robust")
_MODELS = RATE_MODELS  # the name compare_rates_batch uses
_MODEL_LABEL = {
    "negbin": "negative binomial (NB2 ML, Wald, as MASS::glm.nb)",
    "poisson": "Poisson GLM (Wald)",
    "quasipoisson": "quasi-Poisson (Pearson scale, t test)",
    "robust": "Poisson with sandwich (HC0) standard errors",
}


# ---------------------------------------------------------------------------
# Rates per arm


def flare_rates(patients, *, count=C.N_FLARES, exposure=C.FOLLOWUP_YEARS, group=C.ARM, confidence_level=0.95,
                method="exact"):
    """Flare rate per arm: patients, events, patient-years, rate and its CI.

    The rate is total events over total exposure (the pooled Poisson estimate);
    the interval treats the pooled count as Poisson (see :func:`poisson_rate_ci`),
    which is too narrow when counts are over-dispersed -- compare arms with
    :func:`compare_rates`.

    Parameters
    ----------
    patients : DataFrame
        Patients table.
    count, exposure, group : str
        Column names (``count="n_severe_flares"`` for severe flares).
    confidence_level : float, default 0.95
    method : {"exact", "midp", "score", "wald"}

    Returns
    -------
    DataFrame
        One row per arm: ``arm, patients, events, patient_years, rate, ci_low, ci_high``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=50), rng=1)
    >>> list(ls.flare_rates(cohort.patients).columns)
    ['arm', 'patients', 'events', 'patient_years', 'rate', 'ci_low', 'ci_high']
    """
    import pandas as pd

    _v.check_columns("patients", patients, [count, exposure, group])
    y, t = _counts_exposure(patients, count, exposure)
    codes, levels = _group_codes(patients, group)
    k = len(levels)
    events = np.bincount(codes, weights=y, minlength=k).astype(np.int64)
    years = np.bincount(codes, weights=t, minlength=k)
    low, high = poisson_rate_ci(events, years, confidence_level=confidence_level, method=method)
    return pd.DataFrame({"arm": levels, "patients": np.bincount(codes, minlength=k), "events": events,
                         "patient_years": years, "rate": events / years, "ci_low": low, "ci_high": high})


# ---------------------------------------------------------------------------
# Rate-ratio regression


def _wald(beta, se, model, df, cl):
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = beta / se
    df = df if model == "quasipoisson" else np.inf  # quasi-Poisson: t test on the residual df, as R
    p = _inf.pvalue_from_z(stat, df=df)
    low, high = _inf.wald_interval(beta, se, cl, df=df, back=np.exp)
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


def compare_rates(patients, *, model="negbin", reference=None, count=C.N_FLARES, exposure=C.FOLLOWUP_YEARS,
                  group=C.ARM, covariates=None, confidence_level=0.95):
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
        One row per non-reference arm: ``arm, reference, rate_ratio, ci_low,
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

    from lupusstats.rates.negbin import fit_rates

    model = _v.check_choice("model", model, RATE_MODELS)
    cl = _v.check_confidence_level(confidence_level)
    y, t, X, levels, ref, others = _design(patients, count, exposure, group, covariates, reference)
    arm_cols = list(range(1, 1 + len(others)))
    fit = fit_rates(y[None, :], t[None, :], X, model=model, arm_cols=arm_cols)
    rows = []
    for j, lvl in zip(arm_cols, others):
        beta, se = _arm_effects(fit, j)
        stat, p, low, high = _wald(beta, se, model, fit.df_resid, cl)
        notes = []
        if model == "negbin" and fit.boundary[0]:
            notes.append("no over-dispersion: dispersion at the Poisson boundary (0), the NB fit is the Poisson fit")
        if fit.frozen[0, j] and not fit.ref_empty[0]:
            notes.append(f"no events in arm {levels[lvl]!r}: rate ratio 0, Wald test undefined (p set to 1); "
                         "use rate_ratio_test(method='exact')")
        if fit.ref_empty[0]:
            notes.append(f"no events in the reference arm {levels[ref]!r}: Wald test undefined (p set to 1)")
        if not fit.converged[0]:
            notes.append("the fit did not converge")
        rows.append({
            "arm": levels[lvl], "reference": levels[ref], "rate_ratio": float(np.exp(beta[0])),
            "ci_low": float(low[0]), "ci_high": float(high[0]), "pvalue": float(p[0]),
            "log_rate_ratio": float(beta[0]), "se": float(se[0]), "statistic": float(stat[0]),
            "dispersion": float(fit.alpha[0]) if model in ("negbin", "poisson") else math.nan,
            "scale": float(fit.scale[0]), "model": model, "confidence_level": cl,
            "converged": bool(fit.converged[0]), "note": "; ".join(notes),
        })
    return pd.DataFrame(rows)


@dataclasses.dataclass(frozen=True, repr=False)
class BatchRateComparison:
    """Treated-versus-reference rate ratios of many trials (arrays of shape ``(n_trials,)``).

    Attributes
    ----------
    log_rate_ratio, se, statistic, pvalue, rate_ratio, ci_low, ci_high : ndarray
        Wald inference per trial (``se = inf`` and ``pvalue = 1`` where an arm
        has no events; ``log_rate_ratio = -inf`` / ``+inf`` / NaN when the
        treated arm / the reference arm / both have none).
    dispersion : ndarray
        NB2 alpha (0 on the Poisson boundary and for ``model="poisson"``; NaN
        for quasi-Poisson and robust models).
    scale : ndarray
        Quasi-Poisson scale (1 otherwise).
    boundary, zero_events, converged : ndarray of bool
        Dispersion on the Poisson boundary; an arm without events; fit converged.
    log_rate_reference : ndarray
        Fitted log rate of the reference arm (the intercept; ``-inf`` without events).
    model : str
    confidence_level : float
    """

    log_rate_ratio: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    rate_ratio: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    dispersion: np.ndarray
    scale: np.ndarray
    boundary: np.ndarray
    zero_events: np.ndarray
    converged: np.ndarray
    model: str
    confidence_level: float

    log_rate_reference: np.ndarray = dataclasses.field(default=None)

    _ARRAYS = ("log_rate_ratio", "se", "statistic", "pvalue", "rate_ratio", "ci_low", "ci_high", "dispersion",
               "scale", "boundary", "zero_events", "converged", "log_rate_reference")

    def __getitem__(self, key):
        if key not in self._ARRAYS:
            raise KeyError(f"{key!r}; keys are {list(self._ARRAYS)}")
        return getattr(self, key)

    def keys(self):
        """Names of the per-trial arrays (dict-style access: ``res["pvalue"]``)."""
        return list(self._ARRAYS)

    def to_frame(self):
        """One row per trial."""
        import pandas as pd

        frame = pd.DataFrame({k: getattr(self, k) for k in self._ARRAYS})
        frame["model"] = self.model
        return frame

    def __repr__(self):
        n = self.pvalue.size
        return (f"BatchRateComparison(model={self.model!r}, n_trials={n}, boundary={int(self.boundary.sum())}, "
                f"zero_events={int(self.zero_events.sum())}, converged={int(self.converged.sum())}/{n})")


def compare_rates_batch(n_flares, followup_years, treated, *, model="negbin", confidence_level=0.95):
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
    followup_years : array_like, shape (n_trials, n_patients)
        Exposure (> 0).
    treated : array_like of bool, shape (n_patients,) or (n_trials, n_patients)
        True for the treated arm; every trial needs both groups.
    model : {"negbin", "poisson", "quasipoisson", "robust"}
    confidence_level : float, default 0.95

    Returns
    -------
    BatchRateComparison
        Arrays ``log_rate_ratio, se, pvalue, dispersion`` (and more), one per
        trial.  Trials with no over-dispersion sit on the Poisson boundary
        (``dispersion = 0``, ``boundary = True``); trials with an arm without
        events get ``se = inf`` and ``pvalue = 1`` (``zero_events = True``).

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
    """
    from lupusstats.rates.negbin import fit_rates

    model = _v.check_choice("model", model, _MODELS)
    cl = _v.check_confidence_level(confidence_level)
    y = _v.as_count_array("n_flares", n_flares, ndim=2)
    t = _v.as_positive_array("followup_years", followup_years, ndim=2)
    _v.check_same_shape(n_flares=y, followup_years=t)
    tr = np.asarray(treated)
    if tr.dtype != bool:
        if not np.issubdtype(tr.dtype, np.number) or not np.isin(tr, (0, 1)).all():
            raise TypeError(f"`treated` must be a boolean array (True = treated), got dtype {tr.dtype}.")
        tr = tr.astype(bool)
    T, n = y.shape
    if tr.shape not in ((n,), (T, n)):
        raise ValueError(f"`treated` must have shape ({n},) or ({T}, {n}), got {tr.shape}.")
    both = tr.any(axis=-1) & (~tr).any(axis=-1)
    if not np.all(both):
        raise ValueError("every trial needs treated and reference patients; "
                         f"`treated` is all True or all False in {int(np.size(both) - np.sum(both))} trial(s).")
    if tr.ndim == 1:
        X = np.column_stack([np.ones(n), tr.astype(float)])
    else:
        X = np.stack([np.ones((T, n)), tr.astype(float)], axis=-1)
    fit = fit_rates(y, t, X, model=model, arm_cols=[1], loglik=False)
    beta, se = _arm_effects(fit, 1)
    stat, p, low, high = _wald(beta, se, model, fit.df_resid, cl)
    with np.errstate(over="ignore"):
        rr = np.exp(beta)
    disp = fit.alpha if model in ("negbin", "poisson") else np.full(T, np.nan)
    return BatchRateComparison(
        log_rate_ratio=beta, se=se, statistic=stat, pvalue=p, rate_ratio=rr, ci_low=low, ci_high=high,
        dispersion=disp, scale=fit.scale, boundary=fit.boundary, zero_events=fit.frozen[:, 1] | fit.ref_empty,
        converged=fit.converged, model=model, confidence_level=cl,
        log_rate_reference=np.where(fit.ref_empty, -np.inf, fit.beta[:, 0]),
    )
