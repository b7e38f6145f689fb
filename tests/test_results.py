"""Results keep their promises.

* Every public result type pickles and deep-copies with its numbers and its
  intervals intact (the classes are discovered from ``lupusstats.__all__``; a
  new public class without a factory here fails the suite).
* ``confidence_interval(None)`` is the stored interval; another level is
  recomputed (equal to calling the function at that level) or refused with a
  clear ``ValueError``.
* ``TrialBatch`` arrays are read-only, also after pickling and copying.
* ``to_frame()`` never hides an error.
* ``power_grid`` returns the same ``PowerResult`` objects on the serial and the
  Dask backend.
"""

from __future__ import annotations

import ast
import copy
import dataclasses
import inspect
import math
import pathlib
import pickle
import types

import numpy as np
import pandas as pd
import pytest

import lupusstats as ls

# --------------------------------------------------------------------------- small inputs
TIME = [1, 2, 3, 4, 5, 6, 7, 8, 2.5, 6.5]
EVENT = [1, 1, 1, 0, 1, 1, 0, 1, 1, 0]
GROUP = ["a", "b", "a", "a", "b", "a", "b", "b", "a", "b"]
X_ORD = [1, 1, 2, 3, 2, 1, 3]
Y_ORD = [2, 3, 3, 3, 1, 2, 3]


def _scenario(n=30):
    return ls.Scenario(
        [ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.6)],
        n_per_arm=n,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )


def _visit_arrays():
    row = dict(
        sledai=8,
        clinical_sledai=6,
        pga=1.5,
        prednisone_mg=10.0,
        on_immunosuppressant=False,
        on_antimalarial=True,
        rescue=False,
        major_organ_activity=False,
        new_activity=False,
        upcr=1.0,
        egfr=90.0,
        **{c: "C" for c in ls.columns.BILAG_COLUMNS},
    )
    visits = pd.DataFrame(
        [
            dict(row, patient=1, arm="placebo", week=0),
            dict(row, patient=1, arm="placebo", week=52),
            dict(row, patient=2, arm="drug", week=0, weight_kg=60.0),
        ]
    )
    return ls.visit_arrays(visits)


def _batch():
    return ls.simulate_trials(ls.preset("nephritis_induction", n_per_arm=12), 4, rng=3)


def _meta(cl=0.95):
    yi = [-0.3, -0.1, -0.5, 0.2, -0.25]
    vi = [0.04, 0.09, 0.05, 0.12, 0.03]
    return ls.meta_analysis(yi, vi, confidence_level=cl)


def _batch_result():
    rng = np.random.default_rng(0)
    est = rng.normal(size=6)
    se = rng.uniform(0.1, 0.5, size=6)
    return ls.BatchResult(
        estimate=est,
        se=se,
        ci_low=est - 2 * se,
        ci_high=est + 2 * se,
        statistic=est / se,
        pvalue=rng.uniform(size=6),
        measure="log_rate_ratio",
        method="test arrays",
        scale="identity",
        extra={"dispersion": rng.uniform(size=6), "converged": np.ones(6, bool)},
    )


# Factories: one or more ways to build each public result type through the public API.  A factory
# taking `cl` builds the result at that confidence level, so that `confidence_interval(level)` can
# be checked against a fresh call.
FACTORIES = {
    "FitResult": {
        "fit_scenario": lambda: ls.fit_scenario(
            ls.preset("bliss52"),
            {"activity.grade_a_share": ls.Target("baseline_bilag_a", "placebo", 0.19, 865)},
            n_per_arm=200,
            rounds=1,
        ),
    },
    "BatchResult": {
        "constructor": _batch_result,
        "compare_rates_batch": lambda: (lambda b: ls.compare_rates_batch(b.n_flares, b.followup_years, b.arm == 1))(
            _batch()
        ),
        "logrank_batch": lambda: (
            lambda b: ls.logrank_batch(
                np.where(np.isnan(b.first_flare_years), b.followup_years, b.first_flare_years),
                ~np.isnan(b.first_flare_years),
                b.arm == 1,
            )
        )(_batch()),
    },
    "Cohort": {
        "simulate_cohort": lambda: ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=15), rng=1),
    },
    "ConfidenceInterval": {"risk_ratio": lambda: ls.risk_ratio(15, 100, 30, 100).confidence_interval()},
    "ContingencyTestResult": {
        "contingency_test": lambda: ls.contingency_test([[3, 5, 2], [6, 2, 1]], method="chisq"),
        "cochran_armitage": lambda: ls.cochran_armitage([[3, 5, 2], [6, 2, 1]]),
    },
    "EstimateResult": {
        "risk_ratio": lambda cl=0.95: ls.risk_ratio(15, 100, 30, 100, confidence_level=cl),
        "odds_ratio_woolf_less": lambda cl=0.95: ls.odds_ratio(
            15, 100, 30, 100, alternative="less", confidence_level=cl
        ),
        "odds_ratio_exact": lambda cl=0.95: ls.odds_ratio(3, 10, 0, 12, method="exact", confidence_level=cl),
        "risk_difference_newcombe": lambda cl=0.95: ls.risk_difference(
            15, 100, 30, 100, method="newcombe", confidence_level=cl
        ),
        "rate_difference": lambda cl=0.95: ls.rate_difference(30, 60.0, 60, 60.0, confidence_level=cl),
        "hedges_g": lambda cl=0.95: ls.hedges_g([1.0, 2.5, 3.0, 4.2], [2.0, 3.1, 5.0, 6.3], confidence_level=cl),
        "glass_delta_from_stats": lambda cl=0.95: ls.glass_delta_from_stats(
            1.0, 1.2, 10, 0.4, 1.0, 12, confidence_level=cl
        ),
        "cox_hazard_ratio": lambda cl=0.95: ls.cox_hazard_ratio(TIME, EVENT, GROUP, reference="a", confidence_level=cl),
    },
    "LogrankResult": {"logrank": lambda: ls.logrank(TIME, EVENT, GROUP)},
    "BayesMetaResult": {
        "bayes_meta_analysis": lambda cl=0.95: ls.bayes_meta_analysis(
            [0.1, 0.4, -0.2], [0.04, 0.06, 0.05], labels=["a", "b", "c"], credible_level=cl
        ),
    },
    "SurvivalComparison": {
        "compare_survival": lambda cl=0.95: ls.compare_survival(
            pd.DataFrame({"time": TIME, "event": EVENT, "arm": GROUP}), confidence_level=cl
        ),
        "compare_survival_less": lambda cl=0.95: ls.compare_survival(
            pd.DataFrame({"time": TIME, "event": EVENT, "arm": GROUP}), alternative="less", confidence_level=cl
        ),
    },
    "MetaAnalysisResult": {"meta_analysis": _meta},
    "NNTResult": {
        "number_needed_to_treat": lambda cl=0.95: ls.number_needed_to_treat(
            60, 100, 40, 100, outcome="desirable", confidence_level=cl
        ),
        "number_needed_to_treat_through_infinity": lambda cl=0.95: ls.number_needed_to_treat(
            12, 100, 10, 100, confidence_level=cl
        ),
        "number_needed_to_treat_rate": lambda cl=0.95: ls.number_needed_to_treat_rate(
            30, 60.0, 60, 60.0, confidence_level=cl
        ),
    },
    "OverdispersionResult": {
        "overdispersion_test": lambda: ls.overdispersion_test(
            ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=40), rng=2).patients
        ),
    },
    "PowerResult": {
        "simulate_power": lambda cl=0.95: ls.simulate_power(_scenario(), n_trials=40, rng=1, confidence_level=cl),
        "simulate_power_logrank": lambda cl=0.95: ls.simulate_power(
            _scenario(), n_trials=40, rng=1, endpoint="time_to_first_flare", confidence_level=cl
        ),
    },
    "RMSTResult": {
        "rmst_difference": lambda cl=0.95: ls.rmst_difference(
            TIME, EVENT, GROUP, reference="a", tau=6, confidence_level=cl
        ),
    },
    "RateRatioResult": {
        **{
            f"rate_ratio_test_{m}": (
                lambda cl=0.95, m=m: ls.rate_ratio_test(12, 10.3, 25, 11.1, method=m, confidence_level=cl)
            )
            for m in ("exact", "midp", "score", "wald")
        },
        "rate_ratio_test_greater": lambda cl=0.95: ls.rate_ratio_test(
            12, 10.3, 25, 11.1, alternative="greater", method="midp", confidence_level=cl
        ),
        "rate_ratio_test_no_events": lambda cl=0.95: ls.rate_ratio_test(0, 10.0, 0, 12.0, confidence_level=cl),
    },
    "ProportionSampleSizeResult": {
        "sample_size_proportions": lambda: ls.sample_size_proportions(0.7, p_reference=0.562, dropout=(0.1, 0.2)),
    },
    "SampleSizeResult": {
        "sample_size_rate_ratio": lambda: ls.sample_size_rate_ratio(
            0.7, baseline_rate=1.0, followup_years=1.0, dispersion=0.5
        ),
    },
    "SeverityComparison": {
        "probability_of_superiority": lambda cl=0.95: ls.probability_of_superiority(X_ORD, Y_ORD, confidence_level=cl),
        "probability_of_superiority_clustered": lambda cl=0.95: ls.probability_of_superiority(
            X_ORD, Y_ORD, cluster_x=[1, 1, 2, 3, 3, 4, 4], cluster_y=[5, 5, 6, 7, 8, 8, 9], confidence_level=cl
        ),
        "mann_whitney": lambda cl=0.95: ls.mann_whitney(X_ORD, Y_ORD, confidence_level=cl),
        "cliffs_delta": lambda cl=0.95: ls.cliffs_delta(X_ORD, Y_ORD, alternative="less", confidence_level=cl),
        "cliffs_delta_fisher_z": lambda cl=0.95: ls.cliffs_delta(X_ORD, Y_ORD, method="fisher-z", confidence_level=cl),
    },
    "SimulatedSampleSizeResult": {
        "simulate_sample_size": lambda: ls.simulate_sample_size(
            _scenario(), n_trials=40, n_rounds=1, n_start=20, n_max=200, rng=4
        ),
    },
    "TrialBatch": {
        "simulate_trials": _batch,
        "simulate_trials_visits": lambda: ls.simulate_trials(ls.preset("tulip", n_per_arm=20), 2, rng=1, visits=True),
    },
    "VisitArrays": {"visit_arrays": lambda: _visit_arrays()},
}

# Public classes that are not results, and why.
NOT_RESULTS = {
    "Arm": "a model input (pickling is tested with the scenarios)",
    "Scenario": "a model input (pickling is tested with the scenarios and power_grid)",
    "Source": "provenance of a model parameter",
    "DatasetError": "an exception",
    "ResultBase": "the mixin of the result classes, not a result",
    "Activity": "a model input (the disease-activity parameters of a Scenario; pickled with the scenarios)",
    "Target": "a published number (model input of the calibration), a plain frozen dataclass",
    "IndependentPool": "a container of two results (MetaAnalysisResult, BayesMetaResult) and the rows pooled",
}

# Results that store the interval at one level only (another level raises ValueError).
STORED_LEVEL_ONLY = {"BatchResult"}

PUBLIC_CLASSES = sorted(n for n in ls.__all__ if inspect.isclass(vars(ls).get(n)))
RESULT_CLASSES = [n for n in PUBLIC_CLASSES if n not in NOT_RESULTS]
CASES = [(name, label) for name in RESULT_CLASSES for label in FACTORIES.get(name, {})]
INTERVAL_CASES = [
    (n, lbl) for n, lbl in CASES if n != "ConfidenceInterval" and hasattr(getattr(ls, n), "confidence_interval")
]
FRAME_CASES = [(n, lbl) for n, lbl in CASES if hasattr(getattr(ls, n), "to_frame")]


def _build(name, label, cl=None):
    factory = FACTORIES[name][label]
    return factory() if cl is None else factory(cl=cl)


def _takes_level(name, label):
    return "cl" in inspect.signature(FACTORIES[name][label]).parameters


# --------------------------------------------------------------------------- equality
def assert_same(a, b, where="result"):
    """Structural equality: NaN equals NaN, arrays and frames element-wise, dtypes kept."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif isinstance(a, pd.Series):
        pd.testing.assert_series_equal(a, b)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            if f.name == "_ci_func":
                assert getattr(a, f.name) is getattr(b, f.name), f"{where}._ci_func"
            else:
                assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (dict, types.MappingProxyType)):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert (math.isnan(a) and math.isnan(b)) or a == b, f"{where}: {a!r} != {b!r}"
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _same_interval(a, b):
    assert_same(tuple(a), tuple(b), "interval")
    assert type(a) is type(b) is ls.ConfidenceInterval


# --------------------------------------------------------------------------- discovery
def test_every_public_class_is_a_result_with_a_factory_or_listed_as_not_a_result():
    missing = [n for n in RESULT_CLASSES if not FACTORIES.get(n)]
    assert not missing, (
        f"public result type(s) {missing} have no factory in tests/test_results.py FACTORIES: add one that builds "
        "an instance through the public API (or list the class in NOT_RESULTS with the reason)."
    )
    results_named = [n for n in NOT_RESULTS if n.endswith("Result") and n != "ResultBase"]
    assert not results_named
    for name in NOT_RESULTS:
        cls = getattr(ls, name)
        assert not (issubclass(cls, ls.ResultBase) and cls is not ls.ResultBase), name
    # the discovery sees the types the brief names
    assert {
        "TrialBatch",
        "Cohort",
        "ConfidenceInterval",
        "BatchResult",
        "PowerResult",
        "NNTResult",
        "MetaAnalysisResult",
        "EstimateResult",
    } <= set(RESULT_CLASSES)


@pytest.mark.parametrize(("name", "label"), CASES, ids=[f"{n}-{lbl}" for n, lbl in CASES])
def test_factory_builds_its_type(name, label):
    obj = _build(name, label)
    assert type(obj) is getattr(ls, name)


# --------------------------------------------------------------------------- pickle and deepcopy
@pytest.mark.parametrize(("name", "label"), CASES, ids=[f"{n}-{lbl}" for n, lbl in CASES])
def test_round_trip_keeps_numbers_and_intervals(name, label):
    obj = _build(name, label)
    copies = {
        "pickle": pickle.loads(pickle.dumps(obj)),
        "pickle-highest": pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)),
        "deepcopy": copy.deepcopy(obj),
        "copy": copy.copy(obj),
    }
    for how, other in copies.items():
        assert_same(obj, other, f"{name} via {how}")
        if hasattr(obj, "to_frame"):
            pd.testing.assert_frame_equal(obj.to_frame(), other.to_frame())
        if hasattr(obj, "confidence_interval") and name != "ConfidenceInterval":
            _same_interval(obj.confidence_interval(), other.confidence_interval())
            if name not in STORED_LEVEL_ONLY:
                _same_interval(obj.confidence_interval(0.9), other.confidence_interval(0.9))
        if isinstance(obj, ls.MetaAnalysisResult):
            _same_interval(obj.prediction_interval(0.9), other.prediction_interval(0.9))
            _same_interval(obj.tau2_confidence_interval(), other.tau2_confidence_interval())


def test_a_result_refuses_a_closure_as_its_interval_function():
    with pytest.raises(TypeError, match="module-level function"):
        ls.EstimateResult(1.0, 0.5, 2.0, _ci_func=lambda level: (0.0, 1.0))

    def nested(level):
        return 0.0, 1.0

    with pytest.raises(TypeError, match="cannot be pickled"):
        ls.NNTResult(1.0, 1.0, 0.5, 2.0, False, 0.5, 2.0, _ci_func=nested)


@pytest.mark.parametrize("fn", ["compare_rates_batch", "logrank_batch", "compare_severity_batch"])
def test_batch_function_outputs_round_trip(fn):
    # whatever the batch functions return (BatchResult after the batch refactor), it pickles intact
    b = _batch()
    treated = b.arm == 1
    if fn == "compare_rates_batch":
        out = ls.compare_rates_batch(b.n_flares, b.followup_years, treated)
    elif fn == "logrank_batch":
        first = b.first_flare_years
        out = ls.logrank_batch(np.where(np.isnan(first), b.followup_years, first), ~np.isnan(first), treated)
    else:
        keep = b.arm <= 1
        counts = (b.worst_severity[:, keep, None] == np.arange(3)).astype(np.int64)
        out = ls.compare_severity_batch(counts, treated[keep], unit="patient")
    for other in (pickle.loads(pickle.dumps(out)), copy.deepcopy(out)):
        if isinstance(out, pd.DataFrame):
            pd.testing.assert_frame_equal(out, other)
        else:
            assert_same(out, other, fn)
            pd.testing.assert_frame_equal(out.to_frame(), other.to_frame())


def test_batch_result_arrays_stay_read_only_after_round_trip():
    res = _batch_result()
    for other in (pickle.loads(pickle.dumps(res, protocol=4)), copy.deepcopy(res)):
        assert not other.pvalue.flags.writeable
        assert not other.dispersion.flags.writeable


# --------------------------------------------------------------------------- confidence_interval(level)
@pytest.mark.parametrize(("name", "label"), INTERVAL_CASES, ids=[f"{n}-{lbl}" for n, lbl in INTERVAL_CASES])
def test_confidence_interval_levels(name, label):
    res = _build(name, label)
    stored = res.confidence_interval()
    assert type(stored) is ls.ConfidenceInterval
    assert_same(tuple(res.confidence_interval(None)), tuple(stored))
    assert_same(tuple(res.confidence_interval(res.confidence_level)), tuple(stored))
    if hasattr(res, "ci_low"):
        assert_same((res.ci_low, res.ci_high), tuple(stored))
    for bad in (0.0, 1.0, 1.5, -0.2):
        with pytest.raises(ValueError):
            res.confidence_interval(bad)
    if name in STORED_LEVEL_ONLY:
        with pytest.raises(ValueError, match="only"):
            res.confidence_interval(0.9)
        return
    for level in (0.8, 0.9, 0.99):
        again = res.confidence_interval(level)
        assert type(again) is ls.ConfidenceInterval
        if _takes_level(name, label):
            # recomputed exactly as a fresh call at that level
            _same_interval(again, _build(name, label, cl=level).confidence_interval())
    if not (isinstance(res, ls.NNTResult) and res.includes_infinity):
        narrow, wide = res.confidence_interval(0.8), res.confidence_interval(0.99)
        assert wide.low <= stored.low <= narrow.low or math.isnan(stored.low)
        assert narrow.high <= stored.high <= wide.high or math.isnan(stored.high)


def test_nnt_interval_at_another_level_passes_through_infinity_when_the_difference_interval_includes_zero():
    res = ls.number_needed_to_treat(20, 100, 35, 100)  # RD -0.15, p = 0.016: the 95% CI excludes 0
    assert not res.includes_infinity
    wide = res.confidence_interval(0.999)
    direct = ls.number_needed_to_treat(20, 100, 35, 100, confidence_level=0.999)
    assert direct.includes_infinity and tuple(wide) == tuple(direct.confidence_interval())
    assert wide.low < 0 < wide.high


def test_a_result_without_a_recomputation_says_so():
    res = ls.EstimateResult(1.0, 0.5, 2.0, confidence_level=0.95)
    assert res.confidence_interval() == (0.5, 2.0)
    with pytest.raises(ValueError, match="stores only its 0.95 interval and cannot recompute it at 0.9"):
        res.confidence_interval(0.9)


# --------------------------------------------------------------------------- TrialBatch is read-only
def _arrays(batch):
    for f in dataclasses.fields(batch):
        value = getattr(batch, f.name)
        if isinstance(value, np.ndarray):
            yield f.name, value
    for event, counts in batch.adverse_events.items():
        yield f"adverse_events[{event!r}]", counts


def test_trial_batch_arrays_are_read_only():
    batch = _batch()
    assert len(dict(_arrays(batch))) >= 12 and batch.adverse_events
    for how, b in {
        "original": batch,
        "pickle": pickle.loads(pickle.dumps(batch)),
        "pickle-5": pickle.loads(pickle.dumps(batch, protocol=5)),
        "deepcopy": copy.deepcopy(batch),
        "copy": copy.copy(batch),
    }.items():
        for name, arr in _arrays(b):
            assert not arr.flags.writeable, f"{how}: {name}"
            with pytest.raises(ValueError, match="read-only"):
                arr.flat[0] = arr.flat[0]
        with pytest.raises(TypeError):
            b.adverse_events["new"] = np.zeros(b.n_flares.shape, int)  # type: ignore[index]
        with pytest.raises(dataclasses.FrozenInstanceError):
            b.n_flares = np.zeros(1)  # type: ignore[misc]


def test_trial_batch_leaves_arrays_passed_in_writeable():
    batch = _batch()
    mine = batch.n_flares.copy()
    other = dataclasses.replace(batch, n_flares=mine)
    assert mine.flags.writeable and not other.n_flares.flags.writeable
    assert np.shares_memory(mine, other.n_flares)


def test_analyses_do_not_write_into_a_batch():
    # every analysis the package runs on batches takes read-only arrays (a write would raise)
    batch = _batch()
    before = {name: arr.copy() for name, arr in _arrays(batch)}
    treated = batch.arm == 1
    keep = batch.arm <= 1
    first = batch.first_flare_years
    ls.compare_rates_batch(batch.n_flares, batch.followup_years, treated)
    ls.compare_rates_batch(batch.n_severe_flares, batch.followup_years, treated, model="quasipoisson")
    ls.logrank_batch(np.where(np.isnan(first), batch.followup_years, first), ~np.isnan(first), treated)
    counts = (batch.worst_severity[:, keep, None] == np.arange(3)).astype(np.int64)
    ls.compare_severity_batch(counts, treated[keep], unit="patient")
    batch.to_patients()
    for name, arr in _arrays(batch):
        np.testing.assert_array_equal(arr, before[name], err_msg=name)
    sc = _scenario(20)
    renal = ls.preset("nephritis_induction", n_per_arm=20)  # the renal endpoints need UPCR and eGFR in the visits
    for endpoint in ls.ENDPOINTS:
        on = renal if endpoint in ("renal_response", "complete_renal_response", "alms_response") else sc
        ls.simulate_power(on, n_trials=10, rng=1, endpoint=endpoint)


# --------------------------------------------------------------------------- to_frame hides nothing
@dataclasses.dataclass(frozen=True)
class _BrokenInterval(ls.ResultBase):
    estimate: float
    confidence_level: float = 0.95

    def confidence_interval(self, confidence_level=None):
        raise ValueError("the interval is broken")


def test_to_frame_does_not_swallow_an_interval_error():
    with pytest.raises(ValueError, match="the interval is broken"):
        _BrokenInterval(1.0).to_frame()


def _handlers(node):
    return [n for n in ast.walk(node) if isinstance(n, ast.ExceptHandler)]


def test_no_error_handling_in_result_display_code():
    # to_frame / _repr_html_ / confidence_interval and the result base module let errors propagate
    root = pathlib.Path(ls.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.relative_to(root).as_posix() == "_core/results.py":
            offenders += [f"{path.name}:{h.lineno}" for h in _handlers(tree)]
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("to_frame", "_repr_html_", "confidence_interval"):
                offenders += [f"{path.relative_to(root)}:{h.lineno} in {node.name}" for h in _handlers(node)]
    assert not offenders, f"error handlers in result display code: {offenders}"


@pytest.mark.parametrize(("name", "label"), FRAME_CASES, ids=[f"{n}-{lbl}" for n, lbl in FRAME_CASES])
def test_to_frame_and_html(name, label):
    obj = _build(name, label)
    frame = obj.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1
    if isinstance(obj, ls.ResultBase):
        assert f"<strong>{name}" in obj._repr_html_()
        ci = getattr(obj, "confidence_interval", None)
        if ci is not None:
            assert_same(
                (float(frame["ci_low"].iloc[0]), float(frame["ci_high"].iloc[0])), tuple(float(v) for v in ci())
            )


# --------------------------------------------------------------------------- power_grid returns results
def _grid_kw(endpoint):
    return dict(
        n_per_arm=[20, 30], rate_ratio=[0.6], n_trials=30, rng=8, endpoint=endpoint, vary={"dispersion": [0.3, 0.8]}
    )


def test_power_grid_cells_carry_their_power_results():
    sc = _scenario(20)
    grid = ls.power_grid(sc, **_grid_kw("flare_rate"))
    assert list(grid.columns[-3:]) == ["endpoint", "model", "result"]
    for _, row in grid.iterrows():
        res = row["result"]
        assert isinstance(res, ls.PowerResult)
        assert (res.power, res.mc_se, res.ci_low, res.ci_high, res.n_trials, res.n_undefined) == (
            row["power"],
            row["mc_se"],
            row["ci_low"],
            row["ci_high"],
            row["n_trials"],
            row["n_undefined"],
        )
        assert res.pvalues.shape == (30,)
    one = grid.iloc[1]
    stream = np.random.default_rng(8).spawn(4)[1]
    direct = ls.simulate_power(
        sc.replace(n_per_arm=20, dispersion=0.8).with_arm("new drug", flare_rate_ratio=0.6), n_trials=30, rng=stream
    )
    assert_same(one["result"], direct)


def test_power_grid_dask_returns_the_serial_results():
    # dask is a test dependency (the `test` extra); real worker processes, so results travel pickled
    from dask.distributed import Client, LocalCluster

    sc = _scenario(20)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        for endpoint in ("flare_rate", "time_to_first_flare"):
            serial = ls.power_grid(sc, **_grid_kw(endpoint))
            dask = ls.power_grid(sc, backend="dask", client=client, **_grid_kw(endpoint))
            assert dask.drop(columns="result").equals(serial.drop(columns="result"))
            assert len(dask) == 4
            for a, b in zip(serial["result"], dask["result"], strict=True):
                assert isinstance(b, ls.PowerResult)
                assert_same(a, b, f"{endpoint} cell")
                np.testing.assert_array_equal(a.pvalues, b.pvalues)
                _same_interval(a.confidence_interval(0.9), b.confidence_interval(0.9))
