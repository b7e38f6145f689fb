"""The table layer shared by the endpoint functions: source -> arrays -> estimand -> one row per patient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lupusstats.cohort import columns as C
from lupusstats.cohort.cohort import Cohort
from lupusstats.endpoints import estimands as E
from lupusstats.endpoints.visits import VisitArrays, visit_arrays

Criteria = Callable[..., dict[str, np.ndarray]]


def as_arrays(source: Any, *, group: str = C.ARM, patients: Any = None) -> VisitArrays:
    """A Cohort, a visits DataFrame or a VisitArrays with identifiers, as VisitArrays."""
    import pandas as pd

    if isinstance(source, VisitArrays):
        if source.ids is None:
            raise ValueError(
                "these VisitArrays carry no patient identifiers (`ids` is None, as simulated batches); "
                "call the endpoint's kernel for arrays, or build them with `visit_arrays` from a table."
            )
        return source
    if isinstance(source, Cohort):
        if source.visits is None:
            raise ValueError(
                "the cohort has no visits table (`cohort.visits` is None); the trial endpoints are computed "
                "from visits: read them with `read_cohort(..., visits=...)`."
            )
        keys = [k for k in (C.TRIAL, C.PATIENT) if k in source.visits.columns]
        use_patients = patients
        if use_patients is None and all(k in source.patients.columns for k in [*keys, group]):
            use_patients = source.patients
        return visit_arrays(source.visits, patients=use_patients, group=group)
    if isinstance(source, pd.DataFrame):
        return visit_arrays(source, patients=patients, group=group)
    raise TypeError(
        "the visits (`visits`, or `cohort`) must be a Cohort, a visits DataFrame or VisitArrays, "
        f"got {type(source).__name__}."
    )


def all_met(criteria: dict[str, np.ndarray]) -> np.ndarray:
    """True where every criterion is met (element-wise AND of the dict's arrays)."""
    out = None
    for met in criteria.values():
        out = met if out is None else out & met
    assert out is not None
    return out


def first_failed(criteria: dict[str, np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The name of the first criterion not met ("" when all are met), per patient."""
    reason = np.full(shape, "", dtype=object)
    for name, met in reversed(list(criteria.items())):
        reason = np.where(met, reason, name)
    return reason


def responder_table(
    source: Any,
    criteria: Criteria,
    *,
    week: int,
    estimand: str,
    steroid_limit: float | None,
    steroid_window: tuple[float, float] | None,
    group: str,
    patients: Any = None,
    eligible: Callable[[VisitArrays], np.ndarray] | None = None,
    extra: Callable[[VisitArrays, np.ndarray], dict[str, np.ndarray]] | None = None,
    requires_renal: str | None = None,
    **options: Any,
):
    """One row per patient: ids, ``responder``, ``eligible``, ``assessed_week``, ``reason`` (+ extra columns)."""

    E.check_estimand(estimand)
    E.check_steroid_rule(steroid_limit, steroid_window)
    arrays = as_arrays(source, group=group, patients=patients)
    if requires_renal and not arrays.has_renal:
        raise ValueError(
            f"the {requires_renal} endpoint needs the nephritis columns {list(C.RENAL_VISIT_COLUMNS)} in the visits "
            "table; these visits have none."
        )
    w = arrays.week_index(week)
    visit, event = E.assessment_visit(
        arrays, w, estimand=estimand, steroid_limit=steroid_limit, steroid_window=steroid_window
    )
    ok = event == E.NONE if estimand == "composite" else visit >= 0
    at = np.maximum(visit, 0)
    crit = criteria(arrays, at, **options)
    met = all_met(crit) & ok
    reason = first_failed(crit, arrays.shape)
    ice = np.array([E.EVENT_NAMES[int(e)] for e in event.ravel()], dtype=object).reshape(event.shape)
    if estimand == "composite":
        reason = np.where(ok, reason, ice)
    else:
        note = np.where(event != E.NONE, " (assessed before: " + ice + ")", "")
        reason = np.where(ok, np.where(reason == "", "", reason + note), ice)
    elig = np.ones(arrays.shape, bool) if eligible is None else eligible(arrays)
    reason = np.where(elig, reason, "not eligible")
    met &= elig
    out = arrays.ids.copy()
    out["responder"] = met
    out["eligible"] = elig
    out["assessed_week"] = np.where(visit >= 0, arrays.week[at], -1)
    out["reason"] = np.where(met, "", reason)
    if extra is not None:
        for name, value in extra(arrays, at).items():
            out[name] = value
    return out
