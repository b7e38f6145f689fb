"""Comparing arms on a time-to-event table: the log-rank test and the Cox hazard ratio in one call.

The table-taking twin of the array functions :func:`logrank` and
:func:`cox_hazard_ratio`, as :func:`compare_rates` and :func:`compare_severity`
are for the other families.  The public names are re-exported by
:mod:`lupusstats.survival`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import ConfidenceInterval, EstimateResult, ResultBase
from lupusstats.cohort import columns as C
from lupusstats.survival.models import cox_hazard_ratio
from lupusstats.survival.nonparametric import logrank

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SurvivalComparison", "compare_survival"]

_FRAME_COLUMNS = (
    "reference",
    "hazard_ratio",
    "ci_low",
    "ci_high",
    "pvalue",
    "logrank_statistic",
    "log_hazard_ratio",
    "se",
    "cox_statistic",
    "cox_pvalue",
    "n_patients",
    "n_patients_reference",
    "n_events",
    "n_events_reference",
    "expected_events",
    "expected_events_reference",
    "confidence_level",
    "alternative",
    "method",
    "note",
)


def _hr_interval(log_hr: float, se: float, level: float, alternative: str) -> tuple[float, float]:
    """Wald interval of the hazard ratio (one-sided for ``"less"`` / ``"greater"``)."""
    if not (np.isfinite(log_hr) and np.isfinite(se)):
        return math.nan, math.nan
    return _inf.wald_interval(log_hr, se, level, alternative, back=np.exp)


def _monotone_hr_interval(cox: EstimateResult, level: float, alternative: str) -> tuple[float, float]:
    """Profile-likelihood interval of a hazard ratio estimated as 0 or infinite (monotone likelihood).

    Two-sided: the Cox result's own interval.  One-sided at `level`: the
    finite end of the two-sided interval at ``2 level - 1`` on the side the
    alternative bounds, and the open end on the other; a bound on the side
    where the estimate diverges is open too (0 or infinity).
    """
    low, high = cox.confidence_interval(_inf.two_sided_level(level, alternative))
    return _inf.one_sided(low, high, alternative, 0.0, math.inf)


@dataclasses.dataclass(frozen=True)
class SurvivalComparison(ResultBase):
    """Time to event of one arm against the reference: log-rank test and Cox hazard ratio.

    Attributes
    ----------
    arm, reference : str
        The compared arm and the reference arm.
    hazard_ratio : float
        Cox (Efron ties) hazard ratio of `arm` against `reference` (< 1: fewer
        events in the arm); 0 or infinite when the partial likelihood is
        monotone (an arm without events, complete separation: a
        ``RuntimeWarning`` says so, as R ``coxph`` warns; the interval is then
        profile likelihood with one open end, ``se`` is infinite and
        ``cox_statistic`` / ``cox_pvalue`` are the signed root of the
        likelihood-ratio statistic and its p-value); NaN when not estimable
        (see ``note``).
    ci_low, ci_high : float
        Its Wald interval at ``confidence_level`` (one-sided for a one-sided
        `alternative`).
    pvalue : float
        Log-rank p-value (R ``survdiff``; for a one-sided `alternative` from
        the signed statistic ``(O - E) / sqrt(V)`` of the arm).
    logrank_statistic : float
        Log-rank chi-square statistic (1 df).
    log_hazard_ratio, se : float
        Log hazard ratio and its standard error.
    cox_statistic, cox_pvalue : float
        Wald z of the log hazard ratio and its p-value for `alternative`.
    n_patients, n_patients_reference, n_events, n_events_reference : int
        Patients and observed events per arm.
    expected_events, expected_events_reference : float
        Expected events per arm under equal survival (log-rank).
    group : str
        Name of the group column (the first column of ``to_frame()``).
    confidence_level : float
    alternative : str
        ``"less"``: lower hazard (fewer events) in the arm than in the reference.
    method : str
    note : str
        Why the hazard ratio is NaN, if it is.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> tte = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 1, 0, 1, 1, 0, 1],
    ...                     "arm": ["a", "b", "a", "a", "b", "a", "b", "b"]})
    >>> res = ls.compare_survival(tte)
    >>> res.confidence_interval(0.9).low < res.hazard_ratio < res.confidence_interval(0.9).high
    True
    """

    arm: str
    reference: str
    hazard_ratio: float
    ci_low: float
    ci_high: float
    pvalue: float
    logrank_statistic: float
    log_hazard_ratio: float
    se: float
    cox_statistic: float
    cox_pvalue: float
    n_patients: int
    n_patients_reference: int
    n_events: int
    n_events_reference: int
    expected_events: float
    expected_events_reference: float
    group: str = C.ARM
    confidence_level: float = 0.95
    alternative: str = "two-sided"
    method: str = ""
    note: str = ""
    _cox: EstimateResult | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def estimate(self) -> float:
        """The hazard ratio (the name every estimate has in lupusstats results)."""
        return self.hazard_ratio

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval[float]:
        """The interval of the hazard ratio, by default at the stored level.

        Parameters
        ----------
        confidence_level : float, optional
            Another level: the Wald interval recomputed from
            ``log_hazard_ratio`` and ``se``.
        """
        if confidence_level is None or confidence_level == self.confidence_level:
            return ConfidenceInterval(self.ci_low, self.ci_high)
        level = _v.check_confidence_level(confidence_level)
        if self._cox is not None:
            return ConfidenceInterval(*_monotone_hr_interval(self._cox, level, self.alternative))
        return ConfidenceInterval(*_hr_interval(self.log_hazard_ratio, self.se, level, self.alternative))

    def to_frame(self) -> pd.DataFrame:
        """One row: the arm (in a column named after `group`), ``reference``, ``hazard_ratio``, ..."""
        import pandas as pd

        row = {self.group: self.arm}
        row.update({name: getattr(self, name) for name in _FRAME_COLUMNS})
        return pd.DataFrame([row])


def _numbers(patients, column):
    try:
        return patients[column].to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise TypeError(
            f"column `{column}` of `patients` must hold numbers, got dtype {patients[column].dtype}."
        ) from None


def _pick(name, value, allowed, column):
    if value in allowed:
        return value
    if str(value) in allowed:
        return str(value)
    raise ValueError(f"`{name}` must be one of the groups of column `{column}` {allowed}, got {value!r}.")


def compare_survival(
    patients: pd.DataFrame,
    *,
    time: str = C.TIME,
    event: str = C.EVENT,
    group: str = C.ARM,
    reference: str | None = None,
    treatment: str | None = None,
    alternative: str = "two-sided",
    confidence_level: float = 0.95,
) -> SurvivalComparison:
    """Compare time to event between an arm and the reference on a table: log-rank test and Cox hazard ratio.

    Runs :func:`logrank` (R ``survdiff``) and :func:`cox_hazard_ratio` (R
    ``coxph``, Efron ties, Wald interval) on the patients of the two arms, so
    the numbers equal those functions called on the table's columns.  The
    defaults read the output of :func:`time_to_first_flare` (columns
    ``time``, ``event`` and the arm).

    Parameters
    ----------
    patients : DataFrame
        One row per patient, e.g. ``ls.time_to_first_flare(cohort.patients)``.
    time, event, group : str
        Column names: follow-up time to the event or censoring (>= 0), event
        indicator (bool or 0/1), arm.  The arm column of ``to_frame()`` is
        named after `group`.
    reference : str, optional
        Reference arm; default the first group (category order for a
        Categorical column, else sorted).
    treatment : str, optional
        The arm compared with `reference`; needed when the table has more than
        two arms (the two arms' patients are then analysed on their own).
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: lower hazard in the arm than in the reference.
    confidence_level : float, default 0.95

    Returns
    -------
    SurvivalComparison
        ``hazard_ratio``, ``confidence_interval()``, the log-rank ``pvalue``,
        events per arm, ``to_frame()``.  When an arm has no events (or one
        arm's events all precede the other's) the hazard ratio is 0 or
        infinite: it is NaN, the log-rank test is still reported, and ``note``
        says why.

    Raises
    ------
    ValueError
        A missing column, missing or negative times, events other than 0/1, an
        unknown `reference` or `treatment`, fewer than two arms, no events at all.
    TypeError
        Non-numeric time or event column, column names that are not strings.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> tte = pd.DataFrame({"time": [1, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 1, 0, 1, 1, 0, 1],
    ...                     "arm": ["a", "b", "a", "a", "b", "a", "b", "b"]})
    >>> res = ls.compare_survival(tte)
    >>> res.arm, res.reference, round(res.hazard_ratio, 3), round(res.pvalue, 3)
    ('b', 'a', 0.433, 0.358)
    >>> list(res.to_frame().columns[:4])
    ['arm', 'reference', 'hazard_ratio', 'ci_low']

    From a simulated trial, time to first severe flare:

    >>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> tte = ls.time_to_first_flare(cohort.patients, severe=True)
    >>> res = ls.compare_survival(tte, treatment="MSC + standard care")
    >>> res.reference, round(res.hazard_ratio, 2), round(res.ci_low, 2), round(res.ci_high, 2)
    ('standard care', 1.57, 0.88, 2.83)
    """
    import pandas as pd

    for name, value in (("time", time), ("event", event), ("group", group)):
        if not isinstance(value, str):
            raise TypeError(f"`{name}` must be a column name (str), got {_v._show(value)}.")
    _v.check_columns("patients", patients, [time, event, group])
    _v.check_output_name("group", group, _FRAME_COLUMNS)
    alternative = _v.check_alternative(alternative)
    cl = _v.check_confidence_level(confidence_level)

    t = _v.as_float_array(f"patients[{time!r}]", _numbers(patients, time), ndim=1)
    bad = ~np.isfinite(t) | (t < 0)
    if bad.any():
        raise ValueError(f"column `{time}` must hold finite times >= 0, got {t[bad][:5].tolist()}.")
    e = _v.as_float_array(f"patients[{event!r}]", _numbers(patients, event), ndim=1)
    bad = ~np.isin(e, (0, 1))
    if bad.any():
        raise ValueError(f"column `{event}` must be 0/1 (or bool), got {np.unique(e[bad])[:5].tolist()}.")
    col = patients[group]
    if col.isna().any():
        raise ValueError(f"column `{group}` has {int(col.isna().sum())} missing value(s); every patient needs an arm.")
    cat = (col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")).cat.remove_unused_categories()
    codes = cat.cat.codes.to_numpy()
    levels = [str(c) for c in cat.cat.categories]
    if len(levels) < 2:
        raise ValueError(f"column `{group}` must hold at least two arms to compare, got {levels}.")
    ref = levels[0] if reference is None else _pick("reference", reference, levels, group)
    others = [lvl for lvl in levels if lvl != ref]
    if treatment is None:
        if len(others) != 1:
            raise ValueError(f"column `{group}` has {len(levels)} arms {levels}; pass `treatment=` (one of {others}).")
        arm = others[0]
    else:
        arm = _pick("treatment", treatment, others, group)

    keep = (codes == levels.index(ref)) | (codes == levels.index(arm))
    t, e = t[keep], e[keep].astype(bool)
    labels = pd.Categorical(np.asarray(levels, dtype=object)[codes[keep]], categories=[ref, arm])
    lr = logrank(t, e, labels)
    i_arm, i_ref = lr.groups.index(arm), lr.groups.index(ref)
    if lr.df == 0:
        p = math.nan
    elif alternative == "two-sided":
        p = lr.pvalue
    else:
        z = math.copysign(math.sqrt(lr.statistic), lr.observed[i_arm] - lr.expected[i_arm])
        p = _inf.pvalue_from_z(z, alternative)

    note = ""
    cox = None
    try:
        hr = cox_hazard_ratio(t, e, labels, reference=ref, treatment=arm, confidence_level=cl)
    except ValueError as err:  # neither arm with an event (0/0): no hazard ratio at all
        hr_est = log_hr = se = z_cox = p_cox = low = high = math.nan
        note = f"hazard ratio not estimable: {err}"
    else:
        hr_est, se, z_cox = hr.estimate, hr.se, hr.statistic
        log_hr = -math.inf if hr_est == 0 else math.log(hr_est)
        if not math.isfinite(se):  # monotone likelihood (HR 0 or infinite): profile interval, LR test
            cox = hr
            p_cox = hr.pvalue if alternative == "two-sided" else _inf.pvalue_from_z(z_cox, alternative)
            low, high = _monotone_hr_interval(hr, cl, alternative)
            note = "monotone likelihood: the hazard ratio is 0 or infinite; profile-likelihood interval, LR test"
        elif alternative == "two-sided":
            p_cox, low, high = hr.pvalue, hr.ci_low, hr.ci_high
        else:
            p_cox = _inf.pvalue_from_z(z_cox, alternative)
            low, high = _hr_interval(log_hr, se, cl, alternative)

    in_arm = np.asarray(labels == arm)
    return SurvivalComparison(
        arm=arm,
        reference=ref,
        hazard_ratio=hr_est,
        ci_low=low,
        ci_high=high,
        pvalue=p,
        logrank_statistic=lr.statistic,
        log_hazard_ratio=log_hr,
        se=se,
        cox_statistic=z_cox,
        cox_pvalue=p_cox,
        n_patients=int(in_arm.sum()),
        n_patients_reference=int((~in_arm).sum()),
        n_events=int(e[in_arm].sum()),
        n_events_reference=int(e[~in_arm].sum()),
        expected_events=lr.expected[i_arm],
        expected_events_reference=lr.expected[i_ref],
        group=group,
        confidence_level=cl,
        alternative=alternative,
        method=(
            f"log-rank test (as R survival::survdiff{', one-sided' if alternative != 'two-sided' else ''}) and "
            f"Cox PH hazard ratio (Efron ties, Wald interval), {arm} vs {ref}"
        ),
        note=note,
        _cox=cox,
    )
