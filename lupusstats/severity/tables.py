"""Descriptive severity tables behind :mod:`lupusstats.severity` (private).

This module holds the per-arm descriptive tables of flare severity and organ
involvement (``severity_counts``, ``severity_table``, ``organ_table``,
``patient_severity``), the SLEDAI-increase summaries (``sledai_summary``,
``sledai_ecdf``) and the argument and table helpers they share with the tests
and arm comparisons (ordinal codes, group levels, one-trial checks, per-patient
count rows).  It sits below ``twosample`` and ``compare``: it imports only
``severity.ordinal``, ``_core.validation``, ``_core.inference`` and ``cohort.columns``.  The public names are
re-exported
by :mod:`lupusstats.severity`; import them from there.
"""

from __future__ import annotations

import typing
import warnings
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.severity import ordinal as _o

if TYPE_CHECKING:
    import pandas as pd

NO_FLARE = "none"


# =========================================================================== validation helpers
def _show(x):
    return _v._show(x)


def _ordered_codes(name: str, values, levels=None, *, missing: str = "raise"):
    """Integer codes 0..K-1 of an ordinal variable and its level names.

    ``values`` must be an *ordered* pandas Categorical unless ``levels`` (in
    increasing severity) is given.  NaN is an error unless ``missing="drop"``;
    then the returned mask marks the kept rows and a warning counts the drops.
    """
    import pandas as pd

    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if levels is not None:
        if isinstance(levels, str) or not hasattr(levels, "__iter__"):
            raise TypeError(f"`levels` must be a list of labels in increasing severity, got {_show(levels)}.")
        levels = list(levels)
        _v.check_unique_names("levels", [str(x) for x in levels])
        if len(levels) < 2:
            raise ValueError(f"`levels` must list at least two labels, got {levels!r}.")
        raw = s.astype(object)
        known = raw.isin(levels) | raw.isna()
        if not known.all():
            bad = sorted({str(v) for v in raw[~known].unique()})
            raise ValueError(f"`{name}` has unknown label(s) {bad}; allowed (from `levels`): {levels}.")
        cat = pd.Categorical(raw, categories=levels, ordered=True)
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # numbers (e.g. SLEDAI increase) are ordinal by value
        vals = s.to_numpy(dtype=float)
        ok = ~np.isnan(vals)
        if np.isinf(vals[ok]).any():
            raise ValueError(f"`{name}` has infinite value(s).")
        uniq = np.unique(vals[ok])
        cat = pd.Categorical(np.where(ok, vals, np.nan), categories=uniq, ordered=True)
        levels = [float(u) if u != int(u) else int(u) for u in uniq]
    else:
        if not isinstance(s.dtype, pd.CategoricalDtype):
            raise ValueError(
                f"`{name}` must be an ordered pandas Categorical (e.g. mild < moderate < severe), got dtype "
                f"{s.dtype}; pass `levels=` in increasing severity, e.g. levels=ls.columns.SEVERITY_LEVELS."
            )
        if not s.cat.ordered:
            raise ValueError(
                f"`{name}` is an unordered categorical with categories {list(s.cat.categories)}; severity is "
                "ordinal: make it ordered or pass `levels=` in increasing severity."
            )
        cat = typing.cast("pd.Categorical", s.array)  # the stubs type .array as any ExtensionArray
        levels = list(s.cat.categories)
    codes = np.asarray(cat.codes, dtype=np.int64)
    keep = codes >= 0
    if not keep.all():
        n_bad = int((~keep).sum())
        if missing == "raise":
            raise ValueError(
                f"`{name}` has {n_bad} missing (NaN) value(s); fix them or pass missing='drop' "
                "(dropped rows are counted in a warning)."
            )
        warnings.warn(f"dropped {n_bad} row(s) with missing `{name}`.", UserWarning, stacklevel=3)
    return codes, [x if isinstance(x, (int, float)) else str(x) for x in levels], keep


def _group_levels(name: str, values):
    """Group labels and their order (Categorical order; else sorted unique values)."""
    import pandas as pd

    s = pd.Series(values)
    if s.isna().any():
        raise ValueError(f"`{name}` has {int(s.isna().sum())} missing value(s); every row needs a group.")
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [str(c) for c in s.cat.categories]
    return [str(c) for c in sorted(s.unique(), key=str)]


def _check_single_trial(frame, frame_name: str):
    if C.TRIAL in frame.columns and frame[C.TRIAL].nunique() > 1:
        raise ValueError(
            f"`{frame_name}` holds {frame[C.TRIAL].nunique()} trials (column '{C.TRIAL}'); analyse one trial at "
            f"a time, e.g. {frame_name}[{frame_name}.{C.TRIAL} == 0]."
        )


def _check_missing(missing):
    return _v.check_choice("missing", missing, ("raise", "drop"))


def _prepare_flares(flares, *, group, severity, patient=None, levels=None, missing="raise"):
    cols = [group, severity] + ([patient] if patient is not None else [])
    _v.check_columns("flares", flares, cols)
    _check_single_trial(flares, "flares")
    codes, lev, keep = _ordered_codes(
        f"flares['{severity}']", flares[severity], levels, missing=_check_missing(missing)
    )
    groups = _group_levels(f"flares['{group}']", flares[group])
    g = flares[group].astype(str).to_numpy()
    pid = flares[patient].to_numpy() if patient is not None else None
    if pid is not None and flares[patient].isna().any():
        raise ValueError(f"`flares['{patient}']` has missing patient ids.")
    return {
        "codes": codes[keep],
        "levels": lev,
        "groups": groups,
        "group": g[keep],
        "patient": None if pid is None else pid[keep],
        "keep": keep,
    }


def _cluster_counts(codes, pid, K):
    """Rows of per-patient counts by level (patients in order of first appearance)."""
    uniq, inv = np.unique(pid, return_inverse=True)
    out = np.zeros((uniq.size, K))
    np.add.at(out, (inv, codes), 1)
    return out


# =========================================================================== tables
def severity_counts(
    flares: pd.DataFrame,
    *,
    group: str = C.ARM,
    severity: str = C.SEVERITY,
    levels: Sequence[Hashable] | None = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """Cross-table of counts: one row per group, one column per severity level.

    Groups with no flares (declared categories of a Categorical group column)
    appear with zero counts.  The result feeds :func:`contingency_test` and
    :func:`cochran_armitage`.

    Parameters
    ----------
    flares : DataFrame
        Flares table (or any table with a group and an ordinal column, e.g. the
        output of :func:`patient_severity` with ``severity="worst_severity"``).
    group, severity : str
        Column names.
    levels : sequence of str, optional
        Severity labels in increasing order, needed when the column is not an
        ordered Categorical.
    missing : {"raise", "drop"}
        What to do with missing severities.

    Returns
    -------
    DataFrame of int

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> f = pd.DataFrame({"arm": ["a", "a", "b"], "severity": ["mild", "severe", "mild"]})
    >>> ls.severity_counts(f, levels=["mild", "moderate", "severe"]).to_numpy().tolist()
    [[1, 0, 1], [1, 0, 0]]
    """
    import pandas as pd

    d = _prepare_flares(flares, group=group, severity=severity, levels=levels, missing=missing)
    K = len(d["levels"])
    gi = np.array([d["groups"].index(x) for x in d["group"]], dtype=np.int64) if d["group"].size else np.zeros(0, int)
    table = np.zeros((len(d["groups"]), K), dtype=np.int64)
    np.add.at(table, (gi, d["codes"]), 1)
    return pd.DataFrame(table, index=pd.Index(d["groups"], name=group), columns=pd.Index(d["levels"], name=severity))


def severity_table(
    flares: pd.DataFrame,
    *,
    group: str = C.ARM,
    severity: str = C.SEVERITY,
    patient: str | None = C.PATIENT,
    levels: Sequence[Hashable] | None = None,
    method: str = "wilson",
    confidence_level: float = 0.95,
    missing: str = "raise",
) -> pd.DataFrame:
    """Counts and shares of each severity level per group, with confidence intervals.

    One row per group and level: ``n`` flares at that level, ``total`` flares in
    the group, ``proportion``, its interval (``ci_low``, ``ci_high``), and the
    cumulative share ``P(severity <= level)`` with its interval (``cum_*``),
    which the stacked-bar plot draws at the bar boundaries.

    Intervals.  ``method="wilson"``: the Wilson score interval for each share
    on its own (marginal 95%).  ``method="goodman"``: Goodman's (1965)
    simultaneous intervals, which hold jointly for all levels of a group.
    Flares of one patient are correlated, so when `patient` names a column
    (the default) the binomial size is replaced by the effective size
    ``total / deff``, with ``deff`` (at least 1) the ratio of the cluster-robust
    variance of the share (flares clustered by patient) to the binomial
    variance; ``patient=None`` treats flares as independent.  A group with no
    flares gets ``total = 0`` and NaN shares and intervals.

    Parameters
    ----------
    flares : DataFrame
    group, severity, patient : str
        Column names (``patient=None``: flares independent).
    levels : sequence of str, optional
        Severity labels in increasing order when the column is not an ordered Categorical.
    method : {"wilson", "goodman"}
    confidence_level : float
    missing : {"raise", "drop"}

    Returns
    -------
    DataFrame
        Columns ``group, severity, n, total, proportion, ci_low, ci_high,
        cum_proportion, cum_ci_low, cum_ci_high, design_effect, method``.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> f = pd.DataFrame({"arm": ["a"] * 4, "patient": [1, 1, 2, 3],
    ...                   "severity": ["mild", "mild", "severe", "mild"]})
    >>> t = ls.severity_table(f, levels=["mild", "moderate", "severe"], patient=None)
    >>> t[["severity", "n", "proportion"]].to_numpy().tolist()
    [['mild', 3, 0.75], ['moderate', 0, 0.0], ['severe', 1, 0.25]]
    """
    import pandas as pd

    method = _v.check_choice("method", method, ("wilson", "goodman"))
    confidence_level = _v.check_confidence_level(confidence_level)
    d = _prepare_flares(flares, group=group, severity=severity, patient=patient, levels=levels, missing=missing)
    K = len(d["levels"])
    rows = []
    for g in d["groups"]:
        m = d["group"] == g
        codes = d["codes"][m]
        counts = np.bincount(codes, minlength=K).astype(float)
        total = counts.sum()
        cum = np.cumsum(counts)
        if d["patient"] is not None and total > 0:
            Y = _cluster_counts(codes, d["patient"][m], K)
            deff = np.maximum(_o.ratio_design_effect(Y, Y.sum(axis=1)), 1.0)
            deff_cum = np.maximum(_o.ratio_design_effect(np.cumsum(Y, axis=1), Y.sum(axis=1)), 1.0)
            # one design effect per group: the largest over levels (conservative, keeps the levels comparable)
            deff_g = float(np.max(np.concatenate([deff, deff_cum[:-1]]))) if K > 1 else float(deff.max())
        else:
            deff_g = 1.0
        n_eff = total / deff_g if total > 0 else np.nan
        p_eff = counts / total if total > 0 else np.full(K, np.nan)
        x_eff = p_eff * n_eff
        if method == "wilson":
            lo, hi = _inf.wilson_interval(x_eff, n_eff, confidence_level)
        else:
            lo, hi = _o.goodman_interval(x_eff, n_eff, confidence_level)
        clo, chi = _inf.wilson_interval(
            cum / total * n_eff if total > 0 else np.full(K, np.nan), n_eff, confidence_level
        )
        for k, level in enumerate(d["levels"]):
            rows.append(
                {
                    "group": g,
                    "severity": level,
                    "n": int(counts[k]),
                    "total": int(total),
                    "proportion": p_eff[k],
                    "ci_low": lo[k],
                    "ci_high": hi[k],
                    "cum_proportion": cum[k] / total if total > 0 else np.nan,
                    "cum_ci_low": clo[k],
                    "cum_ci_high": chi[k],
                    "design_effect": deff_g if total > 0 else np.nan,
                    "method": method
                    + (" (effective n, flares clustered by patient)" if d["patient"] is not None else ""),
                }
            )
    out = pd.DataFrame(rows).rename(columns={"group": group, "severity": severity})
    out[group] = pd.Categorical(out[group], categories=d["groups"])
    out[severity] = pd.Categorical(out[severity], categories=d["levels"], ordered=True)
    return out


def organ_table(
    flares: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    group: str = C.ARM,
    organ: str = C.ORGAN,
    patient: str = C.PATIENT,
    domains: Sequence[str] | None = None,
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Organ involvement per group: share of flares and share of patients with a flare in each domain.

    ``flare_share`` is the share of the group's flares in the domain (a flare
    has one domain).  ``patient_share`` is the share of the group's patients
    with at least one flare in the domain; its denominator is the number of
    patients in `patients` (every randomised patient, flaring or not) or, when
    `patients` is None, the number of patients with at least one flare (then
    the share is conditional on flaring; ``patient_denominator`` says which).
    Intervals are Wilson score intervals; the flare-share interval uses the
    effective size of :func:`severity_table` (flares clustered by patient).

    Parameters
    ----------
    flares : DataFrame
    patients : DataFrame, optional
        Patients table (one row per patient, columns `patient` and `group`).
    group, organ, patient : str
        Column names.
    domains : sequence of str, optional
        Domains to report, default the categories of the column (or
        ``lupusstats.columns.ORGAN_DOMAINS`` when it is not categorical).
    confidence_level : float

    Returns
    -------
    DataFrame
        One row per group and domain: ``n_flares, total_flares, flare_share,
        flare_ci_low, flare_ci_high, n_patients, total_patients, patient_share,
        patient_ci_low, patient_ci_high, patient_denominator``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> c = ls.simulate_cohort(ls.preset("nephritis_induction", n_per_arm=40), rng=2)
    >>> t = ls.organ_table(c.flares, c.patients)
    >>> t.shape[0] == 3 * len(ls.columns.ORGAN_DOMAINS)
    True
    >>> bool((t["patient_share"] <= 1).all())
    True
    """
    import pandas as pd

    confidence_level = _v.check_confidence_level(confidence_level)
    _v.check_columns("flares", flares, [group, organ, patient])
    _check_single_trial(flares, "flares")
    if flares[organ].isna().any():
        raise ValueError(f"`flares['{organ}']` has {int(flares[organ].isna().sum())} missing value(s).")
    if domains is None:
        if isinstance(flares[organ].dtype, pd.CategoricalDtype):
            domains = [str(x) for x in flares[organ].cat.categories]
        else:
            domains = list(C.ORGAN_DOMAINS)
    domains = [str(x) for x in domains]
    unknown = sorted(set(flares[organ].astype(str)) - set(domains))
    if unknown:
        raise ValueError(f"`flares['{organ}']` has unknown domain(s) {unknown}; allowed: {domains}.")
    if patients is not None:
        _v.check_columns("patients", patients, [group, patient])
        _check_single_trial(patients, "patients")
        groups = _group_levels(f"patients['{group}']", patients[group])
        stray = sorted(set(flares[patient]) - set(patients[patient]))
        if stray:
            raise ValueError(f"`flares` has patient(s) not in `patients`: {_show(stray[:5])}.")
        denom_label = "all patients"
    else:
        groups = _group_levels(f"flares['{group}']", flares[group])
        denom_label = "patients with >= 1 flare"
    g = flares[group].astype(str).to_numpy()
    org = flares[organ].astype(str).to_numpy()
    pid = flares[patient].to_numpy()
    D = len(domains)
    rows = []
    for grp in groups:
        m = g == grp
        dcode = np.array([domains.index(x) for x in org[m]], dtype=np.int64)
        counts = np.bincount(dcode, minlength=D).astype(float)
        total = counts.sum()
        if patients is not None:
            n_pat = int((patients[group].astype(str) == grp).sum())
        else:
            n_pat = int(np.unique(pid[m]).size)
        if total > 0:
            Y = _cluster_counts(dcode, pid[m], D)
            deff = float(np.max(np.maximum(_o.ratio_design_effect(Y, Y.sum(axis=1)), 1.0)))
            with_domain = (Y > 0).sum(axis=0).astype(float)
        else:
            deff, with_domain = 1.0, np.zeros(D)
        n_eff = total / deff if total > 0 else np.nan
        flo, fhi = _inf.wilson_interval(
            counts / total * n_eff if total > 0 else np.full(D, np.nan), n_eff, confidence_level
        )
        plo, phi = _inf.wilson_interval(with_domain, float(n_pat) if n_pat else np.nan, confidence_level)
        for k, dom in enumerate(domains):
            rows.append(
                {
                    group: grp,
                    organ: dom,
                    "n_flares": int(counts[k]),
                    "total_flares": int(total),
                    "flare_share": counts[k] / total if total > 0 else np.nan,
                    "flare_ci_low": flo[k],
                    "flare_ci_high": fhi[k],
                    "n_patients": int(with_domain[k]),
                    "total_patients": n_pat,
                    "patient_share": with_domain[k] / n_pat if n_pat else np.nan,
                    "patient_ci_low": plo[k],
                    "patient_ci_high": phi[k],
                    "patient_denominator": denom_label,
                }
            )
    out = pd.DataFrame(rows)
    out[group] = pd.Categorical(out[group], categories=groups)
    out[organ] = pd.Categorical(out[organ], categories=domains)
    return out


def patient_severity(
    flares: pd.DataFrame,
    patients: pd.DataFrame | None = None,
    *,
    group: str = C.ARM,
    severity: str = C.SEVERITY,
    patient: str = C.PATIENT,
    sledai: str | None = C.SLEDAI_INCREASE,
    levels: Sequence[Hashable] | None = None,
    missing: str = "raise",
) -> pd.DataFrame:
    """Patient-level severity summaries: worst flare, counts by level, total SLEDAI increase.

    Patients without a flare enter every summary: ``worst_severity`` is
    ``"none"``, the lowest level of the ordered categorical (below the mildest
    flare), the counts are 0 and ``total_sledai_increase`` is 0.  They are
    known only from `patients`; without it the table holds only patients with
    at least one flare, and any comparison of it is conditional on flaring
    (a post-randomisation selection), so pass `patients` for trial analyses.

    Parameters
    ----------
    flares : DataFrame
    patients : DataFrame, optional
        One row per patient with columns `patient` and `group`.
    group, severity, patient, sledai : str
        Column names; `sledai` may be None when the flares table has no SLEDAI column.
    levels : sequence of str, optional
        Severity labels in increasing order when the column is not an ordered Categorical.
    missing : {"raise", "drop"}

    Returns
    -------
    DataFrame
        One row per patient: `patient`, `group`, ``n_flares``, ``n_<level>_flares``
        for each level, ``worst_severity`` (ordered: none < levels...),
        ``total_sledai_increase``.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> f = pd.DataFrame({"patient": [1, 1], "arm": ["a", "a"], "severity": ["mild", "severe"],
    ...                   "sledai_increase": [2, 8]})
    >>> p = pd.DataFrame({"patient": [1, 2], "arm": ["a", "a"]})
    >>> t = ls.patient_severity(f, p, levels=["mild", "moderate", "severe"])
    >>> t["worst_severity"].astype(str).tolist(), t["total_sledai_increase"].tolist()
    (['severe', 'none'], [10, 0])
    """
    import pandas as pd

    d = _prepare_flares(flares, group=group, severity=severity, patient=patient, levels=levels, missing=missing)
    K = len(d["levels"])
    if NO_FLARE in d["levels"]:
        raise ValueError(f"severity levels must not include {NO_FLARE!r} (reserved for patients without a flare).")
    if sledai is not None:
        _v.check_columns("flares", flares, [sledai])
        sl = _v.as_float_array(f"flares['{sledai}']", flares[sledai].to_numpy(), ndim=1)
        sl = sl[d["keep"]]
    if patients is not None:
        _v.check_columns("patients", patients, [patient, group])
        _check_single_trial(patients, "patients")
        ids = patients[patient].to_numpy()
        if pd.Series(ids).duplicated().any():
            raise ValueError(f"`patients['{patient}']` has duplicate ids; one row per patient is required.")
        arm = patients[group]
        groups = _group_levels(f"patients['{group}']", arm)
    else:
        ids, first = np.unique(d["patient"], return_index=True)
        arm = pd.Series(d["group"][first])
        groups = d["groups"]
    index = pd.Index(ids)
    pos = index.get_indexer(d["patient"])
    if (pos < 0).any():
        raise ValueError(f"`flares` has patient(s) not in `patients`: {_show(sorted(set(d['patient'][pos < 0]))[:5])}.")
    counts = np.zeros((ids.size, K), dtype=np.int64)
    np.add.at(counts, (pos, d["codes"]), 1)
    n = counts.sum(axis=1)
    worst = np.where(n > 0, K - np.argmax(counts[:, ::-1] > 0, axis=1), 0)  # 0 = none, k+1 = level k
    out = {patient: ids, group: pd.Categorical(np.asarray(arm).astype(str), categories=groups), "n_flares": n}
    for k, lev in enumerate(d["levels"]):
        out[f"n_{lev}_flares"] = counts[:, k]
    # pandas-stubs require an Index for `categories`; pandas takes any list-like (and makes that Index)
    out["worst_severity"] = pd.Categorical.from_codes(  # type: ignore[call-overload]
        worst, categories=[NO_FLARE, *d["levels"]], ordered=True
    )
    if sledai is not None:
        tot = np.zeros(ids.size)
        np.add.at(tot, pos, sl)
        out["total_sledai_increase"] = tot.astype(np.int64) if np.all(tot == np.round(tot)) else tot
    return pd.DataFrame(out)


# =========================================================================== continuous severity (SLEDAI)
def _sledai_values(flares, group, value):
    _v.check_columns("flares", flares, [group, value])
    _check_single_trial(flares, "flares")
    x = _v.as_float_array(f"flares['{value}']", flares[value].to_numpy(), ndim=1)
    groups = _group_levels(f"flares['{group}']", flares[group])
    g = flares[group].astype(str).to_numpy()
    return x, g, groups


def sledai_summary(
    flares: pd.DataFrame,
    *,
    group: str = C.ARM,
    value: str = C.SLEDAI_INCREASE,
    quantiles: Sequence[float] = (0.1, 0.25, 0.5, 0.75, 0.9),
) -> pd.DataFrame:
    """Distribution of the SLEDAI increase per flare by group: n, mean, SD and quantiles.

    Quantiles are R's default type 7 (``numpy.quantile(method="linear")``).  A
    group with no flares has ``n = 0`` and NaN statistics.  These describe
    flares; to compare arms use :func:`compare_severity` with
    ``severity="sledai_increase"`` (flare level, cluster-robust) or
    ``unit="patient", patient_outcome="total_sledai_increase"``.

    Parameters
    ----------
    flares : DataFrame
    group, value : str
    quantiles : sequence of float in [0, 1]

    Returns
    -------
    DataFrame
        One row per group: ``n, mean, sd, min, q10, q25, ... , max``.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> f = pd.DataFrame({"arm": ["a"] * 5, "sledai_increase": [1, 2, 3, 4, 10]})
    >>> ls.sledai_summary(f, quantiles=[0.5])[["n", "mean", "q50"]].to_numpy().tolist()
    [[5.0, 4.0, 3.0]]
    """
    import pandas as pd

    qs = _v.as_float_array("quantiles", quantiles, ndim=1)
    if ((qs < 0) | (qs > 1)).any():
        raise ValueError(f"`quantiles` must lie in [0, 1], got {_show(list(quantiles))}.")
    x, g, groups = _sledai_values(flares, group, value)
    rows = []
    for grp in groups:
        v = x[g == grp]
        row = {group: grp, "n": int(v.size)}
        if v.size:
            row.update(mean=v.mean(), sd=v.std(ddof=1) if v.size > 1 else np.nan, min=v.min())
            for q, val in zip(qs, np.quantile(v, qs), strict=True):
                row[f"q{100 * q:g}"] = val
            row["max"] = v.max()
        else:
            row.update(mean=np.nan, sd=np.nan, min=np.nan, **{f"q{100 * q:g}": np.nan for q in qs}, max=np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    out[group] = pd.Categorical(out[group], categories=groups)
    return out


def sledai_ecdf(flares: pd.DataFrame, *, group: str = C.ARM, value: str = C.SLEDAI_INCREASE) -> pd.DataFrame:
    """Empirical distribution function of the SLEDAI increase per flare, by group (tidy).

    Parameters
    ----------
    flares : DataFrame
    group, value : str

    Returns
    -------
    DataFrame
        One row per group and distinct value: `group`, `value`, ``ecdf``
        (share of the group's flares at or below the value), ``n``.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> f = pd.DataFrame({"arm": ["a"] * 4, "sledai_increase": [2, 2, 4, 8]})
    >>> ls.sledai_ecdf(f)["ecdf"].tolist()
    [0.5, 0.75, 1.0]
    """
    import pandas as pd

    x, g, groups = _sledai_values(flares, group, value)
    frames = []
    for grp in groups:
        v = np.sort(x[g == grp])
        if v.size == 0:
            continue
        uniq, last = np.unique(v, return_index=False, return_counts=True)
        frames.append(pd.DataFrame({group: grp, value: uniq, "ecdf": np.cumsum(last) / v.size, "n": v.size}))
    if not frames:
        return pd.DataFrame({group: pd.Categorical([], categories=groups), value: [], "ecdf": [], "n": []})
    out = pd.concat(frames, ignore_index=True)
    out[group] = pd.Categorical(out[group], categories=groups)
    return out
