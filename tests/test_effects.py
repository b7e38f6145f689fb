"""Tests for lupusstats.effects: against R (effectsize, metafor, fisher.test, p.adjust), by simulation, bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls

REF = json.loads((Path(__file__).parent / "reference" / "effects_reference.json").read_text())

#: failure probability of each Monte Carlo check (a correct method fails it about once in 10,000 runs)
MC_FAILURE = 1e-4


def mc_interval(n: int, p: float = 0.95) -> tuple[float, float]:
    lo, hi = stats.binom.interval(1 - MC_FAILURE, n, p)
    return lo / n, hi / n


def _inf(v):
    return math.inf if v is None else v


# ---------------------------------------------------------------------------
# standardised mean differences against R effectsize
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REF["smd"]))
def test_smd_against_R(name):
    # R: effectsize::cohens_d(x, y), hedges_g(x, y), glass_delta(x, y) (ci = 0.95); t.test(x, y, var.equal=TRUE)
    # R's noncentral-t bounds come from optim(abstol = 1e-9), so they agree to about 1e-6 relative.
    ref = REF["smd"][name]
    x, y = ref["x"], ref["y"]
    for key, fn in (("d", ls.cohens_d), ("g", ls.hedges_g), ("delta", ls.glass_delta)):
        r = fn(x, y)
        assert r.estimate == pytest.approx(ref[key][0], rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(r.confidence_interval(), ref[key][1:], rtol=2e-5, atol=2e-6)
    d = ls.cohens_d(x, y)
    assert d.pvalue == pytest.approx(ref["t_pvalue"], rel=1e-8)
    # other level, recomputed by the result; one-sided as effectsize (alternative = "greater")
    np.testing.assert_allclose(d.confidence_interval(0.90), ref["d90"], rtol=2e-5, atol=2e-6)
    greater = ls.cohens_d(x, y, alternative="greater")
    assert greater.ci_low == pytest.approx(ref["d_greater_low"], rel=2e-5, abs=2e-6)
    assert greater.ci_high == math.inf


@pytest.mark.parametrize("name", ["unequal", "negative"])
def test_smd_from_stats_equals_data_form(name):
    x, y = np.array(REF["smd"][name]["x"]), np.array(REF["smd"][name]["y"])
    args = (x.mean(), x.std(ddof=1), x.size, y.mean(), y.std(ddof=1), y.size)
    for data_fn, stats_fn in (
        (ls.cohens_d, ls.cohens_d_from_stats),
        (ls.hedges_g, ls.hedges_g_from_stats),
        (ls.glass_delta, ls.glass_delta_from_stats),
    ):
        a, b = data_fn(x, y), stats_fn(*args)
        assert b.estimate == pytest.approx(a.estimate, rel=1e-12)
        np.testing.assert_allclose(b.confidence_interval(), a.confidence_interval(), rtol=1e-10)


def test_smd_identical_groups_is_symmetric_zero():
    r = ls.hedges_g([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6])
    assert r.estimate == 0 and r.pvalue == pytest.approx(1.0)
    assert r.ci_low == pytest.approx(-r.ci_high, rel=1e-10)


# ---------------------------------------------------------------------------
# 2x2 measures against R metafor::escalc and fisher.test
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(REF["tables"]))
def test_two_by_two_against_R(name):
    # R: escalc("RR"/"OR"/"RD", ai, n1i, ci, n2i) (0.5 added to every cell of a table with a zero cell)
    ref = REF["tables"][name]
    counts = ref["counts"]
    rr, orr, rd = ls.risk_ratio(*counts), ls.odds_ratio(*counts), ls.risk_difference(*counts)
    assert math.log(rr.estimate) == pytest.approx(ref["log_rr"], rel=1e-10, abs=1e-12)
    assert rr.se**2 == pytest.approx(ref["var_log_rr"], rel=1e-10)
    assert math.log(orr.estimate) == pytest.approx(ref["log_or"], rel=1e-10, abs=1e-12)
    assert orr.se**2 == pytest.approx(ref["var_log_or"], rel=1e-10)
    assert rd.estimate == pytest.approx(ref["rd"], rel=1e-10, abs=1e-12)
    assert rd.se**2 == pytest.approx(ref["var_rd"], rel=1e-10)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        rr.confidence_interval(), np.exp(ref["log_rr"] + np.array([-z, z]) * math.sqrt(ref["var_log_rr"])), rtol=1e-10
    )


@pytest.mark.parametrize("name", list(REF["tables"]))
def test_exact_odds_ratio_against_R(name):
    # R: fisher.test(matrix(c(e1, n1 - e1, e2, n2 - e2), 2, byrow = TRUE)): conditional MLE, exact CI, p
    # R finds the MLE and bounds with uniroot (tolerance ~1e-4), scipy more tightly: compare to 1e-3.
    ref = REF["tables"][name]
    r = ls.odds_ratio(*ref["counts"], method="exact")
    assert r.pvalue == pytest.approx(ref["fisher_p"], rel=1e-8)
    if name == "double_zero":
        # no information at all: R reports 0, scipy (and we) NaN; the interval is (0, inf) in both
        assert math.isnan(r.estimate)
    elif ref["fisher_or"] is None:
        assert r.estimate == math.inf
    else:
        assert r.estimate == pytest.approx(ref["fisher_or"], rel=1e-3, abs=1e-12)
    low, high = r.confidence_interval()
    assert low == pytest.approx(ref["fisher_ci"][0], rel=1e-3, abs=1e-12)
    assert high == pytest.approx(_inf(ref["fisher_ci"][1]), rel=1e-3)


@pytest.mark.parametrize("name", list(REF["tables"]))
def test_newcombe_risk_difference_against_R(name):
    # R: Newcombe method 10 from prop.test(e, n, correct = FALSE)$conf.int (Wilson) of each group;
    #    p from prop.test(c(e1, e2), c(n1, n2), correct = FALSE)
    ref = REF["tables"][name]
    r = ls.risk_difference(*ref["counts"], method="newcombe")
    np.testing.assert_allclose(r.confidence_interval(), ref["newcombe"], rtol=1e-9, atol=1e-12)
    if ref["score_p"] is None:
        assert math.isnan(r.pvalue)
    else:
        assert r.pvalue == pytest.approx(ref["score_p"], rel=1e-8)


def test_rate_difference_against_R():
    # R: escalc("IRD", x1i = 30, t1i = 60, x2i = 60, t2i = 60)
    r = ls.rate_difference(*REF["ird"]["counts"])
    assert r.estimate == pytest.approx(REF["ird"]["yi"], rel=1e-12)
    assert r.se**2 == pytest.approx(REF["ird"]["vi"], rel=1e-12)


def test_conversions_against_R():
    # R: effectsize::d_to_oddsratio(d, log = TRUE); oddsratio_to_d(log_or, log = TRUE)
    c = REF["convert"]
    np.testing.assert_allclose(ls.d_to_log_odds_ratio(c["d"]), c["log_or"], rtol=1e-12)
    np.testing.assert_allclose(ls.log_odds_ratio_to_d(c["back_from"]), c["back"], rtol=1e-12)
    assert ls.log_odds_ratio_to_d(ls.d_to_log_odds_ratio(0.37)) == pytest.approx(0.37)


@pytest.mark.parametrize("method", ["holm", "hochberg", "bonferroni", "fdr_bh"])
def test_adjust_pvalues_against_R(method):
    # R: p.adjust(p, method) with "holm", "hochberg", "bonferroni", "BH"
    p = REF["padjust"]["p"]
    np.testing.assert_allclose(ls.adjust_pvalues(p, method), REF["padjust"][method], rtol=1e-12)
    shuffled = np.array(p)[::-1]
    np.testing.assert_allclose(ls.adjust_pvalues(shuffled, method), np.array(REF["padjust"][method])[::-1])


def test_holm_is_statsmodels_holm_exactly():
    # Holm is computed in lupusstats (statsmodels' branch runs a full gc.collect per call): the same numbers
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 10, 200):
        for p in (rng.random(n), rng.integers(0, 4, n) / 4, np.round(rng.random(n) ** 3, 2)):  # ties, 0 and 1
            assert np.array_equal(ls.adjust_pvalues(p, "holm"), multipletests(p, method="holm")[1])
    p = rng.random((3, 4))
    assert np.array_equal(ls.adjust_pvalues(p), multipletests(p.ravel(), method="holm")[1].reshape(3, 4))


def test_one_sided_intervals():
    two = ls.risk_ratio(15, 100, 30, 100, confidence_level=0.90)
    less = ls.risk_ratio(15, 100, 30, 100, alternative="less")
    assert less.ci_low == 0 and less.ci_high == pytest.approx(two.ci_high)
    assert less.pvalue == pytest.approx(two.pvalue / 2)
    rd = ls.risk_difference(15, 100, 30, 100, method="newcombe", alternative="greater")
    assert rd.ci_high == 1.0 and rd.ci_low == pytest.approx(
        ls.risk_difference(15, 100, 30, 100, method="newcombe", confidence_level=0.9).ci_low
    )


# ---------------------------------------------------------------------------
# number needed to treat
# ---------------------------------------------------------------------------


def test_nnt_is_reciprocal_of_the_risk_difference_interval():
    rd = ls.risk_difference(60, 100, 40, 100)
    nnt = ls.number_needed_to_treat(60, 100, 40, 100, outcome="desirable")
    assert nnt.estimate == pytest.approx(1 / rd.estimate)
    assert not nnt.includes_infinity
    np.testing.assert_allclose(nnt.confidence_interval(), sorted(1 / np.array(rd.confidence_interval())))
    # the same table with the event undesirable is harm: NNTH, negative
    nnh = ls.number_needed_to_treat(60, 100, 40, 100)
    assert nnh.estimate == pytest.approx(-nnt.estimate)
    assert nnh.label.startswith("NNTH 5.0")


def test_nnt_interval_through_infinity_when_rd_crosses_zero():
    # Altman 1998: NNTB ... to infinity to ... NNTH when the RD interval contains 0
    nnt = ls.number_needed_to_treat(45, 100, 40, 100, outcome="desirable")
    lo, hi = ls.risk_difference(45, 100, 40, 100).confidence_interval()
    assert lo < 0 < hi and nnt.includes_infinity
    assert nnt.ci_low == pytest.approx(1 / lo) and nnt.ci_low < 0
    assert nnt.ci_high == pytest.approx(1 / hi) and nnt.ci_high > 0
    assert "to ∞ to" in nnt.label and nnt.label.startswith("NNTB 20.0")
    same = ls.number_needed_to_treat(12, 40, 12, 40)
    assert same.estimate == math.inf and same.includes_infinity
    frame = nnt.to_frame()
    assert frame.loc[0, "label"] == nnt.label


def test_nnt_per_patient_year_from_rates():
    r = ls.number_needed_to_treat_rate(30, 60.0, 60, 60.0)
    rd = ls.rate_difference(30, 60.0, 60, 60.0)
    assert r.estimate == pytest.approx(-1 / rd.estimate) and r.unit == "patient-years"
    np.testing.assert_allclose(r.confidence_interval(), sorted(-1 / np.array(rd.confidence_interval())))


# ---------------------------------------------------------------------------
# calibration by simulation (regimes of notebook 04)
# ---------------------------------------------------------------------------


def test_smd_ci_coverage():
    # SLEDAI-like continuous outcome, 40 per arm, true standardised difference 0.3
    rng = np.random.default_rng(2024)
    n_sim, delta = 300, 0.3
    x = rng.normal(delta, 1.0, size=(n_sim, 40))
    y = rng.normal(0.0, 1.0, size=(n_sim, 40))
    cover = {"d": 0, "g": 0}
    for i in range(n_sim):
        for key, fn in (("d", ls.cohens_d), ("g", ls.hedges_g)):
            low, high = fn(x[i], y[i]).confidence_interval()
            cover[key] += low <= delta <= high
    lo, hi = mc_interval(n_sim)
    for key, c in cover.items():
        assert lo <= c / n_sim <= hi, (key, c / n_sim)


@pytest.mark.parametrize(
    "p1, p2, conservative",
    [
        (0.53, 0.562, False),  # drug-free remission, IV cyclophosphamide vs standard care (ALMS)
        (0.36, 0.11, False),  # alopecia
        (0.04, 0.01, True),  # pneumonia (upper bound): rare events, Katz/Woolf with 0.5 correction over-cover
    ],
)
def test_two_by_two_ci_coverage(p1, p2, conservative):
    rng = np.random.default_rng(int(p1 * 1000 + p2 * 100))
    n, n_sim = 185, 1500
    e1, e2 = rng.binomial(n, p1, n_sim), rng.binomial(n, p2, n_sim)
    truth = {"rr": p1 / p2, "or": p1 / (1 - p1) / (p2 / (1 - p2)), "rd": p1 - p2}
    cover = dict.fromkeys(("rr", "or", "rd_newcombe"), 0)
    for a, b in zip(e1, e2, strict=True):
        lo, hi = ls.risk_ratio(a, n, b, n).confidence_interval()
        cover["rr"] += lo <= truth["rr"] <= hi
        lo, hi = ls.odds_ratio(a, n, b, n).confidence_interval()
        cover["or"] += lo <= truth["or"] <= hi
        lo, hi = ls.risk_difference(a, n, b, n, method="newcombe").confidence_interval()
        cover["rd_newcombe"] += lo <= truth["rd"] <= hi
    lo, hi = mc_interval(n_sim)
    for key, c in cover.items():
        rate = c / n_sim
        if conservative:
            # rare events: the intervals are conservative (about 0.97 here), never anti-conservative
            assert lo <= rate <= 0.99, (key, rate)
        else:
            assert lo <= rate <= hi, (key, rate)


def test_exact_odds_ratio_ci_coverage_is_at_least_nominal():
    # the conditional exact interval guarantees coverage >= level (conservative by construction)
    rng = np.random.default_rng(77)
    n, n_sim, p1, p2 = 60, 400, 0.2, 0.1
    true_or = p1 / (1 - p1) / (p2 / (1 - p2))
    e1, e2 = rng.binomial(n, p1, n_sim), rng.binomial(n, p2, n_sim)
    covered = sum(
        lo <= true_or <= hi
        for lo, hi in (
            ls.odds_ratio(a, n, b, n, method="exact").confidence_interval() for a, b in zip(e1, e2, strict=True)
        )
    )
    assert covered / n_sim >= mc_interval(n_sim)[0]


# ---------------------------------------------------------------------------
# the effect card
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cohort():
    return ls.simulate_cohort(ls.preset("nephritis_induction"), rng=5)


@pytest.fixture(scope="module")
def card(cohort):
    return ls.effect_card(cohort, reference="standard care")


def test_effect_card_shape_and_columns(cohort, card):
    assert list(card.columns) == [
        "arm",
        "reference",
        "domain",
        "family",
        "endpoint",
        "measure",
        "estimate",
        "ci_low",
        "ci_high",
        "null_value",
        "pvalue",
        "pvalue_adjusted",
        "favours_treatment_if",
        "favours",
        "method",
        "label",
    ]
    assert list(card["arm"].cat.categories) == ["IV cyclophosphamide", "MSC + standard care"]
    n_ae = sum(c.startswith("ae_") for c in cohort.patients.columns)
    # 8 flare/severity/remission rows, 2 per responder endpoint from the visits (SRI-4, BICLA, LLDAS and, with
    # UPCR and eGFR, the PERR and ALMS renal responses: the risk difference and its NNT), 2 for death and its
    # NNH, 2 per adverse event
    assert cohort.visits is not None
    assert (card.groupby("arm", observed=True).size() == 8 + 2 * 5 + 2 + 2 * n_ae).all()
    assert {
        "SRI-4 at week 24",
        "BICLA at week 24",
        "LLDAS at week 24",
        "renal response (BLISS-LN PERR) at week 24",
        "renal response (ALMS) at week 24",
    } <= set(card["endpoint"])
    assert set(card["domain"]) == {"benefit", "harm"}


def test_effect_card_rows_equal_the_functions_behind_them(cohort, card):
    p = cohort.patients
    rates = ls.compare_rates(p, reference="standard care").set_index("arm")
    row = card[(card["arm"] == "MSC + standard care") & (card["endpoint"] == "flare rate")].iloc[0]
    assert row["estimate"] == pytest.approx(rates.loc["MSC + standard care", "rate_ratio"])
    # ALMS renal response RD from the visits (composite estimand: every randomised patient counts)
    treat, ref = p[p["arm"] == "IV cyclophosphamide"], p[p["arm"] == "standard care"]
    alms = ls.renal_response(cohort, definition="alms", week=24)
    by_arm = alms[alms["eligible"]].groupby("arm", observed=True)["responder"].agg(["sum", "count"])
    assert by_arm["count"].tolist() == [185, 185, 185]
    rd = ls.risk_difference(
        int(by_arm.loc["IV cyclophosphamide", "sum"]),
        185,
        int(by_arm.loc["standard care", "sum"]),
        185,
        method="newcombe",
    )
    row = card[
        (card["arm"] == "IV cyclophosphamide")
        & (card["endpoint"] == "renal response (ALMS) at week 24")
        & (card["measure"] == "risk difference")
    ].iloc[0]
    assert row["estimate"] == pytest.approx(rd.estimate) and row["ci_low"] == pytest.approx(rd.ci_low)
    assert row["pvalue"] == pytest.approx(rd.pvalue)
    # alopecia RR on patients with >= 1 event
    rr = ls.risk_ratio(int((treat["ae_alopecia"] > 0).sum()), len(treat), int((ref["ae_alopecia"] > 0).sum()), len(ref))
    row = card[
        (card["arm"] == "IV cyclophosphamide")
        & (card["endpoint"] == "adverse event: alopecia")
        & (card["measure"] == "risk ratio")
    ].iloc[0]
    assert row["estimate"] == pytest.approx(rr.estimate)
    # Cox HR to first severe flare, this arm and the reference
    tte = ls.time_to_first_flare(p, severe=True)
    keep = tte["arm"].isin(["standard care", "IV cyclophosphamide"])
    hr = ls.cox_hazard_ratio(
        tte["time"][keep], tte["event"][keep], tte["arm"][keep].astype(str), reference="standard care"
    )
    row = card[(card["arm"] == "IV cyclophosphamide") & (card["endpoint"] == "time to first severe flare")].iloc[0]
    assert row["estimate"] == pytest.approx(hr.estimate)


def test_effect_card_holm_and_directions(card):
    for _key, part in card.groupby(["arm", "family"], observed=True):
        tested = part[(part["measure"] != "NNT") & part["pvalue"].notna()]  # an undefined test is not in the family
        np.testing.assert_allclose(tested["pvalue_adjusted"], ls.adjust_pvalues(tested["pvalue"].to_numpy(), "holm"))
    harm = card[(card["measure"] == "risk ratio") & (card["estimate"] > 1) & (card["pvalue_adjusted"] < 0.05)]
    assert len(harm) and (harm["favours"] == "reference").all()
    assert set(card.loc[card["measure"] == "hazard ratio", "favours_treatment_if"]) == {"< 1"}
    rd = card[card["measure"] == "risk difference"]
    assert set(rd.loc[rd["endpoint"] == "drug-free remission", "favours_treatment_if"]) == {"> 0"}
    assert set(rd.loc[rd["endpoint"] == "death", "favours_treatment_if"]) == {"< 0"}


def test_effect_card_bad_input(cohort):
    with pytest.raises(ValueError, match=r"`reference` must be one of the arms .* got 'placebo'"):
        ls.effect_card(cohort, reference="placebo")
    with pytest.raises(TypeError, match="`cohort` must have `.patients` and `.flares`"):
        ls.effect_card(cohort.patients, reference="standard care")
    with pytest.raises(ValueError, match=r"`adverse_events` \['rash'\] have no ae_ column"):
        ls.effect_card(cohort, reference="standard care", adverse_events=["rash"])


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("fn", [ls.risk_ratio, ls.odds_ratio, ls.risk_difference, ls.number_needed_to_treat])
def test_two_by_two_bad_counts(fn):
    with pytest.raises(ValueError, match="`events1` must be an integer >= 0, got -1"):
        fn(-1, 10, 2, 10)
    with pytest.raises(ValueError, match="`events2` must be <= `n2`, got events2=12 > n2=10"):
        fn(1, 10, 12, 10)
    with pytest.raises(ValueError, match="`n1` must be an integer >= 1, got 0"):
        fn(0, 0, 1, 10)
    with pytest.raises(TypeError, match="`events1` must be an integer"):
        fn(1.5, 10, 1, 10)
    with pytest.raises(ValueError, match="`method` must be one of"):
        fn(1, 10, 1, 10, method="magic")


def test_zero_correction_off_refuses_infinite_estimates():
    with pytest.raises(ValueError, match="zero events .* `zero_correction` is 0"):
        ls.risk_ratio(0, 10, 3, 10, zero_correction=0)
    with pytest.raises(ValueError, match="zero cell .* use method='exact'"):
        ls.odds_ratio(0, 10, 3, 10, zero_correction=0)
    with pytest.raises(ValueError, match="Wald SE is 0"):
        ls.risk_difference(0, 10, 0, 10, zero_correction=0)


@pytest.mark.parametrize("fn", [ls.cohens_d, ls.hedges_g, ls.glass_delta])
def test_smd_bad_groups(fn):
    with pytest.raises(ValueError, match="`x` needs at least 2 observations, got 1"):
        fn([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="missing"):
        fn([1.0, np.nan, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="zero standard deviation|non-zero SD"):
        fn([3.0, 3.0], [3.0, 3.0])
    with pytest.raises(TypeError, match="array-like of numbers"):
        fn("abc", [1.0, 2.0])


def test_smd_from_stats_bad_input():
    with pytest.raises(ValueError, match="`n2` must be an integer >= 2, got 1"):
        ls.hedges_g_from_stats(1.0, 1.0, 10, 0.0, 1.0, 1)
    with pytest.raises(ValueError, match="`sd1` must be >= 0"):
        ls.cohens_d_from_stats(1.0, -1.0, 10, 0.0, 1.0, 10)


def test_rates_and_adjust_bad_input():
    with pytest.raises(ValueError, match="`exposure2` must be > 0"):
        ls.rate_difference(3, 10.0, 4, 0.0)
    with pytest.raises(ValueError, match="no events in either group"):
        ls.rate_difference(0, 10.0, 0, 10.0)
    with pytest.raises(ValueError, match=r"`p` must hold p-values in \[0, 1\]"):
        ls.adjust_pvalues([0.2, 1.5])
    with pytest.raises(ValueError, match="missing"):
        ls.adjust_pvalues([0.2, np.nan])
    with pytest.raises(ValueError, match="`method` must be one of"):
        ls.adjust_pvalues([0.2], method="sidak_magic")
    with pytest.raises(ValueError, match="`outcome` must be one of"):
        ls.number_needed_to_treat(1, 10, 2, 10, outcome="good")


def test_plot_effect_card_needs_an_arm(card):
    import matplotlib

    matplotlib.use("Agg")
    with pytest.raises(ValueError, match="`arm` is required"):
        ls.plots.plot_effect_card(card)
    with pytest.raises(TypeError, match="returned by ls.effect_card"):
        ls.plots.plot_effect_card(card[["arm"]])
