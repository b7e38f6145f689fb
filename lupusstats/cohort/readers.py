"""Reading a user's own cohort data into the patients/flares table shapes.

:func:`read_cohort` turns a patients table and a flares table -- CSV files or
DataFrames, e.g. exported from a trial database -- into the same shape that
:func:`ls.simulate_cohort` returns (see ``lupusstats.cohort.columns``), so every
analysis function (and :func:`ls.effect_card`) works on them unchanged.

It is strict on purpose: a clinical table with an impossible row (a flare after
the patient's follow-up ended, a negative time, a flare of a patient who is not
in the patients table, a flare count that disagrees with the flares listed) is
refused with a message naming the file, the line and the column.  No row is
ever dropped or repaired silently.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lupusstats.cohort import columns as C
from lupusstats.cohort.cohort import Cohort

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_cohort"]

#: Columns every patients table needs; the rest are optional or computed.
REQUIRED_PATIENT_COLUMNS: tuple[str, ...] = (C.PATIENT, C.ARM, C.FOLLOWUP_YEARS)
#: Columns every flares table needs (``arm`` is taken from the patients table when absent; without
#: ``severity`` the severity endpoints are left out).
REQUIRED_FLARE_COLUMNS: tuple[str, ...] = (C.PATIENT, C.TIME_YEARS)
#: Columns every visits table needs besides the patient keys (``arm`` is taken from the patients table).
REQUIRED_VISIT_COLUMNS: tuple[str, ...] = tuple(c for c in C.VISIT_COLUMNS if c not in (C.TRIAL, C.PATIENT, C.ARM))
#: Date columns read instead of years: randomisation and end of follow-up (patients), flare date (flares).
START_DATE, END_DATE, EVENT_DATE = "start_date", "end_date", "event_date"
#: Days per year in the date rule: years = days / 365.25 (the Julian year, as R's lubridate and most trial SAPs).
DAYS_PER_YEAR = 365.25
# Patient columns that summarise the flares table: computed from it when absent, checked when present.
_DERIVED = (C.N_FLARES, C.N_SEVERE_FLARES, C.FIRST_FLARE_YEARS, C.FIRST_SEVERE_FLARE_YEARS)
_ORGAN_ALIASES = {"hematological": "haematological", "hematologic": "haematological", "haematologic": "haematological"}
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_INTEGER = re.compile(r"^[+-]?\d+$")
# Times are compared with this absolute tolerance (years; about 30 seconds) so that
# values written to CSV and read back, or rounded by a database, still match.
_TIME_TOL = 1e-6
_MAX_LISTED = 5


class _Table:
    """A table being read: its display name and how to name one of its rows."""

    def __init__(self, name: str, frame, from_file: bool, line_word: str = "line"):
        self.name, self.frame, self.from_file, self.line_word = name, frame, from_file, line_word

    def row(self, position: int) -> str:
        # CSV: the line an editor shows (header is line 1); Excel: the sheet row; DataFrame: the index label.
        if self.from_file:
            return f"{self.name} {self.line_word} {position + 2}"
        return f"{self.name} row {self.frame.index[position]!r}"


class _Problems:
    """Impossible values collected per (table, column, kind), raised together as one ValueError."""

    def __init__(self):
        self.groups: list[tuple[_Table, str, np.ndarray, list[str]]] = []

    def add(self, table: _Table, column: str, positions, details) -> None:
        positions = np.asarray(positions, dtype=np.int64)
        if positions.size:
            self.groups.append((table, column, positions, list(details)))

    def add_mask(self, table: _Table, column: str, mask, detail) -> None:
        """Rows where `mask` is true; `detail(position)` describes one of them."""
        positions = np.flatnonzero(np.asarray(mask, dtype=bool))
        if positions.size:
            self.add(table, column, positions, [detail(int(positions[0]))])

    def raise_if_any(self) -> None:
        if not self.groups:
            return
        parts = []
        for table, column, positions, details in self.groups[:3]:
            text = f"{table.row(int(positions[0]))}, column {column!r}: {details[0]}"
            if positions.size > 1:
                more = ", ".join(table.row(int(p)).rsplit(" ", 1)[-1] for p in positions[1:_MAX_LISTED])
                etc = ", ..." if positions.size > _MAX_LISTED else ""
                text += f" (and {positions.size - 1} more such row(s): {more}{etc})"
            parts.append(text)
        if len(self.groups) > 3:
            parts.append(f"and {len(self.groups) - 3} more problem(s)")
        n_rows = sum(g[2].size for g in self.groups)
        raise ValueError(
            f"cannot use the cohort data, {n_rows} impossible value(s) (no row was dropped): " + "; ".join(parts)
        )


def _load(name: str, value, sep: str | None, decimal: str | None, notes: list[str]) -> _Table:
    """Read one table; `notes` gets one line per thing done to the file (separator, decimal comma, BOM)."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return _Table(f"`{name}`", value.copy(), from_file=False)
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"`{name}` must be a path to a CSV or .xlsx file or a pandas DataFrame, got {type(value).__name__}."
        )
    path = os.fspath(value)
    if not os.path.exists(path):
        raise FileNotFoundError(f"`{name}`: no such file {path!r}.")
    if os.path.isdir(path):
        raise ValueError(f"`{name}` must be a CSV file, got the directory {path!r}.")
    if path.lower().endswith((".xlsx", ".xlsm")):
        return _load_excel(name, path, notes)
    if path.lower().endswith(".xls"):
        raise ValueError(f"{path}: the old .xls format is not read; save it as .xlsx or CSV.")
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"PK\x03\x04"):
        raise ValueError(f"{path} is a zip archive (an Excel workbook?); give it the .xlsx extension or export CSV.")
    bom = head.startswith(b"\xef\xbb\xbf")
    try:
        text = head.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        text = head.decode("utf-8-sig", errors="ignore")  # a cut multi-byte character at the end; pandas decides
    first_line = text.splitlines()[0] if text else ""
    if sep is None:
        counts = {c: first_line.count(c) for c in (",", ";", "\t")}
        sep = max(counts, key=lambda c: counts[c]) if max(counts.values()) > 0 else ","
        if sep != ",":
            notes.append(f"{path}: fields separated by {_SEP_NAMES[sep]} (detected from the header line)")
    try:
        frame = pd.read_csv(path, sep=sep, dtype=str, skipinitialspace=True, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty; expected a CSV file with a header line.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not a readable CSV file: {str(err).strip()}") from None
    if bom:
        notes.append(f"{path}: UTF-8 byte-order mark (BOM) removed")
    frame.columns = [str(c).strip() for c in frame.columns]
    if decimal is None:
        decimal = "," if sep != "," and _has_decimal_commas(frame) else "."
        if decimal == ",":
            notes.append(f"{path}: decimal commas read as decimal points (detected: numbers such as 0,5)")
    if decimal == ",":
        frame = frame.apply(lambda col: col.str.replace(_DECIMAL_COMMA, r"\1.\2", regex=True))
    return _Table(path, frame, from_file=True)


_SEP_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}
_DECIMAL_COMMA = re.compile(r"^\s*([+-]?\d*),(\d+)\s*$")


def _has_decimal_commas(frame) -> bool:
    for col in frame.columns:
        values = frame[col].dropna()
        if len(values) and values.str.match(_DECIMAL_COMMA).any():
            return True
    return False


def _load_excel(name: str, path: str, notes: list[str]) -> _Table:
    """The first sheet of an .xlsx workbook (openpyxl, the `excel` extra), every cell as text."""
    import pandas as pd

    try:
        import openpyxl  # noqa: F401
    except ImportError:
        raise ImportError(
            f"`{name}`: reading {path} needs openpyxl; install it with pip install 'lupusstats[excel]' "
            "(or export the sheet as CSV)."
        ) from None
    try:
        frame = pd.read_excel(path, sheet_name=0, dtype=object, engine="openpyxl")
    except (ValueError, OSError, KeyError) as err:
        raise ValueError(f"{path} is not a readable .xlsx workbook: {str(err).strip()}") from None
    if frame.shape[1] == 0:
        raise ValueError(f"{path} is empty; expected a sheet with a header row.")
    frame.columns = [str(c).strip() for c in frame.columns]

    def cell(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            return np.nan
        if isinstance(v, (pd.Timestamp,)) or hasattr(v, "isoformat"):
            return v.isoformat()[:10] if getattr(v, "hour", 0) == 0 and getattr(v, "minute", 0) == 0 else v.isoformat()
        if isinstance(v, float):
            return repr(v)
        return str(v)

    frame = frame.apply(lambda col: col.map(cell)).astype(object)
    notes.append(f"{path}: first sheet of the Excel workbook read (openpyxl)")
    return _Table(path, frame, from_file=True, line_word="row")


def _require(table: _Table, required: Sequence[str], hint: str) -> None:
    missing = [c for c in required if c not in table.frame.columns]
    if missing:
        raise ValueError(
            f"{table.name} is missing column(s) {missing}; it has {list(table.frame.columns)}. "
            f"Required: {list(required)}{hint}."
        )
    dup = sorted({c for c in table.frame.columns if list(table.frame.columns).count(c) > 1})
    if dup:
        raise ValueError(f"{table.name} has duplicate column name(s) {dup}.")


def _present(series) -> np.ndarray:
    return series.notna().to_numpy().copy()


def _numbers(table: _Table, column: str, problems: _Problems, *, whole: bool = False, missing_ok: bool = False):
    """Parse a column as floats; record text that is not a number, missing values, non-whole values."""
    import pandas as pd

    raw = table.frame[column]
    if raw.dtype == bool:
        problems.add_mask(table, column, np.ones(len(raw), bool), lambda i: f"{raw.iloc[i]!r} is not a number")
        return raw.astype(float).to_numpy()
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    given = _present(raw)
    text = raw.astype(str).str.strip() if raw.dtype == object or pd.api.types.is_string_dtype(raw) else None
    if text is not None:
        given &= (text != "").to_numpy()
    problems.add_mask(table, column, given & np.isnan(values), lambda i: f"{raw.iloc[i]!r} is not a number")
    if not missing_ok:
        problems.add_mask(table, column, ~given, lambda i: "missing value")
    problems.add_mask(table, column, np.isinf(values), lambda i: f"{raw.iloc[i]!r} is not finite")
    if whole:
        frac = np.isfinite(values) & (values != np.round(values))
        problems.add_mask(table, column, frac, lambda i: f"{raw.iloc[i]!r} is not a whole number")
    return values


def _booleans(table: _Table, column: str, problems: _Problems) -> np.ndarray:
    raw = table.frame[column]
    if raw.dtype == bool:
        return raw.to_numpy()
    text = raw.astype(str).str.strip().str.lower()
    is_true, is_false = text.isin(_TRUE).to_numpy(), text.isin(_FALSE).to_numpy()
    problems.add_mask(
        table,
        column,
        ~(is_true | is_false),
        lambda i: f"{raw.iloc[i]!r} is not true/false (allowed: True/False, yes/no, 1/0)",
    )
    return is_true


def _labels(table: _Table, column: str, problems: _Problems) -> np.ndarray:
    """Non-missing text labels, stripped of surrounding spaces."""
    raw = table.frame[column]
    missing = ~_present(raw)
    text = raw.astype(str).str.strip()
    missing |= (text == "").to_numpy()
    problems.add_mask(table, column, missing, lambda i: "missing value")
    return text.to_numpy(dtype=object)


def _ids(tables: list[tuple[_Table, str]], problems: _Problems) -> list[np.ndarray]:
    """Patient (or trial) identifiers: integers when every one is an integer, else text."""
    import pandas as pd

    out = []
    for table, column in tables:
        raw = table.frame[column]
        if pd.api.types.is_numeric_dtype(raw) and raw.dtype != bool:
            vals = raw.to_numpy(dtype=float)
            bad = ~np.isfinite(vals) | (vals != np.round(vals))
            problems.add_mask(
                table, column, bad, lambda i, raw=raw: f"{raw.iloc[i]!r} is not a whole-number identifier"
            )
            out.append(np.array([str(int(v)) if np.isfinite(v) else "" for v in vals], dtype=object))
        else:
            out.append(_labels(table, column, problems))
    if all(all(_INTEGER.match(v) for v in ids if v) for ids in out):
        return [np.array([int(v) if v else 0 for v in ids], dtype=np.int64) for ids in out]
    return out


def _categories(table, column, values, allowed, problems, aliases=None):
    text = np.array([str(v).strip().lower() for v in values], dtype=object)
    if aliases:
        text = np.array([aliases.get(v, v) for v in text], dtype=object)
    bad = ~np.isin(text, list(allowed))
    problems.add_mask(
        table, column, bad & _present(table.frame[column]), lambda i: f"{values[i]!r} is not one of {list(allowed)}"
    )
    return text


def read_cohort(
    patients: str | os.PathLike[str] | pd.DataFrame,
    flares: str | os.PathLike[str] | pd.DataFrame | None = None,
    visits: str | os.PathLike[str] | pd.DataFrame | None = None,
    *,
    arm_order: Sequence[str] | None = None,
    sep: str | None = None,
    decimal: str | None = None,
) -> Cohort:
    """Read a user's own patients and flares tables into the lupusstats table shapes.

    The patients table needs ``patient``, ``arm`` and ``followup_years``; the
    flares table needs ``patient``, ``time_years`` (since randomisation, in
    years) and ``severity`` (mild/moderate/severe).  Every other column of
    ``lupusstats.columns`` is optional and checked when present: ``completed``
    and ``drug_free_remission`` (true/false), ``baseline_sledai`` and
    ``ae_<event>`` counts (whole numbers >= 0), ``organ`` (a BILAG domain;
    "hematological" is read as "haematological"), ``sledai_increase``.  With
    a ``trial`` column in both tables, patients are identified by
    (trial, patient).  Other columns are kept as they are.

    The patient summaries ``n_flares``, ``n_severe_flares``,
    ``first_flare_years`` and ``first_severe_flare_years`` are computed from
    the flares table when the patients table lacks them and must agree with it
    when present (times within 1e-6 years).

    Impossible rows are refused, never dropped: a missing or non-numeric
    value, a negative or zero follow-up, a negative flare time, a flare after
    the patient's follow-up ended, a flare of a patient not in the patients
    table or in another arm than the patient's, a duplicate patient, an
    unknown severity or organ, a flare count that disagrees with the flares
    listed, a patient who ``died`` yet ``completed`` the follow-up.  The error
    names the file, the line (as an editor shows it; the header is line 1) and
    the column.

    Parameters
    ----------
    patients : str, path or DataFrame
        The patients table (CSV file or DataFrame).
    flares : str, path or DataFrame, optional
        The flares table.  Without it, ``n_flares`` must be in the patients
        table and ``.flares`` is None (rate analyses work; severity and
        time-to-flare analyses need the flares).
    visits : str, path or DataFrame, optional
        The visits table, one row per patient per visit attended, kept as
        ``.visits`` for the trial endpoints (``lupusstats.endpoints``): the
        patient keys and ``lupusstats.columns.VISIT_COLUMNS`` (``arm`` optional,
        taken from the patients table; ``upcr``/``egfr`` optional, may be
        empty).  Checked like the other tables: whole weeks >= 0 and not after
        the follow-up, SLEDAI-2K 0-105 with the clinical score not above it,
        PGA 0-3, prednisone >= 0, true/false flags, BILAG grades A-E (stored
        as an ordered Categorical), one row per (patient, week), a week-0 row
        for every patient in it.
    arm_order : sequence of str, optional
        Order of the arms; the first is the reference arm of the analyses.
        Default: order of first appearance in the patients table.  Every arm in
        the data must be listed, and every listed arm must have patients.
    sep : str
        CSV field separator (e.g. ``";"``).

    Returns
    -------
    Cohort
        With ``.patients`` and ``.flares`` DataFrames shaped like those of
        :func:`ls.simulate_cohort`, and ``.arm_names``.

    Raises
    ------
    FileNotFoundError
        A file that does not exist.
    TypeError
        A table that is neither a path nor a DataFrame; `arm_order` not a sequence of strings.
    ValueError
        An unreadable file, a missing column, an impossible row (see above),
        an `arm_order` that does not match the arms in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> patients = pd.DataFrame({"patient": [1, 2, 3], "arm": ["placebo", "placebo", "MSC"],
    ...                          "followup_years": [1.0, 0.5, 1.0]})
    >>> flares = pd.DataFrame({"patient": [1, 1, 3], "time_years": [0.2, 0.7, 0.4],
    ...                        "severity": ["mild", "severe", "moderate"]})
    >>> cohort = ls.read_cohort(patients, flares)
    >>> cohort.arm_names
    ('placebo', 'MSC')
    >>> cohort.patients["n_flares"].tolist()
    [2, 0, 1]
    >>> bad = flares.assign(time_years=[0.2, 1.5, 0.4])
    >>> ls.read_cohort(patients, bad)
    Traceback (most recent call last):
    ...
    ValueError: cannot use the cohort data, 1 impossible value(s) (no row was dropped): `flares` row 1, ...
    flare at 1.5 years is after the end of follow-up of patient 1 (1.0 years; `patients` row 0)
    """
    import pandas as pd

    if arm_order is not None:
        if (
            isinstance(arm_order, str)
            or not isinstance(arm_order, Sequence)
            or not all(isinstance(a, str) for a in arm_order)
        ):
            raise TypeError(f"`arm_order` must be a list of arm names (strings), got {arm_order!r}.")
        arm_order = [a.strip() for a in arm_order]
        if len(set(arm_order)) != len(arm_order):
            raise ValueError(f"`arm_order` must not repeat an arm, got {arm_order}.")
    if sep is not None and (not isinstance(sep, str) or not sep):
        raise TypeError(f"`sep` must be a non-empty string or None (detect), got {sep!r}.")
    if decimal is not None and decimal not in (".", ","):
        raise ValueError(f"`decimal` must be '.', ',' or None (detect), got {decimal!r}.")

    notes: list[str] = []
    pt = _load("patients", patients, sep, decimal, notes)
    ft = None if flares is None else _load("flares", flares, sep, decimal, notes)
    vt = None if visits is None else _load("visits", visits, sep, decimal, notes)
    _dates_to_years(pt, ft, notes)
    if ft is None and C.PATIENT in pt.frame.columns and C.N_FLARES not in pt.frame.columns:
        raise ValueError(
            f"{pt.name} has no {C.N_FLARES!r} column and no flares table was given; "
            f"pass the flares table or add the flare counts."
        )
    _require(pt, REQUIRED_PATIENT_COLUMNS, "")
    if ft is not None:
        _require(ft, REQUIRED_FLARE_COLUMNS, "")
        if C.TRIAL in pt.frame.columns and C.TRIAL not in ft.frame.columns:
            raise ValueError(
                f"{pt.name} has a {C.TRIAL!r} column, so {ft.name} needs one too "
                f"(patients are identified by trial and patient)."
            )
    problems = _Problems()
    P = pt.frame
    n_p = len(P)
    if n_p == 0:
        raise ValueError(f"{pt.name} has no patients (only a header).")

    # -- identifiers --------------------------------------------------------------
    keys = [C.TRIAL, C.PATIENT] if C.TRIAL in P.columns else [C.PATIENT]
    id_tables = [(pt, k) for k in keys] + ([(ft, k) for k in keys] if ft is not None else [])
    if vt is not None:
        _require(vt, [*keys, *REQUIRED_VISIT_COLUMNS], "")
        id_tables += [(vt, k) for k in keys]
    id_values = {}
    for key in keys:
        pair = [(t, c) for t, c in id_tables if c == key]
        for (t, _), ids in zip(pair, _ids(pair, problems), strict=True):
            id_values[(t.name, key)] = ids

    # -- patients columns -----------------------------------------------------------
    out = {k: id_values[(pt.name, k)] for k in keys}
    arms = _labels(pt, C.ARM, problems)
    follow = _numbers(pt, C.FOLLOWUP_YEARS, problems)
    problems.add_mask(
        pt, C.FOLLOWUP_YEARS, follow <= 0, lambda i: f"follow-up must be > 0 years, got {P[C.FOLLOWUP_YEARS].iloc[i]!r}"
    )
    out[C.ARM], out[C.FOLLOWUP_YEARS] = arms, follow
    for col in (C.COMPLETED, C.DIED, C.DRUG_FREE_REMISSION):
        if col in P.columns:
            out[col] = _booleans(pt, col, problems)
    if C.COMPLETED in out and C.DIED in out:
        problems.add_mask(
            pt, C.DIED, out[C.DIED] & out[C.COMPLETED], lambda i: "died during follow-up but `completed` is true"
        )
    counts = [
        c for c in P.columns if c in (C.BASELINE_SLEDAI, C.N_FLARES, C.N_SEVERE_FLARES) or c.startswith(C.AE_PREFIX)
    ]
    for col in counts:
        vals = _numbers(pt, col, problems, whole=True)
        problems.add_mask(pt, col, vals < 0, lambda i, col=col: f"must be >= 0, got {P[col].iloc[i]!r}")
        out[col] = vals
    for col in (C.FIRST_FLARE_YEARS, C.FIRST_SEVERE_FLARE_YEARS):
        if col in P.columns:
            vals = _numbers(pt, col, problems, missing_ok=True)
            problems.add_mask(pt, col, vals < 0, lambda i, col=col: f"negative time {P[col].iloc[i]!r}")
            problems.add_mask(
                pt,
                col,
                vals > follow + _TIME_TOL,
                lambda i, col=col: (
                    f"{P[col].iloc[i]} years is after the end of follow-up ({P[C.FOLLOWUP_YEARS].iloc[i]} years)"
                ),
            )
            out[col] = vals
    problems.raise_if_any()  # the checks below need clean columns

    key_frame = pd.DataFrame({k: out[k] for k in keys})
    dup = key_frame.duplicated(keep=False).to_numpy()
    if dup.any():
        first = int(np.flatnonzero(dup)[0])
        same = np.flatnonzero((key_frame == key_frame.iloc[first]).all(axis=1).to_numpy())
        problems.add(
            pt,
            C.PATIENT,
            np.flatnonzero(dup),
            [
                f"patient {_who(key_frame, first)} appears more than once (also "
                f"{', '.join(pt.row(int(j)) for j in same[1:4])})"
            ],
        )
    if C.N_SEVERE_FLARES in out and C.N_FLARES in out:
        problems.add_mask(
            pt,
            C.N_SEVERE_FLARES,
            out[C.N_SEVERE_FLARES] > out[C.N_FLARES],
            lambda i: f"{int(out[C.N_SEVERE_FLARES][i])} severe flares but only {int(out[C.N_FLARES][i])} flares",
        )
    for col, count_col in ((C.FIRST_FLARE_YEARS, C.N_FLARES), (C.FIRST_SEVERE_FLARE_YEARS, C.N_SEVERE_FLARES)):
        if col in out and count_col in out:
            has = out[count_col] > 0
            problems.add_mask(
                pt, col, has & np.isnan(out[col]), lambda i, c=count_col: f"missing, but {c} is {int(out[c][i])}"
            )
            problems.add_mask(
                pt,
                col,
                ~has & ~np.isnan(out[col]),
                lambda i, col=col, c=count_col: f"{out[col][i]} but {c} is 0 (leave it empty)",
            )
    if C.FIRST_FLARE_YEARS in out and C.FIRST_SEVERE_FLARE_YEARS in out:
        problems.add_mask(
            pt,
            C.FIRST_SEVERE_FLARE_YEARS,
            out[C.FIRST_SEVERE_FLARE_YEARS] < out[C.FIRST_FLARE_YEARS] - _TIME_TOL,
            lambda i: (
                f"first severe flare ({out[C.FIRST_SEVERE_FLARE_YEARS][i]}) before the first "
                f"flare ({out[C.FIRST_FLARE_YEARS][i]})"
            ),
        )

    # -- arms -----------------------------------------------------------------------
    seen = list(dict.fromkeys(arms.tolist()))
    if arm_order is None:
        arm_names = seen
    else:
        unknown = np.flatnonzero(~np.isin(arms, arm_order))
        problems.add(
            pt, C.ARM, unknown, [f"arm {arms[unknown[0]]!r} is not in `arm_order` {arm_order}"] if unknown.size else []
        )
        empty = [a for a in arm_order if a not in seen]
        if empty:
            raise ValueError(
                f"`arm_order` lists arm(s) {empty} that no patient in {pt.name} is in; the arms in the data are {seen}."
            )
        arm_names = list(arm_order)

    # -- flares ---------------------------------------------------------------------
    flare_frame = None
    if ft is not None:
        F = ft.frame
        fkeys = pd.DataFrame({k: id_values[(ft.name, k)] for k in keys})
        lookup = (
            pd.Series(np.arange(n_p), index=pd.MultiIndex.from_frame(key_frame))
            if len(keys) > 1
            else pd.Series(np.arange(n_p), index=key_frame[keys[0]])
        )
        if dup.any():
            lookup = lookup[~lookup.index.duplicated()]
        where = (
            lookup.reindex(pd.MultiIndex.from_frame(fkeys)) if len(keys) > 1 else lookup.reindex(fkeys[keys[0]])
        ).to_numpy()
        orphan = np.isnan(where)
        problems.add_mask(ft, C.PATIENT, orphan, lambda i: f"patient {_who(fkeys, i)} is not in {pt.name}")
        row = np.where(orphan, 0, where).astype(np.int64)
        times = _numbers(ft, C.TIME_YEARS, problems)
        problems.add_mask(ft, C.TIME_YEARS, times < 0, lambda i: f"negative flare time {F[C.TIME_YEARS].iloc[i]!r}")
        late = ~orphan & (times > follow[row] + _TIME_TOL)
        problems.add_mask(
            ft,
            C.TIME_YEARS,
            late,
            lambda i: (
                f"flare at {F[C.TIME_YEARS].iloc[i]} years is after the end of follow-up of "
                f"patient {_who(fkeys, i)} ({P[C.FOLLOWUP_YEARS].iloc[row[i]]} years; "
                f"{pt.row(int(row[i]))})"
            ),
        )
        severity = None
        if C.SEVERITY in F.columns:
            sev_raw = _labels(ft, C.SEVERITY, problems)
            severity = _categories(ft, C.SEVERITY, sev_raw, C.SEVERITY_LEVELS, problems)
        else:
            notes.append(
                f"{ft.name}: no {C.SEVERITY!r} column, so no severe-flare summaries "
                f"({C.N_SEVERE_FLARES}, {C.FIRST_SEVERE_FLARE_YEARS}) and no severity analyses"
            )
        fout = {k: fkeys[k].to_numpy() for k in keys}
        flare_arm = arms[row]
        if C.ARM in F.columns:
            farm = _labels(ft, C.ARM, problems)
            other = ~orphan & (farm != flare_arm) & np.isin(farm, seen)
            problems.add_mask(
                ft,
                C.ARM,
                ~np.isin(farm, seen) & (farm != ""),
                lambda i: f"unknown arm {farm[i]!r}; the arms in {pt.name} are {seen}",
            )
            problems.add_mask(
                ft,
                C.ARM,
                other,
                lambda i: (
                    f"arm {farm[i]!r}, but patient {_who(fkeys, i)} is in arm {flare_arm[i]!r} ({pt.row(int(row[i]))})"
                ),
            )
        fout[C.ARM] = flare_arm
        fout[C.TIME_YEARS] = times
        if severity is not None:
            fout[C.SEVERITY] = severity
        if C.ORGAN in F.columns:
            organ_raw = _labels(ft, C.ORGAN, problems)
            fout[C.ORGAN] = _categories(ft, C.ORGAN, organ_raw, C.ORGAN_DOMAINS, problems, _ORGAN_ALIASES)
        if C.SLEDAI_INCREASE in F.columns:
            inc = _numbers(ft, C.SLEDAI_INCREASE, problems, whole=True)
            problems.add_mask(
                ft, C.SLEDAI_INCREASE, inc < 0, lambda i: f"must be >= 0, got {F[C.SLEDAI_INCREASE].iloc[i]!r}"
            )
            fout[C.SLEDAI_INCREASE] = inc
        problems.raise_if_any()

        # summaries from the flares table: computed when absent, checked when present
        n_all = np.bincount(row, minlength=n_p)
        first_all = np.full(n_p, np.inf)
        np.minimum.at(first_all, row, times)
        derived = {
            C.N_FLARES: n_all,
            C.FIRST_FLARE_YEARS: np.where(np.isinf(first_all), np.nan, first_all),
        }
        if severity is not None:
            severe = severity == "severe"
            n_sev = np.bincount(row, weights=severe, minlength=n_p).astype(np.int64)
            first_sev = np.full(n_p, np.inf)
            np.minimum.at(first_sev, row[severe], times[severe])
            derived[C.N_SEVERE_FLARES] = n_sev
            derived[C.FIRST_SEVERE_FLARE_YEARS] = np.where(np.isinf(first_sev), np.nan, first_sev)
        computed = []
        for col, value in derived.items():
            if col not in out:
                out[col] = value
                computed.append(col)
                continue
            given = out[col]
            if col in (C.N_FLARES, C.N_SEVERE_FLARES):
                what = "flares" if col == C.N_FLARES else "severe flares"
                problems.add_mask(
                    pt,
                    col,
                    given != value,
                    lambda i, g=given, v=value, w=what: (
                        f"{int(g[i])}, but {ft.name} lists {int(v[i])} {w} of patient {_who(key_frame, i)}"
                    ),
                )
            else:
                differ = (np.isnan(given) != np.isnan(value)) | (np.abs(given - value) > _TIME_TOL)
                problems.add_mask(
                    pt,
                    col,
                    differ,
                    lambda i, g=given, v=value: (
                        f"{g[i]}, but the earliest matching flare in "
                        f"{ft.name} is at {v[i]} (remove the column to have it computed from the flares)"
                    ),
                )
        flare_frame = pd.DataFrame(fout)
    else:
        computed = []
    problems.raise_if_any()

    # -- assemble with the simulator's dtypes ---------------------------------------------
    arm_dtype = pd.CategoricalDtype(arm_names, ordered=False)
    table = {}
    for col in C.PATIENT_COLUMNS:
        if col in out:
            table[col] = out[col]
    extra_ae = [c for c in out if c.startswith(C.AE_PREFIX)]
    for col in extra_ae:
        table[col] = out[col]
    frame = pd.DataFrame(table)
    frame[C.ARM] = pd.Categorical(frame[C.ARM].astype(str), dtype=arm_dtype)
    for col in (C.BASELINE_SLEDAI, C.N_FLARES, C.N_SEVERE_FLARES, *extra_ae):
        if col in frame.columns:
            frame[col] = frame[col].astype(np.int64)
    for col in P.columns:  # other columns are kept, unchanged
        if col not in frame.columns:
            frame[col] = P[col].to_numpy()
    if ft is not None and flare_frame is not None:  # both or neither
        flare_frame[C.ARM] = pd.Categorical(flare_frame[C.ARM].astype(str), dtype=arm_dtype)
        if C.SEVERITY in flare_frame.columns:
            flare_frame[C.SEVERITY] = pd.Categorical(
                flare_frame[C.SEVERITY].astype(str), categories=list(C.SEVERITY_LEVELS), ordered=True
            )
        if C.ORGAN in flare_frame.columns:
            flare_frame[C.ORGAN] = pd.Categorical(flare_frame[C.ORGAN].astype(str), categories=list(C.ORGAN_DOMAINS))
        if C.SLEDAI_INCREASE in flare_frame.columns:
            flare_frame[C.SLEDAI_INCREASE] = flare_frame[C.SLEDAI_INCREASE].astype(np.int64)
        for col in ft.frame.columns:
            if col not in flare_frame.columns:
                flare_frame[col] = ft.frame[col].to_numpy()
    visit_frame = None
    if vt is not None:
        vkeys = pd.DataFrame({k: id_values[(vt.name, k)] for k in keys})
        visit_frame = _read_visits(vt, vkeys, key_frame, dup, pt, arms, follow, arm_dtype)
    source = (pt.name,) + ((ft.name,) if ft is not None else ()) + ((vt.name,) if vt is not None else ())
    return Cohort(
        frame,
        flare_frame,
        arm_names=tuple(arm_names),
        source=source,
        computed=tuple(computed),
        visits=visit_frame,
        notes=tuple(notes),
    )


def _dates_to_years(pt: _Table, ft: _Table | None, notes: list[str]) -> None:
    """Replace start_date/end_date/event_date by years, when the years columns are absent.

    Rule: ``followup_years = (end_date - start_date) / 365.25`` and ``time_years =
    (event_date - start_date of the flare's patient) / 365.25``, in whole days
    (dates with a time of day keep it as a fraction of a day).  A date that cannot
    be read, an end before the start, a flare before its patient's start are
    refused with file, line and column.
    """
    import pandas as pd

    P = pt.frame
    use_follow = C.FOLLOWUP_YEARS not in P.columns and START_DATE in P.columns and END_DATE in P.columns
    use_events = ft is not None and C.TIME_YEARS not in ft.frame.columns and EVENT_DATE in ft.frame.columns
    if not (use_follow or use_events):
        return
    if START_DATE not in P.columns:
        raise ValueError(
            f"{ft.name if ft is not None else pt.name} gives {EVENT_DATE!r} but {pt.name} has no {START_DATE!r} "
            f"(the randomisation date each flare date is counted from); add it or give {C.TIME_YEARS!r}."
        )
    problems = _Problems()
    start = _dates(pt, START_DATE, problems)
    if use_follow:
        end = _dates(pt, END_DATE, problems)
        days = (end - start) / np.timedelta64(1, "D")
        problems.add_mask(
            pt,
            END_DATE,
            days <= 0,
            lambda i: f"end of follow-up {P[END_DATE].iloc[i]!r} is not after the start {P[START_DATE].iloc[i]!r}",
        )
        P[C.FOLLOWUP_YEARS] = days / DAYS_PER_YEAR
        notes.append(f"{pt.name}: {C.FOLLOWUP_YEARS} = ({END_DATE} - {START_DATE}) in days / {DAYS_PER_YEAR:g}")
    if use_events and ft is not None:
        F = ft.frame
        keys = [C.TRIAL, C.PATIENT] if C.TRIAL in P.columns and C.TRIAL in F.columns else [C.PATIENT]
        missing = [k for k in keys if k not in F.columns]
        if missing:
            return  # reported by the column check that follows
        key_p = P[keys].astype(str).apply(lambda c: c.str.strip()).agg("|".join, axis=1)
        key_f = F[keys].astype(str).apply(lambda c: c.str.strip()).agg("|".join, axis=1)
        start_of = pd.Series(start, index=key_p.to_numpy())
        start_of = start_of[~start_of.index.duplicated()]
        f_start = start_of.reindex(key_f.to_numpy()).to_numpy()
        event = _dates(ft, EVENT_DATE, problems)
        known = ~pd.isna(f_start)
        days = np.where(known, (event - np.where(known, f_start, event)) / np.timedelta64(1, "D"), 0.0)
        problems.add_mask(
            ft,
            EVENT_DATE,
            days < 0,
            lambda i: f"flare date {F[EVENT_DATE].iloc[i]!r} is before its patient's {START_DATE}",
        )
        F[C.TIME_YEARS] = days / DAYS_PER_YEAR  # unknown patients: reported by the patient check
        notes.append(
            f"{ft.name}: {C.TIME_YEARS} = ({EVENT_DATE} - the patient's {START_DATE}) in days / {DAYS_PER_YEAR:g}"
        )
    problems.raise_if_any()


def _dates(table: _Table, column: str, problems: _Problems) -> np.ndarray:
    """Parse a date column (ISO 8601, e.g. 2024-03-01; Excel dates arrive as ISO text); record bad cells."""
    import pandas as pd

    raw = table.frame[column]
    values = pd.to_datetime(raw.astype("string").str.strip(), format="ISO8601", errors="coerce").to_numpy(
        dtype="datetime64[ns]"
    )
    given = _present(raw) & (raw.astype(str).str.strip() != "").to_numpy()
    problems.add_mask(
        table,
        column,
        given & pd.isna(values),
        lambda i: f"{raw.iloc[i]!r} is not a date (write dates as YYYY-MM-DD)",
    )
    problems.add_mask(table, column, ~given, lambda i: "missing date")
    return values


def _who(keys, i: int) -> str:
    values = keys.iloc[i].tolist()
    if len(values) == 1:
        return repr(values[0]) if isinstance(values[0], str) else str(values[0])
    return f"{values[1]!r} of trial {values[0]!r}"


# Weeks per year, to compare a visit week with the follow-up in years; one week of slack.
_WEEKS_PER_YEAR = 365.25 / 7


def _read_visits(vt: _Table, vkeys, key_frame, dup, pt: _Table, arms, follow, arm_dtype):
    """Check and type a visits table; every problem names the file, the line and the column."""
    import pandas as pd

    problems = _Problems()
    V = vt.frame
    keys = list(vkeys.columns)
    lookup = (
        pd.Series(np.arange(len(key_frame)), index=pd.MultiIndex.from_frame(key_frame))
        if len(keys) > 1
        else pd.Series(np.arange(len(key_frame)), index=key_frame[keys[0]])
    )
    if dup.any():
        lookup = lookup[~lookup.index.duplicated()]
    where = (
        lookup.reindex(pd.MultiIndex.from_frame(vkeys)) if len(keys) > 1 else lookup.reindex(vkeys[keys[0]])
    ).to_numpy()
    orphan = np.isnan(where)
    problems.add_mask(vt, C.PATIENT, orphan, lambda i: f"patient {_who(vkeys, i)} is not in {pt.name}")
    row = np.where(orphan, 0, where).astype(np.int64)
    out = {k: vkeys[k].to_numpy() for k in keys}
    out[C.ARM] = arms[row]
    if C.ARM in V.columns:
        varm = _labels(vt, C.ARM, problems)
        problems.add_mask(
            vt,
            C.ARM,
            ~orphan & (varm != arms[row]) & (varm != ""),
            lambda i: (
                f"arm {varm[i]!r}, but patient {_who(vkeys, i)} is in arm {arms[row[i]]!r} ({pt.row(int(row[i]))})"
            ),
        )
    week = _numbers(vt, C.WEEK, problems, whole=True)
    problems.add_mask(vt, C.WEEK, week < 0, lambda i: f"negative week {V[C.WEEK].iloc[i]!r}")
    late = ~orphan & (week > follow[row] * _WEEKS_PER_YEAR + 1)
    problems.add_mask(
        vt,
        C.WEEK,
        late,
        lambda i: (
            f"visit at week {V[C.WEEK].iloc[i]} is after the end of follow-up of patient {_who(vkeys, i)} "
            f"({follow[row[i]]} years; {pt.row(int(row[i]))})"
        ),
    )
    out[C.WEEK] = week
    for col, high in ((C.SLEDAI, 105), (C.CLINICAL_SLEDAI, 105)):
        vals = _numbers(vt, col, problems, whole=True)
        problems.add_mask(
            vt, col, (vals < 0) | (vals > high), lambda i, col=col: f"{V[col].iloc[i]!r} is not within 0-105"
        )
        out[col] = vals
    problems.add_mask(
        vt,
        C.CLINICAL_SLEDAI,
        out[C.CLINICAL_SLEDAI] > out[C.SLEDAI],
        lambda i: f"{V[C.CLINICAL_SLEDAI].iloc[i]!r} is above the total {C.SLEDAI} {V[C.SLEDAI].iloc[i]!r}",
    )
    pga = _numbers(vt, C.PGA, problems)
    problems.add_mask(vt, C.PGA, (pga < 0) | (pga > 3), lambda i: f"{V[C.PGA].iloc[i]!r} is not within 0-3")
    out[C.PGA] = pga
    pred = _numbers(vt, C.PREDNISONE_MG, problems)
    problems.add_mask(vt, C.PREDNISONE_MG, pred < 0, lambda i: f"negative dose {V[C.PREDNISONE_MG].iloc[i]!r}")
    out[C.PREDNISONE_MG] = pred
    for col in (C.ON_IMMUNOSUPPRESSANT, C.ON_ANTIMALARIAL, C.RESCUE):
        out[col] = _booleans(vt, col, problems)
    letters = [g.lower() for g in C.BILAG_GRADES]
    for col in C.BILAG_COLUMNS:
        out[col] = np.char.upper(_categories(vt, col, _labels(vt, col, problems), letters, problems).astype(str))
    for col in (C.MAJOR_ORGAN_ACTIVITY, C.NEW_ACTIVITY):
        out[col] = _booleans(vt, col, problems)
    for col in C.RENAL_VISIT_COLUMNS:
        if col in V.columns:
            vals = _numbers(vt, col, problems, missing_ok=True)
            problems.add_mask(vt, col, vals < 0, lambda i, col=col: f"negative value {V[col].iloc[i]!r}")
            out[col] = vals
    problems.raise_if_any()

    frame = pd.DataFrame(out)
    same = frame.duplicated(subset=[*keys, C.WEEK], keep=False).to_numpy()
    problems.add_mask(
        vt, C.WEEK, same, lambda i: f"patient {_who(vkeys, i)} has more than one visit at week {V[C.WEEK].iloc[i]}"
    )
    has_base = pd.Series(week == 0).groupby([frame[k] for k in keys]).transform("any").to_numpy()
    problems.add_mask(vt, C.WEEK, ~has_base, lambda i: f"patient {_who(vkeys, i)} has no week-0 (baseline) visit")
    problems.raise_if_any()
    frame[C.ARM] = pd.Categorical(frame[C.ARM].astype(str), dtype=arm_dtype)
    for col in (C.WEEK, C.SLEDAI, C.CLINICAL_SLEDAI):
        frame[col] = frame[col].astype(np.int64)
    grade = pd.CategoricalDtype(list(C.BILAG_GRADES), ordered=True)
    for col in C.BILAG_COLUMNS:
        frame[col] = pd.Categorical(frame[col], dtype=grade)
    for col in V.columns:  # other columns are kept, unchanged
        if col not in frame.columns:
            frame[col] = V[col].to_numpy()
    return frame
