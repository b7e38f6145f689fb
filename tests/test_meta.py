"""Tests for lupusstats.meta: effect sizes and meta-analysis against R metafor, by simulation, bad input.

Reference values: tests/reference/meta_reference.R (metafor 3.8-1) -> meta_reference.json.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lupusstats as ls

REF = json.loads((pathlib.Path(__file__).parent / "reference" / "meta_reference.json").read_text())
RTOL = 1e-5
# tau2 (and I2, which is proportional to it) is compared with an absolute floor: metafor's
# Fisher scoring stops at e.g. 3e-13 where the exact maximiser on [0, inf) is 0.
ATOL = {"tau2": 1e-10, "i2": 1e-8}
FIELDS = (
    "estimate",
    "se",
    "statistic",
    "pvalue",
    "ci_low",
    "ci_high",
    "tau2",
    "i2",
    "h2",
    "q",
    "q_pvalue",
    "pi_low",
    "pi_high",
)


def _fit_values(res):
    lo, hi = res.confidence_interval()
    plo, phi = res.prediction_interval()
    return dict(
        estimate=res.estimate,
        se=res.se,
        statistic=res.statistic,
        pvalue=res.pvalue,
        ci_low=lo,
        ci_high=hi,
        tau2=res.tau2,
        i2=res.i2,
        h2=res.h2,
        q=res.q,
        q_pvalue=res.q_pvalue,
        pi_low=plo,
        pi_high=phi,
    )


@pytest.mark.parametrize("key", sorted(REF["rma"]))
def test_meta_analysis_against_R(key):
    # R: rma(yi, vi, method = <method>, test = <test>, control = list(threshold = 1e-12, tol = 1e-12));
    #    predict(); weights()   -- for bcg (log RR), Normand MD, Hart IRR, MSC proportions (PLO, PFT),
    #    HSCT k = 2, and a homogeneous set (tau2 = 0)
    name, method, test = key.split("|")
    data, expected = REF["data"][name], REF["rma"][key]
    res = ls.meta_analysis(data["yi"], data["vi"], method=method, test=test)
    got = _fit_values(res)
    for field in FIELDS:
        np.testing.assert_allclose(
            got[field], expected[field], rtol=RTOL, atol=ATOL.get(field, 0.0), err_msg=f"{key}: {field}"
        )
    np.testing.assert_allclose(res.weights, expected["weights"], rtol=RTOL, atol=1e-8)
    assert res.k == len(data["yi"])


def test_homogeneous_case_has_zero_tau2_against_R():
    # R: rma(yi, vi, method = m) gives tau2 = 0 and I2 = 0 for every m on the homogeneous set
    data = REF["data"]["homogeneous"]
    for method in ("DL", "REML", "ML", "PM"):
        res = ls.meta_analysis(data["yi"], data["vi"], method=method)
        assert res.tau2 == 0.0 and res.i2 == 0.0 and res.h2 == 1.0
        assert REF["rma"][f"homogeneous|{method}|z"]["tau2"] == 0
        assert res.prediction_interval() == pytest.approx(tuple(res.confidence_interval()))


@pytest.mark.parametrize("name", sorted(REF["confint"]))
def test_tau2_qprofile_interval_against_R(name):
    # R: confint(rma(yi, vi), control = list(tol = 1e-12, tau2.max = 1e5))$random[c("tau^2", "I^2(%)"), ]
    data, expected = REF["data"][name], REF["confint"][name]
    res = ls.meta_analysis(data["yi"], data["vi"])
    lo, hi = res.tau2_confidence_interval()
    np.testing.assert_allclose([lo, hi], [expected["tau2_low"], expected["tau2_high"]], rtol=RTOL, atol=1e-10)
    ilo, ihi = res.i2_confidence_interval()
    np.testing.assert_allclose([ilo, ihi], [expected["i2_low"], expected["i2_high"]], rtol=RTOL, atol=1e-8)
    frame = res.to_frame()
    assert frame.loc[0, "tau2_ci_low"] == lo and frame.loc[0, "tau2_ci_high"] == hi


def test_confidence_level_90_against_R():
    # R: r <- rma(yi, vi, level = 90); predict(r); confint(r)
    data, expected = REF["data"]["bcg"], REF["bcg_level90"]
    res = ls.meta_analysis(data["yi"], data["vi"], confidence_level=0.90)
    got = _fit_values(res)
    for field in ("ci_low", "ci_high", "pi_low", "pi_high"):
        np.testing.assert_allclose(got[field], expected[field], rtol=RTOL)
    np.testing.assert_allclose(res.tau2_confidence_interval(), [expected["tau2_low"], expected["tau2_high"]], rtol=RTOL)
    # the same intervals from a 95% result asked for another level
    res95 = ls.meta_analysis(data["yi"], data["vi"])
    np.testing.assert_allclose(res95.confidence_interval(0.90), [expected["ci_low"], expected["ci_high"]], rtol=RTOL)


@pytest.mark.parametrize("spec", sorted(REF["leave1out"]))
def test_leave_one_out_against_R(spec):
    # R: leave1out(rma(yi, vi, method = <method>, test = <test>)) on dat.bcg (log RR)
    method, test = spec.split("|")
    data, expected = REF["data"]["bcg"], REF["leave1out"][spec]
    loo = ls.meta_analysis(
        data["yi"], data["vi"], method=method, test=test, labels=[f"trial {i}" for i in range(1, 14)]
    ).leave_one_out()
    assert list(loo["omitted"]) == [f"trial {i}" for i in range(1, 14)]
    for field in ("estimate", "se", "pvalue", "ci_low", "ci_high", "q", "tau2", "i2", "h2"):
        np.testing.assert_allclose(
            loo[field], expected[field], rtol=RTOL, atol=ATOL.get(field, 0.0), err_msg=f"{spec}: {field}"
        )


def _escalc_frame(inputs):
    return pd.DataFrame({k: np.atleast_1d(v) for k, v in inputs.items()})


ESCALC_ARGS = {
    "RR_bcg": dict(measure="RR", ai="tpos", bi="tneg", ci="cpos", di="cneg"),
    "OR_bcg": dict(measure="OR", ai="tpos", bi="tneg", ci="cpos", di="cneg"),
    "RD_bcg": dict(measure="RD", ai="tpos", bi="tneg", ci="cpos", di="cneg"),
    "MD_normand": dict(measure="MD"),
    "SMD_normand": dict(measure="SMD"),
    "IRR_hart": dict(measure="IRR"),
    "RR_zero": dict(measure="RR"),
    "OR_zero": dict(measure="OR"),
    "RD_zero": dict(measure="RD"),
    "IRR_zero": dict(measure="IRR"),
    "PR_zero": dict(measure="PR"),
    "PLO_zero": dict(measure="PLO"),
    "PAS_zero": dict(measure="PAS"),
    "PFT_zero": dict(measure="PFT"),
    "MN_deng": dict(measure="MN"),
    "MC_liang_r05": dict(measure="MC", ri=0.5),
}


@pytest.mark.parametrize("key", sorted(REF["escalc"]))
def test_effect_sizes_against_R(key):
    # R: escalc(<measure>, ...) with its default add = 1/2, to = "only0" (see meta_reference.R)
    expected = REF["escalc"][key]
    frame = _escalc_frame(expected["inputs"])
    if key.endswith("_zero") and key[:2] in ("RR", "OR", "RD"):
        frame = frame[["ai", "n1i", "ci", "n2i"]]  # totals, not non-events
    es = ls.effect_sizes(frame, **ESCALC_ARGS[key])
    np.testing.assert_allclose(es["yi"], expected["yi"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(es["vi"], expected["vi"], rtol=1e-10)
    assert list(es.columns[: frame.shape[1]]) == list(frame.columns)


def test_zero_cell_rule_is_reported():
    d = pd.DataFrame({"ai": [0, 3], "n1i": [10, 12], "ci": [2, 4], "n2i": [11, 9]})
    es = ls.effect_sizes(d, measure="RR")
    assert es.attrs["zero_cell_corrected"] == [0]
    assert es.loc[1, "yi"] == pytest.approx(np.log((3 / 12) / (4 / 9)))  # untouched study
    with pytest.raises(ValueError, match="not finite"):
        ls.effect_sizes(d, measure="RR", to="none")
    es_all = ls.effect_sizes(d, measure="OR", to="all")
    assert es_all.loc[1, "yi"] == pytest.approx(np.log(3.5 * 5.5 / (9.5 * 4.5)))


def test_back_transform_against_R():
    # R: transf.ilogit(c(-1, 0, 0.7)); transf.ipft.hm(c(0.3, 0.6, 1.2), targs = list(ni = c(83, 40, 81, 12)))
    t = REF["transf"]
    np.testing.assert_allclose(ls.back_transform([-1, 0, 0.7], measure="PLO"), t["plo"], rtol=1e-12)
    np.testing.assert_allclose(ls.back_transform(t["pft_input"], measure="PFT", ni=t["pft_ni"]), t["pft"], rtol=1e-10)
    assert ls.back_transform(np.log(2), measure="RR") == pytest.approx(2.0)


def test_frame_input_and_labels():
    d = pd.DataFrame({"study": ["a", "b", "c"], "xi": [3, 5, 9], "ni": [10, 12, 20]})
    es = ls.effect_sizes(d, measure="PLO")
    res = ls.meta_analysis(es, labels="study", method="DL")
    assert res.labels == ("a", "b", "c")
    same = ls.meta_analysis(es["yi"], es["vi"], method="DL")
    assert res.estimate == same.estimate
    table = res.study_table()
    assert list(table["study"]) == ["a", "b", "c"] and table["weight"].sum() == pytest.approx(100)
    frame = res.to_frame()
    assert frame.shape[0] == 1 and {"estimate", "ci_low", "tau2", "i2", "pi_low", "q_pvalue"} <= set(frame)
    assert "MetaAnalysisResult" in res._repr_html_()


# --- by simulation: known variances, normal effects --------------------------------------------


def _binomial_band(n, p, fail=1e-6):
    lo, hi = stats.binom.interval(1 - fail, n, p)
    return lo / n, hi / n


def _simulate(k, tau2, n_rep, rng):
    rng = np.random.default_rng(rng)
    v = rng.uniform(0.02, 0.3, size=(n_rep, k))
    y = rng.normal(0.0, np.sqrt(v + tau2))
    return y, v


def test_fixed_effect_z_test_type_one_error_is_nominal():
    # With tau2 = 0 and known variances the FE z statistic is exactly N(0, 1).
    n_rep = 2000
    y, v = _simulate(6, 0.0, n_rep, rng=20261125)
    rej = np.mean([ls.meta_analysis(y[i], v[i], method="FE").pvalue < 0.05 for i in range(n_rep)])
    lo, hi = _binomial_band(n_rep, 0.05)
    assert lo <= rej <= hi, (rej, lo, hi)


def test_knapp_hartung_type_one_error_near_nominal_and_z_is_liberal():
    # k = 5 heterogeneous studies: REML + Knapp-Hartung keeps about 5%; REML + z rejects too often
    # (IntHout et al. 2014). The band is the binomial interval at failure probability 1e-6 around 5%.
    n_rep = 2000
    y, v = _simulate(5, 0.2, n_rep, rng=7)
    p_knha = np.array([ls.meta_analysis(y[i], v[i], test="knha").pvalue for i in range(n_rep)])
    p_z = np.array([ls.meta_analysis(y[i], v[i], test="z").pvalue for i in range(n_rep)])
    lo, hi = _binomial_band(n_rep, 0.05)
    assert lo <= np.mean(p_knha < 0.05) <= hi
    assert np.mean(p_z < 0.05) > hi


def test_qprofile_interval_coverage_is_nominal():
    # The Q-profile interval is exact for known within-study variances (Viechtbauer 2007).
    n_rep, tau2 = 1500, 0.1
    y, v = _simulate(8, tau2, n_rep, rng=11)
    cover = 0
    for i in range(n_rep):
        lo, hi = ls.meta_analysis(y[i], v[i], method="DL").tau2_confidence_interval()
        cover += lo <= tau2 <= hi
    lo, hi = _binomial_band(n_rep, 0.95)
    assert lo <= cover / n_rep <= hi


# --- bad input -----------------------------------------------------------------------------------


def test_random_effects_needs_two_studies():
    with pytest.raises(ValueError, match="at least 2 studies"):
        ls.meta_analysis([0.1], [0.01])
    res = ls.meta_analysis([0.1], [0.01], method="FE")  # a single study is its own FE estimate
    assert res.estimate == 0.1 and np.isnan(res.q_pvalue)


def test_negative_variance_is_an_error():
    with pytest.raises(ValueError, match="`vi` must be variances >= 0"):
        ls.meta_analysis([0.1, 0.2], [0.01, -0.02])


def test_zero_variance_is_an_error():
    with pytest.raises(ValueError, match="`vi` must be > 0"):
        ls.meta_analysis([0.1, 0.2], [0.01, 0.0])


def test_nan_is_an_error():
    with pytest.raises(ValueError, match="missing"):
        ls.meta_analysis([0.1, np.nan, 0.3], [0.01, 0.02, 0.03])


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same length"):
        ls.meta_analysis([0.1, 0.2, 0.3], [0.01, 0.02])


def test_unknown_method_and_test():
    with pytest.raises(ValueError, match="`method` must be one of"):
        ls.meta_analysis([0.1, 0.2], [0.01, 0.02], method="HS")
    with pytest.raises(ValueError, match="`test` must be one of"):
        ls.meta_analysis([0.1, 0.2], [0.01, 0.02], test="t")


def test_missing_vi_and_strings_are_type_errors():
    with pytest.raises(TypeError, match="`vi`"):
        ls.meta_analysis([0.1, 0.2])
    with pytest.raises(TypeError, match="`yi` must be array-like"):
        ls.meta_analysis("0.1", [0.01])


def test_leave_one_out_needs_three_studies():
    with pytest.raises(ValueError, match="leave-one-out needs at least 3"):
        ls.meta_analysis([0.1, 0.5], [0.01, 0.02]).leave_one_out()


def test_effect_sizes_errors():
    d = pd.DataFrame({"xi": [3, 12], "ni": [10, 10]})
    with pytest.raises(ValueError, match=r"exceed the total 'ni', at row\(s\) \[1\]"):
        ls.effect_sizes(d, measure="PLO")
    with pytest.raises(ValueError, match="`measure` must be one of"):
        ls.effect_sizes(d, measure="logit")
    with pytest.raises(ValueError, match="no column 'ai'"):
        ls.effect_sizes(d, measure="RR")
    with pytest.raises(ValueError, match="non-negative counts"):
        ls.effect_sizes(pd.DataFrame({"xi": [-1], "ni": [10]}), measure="PFT")
    with pytest.raises(ValueError, match="missing or infinite"):
        ls.effect_sizes(pd.DataFrame({"xi": [1, np.nan], "ni": [10, 10]}), measure="PFT")
    with pytest.raises(TypeError, match="DataFrame"):
        ls.effect_sizes({"xi": [1], "ni": [2]}, measure="PR")
    with pytest.raises(TypeError, match="must be numeric"):
        ls.effect_sizes(pd.DataFrame({"xi": ["a"], "ni": [2]}), measure="PR")


# --- plots ---------------------------------------------------------------------------------------


def test_forest_and_funnel_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = REF["data"]["bcg"]
    res = ls.meta_analysis(data["yi"], data["vi"], labels=[f"trial {i}" for i in range(1, 14)])
    ax = ls.plots.plot_forest(res, transform=np.exp, xlabel="risk ratio", xscale="log")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:13] == [f"trial {i}" for i in range(1, 14)] and labels[-1] == "Pooled"
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "risk ratio"
    pl, ph = np.exp(res.prediction_interval())
    lo, hi = ax.get_xlim()
    assert lo < pl and ph < hi  # the prediction interval is inside the frame
    ax2 = ls.plots.plot_funnel(res, xlabel="log risk ratio")
    assert ax2.get_ylim()[0] > ax2.get_ylim()[1]  # se axis inverted
    with pytest.raises(TypeError, match="MetaAnalysisResult"):
        ls.plots.plot_forest(pd.DataFrame())
    with pytest.raises(ValueError, match="xscale='log' needs positive"):
        ls.plots.plot_forest(res, xscale="log")
    plt.close("all")


def test_effect_sizes_confidence_level_adds_wald_intervals():
    # As metafor's summary.escalc: yi -/+ qnorm(1 - alpha/2) * sqrt(vi), on the scale of yi.
    d = pd.DataFrame({"ai": [9, 3, 0], "n1i": [12, 20, 15], "ci": [5, 6, 4], "n2i": [6, 21, 14]})
    for level in (0.9, 0.95, 0.99):
        es = ls.effect_sizes(d, measure="RR", confidence_level=level)
        z = stats.norm.ppf(0.5 + level / 2)
        np.testing.assert_allclose(es.ci_low, es.yi - z * np.sqrt(es.vi), rtol=1e-12)
        np.testing.assert_allclose(es.ci_high, es.yi + z * np.sqrt(es.vi), rtol=1e-12)
        # the two-by-two module's Katz interval (independent code path, same zero-cell rule)
        for i, row in d.iterrows():
            rr = ls.risk_ratio(row.ai, row.n1i, row.ci, row.n2i, confidence_level=level)
            np.testing.assert_allclose(np.exp([es.ci_low[i], es.ci_high[i]]), rr.confidence_interval(), rtol=1e-10)
    # Deng 2017 remission, MSC vs placebo: RR 0.90 (0.55-1.46)
    one = ls.effect_sizes(d.iloc[:1], measure="RR", confidence_level=0.95)
    assert np.round(np.exp(one.loc[0, ["yi", "ci_low", "ci_high"]].astype(float)), 2).tolist() == [0.9, 0.55, 1.46]
    assert "ci_low" not in ls.effect_sizes(d, measure="RR").columns
    with pytest.raises(ValueError, match="confidence_level"):
        ls.effect_sizes(d, measure="RR", confidence_level=95)
