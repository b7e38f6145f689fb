"""Effect sizes from published summaries behind :mod:`lupusstats.evidence` (private).

This module holds the first of the two ``metafor`` steps: :func:`effect_sizes`
(like ``metafor::escalc``: MD, SMD, RR, OR, RD, IRR, PR, PLO, PAS, PFT, MN, MC
from means and SDs, 2x2 counts, events over person-time or single-arm
proportions, with escalc's zero-cell rule), :func:`back_transform` to the
natural scale, the ``MEASURES`` table and their column helpers.  The zero-cell
rule, Hedges' J and the 2x2 formulas are those of
:mod:`lupusstats._core.inference`.  The public names are re-exported by
:mod:`lupusstats.evidence`; import them from there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.types import FloatOrArray

if TYPE_CHECKING:
    import pandas as pd

#: Measures understood by :func:`effect_sizes`, with the columns each needs.
MEASURES: dict[str, str] = {
    "MD": "raw mean difference, group 1 minus group 2 (m1i, sd1i, n1i, m2i, sd2i, n2i)",
    "SMD": "standardised mean difference with Hedges' exact small-sample correction (m1i, sd1i, n1i, m2i, sd2i, n2i)",
    "RR": "log risk ratio (ai, ci and bi, di or n1i, n2i)",
    "OR": "log odds ratio (ai, ci and bi, di or n1i, n2i)",
    "RD": "risk difference (ai, ci and bi, di or n1i, n2i)",
    "IRR": "log incidence-rate ratio (x1i, t1i, x2i, t2i)",
    "PR": "raw proportion (xi, ni)",
    "PLO": "logit proportion (xi, ni)",
    "PAS": "arcsine square-root proportion (xi, ni)",
    "PFT": "Freeman-Tukey double arcsine proportion (xi, ni)",
    "MN": "raw mean (mi, sdi, ni)",
    "MC": "raw mean change m1i - m2i in one group measured twice (m1i, m2i, sd1i, sd2i, ni, ri)",
}

_TO = _inf.ZERO_CELL_RULES
# Measures whose counts receive `add` under the zero-cell rule (as escalc):
# PFT and PAS are defined at 0 and n, so escalc leaves them alone.
_ADD_MEASURES = ("RR", "OR", "RD", "IRR", "PR", "PLO")


# ----------------------------------------------------------------------------
# effect sizes
# ----------------------------------------------------------------------------


def _column(data, name: str, role: str, n: int) -> np.ndarray:
    """Fetch column `name` as floats, with an error naming the column and row."""
    if name not in data.columns:
        raise ValueError(
            f"`data` has no column {name!r} (needed as `{role}`); it has {list(data.columns)}. "
            f'Pass the column name, e.g. `{role}="my_column"`.'
        )
    col = data[name]
    try:
        arr = np.asarray(col, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"column {name!r} (`{role}`) must be numeric, got dtype {col.dtype}.") from None
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        rows = [data.index[i] for i in bad[:5]]
        raise ValueError(
            f"column {name!r} (`{role}`) has {bad.size} missing or infinite value(s), at row(s) {rows}; "
            "remove those studies or fill them in first."
        )
    return arr


def _check_rows(cond: np.ndarray, data, message: str) -> None:
    bad = np.flatnonzero(cond)
    if bad.size:
        rows = [data.index[i] for i in bad[:5]]
        raise ValueError(f"{message}, at row(s) {rows}.")


def _counts(data, name, role, n):
    arr = _column(data, name, role, n)
    _check_rows(arr < 0, data, f"column {name!r} (`{role}`) must be non-negative counts")
    _check_rows(arr != np.round(arr), data, f"column {name!r} (`{role}`) must be whole numbers")
    return arr


def _positive(data, name, role, n, *, allow_zero=False):
    arr = _column(data, name, role, n)
    cond = arr < 0 if allow_zero else arr <= 0
    _check_rows(cond, data, f"column {name!r} (`{role}`) must be {'>= 0' if allow_zero else '> 0'}")
    return arr


def effect_sizes(
    data: pd.DataFrame,
    *,
    measure: str,
    ai: str = "ai",
    bi: str | None = None,
    ci: str = "ci",
    di: str | None = None,
    n1i: str = "n1i",
    n2i: str = "n2i",
    m1i: str = "m1i",
    m2i: str = "m2i",
    sd1i: str = "sd1i",
    sd2i: str = "sd2i",
    x1i: str = "x1i",
    x2i: str = "x2i",
    t1i: str = "t1i",
    t2i: str = "t2i",
    xi: str = "xi",
    ni: str = "ni",
    mi: str = "mi",
    sdi: str = "sdi",
    ri: str | float = "ri",
    add: float = 0.5,
    to: str = "only0",
    confidence_level: float | None = None,
) -> pd.DataFrame:
    """Effect sizes and sampling variances from published summaries (like ``metafor::escalc``).

    Group 1 is the treatment and group 2 the reference.  The keyword arguments
    name the columns of `data` that hold each quantity; their defaults are
    escalc's argument names, so a table with columns ``ai, bi, ci, di`` needs
    nothing more than ``measure="RR"``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per study (or comparison).
    measure : str
        One of :data:`MEASURES`:

        * ``"MD"``: ``m1i - m2i``, variance ``sd1i²/n1i + sd2i²/n2i``.
        * ``"SMD"``: Hedges' g, the pooled-SD difference times the exact
          correction ``J(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2))`` with
          ``m = n1i + n2i - 2``; variance ``1/n1i + 1/n2i + g²/(2(n1i+n2i))``.
        * ``"RR"``, ``"OR"``: log ratios with Katz / Woolf variances;
          ``"RD"``: risk difference with variance ``p1q1/n1 + p2q2/n2``.
          Give ``bi`` and ``di`` (non-events) or ``n1i`` and ``n2i`` (totals).
        * ``"IRR"``: log rate ratio of ``x1i`` events over ``t1i`` person-time
          vs ``x2i`` over ``t2i``; variance ``1/x1i + 1/x2i``.
        * Single-arm proportions of ``xi`` events in ``ni``: ``"PR"`` (raw),
          ``"PLO"`` (logit), ``"PAS"`` (arcsine square root, variance
          ``1/(4ni)``), ``"PFT"`` (Freeman-Tukey double arcsine, variance
          ``1/(4ni+2)``).
        * ``"MN"``: a single mean ``mi`` with SD ``sdi`` in ``ni`` patients
          (use it for a mean change whose SD of change is reported).
        * ``"MC"``: mean change ``m1i - m2i`` in ``ni`` patients measured
          twice with SDs ``sd1i``, ``sd2i`` and pre-post correlation ``ri``
          (a column name or one number); variance
          ``(sd1i² + sd2i² - 2 ri sd1i sd2i) / ni``.  Papers rarely report
          ``ri``: an assumed value is an assumption, so vary it.
    ai, bi, ci, di, n1i, n2i, m1i, m2i, sd1i, sd2i, x1i, x2i, t1i, t2i, xi, ni, mi, sdi, ri : str
        Column names.
    add : float, default 0.5
        Amount added to the counts for a zero cell.
    to : {"only0", "all", "if0all", "none"}, default "only0"
        Zero-cell rule, as escalc: ``"only0"`` adds `add` to every cell (or
        count) of a study that has a zero cell; ``"all"`` to every study;
        ``"if0all"`` to every study when any study has a zero cell; ``"none"``
        never (a zero cell then gives an infinite log ratio: an error).  For
        RR/OR/RD the cells are the 2x2 table, for IRR the two event counts,
        for PR/PLO the events and non-events.  PFT and PAS need no correction.
    confidence_level : float, optional
        When given (e.g. 0.95), also append each study's Wald interval
        ``yi -/+ z * sqrt(vi)`` as ``ci_low`` and ``ci_high``, on the scale of
        ``yi`` (log scale for RR, OR, IRR; logit for PLO), as metafor's
        ``summary.escalc``; map them back with :func:`back_transform`.

    Returns
    -------
    pandas.DataFrame
        A copy of `data` with columns ``yi`` and ``vi`` appended (and
        ``ci_low``, ``ci_high`` when `confidence_level` is given).  The
        measure is stored in ``frame.attrs["measure"]`` and the studies that
        received `add` in ``frame.attrs["zero_cell_corrected"]`` (row labels).

    Raises
    ------
    TypeError
        `data` is not a DataFrame, or a needed column is not numeric.
    ValueError
        Unknown measure, missing column, missing value, negative count,
        events above the total, a zero variance or SD where one is needed.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> d = pd.DataFrame({"ai": [9], "n1i": [12], "ci": [5], "n2i": [6]})
    >>> es = ls.effect_sizes(d, measure="RR")
    >>> round(float(es.yi[0]), 4), round(float(es.vi[0]), 4)
    (-0.1054, 0.0611)

    Each study's 95% Wald interval, back on the risk-ratio scale:

    >>> es = ls.effect_sizes(d, measure="RR", confidence_level=0.95)
    >>> [round(float(x), 2) for x in ls.back_transform(es.loc[0, ["yi", "ci_low", "ci_high"]], measure="RR")]
    [0.9, 0.55, 1.46]
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"`data` must be a pandas DataFrame, got {type(data).__name__}.")
    measure = _v.check_choice("measure", measure, MEASURES)
    to = _v.check_choice("to", to, _TO)
    add = _v.check_number("add", add, low=0.0)
    if confidence_level is not None:
        confidence_level = _v.check_confidence_level(confidence_level)
    k = len(data)
    if k == 0:
        raise ValueError("`data` has no rows.")
    col = lambda name, role: _column(data, name, role, k)  # noqa: E731
    zero_flag = np.zeros(k, dtype=bool)

    with np.errstate(divide="ignore", invalid="ignore"):
        if measure in ("MD", "SMD"):
            m1, m2 = col(m1i, "m1i"), col(m2i, "m2i")
            s1, s2 = (
                _positive(data, sd1i, "sd1i", k, allow_zero=True),
                _positive(data, sd2i, "sd2i", k, allow_zero=True),
            )
            n1, n2 = _positive(data, n1i, "n1i", k), _positive(data, n2i, "n2i", k)
            if measure == "MD":
                yi = m1 - m2
                vi = s1**2 / n1 + s2**2 / n2
            else:
                _check_rows(n1 + n2 < 3, data, "SMD needs n1i + n2i >= 3")
                mdf = n1 + n2 - 2
                sdp = np.sqrt(((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / mdf)
                _check_rows(sdp == 0, data, "SMD needs a pooled SD > 0")
                cm = _inf.hedges_j(mdf)
                yi = cm * (m1 - m2) / sdp
                vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
        elif measure in ("RR", "OR", "RD"):
            a, c = _counts(data, ai, "ai", k), _counts(data, ci, "ci", k)
            if bi is not None and di is not None:
                b, d = _counts(data, bi, "bi", k), _counts(data, di, "di", k)
            elif bi is None and di is None:
                n1, n2 = _counts(data, n1i, "n1i", k), _counts(data, n2i, "n2i", k)
                _check_rows(a > n1, data, f"events {ai!r} exceed the total {n1i!r}")
                _check_rows(c > n2, data, f"events {ci!r} exceed the total {n2i!r}")
                b, d = n1 - a, n2 - c
            else:
                raise ValueError("give both `bi` and `di` (non-events) or neither (then `n1i`, `n2i` are totals).")
            _check_rows((a + b == 0) | (c + d == 0), data, "each group needs at least one patient")
            (a, b, c, d), zero_flag = _inf.zero_cell_correction([a, b, c, d], add, to)
            formula = {"RR": _inf.log_risk_ratio, "OR": _inf.log_odds_ratio, "RD": _inf.risk_difference}[measure]
            yi, vi = formula(a, b, c, d)
        elif measure == "IRR":
            x1, x2 = _counts(data, x1i, "x1i", k), _counts(data, x2i, "x2i", k)
            t1, t2 = _positive(data, t1i, "t1i", k), _positive(data, t2i, "t2i", k)
            (x1, x2), zero_flag = _inf.zero_cell_correction([x1, x2], add, to)
            yi = np.log(x1 / t1) - np.log(x2 / t2)
            vi = 1 / x1 + 1 / x2
        elif measure in ("PR", "PLO", "PAS", "PFT"):
            x = _counts(data, xi, "xi", k)
            n = _counts(data, ni, "ni", k)
            _check_rows(n == 0, data, f"column {ni!r} (`ni`) must be > 0")
            _check_rows(x > n, data, f"events {xi!r} exceed the total {ni!r}")
            if measure in ("PR", "PLO"):
                (x, nx), zero_flag = _inf.zero_cell_correction([x, n - x], add, to)
                n = x + nx
                p = x / n
                if measure == "PR":
                    yi, vi = p, p * (1 - p) / n
                else:
                    yi, vi = np.log(p / (1 - p)), 1 / (n * p) + 1 / (n * (1 - p))
            elif measure == "PAS":
                yi, vi = np.arcsin(np.sqrt(x / n)), 1 / (4 * n)
            else:
                yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
                vi = 1 / (4 * n + 2)
        elif measure == "MN":
            m = col(mi, "mi")
            s = _positive(data, sdi, "sdi", k, allow_zero=True)
            n = _positive(data, ni, "ni", k)
            yi, vi = m, s**2 / n
        else:  # MC
            m1, m2 = col(m1i, "m1i"), col(m2i, "m2i")
            s1, s2 = (
                _positive(data, sd1i, "sd1i", k, allow_zero=True),
                _positive(data, sd2i, "sd2i", k, allow_zero=True),
            )
            n = _positive(data, ni, "ni", k)
            if isinstance(ri, str):
                r = col(ri, "ri")
            else:
                r = np.full(k, _v.check_number("ri", ri, low=-1.0, high=1.0))
            _check_rows((r < -1) | (r > 1), data, "correlation `ri` must be in [-1, 1]")
            yi = m1 - m2
            vi = (s1**2 + s2**2 - 2 * r * s1 * s2) / n

    bad = ~np.isfinite(yi) | ~np.isfinite(vi)
    _check_rows(bad, data, f"{measure} is not finite (a zero cell with to='none', or a proportion of 0 or 1)")
    out = data.copy()
    out["yi"] = yi
    out["vi"] = vi
    if confidence_level is not None:
        out["ci_low"], out["ci_high"] = _inf.wald_interval(yi, np.sqrt(vi), confidence_level)
    out.attrs["measure"] = measure
    out.attrs["zero_cell_corrected"] = list(data.index[zero_flag])
    return out


def back_transform(x: npt.ArrayLike, *, measure: str, ni: npt.ArrayLike | None = None) -> FloatOrArray:
    """Map effect sizes (or interval ends) back to their natural scale.

    ``exp`` for RR, OR, IRR; inverse logit for PLO; ``sin²`` for PAS; for PFT
    Miller's (1978) inverse with the harmonic mean of the sample sizes `ni`
    (as ``metafor::transf.ipft.hm``); identity for the others.

    Parameters
    ----------
    x : float or array-like
        Values on the analysis scale.
    measure : str
        The measure `x` is on.
    ni : array-like, optional
        Sample sizes of the pooled studies, needed for PFT.

    Returns
    -------
    numpy.ndarray or float

    Examples
    --------
    >>> import lupusstats as ls
    >>> round(float(ls.back_transform(0.0, measure="PLO")), 3)
    0.5
    """
    measure = _v.check_choice("measure", measure, MEASURES)
    arr = _v.as_float_array("x", x)
    if measure in ("RR", "OR", "IRR"):
        out = np.exp(arr)
    elif measure == "PLO":
        out = 1 / (1 + np.exp(-arr))
    elif measure == "PAS":
        out = np.sin(np.clip(arr, 0, np.pi / 2)) ** 2
    elif measure == "PFT":
        if ni is None:
            raise ValueError("`ni` (the sample sizes) is needed to back-transform PFT.")
        n = _v.as_positive_array("ni", ni)
        nhm = 1 / np.mean(1 / n)
        s = np.sin(2 * arr)
        with np.errstate(invalid="ignore", divide="ignore"):
            out = 0.5 * (1 - np.sign(np.cos(2 * arr)) * np.sqrt(1 - (s + (s - 1 / s) / nhm) ** 2))

        def pft(p):
            xx = p * nhm
            return 0.5 * (np.arcsin(np.sqrt(xx / (nhm + 1))) + np.arcsin(np.sqrt((xx + 1) / (nhm + 1))))

        out = np.where(arr > pft(1.0), 1.0, np.where(arr < pft(0.0), 0.0, out))
    else:
        out = arr
    return float(out) if np.ndim(out) == 0 else out
