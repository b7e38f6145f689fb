"""Tests for lupusstats.survival: against R survival, by simulation, and bad input."""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lupusstats as ls

REF = json.loads((Path(__file__).parent / "reference" / "survival_reference.json").read_text())
DATA = pd.DataFrame(REF["data"])
DATA["arm"] = pd.Categorical(DATA["arm"], categories=["ref", "trt", "other"])
TWO = DATA[DATA["arm"] != "other"].copy()

#: failure probability of each Monte Carlo check (so a correct method fails it about once in 10,000 runs)
MC_FAILURE = 1e-4


def mc_interval(n: int, p: float = 0.95) -> tuple[float, float]:
    """Range of the observed proportion that a correct method falls outside with probability MC_FAILURE."""
    lo, hi = stats.binom.interval(1 - MC_FAILURE, n, p)
    return lo / n, hi / n


# ---------------------------------------------------------------------------
# against R
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["log-log", "log"])
def test_kaplan_meier_against_R(method):
    # R: summary(survfit(Surv(time, event) ~ arm, conf.type = method), censored = TRUE)
    ref = REF["km"][method]
    km = ls.kaplan_meier(DATA["time"], DATA["event"], DATA["arm"], method=method)
    r = pd.DataFrame(
        {
            "arm": ref["strata"],
            "time": ref["time"],
            "n_risk": ref["n_risk"],
            "surv": ref["surv"],
            "std_err": ref["std_err"],
            "lower": ref["lower"],
            "upper": ref["upper"],
        }
    )
    merged = km.assign(arm=km["arm"].astype(str)).merge(r, on=["arm", "time"], how="inner")
    assert len(merged) == len(r) == len(km)
    np.testing.assert_array_equal(merged["n_risk_x"], merged["n_risk_y"])
    np.testing.assert_allclose(merged["survival"], merged["surv"], rtol=1e-12)
    ok = merged["surv"] > 0
    np.testing.assert_allclose(merged.loc[ok, "std_err_x"], merged.loc[ok, "std_err_y"], rtol=1e-10)
    defined = merged["lower"].notna()
    np.testing.assert_allclose(merged.loc[defined, "ci_low"], merged.loc[defined, "lower"], rtol=1e-10)
    np.testing.assert_allclose(merged.loc[defined, "ci_high"], merged.loc[defined, "upper"], rtol=1e-10)


def test_kaplan_meier_ci_at_survival_one_and_zero():
    # S = 1 before the first event: interval (1, 1) (R gives NA for log-log); S = 0: NaN as R
    km = ls.kaplan_meier([0.5, 1.0, 2.0], [0, 1, 1])
    assert (km.loc[0, "ci_low"], km.loc[0, "ci_high"]) == (1.0, 1.0)
    assert km.loc[2, "survival"] == 0 and np.isnan(km.loc[2, "ci_low"])


def test_logrank_three_arms_against_R():
    # R: survdiff(Surv(time, event) ~ arm, data = dat)
    r = ls.logrank(DATA["time"], DATA["event"], DATA["arm"])
    assert r.df == REF["logrank3"]["df"] == 2
    assert r.statistic == pytest.approx(REF["logrank3"]["chisq"], rel=1e-10)
    np.testing.assert_allclose(r.observed, REF["logrank3"]["obs"])
    np.testing.assert_allclose(r.expected, REF["logrank3"]["exp"], rtol=1e-10)
    assert r.pvalue == pytest.approx(stats.chi2.sf(REF["logrank3"]["chisq"], 2), rel=1e-10)
    assert list(r.to_frame()["group"]) == ["ref", "trt", "other"]


def test_logrank_two_arms_against_R():
    # R: survdiff(Surv(time, event) ~ arm, data = sub2)
    r = ls.logrank(TWO["time"], TWO["event"], TWO["arm"].astype(str))
    assert r.statistic == pytest.approx(REF["logrank2"]["chisq"], rel=1e-10)
    assert r.df == 1


def test_logrank_identical_groups_against_R():
    # R: survdiff(...) on two arms with identical times: chisq 0
    d = REF["identical"]
    r = ls.logrank(d["time"], d["event"], d["arm"])
    assert REF["identical"]["chisq"] == pytest.approx(0.0, abs=1e-12)
    assert r.statistic == pytest.approx(0.0, abs=1e-12)
    assert r.pvalue == pytest.approx(1.0)


def test_cox_hazard_ratio_two_arms_against_R():
    # R: coxph(Surv(time, event) ~ arm, data = sub2, ties = "efron")
    r = ls.cox_hazard_ratio(TWO["time"], TWO["event"], TWO["arm"], reference="ref")
    assert math.log(r.estimate) == pytest.approx(REF["cox2"]["coef"], rel=1e-6)
    assert r.se == pytest.approx(REF["cox2"]["se"], rel=1e-6)
    np.testing.assert_allclose(r.confidence_interval(), REF["cox2"]["ci"], rtol=1e-6)
    assert r.pvalue == pytest.approx(REF["cox2"]["p"], rel=1e-5)
    # ties matter here: Breslow gives a different coefficient, and ours is Efron's
    assert abs(REF["cox2_breslow_coef"] - REF["cox2"]["coef"]) > 1e-4


def test_cox_hazard_ratio_three_arms_against_R():
    # R: coxph(Surv(time, event) ~ arm, data = dat, ties = "efron"): one model, two indicators
    for j, name in enumerate(REF["cox3"]["names"]):
        r = ls.cox_hazard_ratio(DATA["time"], DATA["event"], DATA["arm"], reference="ref", treatment=name)
        assert math.log(r.estimate) == pytest.approx(REF["cox3"]["coef"][j], rel=1e-6)
        assert r.se == pytest.approx(REF["cox3"]["se"][j], rel=1e-6)
        np.testing.assert_allclose(r.confidence_interval(), REF["cox3"]["ci"][j], rtol=1e-6)


def test_cox_hazard_ratio_identical_groups_against_R():
    # R: coxph(Surv(time, event) ~ arm) on identical arms: coefficient 0
    d = REF["identical"]
    r = ls.cox_hazard_ratio(d["time"], d["event"], d["arm"], reference="a")
    assert REF["identical"]["coef"] == pytest.approx(0.0, abs=1e-8)
    assert r.estimate == pytest.approx(1.0, abs=1e-8)


def test_rmst_against_R():
    # R: summary(survfit(Surv(time, event) ~ arm, data = sub2), rmean = 1.5)$table[, c("rmean", "se(rmean)")]
    ref = REF["rmst"]
    r = ls.rmst_difference(TWO["time"], TWO["event"], TWO["arm"], reference="ref", tau=ref["tau"])
    assert r.rmst_reference == pytest.approx(ref["rmean"][0], rel=1e-10)
    assert r.rmst_treatment == pytest.approx(ref["rmean"][1], rel=1e-10)
    assert r.se_reference == pytest.approx(ref["se"][0], rel=1e-10)
    assert r.se_treatment == pytest.approx(ref["se"][1], rel=1e-10)
    assert r.estimate == pytest.approx(ref["rmean"][1] - ref["rmean"][0], rel=1e-10)
    assert r.se == pytest.approx(math.hypot(*ref["se"]), rel=1e-10)
    assert r.confidence_interval(0.9).high < r.ci_high


# ---------------------------------------------------------------------------
# from the patients table
# ---------------------------------------------------------------------------


def test_time_to_first_flare_from_simulated_cohort():
    cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=3)
    p = cohort.patients
    for severe, column in ((False, "first_flare_years"), (True, "first_severe_flare_years")):
        tte = ls.time_to_first_flare(p, severe=severe)
        assert list(tte.columns) == ["arm", "time", "event"]
        np.testing.assert_array_equal(tte["event"], p[column].notna())
        np.testing.assert_allclose(tte["time"], p[column].fillna(p["followup_years"]))
        assert list(tte["arm"].cat.categories) == list(cohort.arm_names)
    # the first severe flare never precedes the first flare
    assert (
        p["first_severe_flare_years"].dropna() >= p.loc[p["first_severe_flare_years"].notna(), "first_flare_years"]
    ).all()


# ---------------------------------------------------------------------------
# calibration by simulation
# ---------------------------------------------------------------------------


def _exponential_trials(rng, n_trials, n_per_arm, hazard_ref, hr, followup):
    rng = np.random.default_rng(rng)
    lam = np.r_[np.full(n_per_arm, hazard_ref), np.full(n_per_arm, hazard_ref * hr)]
    t_event = rng.exponential(1.0 / lam, size=(n_trials, lam.size))
    t_cens = np.minimum(rng.exponential(1.0 / 0.35, size=t_event.shape), followup)  # dropout plus end of study
    time = np.minimum(t_event, t_cens)
    return time, t_event <= t_cens, np.repeat(["ref", "trt"], n_per_arm)


def test_cox_hazard_ratio_and_rmst_ci_coverage():
    # Regime of notebook 04: 185 per arm, 24-week follow-up (0.46 y), first-flare hazard ~1.8/y, true HR 0.6
    n_trials, hr, lam0, tau = 1000, 0.6, 1.765, 0.45
    time, event, group = _exponential_trials(11, n_trials, 185, lam0, hr, 0.46)
    rmst_true = (1 - np.exp(-lam0 * hr * tau)) / (lam0 * hr) - (1 - np.exp(-lam0 * tau)) / lam0
    cover_hr = cover_rmst = 0
    for i in range(n_trials):
        low, high = ls.cox_hazard_ratio(time[i], event[i], group, reference="ref").confidence_interval()
        cover_hr += low <= hr <= high
        low, high = ls.rmst_difference(time[i], event[i], group, reference="ref", tau=tau).confidence_interval()
        cover_rmst += low <= rmst_true <= high
    lo, hi = mc_interval(n_trials)
    assert lo <= cover_hr / n_trials <= hi
    assert lo <= cover_rmst / n_trials <= hi


def test_logrank_type_one_error_in_simulated_trials():
    # standard care vs MSC + standard care in the nephritis preset: same flare rate, so H0 holds
    batch = ls.simulate_trials(ls.preset("nephritis_induction"), 1000, rng=12)
    keep = batch.in_arm("standard care") | batch.in_arm("MSC + standard care")
    group = batch.arm[keep]
    first = batch.first_flare_years[:, keep]
    fu = batch.followup_years[:, keep]
    rejections = 0
    for i in range(batch.n_trials):
        event = ~np.isnan(first[i])
        time = np.where(event, first[i], fu[i])
        rejections += ls.logrank(time, event, group).pvalue < 0.05
    lo, hi = mc_interval(batch.n_trials, 0.05)
    assert lo <= rejections / batch.n_trials <= hi


def _first_flare_batch(dropout=0.4, n=40, n_trials=25, rng=3):
    sc = ls.Scenario(
        [ls.Arm("standard care", dropout_rate=dropout), ls.Arm("new drug", flare_rate_ratio=0.7, dropout_rate=dropout)],
        n_per_arm=n,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )
    batch = ls.simulate_trials(sc, n_trials, rng=rng)
    time = np.where(np.isnan(batch.first_flare_years), batch.followup_years, batch.first_flare_years)
    return batch, time, ~np.isnan(batch.first_flare_years)


def test_logrank_batch_equals_logrank_per_trial():
    batch, time, event = _first_flare_batch()
    time = np.round(time, 1)  # ties between events, and between events and censorings
    treated = batch.arm == 1
    res = ls.logrank_batch(time, event, treated)
    assert res.pvalue.shape == (batch.n_trials,)
    for i in range(batch.n_trials):
        r = ls.logrank(time[i], event[i].astype(int), treated.astype(int))
        assert res.chisq[i] == pytest.approx(r.statistic, rel=1e-10, abs=1e-12)
        assert res.pvalue[i] == pytest.approx(r.pvalue, rel=1e-10, abs=1e-12)
        assert res.observed[i] == r.observed[1]
        assert res.expected[i] == pytest.approx(r.expected[1], rel=1e-12)
        assert np.sign(res.statistic[i]) == np.sign(r.observed[1] - r.expected[1])
        assert res.statistic[i] ** 2 == pytest.approx(res.chisq[i], rel=1e-12)
    # per-trial group codes (shuffled patients) give the same per-trial tests
    rng = np.random.default_rng(0)
    perm = np.argsort(rng.random(time.shape), axis=1)
    shuffled = ls.logrank_batch(
        np.take_along_axis(time, perm, 1), np.take_along_axis(event, perm, 1), treated[perm].astype(int)
    )
    np.testing.assert_allclose(shuffled.statistic, res.statistic, rtol=1e-10)
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["estimate", "se", "ci_low", "ci_high", "statistic", "pvalue"]
    assert {"chisq", "observed", "expected", "variance"} <= set(frame.columns) and len(frame) == 25


def test_logrank_batch_one_sided_and_no_information():
    batch, time, event = _first_flare_batch(n_trials=40)
    two = ls.logrank_batch(time, event, batch.arm)
    less = ls.logrank_batch(time, event, batch.arm, alternative="less")
    greater = ls.logrank_batch(time, event, batch.arm, alternative="greater")
    np.testing.assert_allclose(less.pvalue, stats.norm.cdf(two.statistic), rtol=1e-12)
    np.testing.assert_allclose(less.pvalue + greater.pvalue, 1.0, rtol=1e-12)
    np.testing.assert_allclose(two.pvalue, 2 * np.minimum(less.pvalue, greater.pvalue), rtol=1e-9)
    # the only event with one patient at risk: no information, as ls.logrank (statistic 0, p NaN)
    r = ls.logrank([1, 2, 3, 4], [0, 0, 0, 1], [0, 1, 0, 1])
    res = ls.logrank_batch([[1, 2, 3, 4], [1, 2, 3, 4]], [[0, 0, 0, 1], [0, 0, 0, 0]], [0, 1, 0, 1])
    assert r.statistic == 0.0 and math.isnan(r.pvalue)
    np.testing.assert_array_equal(res.chisq, [0.0, 0.0])
    assert np.isnan(res.pvalue).all() and np.isnan(res.statistic).all() and np.isnan(res.estimate).all()
    assert np.isnan(res.ci_low).all() and np.isnan(res.ci_high).all()


def test_logrank_batch_type_one_error():
    # standard care vs MSC + standard care in the nephritis preset: same flare rate, so H0 holds
    batch = ls.simulate_trials(ls.preset("nephritis_induction"), 4000, rng=13)
    keep = batch.in_arm("standard care") | batch.in_arm("MSC + standard care")
    first, fu = batch.first_flare_years[:, keep], batch.followup_years[:, keep]
    event = ~np.isnan(first)
    p = ls.logrank_batch(np.where(event, first, fu), event, batch.in_arm("MSC + standard care")[keep]).pvalue
    lo, hi = mc_interval(p.size, 0.05)
    assert lo <= np.mean(p < 0.05) <= hi


def test_logrank_batch_bad_input():
    t, e, g = np.ones((2, 4)), np.ones((2, 4)), [0, 1, 0, 1]
    with pytest.raises(ValueError, match="`time` must be 2-dimensional"):
        ls.logrank_batch(np.ones(4), e, g)
    with pytest.raises(ValueError, match="`time` must be >= 0"):
        ls.logrank_batch(-t, e, g)
    with pytest.raises(ValueError, match="`time` must be finite"):
        ls.logrank_batch(t * np.inf, e, g)
    with pytest.raises(ValueError, match="`event` must be 0/1"):
        ls.logrank_batch(t, 2 * e, g)
    with pytest.raises(ValueError, match="same shape"):
        ls.logrank_batch(t, np.ones((2, 3)), g)
    with pytest.raises(ValueError, match="`treated` must have shape"):
        ls.logrank_batch(t, e, [0, 1, 0])
    with pytest.raises(ValueError, match=r"`treated` must be boolean \(or 0/1\)"):
        ls.logrank_batch(t, e, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="treated and reference patients; .* in 1 trial"):
        ls.logrank_batch(t, e, [[0, 1, 0, 1], [1, 1, 1, 1]])
    with pytest.raises(TypeError, match="`treated` must be a boolean array"):
        ls.logrank_batch(t, e, ["a", "b", "a", "b"])
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        ls.logrank_batch(t, e, g, alternative="two.sided")


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


def test_all_censored_is_an_error():
    with pytest.raises(ValueError, match="all 4 observations are censored"):
        ls.logrank([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="censored"):
        ls.cox_hazard_ratio([1, 2, 3, 4], [0, 0, 0, 0], ["a", "a", "b", "b"], reference="a")


def test_unknown_reference_is_an_error():
    with pytest.raises(ValueError, match=r"`reference` must be one of the groups \['a', 'b'\], got 'placebo'"):
        ls.cox_hazard_ratio([1, 2, 3, 4], [1, 1, 1, 1], ["a", "b", "a", "b"], reference="placebo")
    with pytest.raises(ValueError, match="`reference` must be one of"):
        ls.rmst_difference([1, 2, 3, 4], [1, 1, 1, 1], ["a", "b", "a", "b"], reference="placebo")


def test_three_groups_need_treatment():
    with pytest.raises(ValueError, match="pass `treatment=`"):
        ls.cox_hazard_ratio(DATA["time"], DATA["event"], DATA["arm"], reference="ref")
    with pytest.raises(ValueError, match="`treatment` must be one of"):
        ls.cox_hazard_ratio(DATA["time"], DATA["event"], DATA["arm"], reference="ref", treatment="ref")


@pytest.mark.parametrize("name", sorted(REF["separation"]))
def test_cox_complete_separation_matches_r(name):
    # Monotone likelihood (a group without events, or with all its events while the other group has no one
    # at risk): R coxph warns "Loglik converged before variable ..." and stops at a coefficient near -+22.
    # lupusstats warns too and reports what that means: a hazard ratio of 0 or infinity, the likelihood-ratio
    # test (R's "Likelihood ratio test" line) and the profile-likelihood interval, one end open; its finite end is
    # the root of R coxph's own log likelihood at fixed coefficients (tests/reference/survival_reference.R).
    ref = REF["separation"][name]
    with pytest.warns(RuntimeWarning, match="monotone"):
        r = ls.cox_hazard_ratio(ref["time"], ref["event"], ref["arm"], reference="ref", treatment="trt")
    assert r.estimate == (math.inf if ref["direction"] > 0 else 0.0) and r.se == math.inf
    lrt = ref["lrt"]
    assert r.statistic**2 == pytest.approx(lrt, rel=1e-8) and np.sign(r.statistic) == ref["direction"]
    assert r.pvalue == pytest.approx(stats.chi2.sf(lrt, 1), rel=1e-7)
    if ref["r_lrt_printed"] is not None:  # R stops at |coef| ~ 22: its printed statistic is within ~1e-8
        assert r.statistic**2 == pytest.approx(ref["r_lrt_printed"], rel=1e-7)
    for level, key in ((0.95, "bound95"), (0.90, "bound90")):
        low, high = r.confidence_interval(level)
        if ref["direction"] < 0:
            assert low == 0.0 and high == pytest.approx(ref[key], rel=1e-8)
        else:
            assert high == math.inf and low == pytest.approx(ref[key], rel=1e-8)


def test_cox_separation_survives_pickling_and_recomputes_its_interval():
    ref = REF["separation"]["none_in_trt"]
    with pytest.warns(RuntimeWarning):
        r = ls.cox_hazard_ratio(ref["time"], ref["event"], ref["arm"], reference="ref")
    again = pickle.loads(pickle.dumps(r))
    assert again.confidence_interval(0.9).high == pytest.approx(ref["bound90"], rel=1e-8)


def test_cox_neither_group_with_events_is_an_error():
    # 0 events against 0 events: the hazard ratio is 0/0, not 0 or infinite (no direction to diverge in)
    with pytest.raises(ValueError, match="neither 'b' nor the reference 'a' has an event"):
        ls.cox_hazard_ratio([1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 1, 1], list("aabbcc"), reference="a", treatment="b")


def test_single_group_is_an_error():
    with pytest.raises(ValueError, match="at least 2 distinct groups"):
        ls.logrank([1, 2, 3], [1, 0, 1], ["a", "a", "a"])


def test_bad_time_and_event_values():
    with pytest.raises(ValueError, match="`time` must be >= 0"):
        ls.kaplan_meier([-1, 2], [1, 1])
    with pytest.raises(ValueError, match="`event` must be 0/1"):
        ls.kaplan_meier([1, 2], [1, 2])
    with pytest.raises(ValueError, match="same length"):
        ls.kaplan_meier([1, 2, 3], [1, 0])
    with pytest.raises(ValueError, match="missing"):
        ls.kaplan_meier([1, np.nan], [1, 0])
    with pytest.raises(TypeError, match="array-like of numbers"):
        ls.kaplan_meier("1 2", [1, 0])
    with pytest.raises(ValueError, match="`method` must be one of"):
        ls.kaplan_meier([1, 2], [1, 0], method="arcsine")


def test_tau_beyond_follow_up_is_an_error():
    with pytest.raises(ValueError, match="`tau` must be <= 5"):
        ls.rmst_difference([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 1], list("ababab"), reference="a", tau=10)


def test_time_to_first_flare_bad_tables():
    p = pd.DataFrame(
        {
            "arm": ["a", "b"],
            "followup_years": [1.0, 0.5],
            "first_flare_years": [0.4, 0.9],
            "first_severe_flare_years": [np.nan, np.nan],
        }
    )
    with pytest.raises(ValueError, match="after `followup_years` for 1 patient"):
        ls.time_to_first_flare(p)
    with pytest.raises(ValueError, match="missing column"):
        ls.time_to_first_flare(p.drop(columns="followup_years"))
    with pytest.raises(ValueError, match="must be > 0"):
        ls.time_to_first_flare(p.assign(followup_years=[1.0, 0.0], first_flare_years=[0.4, np.nan]))
    with pytest.raises(TypeError, match="`severe` must be True or False"):
        ls.time_to_first_flare(p, severe="yes")


def test_cox_matches_statsmodels_phreg_efron():
    # cross-check of the grouped Efron Newton solver with statsmodels' general implementation
    from statsmodels.duration.hazard_regression import PHReg

    X = np.column_stack([(DATA["arm"] == "trt"), (DATA["arm"] == "other")]).astype(float)
    fit = PHReg(DATA["time"].to_numpy(), X, status=DATA["event"].to_numpy(float), ties="efron").fit()
    for j, name in enumerate(["trt", "other"]):
        r = ls.cox_hazard_ratio(DATA["time"], DATA["event"], DATA["arm"], reference="ref", treatment=name)
        assert math.log(r.estimate) == pytest.approx(fit.params[j], rel=1e-7)
        assert r.se == pytest.approx(fit.bse[j], rel=1e-6)
