"""Cohort-level severity comparisons: one cohort (ranks or proportional odds) and many trials at once."""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import BatchResult
from lupusstats._core.types import RNGLike
from lupusstats.cohort import columns as C
from lupusstats.severity import ordinal as _o
from lupusstats.severity.tables import _cluster_counts, _group_levels, _prepare_flares, patient_severity
from lupusstats.severity.twosample import _superiority_result

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["compare_severity", "compare_severity_batch", "proportional_odds"]

_UNITS = ("flare", "patient")
_INFERENCE = ("cluster", "bootstrap", "naive")
_PATIENT_OUTCOMES = ("worst_severity", "n_severe_flares", "total_sledai_increase")
_SEVERITY_COLUMNS = (
    "reference",
    "unit",
    "outcome",
    "inference",
    "n_patients",
    "n_patients_reference",
    "n_flares",
    "n_flares_reference",
    "probability_superiority",
    "ci_low",
    "ci_high",
    "cliffs_delta",
    "delta_ci_low",
    "delta_ci_high",
    "se",
    "statistic",
    "df",
    "pvalue",
    "method",
)
_ODDS_COLUMNS = (
    "reference",
    "odds_ratio",
    "ci_low",
    "ci_high",
    "pvalue",
    "log_odds_ratio",
    "se",
    "statistic",
    "n",
    "n_clusters",
    "unit",
    "inference",
    "method",
)


def _resolve_reference(reference, groups):
    if reference is None:
        return groups[0]
    if str(reference) not in groups:
        raise ValueError(f"`reference` must be one of the groups {groups}, got {reference!r}.")
    return str(reference)


# =========================================================================== arm comparisons on tables
def _unit_data(flares, patients, *, unit, patient_outcome, group, severity, patient, sledai, levels, missing):
    """Per-arm cluster count rows for the chosen unit: {arm: (rows (I, K), n_flares)}, levels, groups."""
    if unit == "flare":
        d = _prepare_flares(flares, group=group, severity=severity, patient=patient, levels=levels, missing=missing)
        K = len(d["levels"])
        groups = d["groups"]
        if patients is not None:
            _v.check_columns("patients", patients, [group])
            groups = _group_levels(f"patients['{group}']", patients[group])
        data = {}
        for g in groups:
            m = d["group"] == g
            rows = _cluster_counts(d["codes"][m], d["patient"][m], K) if m.any() else np.zeros((0, K))
            data[g] = (rows, int(m.sum()), int(rows.shape[0]))
        return data, d["levels"], groups
    if patients is None:
        raise ValueError(
            "unit='patient' needs the `patients` table: patients without a flare must count (worst flare 'none'); "
            "without them the comparison is conditional on flaring."
        )
    needs_sledai = patient_outcome == "total_sledai_increase"
    ps = patient_severity(
        flares,
        patients,
        group=group,
        severity=severity,
        patient=patient,
        sledai=sledai if needs_sledai else None,
        levels=levels,
        missing=missing,
    )
    groups = [str(c) for c in ps[group].cat.categories]
    if patient_outcome == "worst_severity":
        codes = ps["worst_severity"].cat.codes.to_numpy()
        lev = [str(c) for c in ps["worst_severity"].cat.categories]
    else:
        col = (
            [c for c in ps.columns if c.startswith("n_") and c.endswith("_flares") and c != "n_flares"][-1]
            if patient_outcome == "n_severe_flares"
            else "total_sledai_increase"
        )
        vals = ps[col].to_numpy(dtype=float)
        lev_arr, codes = np.unique(vals, return_inverse=True)
        lev = lev_arr.tolist()
    K = len(lev)
    g = ps[group].astype(str).to_numpy()
    nfl = ps["n_flares"].to_numpy()
    data = {}
    for grp in groups:
        m = g == grp
        rows = np.zeros((int(m.sum()), K))
        rows[np.arange(rows.shape[0]), codes[m]] = 1
        data[grp] = (rows, int(nfl[m].sum()), int(m.sum()))
    return data, lev, groups


@_v.renamed_keyword(old="n_boot", new="n_resamples")
def compare_severity(
    flares: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    unit: str = "flare",
    inference: str = "cluster",
    patient_outcome: str = "worst_severity",
    reference: str | None = None,
    group: str = C.ARM,
    severity: str = C.SEVERITY,
    patient: str = C.PATIENT,
    sledai: str = C.SLEDAI_INCREASE,
    levels: Sequence[Hashable] | None = None,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: RNGLike = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """Compare flare severity between each arm and the reference: probability of superiority and Cliff's delta.

    **Default: flare level, cluster-robust by patient.**  The question "does a
    treatment shift flares from severe to mild?" is about the severity of a
    flare, so every flare counts (``unit="flare"``); but flares of one patient
    are correlated, and treating them as independent makes the test too
    liberal (notebook 03 shows type I error well above 5% when severity varies
    between patients).  The default ``inference="cluster"`` keeps the
    flare-level estimate and takes its variance from the per-patient sums of
    placements (Obuchowski 1997; a sandwich for the ratio of U-statistics),
    which is deterministic, fast, and holds its level in simulation with
    within-patient correlation.  ``inference="bootstrap"`` resamples patients
    within arm (`n_resamples`, `rng`; percentile interval, p-value from the
    bootstrap standard error); ``inference="naive"`` treats flares as
    independent and is there only to show the problem.

    Caveat of the flare-level estimand: it conditions on flares occurring
    (a post-randomisation event), and patients with many flares weigh more.
    ``unit="patient"`` avoids both, one independent outcome per randomised
    patient, compared by the Brunner-Munzel test: `patient_outcome`
    ``"worst_severity"`` (``none < mild < moderate < severe``; a patient
    without a flare is ``none``), ``"n_severe_flares"`` (count of flares at the
    highest level; 0 without a flare) or ``"total_sledai_increase"`` (0 without
    a flare).  These mix flare frequency with severity, and counts grow with
    follow-up.

    Direction: ``probability_superiority < 0.5`` and ``cliffs_delta < 0`` mean
    milder in the arm than in the reference.

    Parameters
    ----------
    flares : DataFrame
        Flares table of one trial.
    patients : DataFrame, optional
        Patients table; needed for ``unit="patient"``; with ``unit="flare"`` it
        only supplies the list of arms.
    unit : {"flare", "patient"}
    inference : {"cluster", "bootstrap", "naive"}
        For ``unit="flare"``; patients are independent, so it is ignored for ``unit="patient"``.
    patient_outcome : {"worst_severity", "n_severe_flares", "total_sledai_increase"}
    reference : str, optional
        Reference arm, default the first arm (scenario order).
    group, severity, patient, sledai : str
        Column names.  `severity` may also name a numeric column (e.g.
        ``"sledai_increase"``), compared by value.
    levels : sequence of str, optional
        Severity labels in increasing order when the column is not an ordered Categorical.
    alternative : {"two-sided", "less", "greater"}
        "less": milder in the arm.
    confidence_level : float
    n_resamples : int
        Bootstrap replicates (``inference="bootstrap"``).  Formerly ``n_boot``
        (still accepted, with a ``DeprecationWarning``).
    rng : seed or Generator, optional
        For the bootstrap.
    missing : {"raise", "drop"}

    Returns
    -------
    DataFrame
        One row per non-reference arm: `group` (the arm, in a column named
        after `group`: ``arm`` by default), ``reference, unit, outcome,
        inference, n_patients, n_patients_reference, n_flares,
        n_flares_reference, probability_superiority, ci_low, ci_high,
        cliffs_delta, delta_ci_low, delta_ci_high, se, statistic, df, pvalue,
        method`` (``se`` of the probability of superiority).

    Raises
    ------
    ValueError
        For ``unit="flare"`` when an arm (or the reference) has no flares: the
        severity of its flares is undefined; compare ``unit="patient"`` instead.

    Examples
    --------
    >>> import lupusstats as ls
    >>> c = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> res = ls.compare_severity(c.flares)
    >>> res["arm"].tolist()
    ['IV cyclophosphamide', 'MSC + standard care']
    >>> bool(((res["ci_low"] < res["probability_superiority"])
    ...       & (res["probability_superiority"] < res["ci_high"])).all())
    True
    """
    import pandas as pd

    unit = _v.check_choice("unit", unit, _UNITS)
    inference = _v.check_choice("inference", inference, _INFERENCE)
    patient_outcome = _v.check_choice("patient_outcome", patient_outcome, _PATIENT_OUTCOMES)
    alternative = _v.check_alternative(alternative)
    confidence_level = _v.check_confidence_level(confidence_level)
    n_resamples = _v.check_int("n_resamples", n_resamples, minimum=100)
    _v.check_output_name("group", group, _SEVERITY_COLUMNS)
    data, _lev, groups = _unit_data(
        flares,
        patients,
        unit=unit,
        patient_outcome=patient_outcome,
        group=group,
        severity=severity,
        patient=patient,
        sledai=sledai,
        levels=levels,
        missing=missing,
    )
    ref = _resolve_reference(reference, groups)
    if len(groups) < 2:
        raise ValueError(f"need at least two arms to compare, got {groups}.")
    _v.check_rng(rng)
    rng = np.random.default_rng(rng)
    others = [g for g in groups if g != ref]
    streams = rng.spawn(len(others))
    B, nfl_ref, npat_ref = data[ref]
    rows = []
    for g, stream in zip(others, streams, strict=True):
        A, nfl, npat = data[g]
        for name, _rows, n_ in ((g, A, nfl), (ref, B, nfl_ref)):
            if unit == "flare" and n_ == 0:
                raise ValueError(
                    f"arm {name!r} has no flares, so the severity of its flares is undefined; compare patients "
                    "instead (unit='patient' with the patients table: a patient without a flare counts as 'none')."
                )
        if unit == "patient":
            inf_label = "independent patients"
            res = _superiority_result(
                A,
                B,
                clustered=False,
                alternative=alternative,
                confidence_level=confidence_level,
                delta=False,
                label=f"Brunner-Munzel on {patient_outcome} per patient",
            )
            p, lo, hi, se, stat, df, pval, method = (
                res.estimate,
                res.ci_low,
                res.ci_high,
                res.se,
                res.statistic,
                res.df,
                res.pvalue,
                res.method,
            )
        elif inference in ("cluster", "naive"):
            clustered = inference == "cluster"
            inf_label = inference
            res = _superiority_result(
                A,
                B,
                clustered=clustered,
                alternative=alternative,
                confidence_level=confidence_level,
                delta=False,
                label=(
                    "flare level, cluster-robust variance by patient (Obuchowski 1997), normal"
                    if clustered
                    else "flare level, flares treated as independent (Brunner-Munzel): anti-conservative"
                ),
            )
            p, lo, hi, se, stat, df, pval, method = (
                res.estimate,
                res.ci_low,
                res.ci_high,
                res.se,
                res.statistic,
                res.df,
                res.pvalue,
                res.method,
            )
        else:
            inf_label = "bootstrap"
            r = _o.superiority_from_counts(A, B, clustered=True)
            p = float(r["p"])
            reps = _o.bootstrap_superiority(A, B, n_resamples, stream)
            reps = reps[np.isfinite(reps)]
            se = float(np.std(reps, ddof=1))
            stat = (p - 0.5) / se if se > 0 else math.nan
            df = math.inf
            pval = _inf.pvalue_from_z(stat, alternative) if se > 0 else math.nan
            lvl = _inf.two_sided_level(confidence_level, alternative)
            qlo, qhi = np.quantile(reps, [0.5 - lvl / 2, 0.5 + lvl / 2])
            lo, hi = _inf.one_sided(float(qlo), float(qhi), alternative, 0.0, 1.0)
            method = f"flare level, cluster bootstrap by patient ({n_resamples} replicates, percentile interval)"
        rows.append(
            {
                group: g,
                "reference": ref,
                "unit": unit,
                "outcome": patient_outcome if unit == "patient" else f"{severity} per flare",
                "inference": inf_label,
                "n_patients": npat,
                "n_patients_reference": npat_ref,
                "n_flares": nfl,
                "n_flares_reference": nfl_ref,
                "probability_superiority": p,
                "ci_low": lo,
                "ci_high": hi,
                "cliffs_delta": 2 * p - 1,
                "delta_ci_low": 2 * lo - 1,
                "delta_ci_high": 2 * hi - 1,
                "se": se,
                "statistic": stat,
                "df": df,
                "pvalue": pval,
                "method": method,
            }
        )
    return pd.DataFrame(rows)


def compare_severity_batch(
    counts: npt.ArrayLike,
    treated: npt.ArrayLike,
    *,
    unit: str = "flare",
    inference: str = "cluster",
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> BatchResult:
    """Probability of superiority for many simulated trials at once, from per-patient counts by severity.

    The vectorised twin of :func:`compare_severity` for calibration and power:
    no loop over trials or patients.  With ``unit="flare"`` the flares of each
    patient are the cluster (``inference="cluster"``, Obuchowski variance,
    normal reference) or are treated as independent (``"naive"``,
    Brunner-Munzel with Satterthwaite t); with ``unit="patient"`` each
    patient's worst flare (``none`` below the mildest level) is compared by
    Brunner-Munzel.  A trial in which an arm has no flares gets NaN.

    Parameters
    ----------
    counts : array (n_trials, n_patients, K) of int
        Flares per patient and severity level (increasing), restricted to the
        patients of the two arms compared.  From ``ls.simulate_trials``:
        ``batch.n_flares_by_severity`` (mild / moderate / severe), with
        ``[:, keep]`` to keep the patients of two arms.
    treated : array of bool, shape (n_patients,) or (n_trials, n_patients)
        True for the treatment arm, False for the reference; every trial needs both.
    unit : {"flare", "patient"}
    inference : {"cluster", "naive"}
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: treated flares are more severe (probability of
        superiority > 0.5).
    confidence_level : float, default 0.95
        Of the Wald interval for the probability of superiority, clipped to
        [0, 1] (one-sided for a one-sided `alternative`).

    Returns
    -------
    BatchResult
        ``estimate`` = probability of superiority ``P(X > Y) + P(X = Y) / 2``
        (treated X vs reference Y; < 0.5 = treated milder), ``se``,
        ``ci_low, ci_high``, ``statistic`` = ``(estimate - 0.5) / se`` and
        ``pvalue`` (``scale="identity"``), plus the extra array ``df``
        (Satterthwaite degrees of freedom; inf for the clustered normal test).

    Examples
    --------
    >>> import numpy as np, lupusstats as ls
    >>> b = ls.simulate_trials(ls.preset("nephritis_induction", n_per_arm=50), 20, rng=1)
    >>> keep = b.arm < 2
    >>> out = ls.compare_severity_batch(b.n_flares_by_severity[:, keep], b.arm[keep] == 1)
    >>> out.measure, out.estimate.shape
    ('probability_of_superiority', (20,))
    >>> out.to_frame().columns[:6].tolist()
    ['estimate', 'se', 'ci_low', 'ci_high', 'statistic', 'pvalue']

    The share of trials that reject (a type I error here: the preset gives
    cyclophosphamide no severity effect), with its Monte Carlo interval:

    >>> level = out.rejection_rate(0.05)
    >>> level.ci_low <= level.estimate <= level.ci_high
    True
    """
    unit = _v.check_choice("unit", unit, _UNITS)
    inference = _v.check_choice("inference", inference, ("cluster", "naive"))
    alternative = _v.check_alternative(alternative)
    cl = _v.check_confidence_level(confidence_level)
    arr: np.ndarray = _v.as_count_array("counts", counts, ndim=3)
    T, n = arr.shape[:2]
    tr = np.broadcast_to(_v.check_treated(treated, T, n), (T, n))
    if unit == "patient":
        npf = arr.sum(axis=-1)
        K = arr.shape[-1]
        worst = np.where(npf > 0, K - np.argmax(arr[..., ::-1] > 0, axis=-1), 0)
        arr = (worst[..., None] == np.arange(K + 1)).astype(float)
        clustered = False
    else:
        clustered = inference == "cluster"
    # a patient outside an arm contributes an all-zero row: empty clusters do not count
    with np.errstate(invalid="ignore", divide="ignore"):
        r = _o.superiority_from_counts(arr * tr[..., None], arr * ~tr[..., None], clustered=clustered)
        est = r["p"]
        se = np.sqrt(r["var"])
        ok = se > 0
        stat = np.where(ok, (est - 0.5) / se, np.nan)
    df = np.broadcast_to(r["df"], est.shape)
    pval = np.where(ok, _inf.pvalue_from_z(stat, alternative, df=df), np.nan)
    low, high = _inf.wald_interval(est, se, cl, alternative, df=df, clip=(0.0, 1.0))
    low, high = np.where(ok, low, np.nan), np.where(ok, high, np.nan)
    label = (
        "patient level, worst flare per patient, Brunner-Munzel"
        if unit == "patient"
        else "flare level, cluster-robust variance by patient (Obuchowski 1997), normal"
        if clustered
        else "flare level, flares treated as independent (Brunner-Munzel): anti-conservative"
    )
    return BatchResult(
        estimate=est,
        se=se,
        ci_low=low,
        ci_high=high,
        statistic=stat,
        pvalue=pval,
        measure="probability_of_superiority",
        method=label + ", vectorised over trials",
        alternative=alternative,
        confidence_level=cl,
        scale="identity",
        extra={"df": df},
    )


# =========================================================================== proportional odds
def proportional_odds(
    flares: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    unit: str = "flare",
    inference: str = "cluster",
    reference: str | None = None,
    group: str = C.ARM,
    severity: str = C.SEVERITY,
    patient: str = C.PATIENT,
    levels: Sequence[Hashable] | None = None,
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> pd.DataFrame:
    """Proportional-odds (cumulative logit) model of severity: the common odds ratio of each arm vs the reference.

    ``logit P(severity >= level) = theta_level + beta_arm``; the common odds
    ratio ``exp(beta_arm)`` is the odds of a flare at or above *any* severity
    level in the arm relative to the reference, so **OR < 1 = milder** (the
    direction of ``Arm.severity_odds_ratio``).  Fitted by maximum likelihood
    with statsmodels ``OrderedModel`` (logit link; same parametrisation and
    estimates as R ``MASS::polr``), Wald interval and test.

    Inference: for ``unit="flare"`` the default ``inference="cluster"`` uses
    the cluster-robust sandwich covariance with patients as clusters (the
    estimating equations of a GEE with independence working correlation;
    small-sample factor ``G/(G-1) (N-1)/(N-p)``, as R
    ``sandwich::vcovCL(type = "HC1")``), because flares of one patient are
    correlated; ``"naive"`` gives the model-based covariance of ``polr``
    (flares independent, anti-conservative).  ``unit="patient"`` models each
    randomised patient's worst flare (``none < mild < moderate < severe``) with
    the model-based covariance.  Severity levels never observed are dropped
    (their cut-points are not identifiable).

    Parameters
    ----------
    flares, patients : DataFrame
        As :func:`compare_severity` (`patients` needed for ``unit="patient"``).
    unit : {"flare", "patient"}
    inference : {"cluster", "naive"}
    reference : str, optional
    group, severity, patient : str
    levels : sequence of str, optional
    confidence_level : float
    missing : {"raise", "drop"}

    Returns
    -------
    DataFrame
        One row per non-reference arm: `group` (the arm, in a column named
        after `group`: ``arm`` by default), ``reference, odds_ratio, ci_low,
        ci_high, pvalue, log_odds_ratio, se, statistic, n, n_clusters, unit,
        inference, method``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> c = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> res = ls.proportional_odds(c.flares)
    >>> res["arm"].tolist()
    ['IV cyclophosphamide', 'MSC + standard care']
    >>> bool((res["ci_low"] < res["odds_ratio"]).all())
    True
    """
    import pandas as pd

    unit = _v.check_choice("unit", unit, _UNITS)
    inference = _v.check_choice("inference", inference, ("cluster", "naive"))
    confidence_level = _v.check_confidence_level(confidence_level)
    _v.check_output_name("group", group, _ODDS_COLUMNS)
    if unit == "flare":
        d = _prepare_flares(flares, group=group, severity=severity, patient=patient, levels=levels, missing=missing)
        groups = d["groups"]
        if patients is not None:
            _v.check_columns("patients", patients, [group])
            groups = _group_levels(f"patients['{group}']", patients[group])
        y, g, cl = d["codes"], d["group"], d["patient"]
        lev = d["levels"]
    else:
        if patients is None:
            raise ValueError("unit='patient' needs the `patients` table (patients without a flare count as 'none').")
        ps = patient_severity(
            flares,
            patients,
            group=group,
            severity=severity,
            patient=patient,
            sledai=None,
            levels=levels,
            missing=missing,
        )
        groups = [str(c) for c in ps[group].cat.categories]
        y = ps["worst_severity"].cat.codes.to_numpy()
        g = ps[group].astype(str).to_numpy()
        cl = ps[patient].to_numpy()
        lev = [str(c) for c in ps["worst_severity"].cat.categories]
    ref = _resolve_reference(reference, groups)
    if len(groups) < 2:
        raise ValueError(f"need at least two arms to compare, got {groups}.")
    others = [x for x in groups if x != ref]
    for name in [ref, *others]:
        if not (g == name).any():
            raise ValueError(
                f"arm {name!r} has no {'flares' if unit == 'flare' else 'patients'}, so its odds ratio is undefined"
                + ("; compare patients instead (unit='patient' with the patients table)." if unit == "flare" else ".")
            )
    observed = np.unique(y)
    if observed.size < 2:
        raise ValueError(f"all observations are at one severity level ({lev[observed[0]]!r}); nothing to model.")
    yy = np.searchsorted(observed, y)
    X = np.column_stack([(g == o).astype(float) for o in others])
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    model = OrderedModel(yy, X, distr="logit")
    fit_kw = {"method": "bfgs", "disp": 0, "maxiter": 1000}
    robust = unit == "flare" and inference == "cluster"
    if robust:
        _, cl_codes = np.unique(cl, return_inverse=True)
        fit_kw.update(cov_type="cluster", cov_kwds={"groups": cl_codes})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = model.fit(method="bfgs", disp=0, maxiter=1000).params
        fit_kw.update(method="newton", start_params=start, maxiter=100)  # polish: BFGS stops early
        fit = model.fit(**fit_kw)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught) or not fit.mle_retvals.get("converged", True):
        warnings.warn(
            "the proportional-odds fit did not converge (separation? an arm with flares at one level "
            "only?); the odds ratios may be unreliable.",
            RuntimeWarning,
            stacklevel=2,
        )
    beta = np.asarray(fit.params)[: len(others)]
    se = np.asarray(fit.bse)[: len(others)]
    stat = beta / se
    pval = _inf.pvalue_from_z(stat)
    ci_low, ci_high = _inf.wald_interval(beta, se, confidence_level, back=np.exp)
    n_clusters = int(np.unique(cl).size)
    dropped = [lev[i] for i in range(len(lev)) if i not in set(observed.tolist())]
    method = "proportional odds (logit), " + (
        "cluster-robust sandwich by patient"
        if robust
        else (
            "model-based covariance, flares independent"
            if unit == "flare"
            else "model-based covariance, worst flare per patient"
        )
    )
    if dropped:
        method += f"; unobserved level(s) {dropped} dropped"
    return pd.DataFrame(
        {
            group: others,
            "reference": ref,
            "odds_ratio": np.exp(beta),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "pvalue": pval,
            "log_odds_ratio": beta,
            "se": se,
            "statistic": stat,
            "n": int(y.size),
            "n_clusters": n_clusters,
            "unit": unit,
            "inference": inference if unit == "flare" else "independent patients",
            "method": method,
        }
    )
