"""Treat-to-target states at a visit: LLDAS, DORIS remission and drug-free remission.

Each state is first an array over visits (``*_state``: True where the patient
is in the state at an attended visit); the endpoints read it at the assessment
visit, optionally **sustained** (in the state at the assessment visit and at
every scheduled visit before it back to `sustained_visits` visits, or spanning
`sustained_weeks` weeks; a missed visit breaks it), and report the **time in
state**: the share of attended post-baseline visits up to the assessment visit
spent in the state.

Sources (keys of ``ENDPOINTS.md``):

* [S27] LLDAS, Franklyn K et al. ARD 2016;75:1615-21, Table 1 (read at
  ard.bmj.com/highwire/markup/226088): (1) SLEDAI-2K <= 4, with no activity in
  major organ systems (renal, CNS, cardiopulmonary, vasculitis, fever) and no
  haemolytic anaemia or gastrointestinal activity; (2) no new features of lupus
  disease activity compared with the previous assessment; (3) SELENA-SLEDAI
  PGA (0-3) <= 1; (4) current prednisolone (or equivalent) <= 7.5 mg daily;
  (5) well-tolerated standard maintenance immunosuppressants and approved
  biologics (allowed: no criterion here).
* [S28] DORIS 2021, van Vollenhoven RF et al. Lupus Sci Med 2021;8:e000538:
  clinical SLEDAI = 0; evaluator's global assessment < 0.5 (0-3); prednisolone
  "5 mg/day or less" (abstract); stable antimalarials, immunosuppressives and
  biologics allowed; serology ignored.
* [S40]-[S43] drug-free ("complete") remission in cohorts (Urowitz 2005: SLEDAI 0
  and no steroids, antimalarials or immunosuppressants; Wilhelm 2016:
  hydroxychloroquine allowed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.endpoints._evaluate import all_met, responder_table
from lupusstats.endpoints.visits import (
    DOMAIN_INDEX,
    GRADE_A,
    GRADE_B,
    TOL,
    VisitArrays,
    as_visit_index,
    take,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "doris_kernel",
    "doris_remission",
    "doris_state",
    "drug_free_kernel",
    "drug_free_remission",
    "drug_free_state",
    "ever_sustained",
    "lldas",
    "lldas_kernel",
    "lldas_state",
    "time_in_state",
]

#: LLDAS cut-offs [S27]: SLEDAI-2K <= 4, PGA <= 1, prednisolone <= 7.5 mg/day.
LLDAS_SLEDAI, LLDAS_PGA, LLDAS_PREDNISONE_MG = 4, 1.0, 7.5
#: DORIS 2021 cut-offs [S28]: PGA < 0.5, prednisolone 5 mg/day.
DORIS_PGA, DORIS_PREDNISONE_MG = 0.5, 5.0
_HAEM = DOMAIN_INDEX["haematological"]
_GI = DOMAIN_INDEX["gastrointestinal"]


# --------------------------------------------------------------------------- per-visit criteria
def _lldas_parts(arrays: VisitArrays) -> dict[str, np.ndarray]:
    pred = np.nan_to_num(arrays.prednisone_mg, nan=np.inf)
    pga = np.nan_to_num(arrays.pga, nan=np.inf)
    return {
        "not attended": arrays.attended,
        f"SLEDAI-2K > {LLDAS_SLEDAI}": arrays.sledai <= LLDAS_SLEDAI,
        "major organ activity": ~arrays.major_organ_activity,
        "haemolytic anaemia (BILAG haematological A)": arrays.bilag[..., _HAEM] != GRADE_A,
        "gastrointestinal activity (BILAG A/B)": arrays.bilag[..., _GI] > GRADE_B,
        "new activity": ~arrays.new_activity,
        f"PGA > {LLDAS_PGA:g}": pga <= LLDAS_PGA + TOL,
        f"prednisone > {LLDAS_PREDNISONE_MG:g} mg/day": pred <= LLDAS_PREDNISONE_MG + TOL,
    }


def _check_doris(max_prednisone_mg: object, inclusive: object) -> tuple[float, bool]:
    limit = _v.check_number("max_prednisone_mg", max_prednisone_mg, low=0.0)
    if not isinstance(inclusive, bool):
        raise TypeError(f"`inclusive` must be True (dose <= limit) or False (dose < limit), got {inclusive!r}.")
    return limit, inclusive


def _doris_parts(arrays: VisitArrays, max_prednisone_mg: float, inclusive: bool) -> dict[str, np.ndarray]:
    pred = np.nan_to_num(arrays.prednisone_mg, nan=np.inf)
    pga = np.nan_to_num(arrays.pga, nan=np.inf)
    sign = "<=" if inclusive else "<"
    ok_pred = pred <= max_prednisone_mg + TOL if inclusive else pred < max_prednisone_mg - TOL
    return {
        "not attended": arrays.attended,
        "clinical SLEDAI > 0": arrays.clinical_sledai == 0,
        f"PGA >= {DORIS_PGA:g}": pga < DORIS_PGA - TOL,
        f"prednisone not {sign} {max_prednisone_mg:g} mg/day": ok_pred,
    }


def _drug_free_parts(arrays: VisitArrays, definition: str, allow_antimalarials: bool) -> dict[str, np.ndarray]:
    if definition == "doris":
        parts = _doris_parts(arrays, DORIS_PREDNISONE_MG, True)
        parts.pop(next(k for k in parts if k.startswith("prednisone")))
    else:
        parts = {"not attended": arrays.attended, "clinical SLEDAI > 0": arrays.clinical_sledai == 0}
    pred = np.nan_to_num(arrays.prednisone_mg, nan=np.inf)
    parts["on glucocorticoids"] = pred <= TOL
    parts["on an immunosuppressant"] = ~arrays.on_immunosuppressant
    if not allow_antimalarials:
        parts["on an antimalarial"] = ~arrays.on_antimalarial
    return parts


def _check_drug_free(definition: object, allow_antimalarials: object) -> tuple[str, bool]:
    definition = _v.check_choice("definition", definition, ("clinical_sledai", "doris"))
    if not isinstance(allow_antimalarials, bool):
        raise TypeError(f"`allow_antimalarials` must be True or False, got {allow_antimalarials!r}.")
    return definition, allow_antimalarials


def lldas_state(arrays: VisitArrays) -> np.ndarray:
    """LLDAS (Franklyn 2016, [S27]) at every visit: bool array ``(..., n_visits)``.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.

    Returns
    -------
    ndarray of bool
        True at an attended visit meeting every LLDAS criterion.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import lldas_state
    >>> z = np.zeros((1, 2), bool)
    >>> arrays = VisitArrays(week=np.array([0, 4]), attended=~z, sledai=np.array([[4, 4]]),
    ...     clinical_sledai=np.array([[2, 2]]), pga=np.array([[1.0, 1.0]]), prednisone_mg=np.array([[7.5, 7.6]]),
    ...     on_immunosuppressant=~z, on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 2, 9), 3, np.int8))
    >>> lldas_state(arrays)
    array([[ True, False]])
    """
    return all_met(_lldas_parts(arrays))


def doris_state(arrays: VisitArrays, *, max_prednisone_mg: float = 5.0, inclusive: bool = True) -> np.ndarray:
    """DORIS 2021 remission ([S28]) at every visit: bool array ``(..., n_visits)``.

    Clinical SLEDAI 0, PGA < 0.5 and prednisone <= `max_prednisone_mg`
    (``inclusive=True``, "5 mg/day or less" as the paper's abstract says) or
    < it (``inclusive=False``, "<5 mg/day" as its Table 2's final
    recommendation says: the paper is inconsistent, ENDPOINTS.md section 5).

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    max_prednisone_mg : float
        The prednisone cut-off, mg/day (default 5).
    inclusive : bool
        Whether a dose equal to the cut-off is allowed (default True).

    Returns
    -------
    ndarray of bool
        True at an attended visit in DORIS remission.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import doris_state
    >>> z = np.zeros((1, 1), bool)
    >>> arrays = VisitArrays(week=np.array([0]), attended=~z, sledai=np.array([[2]]),
    ...     clinical_sledai=np.array([[0]]), pga=np.array([[0.2]]), prednisone_mg=np.array([[5.0]]),
    ...     on_immunosuppressant=z, on_antimalarial=~z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 1, 9), 3, np.int8))
    >>> doris_state(arrays), doris_state(arrays, inclusive=False)
    (array([[ True]]), array([[False]]))
    """
    limit, inclusive = _check_doris(max_prednisone_mg, inclusive)
    return all_met(_doris_parts(arrays, limit, inclusive))


def drug_free_state(
    arrays: VisitArrays, *, definition: str = "clinical_sledai", allow_antimalarials: bool = True
) -> np.ndarray:
    """Drug-free remission at every visit: bool array ``(..., n_visits)``.

    No disease activity -- clinical SLEDAI 0 (``definition="clinical_sledai"``)
    or DORIS remission (``"doris"``) -- with no glucocorticoid (prednisone 0),
    no immunosuppressant and, unless `allow_antimalarials`, no antimalarial.
    Sources: [S40] Urowitz 2005 (complete remission: SLEDAI 0 with no
    steroids, antimalarials or immunosuppressants), [S43] Wilhelm 2016
    (remission off treatment with hydroxychloroquine allowed).

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    definition : {"clinical_sledai", "doris"}
        The activity criterion.
    allow_antimalarials : bool
        Whether an antimalarial is allowed (default True).

    Returns
    -------
    ndarray of bool
        True at an attended visit in drug-free remission.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import drug_free_state
    >>> z = np.zeros((1, 2), bool)
    >>> arrays = VisitArrays(week=np.array([0, 4]), attended=~z, sledai=np.zeros((1, 2), int),
    ...     clinical_sledai=np.zeros((1, 2), int), pga=np.zeros((1, 2)), prednisone_mg=np.array([[2.5, 0.0]]),
    ...     on_immunosuppressant=z, on_antimalarial=~z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 2, 9), 3, np.int8))
    >>> drug_free_state(arrays), drug_free_state(arrays, allow_antimalarials=False)
    (array([[False,  True]]), array([[False, False]]))
    """
    definition, allow = _check_drug_free(definition, allow_antimalarials)
    return all_met(_drug_free_parts(arrays, definition, allow))


# --------------------------------------------------------------------------- sustained, time in state
def _check_sustained(sustained_visits: object, sustained_weeks: object) -> tuple[int, int | None]:
    n = _v.check_int("sustained_visits", sustained_visits, minimum=1)
    if sustained_weeks is not None:
        if n != 1:
            raise ValueError("give `sustained_visits` or `sustained_weeks`, not both.")
        return 1, _v.check_int("sustained_weeks", sustained_weeks, minimum=0)
    return n, None


def _sustained(
    state: np.ndarray, arrays: VisitArrays, visit, sustained_visits: int, sustained_weeks: int | None
) -> np.ndarray:
    """In `state` at `visit` and at every scheduled visit of the window before it."""
    idx = np.arange(arrays.n_visits)
    v = np.broadcast_to(np.asarray(visit), arrays.shape)
    if sustained_weeks is None:
        start = v - (sustained_visits - 1)
    else:
        target = arrays.week[v] - sustained_weeks
        # the last scheduled visit at or before `target` (-1 if the grid does not reach back so far)
        start = np.searchsorted(arrays.week, target, side="right") - 1
        start = np.where(target < 0, -1, start)
    window = (idx >= start[..., None]) & (idx <= v[..., None])
    return (start >= 0) & np.where(window, state, True).all(axis=-1)


def ever_sustained(
    state: npt.ArrayLike, arrays: VisitArrays, *, sustained_weeks: int, by_week: int | None = None
) -> np.ndarray:
    """Whether a patient was ever in `state` for `sustained_weeks` in a row, by `by_week`: bool ``(...)``.

    Kernel signature: ``ever_sustained(state, arrays, *, sustained_weeks,
    by_week=None)``.  The cumulative form of a sustained state, as cohort
    studies report remission ("remission lasting at least one year at any time
    during follow-up", Urowitz 2005 [S40]): True when, at some attended visit
    up to `by_week` (default: the last scheduled visit), the patient had been
    in `state` at every scheduled visit of the preceding `sustained_weeks`.

    Parameters
    ----------
    state : array of bool, shape (..., n_visits)
        A per-visit state, e.g. :func:`drug_free_state` or :func:`lldas_state`.
    arrays : VisitArrays
        The visits the state was computed from.
    sustained_weeks : int
        Duration of the run (weeks, >= 0).
    by_week : int, optional
        Last scheduled week considered.

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> v = np.ones((1, 5), bool)
    >>> arrays = VisitArrays(week=np.arange(0, 20, 4), attended=v, sledai=np.zeros((1, 5), int),
    ...     clinical_sledai=np.zeros((1, 5), int), pga=np.zeros((1, 5)), prednisone_mg=np.zeros((1, 5)),
    ...     on_immunosuppressant=~v, on_antimalarial=~v, rescue=~v, major_organ_activity=~v,
    ...     new_activity=~v, bilag=np.full((1, 5, 9), 4, np.int8))
    >>> state = np.array([[False, True, True, True, False]])
    >>> ever_sustained(state, arrays, sustained_weeks=8), ever_sustained(state, arrays, sustained_weeks=12)
    (array([ True]), array([False]))
    """
    weeks = _v.check_int("sustained_weeks", sustained_weeks, minimum=0)
    held: np.ndarray = np.asarray(state, dtype=bool) & np.asarray(arrays.attended, dtype=bool)
    last = arrays.n_visits - 1 if by_week is None else arrays.week_index(by_week)
    out = np.zeros(arrays.shape, dtype=bool)
    for visit in range(last + 1):
        out |= _sustained(held, arrays, np.full(arrays.shape, visit), 1, weeks) & held[..., visit]
    return out


def time_in_state(state: npt.ArrayLike, arrays: VisitArrays, visit: int | npt.ArrayLike) -> np.ndarray:
    """Share of the attended post-baseline visits up to `visit` spent in `state` (NaN if none attended).

    Parameters
    ----------
    state : array of bool, shape (..., n_visits)
        A state per visit (:func:`lldas_state`, :func:`doris_state` ...).
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The last visit counted (index), one or one per patient.

    Returns
    -------
    ndarray of float
        The proportion, per patient.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import time_in_state
    >>> z = np.zeros((1, 4), bool)
    >>> arrays = VisitArrays(week=np.array([0, 4, 8, 12]), attended=np.array([[1, 1, 0, 1]], bool),
    ...     sledai=np.zeros((1, 4), int), clinical_sledai=np.zeros((1, 4), int), pga=np.zeros((1, 4)),
    ...     prednisone_mg=np.zeros((1, 4)), on_immunosuppressant=z, on_antimalarial=z, rescue=z,
    ...     major_organ_activity=z, new_activity=z, bilag=np.full((1, 4, 9), 3, np.int8))
    >>> time_in_state(np.array([[0, 1, 0, 0]], bool), arrays, 3)
    array([0.5])
    """
    state = np.asarray(state, dtype=bool)
    visit = as_visit_index(arrays, visit)
    idx = np.arange(arrays.n_visits)
    counted = arrays.attended & (idx >= 1) & (idx <= np.asarray(visit)[..., None])
    n = counted.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (counted & state).sum(axis=-1) / np.maximum(n, 1), np.nan)


def _state_criteria(parts: dict[str, np.ndarray], arrays, visit, sustained_visits, sustained_weeks):
    visit = as_visit_index(arrays, visit)
    out = {name: take(value, visit) for name, value in parts.items()}
    if sustained_visits > 1 or sustained_weeks is not None:
        what = f"{sustained_weeks} weeks" if sustained_weeks is not None else f"{sustained_visits} visits"
        out[f"not sustained for {what}"] = _sustained(all_met(parts), arrays, visit, sustained_visits, sustained_weeks)
    return out


def lldas_criteria(arrays, visit, *, sustained_visits=1, sustained_weeks=None):
    """Each LLDAS criterion at `visit` (name -> met), sustained as asked."""
    n, wk = _check_sustained(sustained_visits, sustained_weeks)
    return _state_criteria(_lldas_parts(arrays), arrays, visit, n, wk)


def doris_criteria(arrays, visit, *, max_prednisone_mg=5.0, inclusive=True, sustained_visits=1, sustained_weeks=None):
    """Each DORIS 2021 criterion at `visit` (name -> met), sustained as asked."""
    limit, inclusive = _check_doris(max_prednisone_mg, inclusive)
    n, wk = _check_sustained(sustained_visits, sustained_weeks)
    return _state_criteria(_doris_parts(arrays, limit, inclusive), arrays, visit, n, wk)


def drug_free_criteria(
    arrays, visit, *, definition="clinical_sledai", allow_antimalarials=True, sustained_visits=1, sustained_weeks=None
):
    """Each drug-free remission criterion at `visit` (name -> met), sustained as asked."""
    definition, allow = _check_drug_free(definition, allow_antimalarials)
    n, wk = _check_sustained(sustained_visits, sustained_weeks)
    return _state_criteria(_drug_free_parts(arrays, definition, allow), arrays, visit, n, wk)


def lldas_kernel(
    arrays: VisitArrays, visit: int | npt.ArrayLike, *, sustained_visits: int = 1, sustained_weeks: int | None = None
) -> np.ndarray:
    """LLDAS at `visit` (sustained over the window if asked), vectorised over the leading axes.

    Kernel signature (``lupusstats.power`` calls it on simulated arrays):
    ``lldas_kernel(arrays, visit, *, sustained_visits=1, sustained_weeks=None)``
    -> bool array of ``arrays.shape``; `visit` one index or one per patient.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The assessment visit index.
    sustained_visits : int
        In LLDAS at this many consecutive scheduled visits ending at `visit`
        (1: at the visit only).
    sustained_weeks : int, optional
        Instead: in LLDAS at every scheduled visit from `sustained_weeks`
        weeks before the visit (a grid not reaching back so far fails).

    Returns
    -------
    ndarray of bool
        True when in LLDAS.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import lldas_kernel
    >>> z = np.zeros((1, 3), bool)
    >>> arrays = VisitArrays(week=np.array([0, 4, 8]), attended=~z, sledai=np.array([[8, 4, 2]]),
    ...     clinical_sledai=np.array([[8, 4, 2]]), pga=np.array([[2.0, 1.0, 0.5]]),
    ...     prednisone_mg=np.array([[10.0, 7.5, 5.0]]), on_immunosuppressant=z, on_antimalarial=z, rescue=z,
    ...     major_organ_activity=z, new_activity=z, bilag=np.full((1, 3, 9), 3, np.int8))
    >>> lldas_kernel(arrays, 2), lldas_kernel(arrays, 2, sustained_visits=3), lldas_kernel(arrays, 2, sustained_weeks=4)
    (array([ True]), array([False]), array([ True]))
    """
    return all_met(lldas_criteria(arrays, visit, sustained_visits=sustained_visits, sustained_weeks=sustained_weeks))


def doris_kernel(
    arrays: VisitArrays,
    visit: int | npt.ArrayLike,
    *,
    max_prednisone_mg: float = 5.0,
    inclusive: bool = True,
    sustained_visits: int = 1,
    sustained_weeks: int | None = None,
) -> np.ndarray:
    """DORIS 2021 remission at `visit` (sustained if asked), vectorised over the leading axes.

    Kernel signature: ``doris_kernel(arrays, visit, *, max_prednisone_mg=5.0,
    inclusive=True, sustained_visits=1, sustained_weeks=None)`` -> bool array
    of ``arrays.shape``.  See :func:`doris_state` for the prednisone cut-off.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The assessment visit index.
    max_prednisone_mg : float
        Prednisone cut-off, mg/day.
    inclusive : bool
        ``<=`` (True, default) or ``<`` (False) the cut-off.
    sustained_visits, sustained_weeks : int
        The sustained window, as :func:`lldas_kernel`.

    Returns
    -------
    ndarray of bool
        True when in remission.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import doris_kernel
    >>> z = np.zeros((1, 2), bool)
    >>> arrays = VisitArrays(week=np.array([0, 52]), attended=~z, sledai=np.array([[6, 2]]),
    ...     clinical_sledai=np.array([[6, 0]]), pga=np.array([[1.0, 0.3]]), prednisone_mg=np.array([[10.0, 5.0]]),
    ...     on_immunosuppressant=z, on_antimalarial=~z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 2, 9), 3, np.int8))
    >>> doris_kernel(arrays, 1), doris_kernel(arrays, 1, inclusive=False)
    (array([ True]), array([False]))
    """
    return all_met(
        doris_criteria(
            arrays,
            visit,
            max_prednisone_mg=max_prednisone_mg,
            inclusive=inclusive,
            sustained_visits=sustained_visits,
            sustained_weeks=sustained_weeks,
        )
    )


def drug_free_kernel(
    arrays: VisitArrays,
    visit: int | npt.ArrayLike,
    *,
    definition: str = "clinical_sledai",
    allow_antimalarials: bool = True,
    sustained_visits: int = 1,
    sustained_weeks: int | None = None,
) -> np.ndarray:
    """Drug-free remission at `visit` (sustained if asked), vectorised over the leading axes.

    Kernel signature: ``drug_free_kernel(arrays, visit, *,
    definition="clinical_sledai", allow_antimalarials=True, sustained_visits=1,
    sustained_weeks=None)`` -> bool array of ``arrays.shape``.  See
    :func:`drug_free_state`.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The assessment visit index.
    definition : {"clinical_sledai", "doris"}
        The activity criterion.
    allow_antimalarials : bool
        Whether an antimalarial is allowed.
    sustained_visits, sustained_weeks : int
        The sustained window, as :func:`lldas_kernel`.

    Returns
    -------
    ndarray of bool
        True when in drug-free remission.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.states import drug_free_kernel
    >>> z = np.zeros((1, 2), bool)
    >>> arrays = VisitArrays(week=np.array([0, 52]), attended=~z, sledai=np.array([[6, 2]]),
    ...     clinical_sledai=np.array([[6, 0]]), pga=np.array([[1.0, 0.3]]), prednisone_mg=np.array([[10.0, 0.0]]),
    ...     on_immunosuppressant=z, on_antimalarial=~z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 2, 9), 3, np.int8))
    >>> drug_free_kernel(arrays, 1), drug_free_kernel(arrays, 1, allow_antimalarials=False)
    (array([ True]), array([False]))
    """
    return all_met(
        drug_free_criteria(
            arrays,
            visit,
            definition=definition,
            allow_antimalarials=allow_antimalarials,
            sustained_visits=sustained_visits,
            sustained_weeks=sustained_weeks,
        )
    )


# --------------------------------------------------------------------------- tables
def _state_table(visits, criteria, state_fn, *, week, estimand, steroid_limit, steroid_window, group, **options):
    def extra(arrays, at):
        state = state_fn(arrays)
        return {"time_in_state": time_in_state(state, arrays, at)}

    return responder_table(
        visits,
        criteria,
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        extra=extra,
        **options,
    )


def lldas(
    visits: Any,
    *,
    week: int = 52,
    sustained_visits: int = 1,
    sustained_weeks: int | None = None,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """Lupus Low Disease Activity State (LLDAS, Franklyn 2016) at `week`, one row per patient.

    In LLDAS at a visit: SLEDAI-2K <= 4; no major organ activity (the
    ``major_organ_activity`` column: renal, CNS, cardiopulmonary, vasculitis,
    fever); no haemolytic anaemia (read as BILAG-2004 haematological A) and no
    gastrointestinal activity (BILAG gastrointestinal A or B); no new activity
    versus the previous visit (``new_activity``); PGA <= 1; prednisone <= 7.5
    mg/day (7.5 keeps LLDAS, 7.6 breaks it); maintenance immunosuppressants
    allowed.  Source: [S27] (Franklyn 2016, Table 1); see the module docstring.

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    week : int
        The assessment visit.
    sustained_visits : int
        Require LLDAS at this many consecutive scheduled visits ending at the
        assessment visit (default 1: at the visit).
    sustained_weeks : int, optional
        Instead, require LLDAS at every scheduled visit in the `sustained_weeks`
        weeks up to the assessment visit.
    estimand : {"composite", "while_on_treatment"}
        Intercurrent events, as :func:`lupusstats.sri_response`.
    steroid_limit : float, optional
        Prohibited prednisone dose (mg/day).
    steroid_window : (float, float), optional
        Weeks in which `steroid_limit` applies.
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per patient: keys, `group`, ``responder`` (in the state at
        the assessment visit, sustained if asked), ``eligible``,
        ``assessed_week``, ``reason`` and ``time_in_state`` (share of attended
        post-baseline visits up to the assessment visit in the state).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(arm="drug", sledai=4, clinical_sledai=2, pga=1.0, on_immunosuppressant=True,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, patient=p, week=w, prednisone_mg=d)
    ...                        for p, d in [(1, 7.5), (2, 7.6)] for w in (0, 52)])
    >>> ls.lldas(visits)[["patient", "responder", "reason"]]
       patient  responder                     reason
    0        1       True
    1        2      False  prednisone > 7.5 mg/day
    """
    return _state_table(
        visits,
        lldas_criteria,
        lldas_state,
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        sustained_visits=sustained_visits,
        sustained_weeks=sustained_weeks,
    )


def doris_remission(
    visits: Any,
    *,
    week: int = 52,
    max_prednisone_mg: float = 5.0,
    inclusive: bool = True,
    sustained_visits: int = 1,
    sustained_weeks: int | None = None,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """DORIS 2021 remission at `week`, one row per patient.

    In remission at a visit: clinical SLEDAI 0 (serology ignored), PGA < 0.5,
    prednisone <= 5 mg/day, antimalarials, immunosuppressants and biologics
    allowed.  The prednisone cut-off: the paper's abstract says "5 mg/day or
    less" and its Table 2's final recommendation says "<5 mg/day"
    ([S28], van Vollenhoven 2021, Lupus Sci Med; both read in stored text).
    The default follows the abstract (``inclusive=True``);
    ``inclusive=False`` applies "<".

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    week : int
        The assessment visit.
    max_prednisone_mg : float
        The prednisone cut-off, mg/day (default 5).
    inclusive : bool
        ``<=`` (True, default) or ``<`` (False) the cut-off.
    sustained_visits : int
        Consecutive scheduled visits in remission ending at the assessment visit.
    sustained_weeks : int, optional
        Instead, weeks of remission up to the assessment visit.
    estimand : {"composite", "while_on_treatment"}
        Intercurrent events, as :func:`lupusstats.sri_response`.
    steroid_limit : float, optional
        Prohibited prednisone dose (mg/day).
    steroid_window : (float, float), optional
        Weeks in which `steroid_limit` applies.
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per patient: keys, `group`, ``responder`` (in the state at
        the assessment visit, sustained if asked), ``eligible``,
        ``assessed_week``, ``reason`` and ``time_in_state`` (share of attended
        post-baseline visits up to the assessment visit in the state).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", sledai=2, clinical_sledai=0, pga=0.2, on_immunosuppressant=False,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=w, prednisone_mg=5.0) for w in (0, 52)])
    >>> ls.doris_remission(visits)["responder"].tolist(), ls.doris_remission(visits, inclusive=False)["reason"].tolist()
    ([True], ['prednisone not < 5 mg/day'])
    """
    _check_doris(max_prednisone_mg, inclusive)
    return _state_table(
        visits,
        doris_criteria,
        lambda a: doris_state(a, max_prednisone_mg=max_prednisone_mg, inclusive=inclusive),
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        max_prednisone_mg=max_prednisone_mg,
        inclusive=inclusive,
        sustained_visits=sustained_visits,
        sustained_weeks=sustained_weeks,
    )


def drug_free_remission(
    visits: Any,
    *,
    week: int = 52,
    definition: str = "clinical_sledai",
    allow_antimalarials: bool = True,
    sustained_visits: int = 1,
    sustained_weeks: int | None = None,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """Drug-free remission at `week`: no activity, no glucocorticoid, no immunosuppressant; one row per patient.

    In drug-free remission at a visit: clinical SLEDAI 0 (or DORIS remission
    with ``definition="doris"``), prednisone 0 (a 2.5 mg day is not drug-free),
    no immunosuppressant, and no antimalarial unless `allow_antimalarials`
    (default True, as Wilhelm 2016 [S43]; False is Urowitz 2005's complete
    remission [S40]).  The question the project asks -- can patients cope
    without drugs? -- is usually posed sustained: pass `sustained_weeks`
    (e.g. 52) or `sustained_visits`.

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    week : int
        The assessment visit.
    definition : {"clinical_sledai", "doris"}
        The activity criterion.
    allow_antimalarials : bool
        Whether an antimalarial is allowed.
    sustained_visits : int
        Consecutive scheduled visits in the state ending at the assessment visit.
    sustained_weeks : int, optional
        Instead, weeks in the state up to the assessment visit.
    estimand : {"composite", "while_on_treatment"}
        Intercurrent events, as :func:`lupusstats.sri_response`.
    steroid_limit : float, optional
        Prohibited prednisone dose (mg/day).
    steroid_window : (float, float), optional
        Weeks in which `steroid_limit` applies.
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per patient: keys, `group`, ``responder`` (in the state at
        the assessment visit, sustained if asked), ``eligible``,
        ``assessed_week``, ``reason`` and ``time_in_state`` (share of attended
        post-baseline visits up to the assessment visit in the state).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", sledai=0, clinical_sledai=0, pga=0.0, on_immunosuppressant=False,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=0, prednisone_mg=5.0), dict(base, week=52, prednisone_mg=2.5)])
    >>> ls.drug_free_remission(visits)["reason"].tolist()
    ['on glucocorticoids']
    """
    _check_drug_free(definition, allow_antimalarials)
    return _state_table(
        visits,
        drug_free_criteria,
        lambda a: drug_free_state(a, definition=definition, allow_antimalarials=allow_antimalarials),
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        definition=definition,
        allow_antimalarials=allow_antimalarials,
        sustained_visits=sustained_visits,
        sustained_weeks=sustained_weeks,
    )
