"""The four batch functions share one signature and one result type (BatchResult).

`compare_rates_batch`, `logrank_batch`, `compare_severity_batch` and `compare_proportions_batch` are the engines of
simulated power and calibration; these tests check that they behave alike: the same
keywords, read-only arrays, one-sided tests and intervals that agree with the
two-sided ones, 1-d and 2-d `treated`, and calibrated intervals by simulation.
"""

from __future__ import annotations

import copy
import inspect
import math
import pickle

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls

BATCH_FUNCTIONS = ("compare_rates_batch", "logrank_batch", "compare_severity_batch", "compare_proportions_batch")


def _binom_bounds(p, n, fail=1e-4):
    """Acceptance region for a share of n Bernoulli(p) trials, failure probability `fail`."""
    return stats.binom.ppf(fail / 2, n, p) / n, stats.binom.isf(fail / 2, n, p) / n


@pytest.fixture(scope="module")
def batch():
    sc = ls.Scenario(
        [ls.Arm("reference"), ls.Arm("treated", flare_rate_ratio=0.6, severity_odds_ratio=0.6)],
        n_per_arm=60,
        baseline_flare_rate=1.5,
        dispersion=0.5,
        followup_years=1.0,
    )
    return ls.simulate_trials(sc, 300, rng=2026)


def _calls(batch, treated=None):
    """(name, call) for the three functions on the same trials; `call(**kw)` runs it."""
    tr = batch.arm == 1 if treated is None else treated
    event = ~np.isnan(batch.first_flare_years)
    time = np.where(event, batch.first_flare_years, batch.followup_years)
    counts = np.stack([batch.n_flares - batch.n_severe_flares, batch.n_severe_flares], axis=-1)
    return {
        "compare_rates_batch": lambda **kw: ls.compare_rates_batch(batch.n_flares, batch.followup_years, tr, **kw),
        "logrank_batch": lambda **kw: ls.logrank_batch(time, event, tr, **kw),
        "compare_severity_batch": lambda **kw: ls.compare_severity_batch(counts, tr, unit="patient", **kw),
        # a binary endpoint: any flare during follow-up
        "compare_proportions_batch": lambda **kw: ls.compare_proportions_batch(batch.n_flares > 0, tr, **kw),
    }


@pytest.mark.parametrize("name", BATCH_FUNCTIONS)
def test_one_signature(name):
    params = inspect.signature(getattr(ls, name)).parameters
    assert "treated" in params and params["treated"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    for kw, default in (("alternative", "two-sided"), ("confidence_level", 0.95)):
        assert params[kw].kind is inspect.Parameter.KEYWORD_ONLY, (name, kw)
        assert params[kw].default == default, (name, kw)


@pytest.mark.parametrize("name", BATCH_FUNCTIONS)
def test_one_result_type_read_only(batch, name):
    res = _calls(batch)[name]()
    assert isinstance(res, ls.BatchResult)
    for key in res:
        arr = res[key]
        assert arr.shape == (batch.n_trials,), key
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0
    frame = res.to_frame()
    assert len(frame) == batch.n_trials and list(frame.columns[:6]) == [
        "estimate",
        "se",
        "ci_low",
        "ci_high",
        "statistic",
        "pvalue",
    ]
    ok = np.isfinite(res.pvalue)
    assert ok.mean() > 0.9
    assert np.all((res.ci_low[ok] <= res.estimate[ok]) & (res.estimate[ok] <= res.ci_high[ok]))
    assert res.confidence_interval().low is res.ci_low
    with pytest.raises(ValueError, match="call the batch function again"):
        res.confidence_interval(0.9)


@pytest.mark.parametrize("name", BATCH_FUNCTIONS)
def test_one_sided_p_and_intervals(batch, name):
    call = _calls(batch)[name]
    two = call()
    less, greater = call(alternative="less"), call(alternative="greater")
    ok = np.isfinite(two.statistic)
    # a one-sided p is half the two-sided one in the direction of the estimate
    half = np.where(two.statistic < 0, less.pvalue, greater.pvalue)
    np.testing.assert_allclose(half[ok], two.pvalue[ok] / 2, rtol=1e-9)
    np.testing.assert_allclose(less.pvalue[ok] + greater.pvalue[ok], 1.0, rtol=1e-9)
    # the one-sided 95% bound equals the two-sided 90% bound
    ninety = call(confidence_level=0.90)
    np.testing.assert_allclose(less.ci_high[ok], ninety.ci_high[ok], rtol=1e-9)
    np.testing.assert_allclose(greater.ci_low[ok], ninety.ci_low[ok], rtol=1e-9)
    lower_end = -1.0 if name == "compare_proportions_batch" else 0.0
    upper_end = 1.0 if name in ("compare_severity_batch", "compare_proportions_batch") else np.inf
    assert (less.ci_low[ok] == lower_end).all() and (greater.ci_high[ok] == upper_end).all()


@pytest.mark.parametrize("name", BATCH_FUNCTIONS)
def test_two_dimensional_treated_equals_one_dimensional(batch, name):
    one = _calls(batch)[name]()
    two = _calls(batch, np.tile(batch.arm == 1, (batch.n_trials, 1)))[name]()
    for key in ("estimate", "se", "pvalue", "ci_low", "ci_high"):
        np.testing.assert_allclose(two[key], one[key], rtol=1e-9, err_msg=key)


@pytest.mark.parametrize("name", BATCH_FUNCTIONS)
def test_bad_treated_and_alternative(batch, name):
    call = _calls(batch, np.zeros(batch.arm.size, dtype=bool))
    with pytest.raises(ValueError, match="every trial needs treated and reference patients"):
        call[name]()
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        _calls(batch)[name](alternative="two.sided")
    with pytest.raises(ValueError, match="`confidence_level`"):
        _calls(batch)[name](confidence_level=95)


def test_peto_hazard_ratio_close_to_cox():
    """The log-rank batch estimate is the Peto one-step HR: near Cox's for HR in 0.5..2."""
    sc = ls.Scenario(
        [ls.Arm("reference"), ls.Arm("treated", flare_rate_ratio=0.7)],
        n_per_arm=80,
        baseline_flare_rate=1.0,
        dispersion=0.0,
        followup_years=1.0,
    )
    b = ls.simulate_trials(sc, 20, rng=7)
    event = ~np.isnan(b.first_flare_years)
    time = np.where(event, b.first_flare_years, b.followup_years)
    res = ls.logrank_batch(time, event, b.arm == 1)
    for i in range(b.n_trials):
        cox = ls.cox_hazard_ratio(time[i], event[i].astype(int), b.arm, reference=0)
        assert np.log(res.estimate[i]) == pytest.approx(np.log(cox.estimate), abs=0.03)
        assert res.se[i] == pytest.approx(cox.se, rel=0.05)


def test_logrank_batch_interval_coverage():
    """95% Peto-HR intervals cover the true HR (exponential first-flare times: HR = rate ratio)."""
    n_trials = 2000
    sc = ls.Scenario(
        [ls.Arm("reference"), ls.Arm("treated", flare_rate_ratio=0.75)],
        n_per_arm=100,
        baseline_flare_rate=1.0,
        dispersion=0.0,
        followup_years=1.0,
    )
    b = ls.simulate_trials(sc, n_trials, rng=11)
    event = ~np.isnan(b.first_flare_years)
    res = ls.logrank_batch(np.where(event, b.first_flare_years, b.followup_years), event, b.arm == 1)
    covered = np.mean((res.ci_low < 0.75) & (res.ci_high > 0.75))
    lo, hi = _binom_bounds(0.95, n_trials)
    assert lo <= covered <= hi, covered


def test_renamed_keywords_still_accepted_with_warning(batch):
    tr = batch.arm == 1
    new = ls.compare_rates_batch(batch.n_flares, exposure=batch.followup_years, treated=tr)
    with pytest.warns(DeprecationWarning, match="use `exposure` instead"):
        old = ls.compare_rates_batch(batch.n_flares, followup_years=batch.followup_years, treated=tr)
    np.testing.assert_array_equal(old.pvalue, new.pvalue)
    event = ~np.isnan(batch.first_flare_years)
    time = np.where(event, batch.first_flare_years, batch.followup_years)
    with pytest.warns(DeprecationWarning, match="use `treated` instead"):
        old = ls.logrank_batch(time, event, group_codes=tr)
    np.testing.assert_array_equal(old.pvalue, ls.logrank_batch(time, event, tr).pvalue)


def test_compare_proportions_batch_equals_risk_difference_and_statsmodels_per_trial():
    """Each row is ls.risk_difference(method="newcombe") and statsmodels' score test (correction=False)."""
    from statsmodels.stats.proportion import test_proportions_2indep

    sc = ls.Scenario(
        [ls.Arm("reference", remission_probability=0.3), ls.Arm("treated", remission_probability=0.5)],
        n_per_arm=(17, 23),
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )
    b = ls.simulate_trials(sc, 40, rng=3)
    tr = b.arm == 1
    for alternative in ("two-sided", "less", "greater"):
        res = ls.compare_proportions_batch(b.drug_free_remission, tr, alternative=alternative, confidence_level=0.9)
        assert res.measure == "risk_difference" and res.scale == "identity"
        sm_alt = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[alternative]
        for i in range(b.n_trials):
            e1, e0 = int(b.drug_free_remission[i, tr].sum()), int(b.drug_free_remission[i, ~tr].sum())
            one = ls.risk_difference(e1, 23, e0, 17, method="newcombe", alternative=alternative, confidence_level=0.9)
            got = (res.estimate[i], res.ci_low[i], res.ci_high[i], res.statistic[i], res.pvalue[i])
            want = (one.estimate, one.ci_low, one.ci_high, one.statistic, one.pvalue)
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
            sm = test_proportions_2indep(
                e1, 23, e0, 17, method="score", compare="diff", alternative=sm_alt, correction=False
            )
            assert res.statistic[i] == pytest.approx(sm.statistic, rel=1e-10)
            assert res.pvalue[i] == pytest.approx(sm.pvalue, rel=1e-10)
            assert (res.events_treated[i], res.events_reference[i], res.n_treated[i]) == (e1, e0, 23)


def test_compare_proportions_batch_undefined_test_and_bad_events():
    events = np.array([[0, 0, 0, 0], [1, 1, 1, 1], [1, 0, 1, 0]])
    res = ls.compare_proportions_batch(events, [0, 0, 1, 1])
    assert np.isnan(res.pvalue[:2]).all() and np.isfinite(res.pvalue[2])  # nobody / everybody responded
    assert np.isfinite(res.ci_low).all() and (res.se[:2] == 0).all()
    with pytest.raises(ValueError, match="`events` must be 0/1"):
        ls.compare_proportions_batch(events * 2, [0, 0, 1, 1])
    with pytest.raises(ValueError, match="`events` must be 2-dimensional"):
        ls.compare_proportions_batch(events[0], [0, 0, 1, 1])


def test_compare_proportions_batch_interval_coverage():
    """95% Newcombe intervals cover the true risk difference."""
    n_trials = 2000
    sc = ls.Scenario(
        [ls.Arm("reference", remission_probability=0.4), ls.Arm("treated", remission_probability=0.55)],
        n_per_arm=60,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )
    b = ls.simulate_trials(sc, n_trials, rng=12)
    res = ls.compare_proportions_batch(b.drug_free_remission, b.arm == 1)
    covered = np.mean((res.ci_low < 0.15) & (res.ci_high > 0.15))
    lo, hi = _binom_bounds(0.95, n_trials)
    assert lo - 0.01 <= covered <= hi, covered  # Newcombe is near nominal, slightly conservative


# --------------------------------------------------------------------------- rejection rate (power, type I error)
def _with_pvalues(p):
    p = np.asarray(p, dtype=float)
    z = np.zeros_like(p)
    return ls.BatchResult(z, z, z, z, z, p, measure="test", method="made-up p-values")


def test_rejection_rate_by_hand():
    from statsmodels.stats.proportion import proportion_confint

    res = _with_pvalues([0.01, 0.2, np.nan, 0.04, 0.06, 0.05])
    rr = res.rejection_rate(0.05)
    assert isinstance(rr, ls.EstimateResult)
    assert rr.estimate == 2 / 6  # 0.05 is not below 0.05; NaN counts as not rejecting
    assert rr.se == pytest.approx(math.sqrt(2 / 6 * 4 / 6 / 6), rel=1e-15)
    assert (rr.ci_low, rr.ci_high) == pytest.approx(proportion_confint(2, 6, alpha=0.05, method="beta"), rel=1e-10)
    assert rr.confidence_interval(0.99) == pytest.approx(proportion_confint(2, 6, alpha=0.01, method="beta"), rel=1e-10)
    assert "2 of 6 trials" in rr.method and "1 with an undefined test" in rr.method
    assert "made-up p-values" in rr.method
    assert math.isnan(rr.pvalue) and math.isnan(rr.statistic)
    assert res.rejection_rate(0.1, confidence_level=0.9).estimate == 4 / 6
    for other in (pickle.loads(pickle.dumps(rr)), copy.deepcopy(rr)):
        assert other.confidence_interval(0.99) == rr.confidence_interval(0.99)


@pytest.mark.parametrize(
    ("kw", "error", "match"),
    [
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"alpha": "0.05"}, TypeError, "alpha"),
        ({"confidence_level": 95}, ValueError, "confidence_level"),
    ],
)
def test_rejection_rate_bad_arguments(kw, error, match):
    with pytest.raises(error, match=match):
        _with_pvalues([0.01, 0.5]).rejection_rate(**kw)


def test_rejection_rate_interval_covers_the_true_rate():
    # uniform p-values: the true rejection rate is alpha; the 95% Monte Carlo interval covers it in
    # at least 95% of repetitions (Clopper-Pearson is conservative), within simulation error
    rng = np.random.default_rng(81)
    reps, n = 1000, 200
    covered = 0
    for p in rng.random((reps, n)):
        low, high = _with_pvalues(p).rejection_rate(0.05).confidence_interval()
        covered += low <= 0.05 <= high
    assert covered / reps >= 0.95 - 4.4 * math.sqrt(0.95 * 0.05 / reps)


def test_rejection_rate_on_a_batch_equals_simulate_power():
    # the same p-values give the same power and Monte Carlo SE as simulate_power
    sc = ls.Scenario(
        [ls.Arm("reference"), ls.Arm("treated", severity_odds_ratio=0.5)],
        n_per_arm=80,
        baseline_flare_rate=1.5,
        dispersion=0.5,
        followup_years=1.0,
    )
    power = ls.simulate_power(sc, n_trials=300, endpoint="severity", rng=5)
    rr = _with_pvalues(power.pvalues).rejection_rate(power.alpha)
    assert rr.estimate == power.power and rr.se == pytest.approx(power.mc_se, rel=1e-12)
