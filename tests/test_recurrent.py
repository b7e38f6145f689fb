"""Recurrent-event regression (ls.recurrent_event_regression, ls.counting_process).

R parity on the survival package's ``cgd`` and ``bladder2`` (tests/reference/recurrent_reference.R,
coxph with cluster(id), Efron and Breslow ties), calibration of the robust variance on simulated
flares with frailty, and the named input errors.
"""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lupusstats as ls

REF = json.loads((pathlib.Path(__file__).parent / "reference" / "recurrent_reference.json").read_text())


def _tables(name):
    """The R data (counting-process rows) as the patients and flares tables a user would have."""
    r = REF[name]
    d = pd.DataFrame(r["data"])
    patients = (
        d.groupby("id", sort=False)
        .agg(arm=("arm", "first"), followup_years=("stop", "max"))
        .reset_index()
        .rename(columns={"id": "patient"})
    )
    patients["arm"] = pd.Categorical(patients["arm"], categories=[r["reference"], r["treatment"]])
    flares = d.loc[d["event"] == 1, ["id", "stop"]].rename(columns={"id": "patient", "stop": "time_years"})
    return d, flares.reset_index(drop=True), patients


@pytest.mark.parametrize("name", ["cgd", "bladder2"])
def test_counting_process_rebuilds_the_r_layout(name):
    d, flares, patients = _tables(name)
    cp = ls.counting_process(flares, patients)
    assert len(cp) == len(d)
    np.testing.assert_array_equal(cp["patient"], d["id"])
    np.testing.assert_allclose(cp[["start", "stop"]].to_numpy(), d[["start", "stop"]].to_numpy())
    np.testing.assert_array_equal(cp["event"], d["event"])
    np.testing.assert_array_equal(cp["enum"], d["enum"])
    np.testing.assert_allclose(cp["gap"], d["stop"] - d["start"])


@pytest.mark.parametrize("name", ["cgd", "bladder2"])
@pytest.mark.parametrize("model", ["andersen_gill", "lwyy", "pwp_gap"])
@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_matches_r_coxph_with_cluster(name, model, ties):
    _, flares, patients = _tables(name)
    ref = REF[name]["fits"][f"{'pwp_gap' if model == 'pwp_gap' else 'andersen_gill'}_{ties}"]
    res = ls.recurrent_event_regression(flares, patients, model=model, ties=ties)
    assert len(res) == 1
    row = res.iloc[0]
    assert row["arm"] == REF[name]["treatment"] and row["reference"] == REF[name]["reference"]
    assert row["model"] == model
    assert row["log_hazard_ratio"] == pytest.approx(ref["coef"], abs=1e-6)
    assert row["hazard_ratio"] == pytest.approx(np.exp(ref["coef"]), rel=1e-6)
    assert row["se"] == pytest.approx(ref["se"], abs=1e-5)
    assert row["se_model"] == pytest.approx(ref["se_model"], abs=1e-5)
    assert [row["ci_low"], row["ci_high"]] == pytest.approx(ref["ci"], rel=1e-5)
    assert row["pvalue"] == pytest.approx(ref["p"], rel=1e-5)
    assert row["n_events"] == ref["n_events"]


def test_contract_columns_come_first():
    _, flares, patients = _tables("cgd")
    res = ls.recurrent_event_regression(flares, patients)
    assert list(res.columns[:7]) == ["arm", "hazard_ratio", "ci_low", "ci_high", "pvalue", "se", "model"]


def test_the_group_column_keeps_the_callers_name_and_rows_order_does_not_matter():
    _, flares, patients = _tables("bladder2")
    base = ls.recurrent_event_regression(flares, patients, model="pwp_gap")
    shuffled = flares.sample(frac=1.0, random_state=4)
    again = ls.recurrent_event_regression(
        shuffled.rename(columns={"patient": "id"}),
        patients.rename(columns={"arm": "treatment", "patient": "id"}).sample(frac=1.0, random_state=5),
        model="pwp_gap",
        group="treatment",
        patient="id",
    )
    assert again.columns[0] == "treatment"
    assert again["log_hazard_ratio"].item() == pytest.approx(base["log_hazard_ratio"].item(), abs=1e-10)
    assert again["se"].item() == pytest.approx(base["se"].item(), abs=1e-10)


def test_reference_swap_inverts_the_ratio_three_arms():
    sc = ls.Scenario(
        [ls.Arm("a"), ls.Arm("b", flare_rate_ratio=0.6), ls.Arm("c", flare_rate_ratio=1.3)],
        n_per_arm=40,
        baseline_flare_rate=1.5,
        dispersion=0.5,
        followup_years=1.0,
    )
    c = ls.simulate_cohort(sc, rng=11)
    by_a = ls.recurrent_event_regression(c.flares, c.patients).set_index("arm")
    by_b = ls.recurrent_event_regression(c.flares, c.patients, reference="b").set_index("arm")
    assert list(by_a.index) == ["b", "c"] and list(by_b.index) == ["a", "c"]
    assert by_b.loc["a", "log_hazard_ratio"] == pytest.approx(-by_a.loc["b", "log_hazard_ratio"], abs=1e-8)
    assert by_b.loc["a", "se"] == pytest.approx(by_a.loc["b", "se"], rel=1e-6)
    # c vs b = (c vs a) - (b vs a) on the log scale: one model with both indicators
    assert by_b.loc["c", "log_hazard_ratio"] == pytest.approx(
        by_a.loc["c", "log_hazard_ratio"] - by_a.loc["b", "log_hazard_ratio"], abs=1e-8
    )


def test_robust_variance_is_calibrated_under_frailty_and_the_model_variance_is_not():
    # Flares with gamma frailty (dispersion 1): flares of one patient are correlated, so the model-based
    # (independent-increments) variance is too small.  Type I error over N null trials, judged with the
    # 99.9% binomial interval around 0.05 (a false alarm once in a thousand runs of this test).
    sc = ls.Scenario(
        [ls.Arm("a"), ls.Arm("b")], n_per_arm=60, baseline_flare_rate=1.0, dispersion=1.0, followup_years=1.0
    )
    rng = np.random.default_rng(20251126)
    n = 300
    robust = model_based = 0
    for _ in range(n):
        c = ls.simulate_cohort(sc, rng=rng)
        row = ls.recurrent_event_regression(c.flares, c.patients).iloc[0]
        robust += row["pvalue"] < 0.05
        model_based += abs(row["log_hazard_ratio"] / row["se_model"]) > stats.norm.ppf(0.975)
    low, high = stats.binom.ppf([0.0005, 0.9995], n, 0.05)
    assert low <= robust <= high, robust
    assert model_based > high, model_based  # anti-conservative, as expected with frailty


def test_lwyy_equals_andersen_gill_and_pwp_differs():
    _, flares, patients = _tables("cgd")
    ag = ls.recurrent_event_regression(flares, patients, model="andersen_gill").iloc[0]
    lw = ls.recurrent_event_regression(flares, patients, model="lwyy").iloc[0]
    pwp = ls.recurrent_event_regression(flares, patients, model="pwp_gap").iloc[0]
    assert lw["hazard_ratio"] == ag["hazard_ratio"] and lw["se"] == ag["se"]
    assert "Lin-Wei-Yang-Ying" in lw["method"] and "Andersen-Gill" in ag["method"]
    assert abs(pwp["log_hazard_ratio"] - ag["log_hazard_ratio"]) > 0.1


# --------------------------------------------------------------------------- bad input

PATIENTS = pd.DataFrame({"patient": [1, 2, 3], "arm": ["p", "d", "d"], "followup_years": [1.0, 2.0, 1.5]})
FLARES = pd.DataFrame({"patient": [1, 2, 3], "time_years": [0.5, 1.0, 0.3]})


@pytest.mark.parametrize(
    ("flares", "patients", "match"),
    [
        (
            FLARES.assign(time_years=[0.5, 2.5, 0.3]),
            PATIENTS,
            r"flare at 2.5 is after the end of follow-up of patient 2",
        ),
        (FLARES.assign(patient=[1, 9, 3]), PATIENTS, r"patient 9 is not in `patients`"),
        (FLARES.assign(time_years=[-0.5, 1.0, 0.3]), PATIENTS, r"must hold times >= 0, got -0.5"),
        (FLARES.assign(time_years=[0.0, 1.0, 0.3]), PATIENTS, r"at time 0"),
        (FLARES.assign(patient=[1, 2, 2], time_years=[0.5, 1.0, 1.0]), PATIENTS, r"two flares at the same time 1"),
        (FLARES, PATIENTS.assign(followup_years=[1.0, -2.0, 1.5]), r"follow-up times > 0, got -2.0"),
        (FLARES, PATIENTS.assign(patient=[1, 2, 2]), r"patient 2 is listed 2 times"),
        (FLARES.drop(columns="time_years"), PATIENTS, r"time_years"),
        (FLARES.assign(patient=[2, 2, 3]), PATIENTS, r"arm\(s\) \['p'\] have no flares"),
    ],
)
def test_bad_tables_are_named(flares, patients, match):
    with pytest.raises(ValueError, match=match):
        ls.recurrent_event_regression(flares, patients)


def test_bad_options():
    with pytest.raises(ValueError, match="`model` must be one of"):
        ls.recurrent_event_regression(FLARES, PATIENTS, model="wlw")
    with pytest.raises(ValueError, match="`ties` must be one of"):
        ls.recurrent_event_regression(FLARES, PATIENTS, ties="exact")
    with pytest.raises(ValueError, match=r"`reference` must be one of the arms \['p', 'd'\], got 'x'"):
        ls.recurrent_event_regression(FLARES, PATIENTS, reference="x")
    with pytest.raises(TypeError, match="`flares` must be a pandas DataFrame"):
        ls.recurrent_event_regression([1, 2], PATIENTS)
    with pytest.raises(TypeError, match="must hold numbers"):
        ls.recurrent_event_regression(FLARES.assign(time_years=["a", "b", "c"]), PATIENTS)
    with pytest.raises(ValueError, match="at least two arms"):
        ls.recurrent_event_regression(FLARES, PATIENTS.assign(arm="p"))


@pytest.mark.parametrize(("dataset", "name"), [("cgd", "cgd"), ("bladder", "bladder2")])
def test_shipped_trials_read_from_csv_give_rs_numbers(dataset, name):
    # data/trials/ -> ls.read_cohort (years, 15 significant digits) -> the same fit as R on its own data
    cohort = ls.load_dataset(dataset)
    for model, key in (("andersen_gill", "andersen_gill_efron"), ("pwp_gap", "pwp_gap_efron")):
        row = ls.recurrent_event_regression(cohort.flares, cohort.patients, model=model).iloc[0]
        ref = REF[name]["fits"][key]
        assert row["log_hazard_ratio"] == pytest.approx(ref["coef"], abs=1e-6)
        assert row["se"] == pytest.approx(ref["se"], abs=1e-5)


def test_cgd_rate_ratio_and_first_event_match_r():
    # MASS::glm.nb and coxph on the per-patient CGD data (recurrent_reference.R), read from data/trials
    cgd = ls.load_dataset("cgd")
    nb = ls.compare_rates(cgd.patients, model="negbin").iloc[0]
    ref = REF["cgd"]["glm_nb"]
    assert nb["log_rate_ratio"] == pytest.approx(ref["log_rate_ratio"], abs=1e-6)
    assert nb["se"] == pytest.approx(ref["se"], abs=1e-5)
    assert nb["dispersion"] == pytest.approx(1 / ref["theta"], rel=1e-4)
    first = ls.compare_survival(ls.time_to_first_flare(cgd.patients))
    ref = REF["cgd"]["first_event_cox"]
    assert np.log(first.hazard_ratio) == pytest.approx(ref["coef"], abs=1e-6)
    assert first.se == pytest.approx(ref["se"], abs=1e-5)
