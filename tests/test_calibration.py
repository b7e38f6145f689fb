"""Tests for lupusstats.calibration.validate_methods: table shape, Monte Carlo intervals and
flags, reproducibility, the true values behind the coverage rows, the calibration of each
family at a size where a miscalibration would show, and the validation plot.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls
from lupusstats import calibration as cal

COLUMNS = [
    "family",
    "method",
    "criterion",
    "scenario",
    "nominal",
    "estimate",
    "mc_low",
    "mc_high",
    "hits",
    "n",
    "n_undefined",
    "flag",
    "verdict",
    "expected_valid",
    "note",
    "call",
]


@pytest.fixture(scope="module")
def quick():
    return ls.validate_methods(n_trials=40, rng=3, families=["rate_models", "severity", "survival"])


def test_table_shape_and_intervals(quick):
    assert list(quick.columns) == COLUMNS
    assert set(quick["criterion"]) == {"type I error", "coverage"}
    assert set(quick["family"]) == {"rate_models", "severity", "survival"}
    nominal = np.where(quick["criterion"] == "type I error", 0.05, 0.95)
    assert np.allclose(quick["nominal"], nominal)
    assert np.allclose(quick["estimate"], quick["hits"] / quick["n"])
    for _, r in quick.iterrows():
        ci = stats.binomtest(int(r["hits"]), int(r["n"])).proportion_ci(confidence_level=0.99, method="exact")
        assert (r["mc_low"], r["mc_high"]) == pytest.approx((ci.low, ci.high))
        outside = not (r["mc_low"] <= r["nominal"] <= r["mc_high"])
        assert r["flag"] == outside
        assert (r["verdict"] == "ok") == (not outside)


def test_reproducible_and_families_independent(quick):
    again = ls.validate_methods(n_trials=40, rng=3, families=["rate_models", "severity", "survival"])
    assert again.equals(quick)
    alone = ls.validate_methods(n_trials=40, rng=3, families=["severity"])
    together = quick[quick["family"] == "severity"].reset_index(drop=True)
    assert alone.equals(together)
    other = ls.validate_methods(n_trials=40, rng=4, families=["severity"])
    assert not other["hits"].equals(alone["hits"])


def test_count_models_calibrated():
    # 1000 data sets per row; a 99.99% Monte Carlo interval per row keeps the chance of a
    # false alarm over the 6 valid rows below 0.1%.
    table = ls.validate_methods(n_trials=1000, rng=11, families=["rate_models"], mc_level=0.9999)
    valid = table[table["expected_valid"] & (table["call"] == "compare_rates(model='negbin')")]
    assert list(valid["method"]) == ["NB rate ratio (Wald), 185 per arm"] * 2
    assert not valid["flag"].any(), valid
    # robust/quasi-Poisson rows: small-sample liberal at worst, never wildly off
    others = table[table["expected_valid"]]
    assert (others["estimate"][others["criterion"] == "type I error"] < 0.09).all()
    assert (others["estimate"][others["criterion"] == "coverage"] > 0.91).all()
    # the Poisson GLM on NB counts rejects too often (expected about 0.09; P(estimate <= 0.05) < 1e-5)
    pois = table[(table["method"] == "Poisson GLM rate ratio, 185 per arm") & (table["criterion"] == "type I error")]
    assert float(pois["estimate"].iloc[0]) > 0.05


def test_per_family_trials():
    table = ls.validate_methods(n_trials={"severity": 30, "rate_models": 20}, rng=1)
    assert list(dict.fromkeys(table["family"])) == ["rate_models", "severity"]
    assert set(
        table.loc[table["family"] == "severity", "n"] + table.loc[table["family"] == "severity", "n_undefined"]
    ) == {30}
    assert set(table.loc[table["family"] == "rate_models", "n"]) == {20}


def test_bad_input():
    with pytest.raises(ValueError, match="`n_trials` must be an integer >= 1, got 0"):
        ls.validate_methods(n_trials=0)
    with pytest.raises(ValueError, match="`families` must be one of"):
        ls.validate_methods(n_trials=5, families=["bayes"])
    with pytest.raises(TypeError, match="`families` must be a list"):
        ls.validate_methods(n_trials=5, families="severity")
    with pytest.raises(ValueError, match="`alpha` must be > 0.0 and < 1.0"):
        ls.validate_methods(n_trials=5, alpha=1.0)
    with pytest.raises(ValueError, match="`n_trials key` must be one of"):
        ls.validate_methods(n_trials={"bayes": 10})
    with pytest.raises(ValueError, match="`mc_level` must be"):
        ls.validate_methods(n_trials=5, mc_level=1.5)


# --------------------------------------------------------------------------- true values behind the coverage rows
# Each closed form is checked against a large simulation from the package's simulator (z-scores
# below 4.5: a false failure has probability under 1e-5 per comparison) or an independent
# numerical integral.


def test_worst_and_flare_severity_mix_match_the_simulator():
    d = cal._nephritis()
    sd, odds, n = 1.0, 0.5, 100_000
    b = ls.simulate_trials(cal._two_arms(d, severity_or=odds, severity_patient_sd=sd, n=n), 1, rng=21)
    for g, log_or in ((0, 0.0), (1, math.log(odds))):
        worst = cal._worst_severity_mix(d["severity_probs"], log_or, sd, d["rate"], d["dispersion"], d["followup"],
                                        d["dropout"])  # fmt: skip
        assert worst.sum() == pytest.approx(1.0)
        seen = np.bincount(b.worst_severity[0, b.arm == g] + 1, minlength=4) / n
        assert np.all(np.abs(seen - worst) < 4.5 * np.sqrt(worst * (1 - worst) / n)), (seen, worst)
        # flare level: flares of one patient are correlated, so compare patient-weighted sums loosely
        counts = cal._severity_counts(b)[0, b.arm == g].sum(axis=0)
        mix = cal._flare_severity_mix(d["severity_probs"], log_or, sd)
        assert np.allclose(counts / counts.sum(), mix, atol=0.01), (counts / counts.sum(), mix)
    # without a patient effect the flare mix is the shifted proportional-odds mix itself
    plain = cal._flare_severity_mix(d["severity_probs"], 0.0, 0.0)
    assert np.allclose(plain, d["severity_probs"])


def test_superiority_of_two_mixes():
    # X uniform on {0, 1, 2}, Y always 1: P(X > Y) + P(X = Y) / 2 = 1/3 + 1/6
    assert cal._superiority([1 / 3, 1 / 3, 1 / 3], [0, 1, 0]) == pytest.approx(0.5)
    assert cal._superiority([0, 0, 1], [1, 0, 0]) == 1.0
    rng = np.random.default_rng(2)
    px, py = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    x, y = rng.choice(4, 200_000, p=px), rng.choice(4, 200_000, p=py)
    assert cal._superiority(px, py) == pytest.approx(np.mean(x > y) + 0.5 * np.mean(x == y), abs=0.005)


def test_gamma_poisson_survival_and_rmst():
    from scipy import integrate

    rate, a, tau = 0.34, 0.5, 0.46
    # RMST is the integral of the survival function, for NB, Poisson and the a = 1 special case
    for disp in (a, 0.0, 1.0):
        area, _ = integrate.quad(lambda t, d=disp: cal._gamma_poisson_survival(rate, d, t), 0, tau)
        assert cal._gamma_poisson_rmst(rate, disp, tau) == pytest.approx(area, rel=1e-10)
    # survival to the first severe flare in the simulator (no dropout: no censoring before the end)
    d = dict(cal._nephritis(), dropout=0.0)
    n = 200_000
    b = ls.simulate_trials(cal._two_arms(d, n=n), 1, rng=4)
    t0 = d["followup"] / 2
    r = d["rate"] * d["severity_probs"][2]
    s = cal._gamma_poisson_survival(r, d["dispersion"], t0)
    first = b.first_severe_flare_years[0, b.arm == 0]
    seen = np.mean(~(first <= t0))
    assert abs(seen - s) < 4.5 * math.sqrt(s * (1 - s) / n)


def test_proportional_odds_pseudo_true():
    d = cal._nephritis()
    # a proportional-odds model without a patient effect: the true log odds ratio itself
    mixes = [cal._flare_severity_mix(d["severity_probs"], lo, 0.0) for lo in (0.0, math.log(0.5))]
    assert cal._po_pseudo_true(*mixes) == pytest.approx(math.log(0.5), abs=1e-6)
    # on a data set's own 2x3 table it is the maximum-likelihood estimate of ls.proportional_odds
    b = ls.simulate_trials(cal._two_arms(d, severity_or=0.5, severity_patient_sd=1.0, n=300), 1, rng=9)
    counts = cal._severity_counts(b)[0]
    flares = cal._flares_table(counts, b.arm, b.arm_names)
    assert len(flares) == counts.sum()
    m0, m1 = counts[b.arm == 0].sum(axis=0), counts[b.arm == 1].sum(axis=0)
    w1 = m1.sum() / (m0.sum() + m1.sum())
    fit = ls.proportional_odds(flares)
    assert math.exp(cal._po_pseudo_true(m0 / m0.sum(), m1 / m1.sum(), w1)) == pytest.approx(
        float(fit["odds_ratio"].iloc[0]), rel=1e-5
    )


def test_nnt_coverage_rule():
    nnt = ls.number_needed_to_treat(60, 100, 40, 100, outcome="desirable")  # NNTB 5 (3.0 to 15.6)
    assert cal._nnt_covers(nnt, 5.0) and not cal._nnt_covers(nnt, 20.0) and not cal._nnt_covers(nnt, -5.0)
    wide = ls.number_needed_to_treat(12, 100, 10, 100)  # NNTH 50 (NNTH 9.4 to inf to NNTB 15.0)
    assert wide.includes_infinity
    assert cal._nnt_covers(wide, -50.0) and cal._nnt_covers(wide, 40.0) and cal._nnt_covers(wide, math.inf)
    assert not cal._nnt_covers(wide, 10.0) and not cal._nnt_covers(wide, -5.0)


# --------------------------------------------------------------------------- calibration of the new families
# Each asserts that the nominal value lies in the 99.99% Monte Carlo interval of every row that is
# expected at the nominal level: a method exactly at its level fails one row with probability at
# most 1e-4, so a family of R such rows fails by chance with probability at most R * 1e-4 (under 0.2%).

_STRICT = 0.9999


def _valid_rows_hold(table):
    valid = table[table["expected_valid"]]
    assert not valid.empty
    assert not valid["flag"].any(), valid[["method", "criterion", "estimate", "mc_low", "mc_high"]]
    return valid


def test_effect_sizes_and_nnt_calibrated():
    table = ls.validate_methods(n_trials=200, rng=5, families=["effect_sizes"], mc_level=_STRICT)
    valid = _valid_rows_hold(table)
    assert len(valid) == 14
    nnt = table[table["call"].str.startswith("number_needed_to_treat")]
    assert list(nnt["criterion"]) == ["coverage", "coverage"] and (nnt["n"] + nnt["n_undefined"] == 200).all()


def test_survival_calibrated():
    table = ls.validate_methods(n_trials=200, rng=6, families=["survival"], mc_level=_STRICT)
    valid = _valid_rows_hold(table)
    assert set(valid["call"]) == {
        "logrank_batch",
        "cox_hazard_ratio",
        "rmst_difference",
        "kaplan_meier(method='log-log')",
    }
    km = table[table["call"] == "kaplan_meier(method='log-log')"]
    assert int(km["n"].iloc[0] + km["n_undefined"].iloc[0]) == 400  # both arms of every trial


def test_severity_calibrated_and_naive_liberal():
    table = ls.validate_methods(n_trials=3000, rng=7, families=["severity"], mc_level=_STRICT)
    valid = _valid_rows_hold(table)
    assert len(valid) == 4
    # flares treated as independent: about 0.08 in the benchmark run; P(estimate <= 0.05) < 1e-6 at 3000
    naive = table[~table["expected_valid"] & (table["criterion"] == "type I error")]
    assert float(naive["estimate"].iloc[0]) > 0.05


def test_proportional_odds_calibrated():
    # one statsmodels fit per data set: few data sets, so this detects gross errors only
    table = ls.validate_methods(n_trials=40, rng=8, families=["proportional_odds"], mc_level=_STRICT)
    assert len(_valid_rows_hold(table)) == 2


def test_overdispersion_not_liberal():
    # expected conservative (benchmark: 0.035 and 0.026), never anti-conservative
    table = ls.validate_methods(n_trials=300, rng=9, families=["overdispersion"], mc_level=_STRICT)
    assert list(table["call"]) == ["overdispersion_test(method='lr')", "overdispersion_test(method='cameron-trivedi')"]
    assert not (table["verdict"] == "anti-conservative").any(), table


def test_meta_analysis_few_studies():
    table = ls.validate_methods(n_trials=300, rng=10, families=["meta_analysis"], mc_level=_STRICT)
    assert len(table) == 18 and not table["expected_valid"].any()
    for k in (2, 3, 4):
        z = table[table["method"] == f"meta-analysis REML, z, k = {k}"].set_index("criterion")
        kh = table[table["method"] == f"meta-analysis REML, Knapp-Hartung, k = {k}"].set_index("criterion")
        # z intervals: benchmark type I error 0.16-0.26, far outside any Monte Carlo interval
        assert z.loc["type I error", "verdict"] == "anti-conservative"
        assert z.loc["coverage", "verdict"] == "under-covers"
        # Knapp-Hartung is much closer (benchmark 0.07-0.08) but not at the nominal level
        assert kh.loc["type I error", "estimate"] < z.loc["type I error", "estimate"]
        assert kh.loc["type I error", "estimate"] < 0.13
        pi = table[table["method"] == f"prediction interval, REML, z, k = {k}"]
        assert pi["verdict"].iloc[0] == "under-covers"


def test_plot_validation_encodes_one_thing_per_channel():
    import matplotlib

    matplotlib.use("Agg")
    table = ls.validate_methods(n_trials=40, rng=3, families=["rate_models", "severity"])
    ax = ls.plots.plot_validation(table, criterion="type I error")
    part = table[table["criterion"] == "type I error"]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(part["method"])
    points = [line for line in ax.lines if len(line.get_xdata()) == 1]
    colours = {matplotlib.colors.to_hex(line.get_color()) for line in points}
    assert colours <= {"#4c72b0", "#dd8452"}
    markers = [line.get_marker() for line in points]
    assert markers == ["X" if f else "o" for f in part["flag"]]
    expected = ["#4c72b0" if v else "#dd8452" for v in part["expected_valid"]]
    assert [matplotlib.colors.to_hex(line.get_color()) for line in points] == expected
