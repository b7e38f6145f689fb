"""Arms, scenarios and presets: provenance of every default, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lupusstats as ls

PRESETS = [
    "general_cohort",
    "nephritis_induction",
    "refractory",
    "refractory_conservative",
    "bliss52",
    "tulip",
    "withdrawal",
    "natural_history",
    "bliss_ln",
]


# ----------------------------------------------------------------------- presets


def test_list_presets_has_every_preset():
    table = ls.list_presets()
    assert list(table["name"]) == PRESETS
    assert {"arms", "n_per_arm", "baseline_flare_rate", "dispersion", "followup_years"} <= set(table.columns)


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_parameter_has_a_source(name):
    table = ls.preset(name).sources()
    assert not table.empty
    assert set(table["evidence_tag"]) <= {"V", "R", "D", "A"}, "a preset parameter has no source"
    assert (table["source"].str.len() > 0).all()
    # Derived numbers say how they were derived.
    derived = table[table["evidence_tag"] == "D"]
    assert (derived["note"].str.len() > 10).all()


def test_required_arms_and_adverse_events():
    neph = ls.preset("nephritis_induction")
    assert neph.arm_names == ("standard care", "IV cyclophosphamide", "MSC + standard care")
    cyc = neph.arm("IV cyclophosphamide")
    assert {"infection", "pneumonia", "alopecia", "lymphopenia"} <= set(cyc.adverse_events)
    refr = ls.preset("refractory")
    assert refr.arm_names[1] == "autologous HSCT"
    cart = refr.arm("CD19 CAR-T (exploratory)")
    assert cart.exploratory and "exploratory" in cart.name


def test_preset_numbers_match_published_values():
    # Spot checks against DOMAIN.md so a typo in a preset cannot pass silently.
    neph = ls.preset("nephritis_induction")
    # ALMS response is fitted from the visits (tests/test_fitting.py); no arm carries a drug-free remission
    assert all(arm.remission_probability == 0.0 for arm in neph.arms)
    assert neph.sledai_baseline_mean == 15.28 and neph.sledai_baseline_sd == 6.78  # ALMS, McDonald 2022 Table 2
    assert neph.activity.domain_prevalence[ls.columns.ORGAN_DOMAINS.index("haematological")] == pytest.approx(138 / 370)
    assert neph.arm("MSC + standard care").activity_response_ratio == pytest.approx(0.9)  # Deng (9/12)/(5/6)
    weeks24 = 24 * 7 / 365.25
    alopecia = neph.arm("IV cyclophosphamide").adverse_events["alopecia"]
    assert 1 - math.exp(-alopecia * weeks24) == pytest.approx(0.36)  # ALMS 36% on IVC
    refr = ls.preset("refractory")
    hsct = refr.arm("autologous HSCT")
    assert hsct.treatment_mortality == pytest.approx(2 / 50)
    assert refr.baseline_flare_rate * hsct.flare_rate_ratio == pytest.approx(math.log(2) / 5)
    gen = ls.preset("general_cohort")
    assert gen.severity_probs == pytest.approx((126 / 195, 32 / 195, 37 / 195))
    assert gen.sledai_baseline_mean == 9.71 and gen.sledai_baseline_sd == 3.76


def test_preset_overrides_are_tagged_user():
    sc = ls.preset("general_cohort", n_per_arm=50)
    table = sc.sources()
    row = table[table["parameter"] == "n_per_arm"].iloc[0]
    assert row["evidence_tag"] == "user" and row["value"] == 50
    assert (table[table["parameter"] == "dispersion"]["evidence_tag"] == "D").all()
    # Setting a parameter to its published value keeps the source.
    same = ls.preset("nephritis_induction", n_per_arm=185).sources()
    assert (same[same["parameter"] == "n_per_arm"]["evidence_tag"] == "V").all()
    arm = ls.preset("nephritis_induction").arm("standard care")
    assert arm.replace(treatment_mortality=3 / 185).provenance["treatment_mortality"].tag == "V"
    changed = ls.preset("nephritis_induction").with_arm("IV cyclophosphamide", flare_rate_ratio=0.5)
    t = changed.sources()
    row = t[(t["arm"] == "IV cyclophosphamide") & (t["parameter"] == "flare_rate_ratio")].iloc[0]
    assert row["evidence_tag"] == "user" and row["value"] == 0.5


def test_with_rate_ratio_changes_every_non_reference_arm():
    sc = ls.preset("nephritis_induction").with_rate_ratio(0.7)
    assert [a.flare_rate_ratio for a in sc.arms] == [1.0, 0.7, 0.7]


def test_unknown_preset_lists_known_names():
    with pytest.raises(ValueError, match="known presets.*general_cohort.*nephritis_induction.*refractory"):
        ls.preset("lupus_magic")
    with pytest.raises(TypeError, match="`name`"):
        ls.preset(3)


# -------------------------------------------------------------------- bad input


def arms():
    return [ls.Arm("a"), ls.Arm("b")]


def scenario(**kw):
    base = dict(n_per_arm=10, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    base.update(kw)
    return ls.Scenario(kw.pop("arms", arms()), **{k: v for k, v in base.items() if k != "arms"})


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"baseline_flare_rate": -1.0}, ValueError, "baseline_flare_rate.*> 0.*-1.0"),
        ({"baseline_flare_rate": float("nan")}, ValueError, "baseline_flare_rate.*NaN"),
        ({"baseline_flare_rate": "1"}, TypeError, "baseline_flare_rate.*real number"),
        ({"dispersion": -0.1}, ValueError, "dispersion.*>= 0"),
        ({"followup_years": 0}, ValueError, "followup_years.*> 0"),
        ({"followup_years": -2.0}, ValueError, "followup_years"),
        ({"n_per_arm": 0}, ValueError, "n_per_arm.*>= 1"),
        ({"n_per_arm": 2.5}, TypeError, "n_per_arm.*integer"),
        ({"n_per_arm": [10, 20, 30]}, ValueError, "n_per_arm.*one per arm"),
        ({"severity_probs": (0.5, 0.3, 0.3)}, ValueError, "severity_probs.*sum to 1"),
        ({"severity_probs": (0.5, 0.5)}, ValueError, "severity_probs.*3 entries"),
        ({"severity_probs": (1.2, -0.1, -0.1)}, ValueError, "severity_probs.*probabilities"),
        ({"organ_probs": (1.0,)}, ValueError, "organ_probs.*7 entries"),
        ({"organ_probs": [0.2] * 7}, ValueError, "organ_probs.*sum to 1"),
        ({"severity_patient_sd": -1}, ValueError, "severity_patient_sd"),
        ({"sledai_increase_mean": (3, 3)}, ValueError, "sledai_increase_mean.*3 entries"),
        (
            {"sledai_increase_mean": (1, 3, 3), "sledai_increase_min": (2, 0, 0)},
            ValueError,
            "sledai_increase_mean\\[0\\]",
        ),
    ],
)
def test_scenario_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        scenario(**kwargs)


def test_scenario_bad_arms():
    with pytest.raises(ValueError, match="at least one Arm"):
        scenario(arms=[])
    with pytest.raises(ValueError, match="unique names.*'a'"):
        scenario(arms=[ls.Arm("a"), ls.Arm("a")])
    with pytest.raises(TypeError, match=r"arms\[1\].*Arm"):
        scenario(arms=[ls.Arm("a"), "b"])
    with pytest.raises(TypeError, match="list of Arm"):
        scenario(arms=ls.Arm("a"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"flare_rate_ratio": 0.0}, ValueError, "flare_rate_ratio.*> 0"),
        ({"flare_rate_ratio": float("nan")}, ValueError, "flare_rate_ratio.*NaN"),
        ({"severity_odds_ratio": -2}, ValueError, "severity_odds_ratio"),
        ({"dropout_rate": -0.1}, ValueError, "dropout_rate.*>= 0"),
        ({"treatment_mortality": 1.5}, ValueError, "treatment_mortality.*<= 1"),
        ({"remission_probability": -0.2}, ValueError, "remission_probability"),
        ({"adverse_events": {"infection": -1.0}}, ValueError, "adverse_events\\['infection'\\]"),
        ({"adverse_events": {"hair loss": 1.0}}, ValueError, "simple names"),
        ({"adverse_events": [("infection", 1.0)]}, TypeError, "adverse_events.*mapping"),
        ({"adverse_event_window_years": 0}, ValueError, "adverse_event_window_years"),
        ({"exploratory": "yes"}, TypeError, "exploratory"),
    ],
)
def test_arm_bad_values(kwargs, error, match):
    with pytest.raises(error, match=match):
        ls.Arm("x", **kwargs)


def test_arm_needs_a_name_and_keywords():
    with pytest.raises(TypeError, match="name"):
        ls.Arm("")
    with pytest.raises(TypeError):
        ls.Arm("x", 0.5)  # everything but the name is keyword-only


def test_simulate_bad_input():
    sc = ls.preset("general_cohort")
    with pytest.raises(ValueError, match="n_trials.*>= 1.*0"):
        ls.simulate_trials(sc, 0)
    with pytest.raises(TypeError, match="n_trials.*integer"):
        ls.simulate_trials(sc, 10.0)
    with pytest.raises(TypeError, match="scenario.*Scenario"):
        ls.simulate_cohort({"arms": []})
    with pytest.raises(ValueError, match="unknown arm 'x'"):
        ls.simulate_trials(sc, 1, rng=0).in_arm("x")


def test_replace_rejects_unknown_parameter():
    with pytest.raises(TypeError, match="no parameter.*flare_rate"):
        ls.preset("general_cohort").replace(flare_rate=2.0)
    with pytest.raises(ValueError, match="unknown arm"):
        ls.preset("general_cohort").with_arm("nope", flare_rate_ratio=0.5)


def test_source_tag_validated():
    with pytest.raises(ValueError, match="tag"):
        ls.Source("someone 2020", "X")


def test_unequal_allocation():
    sc = scenario(n_per_arm=[5, 15])
    batch = ls.simulate_trials(sc, 2, rng=0)
    np.testing.assert_array_equal(np.bincount(batch.arm), [5, 15])


def test_scenarios_pickle_for_worker_processes():
    import pickle

    sc = ls.preset("nephritis_induction").with_arm("IV cyclophosphamide", flare_rate_ratio=0.8)
    back = pickle.loads(pickle.dumps(sc))
    assert back == sc
    assert back.sources().equals(sc.sources())
    assert back.arm("IV cyclophosphamide").adverse_events == sc.arm("IV cyclophosphamide").adverse_events


def test_activity_default_prednisone_is_its_derivation():
    from lupusstats.model.scenario import _PRED_LOG_SD, _lognormal_from_share

    assert ls.Activity().prednisone_log_mean == pytest.approx(
        _lognormal_from_share(0.580 / 0.863, 7.5, _PRED_LOG_SD), rel=1e-12
    )
