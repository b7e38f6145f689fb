"""Renal response in lupus nephritis: BLISS-LN primary efficacy and complete renal response, and ALMS.

Sources (keys of ``ENDPOINTS.md``):

* [S20] BLISS-LN, Furie R et al. NEJM 2020 (definitions read again on the
  prescribing site benlystahcp.com): primary efficacy renal response (PERR) =
  UPCR <= 0.7 and eGFR no worse than 20% below the pre-flare value or >= 60
  mL/min/1.73 m2, and not a treatment failure; complete renal response (CRR)
  = UPCR < 0.5 and eGFR no worse than 10% below the pre-flare value or >= 90,
  and not a treatment failure.
* [S24], [S25] ALMS, Appel GB et al. JASN 2009: UPCR down by >= 50% (or to
  < 3 if baseline >= 3) with serum creatinine stable or improved.

Operationalisation (tag A): the "pre-flare" eGFR is the baseline (week 0)
value of the visits table; treatment failure is ``rescue``; "creatinine
stable" (ALMS), which the visits table does not carry, is read as eGFR no
more than 20% below baseline (the same margin as the PERR; creatinine and
eGFR move inversely).  A missing UPCR or eGFR at the assessment visit (or at
baseline, where one is compared) is a non-response.
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

__all__ = ["RENAL_DEFINITIONS", "renal_kernel", "renal_response"]

#: The renal response definitions: BLISS-LN primary efficacy ("perr"), complete ("crr"), ALMS ("alms").
RENAL_DEFINITIONS: tuple[str, ...] = ("perr", "crr", "alms")
#: BLISS-LN cut-offs [S20]: PERR UPCR <= 0.7, eGFR fall <= 20% or eGFR >= 60;
#: CRR UPCR < 0.5, eGFR fall <= 10% or eGFR >= 90.
PERR_UPCR, PERR_EGFR_FALL, PERR_EGFR_FLOOR = 0.7, 0.20, 60.0
CRR_UPCR, CRR_EGFR_FALL, CRR_EGFR_FLOOR = 0.5, 0.10, 90.0
#: ALMS [S25]: UPCR down by >= 50%, or to < 3 from a baseline >= 3.
ALMS_UPCR_FALL, ALMS_NEPHROTIC = 0.5, 3.0
#: ALMS "creatinine stable" read as eGFR no more than 20% below baseline (tag A, see module docstring).
ALMS_EGFR_FALL = 0.20


def renal_criteria(arrays: VisitArrays, visit, *, definition: str = "perr") -> dict[str, np.ndarray]:
    """Each renal-response criterion at `visit` (name -> met), as the kernel combines them."""
    definition = _v.check_choice("definition", definition, RENAL_DEFINITIONS)
    if not arrays.has_renal:
        raise ValueError(
            f"renal response needs the nephritis columns {list(C.RENAL_VISIT_COLUMNS)}; these visits have none."
        )
    visit = as_visit_index(arrays, visit)
    upcr, egfr = take(arrays.upcr, visit), take(arrays.egfr, visit)
    upcr0, egfr0 = arrays.upcr[..., 0], arrays.egfr[..., 0]
    out = {"not attended": take(arrays.attended, visit), "UPCR missing": ~np.isnan(upcr)}
    if definition == "alms":
        out["baseline UPCR missing"] = ~np.isnan(upcr0)
        halved = upcr <= ALMS_UPCR_FALL * upcr0 + TOL
        below3 = (upcr0 >= ALMS_NEPHROTIC - TOL) & (upcr < ALMS_NEPHROTIC - TOL)
        out["UPCR not halved (nor below 3 from >= 3)"] = halved | below3
        out["eGFR missing"] = ~np.isnan(egfr) & ~np.isnan(egfr0)
        out["eGFR more than 20% below baseline (creatinine not stable)"] = egfr >= (1 - ALMS_EGFR_FALL) * egfr0 - TOL
        return out
    if definition == "perr":
        out[f"UPCR > {PERR_UPCR:g}"] = upcr <= PERR_UPCR + TOL
        fall, floor = PERR_EGFR_FALL, PERR_EGFR_FLOOR
    else:
        out[f"UPCR >= {CRR_UPCR:g}"] = upcr < CRR_UPCR - TOL
        fall, floor = CRR_EGFR_FALL, CRR_EGFR_FLOOR
    out["eGFR missing"] = ~np.isnan(egfr)
    kept = (egfr >= floor - TOL) | (egfr >= (1 - fall) * egfr0 - TOL)
    out[f"eGFR more than {fall:.0%} below baseline and < {floor:g}"] = kept
    out["treatment failure (rescue)"] = ~take(arrays.rescue, visit)
    return out


def renal_kernel(arrays: VisitArrays, visit: int | npt.ArrayLike, *, definition: str = "perr") -> np.ndarray:
    """Renal response at `visit` versus baseline, vectorised over the leading axes.

    Kernel signature: ``renal_kernel(arrays, visit, *, definition="perr")`` ->
    bool array of ``arrays.shape``; `definition` one of ``"perr"`` (BLISS-LN
    primary efficacy renal response), ``"crr"`` (complete renal response),
    ``"alms"``.  Needs ``arrays.upcr`` and ``arrays.egfr``.

    Parameters
    ----------
    arrays : VisitArrays
        The visits, with ``upcr`` and ``egfr``.
    visit : int or array of int
        The assessment visit index.
    definition : {"perr", "crr", "alms"}
        The definition.

    Returns
    -------
    ndarray of bool
        True for a responder.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.renal import renal_kernel
    >>> z = np.zeros((2, 2), bool)
    >>> arrays = VisitArrays(week=np.array([0, 104]), attended=~z, sledai=np.zeros((2, 2), int),
    ...     clinical_sledai=np.zeros((2, 2), int), pga=np.zeros((2, 2)), prednisone_mg=np.zeros((2, 2)),
    ...     on_immunosuppressant=~z, on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=np.full((2, 2, 9), 3, np.int8), upcr=np.array([[3.0, 0.7], [3.0, 0.71]]),
    ...     egfr=np.array([[80.0, 64.0], [80.0, 64.0]]))
    >>> renal_kernel(arrays, 1), renal_kernel(arrays, 1, definition="crr")
    (array([ True, False]), array([False, False]))
    """
    return all_met(renal_criteria(arrays, as_visit_index(arrays, visit), definition=definition))


def renal_response(
    visits: Any,
    *,
    definition: str = "perr",
    week: int = 52,
    estimand: str = "composite",
    steroid_limit: float | None = None,
    steroid_window: tuple[float, float] | None = None,
    group: str = C.ARM,
) -> pd.DataFrame:
    """Renal response in lupus nephritis at `week` (BLISS-LN PERR or CRR, or ALMS), one row per patient.

    ``"perr"`` (BLISS-LN primary efficacy renal response): UPCR <= 0.7 g/g
    (0.7 passes, 0.71 fails) and eGFR no more than 20% below baseline or >= 60,
    no rescue.  ``"crr"`` (complete renal response): UPCR < 0.5 and eGFR no
    more than 10% below baseline or >= 90, no rescue.  ``"alms"``: UPCR down by
    >= 50% (or to < 3 from a baseline >= 3) with eGFR no more than 20% below
    baseline ("creatinine stable", see the module docstring).  BLISS-LN
    assessed at week 104 (pass ``week=104``) and required prednisone <= 10
    mg/day from week 24 (pass ``steroid_limit=10, steroid_window=(24, 104)``).

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table with ``upcr`` and ``egfr`` columns.
    definition : {"perr", "crr", "alms"}
        The definition.
    week : int
        The assessment visit.
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
        ``assessed_week``, ``reason``.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(arm="drug", sledai=4, clinical_sledai=4, pga=1.0, prednisone_mg=5.0, on_immunosuppressant=True,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=True, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, patient=1, week=0, upcr=3.0, egfr=100.0),
    ...                        dict(base, patient=1, week=52, upcr=0.71, egfr=95.0)])
    >>> ls.renal_response(visits)["reason"].tolist()
    ['UPCR > 0.7']
    """
    definition = _v.check_choice("definition", definition, RENAL_DEFINITIONS)
    return responder_table(
        visits,
        renal_criteria,
        week=week,
        estimand=estimand,
        steroid_limit=steroid_limit,
        steroid_window=steroid_window,
        group=group,
        requires_renal=definition,
        definition=definition,
    )
