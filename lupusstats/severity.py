"""Flare severity and organ involvement: tables, ordinal comparisons, Cliff's delta, proportional odds.

Direction convention, everywhere in this module: the first sample ``x`` (or a
non-reference arm) is the *treatment*, the second ``y`` (the reference arm) the
comparator, and higher severity levels are worse.  So

* probability of superiority ``P(X > Y) + 0.5 P(X = Y)`` **< 0.5** means flares
  are milder under treatment;
* Cliff's delta ``P(X > Y) - P(X < Y)`` **< 0** means milder under treatment;
* the proportional-odds common odds ratio (odds of a flare at or above any
  severity level, treatment vs reference) **< 1** means milder under treatment,
  the same direction as ``Arm.severity_odds_ratio`` in the simulator;
* a Cochran-Armitage ``z`` **< 0** means milder under treatment.

The unit of analysis.  Flares of one patient are correlated (patients who flare
often may flare harder, and a patient's disease has its own severity), so a
test that treats flares as independent observations is anti-conservative.
Comparisons offer two correct units:

* ``unit="flare"`` with cluster-aware inference by patient (the default,
  ``inference="cluster"``: the cluster-robust variance of Obuchowski 1997 for
  rank statistics, the cluster-robust sandwich for the proportional-odds model;
  or ``inference="bootstrap"``: patients resampled within arm);
* ``unit="patient"``: one ordinal outcome per patient (worst flare, with
  ``"none"`` below the mildest level for a patient without a flare; number of
  severe flares; total SLEDAI increase), patients being independent.

``inference="naive"`` (flares independent) is offered only to show what goes
wrong; see ``notebooks/03_flare_severity.ipynb``.
"""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np

from . import _ordinal as _o
from . import _validation as _v
from . import columns as C
from ._results import ConfidenceInterval, EstimateResult, ResultBase

__all__ = [
    "SeverityComparison",
    "ContingencyTestResult",
    "severity_table",
    "severity_counts",
    "organ_table",
    "patient_severity",
    "probability_of_superiority",
    "mann_whitney",
    "cliffs_delta",
    "contingency_test",
    "cochran_armitage",
    "compare_severity",
    "compare_severity_batch",
    "proportional_odds",
    "sledai_summary",
    "sledai_ecdf",
]

_UNITS = ("flare", "patient")
_INFERENCE = ("cluster", "bootstrap", "naive")
_PATIENT_OUTCOMES = ("worst_severity", "n_severe_flares", "total_sledai_increase")
NO_FLARE = "none"


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
    """

    df: float = math.inf
    n_x: int = 0
    n_y: int = 0

    def to_frame(self):
        """Return a one-row ``DataFrame`` with the estimate, interval, test and sizes."""
        frame = super().to_frame()
        frame.insert(6, "df", self.df)
        frame["n_x"] = self.n_x
        frame["n_y"] = self.n_y
        return frame


@dataclasses.dataclass(frozen=True)
class ContingencyTestResult(ResultBase):
    """Test of association in a contingency table (no estimate, no interval).

    Attributes
    ----------
    statistic : float
        Chi-square statistic (for Fisher's test: the chi-square statistic of the
        same table, for reference).
    pvalue : float
    df : float
        Degrees of freedom of the chi-square statistic.
    method : str
    n : int
        Total count in the table.
    """

    statistic: float
    pvalue: float
    df: float
    method: str
    n: int


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
        cat = s.array
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
    codes, lev, keep = _ordered_codes(f"flares['{severity}']", flares[severity], levels, missing=_check_missing(missing))
    groups = _group_levels(f"flares['{group}']", flares[group])
    g = flares[group].astype(str).to_numpy()
    pid = flares[patient].to_numpy() if patient is not None else None
    if pid is not None and flares[patient].isna().any():
        raise ValueError(f"`flares['{patient}']` has missing patient ids.")
    return {"codes": codes[keep], "levels": lev, "groups": groups, "group": g[keep],
            "patient": None if pid is None else pid[keep], "keep": keep}


def _cluster_counts(codes, pid, K):
    """Rows of per-patient counts by level (patients in order of first appearance)."""
    uniq, inv = np.unique(pid, return_inverse=True)
    out = np.zeros((uniq.size, K))
    np.add.at(out, (inv, codes), 1)
    return out


def _resolve_reference(reference, groups):
    if reference is None:
        return groups[0]
    if str(reference) not in groups:
        raise ValueError(f"`reference` must be one of the groups {groups}, got {reference!r}.")
    return str(reference)


# =========================================================================== tables
def severity_counts(flares, *, group=C.ARM, severity=C.SEVERITY, levels=None, missing="raise"):
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
    return pd.DataFrame(table, index=pd.Index(d["groups"], name=group),
                        columns=pd.Index(d["levels"], name=severity))


def severity_table(flares, *, group=C.ARM, severity=C.SEVERITY, patient=C.PATIENT, levels=None,
                   method="wilson", confidence_level=0.95, missing="raise"):
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
            lo, hi = _o.wilson_interval(x_eff, n_eff, confidence_level)
        else:
            lo, hi = _o.goodman_interval(x_eff, n_eff, confidence_level)
        clo, chi = _o.wilson_interval(cum / total * n_eff if total > 0 else np.full(K, np.nan), n_eff,
                                      confidence_level)
        for k, level in enumerate(d["levels"]):
            rows.append({
                "group": g, "severity": level, "n": int(counts[k]), "total": int(total),
                "proportion": p_eff[k], "ci_low": lo[k], "ci_high": hi[k],
                "cum_proportion": cum[k] / total if total > 0 else np.nan,
                "cum_ci_low": clo[k], "cum_ci_high": chi[k],
                "design_effect": deff_g if total > 0 else np.nan,
                "method": method + (" (effective n, flares clustered by patient)" if d["patient"] is not None else ""),
            })
    out = pd.DataFrame(rows).rename(columns={"group": group, "severity": severity})
    out[group] = pd.Categorical(out[group], categories=d["groups"])
    out[severity] = pd.Categorical(out[severity], categories=d["levels"], ordered=True)
    return out


def organ_table(flares, patients=None, *, group=C.ARM, organ=C.ORGAN, patient=C.PATIENT, domains=None,
                confidence_level=0.95):
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
        flo, fhi = _o.wilson_interval(counts / total * n_eff if total > 0 else np.full(D, np.nan), n_eff,
                                      confidence_level)
        plo, phi = _o.wilson_interval(with_domain, float(n_pat) if n_pat else np.nan, confidence_level)
        for k, dom in enumerate(domains):
            rows.append({
                group: grp, organ: dom, "n_flares": int(counts[k]), "total_flares": int(total),
                "flare_share": counts[k] / total if total > 0 else np.nan,
                "flare_ci_low": flo[k], "flare_ci_high": fhi[k],
                "n_patients": int(with_domain[k]), "total_patients": n_pat,
                "patient_share": with_domain[k] / n_pat if n_pat else np.nan,
                "patient_ci_low": plo[k], "patient_ci_high": phi[k],
                "patient_denominator": denom_label,
            })
    out = pd.DataFrame(rows)
    out[group] = pd.Categorical(out[group], categories=groups)
    out[organ] = pd.Categorical(out[organ], categories=domains)
    return out


def patient_severity(flares, patients=None, *, group=C.ARM, severity=C.SEVERITY, patient=C.PATIENT,
                     sledai=C.SLEDAI_INCREASE, levels=None, missing="raise"):
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
    out["worst_severity"] = pd.Categorical.from_codes(worst, categories=[NO_FLARE, *d["levels"]], ordered=True)
    if sledai is not None:
        tot = np.zeros(ids.size)
        np.add.at(tot, pos, sl)
        out["total_sledai_increase"] = tot.astype(np.int64) if np.all(tot == np.round(tot)) else tot
    return pd.DataFrame(out)


# =========================================================================== two-sample ordinal comparisons
def _two_sample_counts(x, y, levels):
    """Level totals (K,) of two samples on a common ordinal scale, plus codes."""
    import pandas as pd

    xs, ys = pd.Series(x) if not isinstance(x, pd.Series) else x, pd.Series(y) if not isinstance(y, pd.Series) else y
    if isinstance(xs.dtype, pd.CategoricalDtype) and isinstance(ys.dtype, pd.CategoricalDtype) and levels is None:
        if list(xs.cat.categories) != list(ys.cat.categories) or xs.cat.ordered != ys.cat.ordered:
            raise ValueError(
                "`x` and `y` must share the same ordered categories, got "
                f"{list(xs.cat.categories)} and {list(ys.cat.categories)}."
            )
    both = pd.concat([xs.reset_index(drop=True), ys.reset_index(drop=True)], ignore_index=True)
    if isinstance(xs.dtype, pd.CategoricalDtype) and levels is None:
        both = both.astype(xs.dtype)
    codes, lev, _ = _ordered_codes("x and y", both, levels)
    cx, cy = codes[: len(xs)], codes[len(xs):]
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
            "the test and interval are undefined (NaN).", RuntimeWarning, stacklevel=3)
        stat = pval = math.nan
        ci = (math.nan, math.nan)
    else:
        stat = (p - 0.5) / se
        pval = float(_o.pvalue_from_z(stat, df, alternative))
        ci = _ci_superiority(p, se, df, alternative, confidence_level, scale, shift, lo_b, hi_b)

    def again(level, p=p, se=se, df=df):
        return _ci_superiority(p, se, df, alternative, level, scale, shift, lo_b, hi_b)

    return SeverityComparison(
        estimate=est, ci_low=ci[0], ci_high=ci[1], pvalue=pval, statistic=stat, se=scale * se,
        method=label, confidence_level=confidence_level, alternative=alternative, _ci_func=again,
        df=df, n_x=int(r["m"]), n_y=int(r["n"]),
    )


def _ci_superiority(p, se, df, alternative, level, scale, shift, lo_b, hi_b):
    two = _o.quantile(df, level, "two-sided")
    one = _o.quantile(df, level, "less")
    lo, hi = _o.wald_interval(p, se, two, one, alternative, 0.0, 1.0)
    return scale * lo + shift, scale * hi + shift


def probability_of_superiority(x, y, *, cluster_x=None, cluster_y=None, levels=None, alternative="two-sided",
                               confidence_level=0.95):
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
    label = ("probability of superiority, cluster-robust variance (Obuchowski 1997), normal"
             if clustered else "probability of superiority, Brunner-Munzel t test and interval")
    return _superiority_result(A, B, clustered=clustered, alternative=alternative,
                               confidence_level=confidence_level, delta=False, label=label)


def mann_whitney(x, y, *, levels=None, correction=True, alternative="two-sided", confidence_level=0.95):
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
    W, z, pval = _o.mann_whitney_from_counts(a, b, correction=correction, alternative=alternative)
    r = _o.superiority_from_counts(a[None, :] * 0 + np.eye(K)[cx], np.eye(K)[cy], clustered=False)
    p, se = float(r["p"]), math.sqrt(float(r["var"]))

    def ci(level):
        return _ci_superiority(p, se, math.inf, alternative, level, 1.0, 0.0, 0.0, 1.0)

    low, high = ci(confidence_level) if se > 0 else (math.nan, math.nan)
    return SeverityComparison(
        estimate=p, ci_low=low, ci_high=high, pvalue=float(pval), statistic=float(W), se=se,
        method="Wilcoxon-Mann-Whitney, normal approximation with tie" + (" and continuity" if correction else "")
        + " correction; DeLong interval for W/(n_x n_y)",
        confidence_level=confidence_level, alternative=alternative, _ci_func=ci, df=math.inf,
        n_x=int(cx.size), n_y=int(cy.size),
    )


def cliffs_delta(x, y, *, cluster_x=None, cluster_y=None, levels=None, method="brunner-munzel",
                 alternative="two-sided", confidence_level=0.95):
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
        label = ("Cliff's delta = 2p - 1, " + ("cluster-robust variance (Obuchowski 1997), normal" if clustered
                                               else "Brunner-Munzel t interval"))
        return _superiority_result(A, B, clustered=clustered, alternative=alternative,
                                   confidence_level=confidence_level, delta=True, label=label)
    if cluster_x is not None or cluster_y is not None:
        raise ValueError("method='fisher-z' assumes independent observations; use method='brunner-munzel' "
                         "with clusters.")
    mw = mann_whitney(x, y, levels=levels, alternative=alternative, confidence_level=confidence_level)
    d = 2 * mw.estimate - 1
    n1, n2 = mw.n_x, mw.n_y
    se_z = math.sqrt((n1 + n2 + 1) / (3.0 * n1 * n2))

    def ci(level):
        from scipy import stats

        lev2 = level if alternative == "two-sided" else 2 * level - 1
        z = stats.norm.ppf(0.5 + lev2 / 2)
        rf = math.atanh(max(min(d, 1 - 1e-15), -1 + 1e-15))
        lo, hi = math.tanh(rf - z * se_z), math.tanh(rf + z * se_z)
        if alternative == "less":
            lo = -1.0
        elif alternative == "greater":
            hi = 1.0
        return lo, hi

    low, high = ci(confidence_level)
    return SeverityComparison(
        estimate=d, ci_low=low, ci_high=high, pvalue=mw.pvalue, statistic=mw.statistic, se=math.nan,
        method="Cliff's delta, Fisher-z interval as effectsize::cliffs_delta; Mann-Whitney p-value",
        confidence_level=confidence_level, alternative=alternative, _ci_func=ci, df=math.inf, n_x=n1, n_y=n2,
    )


# =========================================================================== contingency tables
def _count_table(table):
    import pandas as pd

    arr = table.to_numpy() if isinstance(table, pd.DataFrame) else table
    arr = _v.as_count_array("table", arr, ndim=2)
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError(f"`table` must be at least 2 x 2, got shape {arr.shape}.")
    return arr


def contingency_test(table, *, method="fisher", correction=False, n_resamples=10_000, rng=None):
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
      said so in ``method``.

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
    rng : seed or Generator, optional
        For the Monte Carlo p-value only.

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
        return ContingencyTestResult(statistic=float(res.statistic), pvalue=float(res.pvalue), df=float(res.dof),
                                     method="Pearson chi-square" + (" with Yates correction" if correction and arr.shape
                                                                    == (2, 2) else ""), n=n)
    if arr.shape == (2, 2):
        p = float(stats.fisher_exact(arr).pvalue)
        label = "Fisher exact (2 x 2)"
    else:
        work = arr if arr.shape[0] == 2 else (arr.T if arr.shape[1] == 2 else None)
        p = _o.fisher_exact_two_rows(work) if work is not None else None
        label = f"Fisher exact ({arr.shape[0]} x {arr.shape[1]}, full enumeration)"
        if p is None:
            rng = np.random.default_rng(rng)
            dist = stats.random_table(arr.sum(axis=1), arr.sum(axis=0))
            sims = dist.rvs(size=n_resamples, random_state=rng)
            logp = dist.logpmf(sims)
            obs = dist.logpmf(arr)
            p = float((1 + np.sum(logp <= obs + 1e-7 * abs(obs))) / (n_resamples + 1))
            label = f"Fisher exact ({arr.shape[0]} x {arr.shape[1]}), Monte Carlo p-value from {n_resamples} tables"
    return ContingencyTestResult(statistic=math.nan, pvalue=p, df=math.nan, method=label, n=n)


def cochran_armitage(table, *, scores=None, alternative="two-sided"):
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
    pval = float(_o.pvalue_from_z(z, math.inf, alternative))
    return ContingencyTestResult(statistic=float(z), pvalue=pval, df=1.0,
                                 method="Cochran-Armitage trend test (z; z^2 = prop.trend.test chi-square)",
                                 n=int(arr.sum()))


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
    ps = patient_severity(flares, patients, group=group, severity=severity, patient=patient,
                          sledai=sledai if needs_sledai else None, levels=levels, missing=missing)
    groups = [str(c) for c in ps[group].cat.categories]
    if patient_outcome == "worst_severity":
        codes = ps["worst_severity"].cat.codes.to_numpy()
        lev = [str(c) for c in ps["worst_severity"].cat.categories]
    else:
        col = f"n_{[c for c in ps.columns if c.startswith('n_') and c.endswith('_flares') and c != 'n_flares'][-1][2:-7]}_flares" \
            if patient_outcome == "n_severe_flares" else "total_sledai_increase"
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


def compare_severity(flares, patients=None, *, unit="flare", inference="cluster", patient_outcome="worst_severity",
                     reference=None, group=C.ARM, severity=C.SEVERITY, patient=C.PATIENT, sledai=C.SLEDAI_INCREASE,
                     levels=None, alternative="two-sided", confidence_level=0.95, n_boot=2000, rng=None,
                     missing="raise"):
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
    within arm (`n_boot`, `rng`; percentile interval, p-value from the
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
    n_boot : int
        Bootstrap replicates (``inference="bootstrap"``).
    rng : seed or Generator, optional
        For the bootstrap.
    missing : {"raise", "drop"}

    Returns
    -------
    DataFrame
        One row per non-reference arm: ``arm, reference, unit, outcome,
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
    n_boot = _v.check_int("n_boot", n_boot, minimum=100)
    data, lev, groups = _unit_data(flares, patients, unit=unit, patient_outcome=patient_outcome, group=group,
                                   severity=severity, patient=patient, sledai=sledai, levels=levels, missing=missing)
    ref = _resolve_reference(reference, groups)
    if len(groups) < 2:
        raise ValueError(f"need at least two arms to compare, got {groups}.")
    rng = np.random.default_rng(rng)
    others = [g for g in groups if g != ref]
    streams = rng.spawn(len(others))
    B, nfl_ref, npat_ref = data[ref]
    rows = []
    for g, stream in zip(others, streams):
        A, nfl, npat = data[g]
        for name, rows_, n_ in ((g, A, nfl), (ref, B, nfl_ref)):
            if unit == "flare" and n_ == 0:
                raise ValueError(
                    f"arm {name!r} has no flares, so the severity of its flares is undefined; compare patients "
                    "instead (unit='patient' with the patients table: a patient without a flare counts as 'none')."
                )
        if unit == "patient":
            inf_label = "independent patients"
            res = _superiority_result(A, B, clustered=False, alternative=alternative,
                                      confidence_level=confidence_level, delta=False,
                                      label=f"Brunner-Munzel on {patient_outcome} per patient")
            p, lo, hi, se, stat, df, pval, method = (res.estimate, res.ci_low, res.ci_high, res.se, res.statistic,
                                                     res.df, res.pvalue, res.method)
        elif inference in ("cluster", "naive"):
            clustered = inference == "cluster"
            inf_label = inference
            res = _superiority_result(
                A, B, clustered=clustered, alternative=alternative, confidence_level=confidence_level, delta=False,
                label=("flare level, cluster-robust variance by patient (Obuchowski 1997), normal" if clustered
                       else "flare level, flares treated as independent (Brunner-Munzel): anti-conservative"))
            p, lo, hi, se, stat, df, pval, method = (res.estimate, res.ci_low, res.ci_high, res.se, res.statistic,
                                                     res.df, res.pvalue, res.method)
        else:
            inf_label = "bootstrap"
            r = _o.superiority_from_counts(A, B, clustered=True)
            p = float(r["p"])
            reps = _o.bootstrap_superiority(A, B, n_boot, stream)
            reps = reps[np.isfinite(reps)]
            se = float(np.std(reps, ddof=1))
            stat = (p - 0.5) / se if se > 0 else math.nan
            df = math.inf
            pval = float(_o.pvalue_from_z(stat, df, alternative)) if se > 0 else math.nan
            lvl = confidence_level if alternative == "two-sided" else 2 * confidence_level - 1
            qlo, qhi = np.quantile(reps, [0.5 - lvl / 2, 0.5 + lvl / 2])
            lo = float(qlo) if alternative != "less" else 0.0
            hi = float(qhi) if alternative != "greater" else 1.0
            method = f"flare level, cluster bootstrap by patient ({n_boot} replicates, percentile interval)"
        rows.append({
            "arm": g, "reference": ref, "unit": unit,
            "outcome": patient_outcome if unit == "patient" else f"{severity} per flare",
            "inference": inf_label, "n_patients": npat, "n_patients_reference": npat_ref,
            "n_flares": nfl, "n_flares_reference": nfl_ref,
            "probability_superiority": p, "ci_low": lo, "ci_high": hi,
            "cliffs_delta": 2 * p - 1, "delta_ci_low": 2 * lo - 1, "delta_ci_high": 2 * hi - 1,
            "se": se, "statistic": stat, "df": df, "pvalue": pval, "method": method,
        })
    return pd.DataFrame(rows)


def compare_severity_batch(counts, treated, *, unit="flare", inference="cluster", alternative="two-sided"):
    """Probability of superiority for many simulated trials at once, from per-patient counts by severity.

    The vectorised twin of :func:`compare_severity` for calibration and power:
    no loop over trials or patients.  With ``unit="flare"`` the flares of each
    patient are the cluster (``inference="cluster"``, Obuchowski variance) or
    are treated as independent (``"naive"``); with ``unit="patient"`` each
    patient's worst flare (``none`` below the mildest level) is compared by
    Brunner-Munzel.  A trial in which an arm has no flares gets NaN.

    Parameters
    ----------
    counts : array (n_trials, n_patients, K) of int
        Flares per patient and severity level (increasing), restricted to the
        patients of the two arms compared.  From ``ls.simulate_trials`` (which
        counts only severe flares) use the two levels non-severe / severe:
        ``np.stack([n_flares - n_severe_flares, n_severe_flares], axis=-1)``;
        for three levels stack per-patient counts of simulated cohorts.
    treated : array (n_patients,) of bool
        True for the treatment arm, False for the reference.
    unit : {"flare", "patient"}
    inference : {"cluster", "naive"}
    alternative : {"two-sided", "less", "greater"}

    Returns
    -------
    DataFrame
        One row per trial: ``probability_superiority, se, statistic, df, pvalue``.

    Examples
    --------
    >>> import numpy as np, lupusstats as ls
    >>> b = ls.simulate_trials(ls.preset("nephritis_induction", n_per_arm=50), 20, rng=1)
    >>> keep = b.arm < 2
    >>> counts = np.stack([b.n_flares - b.n_severe_flares, b.n_severe_flares], axis=-1)[:, keep]
    >>> out = ls.compare_severity_batch(counts, b.arm[keep] == 1)
    >>> out.shape
    (20, 5)
    """
    import pandas as pd

    unit = _v.check_choice("unit", unit, _UNITS)
    inference = _v.check_choice("inference", inference, ("cluster", "naive"))
    alternative = _v.check_alternative(alternative)
    counts = _v.as_count_array("counts", counts, ndim=3)
    treated = np.asarray(treated)
    if treated.dtype != bool or treated.ndim != 1:
        raise TypeError(f"`treated` must be a 1-d boolean array, got dtype {treated.dtype}, shape {treated.shape}.")
    if treated.size != counts.shape[1]:
        raise ValueError(f"`treated` must have one entry per patient ({counts.shape[1]}), got {treated.size}.")
    if treated.all() or not treated.any():
        raise ValueError("`treated` must mark some (not all) patients as treated.")
    if unit == "patient":
        n = counts.sum(axis=-1)
        K = counts.shape[-1]
        worst = np.where(n > 0, K - np.argmax(counts[..., ::-1] > 0, axis=-1), 0)
        counts = (worst[..., None] == np.arange(K + 1)).astype(float)
        clustered = False
    else:
        clustered = inference == "cluster"
    with np.errstate(invalid="ignore", divide="ignore"):
        r = _o.superiority_from_counts(counts[:, treated], counts[:, ~treated], clustered=clustered)
        se = np.sqrt(r["var"])
        stat = np.where(se > 0, (r["p"] - 0.5) / se, np.nan)
    pval = _o.pvalue_from_z(stat, r["df"], alternative)
    return pd.DataFrame({"probability_superiority": r["p"], "se": se, "statistic": stat,
                         "df": np.broadcast_to(r["df"], r["p"].shape), "pvalue": pval})


# =========================================================================== proportional odds
def proportional_odds(flares, patients=None, *, unit="flare", inference="cluster", reference=None, group=C.ARM,
                      severity=C.SEVERITY, patient=C.PATIENT, levels=None, confidence_level=0.95,
                      missing="raise"):
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
        One row per non-reference arm: ``arm, reference, odds_ratio, ci_low,
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
    from scipy import stats

    unit = _v.check_choice("unit", unit, _UNITS)
    inference = _v.check_choice("inference", inference, ("cluster", "naive"))
    confidence_level = _v.check_confidence_level(confidence_level)
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
        ps = patient_severity(flares, patients, group=group, severity=severity, patient=patient, sledai=None,
                              levels=levels, missing=missing)
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
        warnings.warn("the proportional-odds fit did not converge (separation? an arm with flares at one level "
                      "only?); the odds ratios may be unreliable.", RuntimeWarning, stacklevel=2)
    beta = np.asarray(fit.params)[: len(others)]
    se = np.asarray(fit.bse)[: len(others)]
    z = stats.norm.ppf(0.5 + confidence_level / 2)
    stat = beta / se
    pval = 2 * stats.norm.sf(np.abs(stat))
    n_clusters = int(np.unique(cl).size)
    dropped = [lev[i] for i in range(len(lev)) if i not in set(observed.tolist())]
    method = ("proportional odds (logit), " + ("cluster-robust sandwich by patient" if robust else
                                                ("model-based covariance, flares independent" if unit == "flare"
                                                 else "model-based covariance, worst flare per patient")))
    if dropped:
        method += f"; unobserved level(s) {dropped} dropped"
    return pd.DataFrame({
        "arm": others, "reference": ref, "odds_ratio": np.exp(beta), "ci_low": np.exp(beta - z * se),
        "ci_high": np.exp(beta + z * se), "pvalue": pval, "log_odds_ratio": beta, "se": se, "statistic": stat,
        "n": int(y.size), "n_clusters": n_clusters, "unit": unit,
        "inference": inference if unit == "flare" else "independent patients", "method": method,
    })


# =========================================================================== continuous severity (SLEDAI)
def _sledai_values(flares, group, value):
    _v.check_columns("flares", flares, [group, value])
    _check_single_trial(flares, "flares")
    x = _v.as_float_array(f"flares['{value}']", flares[value].to_numpy(), ndim=1)
    groups = _group_levels(f"flares['{group}']", flares[group])
    g = flares[group].astype(str).to_numpy()
    return x, g, groups


def sledai_summary(flares, *, group=C.ARM, value=C.SLEDAI_INCREASE, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9)):
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
            for q, val in zip(qs, np.quantile(v, qs)):
                row[f"q{100 * q:g}"] = val
            row["max"] = v.max()
        else:
            row.update(mean=np.nan, sd=np.nan, min=np.nan, **{f"q{100 * q:g}": np.nan for q in qs}, max=np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    out[group] = pd.Categorical(out[group], categories=groups)
    return out


def sledai_ecdf(flares, *, group=C.ARM, value=C.SLEDAI_INCREASE):
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
