"""The fuzz registry: one entry per public function of ``ls.__all__``, with the contract they share.

Every public function is called with arguments drawn by hypothesis: valid arguments, or valid
arguments with exactly one argument replaced by an edge case (NaN, infinity, a negative or empty
value, a length mismatch, a wrong dtype, an object column, a categorical with unused levels,
duplicated indices, pandas nullable and string dtypes, a single patient, an arm with no events, all
censored, huge counts, exposures of 1e-9 and 1e6 ...).  The contract (:func:`check_contract`):

* the call returns, or raises ``ValueError``/``TypeError`` whose message names an argument (a
  parameter name, a column name of a table passed, or a back-quoted name);
* it never raises anything else and never runs longer than :data:`TIME_LIMIT` seconds;
* a number the docstring promises (``estimate``, ``pvalue`` ...) is never NaN unless a warning
  says why, and a p-value is in [0, 1];
* it never modifies its input.

Names of ``ls.__all__`` that are not functions (classes, constants, modules) are listed in
:data:`EXCLUDED` with the reason.  ``tests/test_fuzz_registry.py`` fails, naming them, when a
public name is in neither; ``tests/test_fuzz_1.py`` and ``tests/test_fuzz_2.py`` run the two
halves of the registry (two files; ``make test`` deals their cases to the workers one by one:
``tests/conftest.py``).

Example budgets come from the hypothesis profile (``tests/conftest.py``): ``ci`` in ``make test``,
``fuzz`` in ``make fuzz``; an entry's ``weight`` scales the profile's ``max_examples`` for the
few functions that fit a model or simulate (seconds per call, not milliseconds).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import re
import signal
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import lupusstats as ls

TIME_LIMIT = 60  # seconds for one call: far above any call's time here, so a hang, not a slow call

NAN, INF = math.nan, math.inf

# --------------------------------------------------------------------------------------------- args
Draw = Callable[[Any, dict], Any]  # (hypothesis data, shared context) -> value
Case = Callable[[Any, Any, dict], Any]  # (data, valid value, ctx) -> edge value


@dataclasses.dataclass
class Arg:
    """One argument: how to draw a valid value and the named edge cases that replace it."""

    valid: Draw
    cases: dict[str, Case] = dataclasses.field(default_factory=dict)


def _const(value: Any) -> Case:
    return lambda data, v, ctx: copy.deepcopy(value)


SCALAR_CASES: dict[str, Case] = {
    "nan": _const(NAN),
    "inf": _const(INF),
    "-inf": _const(-INF),
    "negative": _const(-1.5),
    "zero": _const(0.0),
    "huge": _const(1e300),
    "tiny": _const(1e-300),
    "string": _const("1"),
    "None": _const(None),
    "bool": _const(True),
    "list": _const([1.0, 2.0]),
    "numpy scalar": lambda data, v, ctx: np.float32(v) if isinstance(v, (int, float)) else v,
}

INT_CASES: dict[str, Case] = {
    **{k: v for k, v in SCALAR_CASES.items() if k != "tiny"},
    "fractional": _const(2.5),
    "whole float": lambda data, v, ctx: float(v) if isinstance(v, int) else v,
    "numpy int": lambda data, v, ctx: np.int64(v) if isinstance(v, int) else v,
    "huge int": _const(10**12),
    "negative int": _const(-3),
}


def real(lo: float, hi: float, *, cases: dict[str, Case] | None = None) -> Arg:
    strat = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    return Arg(lambda data, ctx: data.draw(strat), dict(SCALAR_CASES if cases is None else cases))


def integer(lo: int, hi: int, *, huge: bool = True) -> Arg:
    """An integer; ``huge=False`` for a size of work (trials, resamples), where 10**12 is slow, not wrong."""
    strat = st.integers(lo, hi)
    cases = dict(INT_CASES) if huge else {k: v for k, v in INT_CASES.items() if k != "huge int"}
    return Arg(lambda data, ctx: data.draw(strat), cases)


def level() -> Arg:
    return real(0.5, 0.999, cases={**SCALAR_CASES, "one": _const(1.0), "above one": _const(1.5)})


def prob(lo: float = 0.0, hi: float = 1.0) -> Arg:
    return real(lo, hi, cases={**SCALAR_CASES, "above one": _const(1.5)})


def choice(*options: Any) -> Arg:
    strat = st.sampled_from(options)
    return Arg(
        lambda data, ctx: data.draw(strat),
        {"unknown": _const("no-such-option"), "wrong type": _const(3), "None": _const(None)},
    )


def fixed(value: Any, cases: dict[str, Case] | None = None) -> Arg:
    return Arg(lambda data, ctx: copy.deepcopy(value), dict(cases or {}))


def boolean() -> Arg:
    return Arg(lambda data, ctx: data.draw(st.booleans()), {"string": _const("yes"), "None": _const(None)})


def rng_arg() -> Arg:
    return Arg(
        lambda data, ctx: data.draw(st.integers(0, 2**32 - 1)),
        {"negative seed": _const(-1), "string": _const("seed"), "float": _const(1.5)},
    )


def _set_one(arr: np.ndarray, data: Any, value: Any) -> np.ndarray:
    numeric = arr.dtype.kind in "biuf"
    out = np.array(arr, dtype=float if numeric and not (isinstance(value, str) or value is None) else object)
    if out.size:
        flat = out.reshape(-1)
        flat[data.draw(st.integers(0, flat.size - 1))] = value
    return out


def array_cases(*, shrink: bool = True) -> dict[str, Case]:
    """Edge cases of a numeric array argument."""
    cases: dict[str, Case] = {
        "a NaN": lambda data, v, ctx: _set_one(np.asarray(v), data, NAN),
        "an inf": lambda data, v, ctx: _set_one(np.asarray(v), data, INF),
        "a negative": lambda data, v, ctx: _set_one(np.asarray(v), data, -1.0),
        "a huge value": lambda data, v, ctx: _set_one(np.asarray(v), data, 1e12),
        "a fraction": lambda data, v, ctx: _set_one(np.asarray(v), data, 0.5),
        "a string": lambda data, v, ctx: _set_one(np.asarray(v), data, "x"),
        "a None": lambda data, v, ctx: _set_one(np.asarray(v), data, None),
        "empty": lambda data, v, ctx: np.asarray(v)[:0],
        "2-d": lambda data, v, ctx: np.asarray(v)[None, None] if np.ndim(v) else np.asarray([[v]]),
        "scalar": lambda data, v, ctx: np.asarray(v).reshape(-1)[0] if np.size(v) else 1.0,
        "text dtype": lambda data, v, ctx: np.asarray(v).astype(str),
        "object list": lambda data, v, ctx: [str(x) for x in np.asarray(v).reshape(-1)],
        "Series, duplicated index": lambda data, v, ctx: pd.Series(np.asarray(v).reshape(-1), index=[0] * np.size(v)),
        "nullable Float64 with NA": lambda data, v, ctx: _nullable(v),
        "pandas string dtype": lambda data, v, ctx: pd.array(
            [str(x) for x in np.asarray(v).reshape(-1)], dtype="string"
        ),
    }
    if shrink:
        cases["length mismatch"] = lambda data, v, ctx: np.asarray(v)[:-1] if np.size(v) > 1 else np.asarray(v)
        cases["single element"] = lambda data, v, ctx: np.asarray(v).reshape(-1)[:1]
    return cases


def _nullable(v: Any) -> Any:
    s = pd.array(np.asarray(v, dtype=float).reshape(-1), dtype="Float64")
    if len(s):
        s[0] = pd.NA
    return s


def array(draw: Draw, *, shrink: bool = True, extra: dict[str, Case] | None = None) -> Arg:
    return Arg(draw, {**array_cases(shrink=shrink), **(extra or {})})


def n_of(ctx: dict, data: Any) -> int:
    if "n" not in ctx:
        ctx["n"] = data.draw(st.integers(2, 40))
    return ctx["n"]


def floats_of_n(lo: float, hi: float) -> Draw:
    return lambda data, ctx: np.array(
        data.draw(st.lists(st.floats(lo, hi, allow_nan=False), min_size=n_of(ctx, data), max_size=n_of(ctx, data)))
    )


def ints_of_n(lo: int, hi: int) -> Draw:
    return lambda data, ctx: np.array(
        data.draw(st.lists(st.integers(lo, hi), min_size=n_of(ctx, data), max_size=n_of(ctx, data))), dtype=np.int64
    )


def two_groups(labels: tuple[Any, Any] = ("a", "b")) -> Draw:
    def draw(data: Any, ctx: dict) -> np.ndarray:
        n = n_of(ctx, data)
        g = np.array([labels[i % 2] for i in range(n)], dtype=object)
        return g[np.asarray(data.draw(st.permutations(range(n))))]

    return draw


def group_cases() -> dict[str, Case]:
    return {
        "one group": lambda data, v, ctx: np.full(np.size(v), np.asarray(v)[0], dtype=object),
        "three groups": lambda data, v, ctx: np.where(np.arange(np.size(v)) % 3 == 2, "c", np.asarray(v)),
        "a None": lambda data, v, ctx: _set_one(np.asarray(v), data, None),
        "a NaN": lambda data, v, ctx: _set_one(np.asarray(v), data, NAN),
        "length mismatch": lambda data, v, ctx: np.asarray(v)[:-1],
        "categorical unused level": lambda data, v, ctx: pd.Categorical(np.asarray(v), categories=["a", "b", "zz"]),
        "pandas string dtype": lambda data, v, ctx: pd.array(np.asarray(v).astype(str), dtype="string"),
        "Series, duplicated index": lambda data, v, ctx: pd.Series(np.asarray(v), index=[0] * np.size(v)),
        "2-d": lambda data, v, ctx: np.asarray(v)[None],
        "empty": lambda data, v, ctx: np.asarray(v)[:0],
    }


# ------------------------------------------------------------------------------------------- frames
def frame_cases(
    *,
    numeric: tuple[str, ...] = (),
    group: str | None = "arm",
    count: str | None = None,
    exposure: str | None = None,
    event: str | None = None,
    text: tuple[str, ...] = (),
    rows: bool = True,
) -> dict[str, Case]:
    """Edge cases of a table argument, by the role of its columns."""

    def col_set(column: str, value: Any) -> Case:
        def case(data: Any, f: pd.DataFrame, ctx: dict) -> pd.DataFrame:
            if column not in f or not len(f):
                return f
            f = f.copy()
            numeric_column = pd.api.types.is_numeric_dtype(f[column]) and not pd.api.types.is_bool_dtype(f[column])
            if isinstance(value, str) or value is None or not numeric_column:
                f[column] = f[column].astype(object)
            elif not pd.api.types.is_float_dtype(f[column]):
                f[column] = f[column].astype(float)
            f.iloc[data.draw(st.integers(0, len(f) - 1)), f.columns.get_loc(column)] = value
            return f

        return case

    def col_all(column: str, value: Any) -> Case:
        def case(data: Any, f: pd.DataFrame, ctx: dict) -> pd.DataFrame:
            if column not in f:
                return f
            f = f.copy()
            f[column] = value
            return f

        return case

    cases: dict[str, Case] = {
        "nullable dtypes": lambda data, f, ctx: f.convert_dtypes(),
        "pandas string dtype": lambda data, f, ctx: f.astype(
            {c: "string" for c in f.columns if f[c].dtype == object or isinstance(f[c].dtype, pd.CategoricalDtype)}
        ),
        "duplicated index": lambda data, f, ctx: f.set_axis([0] * len(f), axis=0),
        "not a DataFrame": lambda data, f, ctx: f.to_dict("list"),
        "a column missing": lambda data, f, ctx: f.drop(columns=data.draw(st.sampled_from(list(f.columns)))),
    }
    if rows:
        cases |= {
            "empty": lambda data, f, ctx: f.iloc[:0],
            "single row": lambda data, f, ctx: f.iloc[:1],
            "rows shuffled": lambda data, f, ctx: f.sample(frac=1.0, random_state=data.draw(st.integers(0, 99))),
        }
    for c in numeric:
        cases |= {
            f"NaN in {c}": col_set(c, NAN),
            f"inf in {c}": col_set(c, INF),
            f"negative {c}": col_set(c, -1.0),
            f"text in {c}": col_set(c, "x"),
            f"None in {c}": col_set(c, None),
        }
    if group:
        cases |= {
            f"None in {group}": col_set(group, None),
            f"formula in {group}": col_set(group, "=1+2"),
            f"one value of {group}": lambda data, f, ctx: f[f[group] == f[group].iloc[0]] if len(f) else f,
            f"categorical unused level in {group}": lambda data, f, ctx: (
                f.assign(
                    **{
                        group: pd.Categorical(
                            f[group].astype(str), categories=[*sorted(set(f[group].astype(str))), "zz"]
                        )
                    }
                )
                if group in f
                else f
            ),
            f"integer {group}": lambda data, f, ctx: (
                f.assign(**{group: pd.factorize(f[group])[0]}) if group in f else f
            ),
        }
    if count:
        cases |= {
            f"zero {count} in one arm": lambda data, f, ctx: _zero_one_arm(f, count, group),
            f"all {count} zero": col_all(count, 0),
            f"huge {count}": col_all(count, 10**9),
            f"fractional {count}": col_set(count, 1.5),
        }
    if exposure:
        cases |= {
            f"{exposure} 1e-9": col_all(exposure, 1e-9),
            f"{exposure} 1e6": col_all(exposure, 1e6),
            f"zero {exposure}": col_set(exposure, 0.0),
        }
    if event:
        cases |= {
            f"all censored ({event} 0)": col_all(event, 0),
            f"all events ({event} 1)": col_all(event, 1),
            f"{event} 2": col_set(event, 2),
        }
    for c in text:
        cases |= {f"number in {c}": col_set(c, 7.0), f"None in {c}": col_set(c, None)}
    return cases


def _zero_one_arm(f: pd.DataFrame, count: str, group: str | None) -> pd.DataFrame:
    if count not in f or group is None or group not in f or not len(f):
        return f
    f = f.copy()
    f.loc[f[group] == f[group].iloc[0], count] = 0
    return f


def frame(base: Callable[[], pd.DataFrame], **roles: Any) -> Arg:
    def draw(data: Any, ctx: dict) -> pd.DataFrame:
        return base().copy()

    return Arg(draw, frame_cases(**roles))


# ------------------------------------------------------------------------------------------ fixtures
_CACHE: dict[str, Any] = {}


def _cached(key: str, make: Callable[[], Any]) -> Any:
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def cohort() -> ls.Cohort:
    return _cached("cohort", lambda: ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=12), rng=1))


def visits_cohort() -> ls.Cohort:
    return _cached("visits", lambda: ls.simulate_cohort(ls.preset("bliss52", n_per_arm=8), rng=2))


def patients() -> pd.DataFrame:
    return cohort().patients


def flares() -> pd.DataFrame:
    return cohort().flares


def visits() -> pd.DataFrame:
    return visits_cohort().visits


def tte() -> pd.DataFrame:
    return _cached("tte", lambda: ls.time_to_first_flare(patients()))


def responder_table() -> pd.DataFrame:
    def make() -> pd.DataFrame:
        t = ls.responders(visits(), "sri4")
        t["stratum"] = np.where(np.arange(len(t)) % 2 == 0, "low", "high")
        return t

    return _cached("responders", make)


def long_table() -> pd.DataFrame:
    def make() -> pd.DataFrame:
        rng = np.random.default_rng(3)
        n = 16
        return pd.DataFrame(
            {
                "patient": np.repeat(np.arange(n), 3),
                "arm": np.repeat(np.where(np.arange(n) < n // 2, "placebo", "drug"), 3),
                "week": np.tile([12, 24, 52], n),
                "responder": rng.integers(0, 2, 3 * n),
            }
        )

    return _cached("long", make)


def es_table() -> pd.DataFrame:
    def make() -> pd.DataFrame:
        d = pd.DataFrame(
            {
                "study": ["A 2010", "A 2013", "B 2017", "C 2019"],
                "overlap_group": ["a", "a", "b", "c"],
                "xi": [10, 23, 9, 14],
                "ni": [15, 83, 12, 30],
            }
        )
        return ls.effect_sizes(d, measure="PLO")

    return _cached("es", make)


def twobytwo_table() -> pd.DataFrame:
    return pd.DataFrame({"ai": [9, 4, 12], "n1i": [12, 20, 30], "ci": [5, 6, 10], "n2i": [6, 18, 31]})


def batch() -> Any:
    return _cached("batch", lambda: ls.simulate_trials(ls.preset("nephritis_induction", n_per_arm=15), 6, rng=4))


def scenario() -> ls.Scenario:
    return ls.Scenario(
        [ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.7)],
        n_per_arm=20,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )


SCENARIO_CASES: dict[str, Case] = {
    "not a Scenario": _const({"n_per_arm": 10}),
    "None": _const(None),
    "one patient per arm": lambda data, v, ctx: v.replace(n_per_arm=1),
    "zero flare rate in the treated arm": lambda data, v, ctx: v.with_arm("new drug", flare_rate_ratio=1e-9),
    "huge dispersion": lambda data, v, ctx: v.replace(dispersion=1e6),
    "Poisson boundary dispersion": lambda data, v, ctx: v.replace(dispersion=1e-12),
}


# ------------------------------------------------------------------------------------------ registry
@dataclasses.dataclass
class Entry:
    """How to call one public function: its arguments by name (positional first) and its budget."""

    positional: dict[str, Arg]
    keywords: dict[str, Arg] = dataclasses.field(default_factory=dict)
    weight: float = 1.0  # share of the profile's max_examples
    promised: tuple[str, ...] = ("estimate", "pvalue")  # result fields that must not be NaN silently
    frame_columns: tuple[str, ...] = ()  # DataFrame result columns that must not be NaN silently

    def n_cases(self) -> int:
        """Distinct argument cases: each argument's valid draw plus its named edge cases."""
        return sum(1 + len(a.cases) for a in (*self.positional.values(), *self.keywords.values()))


def _yi() -> Draw:
    return floats_of_n(-3.0, 3.0)


def _vi() -> Draw:
    return floats_of_n(0.001, 2.0)


def twobytwo(*, methods: tuple[str, ...], outcome: bool = False, alternative: bool = True) -> Entry:
    kw: dict[str, Arg] = {"confidence_level": level(), "method": choice(*methods)}
    if alternative:
        kw["alternative"] = choice("two-sided", "less", "greater")
    if outcome:
        kw["outcome"] = choice("undesirable", "desirable")
    kw["zero_correction"] = real(0.0, 1.0)
    return Entry(
        {"events1": integer(0, 60), "n1": integer(60, 200), "events2": integer(0, 60), "n2": integer(60, 200)}, kw
    )


def rates2(**kw: Arg) -> Entry:
    return Entry(
        {
            "events1": integer(0, 80),
            "exposure1": real(1e-3, 1e4),
            "events2": integer(0, 80),
            "exposure2": real(1e-3, 1e4),
        },
        {"confidence_level": level(), **kw},
    )


def from_stats() -> Entry:
    return Entry(
        {
            "mean1": real(-100, 100),
            "sd1": real(1e-3, 50),
            "n1": integer(2, 500),
            "mean2": real(-100, 100),
            "sd2": real(1e-3, 50),
            "n2": integer(2, 500),
        },
        {"confidence_level": level(), "alternative": choice("two-sided", "less", "greater")},
    )


def two_sample(**kw: Arg) -> Entry:
    return Entry(
        {"x": array(floats_of_n(-50, 50)), "y": array(floats_of_n(-50, 50), shrink=False)},
        {"confidence_level": level(), **kw},
    )


def ordinal_two_sample(**kw: Arg) -> Entry:
    return Entry(
        {"x": array(ints_of_n(0, 4)), "y": array(ints_of_n(0, 4), shrink=False)},
        {"alternative": choice("two-sided", "less", "greater"), **kw},
    )


def survival_arrays(**kw: Arg) -> Entry:
    return Entry(
        {
            "time": array(floats_of_n(0.01, 10.0)),
            "event": array(ints_of_n(0, 1), extra={"all censored": lambda d, v, c: np.zeros_like(v)}),
            "group": Arg(two_groups(), group_cases()),
        },
        kw,
    )


def _batch_shape(ctx: dict, data: Any) -> tuple[int, int]:
    if "shape" not in ctx:
        ctx["shape"] = (data.draw(st.integers(1, 5)), 2 * data.draw(st.integers(2, 15)))
    return ctx["shape"]


def batch_counts(hi: int) -> Draw:
    return lambda data, ctx: np.asarray(
        data.draw(
            st.lists(
                st.integers(0, hi),
                min_size=int(np.prod(_batch_shape(ctx, data))),
                max_size=int(np.prod(_batch_shape(ctx, data))),
            )
        )
    ).reshape(_batch_shape(ctx, data))


def batch_treated() -> Draw:
    return lambda data, ctx: np.arange(_batch_shape(ctx, data)[1]) % 2 == 1


TREATED_CASES: dict[str, Case] = {
    "all treated": lambda d, v, c: np.ones_like(v),
    "numbers 0/2": lambda d, v, c: v.astype(int) * 2,
    "strings": lambda d, v, c: v.astype(str),
    "length mismatch": lambda d, v, c: v[:-1],
    "a NaN": lambda d, v, c: _set_one(v, d, NAN),
}


def _registry() -> dict[str, Entry]:
    alt = lambda: choice("two-sided", "less", "greater")  # noqa: E731
    patients_roles = dict(
        numeric=("followup_years", "n_flares", "first_flare_years"),
        count="n_flares",
        exposure="followup_years",
    )
    flares_roles = dict(numeric=("time_years", "sledai_increase"), text=("severity", "organ"))
    reg: dict[str, Entry] = {
        # ----------------------------------------------------------------- effects
        "adjust_pvalues": Entry(
            {"p": array(floats_of_n(0.0, 1.0), extra={"above one": lambda d, v, c: _set_one(v, d, 1.5)})},
            {"method": choice("holm", "bonferroni", "hochberg", "bh", "by")},
            promised=(),
        ),
        "d_to_log_odds_ratio": Entry({"d": array(floats_of_n(-5, 5))}, promised=()),
        "log_odds_ratio_to_d": Entry({"log_odds_ratio": array(floats_of_n(-5, 5))}, promised=()),
        "odds_ratio": twobytwo(methods=("woolf", "exact")),
        "risk_ratio": twobytwo(methods=("katz",)),
        "risk_difference": twobytwo(methods=("wald", "newcombe")),
        "number_needed_to_treat": twobytwo(methods=("wald", "newcombe"), outcome=True, alternative=False),
        "number_needed_to_treat_rate": rates2(outcome=choice("undesirable", "desirable")),
        "rate_difference": rates2(alternative=alt()),
        "rate_ratio_test": rates2(method=choice("exact", "wald"), alternative=alt(), null_ratio=real(0.1, 10.0)),
        "cohens_d": two_sample(alternative=alt()),
        "hedges_g": two_sample(alternative=alt()),
        "glass_delta": two_sample(alternative=alt()),
        "cohens_d_from_stats": from_stats(),
        "hedges_g_from_stats": from_stats(),
        "glass_delta_from_stats": from_stats(),
        "compare_proportions_batch": Entry(
            {"events": array(batch_counts(1), shrink=False), "treated": Arg(batch_treated(), TREATED_CASES)},
            {"method": choice("newcombe", "wald"), "alternative": alt(), "confidence_level": level()},
            promised=(),
        ),
        # ----------------------------------------------------------------- rates
        "poisson_rate_ci": Entry(
            {"events": array(ints_of_n(0, 50)), "exposure": array(floats_of_n(1e-3, 1e3))},
            {"confidence_level": level(), "method": choice("exact", "wald", "byar")},
            promised=(),
        ),
        "flare_rates": Entry(
            {"patients": frame(patients, **patients_roles)},
            {"confidence_level": level(), "method": choice("exact", "wald")},
            promised=(),
        ),
        "count_frequencies": Entry({"patients": frame(patients, **patients_roles)}, promised=()),
        "compare_rates": Entry(
            {"patients": frame(patients, **patients_roles)},
            {"model": choice("negbin", "poisson", "quasipoisson"), "confidence_level": level()},
            weight=0.1,
            promised=(),
        ),
        "overdispersion_test": Entry(
            {"patients": frame(patients, **patients_roles)},
            {"method": choice("lr", "score")},
            weight=0.1,
            promised=("pvalue",),
        ),
        "compare_rates_batch": Entry(
            {
                "n_flares": array(batch_counts(6), shrink=False),
                "exposure": Arg(
                    lambda d, c: np.full(_batch_shape(c, d), 1.0),
                    {
                        "zero": lambda d, v, c: np.zeros_like(v),
                        "1e-9": lambda d, v, c: v * 1e-9,
                        "1e6": lambda d, v, c: v * 1e6,
                        "a NaN": lambda d, v, c: _set_one(v, d, NAN),
                    },
                ),
                "treated": Arg(batch_treated(), TREATED_CASES),
            },
            {"model": choice("negbin", "poisson"), "alternative": alt(), "confidence_level": level()},
            weight=0.3,
            promised=(),
        ),
        "mean_cumulative_function": Entry(
            {"patients": frame(patients, **patients_roles), "flares": frame(flares, **flares_roles)},
            {"confidence_level": level()},
            weight=0.3,
            promised=(),
        ),
        # ----------------------------------------------------------------- severity
        "contingency_test": Entry(
            {
                "table": array(
                    lambda d, c: np.asarray(d.draw(st.lists(st.integers(0, 30), min_size=6, max_size=6))).reshape(2, 3),
                    shrink=False,
                )
            },
            {
                "method": choice("fisher", "chi2", "permutation"),
                "n_resamples": integer(10, 200, huge=False),
                "rng": rng_arg(),
            },
            weight=0.5,
            promised=("pvalue",),
        ),
        "cochran_armitage": Entry(
            {
                "table": array(
                    lambda d, c: np.asarray(d.draw(st.lists(st.integers(0, 30), min_size=6, max_size=6))).reshape(2, 3),
                    shrink=False,
                )
            },
            {"alternative": alt()},
            promised=("pvalue",),
        ),
        "mann_whitney": ordinal_two_sample(confidence_level=level()),
        "cliffs_delta": ordinal_two_sample(confidence_level=level()),
        "probability_of_superiority": ordinal_two_sample(confidence_level=level()),
        "severity_counts": Entry({"flares": frame(flares, **flares_roles)}, promised=()),
        "severity_table": Entry(
            {"flares": frame(flares, **flares_roles)},
            {"method": choice("wilson", "exact"), "confidence_level": level()},
            promised=(),
        ),
        "sledai_ecdf": Entry({"flares": frame(flares, **flares_roles)}, promised=()),
        "sledai_summary": Entry({"flares": frame(flares, **flares_roles)}, promised=()),
        "patient_severity": Entry(
            {"flares": frame(flares, **flares_roles), "patients": frame(patients, **patients_roles)}, promised=()
        ),
        "organ_table": Entry(
            {"flares": frame(flares, **flares_roles), "patients": frame(patients, **patients_roles)},
            {"confidence_level": level()},
            promised=(),
        ),
        "compare_severity": Entry(
            {"flares": frame(flares, **flares_roles), "patients": frame(patients, **patients_roles)},
            {
                "unit": choice("flare", "patient"),
                "n_resamples": integer(10, 100, huge=False),
                "rng": rng_arg(),
                "confidence_level": level(),
            },
            weight=0.1,
            promised=(),
        ),
        "proportional_odds": Entry(
            {"flares": frame(flares, **flares_roles), "patients": frame(patients, **patients_roles)},
            {"unit": choice("flare", "patient"), "confidence_level": level()},
            weight=0.05,
            promised=(),
        ),
        "compare_severity_batch": Entry(
            {
                "counts": array(lambda d, c: np.stack([batch_counts(3)(d, c)] * 3, axis=-1), shrink=False),
                "treated": Arg(batch_treated(), TREATED_CASES),
            },
            {"unit": choice("flare", "patient"), "alternative": alt(), "confidence_level": level()},
            weight=0.5,
            promised=(),
        ),
        # ----------------------------------------------------------------- survival
        "kaplan_meier": Entry(
            {"time": array(floats_of_n(0.01, 10.0)), "event": array(ints_of_n(0, 1))},
            {"confidence_level": level(), "method": choice("log-log", "plain", "log")},
            promised=(),
        ),
        "logrank": survival_arrays(),
        "cox_hazard_ratio": survival_arrays(reference=fixed("a", {"unknown": _const("zz")}), confidence_level=level()),
        "rmst_difference": survival_arrays(
            reference=fixed("a", {"unknown": _const("zz")}), tau=real(0.5, 5.0), confidence_level=level()
        ),
        "logrank_batch": Entry(
            {
                "time": Arg(lambda d, c: np.asarray(batch_counts(9)(d, c), float) + 0.5, array_cases(shrink=False)),
                "event": Arg(
                    lambda d, c: np.ones(_batch_shape(c, d)),
                    {"all censored": lambda d, v, c: np.zeros_like(v), "2": lambda d, v, c: v * 2},
                ),
                "treated": Arg(batch_treated(), TREATED_CASES),
            },
            {"alternative": alt(), "confidence_level": level()},
            promised=(),
        ),
        "time_to_first_flare": Entry(
            {"patients": frame(patients, **patients_roles)}, {"severe": boolean()}, promised=()
        ),
        "compare_survival": Entry(
            {"patients": frame(tte, numeric=("time",), event="event")},
            {"alternative": alt(), "confidence_level": level()},
            weight=0.3,
            promised=("hazard_ratio", "pvalue"),
        ),
        "counting_process": Entry(
            {"flares": frame(flares, **flares_roles), "patients": frame(patients, **patients_roles)}, promised=()
        ),
        "recurrent_event_regression": Entry(
            {"flares": frame(flares, **flares_roles), "patients": frame(patients, **patients_roles)},
            {"model": choice("andersen_gill", "pwp", "wlw"), "confidence_level": level()},
            weight=0.05,
            promised=(),
        ),
        # ----------------------------------------------------------------- endpoints
        **{
            name: Entry(
                {"visits": frame(visits, numeric=("sledai", "pga", "prednisone_mg", "week"))},
                {"week": integer(0, 60)},
                weight=0.2,
                promised=(),
            )
            for name in (
                "bicla_response",
                "doris_remission",
                "drug_free_remission",
                "lldas",
                "renal_response",
                "sri_response",
                "steroid_taper",
            )
        },
        "bilag_flares": Entry(
            {"visits": frame(visits, numeric=("week",), text=("bilag_renal",))}, weight=0.2, promised=()
        ),
        "selena_flares": Entry(
            {"visits": frame(visits, numeric=("sledai", "week", "prednisone_mg"))}, weight=0.2, promised=()
        ),
        "visit_arrays": Entry({"visits": frame(visits, numeric=("sledai", "week", "pga"))}, weight=0.2, promised=()),
        "responders": Entry(
            {"visits": frame(visits, numeric=("sledai", "week")), "endpoint": choice("sri4", "lldas", "bicla")},
            {"week": integer(0, 60)},
            weight=0.2,
            promised=(),
        ),
        "responder_rates": Entry(
            {"cohort": fixed(None, {}), "endpoint": choice("sri4", "lldas")},
            {"confidence_level": level()},
            weight=0.2,
            promised=(),
        ),
        "cmh_test": Entry(
            {"table": frame(responder_table, numeric=("responder",))},
            {"reference": fixed("placebo", {"unknown": _const("zz")}), "confidence_level": level()},
            promised=(),
        ),
        "compare_responders": Entry(
            {"table": frame(responder_table, numeric=("responder",))},
            {"reference": fixed("placebo", {"unknown": _const("zz")}), "confidence_level": level()},
            weight=0.3,
            promised=(),
        ),
        "responder_gee": Entry(
            {"long_table": frame(long_table, numeric=("responder", "week"))},
            {
                "reference": fixed("placebo", {"unknown": _const("zz")}),
                "correlation": choice("exchangeable", "independence", "ar1"),
            },
            weight=0.05,
            promised=(),
        ),
        # ----------------------------------------------------------------- evidence
        "meta_analysis": Entry(
            {"yi": array(_yi()), "vi": array(_vi(), extra={"zero variance": lambda d, v, c: _set_one(v, d, 0.0)})},
            {
                "method": choice("REML", "DL", "FE", "PM", "ML"),
                "test": choice("z", "knha"),
                "confidence_level": level(),
            },
            weight=0.5,
            promised=("estimate",),
        ),
        "bayes_meta_analysis": Entry(
            {"yi": array(_yi()), "vi": array(_vi(), extra={"zero variance": lambda d, v, c: _set_one(v, d, 0.0)})},
            {"tau_prior": choice("half-normal", "uniform", "half-cauchy"), "credible_level": level()},
            weight=0.2,
            promised=("estimate",),
        ),
        "bayes_meta_analysis_batch": Entry(
            {
                "yi": Arg(
                    lambda d, c: np.asarray(d.draw(st.lists(st.floats(-2, 2), min_size=6, max_size=6))).reshape(2, 3),
                    array_cases(shrink=False),
                ),
                "vi": array(
                    lambda d, c: np.asarray(d.draw(st.lists(st.floats(0.01, 1), min_size=3, max_size=3))), shrink=True
                ),
            },
            {"credible_level": level()},
            weight=0.1,
            promised=(),
        ),
        "back_transform": Entry(
            {"x": array(floats_of_n(-3, 3))},
            {"measure": choice("PLO", "RR", "OR", "SMD", "IRR", "PR", "ZCOR")},
            promised=(),
        ),
        "effect_sizes": Entry(
            {"data": frame(twobytwo_table, numeric=("ai", "n1i", "ci", "n2i"), group=None, count="ai")},
            {
                "measure": choice("RR", "OR", "RD"),
                "add": real(0, 1),
                "confidence_level": fixed(None, {"bad level": _const(1.5)}),
            },
            promised=(),
        ),
        "pool_independent": Entry(
            {"es": frame(es_table, numeric=("yi", "vi", "ni"), group="overlap_group", text=("study",))},
            {
                "overlap": choice("one_per_group", "largest", "refuse"),
                "confidence_level": level(),
                "tau_prior_scale": real(0.01, 2),
            },
            weight=0.2,
            promised=(),
        ),
        "load_dataset": Entry({"name": choice(*ls.list_datasets()["name"])}, weight=0.2, promised=()),
        "validate_dataset": Entry(
            {
                "data": Arg(
                    lambda d, c: ls.load_dataset(d.draw(st.sampled_from(["msc_sle_studies", "flare_cohorts"]))),
                    frame_cases(numeric=(), group=None),
                )
            },
            weight=0.2,
            promised=(),
        ),
        "list_datasets": Entry({}, weight=0.02, promised=()),
        "certainty_table": Entry({}, {"confidence_level": level()}, weight=0.1, promised=()),
        "short_answer": Entry({}, {"confidence_level": level()}, weight=0.1, promised=()),
        # ----------------------------------------------------------------- power and model
        "power_proportions": Entry(
            {"p_treated": array(floats_of_n(0.01, 0.99))},
            {
                "p_reference": prob(0.01, 0.99),
                "n_per_arm": integer(2, 1000),
                "alpha": prob(0.001, 0.2),
                "dropout": prob(0, 0.5),
                "alternative": alt(),
            },
            promised=(),
        ),
        "power_rate_ratio": Entry(
            {"rate_ratio": array(floats_of_n(0.2, 2.0))},
            {
                "n_per_arm": integer(2, 1000),
                "baseline_rate": real(0.01, 10),
                "followup_years": real(0.1, 5),
                "dispersion": real(
                    0.0, 5.0, cases={**SCALAR_CASES, "Poisson boundary": _const(0.0), "very large": _const(1e6)}
                ),
                "alpha": prob(0.001, 0.2),
                "alternative": alt(),
            },
            promised=(),
        ),
        "sample_size_proportions": Entry(
            {"p_treated": prob(0.01, 0.99)},
            {
                "p_reference": prob(0.01, 0.99),
                "power": prob(0.5, 0.99),
                "alpha": prob(0.001, 0.2),
                "dropout": prob(0, 0.5),
                "alternative": alt(),
            },
            promised=(),
        ),
        "sample_size_rate_ratio": Entry(
            {"rate_ratio": real(0.2, 2.0, cases={**SCALAR_CASES, "one": _const(1.0)})},
            {
                "power": prob(0.5, 0.99),
                "baseline_rate": real(0.01, 10),
                "followup_years": real(0.1, 5),
                "dispersion": real(0.0, 5.0, cases={**SCALAR_CASES, "very large": _const(1e6)}),
                "alpha": prob(0.001, 0.2),
            },
            promised=(),
        ),
        "preset": Entry({"name": choice(*ls.list_presets()["name"])}, weight=0.1, promised=()),
        "list_presets": Entry({}, weight=0.02, promised=()),
        "preset_sensitivity": Entry({"name": choice(*ls.list_presets()["name"])}, weight=0.02, promised=()),
        "simulate_cohort": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES)}, {"rng": rng_arg()}, weight=0.2, promised=()
        ),
        "simulate_trials": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES), "n_trials": integer(1, 5, huge=False)},
            {"rng": rng_arg(), "visits": boolean()},
            weight=0.1,
            promised=(),
        ),
        "simulate_power": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES)},
            {
                "n_trials": integer(2, 20, huge=False),
                "model": choice("negbin", "poisson"),
                "alpha": prob(0.001, 0.2),
                "rng": rng_arg(),
            },
            weight=0.1,
            promised=("power",),
        ),
        "simulate_sample_size": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES)},
            {
                "n_trials": integer(20, 40, huge=False),
                "power": prob(0.5, 0.9),
                "n_max": integer(50, 200, huge=False),
                "n_rounds": integer(1, 2, huge=False),
                "rng": rng_arg(),
            },
            weight=0.03,
            promised=(),
        ),
        "power_time_to_first_flare": Entry(
            {"rate_ratio": real(0.2, 2.0)},
            {
                "n_per_arm": integer(2, 1000),
                "baseline_rate": real(0.01, 10),
                "followup_years": real(0.1, 5),
                "dispersion": real(0.0, 5.0, cases={**SCALAR_CASES, "Poisson boundary": _const(0.0)}),
                "alpha": prob(0.001, 0.2),
                "alternative": alt(),
            },
            promised=(),
        ),
        "simulate_power_recurrent": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES)},
            {"n_trials": integer(2, 6, huge=False), "alpha": prob(0.001, 0.2), "rng": rng_arg()},
            weight=0.03,
            promised=(),
        ),
        "trial_tables": Entry(
            {
                "batch": Arg(lambda d, c: batch(), {"not a batch": _const({}), "None": _const(None)}),
                "trial": integer(0, 5, huge=False),
            },
            {"rng": rng_arg()},
            weight=0.1,
            promised=(),
        ),
        "fit_scenario": Entry(
            {
                "scenario": fixed(ls.preset("bliss52"), {"not a Scenario": _const({}), "None": _const(None)}),
                "pairs": fixed(
                    {"activity.grade_a_share": ls.Target("baseline_bilag_a", "placebo", 0.19, 865)},
                    {
                        "empty": _const({}),
                        "unknown parameter": _const(
                            {"activity.bogus": ls.Target("baseline_bilag_a", "placebo", 0.19, 865)}
                        ),
                        "unknown arm": _const({"activity.grade_a_share": ls.Target("sri4", "nobody", 0.4, 10)}),
                        "unreachable target": _const(
                            {"activity.grade_a_share": ls.Target("baseline_bilag_a", "placebo", 1.5, 10)}
                        ),
                        "not a Target": _const({"activity.grade_a_share": 0.19}),
                    },
                ),
            },
            {"n_per_arm": integer(10, 60, huge=False), "rounds": integer(1, 2, huge=False), "rng": integer(0, 9)},
            weight=0.02,
            promised=(),
        ),
        "fit_preset": Entry(
            {"name": fixed("withdrawal", {"unknown": _const("zz"), "no targets": _const("general_cohort")})},
            {"n_per_arm": integer(10, 40, huge=False), "rounds": integer(1, 1, huge=False)},
            weight=0.02,
            promised=(),
        ),
        "check_targets": Entry(
            {
                "scenario": fixed(ls.preset("bliss52"), {"None": _const(None)}),
                "targets": fixed(
                    [ls.Target("sri4", "placebo", 0.436, 287)],
                    {
                        "empty": _const([]),
                        "not a Target": _const([0.4]),
                        "unknown arm": _const([ls.Target("sri4", "nobody", 0.4, 10)]),
                    },
                ),
            },
            {"n_per_arm": integer(10, 60, huge=False), "rng": rng_arg(), "confidence_level": level()},
            weight=0.03,
            promised=(),
        ),
        "preset_calibration": Entry(
            {"name": fixed("withdrawal", {"unknown": _const("zz"), "no targets": _const("tulip2")})},
            {"n_per_arm": integer(10, 60, huge=False), "rng": rng_arg()},
            weight=0.03,
            promised=(),
        ),
        "drug_free_remission_rates": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES)},
            {
                "weeks": fixed([52], {"empty": _const([]), "not a visit": _const([53]), "text": _const("52")}),
                "sustained_weeks": integer(0, 60, huge=False),
                "allow_antimalarials": boolean(),
                "n_per_arm": integer(1, 40, huge=False),
                "rng": rng_arg(),
            },
            weight=0.05,
            promised=(),
        ),
        "power_grid": Entry(
            {"scenario": Arg(lambda d, c: scenario(), SCENARIO_CASES)},
            {
                "n_per_arm": fixed(
                    [10, 20],
                    {"empty": _const([]), "zero": _const([0]), "string": _const("10"), "float": _const([10.5])},
                ),
                "rate_ratio": fixed([0.7], {"empty": _const([]), "negative": _const([-0.5]), "nan": _const([NAN])}),
                "n_trials": integer(2, 10, huge=False),
                "rng": rng_arg(),
                "backend": choice("serial"),
            },
            weight=0.05,
            promised=(),
        ),
        "effect_card": Entry(
            {"cohort": Arg(lambda d, c: cohort(), {"not a Cohort": _const({}), "None": _const(None)})},
            {
                "reference": fixed(None, {"unknown": _const("zz")}),
                "confidence_level": level(),
                "families": choice("separate", "together"),
            },
            weight=0.05,
            promised=(),
        ),
        "read_cohort": Entry(
            {"patients": frame(patients, **patients_roles), "flares": frame(flares, **flares_roles)},
            weight=0.3,
            promised=(),
        ),
        "validate_methods": Entry(
            {},
            {
                "n_trials": fixed(20, {"zero": _const(0), "string": _const("20"), "negative": _const(-5)}),
                "families": fixed(
                    ["rate_models"], {"unknown": _const(["nope"]), "string": _const("rate_models"), "empty": _const([])}
                ),
                "rng": rng_arg(),
                "alpha": prob(0.01, 0.2),
                "confidence_level": level(),
            },
            weight=0.02,
            promised=(),
        ),
    }
    # responder_rates takes a Cohort with visits
    reg["responder_rates"].positional["cohort"] = Arg(
        lambda d, c: visits_cohort(), {"not a Cohort": _const({}), "no visits": lambda d, v, c: cohort()}
    )
    return reg


REGISTRY: dict[str, Entry] = _registry()

EXCLUDED: dict[str, str] = {
    # constants and modules: nothing to call
    "ENDPOINTS": "constant (tuple of endpoint names)",
    "GEE_CORRELATIONS": "constant (tuple of correlation structures)",
    "MEASURES": "constant (tuple of effect-size measures)",
    "RATE_MODELS": "constant (tuple of rate models)",
    "RESPONDER_ENDPOINTS": "constant (tuple of responder endpoints)",
    "PRESET_TARGETS": "constant (published targets of the trial presets)",
    "VALIDATION_FAMILIES": "constant (tuple of validate_methods families)",
    "columns": "module of column-name constants",
    "plots": "module of plotting functions (matplotlib figures; tested in their own suites)",
}


def excluded_kind(obj: Any) -> bool:
    """Classes (result types, Scenario/Arm, Cohort ...) are exercised through the functions returning them."""
    return inspect.isclass(obj)


# ------------------------------------------------------------------------------------------ contract
_PARAM_RE = re.compile(r"`([^`]+)`")


class Hang(Exception):
    """A call ran past TIME_LIMIT."""


def _alarm(signum: int, frame: Any) -> None:
    raise Hang(f"call ran longer than {TIME_LIMIT} s")


def draw_call(entry: Entry, data: Any) -> tuple[tuple, dict, str]:
    """Valid arguments, or valid ones with one argument replaced by one of its cases; returns a label too."""
    ctx: dict = {}
    pos = {k: a.valid(data, ctx) for k, a in entry.positional.items()}
    kws = {k: a.valid(data, ctx) for k, a in entry.keywords.items()}
    args = {**entry.positional, **entry.keywords}
    targets = [k for k, a in args.items() if a.cases]
    label = "valid"
    if targets and data.draw(st.booleans(), label="corrupt one argument"):
        name = data.draw(st.sampled_from(targets), label="argument")
        arg = args[name]
        case = data.draw(st.sampled_from(sorted(arg.cases)), label="case")
        where = pos if name in pos else kws
        where[name] = arg.cases[case](data, where[name], ctx)
        label = f"{name}: {case}"
    return tuple(pos.values()), kws, label


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return (
            isinstance(b, pd.DataFrame)
            and a.equals(b)
            and a.index.equals(b.index)
            and list(a.columns) == list(b.columns)
            and a.dtypes.equals(b.dtypes)
        )
    if isinstance(a, (pd.Series, pd.Index)):
        return type(a) is type(b) and a.equals(b) and str(a.dtype) == str(b.dtype)
    if isinstance(a, pd.api.extensions.ExtensionArray):
        return type(a) is type(b) and bool(pd.Series(a).equals(pd.Series(b)))
    if isinstance(a, np.ndarray) and a.dtype == object:
        return (
            isinstance(b, np.ndarray)
            and b.dtype == object
            and a.shape == b.shape
            and bool(pd.Series(a.reshape(-1)).equals(pd.Series(b.reshape(-1))))
        )
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, ls.Cohort):
        return all(_same(getattr(a, t), getattr(b, t)) for t in ("patients", "flares", "visits"))
    return True  # immutable or opaque: nothing a call could modify that we can compare


def _names_in(args: tuple, kwargs: dict, params: list[str]) -> set[str]:
    names = set(params) | set(kwargs)
    for v in (*args, *kwargs.values()):
        if isinstance(v, pd.DataFrame):
            names |= {str(c) for c in v.columns}
    return names


def check_contract(name: str, entry: Entry, args: tuple, kwargs: dict, label: str) -> None:
    """Call ``ls.<name>(*args, **kwargs)`` and assert the contract; raise AssertionError with the case label."""
    func = getattr(ls, name)
    params = list(inspect.signature(func).parameters)
    before = copy.deepcopy((args, kwargs))
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(TIME_LIMIT)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = func(*args, **kwargs)
            except (ValueError, TypeError) as err:
                message = str(err)
                names = _names_in(args, kwargs, params)
                named = any(n and n in message for n in names) or bool(_PARAM_RE.search(message))
                assert named, f"{name} [{label}]: {type(err).__name__} names no argument: {message!r}"
                result = None
            except Hang:
                raise AssertionError(f"{name} [{label}]: no answer after {TIME_LIMIT} s") from None
            except Exception as err:  # the contract: nothing but ValueError/TypeError
                raise AssertionError(f"{name} [{label}]: raised {type(err).__name__}: {err}") from err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert _same(before, (args, kwargs)), f"{name} [{label}]: modified its input"
    if result is None:
        return
    warned = any(issubclass(w.category, Warning) for w in caught)
    for field in entry.promised:
        value = getattr(result, field, None)
        if isinstance(value, float | np.floating):
            assert not (math.isnan(value) and not warned), f"{name} [{label}]: `{field}` is NaN without a warning"
            if field.endswith("pvalue") and not math.isnan(value):
                assert 0.0 <= value <= 1.0, f"{name} [{label}]: `{field}` = {value} outside [0, 1]"
    if isinstance(result, pd.DataFrame):
        for column in entry.frame_columns:
            assert warned or not result[column].isna().any(), (
                f"{name} [{label}]: NaN in column {column!r} without a warning"
            )


if __name__ == "__main__":  # the counts for the README's reliability section
    n_cases = sum(entry.n_cases() for entry in REGISTRY.values())
    print(f"{len(REGISTRY)} public functions, {n_cases} argument cases")
