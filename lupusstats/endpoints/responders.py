"""Responder endpoints by name: per-patient tables, rates per arm, and the kernel for simulated arrays."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.cohort.cohort import Cohort
from lupusstats.endpoints import estimands as E
from lupusstats.endpoints.activity import bicla_kernel, bicla_response, sri_kernel, sri_response
from lupusstats.endpoints.renal import renal_kernel, renal_response
from lupusstats.endpoints.states import (
    doris_kernel,
    doris_remission,
    drug_free_kernel,
    drug_free_remission,
    lldas,
    lldas_kernel,
)
from lupusstats.endpoints.steroids import steroid_taper, steroid_taper_eligible, steroid_taper_kernel

if TYPE_CHECKING:
    import pandas as pd

    from lupusstats.endpoints.visits import VisitArrays

__all__ = ["RESPONDER_ENDPOINTS", "responder_kernel", "responder_rates", "responders"]

# name -> (table function, kernel, fixed keyword arguments)
_REGISTRY: dict[str, tuple[Callable[..., Any], Callable[..., np.ndarray], dict[str, Any]]] = {
    "sri4": (sri_response, sri_kernel, {}),
    "bicla": (bicla_response, bicla_kernel, {}),
    "lldas": (lldas, lldas_kernel, {}),
    "doris": (doris_remission, doris_kernel, {}),
    "drug_free_remission": (drug_free_remission, drug_free_kernel, {}),
    "steroid_taper": (steroid_taper, steroid_taper_kernel, {}),
    "renal_response": (renal_response, renal_kernel, {"definition": "perr"}),
    "complete_renal_response": (renal_response, renal_kernel, {"definition": "crr"}),
    "alms_response": (renal_response, renal_kernel, {"definition": "alms"}),
}

#: The responder endpoints by name (``endpoint=`` of ``responders`` and ``responder_rates``).
RESPONDER_ENDPOINTS: tuple[str, ...] = tuple(_REGISTRY)


def _check_endpoint(endpoint: object) -> str:
    if not isinstance(endpoint, str):
        raise TypeError(f"`endpoint` must be a string, one of {list(RESPONDER_ENDPOINTS)}, got {endpoint!r}.")
    if endpoint not in _REGISTRY:
        raise ValueError(f"unknown `endpoint` {endpoint!r}; allowed: {list(RESPONDER_ENDPOINTS)}.")
    return endpoint


def responders(
    visits: Any,
    endpoint: str,
    *,
    week: int = 52,
    estimand: str = "composite",
    group: str = C.ARM,
    **options: Any,
) -> pd.DataFrame:
    """Responder status on a named endpoint, one row per patient.

    The endpoint functions by name: ``"sri4"`` (:func:`lupusstats.sri_response`;
    ``k=5`` .. ``8`` as an option), ``"bicla"``, ``"lldas"``, ``"doris"``,
    ``"drug_free_remission"``, ``"steroid_taper"``, ``"renal_response"``
    (BLISS-LN primary efficacy renal response), ``"complete_renal_response"``,
    ``"alms_response"``.

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        A cohort with a visits table, or the visits table itself.
    endpoint : str
        One of ``RESPONDER_ENDPOINTS``.
    week : int
        The assessment visit.
    estimand : {"composite", "while_on_treatment"}
        How intercurrent events count (see
        ``lupusstats.endpoints.estimands.assessment_visit``).
    group : str
        The arm column.
    **options
        The endpoint function's own options (``k``, ``sustained_weeks``,
        ``inclusive``, ``steroid_limit`` ...).

    Returns
    -------
    pandas.DataFrame
        One row per patient: the patient keys, `group`, ``responder``,
        ``eligible``, ``assessed_week``, ``reason`` (and ``time_in_state`` for
        the states).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(arm="drug", clinical_sledai=0, pga=1.0, prednisone_mg=5.0, on_immunosuppressant=False,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, patient=1, week=0, sledai=10), dict(base, patient=1, week=52, sledai=4),
    ...                        dict(base, patient=2, week=0, sledai=10)])
    >>> table = ls.responders(visits, "sri4")
    >>> table["responder"].tolist()
    [True, False]
    >>> table["reason"].tolist()[1]
    'did not attend the assessment visit (death, discontinuation or missed visit)'
    """
    table, _, fixed = _REGISTRY[_check_endpoint(endpoint)]
    clash = sorted(set(options) & set(fixed))
    if clash:
        raise TypeError(f"endpoint {endpoint!r} fixes {clash}; use the endpoint name that means what you want.")
    return table(visits, week=week, estimand=estimand, group=group, **fixed, **options)


def responder_kernel(
    arrays: VisitArrays,
    endpoint: str,
    week_index: int,
    *,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    **options: Any,
) -> tuple[np.ndarray, np.ndarray]:
    """Responders and the eligible patients on a named endpoint, vectorised (for simulated trials).

    Kernel signature (``lupusstats.power`` calls it on arrays of leading
    shape ``(n_trials, n_patients)``): ``responder_kernel(arrays, endpoint,
    week_index, *, estimand="composite", steroid_limit=None,
    steroid_window=None, **options)`` -> ``(responder, eligible)``, two bool
    arrays of ``arrays.shape``; the endpoint's rate is ``responder.sum() /
    eligible.sum()`` per arm.  The same numbers as :func:`responders` on the
    table.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    endpoint : str
        One of ``RESPONDER_ENDPOINTS``.
    week_index : int
        Index of the assessment visit on ``arrays.week``.
    estimand : {"composite", "while_on_treatment"}
        How intercurrent events count.
    steroid_limit : float, optional
        Prohibited prednisone dose (mg/day).
    steroid_window : (float, float), optional
        Weeks in which `steroid_limit` applies.
    **options
        The endpoint kernel's options.

    Returns
    -------
    (ndarray of bool, ndarray of bool)
        Responder and eligible, per patient.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.responders import responder_kernel
    >>> z = np.zeros((1, 2, 2), bool)       # 1 trial, 2 patients, 2 visits
    >>> arrays = VisitArrays(week=np.array([0, 52]), attended=np.array([[[1, 1], [1, 0]]], bool),
    ...     sledai=np.array([[[10, 4], [10, 0]]]), clinical_sledai=np.array([[[10, 4], [10, 0]]]),
    ...     pga=np.ones((1, 2, 2)), prednisone_mg=np.zeros((1, 2, 2)), on_immunosuppressant=z,
    ...     on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((1, 2, 2, 9), 3, np.int8))
    >>> responder_kernel(arrays, "sri4", 1)[0]
    array([[ True, False]])
    """
    _, kernel, fixed = _REGISTRY[_check_endpoint(endpoint)]
    visit, event = E.assessment_visit(
        arrays, week_index, estimand=estimand, steroid_limit=steroid_limit, steroid_window=steroid_window
    )
    ok = event == E.NONE if estimand == "composite" else visit >= 0
    met = kernel(arrays, np.maximum(visit, 0), **fixed, **options) & ok
    if endpoint == "steroid_taper":
        eligible = steroid_taper_eligible(arrays, baseline_min_mg=options.get("baseline_min_mg", 10.0))
    else:
        eligible = np.ones(arrays.shape, bool)
    return met & eligible, eligible


def _arm_order(source: Any, table, group: str) -> list[str]:
    import pandas as pd

    if isinstance(source, Cohort) and source.arm_names:
        return list(source.arm_names)
    col = table[group]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return [str(a) for a in dict.fromkeys(col.astype(str))]


def responder_rates(
    cohort: Any,
    endpoint: str,
    *,
    week: int = 52,
    reference: str | None = None,
    estimand: str = "composite",
    confidence_level: float = 0.95,
    group: str = C.ARM,
    **options: Any,
) -> pd.DataFrame:
    """Responder rate per arm on a named endpoint, with a Wilson score interval.

    Each patient is classified by :func:`responders` (intercurrent events as
    `estimand` says: by default death, discontinuation, a missed assessment
    visit and rescue make a non-responder); the rate is responders over the
    eligible patients (all patients, except ``"steroid_taper"``: those on
    >= 10 mg/day at baseline).  The interval is the Wilson score interval of
    ``lupusstats._core.inference.wilson_interval`` (as R
    ``prop.test(x, n, correct = FALSE)``).

    Parameters
    ----------
    cohort : Cohort or DataFrame
        A cohort with a visits table, or a visits table.
    endpoint : str
        One of ``"sri4"``, ``"bicla"``, ``"lldas"``, ``"doris"``,
        ``"drug_free_remission"``, ``"steroid_taper"``, ``"renal_response"``
        (BLISS-LN primary efficacy renal response), ``"complete_renal_response"``,
        ``"alms_response"``.
    week : int
        The assessment visit (BLISS-LN: 104).
    reference : str, optional
        The reference arm, listed first (default: the first arm).
    estimand : {"composite", "while_on_treatment"}
        How intercurrent events count.
    confidence_level : float
        Level of the intervals.
    group : str
        The arm column (the output names it so).
    **options
        The endpoint's options (e.g. ``k=5``, ``sustained_weeks=24``).

    Returns
    -------
    pandas.DataFrame
        One row per arm: `group`, ``n``, ``responders``, ``proportion``,
        ``ci_low``, ``ci_high``.

    Raises
    ------
    ValueError
        An unknown endpoint, a week not on the visit grid, a renal endpoint
        without ``upcr``/``egfr``, a cohort with no visits table, an unknown
        reference arm.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(clinical_sledai=0, pga=1.0, prednisone_mg=5.0, on_immunosuppressant=False,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> rows = [dict(base, patient=p, arm=a, week=w, sledai=s)
    ...         for p, a, drop in [(1, "placebo", 0), (2, "placebo", 4), (3, "drug", 4), (4, "drug", 5)]
    ...         for w, s in [(0, 10), (52, 10 - drop)]]
    >>> ls.responder_rates(pd.DataFrame(rows), "sri4")
           arm  n  responders  proportion    ci_low   ci_high
    0  placebo  2           1         0.5  0.094531  0.905469
    1     drug  2           2         1.0  0.342380  1.000000
    """
    import pandas as pd

    level = _v.check_confidence_level(confidence_level)
    table = responders(cohort, endpoint, week=week, estimand=estimand, group=group, **options)
    arms = _arm_order(cohort, table, group)
    if reference is not None:
        if reference not in arms:
            raise ValueError(f"`reference` {reference!r} is not an arm; the arms are {arms}.")
        arms = [reference] + [a for a in arms if a != reference]
    _v.check_output_name("group", group, ("n", "responders", "proportion", "ci_low", "ci_high"))
    arm_col = table[group].astype(str).to_numpy()
    n = np.array([int(table["eligible"].to_numpy()[arm_col == a].sum()) for a in arms])
    x = np.array([int(table["responder"].to_numpy()[arm_col == a].sum()) for a in arms])
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, x / np.maximum(n, 1), np.nan)
    low, high = _inf.wilson_interval(x, n, level)
    return pd.DataFrame(
        {
            group: arms,
            "n": n,
            "responders": x,
            "proportion": p,
            "ci_low": np.asarray(low, dtype=float),
            "ci_high": np.asarray(high, dtype=float),
        }
    )
