"""Small frozen result objects, in the style of ``scipy.stats``.

Every test or estimator returns a frozen dataclass with the numbers as fields
(``estimate``, ``pvalue`` ...), the interval as a method
(``confidence_interval()``), a tidy one-row ``to_frame()`` and an HTML
representation for notebooks.  Results never round and never print.
This module imports nothing from the rest of the package but
:mod:`lupusstats._core.inference` and :mod:`lupusstats._core.validation`.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v

__all__ = ["BatchResult", "ConfidenceInterval", "EstimateResult", "ResultBase"]


_Limit = TypeVar("_Limit")


class ConfidenceInterval(NamedTuple, Generic[_Limit]):
    """A confidence interval ``(low, high)``.

    What every result's ``confidence_interval()`` returns: a named tuple, so it
    unpacks as ``low, high = res.confidence_interval()``.

    Attributes
    ----------
    low, high : float or ndarray
        Lower and upper limits, on the scale of the estimate (a ratio's interval
        is on the ratio scale, not the log scale).  One-sided intervals have an
        infinite (or boundary) end.  For type checkers the class is generic in
        the type of its limits: ``ConfidenceInterval[float]`` from one result,
        ``ConfidenceInterval[NDArray[float64]]`` from a :class:`BatchResult`.

    Examples
    --------
    Response in 30 of 50 treated against 20 of 50 reference patients:

    >>> import lupusstats as ls
    >>> ci = ls.risk_ratio(30, 50, 20, 50).confidence_interval()
    >>> round(ci.low, 3), round(ci.high, 3)
    (0.997, 2.256)
    >>> low, high = ci
    >>> low < 1 < high
    True
    """

    low: _Limit
    high: _Limit


class ResultBase:
    """Mixin: tidy frame and HTML display built from dataclass fields.

    Every result class of the package derives from it, so each result has a
    one-row ``to_frame()`` (to stack results of several analyses with
    ``pandas.concat``) and an HTML table in notebooks.  It has no fields of its
    own: the subclasses are frozen dataclasses, and it shows their fields.

    Attributes
    ----------
    (the subclass's dataclass fields)
        Shown by :meth:`to_frame` and in notebooks, except fields whose name
        starts with an underscore (private, for example a function that
        recomputes the interval at another level) or declared with
        ``repr=False``, and fields holding tuples, lists, dicts or arrays.  A
        ``confidence_interval()`` method adds ``ci_low`` and ``ci_high``.

    Examples
    --------
    >>> import pandas as pd
    >>> import lupusstats as ls
    >>> tests = [ls.contingency_test([[30, 10, 5], [20, 15, 10]], method=m) for m in ("chisq", "fisher")]
    >>> isinstance(tests[0], ls.ResultBase)
    True
    >>> pd.concat([t.to_frame() for t in tests], ignore_index=True)[["method", "pvalue"]].round(4)
                                       method  pvalue
    0                      Pearson chi-square  0.0970
    1  Fisher exact (2 x 3, full enumeration)  0.0875
    """

    def _public_fields(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if f.name.startswith("_") or not f.repr:
                continue
            out[f.name] = getattr(self, f.name)
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return the result as a one-row tidy ``pandas.DataFrame``."""
        import pandas as pd

        row = {}
        for key, value in self._public_fields().items():
            if isinstance(value, (dict, list, tuple, np.ndarray)) and key not in ("ci",):
                continue
            row[key] = value
        if hasattr(self, "confidence_interval"):
            # the stored interval: nothing is recomputed, so an error here is a bug and is not hidden
            ci = self.confidence_interval()
            row["ci_low"], row["ci_high"] = ci.low, ci.high
        return pd.DataFrame([row])

    def _repr_html_(self) -> str:
        frame = self.to_frame()
        title = type(self).__name__
        return f"<div><strong>{title}</strong>{frame.to_html(index=False)}</div>"


@dataclasses.dataclass(frozen=True)
class EstimateResult(ResultBase):
    """A point estimate with its confidence interval, test statistic and p-value.

    Attributes
    ----------
    estimate : float
        The point estimate on its natural scale (e.g. a rate ratio).
    pvalue : float
        p-value of the test of the null value (NaN when no test applies).
    statistic : float
        Test statistic (NaN when the method has none).
    se : float
        Standard error on the scale the interval is built on (often log).
    method : str
        Name of the method, precise enough to reproduce the numbers.
    confidence_level : float
        Level of the interval stored in ``ci_low``/``ci_high``.
    ci_low, ci_high : float
        The interval at `confidence_level`; also ``confidence_interval()``.
    alternative : {"two-sided", "less", "greater"}
        Alternative hypothesis of the p-value (and sidedness of the interval).

    Examples
    --------
    Response in 30 of 50 treated against 20 of 50 reference patients:

    >>> import lupusstats as ls
    >>> res = ls.risk_ratio(30, 50, 20, 50)
    >>> round(res.estimate, 2), round(res.pvalue, 4)
    (1.5, 0.0514)
    >>> [round(v, 3) for v in res.confidence_interval(0.90)]  # recomputed at 90%
    [1.065, 2.112]
    >>> res.to_frame()[["estimate", "ci_low", "ci_high", "pvalue"]].round(3)
       estimate  ci_low  ci_high  pvalue
    0       1.5   0.997    2.256   0.051
    """

    estimate: float
    ci_low: float = dataclasses.field(repr=False)
    ci_high: float = dataclasses.field(repr=False)
    pvalue: float = math.nan
    statistic: float = math.nan
    se: float = math.nan
    method: str = ""
    confidence_level: float = 0.95
    alternative: str = "two-sided"
    _ci_func: Callable[..., tuple[float, float]] | None = dataclasses.field(default=None, repr=False, compare=False)
    _ci_args: tuple = dataclasses.field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_ci_func(self)

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval[float]:
        """Return the confidence interval, by default at the stored level.

        Parameters
        ----------
        confidence_level : float, optional
            Another level; recomputed by the same method when the result knows
            how, otherwise a ``ValueError``.
        """
        return _interval_at(self, confidence_level)

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row ``DataFrame``: estimate, ci_low, ci_high, pvalue, ..."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "confidence_level": self.confidence_level,
                    "se": self.se,
                    "statistic": self.statistic,
                    "pvalue": self.pvalue,
                    "alternative": self.alternative,
                    "method": self.method,
                }
            ]
        )


def _check_ci_func(result: Any) -> None:
    """`_ci_func` must be a module-level function (with its inputs in `_ci_args`), so the result pickles."""
    func = result._ci_func
    if func is None:
        return
    if not (inspect.isfunction(func) and func.__qualname__ == func.__name__ and func.__name__ != "<lambda>"):
        raise TypeError(
            f"{type(result).__name__}._ci_func must be a module-level function taking (level, *_ci_args), "
            f"not {func!r}: a lambda or nested function cannot be pickled."
        )
    if not isinstance(result._ci_args, tuple):
        raise TypeError(f"{type(result).__name__}._ci_args must be a tuple, got {type(result._ci_args).__name__}.")


def _interval_at(result: Any, confidence_level: float | None) -> ConfidenceInterval[float]:
    """The stored ``(ci_low, ci_high)``, or the interval recomputed at another level.

    None (or the stored level) gives the stored interval; another level calls
    ``result._ci_func(level, *result._ci_args)``, and a result without one
    raises a ``ValueError`` saying that only the stored level is available.
    """
    if confidence_level is None or confidence_level == result.confidence_level:
        return ConfidenceInterval(result.ci_low, result.ci_high)
    if isinstance(confidence_level, bool) or not (
        isinstance(confidence_level, (int, float)) and 0 < confidence_level < 1
    ):
        raise ValueError(f"`confidence_level` must be in (0, 1), got {confidence_level!r}.")
    if result._ci_func is None:
        raise ValueError(
            f"this {type(result).__name__} stores only its {result.confidence_level} interval and cannot "
            f"recompute it at {confidence_level!r}; call the function again with `confidence_level=`."
        )
    low, high = result._ci_func(float(confidence_level), *result._ci_args)
    return ConfidenceInterval(float(low), float(high))


_BATCH_CORE = ("estimate", "se", "ci_low", "ci_high", "statistic", "pvalue")


def _read_only(value: Any) -> np.ndarray:
    # a view, so that the caller's own array (if one was passed through) stays writeable
    arr = np.asarray(value).view()
    arr.flags.writeable = False
    return arr


@dataclasses.dataclass(frozen=True, repr=False)
class BatchResult:
    """One treated-versus-reference comparison per simulated trial: read-only arrays of shape ``(n_trials,)``.

    Every batch function (:func:`lupusstats.compare_rates_batch`,
    :func:`lupusstats.logrank_batch`, :func:`lupusstats.compare_severity_batch`,
    :func:`lupusstats.compare_proportions_batch`) returns this one type, so
    power and calibration code treats them alike.

    Attributes
    ----------
    estimate : ndarray
        Point estimate per trial on its natural scale (rate ratio, hazard
        ratio, probability of superiority ...; ``measure`` says which).
    se : ndarray
        Standard error on the scale the test and interval are built on
        (``scale`` says which: ``"log"`` for ratios).
    ci_low, ci_high : ndarray
        Confidence interval at ``confidence_level`` (one-sided intervals have an
        infinite or boundary end, as the ``alternative`` implies).
    statistic, pvalue : ndarray
        Test statistic and p-value for ``alternative``.
    measure : str
        What ``estimate`` is, e.g. ``"rate_ratio"``.
    method : str
        How it was computed, precise enough to reproduce the numbers.
    alternative : str
    confidence_level : float
    scale : str
        ``"log"`` or ``"identity"``: the scale of ``se`` and ``statistic``.
    extra : dict of str to ndarray
        Family-specific arrays (e.g. ``dispersion``, ``boundary`` for rates);
        each is also an attribute (``res.dispersion``) and a key (``res["dispersion"]``).

    Examples
    --------
    >>> import numpy as np
    >>> import lupusstats as ls
    >>> arms = [ls.Arm("control"), ls.Arm("treated", flare_rate_ratio=0.7)]
    >>> scenario = ls.Scenario(arms, n_per_arm=50, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> batch = ls.simulate_trials(scenario, 20, rng=1)
    >>> res = ls.compare_rates_batch(batch.n_flares, batch.followup_years, batch.arm == 1)
    >>> type(res).__name__, res.pvalue.shape, res.pvalue.flags.writeable
    ('BatchResult', (20,), False)

    The share of trials that reject, with its Monte Carlo error (see
    :meth:`rejection_rate`):

    >>> power = res.rejection_rate(0.05)
    >>> 0 <= power.ci_low <= power.estimate <= power.ci_high <= 1
    True
    """

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    measure: str
    method: str
    alternative: str = "two-sided"
    confidence_level: float = 0.95
    scale: str = "log"
    extra: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _BATCH_CORE:
            object.__setattr__(self, name, _read_only(np.asarray(getattr(self, name), dtype=float)))
        shape = self.pvalue.shape
        extra = {}
        for key, value in dict(self.extra).items():
            if key in _BATCH_CORE or key in {f.name for f in dataclasses.fields(self)}:
                raise ValueError(f"extra array {key!r} clashes with a field of BatchResult.")
            extra[key] = _read_only(value)
        object.__setattr__(self, "extra", extra)
        for name in _BATCH_CORE:
            if getattr(self, name).shape != shape:
                raise ValueError(f"`{name}` has shape {getattr(self, name).shape}, expected {shape}.")

    def __reduce__(self):
        # numpy unpickles (and deep-copies) arrays as writeable: rebuild through
        # __init__, which makes them read-only again
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["extra"] = dict(fields["extra"])
        return (_rebuild_batch_result, (fields,))

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: the family-specific arrays
        if name.startswith("__") or name == "extra":
            raise AttributeError(name)
        extra = self.__dict__.get("extra", {})
        if name in extra:
            return extra[name]
        raise AttributeError(f"'BatchResult' has no attribute {name!r}; arrays are {self.keys()}")

    @property
    def n_trials(self) -> int:
        """Number of trials."""
        return int(self.pvalue.size)

    def keys(self) -> list[str]:
        """Names of the per-trial arrays (dict-style access: ``res["pvalue"]``)."""
        return [*_BATCH_CORE, *self.extra]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the names of the per-trial arrays, as a mapping does."""
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return key in self.keys()

    def __getitem__(self, key: str) -> np.ndarray:
        if key in _BATCH_CORE:
            return getattr(self, key)
        if key in self.extra:
            return self.extra[key]
        raise KeyError(f"{key!r}; keys are {self.keys()}")

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval[npt.NDArray[np.float64]]:
        """The per-trial intervals ``(ci_low, ci_high)`` as arrays.

        Only the stored level is available (a batch is recomputed by calling the
        function again with ``confidence_level=``).
        """
        if confidence_level is not None and confidence_level != self.confidence_level:
            raise ValueError(
                f"this batch stores its {self.confidence_level} intervals only; call the batch function "
                f"again with confidence_level={confidence_level!r}."
            )
        return ConfidenceInterval(self.ci_low, self.ci_high)

    def rejection_rate(self, alpha: float = 0.05, *, confidence_level: float = 0.95) -> EstimateResult:
        """Share of trials whose test rejects at `alpha`, with its Monte Carlo standard error and interval.

        The simulated power (under an alternative) or type I error (under the
        null) of the batch's test: ``estimate = k / n_trials`` with ``k`` the
        number of trials with ``pvalue < alpha``; ``se = sqrt(estimate (1 -
        estimate) / n_trials)``, the Monte Carlo standard error; the interval
        is Clopper-Pearson (exact binomial, as R ``binom.test``) at
        `confidence_level`, and ``confidence_interval(level)`` recomputes it at
        another level.  Trials whose test is undefined (NaN p-value, e.g. an
        arm without flares) count as not rejecting, as in
        :func:`lupusstats.simulate_power`; ``method`` says how many there were.

        Parameters
        ----------
        alpha : float, default 0.05
            Significance level of each trial's test, in (0, 1).
        confidence_level : float, default 0.95
            Level of the Monte Carlo interval.

        Returns
        -------
        EstimateResult
            ``estimate``, ``se``, ``ci_low``, ``ci_high`` (``pvalue`` and
            ``statistic`` are NaN: nothing is tested).

        Examples
        --------
        Type I error of the NB2 rate comparison in 2000 simulated trials
        without an effect; the 99% Monte Carlo interval shows whether the
        rate is compatible with 5%:

        >>> import lupusstats as ls
        >>> arms = [ls.Arm("control"), ls.Arm("same")]
        >>> sc = ls.Scenario(arms, n_per_arm=60, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
        >>> b = ls.simulate_trials(sc, 2000, rng=3)
        >>> level = ls.compare_rates_batch(b.n_flares, b.followup_years, b.arm == 1).rejection_rate(0.05)
        >>> round(level.se, 4) == round((level.estimate * (1 - level.estimate) / 2000) ** 0.5, 4)
        True
        >>> low, high = level.confidence_interval(0.99)
        >>> bool(low <= 0.05 <= high)
        True
        """
        alpha = _v.check_number("alpha", alpha, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
        cl = _v.check_confidence_level(confidence_level)
        n = self.n_trials
        if n == 0:
            raise ValueError("this batch has no trials: a rejection rate needs at least one.")
        undefined = int(np.isnan(self.pvalue).sum())
        k = int(np.sum(self.pvalue < alpha))  # NaN compares False: undefined trials do not reject
        rate = k / n
        low, high = _rejection_interval(cl, k, n)
        return EstimateResult(
            estimate=rate,
            ci_low=low,
            ci_high=high,
            se=math.sqrt(rate * (1.0 - rate) / n),
            method=(
                f"Monte Carlo rejection rate at alpha {alpha:g}: {k} of {n} trials "
                f"({undefined} with an undefined test, counted as not rejecting), Clopper-Pearson interval; "
                f"test: {self.method}"
            ),
            confidence_level=cl,
            _ci_func=_rejection_interval,
            _ci_args=(k, n),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per trial: the arrays as columns, plus ``measure`` and ``method``."""
        import pandas as pd

        frame = pd.DataFrame({k: np.asarray(self[k]) for k in self.keys()})
        frame["measure"] = self.measure
        frame["method"] = self.method
        return frame

    def __repr__(self) -> str:
        finite = np.isfinite(self.pvalue)
        return (
            f"BatchResult(measure={self.measure!r}, n_trials={self.n_trials}, method={self.method!r}, "
            f"alternative={self.alternative!r}, finite p-values={int(finite.sum())})"
        )


def _rejection_interval(level: float, k: int, n: int) -> tuple[float, float]:
    """Clopper-Pearson interval of `k` rejections in `n` trials (`_ci_func` of `BatchResult.rejection_rate`)."""
    low, high = _inf.clopper_pearson_interval(k, n, level)
    return float(low), float(high)


def _rebuild_batch_result(fields: dict[str, Any]) -> BatchResult:
    """Unpickle a :class:`BatchResult` through its constructor (read-only arrays again)."""
    return BatchResult(**fields)
