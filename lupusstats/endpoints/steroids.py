"""Sustained glucocorticoid taper, as the TULIP trials defined it.

Source (ENDPOINTS.md [S14], [S18]; Bruce IN et al. Rheumatology 2023, read in
its abstract at research.vumc.nl): among patients on prednisone (or
equivalent) >= 10 mg/day at baseline, a sustained taper is a dose <= 7.5
mg/day by week 40 sustained through week 52 (pooled TULIP: 59/185 placebo vs
96/190 anifrolumab).  Here "sustained" means <= 7.5 mg/day at every scheduled
visit from week 40 to the assessment visit, each of them attended (a missed
visit in the window is not a demonstrated taper).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.endpoints._evaluate import all_met, responder_table
from lupusstats.endpoints.visits import TOL, VisitArrays, as_visit_index, take

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["steroid_taper", "steroid_taper_eligible", "steroid_taper_kernel"]

#: TULIP [S18]: baseline >= 10 mg/day; <= 7.5 mg/day from week 40 (to week 52).
TAPER_BASELINE_MG, TAPER_MAX_MG, TAPER_FROM_WEEK = 10.0, 7.5, 40


def _check(baseline_min_mg, max_mg, from_week):
    return (
        _v.check_number("baseline_min_mg", baseline_min_mg, low=0.0),
        _v.check_number("max_mg", max_mg, low=0.0),
        _v.check_int("from_week", from_week, minimum=0),
    )


def steroid_taper_eligible(arrays: VisitArrays, *, baseline_min_mg: float = TAPER_BASELINE_MG) -> np.ndarray:
    """Patients eligible for the taper endpoint: baseline prednisone >= `baseline_min_mg` mg/day.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    baseline_min_mg : float
        The baseline dose required (default 10 mg/day, TULIP).

    Returns
    -------
    ndarray of bool
        One per patient (the leading shape of `arrays`).

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.steroids import steroid_taper_eligible
    >>> z = np.zeros((2, 1), bool)
    >>> arrays = VisitArrays(week=np.array([0]), attended=~z, sledai=np.zeros((2, 1), int),
    ...     clinical_sledai=np.zeros((2, 1), int), pga=np.zeros((2, 1)), prednisone_mg=np.array([[10.0], [7.5]]),
    ...     on_immunosuppressant=z, on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((2, 1, 9), 3, np.int8))
    >>> steroid_taper_eligible(arrays)
    array([ True, False])
    """
    limit = _v.check_number("baseline_min_mg", baseline_min_mg, low=0.0)
    return np.nan_to_num(arrays.prednisone_mg[..., 0], nan=-np.inf) >= limit - TOL


def steroid_taper_criteria(
    arrays: VisitArrays,
    visit,
    *,
    baseline_min_mg: float = TAPER_BASELINE_MG,
    max_mg: float = TAPER_MAX_MG,
    from_week: int = TAPER_FROM_WEEK,
) -> dict[str, np.ndarray]:
    """Each sustained-taper criterion at `visit` (name -> met), as the kernel combines them."""
    _, max_mg, from_week = _check(baseline_min_mg, max_mg, from_week)
    visit = as_visit_index(arrays, visit)
    v = np.broadcast_to(np.asarray(visit), arrays.shape)
    window = (arrays.week >= from_week) & (np.arange(arrays.n_visits) <= v[..., None])
    pred = np.nan_to_num(arrays.prednisone_mg, nan=np.inf)
    return {
        "not attended": take(arrays.attended, visit),
        f"assessed before week {from_week}": arrays.week[v] >= from_week,
        f"a visit from week {from_week} missed": np.where(window, arrays.attended, True).all(axis=-1),
        f"prednisone > {max_mg:g} mg/day from week {from_week}": np.where(
            window & arrays.attended, pred <= max_mg + TOL, True
        ).all(axis=-1),
    }


def steroid_taper_kernel(
    arrays: VisitArrays,
    visit: int | npt.ArrayLike,
    *,
    baseline_min_mg: float = TAPER_BASELINE_MG,
    max_mg: float = TAPER_MAX_MG,
    from_week: int = TAPER_FROM_WEEK,
) -> np.ndarray:
    """Sustained glucocorticoid taper at `visit`, vectorised over the leading axes.

    Kernel signature: ``steroid_taper_kernel(arrays, visit, *,
    baseline_min_mg=10.0, max_mg=7.5, from_week=40)`` -> bool array of
    ``arrays.shape``, True for an eligible patient (:func:`steroid_taper_eligible`)
    at <= `max_mg` at every scheduled visit from `from_week` to `visit`, all
    attended.  The endpoint's denominator is the eligible patients.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    visit : int or array of int
        The assessment visit index.
    baseline_min_mg : float
        Baseline dose for eligibility (mg/day).
    max_mg : float
        The tapered dose (mg/day).
    from_week : int
        First week of the sustained window.

    Returns
    -------
    ndarray of bool
        True for a responder.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.steroids import steroid_taper_kernel
    >>> z = np.zeros((2, 4), bool)
    >>> arrays = VisitArrays(week=np.array([0, 36, 40, 52]), attended=~z, sledai=np.zeros((2, 4), int),
    ...     clinical_sledai=np.zeros((2, 4), int), pga=np.zeros((2, 4)),
    ...     prednisone_mg=np.array([[15.0, 10.0, 7.5, 5.0], [15.0, 5.0, 10.0, 5.0]]), on_immunosuppressant=z,
    ...     on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z, bilag=np.full((2, 4, 9), 3, np.int8))
    >>> steroid_taper_kernel(arrays, 3)
    array([ True, False])
    """
    crit = steroid_taper_criteria(arrays, visit, baseline_min_mg=baseline_min_mg, max_mg=max_mg, from_week=from_week)
    return all_met(crit) & steroid_taper_eligible(arrays, baseline_min_mg=baseline_min_mg)


def steroid_taper(
    visits: Any,
    *,
    week: int = 52,
    baseline_min_mg: float = TAPER_BASELINE_MG,
    max_mg: float = TAPER_MAX_MG,
    from_week: int = TAPER_FROM_WEEK,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """Sustained glucocorticoid taper (TULIP), one row per patient.

    Among patients on >= `baseline_min_mg` mg/day prednisone at baseline (the
    ``eligible`` column; the endpoint's denominator), a responder is at <=
    `max_mg` mg/day at every scheduled visit from `from_week` to `week`, each
    attended.  Defaults: >= 10 mg/day, <= 7.5 mg/day, weeks 40 to 52, as the
    pooled TULIP analysis ([S14], [S18]; see the module docstring).

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    week : int
        The assessment visit (end of the window).
    baseline_min_mg : float
        Baseline dose for eligibility (mg/day).
    max_mg : float
        The tapered dose (mg/day).
    from_week : int
        First week of the sustained window.
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
        One row per patient: keys, `group`, ``responder``, ``eligible``,
        ``assessed_week``, ``reason`` ("not eligible" below the baseline dose).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", sledai=4, clinical_sledai=4, pga=1.0, on_immunosuppressant=False,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=w, prednisone_mg=d) for w, d in [(0, 15.0), (40, 7.5), (52, 7.5)]])
    >>> ls.steroid_taper(visits)[["responder", "eligible"]].values.tolist()
    [[True, True]]
    """
    baseline_min_mg, max_mg, from_week = _check(baseline_min_mg, max_mg, from_week)
    return responder_table(
        visits,
        steroid_taper_criteria,
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        eligible=lambda a: steroid_taper_eligible(a, baseline_min_mg=baseline_min_mg),
        baseline_min_mg=baseline_min_mg,
        max_mg=max_mg,
        from_week=from_week,
    )
