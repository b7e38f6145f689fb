"""Tests of lupusstats.severity: against R (tests/reference/severity_reference.R), against scipy,
by simulation (type I error of cluster-aware vs naive flare-level tests), and bad input."""

from __future__ import annotations

import json
import math
import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lupusstats as ls

REF = json.loads((pathlib.Path(__file__).parent / "reference" / "severity_reference.json").read_text())
LEVELS = list(ls.columns.SEVERITY_LEVELS)


def _binom_bounds(p, n, fail=1e-4):
    """Interval that a rejection rate from n trials leaves with probability `fail` (two-sided)."""
    return stats.binom.ppf(fail / 2, n, p) / n, stats.binom.isf(fail / 2, n, p) / n


@pytest.fixture(scope="module")
def cohort():
    return ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)


# =========================================================================== against R
def test_mann_whitney_against_R():
    x, y = REF["two_sample"]["x"], REF["two_sample"]["y"]
    # R: wilcox.test(x, y, exact = FALSE, correct = TRUE)
    r = ls.mann_whitney(x, y)
    assert r.statistic == pytest.approx(REF["wilcox"]["W"], rel=1e-12)
    assert r.pvalue == pytest.approx(REF["wilcox"]["p"], rel=1e-9)
    # R: wilcox.test(..., alternative = "less"); correct = FALSE
    assert ls.mann_whitney(x, y, alternative="less").pvalue == pytest.approx(REF["wilcox"]["p_less"], rel=1e-9)
    assert ls.mann_whitney(x, y, correction=False).pvalue == pytest.approx(REF["wilcox"]["p_nocorrect"], rel=1e-9)


def test_cliffs_delta_fisher_z_against_R():
    x, y = REF["two_sample"]["x"], REF["two_sample"]["y"]
    ref = REF["cliffs_delta"]
    # R: effectsize::cliffs_delta(x, y, ci = 0.95)
    r = ls.cliffs_delta(x, y, method="fisher-z")
    assert r.estimate == pytest.approx(ref["delta"], rel=1e-12)
    assert r.confidence_interval() == pytest.approx((ref["ci_low"], ref["ci_high"]), rel=1e-9)
    # R: effectsize::cliffs_delta(x, y, ci = 0.90, alternative = "less")
    r90 = ls.cliffs_delta(x, y, method="fisher-z", alternative="less", confidence_level=0.90)
    assert r90.confidence_interval() == pytest.approx((ref["less90_low"], ref["less90_high"]), rel=1e-9)


def test_brunner_munzel_against_R_formula_and_scipy():
    x, y = REF["two_sample"]["x"], REF["two_sample"]["y"]
    ref = REF["brunner_munzel"]
    # R: rank formulas of Brunner & Munzel (2000), written out in the reference script
    r = ls.probability_of_superiority(x, y)
    assert r.estimate == pytest.approx(ref["p"], rel=1e-12)
    assert r.se == pytest.approx(ref["se"], rel=1e-10)
    assert r.df == pytest.approx(ref["df"], rel=1e-10)
    assert r.statistic == pytest.approx(ref["statistic"], rel=1e-10)
    assert r.pvalue == pytest.approx(ref["pvalue"], rel=1e-9)
    assert r.confidence_interval() == pytest.approx((ref["ci_low"], ref["ci_high"]), rel=1e-10)
    sp = stats.brunnermunzel(x, y)  # scipy's sign is ours flipped
    assert r.statistic == pytest.approx(-sp.statistic, rel=1e-12)
    assert r.pvalue == pytest.approx(sp.pvalue, rel=1e-10)
    d = ls.cliffs_delta(x, y)
    assert d.estimate == pytest.approx(2 * ref["p"] - 1)
    assert d.confidence_interval() == pytest.approx((2 * ref["ci_low"] - 1, 2 * ref["ci_high"] - 1), rel=1e-10)


def test_clustered_superiority_against_R():
    c = REF["clustered"]
    # R: explicit double loop over flare pairs, Obuchowski (1997) variance
    r = ls.probability_of_superiority(c["x"], c["y"], cluster_x=c["cluster_x"], cluster_y=c["cluster_y"])
    assert r.estimate == pytest.approx(c["p"], rel=1e-12)
    assert r.se == pytest.approx(c["se"], rel=1e-10)
    assert r.pvalue == pytest.approx(c["pvalue"], rel=1e-9)
    assert r.confidence_interval() == pytest.approx((c["ci_low"], c["ci_high"]), rel=1e-10)
    # one observation per cluster: the clustered variance is the naive one times I/(I-1) * (n-1)/n ~ equal
    x, y = REF["two_sample"]["x"], REF["two_sample"]["y"]
    naive = ls.probability_of_superiority(x, y)
    cl = ls.probability_of_superiority(x, y, cluster_x=np.arange(len(x)), cluster_y=np.arange(len(y)) + 100)
    assert cl.se == pytest.approx(naive.se, rel=1e-12)


@pytest.mark.parametrize("name", ["t23", "t24", "t32", "t22", "big"])
def test_fisher_exact_against_R(name):
    ref = REF["fisher"][name]
    # R: fisher.test(table)
    assert ls.contingency_test(ref["table"]).pvalue == pytest.approx(ref["p"], rel=1e-7)


def test_fisher_monte_carlo_3x4_against_R():
    ref = REF["fisher"]["t34"]
    # R: fisher.test(t34, workspace = 2e8) (exact); ours is Monte Carlo for 3 x 4: within 4.5 MC SE
    r = ls.contingency_test(ref["table"], n_resamples=20_000, rng=3)
    assert "Monte Carlo" in r.method
    assert abs(r.pvalue - ref["p"]) < 4.5 * np.sqrt(ref["p"] * (1 - ref["p"]) / 20_000)


def test_fisher_monte_carlo_is_seeded_and_carries_its_error():
    # a 2 x 4 worst-flare table of two arms of 185 patients: too many tables to enumerate
    table = [[100, 42, 17, 26], [106, 57, 10, 12]]
    a, b = ls.contingency_test(table, rng=11), ls.contingency_test(table, rng=11)
    assert "Monte Carlo" in a.method
    assert a.pvalue == b.pvalue  # the same seed, the same p-value
    assert a.mc_se == pytest.approx(math.sqrt(a.pvalue * (1 - a.pvalue) / 10_000), rel=1e-12)
    others = {ls.contingency_test(table, rng=seed).pvalue for seed in range(12, 20)}
    assert len(others) > 1  # really Monte Carlo: other seeds, other p-values ...
    assert max(abs(p - a.pvalue) for p in others) < 6 * a.mc_se + 1e-4  # ... within its Monte Carlo error
    gen = np.random.default_rng(11)
    assert ls.contingency_test(table, rng=gen).pvalue == a.pvalue  # a Generator works as a seed does
    # exact and asymptotic p-values have no Monte Carlo error
    assert math.isnan(ls.contingency_test([[3, 1, 2], [0, 4, 5]]).mc_se)
    assert math.isnan(ls.contingency_test(table, method="chisq").mc_se)
    assert math.isnan(ls.cochran_armitage([[10, 6, 4], [15, 4, 1]]).mc_se)


@pytest.mark.parametrize("name", ["t24", "t34", "big", "t22_yates"])
def test_chisq_against_R(name):
    ref = REF["chisq"][name]
    # R: chisq.test(table, correct = FALSE) (t22_yates: correct = TRUE)
    r = ls.contingency_test(ref["table"], method="chisq", correction=name.endswith("yates"))
    assert r.statistic == pytest.approx(ref["statistic"], rel=1e-10)
    assert r.df == ref["df"]
    assert r.pvalue == pytest.approx(ref["p"], rel=1e-9)


@pytest.mark.parametrize("name", ["t23", "t24", "big", "t24_scores"])
def test_cochran_armitage_against_R(name):
    ref = REF["trend"][name]
    # R: prop.trend.test(table[2, ], colSums(table), score = scores)
    r = ls.cochran_armitage(ref["table"], scores=ref.get("scores"))
    assert r.statistic**2 == pytest.approx(ref["chisq"], rel=1e-10)
    assert r.pvalue == pytest.approx(ref["p"], rel=1e-9)
    # sign: positive when the treatment row sits in the more severe columns
    t = np.asarray(ref["table"], dtype=float)
    sc = np.arange(t.shape[1]) if ref.get("scores") is None else np.asarray(ref["scores"])
    assert np.sign(r.statistic) == np.sign((t[1] * sc).sum() / t[1].sum() - (t[0] * sc).sum() / t[0].sum())


def _polr_flares():
    p = REF["polr"]
    return pd.DataFrame(
        {
            "patient": p["patient"],
            "arm": pd.Categorical(p["arm"], categories=["ref", "trtA", "trtB"]),
            "severity": pd.Categorical(p["severity"], categories=LEVELS, ordered=True),
        }
    )


def test_proportional_odds_against_R():
    ref = REF["polr"]
    flares = _polr_flares()
    # R: MASS::polr(severity ~ arm, Hess = TRUE); model-based SE
    naive = ls.proportional_odds(flares, inference="naive")
    assert naive["log_odds_ratio"].to_numpy() == pytest.approx(ref["coef"], abs=2e-5)
    assert naive["se"].to_numpy() == pytest.approx(ref["se"], rel=2e-4)
    # R: sqrt(diag(sandwich::vcovCL(fit, cluster = ~patient, type = "HC1")))
    robust = ls.proportional_odds(flares)
    assert robust["log_odds_ratio"].to_numpy() == pytest.approx(ref["coef"], abs=2e-5)
    assert robust["se"].to_numpy() == pytest.approx(ref["se_cluster"], rel=2e-4)
    assert robust["odds_ratio"].to_numpy() == pytest.approx(np.exp(ref["coef"]), rel=1e-4)


def test_proportional_odds_patient_level_against_R():
    ref = REF["polr_patient"]
    flares = _polr_flares()
    patients = pd.DataFrame(
        {"patient": ref["patient"], "arm": pd.Categorical(ref["arm"], categories=["ref", "trtA", "trtB"])}
    )
    # R: polr(worst ~ arm) with worst = none < mild < moderate < severe, 20 flare-free patients per arm
    r = ls.proportional_odds(flares, patients, unit="patient")
    assert r["log_odds_ratio"].to_numpy() == pytest.approx(ref["coef"], abs=2e-5)
    assert r["se"].to_numpy() == pytest.approx(ref["se"], rel=2e-4)


def test_wilson_interval_against_R():
    ref = REF["wilson"]
    # R: prop.test(x, n, correct = FALSE)$conf.int, through severity_table with independent flares
    for x, n, lo, hi in zip(ref["x"], ref["n"], ref["low"], ref["high"], strict=True):
        sev = ["severe"] * x + ["mild"] * (n - x)
        t = ls.severity_table(pd.DataFrame({"arm": "a", "severity": sev}), levels=LEVELS, patient=None)
        row = t[t["severity"] == "severe"].iloc[0]
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), abs=1e-12)


def test_goodman_interval_against_R():
    ref = REF["goodman"]
    sev = np.repeat(LEVELS, ref["x"])
    # R: Goodman (1965) formula written out in the reference script
    t = ls.severity_table(pd.DataFrame({"arm": "a", "severity": sev}), levels=LEVELS, patient=None, method="goodman")
    assert t["ci_low"].to_numpy() == pytest.approx(ref["low"], rel=1e-10)
    assert t["ci_high"].to_numpy() == pytest.approx(ref["high"], rel=1e-10)


def test_sledai_quantiles_against_R():
    ref = REF["quantile"]
    # R: quantile(v, probs) (type 7)
    out = ls.sledai_summary(pd.DataFrame({"arm": "a", "sledai_increase": ref["x"]}), quantiles=ref["probs"])
    got = out[[f"q{100 * q:g}" for q in ref["probs"]]].to_numpy().ravel()
    assert got == pytest.approx(ref["q"], rel=1e-12)


# =========================================================================== tables and consistency
def test_severity_table_counts_and_clustering(cohort):
    t = ls.severity_table(cohort.flares)
    assert set(t.columns) >= {"arm", "severity", "n", "total", "proportion", "ci_low", "ci_high"}
    counts = pd.crosstab(cohort.flares["arm"], cohort.flares["severity"])
    for _, row in t.iterrows():
        assert row["n"] == counts.loc[row["arm"], row["severity"]]
    assert t.groupby("arm", observed=True)["proportion"].sum().to_numpy() == pytest.approx(1.0)
    assert (t["ci_low"] <= t["proportion"]).all() and (t["proportion"] <= t["ci_high"]).all()
    naive = ls.severity_table(cohort.flares, patient=None)
    width = (t["ci_high"] - t["ci_low"]).to_numpy()
    assert (width >= (naive["ci_high"] - naive["ci_low"]).to_numpy() - 1e-12).all()
    assert (t["design_effect"] >= 1).all()


def test_organ_table_denominators(cohort):
    t = ls.organ_table(cohort.flares, cohort.patients)
    per_arm = t.groupby("arm", observed=True)
    assert (per_arm["n_flares"].sum().to_numpy() == cohort.flares.groupby("arm", observed=True).size().to_numpy()).all()
    assert (t["total_patients"] == 185).all()
    t2 = ls.organ_table(cohort.flares)
    assert (t2["total_patients"] < 185).all()
    assert (t2["patient_share"].to_numpy() >= t["patient_share"].to_numpy()).all()


def test_patient_severity_includes_flare_free_patients(cohort):
    ps = ls.patient_severity(cohort.flares, cohort.patients)
    assert len(ps) == len(cohort.patients)
    none = ps["worst_severity"] == "none"
    assert (none == (cohort.patients["n_flares"].to_numpy() == 0)).all()
    assert (ps.loc[none, "total_sledai_increase"] == 0).all()
    assert (ps["n_severe_flares"].to_numpy() == cohort.patients["n_severe_flares"].to_numpy()).all()
    assert list(ps["worst_severity"].cat.categories) == ["none", *LEVELS]


def _counts_from_flares(flares, n_patients):
    out = np.zeros((1, n_patients, 3), dtype=np.int64)
    np.add.at(out[0], (flares["patient"].to_numpy() - 1, flares["severity"].cat.codes.to_numpy()), 1)
    return out


@pytest.mark.parametrize("unit,inference", [("flare", "cluster"), ("flare", "naive"), ("patient", "cluster")])
def test_batch_equals_table_version(cohort, unit, inference):
    table = ls.compare_severity(cohort.flares, cohort.patients, unit=unit, inference=inference)
    counts = _counts_from_flares(cohort.flares, len(cohort.patients))
    arm = cohort.patients["arm"].cat.codes.to_numpy()
    keep = arm < 2
    batch = ls.compare_severity_batch(counts[:, keep], arm[keep] == 1, unit=unit, inference=inference)
    assert batch.estimate[0] == pytest.approx(table["probability_superiority"].iloc[0])
    assert batch.pvalue[0] == pytest.approx(table["pvalue"].iloc[0], rel=1e-10)
    assert batch.se[0] == pytest.approx(table["se"].iloc[0], rel=1e-10)
    assert batch.ci_low[0] == pytest.approx(table["ci_low"].iloc[0], rel=1e-10)
    assert batch.ci_high[0] == pytest.approx(table["ci_high"].iloc[0], rel=1e-10)
    # a per-trial (2-d) treated indicator, the same in every trial, gives the same result
    again = ls.compare_severity_batch(counts[:, keep], np.tile(arm[keep] == 1, (1, 1)), unit=unit, inference=inference)
    assert again.pvalue[0] == batch.pvalue[0]


def test_bootstrap_close_to_cluster_and_reproducible(cohort):
    cl = ls.compare_severity(cohort.flares)
    b1 = ls.compare_severity(cohort.flares, inference="bootstrap", n_resamples=2000, rng=5)
    b2 = ls.compare_severity(cohort.flares, inference="bootstrap", n_resamples=2000, rng=5)
    pd.testing.assert_frame_equal(b1, b2)
    # bootstrap SE has relative MC error ~ 1/sqrt(2 * 2000) = 1.6%; the two estimators agree to ~15%
    assert b1["se"].to_numpy() == pytest.approx(cl["se"].to_numpy(), rel=0.15)


def test_compare_severity_numeric_column(cohort):
    r = ls.compare_severity(cohort.flares, severity="sledai_increase")
    assert r["outcome"].iloc[0] == "sledai_increase per flare"
    assert ((r["ci_low"] < r["probability_superiority"]) & (r["probability_superiority"] < r["ci_high"])).all()


# =========================================================================== simulation: calibration
def _cohort_counts(scenario, n_rep, seed):
    """Per-patient flare counts by severity (n_rep, n_patients, 3) of `n_rep` simulated trials.

    The counts of simulate_trials: the same model as simulate_cohort's flares table (tests/test_simulate.py
    checks the two agree), drawn for all trials at once instead of one cohort (with its visits) per trial.
    """
    return np.array(ls.simulate_trials(scenario, n_rep, rng=seed).n_flares_by_severity)


@pytest.fixture(scope="module")
def correlated_null():
    # Null: no severity effect; strong within-patient correlation of severity (patient random effect
    # SD 2 on the log-odds, frequent flarers flare harder) -- modelling assumptions, no published numbers.
    # Follow-up 1 year instead of 24 weeks gives about 1.9 flares per flaring patient.
    sc = ls.preset("nephritis_induction").replace(
        severity_patient_sd=2.0, severity_frailty_log_or=1.0, followup_years=1.0
    )
    counts = _cohort_counts(sc, 800, seed=20261125)
    arm = np.repeat(np.arange(3), sc.n_per_arm)
    keep = arm < 2
    return counts[:, keep], arm[keep] == 1


def test_cluster_aware_flare_test_holds_level_naive_does_not(correlated_null):
    counts, treated = correlated_null
    n = counts.shape[0]
    lo, hi = _binom_bounds(0.05, n)  # failure probability 1e-4 when the true rate is 5%
    cluster = (ls.compare_severity_batch(counts, treated)["pvalue"] < 0.05).mean()
    patient = (ls.compare_severity_batch(counts, treated, unit="patient")["pvalue"] < 0.05).mean()
    naive = (ls.compare_severity_batch(counts, treated, inference="naive")["pvalue"] < 0.05).mean()
    assert lo <= cluster <= hi, cluster
    assert lo <= patient <= hi, patient
    # the naive flare-level test rejects far more often than 5% (about 17% in 4000 trials)
    assert naive > hi, naive


def test_cluster_interval_coverage_under_alternative():
    # Severity OR 0.5 for the treatment; true p estimated from a large pooled simulation.
    sc = ls.preset("nephritis_induction", n_per_arm=100).replace(severity_patient_sd=1.5, followup_years=1.0)
    arms = [sc.arms[0], sc.arms[1].replace(severity_odds_ratio=0.5)]
    sc = ls.Scenario(
        arms,
        n_per_arm=100,
        baseline_flare_rate=sc.baseline_flare_rate,
        dispersion=sc.dispersion,
        followup_years=1.0,
        severity_patient_sd=1.5,
    )
    counts = _cohort_counts(sc, 400, seed=7)
    treated = np.repeat([False, True], 100)
    r = ls.compare_severity_batch(counts, treated)
    from lupusstats.severity import ordinal as _ordinal

    pooled = _ordinal.superiority_from_counts(
        counts[:, treated].reshape(1, -1, 3), counts[:, ~treated].reshape(1, -1, 3), clustered=False
    )["p"][0]
    covered = ((r.ci_low <= pooled) & (pooled <= r.ci_high)).mean()
    lo, hi = _binom_bounds(0.95, 400)
    assert lo <= covered <= hi, covered
    assert r.estimate.mean() < 0.5  # OR < 1 means milder, p < 0.5
    # one-sided 95% bounds (alternative "less": treated milder) cover at least as often
    one = ls.compare_severity_batch(counts, treated, alternative="less")
    assert (one.ci_low == 0).all() and lo <= ((pooled <= one.ci_high).mean()) <= 1


def test_proportional_odds_cluster_calibration_and_direction():
    sc = ls.preset("nephritis_induction", n_per_arm=60).replace(severity_patient_sd=2.0, followup_years=1.0)
    rng = np.random.default_rng(99)
    rej = []
    for s in rng.spawn(150):
        f = ls.simulate_cohort(sc, rng=s).flares
        f = f[f["arm"] != "MSC + standard care"].assign(arm=lambda d: d["arm"].cat.remove_unused_categories())
        rej.append(ls.proportional_odds(f)["pvalue"].iloc[0] < 0.05)
    lo, hi = _binom_bounds(0.05, len(rej))
    assert lo <= np.mean(rej) <= hi
    # direction: a simulated severity OR of 0.4 gives an estimated OR below 1
    arms = [sc.arms[0], sc.arms[1].replace(severity_odds_ratio=0.4)]
    sc2 = ls.Scenario(arms, n_per_arm=150, baseline_flare_rate=1.765, dispersion=0.5, followup_years=1.0)
    f = ls.simulate_cohort(sc2, rng=3).flares
    res = ls.proportional_odds(f)
    assert res["ci_high"].iloc[0] < 1


# =========================================================================== bad input
def test_unknown_severity_label():
    f = pd.DataFrame({"arm": ["a", "b"], "patient": [1, 2], "severity": ["mild", "catastrophic"]})
    with pytest.raises(ValueError, match="unknown label.*catastrophic"):
        ls.severity_table(f, levels=LEVELS)


def test_unordered_categories():
    f = pd.DataFrame(
        {
            "arm": ["a", "b"],
            "patient": [1, 2],
            "severity": pd.Categorical(["mild", "severe"], categories=LEVELS, ordered=False),
        }
    )
    with pytest.raises(ValueError, match="unordered categorical"):
        ls.compare_severity(f)


def test_plain_strings_need_levels():
    f = pd.DataFrame({"arm": ["a", "b"], "patient": [1, 2], "severity": ["mild", "severe"]})
    with pytest.raises(ValueError, match="ordered pandas Categorical"):
        ls.severity_table(f)


def test_nan_severity_raises_or_drops_with_warning(cohort):
    f = cohort.flares.copy()
    f.loc[f.index[:3], "severity"] = np.nan
    with pytest.raises(ValueError, match="3 missing"):
        ls.severity_table(f)
    with pytest.warns(UserWarning, match="dropped 3 row"):
        t = ls.severity_table(f, missing="drop")
    assert t["total"].groupby(t["arm"], observed=True).first().sum() == len(f) - 3


def test_arm_without_flares(cohort):
    f = cohort.flares[cohort.flares["arm"] != "MSC + standard care"]
    with pytest.raises(ValueError, match="'MSC \\+ standard care' has no flares.*unit='patient'"):
        ls.compare_severity(f)
    with pytest.raises(ValueError, match="has no flares"):
        ls.proportional_odds(f)
    # defined results: an empty row in the table, patient-level comparison, contingency tests drop the row
    t = ls.severity_table(f)
    empty = t[t["arm"] == "MSC + standard care"]
    assert (empty["total"] == 0).all() and empty["proportion"].isna().all()
    r = ls.compare_severity(f, cohort.patients, unit="patient")  # every MSC patient counts as 'none'
    assert r.loc[r["arm"] == "MSC + standard care", "probability_superiority"].iloc[0] < 0.5
    assert ls.contingency_test(ls.severity_counts(f)).pvalue <= 1


def test_patient_unit_needs_patients(cohort):
    with pytest.raises(ValueError, match="needs the `patients` table"):
        ls.compare_severity(cohort.flares, unit="patient")


def test_unknown_reference(cohort):
    with pytest.raises(ValueError, match="`reference` must be one of"):
        ls.compare_severity(cohort.flares, reference="placebo")


def test_several_trials_rejected(cohort):
    f = pd.concat([cohort.flares.assign(trial=0), cohort.flares.assign(trial=1)])
    with pytest.raises(ValueError, match="holds 2 trials"):
        ls.compare_severity(f)


def test_bad_choices_and_types(cohort):
    with pytest.raises(ValueError, match="`inference` must be one of"):
        ls.compare_severity(cohort.flares, inference="gee")
    with pytest.raises(ValueError, match="`confidence_level`"):
        ls.severity_table(cohort.flares, confidence_level=95)
    with pytest.raises(ValueError, match=r"`treated` must be boolean \(or 0/1\)"):
        ls.compare_severity_batch(np.ones((2, 4, 3)), [0, 1, 2, 1])
    with pytest.raises(ValueError, match="`treated` must have shape"):
        ls.compare_severity_batch(np.ones((2, 4, 3)), [True, False, True])
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        ls.severity_table([1, 2, 3])


def test_contingency_and_trend_bad_tables():
    with pytest.raises(ValueError, match="at least 2 x 2"):
        ls.contingency_test([[1, 2, 3]])
    with pytest.raises(ValueError, match="fewer than two non-empty rows"):
        ls.contingency_test([[1, 2, 3], [0, 0, 0]])
    with pytest.raises(ValueError, match="must have 2 rows"):
        ls.cochran_armitage([[1, 2], [3, 4], [5, 6]])
    with pytest.raises(ValueError, match="non-negative counts"):
        ls.contingency_test([[1, -2], [3, 4]])


def test_clusters_both_or_neither():
    with pytest.raises(ValueError, match="both `cluster_x` and `cluster_y`"):
        ls.probability_of_superiority([1, 2, 3], [1, 2, 2], cluster_x=[1, 1, 2])


def test_zero_variance_warns():
    with pytest.warns(RuntimeWarning, match="variance estimate is zero"):
        r = ls.probability_of_superiority([1, 1, 1], [1, 1, 1])
    assert np.isnan(r.pvalue)
