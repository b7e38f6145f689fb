"""An array view of the visits table: what the endpoint kernels compute on.

:class:`VisitArrays` holds the visits of many patients (or of many simulated
trials of many patients) as numpy arrays of shape ``(..., n_visits)`` on one
grid of scheduled weeks, so that every endpoint definition is a handful of
vectorised array operations -- no Python loop over patients.  The simulator
builds one directly from its arrays (leading shape ``(n_trials, n_patients)``);
:func:`visit_arrays` builds one from a visits DataFrame (leading shape
``(n_patients,)``), with the identifiers kept so results join back.

Grades of the nine BILAG-2004 domains are stored as ``int8`` codes 0..4 for
A..E (A the most active) in ``lupusstats.columns.BILAG_DOMAINS`` order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["VisitArrays", "visit_arrays"]

#: BILAG-2004 grade codes in :class:`VisitArrays` (``bilag`` holds these, A the most active).
GRADE_A, GRADE_B, GRADE_C, GRADE_D, GRADE_E = 0, 1, 2, 3, 4
#: Index of each BILAG-2004 domain on the last axis of ``VisitArrays.bilag``.
DOMAIN_INDEX: dict[str, int] = {d: i for i, d in enumerate(C.BILAG_DOMAINS)}
#: Column of the per-patient body weight (kg) read by :func:`visit_arrays` when present.
WEIGHT_KG = "weight_kg"

# Comparisons against published cut-offs (PGA 0.3, prednisone 7.5 mg, UPCR 0.7, 20% of eGFR ...)
# are made with this absolute tolerance, so that a value on the cut-off written in decimal
# (1.2 - 0.9 = 0.29999999999999993 in binary floating point) is treated as on the cut-off.
TOL = 1e-9

_BOOL_FIELDS = (
    "attended",
    "on_immunosuppressant",
    "on_antimalarial",
    "rescue",
    "major_organ_activity",
    "new_activity",
)


@dataclasses.dataclass(frozen=True, repr=False)
class VisitArrays:
    """The visits of many patients as arrays on one grid of scheduled weeks.

    Every per-visit array has shape ``(..., n_visits)``: the leading axes are
    patients, or trials x patients for simulated batches; ``bilag`` has one
    more axis of 9 domains.  Values at a visit not attended are placeholders
    (0, grade E, NaN) that the endpoint kernels never read as data: they
    consult ``attended`` first.  Week 0 (baseline) must be on the grid and is
    its first entry.

    Attributes
    ----------
    week : ndarray of int, shape (n_visits,)
        The scheduled weeks, increasing, starting at 0 (baseline).
    attended : ndarray of bool
        True where the patient was seen at the visit; False after death or
        dropout and at a missed visit.
    sledai, clinical_sledai : ndarray of int
        SLEDAI-2K total (SELENA-SLEDAI in BLISS) and the score without the two
        serology items.
    pga : ndarray of float
        Physician global assessment, 0-3.
    prednisone_mg : ndarray of float
        Daily glucocorticoid dose, prednisone equivalent (mg/day).
    on_immunosuppressant, on_antimalarial : ndarray of bool
        Treatment at the visit.
    rescue : ndarray of bool
        Protocol-prohibited rescue therapy at or before the visit (cumulative:
        :func:`visit_arrays` carries a True forward).
    major_organ_activity, new_activity : ndarray of bool
        The LLDAS criteria: renal, CNS, cardiopulmonary, vasculitis or fever
        activity; activity absent at the previous visit.
    bilag : ndarray of int8, shape (..., n_visits, 9)
        BILAG-2004 grade codes, 0 = A ... 4 = E, domains in
        ``lupusstats.columns.BILAG_DOMAINS`` order.
    upcr, egfr : ndarray of float or None
        Urine protein:creatinine ratio (g/g) and eGFR (mL/min/1.73 m2), NaN
        where not measured; None when the data have none (non-renal trials).
    weight_kg : ndarray of float, shape (...), or None
        Body weight per patient (NaN if unknown), for the SELENA flare index's
        mg/kg prednisone criterion.
    ids : pandas.DataFrame or None
        One row per patient (leading shape ``(n_patients,)`` only): the
        patient key columns (``trial`` when present, ``patient``) and the group
        column, so that per-patient results join back to the tables.  None for
        simulated arrays.
    group : str
        Name of the group column in ``ids`` (``"arm"`` by default).

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> n, v = 2, 3
    >>> arrays = VisitArrays(week=np.array([0, 4, 8]), attended=np.ones((n, v), bool),
    ...     sledai=np.full((n, v), 6), clinical_sledai=np.full((n, v), 4), pga=np.full((n, v), 1.0),
    ...     prednisone_mg=np.full((n, v), 10.0), on_immunosuppressant=np.zeros((n, v), bool),
    ...     on_antimalarial=np.ones((n, v), bool), rescue=np.zeros((n, v), bool),
    ...     major_organ_activity=np.zeros((n, v), bool), new_activity=np.zeros((n, v), bool),
    ...     bilag=np.full((n, v, 9), 3, np.int8))
    >>> arrays.shape, arrays.n_visits, arrays.week_index(8)
    ((2,), 3, 2)
    """

    week: Any
    attended: Any
    sledai: Any
    clinical_sledai: Any
    pga: Any
    prednisone_mg: Any
    on_immunosuppressant: Any
    on_antimalarial: Any
    rescue: Any
    major_organ_activity: Any
    new_activity: Any
    bilag: Any
    upcr: Any = None
    egfr: Any = None
    weight_kg: Any = None
    ids: Any = None
    group: str = C.ARM

    def __post_init__(self) -> None:
        week = np.asarray(self.week)
        if week.ndim != 1 or week.size == 0 or not np.issubdtype(week.dtype, np.integer):
            raise ValueError(f"`week` must be a non-empty 1-d array of integer weeks, got {self.week!r}.")
        if week[0] != 0 or np.any(np.diff(week) <= 0):
            raise ValueError(f"`week` must increase and start at 0 (the baseline visit), got {week.tolist()}.")
        object.__setattr__(self, "week", week.astype(np.int64))
        attended = np.asarray(self.attended)
        if attended.ndim < 1 or attended.shape[-1] != week.size:
            raise ValueError(
                f"`attended` must have shape (..., {week.size}) (one entry per scheduled week), got {attended.shape}."
            )
        shape = attended.shape
        kinds = {
            **{name: bool for name in _BOOL_FIELDS},
            "sledai": np.int64,
            "clinical_sledai": np.int64,
            "pga": np.float64,
            "prednisone_mg": np.float64,
        }
        for name, dtype in kinds.items():
            arr = np.asarray(getattr(self, name))
            if arr.shape != shape:
                raise ValueError(f"`{name}` must have the shape of `attended` {shape}, got {arr.shape}.")
            object.__setattr__(self, name, arr.astype(dtype, copy=False))
        bilag = np.asarray(self.bilag)
        if bilag.shape != (*shape, len(C.BILAG_DOMAINS)):
            raise ValueError(
                f"`bilag` must have shape {(*shape, len(C.BILAG_DOMAINS))} (a grade per BILAG-2004 domain), "
                f"got {bilag.shape}."
            )
        object.__setattr__(self, "bilag", bilag.astype(np.int8, copy=False))
        for name in ("upcr", "egfr"):
            value = getattr(self, name)
            if value is not None:
                arr = np.asarray(value, dtype=np.float64)
                if arr.shape != shape:
                    raise ValueError(f"`{name}` must have the shape of `attended` {shape}, got {arr.shape}.")
                object.__setattr__(self, name, arr)
        if self.weight_kg is not None:
            w = np.asarray(self.weight_kg, dtype=np.float64)
            if w.shape != shape[:-1]:
                raise ValueError(f"`weight_kg` must have one entry per patient, shape {shape[:-1]}, got {w.shape}.")
            object.__setattr__(self, "weight_kg", w)
        if self.ids is not None and (len(shape) != 2 or len(self.ids) != shape[0]):
            raise ValueError(f"`ids` must have one row per patient ({shape[0]}), got {len(self.ids)} rows.")

    @property
    def shape(self) -> tuple[int, ...]:
        """The leading shape: ``(n_patients,)`` or ``(n_trials, n_patients)``."""
        return tuple(self.attended.shape[:-1])

    @property
    def n_visits(self) -> int:
        """Number of scheduled visits (including baseline)."""
        return int(self.week.size)

    @property
    def has_renal(self) -> bool:
        """True when both ``upcr`` and ``egfr`` are present."""
        return self.upcr is not None and self.egfr is not None

    def week_index(self, week: int) -> int:
        """The index of scheduled `week` on the visit axis; ``ValueError`` if it is not on the grid."""
        w = _v.check_int("week", week)
        hit = np.flatnonzero(self.week == w)
        if hit.size == 0:
            raise ValueError(f"`week` {w} is not a scheduled visit; the visits are at weeks {self.week.tolist()}.")
        return int(hit[0])

    def __repr__(self) -> str:
        renal = ", with upcr/egfr" if self.has_renal else ""
        return f"VisitArrays(shape {self.shape}, weeks {self.week.tolist()}{renal})"


# --------------------------------------------------------------------------- helpers for the kernels
def take(x: np.ndarray, visit: int | np.ndarray) -> np.ndarray:
    """``x[..., visit]`` where `visit` is one index or an index per patient (shape ``x.shape[:-1]``)."""
    if np.ndim(visit) == 0:
        return x[..., int(visit)]
    return np.take_along_axis(x, np.asarray(visit)[..., None], axis=-1)[..., 0]


def take_bilag(bilag: np.ndarray, visit: int | np.ndarray) -> np.ndarray:
    """The grades at `visit`, shape ``(..., 9)``."""
    if np.ndim(visit) == 0:
        return bilag[..., int(visit), :]
    return np.take_along_axis(bilag, np.asarray(visit)[..., None, None], axis=-2)[..., 0, :]


def previous_attended(attended: np.ndarray) -> np.ndarray:
    """Index of the last attended visit strictly before each visit (-1 where none), shape of `attended`."""
    idx = np.where(attended, np.arange(attended.shape[-1]), -1)
    last = np.maximum.accumulate(idx, axis=-1)
    prev = np.full_like(last, -1)
    prev[..., 1:] = last[..., :-1]
    return prev


def as_visit_index(arrays: VisitArrays, visit: int | npt.ArrayLike) -> int | np.ndarray:
    """Check a visit index (one, or one per patient) for the kernels."""
    if np.ndim(visit) == 0:
        v = _v.check_int("visit", visit)
        if not 0 <= v < arrays.n_visits:
            raise ValueError(f"`visit` must be an index in 0..{arrays.n_visits - 1}, got {v}.")
        return v
    arr = np.asarray(visit)
    if arr.shape != arrays.shape or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"`visit` must be one index or an integer array of shape {arrays.shape}, got {arr.shape}.")
    if arr.size and (arr.min() < 0 or arr.max() >= arrays.n_visits):
        raise ValueError(f"`visit` indices must be in 0..{arrays.n_visits - 1}.")
    return arr


# --------------------------------------------------------------------------- from a DataFrame
def _grade_codes(series, column: str) -> np.ndarray:
    import pandas as pd

    if isinstance(series.dtype, pd.CategoricalDtype):
        text = series.astype(object)
    else:
        text = series
    missing = text.isna().to_numpy()
    if missing.any():
        first = series.index[np.flatnonzero(missing)[0]]
        raise ValueError(
            f"`visits` column {column!r} has {int(missing.sum())} missing grade(s) (first at row {first!r}); "
            f"grades must be one of {list(C.BILAG_GRADES)}."
        )
    letters = text.astype(str).str.strip().str.upper().to_numpy(dtype=object)
    lookup = {g: i for i, g in enumerate(C.BILAG_GRADES)}
    codes = np.array([lookup.get(g, -1) for g in letters], dtype=np.int8)
    bad = codes < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`visits` column {column!r} row {series.index[i]!r}: {series.iloc[i]!r} is not a BILAG-2004 grade; "
            f"allowed {list(C.BILAG_GRADES)} (A the most active)."
        )
    return codes


def _numeric(frame, column: str, *, missing_ok: bool = False) -> np.ndarray:
    import pandas as pd

    s = frame[column]
    if s.dtype == bool or not pd.api.types.is_numeric_dtype(s):
        raise TypeError(f"`visits` column {column!r} must be numeric, got dtype {s.dtype}.")
    x = s.to_numpy(dtype=float)
    if not missing_ok and np.isnan(x).any():
        i = int(np.flatnonzero(np.isnan(x))[0])
        raise ValueError(
            f"`visits` column {column!r} has {int(np.isnan(x).sum())} missing value(s) (first at row "
            f"{frame.index[i]!r}); no row is dropped, fill or remove them first."
        )
    if np.isinf(x).any():
        i = int(np.flatnonzero(np.isinf(x))[0])
        raise ValueError(f"`visits` column {column!r} row {frame.index[i]!r}: {x[i]} is not finite.")
    return x


def _scalar(value: Any) -> Any:
    """A numpy scalar as the Python value (for messages)."""
    return value.item() if isinstance(value, np.generic) else value


def _check_range(frame, column: str, x: np.ndarray, bad: np.ndarray, allowed: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"`visits` column {column!r} row {frame.index[i]!r}: {_scalar(frame[column].iloc[i])!r} is out of range "
            f"({int(bad.sum())} such row(s)); allowed {allowed}."
        )


def _boolean(frame, column: str) -> np.ndarray:
    import pandas as pd

    s = frame[column]
    if s.dtype == bool:
        return s.to_numpy()
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float)
        bad = ~np.isin(x, (0.0, 1.0))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"`visits` column {column!r} row {frame.index[i]!r}: {s.iloc[i]!r} is not true/false "
                "(allowed: a boolean column, or 0/1)."
            )
        return x == 1.0
    raise TypeError(f"`visits` column {column!r} must be boolean (or 0/1), got dtype {s.dtype}.")


def visit_arrays(
    visits: pd.DataFrame,
    *,
    patients: pd.DataFrame | None = None,
    group: str = C.ARM,
    patient: str = C.PATIENT,
    trial: str = C.TRIAL,
    week: str = C.WEEK,
    sledai: str = C.SLEDAI,
    clinical_sledai: str = C.CLINICAL_SLEDAI,
    pga: str = C.PGA,
    prednisone_mg: str = C.PREDNISONE_MG,
    on_immunosuppressant: str = C.ON_IMMUNOSUPPRESSANT,
    on_antimalarial: str = C.ON_ANTIMALARIAL,
    rescue: str = C.RESCUE,
    major_organ_activity: str = C.MAJOR_ORGAN_ACTIVITY,
    new_activity: str = C.NEW_ACTIVITY,
    bilag: Sequence[str] = C.BILAG_COLUMNS,
    upcr: str = C.UPCR,
    egfr: str = C.EGFR,
    weight_kg: str = WEIGHT_KG,
) -> VisitArrays:
    """Pivot a visits table (one row per patient per visit) into :class:`VisitArrays`.

    The visit grid is the union of the weeks in the table; a patient with no
    row at a week did not attend it (death, dropout or a missed visit).  Every
    patient needs a week-0 (baseline) row.  With `patients`, every patient of
    that table gets a row of the result (one who never attended a visit is
    refused: a baseline is needed) and ``weight_kg`` is read from it when
    present.  ``upcr`` and ``egfr`` are read when both columns are present
    (NaN allowed: not measured).  ``rescue`` is carried forward (the column
    means "at or before this visit").

    Checks (a ``ValueError`` naming the column and the row, no row dropped):
    every required column present; no duplicate (patient, week); weeks whole
    numbers >= 0; SLEDAI-2K and clinical SLEDAI whole numbers 0-105 with the
    clinical score not above the total; PGA within 0-3; prednisone >= 0; UPCR
    and eGFR >= 0; grades one of A-E (letters, any case, or a Categorical of
    them); the patient's arm the same at every visit.

    Parameters
    ----------
    visits : pandas.DataFrame
        The visits table (``lupusstats.columns.VISIT_COLUMNS``).
    patients : pandas.DataFrame, optional
        The patients table: its patients (and their order) define the rows.
    group : str
        The arm (group) column, kept in ``ids``.
    patient, trial, week, sledai, clinical_sledai, pga, prednisone_mg, on_immunosuppressant, on_antimalarial, \
rescue, major_organ_activity, new_activity, upcr, egfr, weight_kg : str
        Column names, if yours differ.  ``trial`` is used only when present.
    bilag : sequence of 9 str
        The BILAG-2004 grade columns in ``lupusstats.columns.BILAG_DOMAINS`` order.

    Returns
    -------
    VisitArrays
        Leading shape ``(n_patients,)``; ``ids`` holds the patient keys and the
        group column, one row per patient (in order of first appearance, or of
        `patients`).

    Raises
    ------
    TypeError
        `visits` not a DataFrame; a column of the wrong type.
    ValueError
        A missing column, a duplicate (patient, week), a value out of range, a
        patient without a baseline visit.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> row = dict(sledai=8, clinical_sledai=6, pga=1.5, prednisone_mg=10.0, on_immunosuppressant=False,
    ...            on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...            **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(row, patient=1, arm="placebo", week=0), dict(row, patient=1, arm="placebo",
    ...     week=52), dict(row, patient=2, arm="drug", week=0)])
    >>> arrays = ls.visit_arrays(visits)
    >>> arrays.week.tolist(), arrays.attended.tolist()
    ([0, 52], [[True, True], [True, False]])
    >>> arrays.ids
       patient      arm
    0        1  placebo
    1        2     drug
    """
    import pandas as pd

    if not isinstance(visits, pd.DataFrame):
        raise TypeError(f"`visits` must be a pandas DataFrame, got {type(visits).__name__}.")
    bilag = list(bilag)
    if len(bilag) != len(C.BILAG_DOMAINS):
        raise ValueError(f"`bilag` must name {len(C.BILAG_DOMAINS)} grade columns (one per domain), got {bilag}.")
    required = [
        patient,
        group,
        week,
        sledai,
        clinical_sledai,
        pga,
        prednisone_mg,
        on_immunosuppressant,
        on_antimalarial,
        rescue,
        major_organ_activity,
        new_activity,
        *bilag,
    ]
    _v.check_columns("visits", visits, required)
    if len(visits) == 0:
        raise ValueError("`visits` has no rows.")
    keys = [trial, patient] if trial in visits.columns else [patient]
    for k in keys:
        if visits[k].isna().any():
            i = int(np.flatnonzero(visits[k].isna().to_numpy())[0])
            raise ValueError(f"`visits` column {k!r} row {visits.index[i]!r}: missing identifier.")

    weeks = _numeric(visits, week)
    _check_range(visits, week, weeks, (weeks < 0) | (weeks != np.round(weeks)), "whole weeks >= 0")
    dup = visits.duplicated(subset=[*keys, week], keep=False).to_numpy()
    if dup.any():
        first = visits.loc[dup, [*keys, week]].head(3)
        listed = "; ".join(
            ", ".join(f"{c}={_scalar(r[c])!r}" for c in first.columns) + f" (row {idx!r})"
            for idx, r in first.iterrows()
        )
        raise ValueError(
            f"`visits` has {int(dup.sum())} rows with a duplicate ({', '.join(keys)}, {week}); each patient has "
            f"one row per visit. First: {listed}."
        )

    # patients: order of first appearance, or of the patients table
    vkeys = visits[keys].reset_index(drop=True)
    if patients is not None:
        _v.check_columns("patients", patients, [*keys, group])
        pkeys = patients[keys].reset_index(drop=True)
        if pkeys.duplicated().any():
            raise ValueError(f"`patients` lists a patient more than once (columns {keys}).")
        ids = patients[[*keys, group]].reset_index(drop=True)
    else:
        first_rows = ~vkeys.duplicated()
        ids = visits.loc[first_rows.to_numpy(), [*keys, group]].reset_index(drop=True)
        pkeys = ids[keys]
    index = pd.MultiIndex.from_frame(pkeys) if len(keys) > 1 else pd.Index(pkeys[keys[0]])
    lookup = pd.Series(np.arange(len(pkeys)), index=index)
    where = (
        lookup.reindex(pd.MultiIndex.from_frame(vkeys)) if len(keys) > 1 else lookup.reindex(vkeys[keys[0]])
    ).to_numpy()
    orphan = np.isnan(where)
    if orphan.any():
        i = int(np.flatnonzero(orphan)[0])
        raise ValueError(
            f"`visits` row {visits.index[i]!r}: patient {vkeys.iloc[i].tolist()} is not in `patients` "
            f"({int(orphan.sum())} such row(s))."
        )
    row = where.astype(np.int64)
    grid = np.unique(weeks).astype(np.int64)
    if grid[0] != 0:
        raise ValueError(f"`visits` has no week-0 (baseline) visit; the weeks are {grid.tolist()}.")
    col = np.searchsorted(grid, weeks.astype(np.int64))
    n_p, n_v = len(pkeys), grid.size

    arm_v = visits[group].astype(object).to_numpy()
    arm_p = ids[group].astype(object).to_numpy()
    other = arm_v != arm_p[row]
    if other.any():
        i = int(np.flatnonzero(other)[0])
        raise ValueError(
            f"`visits` column {group!r} row {visits.index[i]!r}: {arm_v[i]!r}, but patient "
            f"{vkeys.iloc[i].tolist()} is in {arm_p[row[i]]!r} (at another visit or in `patients`)."
        )

    attended = np.zeros((n_p, n_v), bool)
    attended[row, col] = True
    no_baseline = ~attended[:, 0]
    if no_baseline.any():
        i = int(np.flatnonzero(no_baseline)[0])
        raise ValueError(
            f"patient {pkeys.iloc[i].tolist()} has no week-0 (baseline) visit ({int(no_baseline.sum())} "
            "such patient(s)); every endpoint compares with baseline."
        )

    def grid_of(values, fill, dtype):
        out = np.full((n_p, n_v), fill, dtype=dtype)
        out[row, col] = values
        return out

    s = _numeric(visits, sledai)
    _check_range(visits, sledai, s, (s < 0) | (s > 105) | (s != np.round(s)), "whole numbers 0-105 (SLEDAI-2K)")
    cs = _numeric(visits, clinical_sledai)
    _check_range(visits, clinical_sledai, cs, (cs < 0) | (cs != np.round(cs)), "whole numbers >= 0")
    _check_range(visits, clinical_sledai, cs, cs > s, f"not above the total {sledai!r}")
    g = _numeric(visits, pga)
    _check_range(visits, pga, g, (g < 0) | (g > 3), "0-3 (physician global assessment)")
    pred = _numeric(visits, prednisone_mg)
    _check_range(visits, prednisone_mg, pred, pred < 0, "mg/day >= 0")
    fields: dict[str, Any] = {
        "sledai": grid_of(s, 0, np.int64),
        "clinical_sledai": grid_of(cs, 0, np.int64),
        "pga": grid_of(g, np.nan, np.float64),
        "prednisone_mg": grid_of(pred, np.nan, np.float64),
    }
    for name, column in (
        ("on_immunosuppressant", on_immunosuppressant),
        ("on_antimalarial", on_antimalarial),
        ("rescue", rescue),
        ("major_organ_activity", major_organ_activity),
        ("new_activity", new_activity),
    ):
        fields[name] = grid_of(_boolean(visits, column), False, bool)
    fields["rescue"] = np.logical_or.accumulate(fields["rescue"], axis=-1)
    grades = np.full((n_p, n_v, len(bilag)), GRADE_E, np.int8)
    for j, column in enumerate(bilag):
        grades[row, col, j] = _grade_codes(visits[column], column)
    fields["bilag"] = grades
    if upcr in visits.columns and egfr in visits.columns:
        for name, column in (("upcr", upcr), ("egfr", egfr)):
            x = _numeric(visits, column, missing_ok=True)
            _check_range(visits, column, x, x < 0, ">= 0 (or missing)")
            fields[name] = grid_of(x, np.nan, np.float64)
    weight = None
    for table, label in ((patients, "patients"), (visits, "visits")):
        if table is not None and weight_kg in table.columns:
            w = _numeric(table, weight_kg, missing_ok=True)
            _check_range(table, weight_kg, w, w <= 0, "kg > 0 (or missing)")
            if label == "patients":
                weight = w
            else:
                weight = np.full(n_p, np.nan)
                known = ~np.isnan(w)
                weight[row[known]] = w[known]  # a patient's last recorded weight
            break
    return VisitArrays(week=grid, attended=attended, weight_kg=weight, ids=ids, group=group, **fields)
