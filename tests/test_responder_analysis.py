"""Tests for lupusstats.endpoints.analysis (responder analyses) and the Miettinen-Nurminen helpers.

References: tests/reference/responders_reference.R (R glm + confint.default, mantelhaen.test, an independent
Miettinen-Nurminen implementation by uniroot, geepack::geeglm), compared to 1e-6 (glm, CMH, MN) and 1e-4 (GEE).
Calibration: type I error and coverage of the MN test and interval by simulation, with Monte Carlo intervals.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lupusstats as ls
from lupusstats import GEE_CORRELATIONS
from lupusstats._core import inference as inf

REF = json.loads((Path(__file__).parent / "reference" / "responders_reference.json").read_text())


def _patients(name):
    ref = REF["patients"][name]
    d = pd.DataFrame(ref["data"])
    d["arm"] = pd.Categorical(d["arm"], categories=ref["arms"])
    return d, ref


def _long(name):
    ref = REF["gee"][name]
    d = pd.DataFrame(ref["data"])
    d["arm"] = pd.Categorical(d["arm"], categories=ref["arms"])
    return d, ref


def _names(ref):
    return [str(x) for x in np.atleast_1d(ref["names"])]


# --------------------------------------------------------------------------- Miettinen-Nurminen against R
@pytest.mark.parametrize("name", list(REF["mn"]))
def test_mn_interval_and_test_against_R(name):
    ref = REF["mn"][name]
    x1, n1, x0, n0 = ref["counts"]
    np.testing.assert_allclose(inf.mn_score_interval(x1, n1, x0, n0, 0.95), ref["ci95"], atol=1e-6)
    np.testing.assert_allclose(inf.mn_score_interval(x1, n1, x0, n0, 0.90), ref["ci90"], atol=1e-6)
    z, p = ref["test"]
    assert inf.mn_score_statistic(x1, n1, x0, n0) == pytest.approx(z, abs=1e-6)
    assert inf.pvalue_from_z(inf.mn_score_statistic(x1, n1, x0, n0)) == pytest.approx(p, abs=1e-6)


@pytest.mark.parametrize("name", list(REF["mn"]))
def test_mn_test_of_equality_agrees_with_statsmodels(name):
    """At a null difference of 0 statsmodels' score test is right (pooled estimate), and must agree."""
    from statsmodels.stats.proportion import test_proportions_2indep

    x1, n1, x0, n0 = REF["mn"][name]["counts"]
    with np.errstate(all="ignore"):
        sm = test_proportions_2indep(x1, n1, x0, n0, method="score", compare="diff", correction=True)
    if x1 + x0 in (0, n1 + n0):
        return
    assert inf.mn_score_statistic(x1, n1, x0, n0) == pytest.approx(sm.statistic, rel=1e-12)


def test_mn_restricted_estimate_maximises_the_restricted_likelihood():
    """The closed-form root zeroes the likelihood equation (statsmodels' has a wrong coefficient: issue #10269)."""
    rng = np.random.default_rng(5)
    n1, n0 = rng.integers(5, 80, 300), rng.integers(5, 80, 300)
    x1, x0 = rng.binomial(n1, 0.5), rng.binomial(n0, 0.4)
    delta = rng.uniform(-0.9, 0.9, 300)
    p1, p0 = inf.mn_restricted_proportions(x1, n1, x0, n0, delta)
    np.testing.assert_allclose(p1 - p0, delta, atol=1e-12)
    inside = (p0 > 1e-9) & (p0 < 1 - 1e-9) & (p1 > 1e-9) & (p1 < 1 - 1e-9)
    score = x1 / p1 - (n1 - x1) / (1 - p1) + x0 / p0 - (n0 - x0) / (1 - p0)
    scale = n1 / np.minimum(p1 * (1 - p1), 1) + n0 / np.minimum(p0 * (1 - p0), 1)
    assert np.all(np.abs(score[inside]) / scale[inside] < 1e-9)
    # against a brute-force grid maximum of the restricted log-likelihood, for a few tables
    for i in range(0, 300, 37):
        lo, hi = max(0.0, -delta[i]), min(1.0, 1.0 - delta[i])
        grid = np.linspace(lo + 1e-9, hi - 1e-9, 200001)
        ll = stats.binom.logpmf(x1[i], n1[i], grid + delta[i]) + stats.binom.logpmf(x0[i], n0[i], grid)
        assert p0[i] == pytest.approx(grid[np.argmax(ll)], abs=2e-5)


def test_mn_interval_limits_at_the_boundary():
    assert inf.mn_score_interval(10, 10, 0, 20, 0.95)[1] == 1.0
    assert inf.mn_score_interval(0, 10, 10, 10, 0.95)[0] == -1.0
    low, high = inf.mn_score_interval(0, 10, 0, 20, 0.95)
    assert low < 0 < high
    assert np.isnan(inf.mn_score_statistic(0, 10, 0, 20))


def test_mn_interval_inverts_its_test():
    """At each limit the two-sided MN p-value equals 1 - confidence level."""
    for x1, n1, x0, n0 in ([30, 60, 20, 60], [3, 11, 14, 57], [7, 9, 2, 12]):
        for cl in (0.8, 0.95, 0.99):
            for lim in inf.mn_score_interval(x1, n1, x0, n0, cl):
                assert inf.pvalue_from_z(inf.mn_score_statistic(x1, n1, x0, n0, lim)) == pytest.approx(1 - cl, abs=1e-9)


# --------------------------------------------------------------------------- calibration by simulation
def test_mn_test_type_one_error_and_interval_coverage():
    """Type I error of the MN test and coverage of the MN interval, 2x2 data, vectorised over 12000 tables each.

    The Monte Carlo 99.9% interval for a rate near 0.05 with 12000 draws is about +-0.007; the MN test is
    known to be near nominal (slightly conservative to slightly liberal), so the checks are: the rejection
    rate's 99.9% Clopper-Pearson interval overlaps [0.035, 0.065] and coverage's overlaps [0.935, 0.965].
    """
    rng = np.random.default_rng(20261125)
    n_sim = 12000
    for n1, n0, p in ((40, 40, 0.3), (25, 60, 0.5), (100, 80, 0.15)):
        x1, x0 = rng.binomial(n1, p, n_sim), rng.binomial(n0, p, n_sim)
        z = inf.mn_score_statistic(x1, n1, x0, n0)
        reject = np.nan_to_num(inf.pvalue_from_z(z), nan=1.0) < 0.05
        lo, hi = inf.clopper_pearson_interval(reject.sum(), n_sim, 0.999)
        assert lo < 0.065 and hi > 0.035, (n1, n0, p, reject.mean())
    for n1, n0, p1, p0 in ((40, 40, 0.6, 0.3), (30, 70, 0.2, 0.05), (120, 100, 0.45, 0.35)):
        x1, x0 = rng.binomial(n1, p1, n_sim), rng.binomial(n0, p0, n_sim)
        low, high = inf.mn_score_interval(x1, n1, x0, n0, 0.95)
        covered = (low <= p1 - p0) & (p1 - p0 <= high)
        lo, hi = inf.clopper_pearson_interval(covered.sum(), n_sim, 0.999)
        assert lo < 0.965 and hi > 0.935, (n1, n0, p1, p0, covered.mean())


# --------------------------------------------------------------------------- compare_responders against R
@pytest.mark.parametrize("name", list(REF["patients"]))
@pytest.mark.parametrize(
    ("fit", "kwargs"),
    [
        ("glm_unadjusted", {}),
        ("glm_covariate", {"covariates": "sledai"}),
        ("glm_covariate_strata", {"covariates": ["sledai"], "strata": "stratum"}),
        ("glm_strata", {"strata": "stratum"}),
    ],
)
def test_compare_responders_logistic_against_R(name, fit, kwargs):
    d, ref = _patients(name)
    res = ls.compare_responders(d, **kwargs)
    r = ref[fit]
    assert list(res["arm"]) == _names(r)
    np.testing.assert_allclose(res["log_odds_ratio"], r["estimate"], atol=1e-6)
    np.testing.assert_allclose(res["or_se"], r["se"], atol=1e-6)
    np.testing.assert_allclose(res["or_pvalue"], r["pvalue"], atol=1e-6)
    np.testing.assert_allclose(np.log(res["or_ci_low"]), r["ci_low"], atol=1e-6)
    np.testing.assert_allclose(np.log(res["or_ci_high"]), r["ci_high"], atol=1e-6)
    if fit == "glm_covariate_strata":
        res90 = ls.compare_responders(d, confidence_level=0.9, **kwargs)
        ci90 = np.array(r["ci90"]).reshape(-1, 2)
        np.testing.assert_allclose(np.log(res90[["or_ci_low", "or_ci_high"]].to_numpy()), ci90, atol=1e-6)


@pytest.mark.parametrize("name", list(REF["patients"]))
def test_compare_responders_cmh_and_mn_against_R(name):
    d, ref = _patients(name)
    res = ls.compare_responders(d, strata="stratum").set_index("arm")
    for arm in ref["arms"][1:]:
        row, cmh, mn = res.loc[arm], ref["cmh"][arm]["correct"], ref["mn"][arm]
        assert row["cmh_statistic"] == pytest.approx(cmh["statistic"], abs=1e-6)
        assert row["cmh_pvalue"] == pytest.approx(cmh["pvalue"], abs=1e-6)
        assert row["cmh_odds_ratio"] == pytest.approx(cmh["estimate"], abs=1e-6)
        assert [row["cmh_ci_low"], row["cmh_ci_high"]] == pytest.approx(cmh["ci"], abs=1e-6)
        x1, n1, x0, n0 = mn["counts"]
        assert (row["responders"], row["n"], row["responders_reference"], row["n_reference"]) == (x1, n1, x0, n0)
        assert [row["rd_ci_low"], row["rd_ci_high"]] == pytest.approx(mn["ci95"], abs=1e-6)
        assert row["rd_statistic"] == pytest.approx(mn["test"][0], abs=1e-6)
        assert row["rd_pvalue"] == pytest.approx(mn["test"][1], abs=1e-6)
        assert row["risk_difference"] == pytest.approx(x1 / n1 - x0 / n0, abs=1e-15)


@pytest.mark.parametrize("name", list(REF["patients"]))
@pytest.mark.parametrize("correct", [True, False])
def test_cmh_test_against_R(name, correct):
    d, ref = _patients(name)
    for arm in ref["arms"][1:]:
        two = d[d["arm"].isin([ref["arms"][0], arm])]
        res = ls.cmh_test(two, strata="stratum", correct=correct)
        r = ref["cmh"][arm]["correct" if correct else "uncorrected"]
        assert res.statistic == pytest.approx(r["statistic"], abs=1e-6)
        assert res.pvalue == pytest.approx(r["pvalue"], abs=1e-6)
        assert res.estimate == pytest.approx(r["estimate"], abs=1e-6)
        assert list(res.confidence_interval()) == pytest.approx(r["ci"], abs=1e-6)


def test_cmh_correction_is_skipped_below_one_half_as_in_R():
    """three_arms/low has |sum(a - E a)| < 0.5: R applies no correction there (statsmodels would)."""
    r = REF["patients"]["three_arms"]["cmh"]["low"]
    assert r["correct"]["statistic"] == r["uncorrected"]["statistic"]
    d, _ = _patients("three_arms")
    two = d[d["arm"].isin(["placebo", "low"])]
    assert ls.cmh_test(two, strata="stratum").statistic == pytest.approx(r["correct"]["statistic"], abs=1e-9)


def test_cmh_result_pickles_and_recomputes_its_interval():
    d, _ = _patients("unequal")
    res = ls.cmh_test(d, strata="stratum")
    again = pickle.loads(pickle.dumps(res))
    assert again == res
    lo90, hi90 = res.confidence_interval(0.9)
    lo95, hi95 = res.confidence_interval()
    assert lo95 < lo90 < res.estimate < hi90 < hi95
    z = stats.norm.isf(0.05)
    assert np.log(hi90) == pytest.approx(np.log(res.estimate) + z * res.se, abs=1e-12)


def test_compare_responders_group_column_named_by_caller_and_reference_choice():
    d, _ = _patients("three_arms")
    d = d.rename(columns={"arm": "treatment", "responder": "sri4"})
    res = ls.compare_responders(d, group="treatment", responder="sri4", reference="high")
    assert list(res["treatment"]) == ["placebo", "low"]
    assert set(res["reference"]) == {"high"}
    assert np.isnan(res["cmh_statistic"]).all()
    flipped = ls.compare_responders(d[d.treatment.isin(["placebo", "high"])], group="treatment", responder="sri4")
    assert flipped["log_odds_ratio"][0] == pytest.approx(-res["log_odds_ratio"][0], abs=1e-8)
    assert flipped["risk_difference"][0] == pytest.approx(-res["risk_difference"][0], abs=1e-15)


def test_compare_responders_accepts_bool_responders_and_notes_separation():
    d, _ = _patients("small")
    as_bool = d.assign(responder=d["responder"].astype(bool))
    pd.testing.assert_frame_equal(ls.compare_responders(as_bool), ls.compare_responders(d))
    sep = d.assign(responder=(d["arm"] == "active").astype(int))
    res = ls.compare_responders(sep)
    assert "separation" in res["note"][0]
    assert res["rd_ci_high"][0] == 1.0


# --------------------------------------------------------------------------- GEE against geepack
@pytest.mark.parametrize("name", list(REF["gee"]))
@pytest.mark.parametrize(
    ("fit", "kwargs"),
    [
        ("exchangeable", {}),
        ("independence", {"correlation": "independence"}),
        ("exchangeable_covariate", {"covariates": "sledai"}),
        ("exchangeable_no_time", {"time_effects": False}),
        ("ar1", {"correlation": "ar1"}),
        ("ar1_covariate", {"correlation": "ar1", "covariates": "sledai"}),
        ("ar1_no_time", {"correlation": "ar1", "time_effects": False}),
    ],
)
def test_responder_gee_against_geepack(name, fit, kwargs):
    """All working correlations to 1e-4, on balanced visits, heavy dropout (`dropout`) and missed visits (`gaps`)."""
    d, ref = _long(name)
    res = ls.responder_gee(d, **kwargs)
    r = ref[fit]
    assert list(res["arm"]) == _names(r)
    np.testing.assert_allclose(res["log_odds_ratio"], r["estimate"], atol=1e-4)
    np.testing.assert_allclose(res["se"], r["se"], atol=1e-4)
    np.testing.assert_allclose(res["pvalue"], r["pvalue"], atol=1e-4)
    if fit != "independence":
        assert res["working_correlation"][0] == pytest.approx(r["alpha"], abs=1e-4)
    assert res["converged"].all()


@pytest.mark.parametrize("name", list(REF["gee_ar1_random"]))
def test_responder_gee_ar1_random_data_against_geepack(name):
    """AR(1) on twelve small random data sets (12-80 patients, 3-8 visits, dropout, gaps, alpha from -0.26 to
    0.56) against geepack, to 1e-4."""
    ref = REF["gee_ar1_random"][name]
    d = pd.DataFrame(ref["data"])
    d["arm"] = pd.Categorical(d["arm"], categories=ref["arms"])
    res = ls.responder_gee(d, correlation="ar1", time_effects=False, reference="placebo")
    r = ref["ar1"]
    np.testing.assert_allclose(res["log_odds_ratio"], r["estimate"], atol=1e-4)
    np.testing.assert_allclose(res["se"], r["se"], atol=1e-4)
    assert res["working_correlation"][0] == pytest.approx(r["alpha"], abs=1e-4)


def test_ar1_random_reference_covers_negative_correlation():
    alphas = [v["ar1"]["alpha"] for v in REF["gee_ar1_random"].values()]
    assert min(alphas) < -0.1 and max(alphas) > 0.4


def _gee_design(d, arms, covariate):
    """geepack's model matrix for responder ~ arm + factor(week) [+ sledai], in R's column order."""
    weeks = np.sort(d["week"].unique())
    cols = [np.ones(len(d))] + [(d["arm"] == a).to_numpy(float) for a in arms[1:]]
    cols += [(d["week"] == w).to_numpy(float) for w in weeks[1:]]
    if covariate:
        cols.append(d["sledai"].to_numpy(float))
    return np.column_stack(cols), np.searchsorted(weeks, d["week"].to_numpy())


@pytest.mark.parametrize("name", list(REF["gee"]))
@pytest.mark.parametrize("fit", ["ar1", "ar1_covariate"])
def test_geepack_ar1_structure_every_coefficient(name, fit):
    """The private AR(1) structure in statsmodels' GEE: every coefficient (intercept, arms, visits, covariate) and
    its robust SE equal geepack's to 1e-4; statsmodels' own Autoregressive misses this by up to 7e-3 here."""
    import statsmodels.api as sm

    from lupusstats.endpoints.analysis import _geepack_ar1_class

    d, ref = _long(name)
    r = ref[fit]
    X, wave = _gee_design(d, ref["arms"], covariate=fit == "ar1_covariate")
    cs = _geepack_ar1_class()()
    model = sm.GEE(
        d["responder"].to_numpy(float),
        X,
        groups=d["patient"].to_numpy(),
        time=wave.astype(float),
        family=sm.families.Binomial(),
        cov_struct=cs,
    )
    res = model.fit(maxiter=500, ctol=1e-10, ddof_scale=0, cov_type="robust")
    np.testing.assert_allclose(res.params, r["coefficients"], atol=1e-4)
    np.testing.assert_allclose(res.bse, r["coefficient_se"], atol=1e-4)
    assert cs.dep_params == pytest.approx(r["alpha"], abs=1e-4)
    assert cs.scale == pytest.approx(r["scale"], abs=1e-4)  # geepack's dispersion, sum of r^2 / N


def test_geepack_ar1_working_matrix_counts_gaps():
    """A patient seen at visits 1, 2 and 4 of the schedule: correlations alpha, alpha^3 and alpha^2 (geepack's
    |wave_j - wave_k|), not the position in the cluster (statsmodels' Autoregressive would give alpha^2 for 1-4)."""
    import statsmodels.api as sm

    from lupusstats.endpoints.analysis import _geepack_ar1_class

    groups = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2])
    wave = np.array([0, 1, 3, 0, 1, 2, 3, 0, 2], dtype=float)
    cs = _geepack_ar1_class()()
    sm.GEE(
        np.array([0, 1, 1, 0, 0, 1, 1, 1, 0.0]),
        np.ones((9, 1)),
        groups=groups,
        time=wave,
        cov_struct=cs,
        family=sm.families.Binomial(),
    )
    cs.dep_params = 0.4
    mat, is_cor = cs.covariance_matrix(np.full(3, 0.5), 0)
    assert is_cor
    np.testing.assert_allclose(mat, [[1, 0.4, 0.4**3], [0.4, 1, 0.4**2], [0.4**3, 0.4**2, 1]], rtol=1e-15)
    mat, _ = cs.covariance_matrix(np.full(2, 0.5), 2)
    np.testing.assert_allclose(mat, [[1, 0.16], [0.16, 1]], rtol=1e-15)


def test_responder_gee_ar1_gap_differs_from_ignoring_it():
    """The gap matters: renumbering each patient's visits 1, 2, ... (closing the gaps) changes the AR(1) fit, while
    the exchangeable fit, which has no notion of distance, does not depend on it."""
    d, ref = _long("gaps")
    res = ls.responder_gee(d, correlation="ar1", time_effects=False)
    closed = d.assign(week=d.groupby("patient").cumcount().astype(float))
    res_closed = ls.responder_gee(closed, correlation="ar1", time_effects=False)
    assert abs(res["working_correlation"][0] - res_closed["working_correlation"][0]) > 1e-3
    assert res["log_odds_ratio"][0] == pytest.approx(ref["ar1_no_time"]["estimate"], abs=1e-4)
    ex = ls.responder_gee(d, time_effects=False)
    ex_closed = ls.responder_gee(closed, time_effects=False)
    assert ex["log_odds_ratio"][0] == pytest.approx(ex_closed["log_odds_ratio"][0], abs=1e-12)


@pytest.mark.parametrize("correlation", GEE_CORRELATIONS)
def test_responder_gee_row_order_does_not_matter(correlation):
    d, _ = _long("gaps")
    shuffled = d.sample(frac=1.0, random_state=3)
    pd.testing.assert_frame_equal(
        ls.responder_gee(d, correlation=correlation), ls.responder_gee(shuffled, correlation=correlation), atol=1e-9
    )


def test_responder_gee_ar1_single_visits_is_independence():
    """Every patient seen once: no pair of visits, nothing to estimate the correlation from; like geepack (which keeps
    its starting alpha = 0 and returns the independence fit), the AR(1) fit is the independence fit, alpha 0."""
    d, _ = _long("dropout")
    first = d.groupby("patient").head(1)
    ar1 = ls.responder_gee(first, correlation="ar1", time_effects=False)
    ind = ls.responder_gee(first, correlation="independence", time_effects=False)
    assert ar1["working_correlation"][0] == 0.0
    np.testing.assert_allclose(ar1["log_odds_ratio"], ind["log_odds_ratio"], atol=1e-12)
    np.testing.assert_allclose(ar1["se"], ind["se"], atol=1e-12)
