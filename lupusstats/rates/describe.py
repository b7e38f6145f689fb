"""Describing flare counts: over-dispersion test, observed vs fitted count frequencies, mean cumulative function.

The public names are re-exported by :mod:`lupusstats.rates`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import ResultBase
from lupusstats.cohort import columns as C
from lupusstats.rates.design import _counts_exposure, _covariate_matrix, _design, _group_codes
from lupusstats.rates.negbin import fit_rates

if TYPE_CHECKING:
    import pandas as pd

# ---------------------------------------------------------------------------
# Over-dispersion


@dataclasses.dataclass(frozen=True)
class OverdispersionResult(ResultBase):
    """Test of Poisson (dispersion 0) against NB2 over-dispersion.

    Attributes
    ----------
    statistic : float
        LR statistic ``2 (logL_NB - logL_Poisson)`` or the Cameron--Trivedi z.
    pvalue : float
        One-sided p-value.
    dispersion : float
        Estimated NB2 alpha (ML for ``"lr"``; the auxiliary-regression estimate
        for ``"cameron-trivedi"``); R's theta is its inverse.
    method : str
    alternative : str
        Always ``"greater"`` (over-dispersion only).

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort"), rng=2)
    >>> res = ls.overdispersion_test(cohort.patients)
    >>> round(res.statistic, 2), round(res.dispersion, 2), res.pvalue < 0.001
    (11.62, 0.44, True)
    """

    statistic: float
    pvalue: float
    dispersion: float
    method: str
    alternative: str = "greater"


def overdispersion_test(
    patients: pd.DataFrame,
    *,
    method: str = "lr",
    count: str = C.N_FLARES,
    exposure: str = C.FOLLOWUP_YEARS,
    group: str | None = C.ARM,
    covariates: str | Sequence[str] | None = None,
) -> OverdispersionResult:
    """Test whether flare counts are over-dispersed relative to a Poisson model.

    Parameters
    ----------
    patients : DataFrame
    method : {"lr", "cameron-trivedi"}
        ``"lr"``: likelihood-ratio test of the NB2 against the Poisson model.
        The dispersion 0 is on the boundary, so the null distribution is the
        chi-bar-square ``0.5 chi2_0 + 0.5 chi2_1``: ``p = P(chi2_1 > LR) / 2``,
        as R ``pscl::odTest`` (which reports 0.5 when LR = 0; this function
        reports 1).  ``"cameron-trivedi"``: the regression-based score test of
        ``Var = mu + alpha mu^2`` (Cameron & Trivedi 1990), as R
        ``AER::dispersiontest(fit, trafo = 2)``.
    count, exposure : str
    group : str or None
        Arms as factors in the mean model (None: intercept only).
    covariates : str or list of str, optional

    Returns
    -------
    OverdispersionResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort"), rng=2)
    >>> res = ls.overdispersion_test(cohort.patients)
    >>> res.pvalue < 0.05
    True
    """
    from scipy import stats

    method = _v.check_choice("method", method, ("lr", "cameron-trivedi"))
    y, t, X, arm_cols = _mean_model(patients, count, exposure, group, covariates)
    model = "negbin" if method == "lr" else "poisson"
    fit = fit_rates(y[None], t[None], X, model=model, arm_cols=arm_cols)
    if method == "lr":
        lr = max(0.0, float(2.0 * (fit.loglik[0] - fit.loglik_poisson[0])))
        p = 1.0 if lr == 0.0 else 0.5 * stats.chi2.sf(lr, 1)
        return OverdispersionResult(
            statistic=lr,
            pvalue=float(p),
            dispersion=float(fit.alpha[0]),
            method="likelihood ratio, NB2 vs Poisson (chi-bar-square p)",
        )
    mu = fit.mu_poisson[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        aux = np.where(mu > 0, ((y - mu) ** 2 - y) / mu, 0.0)  # patients of arms without events: mu = 0
    coef = float(np.sum(aux * mu) / np.sum(mu**2))
    resid = aux - coef * mu
    s2 = float(np.sum(resid**2) / (len(y) - 1))
    z = coef / math.sqrt(s2 / np.sum(mu**2))
    return OverdispersionResult(
        statistic=z,
        pvalue=_inf.pvalue_from_z(z, "greater"),
        dispersion=coef,
        method="Cameron-Trivedi regression test (NB2 form)",
    )


def _mean_model(patients, count, exposure, group, covariates):
    if group is None:
        _v.check_columns("patients", patients, [count, exposure])
        y, t = _counts_exposure(patients, count, exposure)
        Z, _ = _covariate_matrix(patients, covariates)
        return y, t, np.column_stack([np.ones(len(y)), Z]), []
    _v.check_columns("patients", patients, [count, exposure, group])
    _, levels = _group_codes(patients, group)
    if len(levels) == 1:
        y, t = _counts_exposure(patients, count, exposure)
        Z, _ = _covariate_matrix(patients, covariates)
        return y, t, np.column_stack([np.ones(len(y)), Z]), []
    y, t, X, _levels, _ref, others = _design(patients, count, exposure, group, covariates, None)
    return y, t, X, list(range(1, 1 + len(others)))


_MAX_TABLE_COUNT = 10_000  # rows of the count_frequencies table; flare counts per patient are far below


def count_frequencies(
    patients: pd.DataFrame,
    *,
    count: str = C.N_FLARES,
    exposure: str = C.FOLLOWUP_YEARS,
    group: str | None = C.ARM,
    covariates: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Observed number of patients with each count against the Poisson and NB2 fits.

    Expected numbers sum each patient's fitted probability of the count (so
    unequal follow-up and arm differences are respected); the NB2 column uses
    the ML dispersion.  A Poisson column far below the observed zeros and large
    counts is the signature of over-dispersion.

    Parameters
    ----------
    patients : DataFrame
        One row per patient (the ``patients`` table of a :class:`Cohort`).
    count, exposure : str
        Columns with each patient's flare count and follow-up in years.
    group : str or None
        Arms as factors in the mean model (None: intercept only).
    covariates : str or list of str, optional
        Further columns in the mean model of both fits.

    Returns
    -------
    DataFrame
        ``count, observed, poisson, negbin`` (numbers of patients), one row per
        count from 0 to the largest observed count.

    Examples
    --------
    More patients without flares than the Poisson fit expects, as the NB2 fit
    predicts:

    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort"), rng=2)
    >>> freq = ls.count_frequencies(cohort.patients)
    >>> freq.head(3).round(1)
       count  observed  poisson  negbin
    0      0        96     87.6    98.9
    1      1        63     68.8    57.1
    2      2        25     31.0    26.3
    >>> int(freq["observed"].sum()) == len(cohort.patients)
    True
    """
    import pandas as pd
    from scipy import stats

    y, t, X, arm_cols = _mean_model(patients, count, exposure, group, covariates)
    if y.size and int(y.max()) > _MAX_TABLE_COUNT:
        raise ValueError(
            f"the largest count in `patients[{count!r}]` is {int(y.max())}: a table of every count from 0 to it "
            f"is too long to show (limit {_MAX_TABLE_COUNT}); check the column holds flare counts."
        )
    fit = fit_rates(y[None], t[None], X, model="negbin", arm_cols=arm_cols)
    k = np.arange(int(y.max()) + 1)
    mu_p, mu, a = fit.mu_poisson[0], fit.mu[0], float(fit.alpha[0])
    pois = stats.poisson.pmf(k[:, None], mu_p[None, :]).sum(axis=1)
    if a > 0:
        size = 1.0 / a
        nb = stats.nbinom.pmf(k[:, None], size, size / (size + mu[None, :])).sum(axis=1)
    else:
        nb = pois
    return pd.DataFrame({"count": k, "observed": np.bincount(y, minlength=k.size), "poisson": pois, "negbin": nb})


# ---------------------------------------------------------------------------
# Mean cumulative function


def mean_cumulative_function(
    patients: pd.DataFrame,
    flares: pd.DataFrame,
    *,
    group: str = C.ARM,
    exposure: str = C.FOLLOWUP_YEARS,
    time: str = C.TIME_YEARS,
    patient: str = C.PATIENT,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Mean cumulative number of flares per patient over time, per arm, with a robust band.

    The Nelson--Aalen-type estimator ``MCF(t) = sum_{s <= t} d(s) / Y(s)``
    (events at ``s`` over patients still in follow-up at ``s``), with the robust
    variance of Lawless & Nadeau (1995), ``sum_i (sum_{s<=t} (dN_i(s) - Y_i(s)
    dMCF(s)) / Y(s))**2``, which needs no Poisson assumption (it equals the
    robust ``std.chaz`` of R ``survfit(Surv(start, stop, event) ~ 1, id = id)``).
    The pointwise interval is log-transformed: ``MCF exp(+- z se / MCF)``.

    Parameters
    ----------
    patients : DataFrame
        Patients table (exposure = follow-up from time 0).
    flares : DataFrame
        Flares table (one row per flare, with the patient id and time).
    group, exposure, time, patient : str
        Column names.  When both tables have a ``trial`` column, patients are
        identified by (trial, patient).
    confidence_level : float, default 0.95

    Returns
    -------
    DataFrame
        Per arm: a row at time 0, one per distinct flare time and one at the
        largest follow-up; columns `group` (the arm, in a column named after
        `group`: ``arm`` by default), ``time, n_at_risk, n_events, mcf, se,
        ci_low, ci_high``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=60), rng=4)
    >>> mcf = ls.mean_cumulative_function(cohort.patients, cohort.flares)
    >>> bool(mcf["mcf"].is_monotonic_increasing)
    True
    """
    import pandas as pd

    cl = _v.check_confidence_level(confidence_level)
    _v.check_columns("patients", patients, [patient, exposure, group])
    _v.check_columns("flares", flares, [patient, time])
    _v.check_output_name("group", group, ("time", "n_at_risk", "n_events", "mcf", "se", "ci_low", "ci_high"))
    keys = [C.TRIAL, patient] if (C.TRIAL in patients.columns and C.TRIAL in flares.columns) else [patient]
    pk = pd.MultiIndex.from_frame(patients[keys])
    if pk.has_duplicates:
        raise ValueError(f"`patients` has duplicate ids in column(s) {keys}.")
    fk = pd.MultiIndex.from_frame(flares[keys])
    idx = pk.get_indexer(fk)
    if (idx < 0).any():
        bad = fk[idx < 0][:5].tolist()
        raise ValueError(f"`flares` has {int((idx < 0).sum())} flare(s) of patients not in `patients`, e.g. {bad}.")
    fu = _v.as_positive_array(
        f"patients[{exposure!r}]", _v.column_as_float(f"patients[{exposure!r}]", patients[exposure]), ndim=1
    )
    ft = _v.as_float_array(f"flares[{time!r}]", _v.column_as_float(f"flares[{time!r}]", flares[time]), ndim=1)
    if (ft < 0).any() or (ft > fu[idx] * (1 + 1e-12)).any():
        raise ValueError(f"flare times must lie in [0, follow-up]; {int(((ft < 0) | (ft > fu[idx])).sum())} do not.")
    codes, levels = _group_codes(patients, group)
    z = _inf.critical_value(cl)
    frames = []
    for g, level in enumerate(levels):
        members = np.flatnonzero(codes == g)
        tau = fu[members]
        local = np.full(len(fu), -1)
        local[members] = np.arange(members.size)
        sel = local[idx] >= 0
        who, when = local[idx[sel]], ft[sel]
        times, inv, d = np.unique(when, return_inverse=True, return_counts=True)
        at_risk = (tau[None, :] >= times[:, None]).sum(axis=1)
        dA = d / at_risk
        mcf = np.cumsum(dA)
        var = np.zeros(times.size)
        chunk = max(1, 2_000_000 // max(times.size, 1))
        for s in range(0, members.size, chunk):
            rows = np.arange(s, min(s + chunk, members.size))
            dN = np.zeros((rows.size, times.size))
            m = (who >= rows[0]) & (who <= rows[-1])
            np.add.at(dN, (who[m] - rows[0], inv[m]), 1.0)
            risk = tau[rows][:, None] >= times[None, :]
            e = np.cumsum((dN - risk * dA[None, :]) / at_risk[None, :], axis=1)
            var += (e**2).sum(axis=0)
        se = np.sqrt(var)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.exp(z * se / mcf)
        t_end = float(tau.max())
        tail_t = [t_end] if times.size == 0 or t_end > times[-1] else []
        last = (mcf[-1], se[-1], mcf[-1] / w[-1], mcf[-1] * w[-1]) if times.size else (0.0, 0.0, 0.0, 0.0)
        frames.append(
            pd.DataFrame(
                {
                    group: level,
                    "time": np.concatenate([[0.0], times, tail_t]),
                    "n_at_risk": np.concatenate([[members.size], at_risk, [(tau >= t_end).sum()] * len(tail_t)]),
                    "n_events": np.concatenate([[0], d, [0] * len(tail_t)]),
                    "mcf": np.concatenate([[0.0], mcf, [last[0]] * len(tail_t)]),
                    "se": np.concatenate([[0.0], se, [last[1]] * len(tail_t)]),
                    "ci_low": np.concatenate([[0.0], mcf / w, [last[2]] * len(tail_t)]),
                    "ci_high": np.concatenate([[0.0], mcf * w, [last[3]] * len(tail_t)]),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out[group] = pd.Categorical(out[group], categories=levels)
    return out
