"""Flares from consecutive visits: the SELENA flare index (SFI) and BILAG-2004 flares.

Each visit is compared with the patient's previous attended visit (baseline has
no flare).

Sources (keys of ``ENDPOINTS.md``):

* [S29] SELENA-SLEDAI flare index (read at ard.bmj.com/highwire/markup/278401
  and medicalalgorithms.com/estrogen-lupus).  Mild/moderate: a change in
  SELENA-SLEDAI of >= 3 points (but not to > 12); an increase in prednisone,
  but not to > 0.5 mg/kg/day; an NSAID or hydroxychloroquine added for
  activity; a PGA increase of >= 1.0 but not to > 2.5.  Severe: a change in
  SELENA-SLEDAI to > 12; prednisone increased to > 0.5 mg/kg/day; new
  cyclophosphamide, azathioprine or methotrexate; hospitalisation; PGA
  increased to > 2.5.
* [S31] BILAG-2004 flare severity, McElhone K et al. Rheumatology 2021: severe
  = any new A; moderate = >= 2 new B and no A; mild = one new B; "new" meaning
  worse than at the previous visit.  [S16] (Furie 2021, TULIP flares: >= 1 new
  A or >= 2 new B versus the previous visit, read in the Lupus 2021 abstract).

Operationalisation from the visits table (tag A: choices of this library, no
published number behind them):

* "Change to > 12" is read as a rise of at least 3 points (the mild/moderate
  rise) to a score above 12: a rise under 3 points is "persistent activity"
  in SLEDAI-2K's own grading ([S29], ARD table: "Change +-3 = persistent
  activity").  Likewise a PGA "increase to > 2.5" needs a rise.
* The mg/kg prednisone criterion uses ``weight_kg`` when the data have it and
  otherwise :data:`DEFAULT_WEIGHT_KG` = 70 kg (tag A: an assumed adult body
  weight, not a published trial mean), i.e. a severe flare at a dose above
  35 mg/day.
* "New cyclophosphamide, azathioprine or methotrexate" is read as an
  immunosuppressant started since the previous visit (the table does not say
  which agent); "hydroxychloroquine added" as an antimalarial started.
  Hospitalisation and NSAIDs are not in the visits table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.endpoints._evaluate import as_arrays
from lupusstats.endpoints.visits import GRADE_A, GRADE_B, TOL, VisitArrays, previous_attended

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["bilag_flare_kernel", "bilag_flares", "selena_flare_kernel", "selena_flares"]

#: Body weight (kg) used for the SFI's 0.5 mg/kg/day prednisone criterion when the data have none.
#: Tag A (assumption): an adult body weight chosen by this library, not a published estimate.
DEFAULT_WEIGHT_KG = 70.0
#: SFI cut-offs [S29]: SLEDAI rise >= 3, severe above 12; PGA rise >= 1.0, severe above 2.5;
#: prednisone above 0.5 mg/kg/day severe.
SFI_SLEDAI_RISE, SFI_SLEDAI_SEVERE, SFI_PGA_RISE, SFI_PGA_SEVERE, SFI_MG_PER_KG = 3, 12, 1.0, 2.5, 0.5
#: SFI flare codes of :func:`selena_flare_kernel`.
SFI_LEVELS: tuple[str, ...] = ("none", "mild/moderate", "severe")
#: BILAG-2004 flare codes of :func:`bilag_flare_kernel`.
BILAG_FLARE_LEVELS: tuple[str, ...] = ("none", "mild", "moderate", "severe")


def _previous(x: np.ndarray, prev: np.ndarray) -> np.ndarray:
    return np.take_along_axis(x, np.maximum(prev, 0), axis=-1)


def _sfi_parts(arrays: VisitArrays, default_weight_kg: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    prev = previous_attended(arrays.attended)
    has_prev = arrays.attended & (prev >= 0)
    s, s0 = arrays.sledai, _previous(arrays.sledai, prev)
    pga, pga0 = np.nan_to_num(arrays.pga), np.nan_to_num(_previous(arrays.pga, prev))
    pred, pred0 = np.nan_to_num(arrays.prednisone_mg), np.nan_to_num(_previous(arrays.prednisone_mg, prev))
    weight = np.full(arrays.shape, default_weight_kg) if arrays.weight_kg is None else arrays.weight_kg
    weight = np.where(np.isnan(weight), default_weight_kg, weight)
    severe_dose = SFI_MG_PER_KG * weight[..., None]
    rise = s - s0
    raised = pred > pred0 + TOL
    severe = {
        "SLEDAI rise to > 12": has_prev & (rise >= SFI_SLEDAI_RISE) & (s > SFI_SLEDAI_SEVERE),
        "prednisone raised above 0.5 mg/kg/day": has_prev & raised & (pred > severe_dose + TOL),
        "PGA raised above 2.5": has_prev & (pga > pga0 + TOL) & (pga > SFI_PGA_SEVERE + TOL),
        "immunosuppressant started": has_prev
        & arrays.on_immunosuppressant
        & ~_previous(arrays.on_immunosuppressant, prev),
    }
    mild = {
        "SLEDAI rise >= 3": has_prev & (rise >= SFI_SLEDAI_RISE),
        "prednisone raised": has_prev & raised,
        "antimalarial started": has_prev & arrays.on_antimalarial & ~_previous(arrays.on_antimalarial, prev),
        "PGA rise >= 1": has_prev & (pga - pga0 >= SFI_PGA_RISE - TOL),
    }
    return severe, mild


def selena_flare_kernel(arrays: VisitArrays, *, default_weight_kg: float = DEFAULT_WEIGHT_KG) -> np.ndarray:
    """SELENA flare index at every visit versus the previous attended visit: int8 ``(..., n_visits)``.

    Kernel signature: ``selena_flare_kernel(arrays, *, default_weight_kg=70.0)``
    -> codes 0 = no flare, 1 = mild/moderate, 2 = severe (``SFI_LEVELS``),
    vectorised over the leading axes.  See the module docstring for the
    criteria and how they are read from the visits.

    Parameters
    ----------
    arrays : VisitArrays
        The visits.
    default_weight_kg : float
        Weight for the mg/kg criterion where ``arrays.weight_kg`` is absent or
        NaN (default 70 kg, tag A).

    Returns
    -------
    ndarray of int8
        The flare code per visit (0 at baseline and at visits not attended).

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.flares import selena_flare_kernel
    >>> z = np.zeros((1, 4), bool)
    >>> arrays = VisitArrays(week=np.array([0, 4, 8, 12]), attended=~z, sledai=np.array([[6, 10, 14, 14]]),
    ...     clinical_sledai=np.array([[6, 10, 14, 14]]), pga=np.array([[1.0, 1.0, 1.5, 1.5]]),
    ...     prednisone_mg=np.array([[5.0, 5.0, 5.0, 40.0]]), on_immunosuppressant=z, on_antimalarial=z,
    ...     rescue=z, major_organ_activity=z, new_activity=z, bilag=np.full((1, 4, 9), 3, np.int8))
    >>> selena_flare_kernel(arrays)
    array([[0, 1, 2, 2]], dtype=int8)
    """
    weight = _v.check_positive("default_weight_kg", default_weight_kg)
    severe, mild = _sfi_parts(arrays, weight)
    any_severe = np.logical_or.reduce(list(severe.values()))
    any_mild = np.logical_or.reduce(list(mild.values()))
    return np.where(any_severe, 2, np.where(any_mild, 1, 0)).astype(np.int8)


def _bilag_new(arrays: VisitArrays) -> tuple[np.ndarray, np.ndarray]:
    prev = previous_attended(arrays.attended)
    has_prev = arrays.attended & (prev >= 0)
    before = np.take_along_axis(arrays.bilag, np.maximum(prev, 0)[..., None], axis=-2)
    now = arrays.bilag
    new_a = ((now == GRADE_A) & (before != GRADE_A)).sum(axis=-1) * has_prev
    new_b = ((now == GRADE_B) & (before > GRADE_B)).sum(axis=-1) * has_prev
    return new_a, new_b


def bilag_flare_kernel(arrays: VisitArrays) -> np.ndarray:
    """BILAG-2004 flare severity at every visit versus the previous attended visit: int8 ``(..., n_visits)``.

    Kernel signature: ``bilag_flare_kernel(arrays)`` -> codes 0 = none,
    1 = mild (one new B), 2 = moderate (>= 2 new B, no new A), 3 = severe (a
    new A), ``BILAG_FLARE_LEVELS``; "new" meaning worse than at the previous
    attended visit (A now and not before; B now after C, D or E), as McElhone
    2021 [S31].

    Parameters
    ----------
    arrays : VisitArrays
        The visits.

    Returns
    -------
    ndarray of int8
        The flare code per visit.

    Examples
    --------
    >>> import numpy as np
    >>> from lupusstats.endpoints import VisitArrays
    >>> from lupusstats.endpoints.flares import bilag_flare_kernel
    >>> z = np.zeros((1, 3), bool)
    >>> bilag = np.full((1, 3, 9), 3, np.int8)
    >>> bilag[0, 1, [1, 3]] = 1      # two new B at week 4: moderate
    >>> bilag[0, 2, [1, 3]] = 1      # still B at week 8: not new
    >>> bilag[0, 2, 7] = 0           # a new A at week 8: severe
    >>> arrays = VisitArrays(week=np.array([0, 4, 8]), attended=~z, sledai=np.zeros((1, 3), int),
    ...     clinical_sledai=np.zeros((1, 3), int), pga=np.zeros((1, 3)), prednisone_mg=np.zeros((1, 3)),
    ...     on_immunosuppressant=z, on_antimalarial=z, rescue=z, major_organ_activity=z, new_activity=z,
    ...     bilag=bilag)
    >>> bilag_flare_kernel(arrays)
    array([[0, 2, 3]], dtype=int8)
    """
    new_a, new_b = _bilag_new(arrays)
    return np.where(new_a > 0, 3, np.where(new_b >= 2, 2, np.where(new_b == 1, 1, 0))).astype(np.int8)


def _flare_rows(arrays: VisitArrays, codes: np.ndarray, levels: tuple[str, ...], extra: dict[str, np.ndarray]):
    import pandas as pd

    p, v = np.nonzero(codes > 0)
    out = arrays.ids.iloc[p].reset_index(drop=True)
    out[C.WEEK] = arrays.week[v]
    out[C.SEVERITY] = pd.Categorical(
        np.array(levels, dtype=object)[codes[p, v]], categories=list(levels[1:]), ordered=True
    )
    for name, value in extra.items():
        out[name] = value[p, v]
    return out


def selena_flares(visits: Any, *, default_weight_kg: float = DEFAULT_WEIGHT_KG, group: str = C.ARM) -> pd.DataFrame:
    """Flares by the SELENA flare index, one row per flare (a visit worse than the previous one).

    A visit is a severe flare when SLEDAI rose by >= 3 to above 12, prednisone
    was raised above 0.5 mg/kg/day (weight from a ``weight_kg`` column, else
    `default_weight_kg`), PGA rose above 2.5 or an immunosuppressant was
    started; else a mild/moderate flare when SLEDAI rose by >= 3, prednisone
    was raised, an antimalarial was started or PGA rose by >= 1.  Source [S29];
    the operationalisation is in the module docstring.

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    default_weight_kg : float
        Weight used where the data have none (default 70 kg, tag A).
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per flare: the patient keys, `group`, ``week``, ``severity``
        (ordered Categorical ``mild/moderate < severe``) and ``trigger`` (the
        first criterion met at the flare's level).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", clinical_sledai=0, pga=1.0, on_immunosuppressant=False,
    ...             on_antimalarial=True, rescue=False, major_organ_activity=False, new_activity=False,
    ...             **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=0, sledai=4, prednisone_mg=5.0),
    ...                        dict(base, week=4, sledai=4, prednisone_mg=40.0),
    ...                        dict(base, week=8, sledai=14, prednisone_mg=40.0)])
    >>> ls.selena_flares(visits)[["week", "severity", "trigger"]]
       week severity                                trigger
    0     4   severe  prednisone raised above 0.5 mg/kg/day
    1     8   severe                     SLEDAI rise to > 12
    """
    weight = _v.check_positive("default_weight_kg", default_weight_kg)
    arrays = as_arrays(visits, group=group)
    codes = selena_flare_kernel(arrays, default_weight_kg=weight)
    severe, mild = _sfi_parts(arrays, weight)
    trigger = np.full(arrays.attended.shape, "", dtype=object)
    for parts, level in ((mild, 1), (severe, 2)):
        for name, met in reversed(list(parts.items())):
            trigger = np.where((codes == level) & met, name, trigger)
    return _flare_rows(arrays, codes, SFI_LEVELS, {"trigger": trigger})


def bilag_flares(visits: Any, *, group: str = C.ARM) -> pd.DataFrame:
    """Flares by BILAG-2004 (McElhone 2021), one row per flare.

    Versus the previous attended visit: severe = a new A; moderate = two or
    more new B and no new A; mild = exactly one new B.  Source [S31].

    Parameters
    ----------
    visits : Cohort, DataFrame or VisitArrays
        The visits table (or a cohort holding one; or arrays with ``ids``).
    group : str
        The arm column.

    Returns
    -------
    pandas.DataFrame
        One row per flare: the patient keys, `group`, ``week``, ``severity``
        (ordered Categorical ``mild < moderate < severe``), ``new_a`` and
        ``new_b`` (counts of domains newly A / newly B).

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> base = dict(patient=1, arm="drug", sledai=4, clinical_sledai=4, pga=1.0, prednisone_mg=5.0,
    ...             on_immunosuppressant=False, on_antimalarial=True, rescue=False, major_organ_activity=False,
    ...             new_activity=False, **{c: "D" for c in ls.columns.BILAG_COLUMNS})
    >>> visits = pd.DataFrame([dict(base, week=0), dict(base, week=4, bilag_mucocutaneous="B"),
    ...     dict(base, week=8, bilag_mucocutaneous="B", bilag_musculoskeletal="B", bilag_renal="B")])
    >>> ls.bilag_flares(visits)[["week", "severity", "new_b"]]
       week  severity  new_b
    0     4      mild      1
    1     8  moderate      2
    """
    arrays = as_arrays(visits, group=group)
    codes = bilag_flare_kernel(arrays)
    new_a, new_b = _bilag_new(arrays)
    return _flare_rows(arrays, codes, BILAG_FLARE_LEVELS, {"new_a": new_a, "new_b": new_b})
