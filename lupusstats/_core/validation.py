"""Argument checks shared by every public function.

Each check raises ``TypeError`` for a wrong type and ``ValueError`` for a bad
value.  The message names the argument, shows the offending value and says what
is allowed, so a user never sees a traceback from deep inside numpy.  This
module imports nothing from the rest of the package.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

import numpy as np
import numpy.typing as npt

_ALTERNATIVES = ("two-sided", "less", "greater")

_F = TypeVar("_F", bound=Callable[..., Any])


def _show(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_real(name: str, value: object) -> float:
    """Return `value` as a float; ``TypeError`` unless it is a real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number, got {_show(value)} ({type(value).__name__}).")
    return float(value)


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_inf: bool = False,
) -> float:
    """Check a real scalar against optional bounds and return it as a float.

    NaN is always rejected; infinity only with ``allow_inf=True``.
    """
    x = check_real(name, value)
    if np.isnan(x):
        raise ValueError(f"`{name}` must be a number, got NaN.")
    if np.isinf(x) and not allow_inf:
        raise ValueError(f"`{name}` must be finite, got {x}.")
    bad_low = low is not None and (x < low if low_inclusive else x <= low)
    bad_high = high is not None and (x > high if high_inclusive else x >= high)
    if bad_low or bad_high:
        lo = "" if low is None else f"{'>=' if low_inclusive else '>'} {low}"
        hi = "" if high is None else f"{'<=' if high_inclusive else '<'} {high}"
        allowed = " and ".join(s for s in (lo, hi) if s)
        raise ValueError(f"`{name}` must be {allowed}, got {_show(value)}.")
    return x


def check_positive(name: str, value: object, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """A real number > 0 (or >= 0 with ``allow_zero``)."""
    return check_number(name, value, low=0.0, low_inclusive=allow_zero, allow_inf=allow_inf)


def check_probability(name: str, value: object, *, allow_zero: bool = True, allow_one: bool = True) -> float:
    """A probability in [0, 1] (endpoints optional)."""
    return check_number(name, value, low=0.0, high=1.0, low_inclusive=allow_zero, high_inclusive=allow_one)


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """An integer (numpy integers accepted, bools and floats rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an integer, got {_show(value)} ({type(value).__name__}).")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}, got {v}.")
    return v


def check_confidence_level(value: object, name: str = "confidence_level") -> float:
    """A confidence level strictly between 0 and 1."""
    return check_number(name, value, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def check_alternative(value: object, name: str = "alternative") -> str:
    """One of ``"two-sided"``, ``"less"``, ``"greater"``."""
    return check_choice(name, value, _ALTERNATIVES)


def check_choice(name: str, value: object, allowed: Iterable[str]) -> str:
    """`value` must be one of the strings in `allowed`."""
    allowed = tuple(allowed)
    if not isinstance(value, str):
        raise TypeError(f"`{name}` must be a string, one of {list(allowed)}, got {_show(value)}.")
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {list(allowed)}, got {value!r}.")
    return value


def check_rng(value: object, name: str = "rng") -> None:
    """`value` must be what ``np.random.default_rng`` takes: None, a non-negative int (or sequence of them),
    a ``SeedSequence``, ``BitGenerator`` or ``Generator``; numpy's own message does not name the argument."""
    if value is None or isinstance(value, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return
    try:
        np.random.SeedSequence(value)  # type: ignore[arg-type]  # any value: numpy decides, we reword
    except (TypeError, ValueError) as err:
        raise type(err)(
            f"`{name}` must be None, a non-negative integer seed, a SeedSequence or a numpy Generator, "
            f"got {_show(value)} ({err})."
        ) from None


def check_probability_vector(name: str, value: object, *, length: int | None = None, atol: float = 1e-6) -> np.ndarray:
    """A 1-d vector of probabilities (each in [0, 1]) that sums to 1."""
    arr = as_float_array(name, value, ndim=1)
    if length is not None and arr.size != length:
        raise ValueError(f"`{name}` must have {length} entries, got {arr.size}: {_show(value)}.")
    if np.any(arr < 0) or np.any(arr > 1):
        raise ValueError(f"`{name}` entries must be probabilities in [0, 1], got {_show(value)}.")
    total = float(arr.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(f"`{name}` must sum to 1, got {_show(value)} (sum {total:.6g}).")
    return arr / total


def as_float_array(
    name: str, value: object, *, ndim: int | None = None, allow_nan: bool = False
) -> npt.NDArray[np.float64]:
    """Convert to a float ndarray, rejecting strings, wrong dimension and NaN."""
    if isinstance(value, (str, bytes)):
        raise TypeError(f"`{name}` must be array-like of numbers, got a string {_show(value)}.")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be array-like of numbers, got {_show(value)}.") from None
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"`{name}` must be {ndim}-dimensional, got shape {arr.shape}.")
    if not allow_nan and np.isnan(arr).any():
        n_bad = int(np.isnan(arr).sum())
        raise ValueError(f"`{name}` contains {n_bad} missing (NaN) value(s); remove or impute them first.")
    return arr


def column_as_float(name: str, column: Any) -> npt.NDArray[np.float64]:
    """A table column (pandas Series, any dtype, nullable included) as floats with NaN for missing values.

    ``TypeError`` naming `name` and showing the first entry that is not a number (a text cell, say).
    """
    import pandas as pd

    try:
        return np.asarray(column.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    except (TypeError, ValueError):
        values = pd.Series(column).astype(object)
        numeric = pd.to_numeric(values, errors="coerce")
        bad = values[numeric.isna() & values.notna()]
        shown = _show(bad.iloc[0]) if len(bad) else "a value that is not a number"
        raise TypeError(f"`{name}` must hold numbers, got {shown} ({len(bad)} entries are not numbers).") from None


def as_count_array(name: str, value: object, *, ndim: int | None = None) -> npt.NDArray[np.int64]:
    """Non-negative integer counts (floats holding whole numbers are accepted)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":  # integers already: only the sign to check
        if ndim is not None and value.ndim != ndim:
            raise ValueError(f"`{name}` must be {ndim}-dimensional, got shape {value.shape}.")
        if value.dtype.kind == "i" and (value < 0).any():
            raise ValueError(f"`{name}` must be non-negative counts, got {_show(value[value < 0][:5].tolist())}.")
        return value.astype(np.int64, copy=False)
    arr = as_float_array(name, value, ndim=ndim)
    if np.isinf(arr).any():
        raise ValueError(f"`{name}` must be finite counts, got infinity.")
    if (arr < 0).any():
        raise ValueError(f"`{name}` must be non-negative counts, got {_show(arr[arr < 0][:5].tolist())}.")
    if (arr != np.round(arr)).any():
        bad = arr[arr != np.round(arr)][:5].tolist()
        raise ValueError(f"`{name}` must be whole-number counts, got {_show(bad)}.")
    if (arr > 2**53).any():  # beyond this, floats skip integers and int64 overflows
        raise ValueError(f"`{name}` must be counts below 2**53, got {_show(arr[arr > 2**53][:5].tolist())}.")
    return arr.astype(np.int64)


#: Largest flare count per patient the rate models take: the negative binomial fit tabulates the counts
#: 0..max of every trial, so memory grows with the largest count (a count of 1e9 exhausted memory).
MAX_COUNT_PER_PATIENT = 100_000


def check_count_limit(name: str, counts: np.ndarray, limit: int = MAX_COUNT_PER_PATIENT) -> None:
    """``ValueError`` naming `name` when a count exceeds `limit` (events per patient, not per trial)."""
    if counts.size and int(counts.max()) > limit:
        raise ValueError(
            f"`{name}` has a count of {int(counts.max())}, above {limit} events for one patient: counts are per "
            "patient (not totals), and the rate models tabulate every count up to the largest."
        )


def as_positive_array(name: str, value: object, *, ndim: int | None = None) -> npt.NDArray[np.float64]:
    """Strictly positive, finite floats (e.g. exposure in patient-years)."""
    arr = as_float_array(name, value, ndim=ndim)
    if not np.isfinite(arr).all():
        raise ValueError(f"`{name}` must be finite, got infinity.")
    if (arr <= 0).any():
        raise ValueError(f"`{name}` must be > 0, got {_show(arr[arr <= 0][:5].tolist())}.")
    return arr


def check_same_shape(**arrays: np.ndarray) -> None:
    """All arrays must have one shape; the message lists every shape."""
    shapes = {k: np.shape(v) for k, v in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"`{k}` {s}" for k, s in shapes.items())
        raise ValueError(f"arrays must have the same shape, got {listed}.")


def check_treated(value: object, n_trials: int, n_patients: int, name: str = "treated") -> np.ndarray:
    """The treated indicator of the batch functions, checked, as a boolean array of its own shape.

    Accepts booleans or 0/1 numbers of shape ``(n_patients,)`` (the same
    allocation in every trial) or ``(n_trials, n_patients)``; every trial needs
    treated and reference patients.
    """
    arr = np.asarray(value)
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.number):
            raise TypeError(f"`{name}` must be a boolean array (True = treated), got dtype {arr.dtype}.")
        bad = ~np.isin(arr, (0, 1))
        if bad.any():
            raise ValueError(f"`{name}` must be boolean (or 0/1), got {np.unique(arr[bad])[:5].tolist()}.")
        arr = arr.astype(bool)
    if arr.shape not in ((n_patients,), (n_trials, n_patients)):
        raise ValueError(
            f"`{name}` must have shape ({n_patients},) or ({n_trials}, {n_patients}) (one entry per "
            f"patient), got {arr.shape}."
        )
    both = arr.any(axis=-1) & (~arr).any(axis=-1)
    if not both.all():
        raise ValueError(
            f"every trial needs treated and reference patients; `{name}` is all True or all False "
            f"in {int(np.size(both) - np.sum(both))} trial(s)."
        )
    return arr


def check_columns(name: str, frame: object, columns: Sequence[str]) -> None:
    """`frame` must be a DataFrame holding every column in `columns`."""
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`{name}` must be a pandas DataFrame, got {type(frame).__name__}.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"`{name}` is missing column(s) {missing}; it has {list(frame.columns)}. "
            "Pass the column names as keyword arguments if yours differ."
        )


def check_unique_names(name: str, names: Sequence[str]) -> None:
    """No duplicates allowed; the message lists them."""
    seen, dup = set(), []
    for n in names:
        if n in seen and n not in dup:
            dup.append(n)
        seen.add(n)
    if dup:
        raise ValueError(f"`{name}` must have unique names, got duplicate(s) {dup}.")


def check_output_name(name: str, value: object, taken: Iterable[str]) -> None:
    """`value` (a column name the output is named after) must not clash with the output's other columns."""
    taken = tuple(taken)
    if value in taken:
        raise ValueError(
            f"`{name}` {value!r} clashes with an output column of the same name ({list(taken)}); "
            "rename that column of your table first."
        )


def renamed_keyword(old: str, new: str) -> Callable[[_F], _F]:
    """Decorator: keep accepting the keyword `old` of a function whose keyword is now `new`.

    A call with ``old=`` still works, with a ``DeprecationWarning`` naming the
    new keyword (attributed to the caller's line); passing both is a
    ``TypeError``.  Stacked decorators share one wrapper, so every old name
    warns from the caller's line.  ``inspect.signature`` and ``help()`` show
    the new signature only.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keyword(old="n_boot", new="n_resamples")
    ... def resample(x, *, n_resamples=100):
    ...     return n_resamples
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     resample(1, n_boot=50)
    50
    >>> str(caught[0].message)
    'resample(): the keyword `n_boot` is deprecated; use `n_resamples` instead.'
    """
    if not (isinstance(old, str) and isinstance(new, str) and old.isidentifier() and new.isidentifier()):
        raise TypeError(f"`old` and `new` must be keyword names, got {_show(old)} and {_show(new)}.")

    def decorate(func: _F) -> _F:
        renames = dict(getattr(func, "_renamed_keywords", {}))
        target = inspect.unwrap(func) if renames else func
        params = inspect.signature(target).parameters
        if new not in params or old in params or old in renames:
            raise TypeError(f"cannot rename `{old}` to `{new}` for {target.__qualname__}{inspect.signature(target)}.")
        renames[old] = new

        @functools.wraps(target)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for was, now in renames.items():
                if was in kwargs:
                    if now in kwargs:
                        raise TypeError(
                            f"{target.__name__}() got both `{was}` (deprecated) and `{now}`; pass only `{now}`."
                        )
                    warnings.warn(
                        f"{target.__name__}(): the keyword `{was}` is deprecated; use `{now}` instead.",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[now] = kwargs.pop(was)
            return target(*args, **kwargs)

        wrapper._renamed_keywords = renames  # type: ignore[attr-defined]
        # to a type checker the function keeps its (new) signature: the old keyword is deprecated
        return cast(_F, wrapper)

    return decorate
