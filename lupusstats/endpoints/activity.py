"""Responder indices of disease activity: the SLE Responder Index (SRI-4 .. SRI-8) and BICLA.

Both compare the assessment visit with baseline (week 0).  A BILAG-2004 domain
is **new A** when it is graded A at the visit and was not A at baseline, and
**new B** when it is graded B at the visit and was C, D or E at baseline.

Sources (keys of ``ENDPOINTS.md`` in the design notes):

* [S6], [S7] SRI: Furie R et al., Arthritis Rheum 2011 (BLISS-76), PMC5007058;
  BMJ Open BLISS outcomes table.  SRI response = a reduction of >= 4 points in
  SELENA-SLEDAI; no new BILAG A and no more than one new B; no worsening of PGA,
  worsening being an increase >= 0.3 (read again in lupus.bmj.com
  highwire/markup/135680: "No new BILAG A score and <=1 new B score",
  "no worsening (SE) >=0.3-point increase").  SRI-5 .. SRI-8 raise the
  SLEDAI reduction to 5 .. 8 points, as the BLISS post hoc analyses did.
* [S26] BICLA: Wallace DJ et al., Arthritis Rheum 2011;63:S894 (abstract),
  as quoted on the ePROVIDE BICLA page: (1) at least one gradation of
  improvement in every body system graded A or B at entry (A to B, C or D; B to
  C or D); (2) no new BILAG A and no more than one new B; (3) no worsening of
  total SLEDAI from baseline; (4) no significant deterioration (<= 10%) in PGA;
  (5) no treatment failure (initiation of non-protocol treatment).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.endpoints._evaluate import all_met, responder_table
from lupusstats.endpoints.visits import GRADE_A, GRADE_B, GRADE_C, TOL, VisitArrays, as_visit_index, take, take_bilag

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["bicla_kernel", "bicla_response", "sri_kernel", "sri_response"]

#: PGA worsening that fails the SRI: an increase of 0.3 or more (0-3 scale) [S6], [S7].
SRI_PGA_WORSENING = 0.3
#: PGA deterioration that fails BICLA: more than 10% above baseline [S26].
BICLA_PGA_DETERIORATION = 0.10


def _new_bilag(arrays: VisitArrays, visit) -> tuple[np.ndarray, np.ndarray]:
    """Counts of new A and new B domains at `visit` versus baseline."""
    now = take_bilag(arrays.bilag, visit)
    base = arrays.bilag[..., 0, :]
    new_a = ((now == GRADE_A) & (base != GRADE_A)).sum(axis=-1)
    new_b = ((now == GRADE_B) & (base >= GRADE_C)).sum(axis=-1)
    return new_a, new_b


def _check_k(k: object) -> int:
    k = _v.check_int("k", k)
    if not 4 <= k <= 8:
        raise ValueError(f"`k` (the SLEDAI reduction of SRI-k) must be 4, 5, 6, 7 or 8, got {k}.")
    return k


def sri_criteria(arrays: VisitArrays, visit: int | np.ndarray, *, k: int = 4) -> dict[str, np.ndarray]:
    """The SRI-k criteria at `visit` (True = met), in the order a failure is reported."""
    k = _check_k(k)
    visit = as_visit_index(arrays, visit)
    new_a, new_b = _new_bilag(arrays, visit)
    drop = arrays.sledai[..., 0] - take(arrays.sledai, visit)
    rise = take(arrays.pga, visit) - arrays.pga[..., 0]
    return {
        "not attended": take(arrays.attended, visit),
        f"SLEDAI reduction < {k}": drop >= k,
        "new BILAG A": new_a == 0,
        "more than one new BILAG B": new_b <= 1,
        f"PGA increase >= {SRI_PGA_WORSENING}": rise < SRI_PGA_WORSENING - TOL,
    }


def sri_kernel(arrays: VisitArrays, visit: int | npt.ArrayLike, *, k: int = 4) -> np.ndarray:
    """SRI-k response at `visit` versus baseline, vectorised over the leading axes of `arrays`.

    Kernel signature (``lupusstats.power`` calls it on simulated arrays):
    ``sri_kernel(arrays, visit, *, k=4)`` -> bool array of ``arrays.shape``.
    `visit` is one visit index (``arrays.week_index(52)``) or one per patient.
    Intercurrent events are not applied here (see
    ``lupusstats.endpoints.estimands.assessment_visit``); a visit not
    attended is a non-response.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The assessment visit index.
    k : int
        The SLEDAI reduction required, 4 (SRI-4, default) to 8.

    Returns
    -------
    ndarray of bool
        True for a responder.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.activity import sri_kernel
    >>> z = np.zeros((1, 2), bool)
    >>> arrays = VisitArrays(week=np.array([0, 52]), attended=~z, sledai=np.array([[10, 6]]),
    ...     clinical_sledai=np.array([[8, 4]]), pga=np.array([[1.5, 1.0]]), prednisone_mg=np.zeros((1, 2)),
    ...     on_immunosuppressant=z, on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 2, 9), 3, np.int8))
    >>> sri_kernel(arrays, 1), sri_kernel(arrays, 1, k=5)
    (array([ True]), array([False]))
    """
    return all_met(sri_criteria(arrays, as_visit_index(arrays, visit), k=k))


def sri_response(
    visits: Any,
    *,
    week: int = 52,
    k: int = 4,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """SLE Responder Index (SRI-4, or SRI-5 .. SRI-8) at `week`, one row per patient.

    A responder at the assessment visit, versus baseline (week 0), has (1) a
    SLEDAI reduction of at least `k` points (the ``sledai`` column:
    SELENA-SLEDAI or SLEDAI-2K); (2) no new BILAG-2004 A domain and no more than
    one new B (new A: A now and not A at baseline; new B: B now where baseline
    was C, D or E); (3) a PGA increase below 0.3 (an increase of exactly 0.3
    fails).  Sources: [S6], [S7] of ENDPOINTS.md (Furie 2011, BLISS-76; the
    BLISS outcome tables); see the module docstring.

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    week : int
        The assessment visit (a week on the visit grid).
    k : int
        SLEDAI reduction, 4 (default) to 8.
    estimand : {"composite", "while_on_treatment"}
        Intercurrent events (death, discontinuation, missed assessment,
        rescue, prohibited steroid dose): non-response (composite), or the
        last attended visit before them (see
        ``lupusstats.endpoints.estimands.assessment_visit``).
    steroid_limit : float, optional
        A prednisone dose (mg/day) above which a patient is an intercurrent
        event (None: no such rule).
    steroid_window : (float, float), optional
        Weeks in which `steroid_limit` applies.
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per patient: the patient keys, `group`, ``responder``,
        ``eligible`` (all True), ``assessed_week`` and ``reason`` (the first
        criterion failed or the intercurrent event; "" for a responder).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", clinical_sledai=0, pga=1.0, prednisone_mg=5.0,
    ...             on_immunosuppressant=False, on_antimalarial=True, rescue=False, major_organ_activity=False,
    ...             new_activity=False, **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=0, sledai=10), dict(base, week=52, sledai=6, bilag_renal="A")])
    >>> ls.sri_response(visits)[["patient", "responder", "reason"]]
       patient  responder       reason
    0        1      False  new BILAG A
    """
    _check_k(k)
    return responder_table(
        visits,
        sri_criteria,
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        k=k,
    )


def bicla_criteria(arrays: VisitArrays, visit: int | np.ndarray) -> dict[str, np.ndarray]:
    """The BICLA criteria at `visit` (True = met), in the order a failure is reported."""
    visit = as_visit_index(arrays, visit)
    now = take_bilag(arrays.bilag, visit)
    base = arrays.bilag[..., 0, :]
    active = base <= GRADE_B
    improved = (~active | (now > base)).all(axis=-1)
    new_a, new_b = _new_bilag(arrays, visit)
    pga0 = arrays.pga[..., 0]
    return {
        "not attended": take(arrays.attended, visit),
        "a baseline BILAG A/B domain did not improve": improved,
        "new BILAG A": new_a == 0,
        "more than one new BILAG B": new_b <= 1,
        "SLEDAI worse than baseline": take(arrays.sledai, visit) <= arrays.sledai[..., 0],
        "PGA worse by more than 10%": take(arrays.pga, visit) <= pga0 * (1 + BICLA_PGA_DETERIORATION) + TOL,
        "treatment failure (rescue)": ~take(arrays.rescue, visit),
    }


def bicla_kernel(arrays: VisitArrays, visit: int | npt.ArrayLike) -> np.ndarray:
    """BICLA response at `visit` versus baseline, vectorised over the leading axes of `arrays`.

    Kernel signature: ``bicla_kernel(arrays, visit)`` -> bool array of
    ``arrays.shape``; `visit` one index or one per patient.  Intercurrent events
    other than rescue (a BICLA criterion) are applied by
    ``lupusstats.endpoints.estimands.assessment_visit``.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The assessment visit index.

    Returns
    -------
    ndarray of bool
        True for a responder.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.activity import bicla_kernel
    >>> z = np.zeros((1, 2), bool)
    >>> bilag = np.full((1, 2, 9), 3, np.int8)
    >>> bilag[0, 0, 3] = 1  # musculoskeletal B at baseline ...
    >>> bilag[0, 1, 3] = 2  # ... C at week 52
    >>> arrays = VisitArrays(week=np.array([0, 52]), attended=~z, sledai=np.array([[8, 4]]),
    ...     clinical_sledai=np.array([[8, 4]]), pga=np.array([[1.5, 1.0]]), prednisone_mg=np.zeros((1, 2)),
    ...     on_immunosuppressant=z, on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=bilag)
    >>> bicla_kernel(arrays, 1)
    array([ True])
    """
    return all_met(bicla_criteria(arrays, as_visit_index(arrays, visit)))


def bicla_response(
    visits: Any,
    *,
    week: int = 52,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """BILAG-based Composite Lupus Assessment (BICLA) at `week`, one row per patient.

    A responder at the assessment visit, versus baseline, has (1) every
    BILAG-2004 domain graded A or B at baseline improved by at least one grade
    (A to B, C or D; B to C or D: a domain that stays B fails); (2) no new A
    and at most one new B; (3) a SLEDAI not above baseline; (4) a PGA no more
    than 10% above baseline, i.e. ``pga <= 1.1 * baseline pga`` -- with a
    baseline PGA of 0 any increase fails (the relative change is undefined
    there; this is the reading of "<= 10%" that keeps the criterion
    monotone); (5) no treatment failure (``rescue``).  Source: [S26] of
    ENDPOINTS.md (Wallace 2011; the ePROVIDE BICLA page).

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    week : int
        The assessment visit.
    estimand : {"composite", "while_on_treatment"}
        Intercurrent events, as :func:`sri_response`.
    steroid_limit : float, optional
        Prohibited prednisone dose (mg/day).
    steroid_window : (float, float), optional
        Weeks in which `steroid_limit` applies.
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per patient: keys, `group`, ``responder``, ``eligible``,
        ``assessed_week``, ``reason``.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", sledai=6, clinical_sledai=6, pga=1.0, prednisone_mg=5.0,
    ...             on_immunosuppressant=False, on_antimalarial=True, rescue=False, major_organ_activity=False,
    ...             new_activity=False, **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=0, bilag_mucocutaneous="B"),
    ...                        dict(base, week=52, bilag_mucocutaneous="B")])
    >>> ls.bicla_response(visits)["reason"].tolist()
    ['a baseline BILAG A/B domain did not improve']
    """
    return responder_table(
        visits,
        bicla_criteria,
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
    )
