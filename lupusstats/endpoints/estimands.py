"""Intercurrent events and the estimand of a responder endpoint (ICH E9(R1)).

SLE trials count a patient who died, left the trial (or missed the assessment
visit), received protocol-prohibited rescue therapy, or took more
glucocorticoid than the protocol allowed in a window as a non-responder: the
**composite** strategy, in which the intercurrent event is part of the
outcome (BLISS-52/76, TULIP-1/2 and BLISS-LN analysed their primary endpoints
so; ENDPOINTS.md [S6], [S14], [S20]).  The **while-on-treatment** strategy
instead assesses the endpoint at the last visit attended before the first
intercurrent event (at the assessment visit itself when there is none).

:func:`assessment_visit` is the vectorised kernel: for arrays of leading shape
``(...)`` it returns the visit index at which each patient is assessed and the
intercurrent event that decided it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import validation as _v
from lupusstats.endpoints.visits import TOL

if TYPE_CHECKING:
    from lupusstats.endpoints.visits import VisitArrays

__all__ = ["ESTIMANDS", "EVENT_NAMES", "assessment_visit"]

#: The estimand strategies for intercurrent events.
ESTIMANDS: tuple[str, ...] = ("composite", "while_on_treatment")
#: Codes of the intercurrent events returned by :func:`assessment_visit` (0 = none).
NONE, NOT_ATTENDED, RESCUE, STEROID = 0, 1, 2, 3
#: What each intercurrent-event code means (the ``reason`` of a non-responder).
EVENT_NAMES: dict[int, str] = {
    NONE: "",
    NOT_ATTENDED: "did not attend the assessment visit (death, discontinuation or missed visit)",
    RESCUE: "rescue therapy",
    STEROID: "prohibited glucocorticoid dose",
}


def check_estimand(estimand: object) -> str:
    """`estimand` checked against ``ESTIMANDS`` (ValueError naming it otherwise)."""
    return _v.check_choice("estimand", estimand, ESTIMANDS)


def check_steroid_rule(steroid_limit: object, steroid_window: object) -> tuple[float | None, tuple[float, float]]:
    """Validate the prohibited-steroid option: a limit in mg/day and a window of weeks (inclusive)."""
    if steroid_limit is None:
        if steroid_window is not None:
            raise ValueError("`steroid_window` needs `steroid_limit` (the prohibited dose, mg/day).")
        return None, (0.0, math.inf)
    limit = _v.check_number("steroid_limit", steroid_limit, low=0.0)
    if steroid_window is None:
        return limit, (1.0, math.inf)
    if not isinstance(steroid_window, (tuple, list)) or len(steroid_window) != 2:
        raise TypeError(f"`steroid_window` must be a pair of weeks (start, end), got {steroid_window!r}.")
    start, end = steroid_window
    lo = _v.check_number("steroid_window[0]", start, low=0.0)
    hi = _v.check_number("steroid_window[1]", end, low=lo, allow_inf=True)
    return limit, (lo, hi)


def assessment_visit(
    arrays: VisitArrays,
    week_index: int,
    *,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The visit at which each patient is assessed, and the intercurrent event that decided it.

    Kernel signature (used by ``lupusstats.power`` on simulated arrays):
    ``assessment_visit(arrays, week_index, *, estimand, steroid_limit, steroid_window)``
    -> ``(visit, event)``, both integer arrays of the leading shape of
    `arrays`.  A patient is a responder when the endpoint's kernel is true at
    ``visit`` and ``ok`` holds, where for ``"composite"`` ``ok = event == 0``
    and for ``"while_on_treatment"`` ``ok = visit >= 0``.

    Intercurrent events, in the order checked: not attending the assessment
    visit (death, discontinuation or a missed visit: the patient has no row
    that week), rescue therapy at or before it, a prednisone dose above
    `steroid_limit` mg/day at an attended visit whose week is within
    `steroid_window` (inclusive; default every visit after baseline) up to the
    assessment visit.

    * ``"composite"``: ``visit`` is `week_index` for everyone; ``event`` is
      the first intercurrent event found (0 if none), which makes the patient
      a non-responder.
    * ``"while_on_treatment"``: ``visit`` is the last attended visit up to
      `week_index` before the first rescue or prohibited dose (-1 if there is
      none, i.e. rescue already at baseline); ``event`` records the event that
      moved the assessment earlier (0 if assessed at `week_index`).

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    week_index : int
        Index of the assessment visit on ``arrays.week``.
    estimand : {"composite", "while_on_treatment"}
        The strategy for intercurrent events.
    steroid_limit : float, optional
        Prohibited prednisone dose (mg/day, a dose strictly above it is an
        intercurrent event); None (default) for no steroid rule.
    steroid_window : (float, float), optional
        Weeks (inclusive) in which the limit applies.

    Returns
    -------
    (ndarray of int, ndarray of int)
        The assessment visit index and the intercurrent-event code (see
        ``EVENT_NAMES``) per patient.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.estimands import assessment_visit
    >>> z = np.zeros((2, 3), bool)
    >>> arrays = VisitArrays(week=np.array([0, 4, 8]), attended=np.array([[1, 1, 1], [1, 1, 0]], bool),
    ...     sledai=np.zeros((2, 3), int), clinical_sledai=np.zeros((2, 3), int), pga=np.zeros((2, 3)),
    ...     prednisone_mg=np.zeros((2, 3)), on_immunosuppressant=z, on_antimalarial=z,
    ...     rescue=np.array([[0, 1, 1], [0, 0, 0]], bool), major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((2, 3, 9), 3, np.int8))
    >>> assessment_visit(arrays, 2)
    (array([2, 2]), array([2, 1]))
    >>> assessment_visit(arrays, 2, estimand="while_on_treatment")
    (array([0, 1]), array([2, 1]))
    """
    estimand = check_estimand(estimand)
    limit, (lo, hi) = check_steroid_rule(steroid_limit, steroid_window)
    w = _v.check_int("week_index", week_index)
    if not 0 <= w < arrays.n_visits:
        raise ValueError(f"`week_index` must be in 0..{arrays.n_visits - 1}, got {w}.")
    shape = arrays.shape
    n_v = arrays.n_visits
    idx = np.arange(n_v)
    upto = idx <= w
    attended = arrays.attended
    # first visit (<= w) with rescue, and with a prohibited dose; n_v when none
    rescue_at = np.where(arrays.rescue & upto, idx, n_v).min(axis=-1)
    if limit is not None:
        in_window = (arrays.week >= lo) & (arrays.week <= hi) & upto
        over = attended & in_window & (np.nan_to_num(arrays.prednisone_mg, nan=0.0) > limit + TOL)
        steroid_at = np.where(over, idx, n_v).min(axis=-1)
    else:
        steroid_at = np.full(shape, n_v)
    first_ice = np.minimum(rescue_at, steroid_at)
    ice_code = np.where(rescue_at <= steroid_at, RESCUE, STEROID)
    missed = ~attended[..., w]
    if estimand == "composite":
        event = np.where(missed, NOT_ATTENDED, np.where(first_ice < n_v, ice_code, NONE))
        visit = np.full(shape, w, dtype=np.int64)
        return visit, event.astype(np.int64)
    valid = attended & upto & (idx < first_ice[..., None])
    visit = np.where(valid, idx, -1).max(axis=-1).astype(np.int64)
    event = np.where(first_ice < n_v, ice_code, np.where(missed, NOT_ATTENDED, NONE))
    return visit, event.astype(np.int64)
