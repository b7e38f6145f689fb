"""Evidence a clinician can trust: overlapping patient pools, denominators, endpoint names,
citations and the evidence tags of the presets (issue "Evidence a clinician can trust")."""

from __future__ import annotations

import csv
import io
import math
import pathlib
import warnings

import numpy as np
import pytest

import lupusstats as ls
from lupusstats.card import AssumedEffectWarning
from lupusstats.cli.main import main
from lupusstats.evidence import DatasetError, distinct_patients, one_per_overlap_group, overlap_groups, validate_dataset
from lupusstats.model.presets import _exact_ci

DATA = pathlib.Path(__file__).resolve().parents[1] / "data"


def _groups(name):
    return {row.overlap_group: row.studies.split(", ") for row in overlap_groups(name).itertuples()}


# ------------------------------------------------------------------------- overlapping patient pools


def test_overlap_groups_exist_for_cart_hsct_and_msc():
    assert _groups("cart_sle_cases")["erlangen"] == ["Mackensen 2022", "Muller 2024"]
    assert _groups("hsct_sle_studies")["ebmt"] == ["Alchi 2013", "EBMT registry (Tyndall review)", "Jayne 2004"]
    assert _groups("msc_sle_studies")["nanjing"] == ["Liang 2010", "Sun 2010", "Wang 2013", "Wang 2014", "Wang 2018"]
    # every other HSCT series is its own pool
    singles = {g: s for g, s in _groups("hsct_sle_studies").items() if g != "ebmt"}
    assert all(len(s) == 1 for s in singles.values()) and len(singles) == 4


def test_cart_doris_patients_are_8_not_13():
    cart = ls.load_dataset("cart_sle_cases")
    doris = cart[cart["outcome_definition"] == "DORIS"]
    assert int(doris["n_sle"].sum()) == 13  # the naive total counts the Erlangen programme twice
    assert distinct_patients(doris) == 8
    assert one_per_overlap_group(doris)["study"].tolist() == ["Muller 2024"]
    assert int(one_per_overlap_group(doris)["outcome_events"].sum()) == 8
    # Wang 2025 is an SRI-4 *response*, stated separately, never added to DORIS remissions
    wang = cart[cart["study"] == "Wang 2025"].iloc[0]
    assert (wang["outcome"], wang["outcome_definition"], wang["n_sle"]) == ("response", "SRI-4", 3)
    assert set(cart.loc[cart["outcome"] == "remission", "outcome_definition"]) == {"DORIS"}
    assert distinct_patients(cart) == 8 + 3


def test_hsct_pooling_keeps_one_study_per_overlap_group():
    hsct = ls.load_dataset("hsct_sle_studies")
    trm = hsct[hsct["outcome"] == "treatment_related_mortality"]
    kept = one_per_overlap_group(trm)
    assert kept["overlap_group"].is_unique
    assert set(kept.loc[kept["overlap_group"] == "ebmt", "study"]) == {"EBMT registry (Tyndall review)"}
    assert overlap_groups(hsct).set_index("overlap_group").loc["ebmt", "patients"] == 85
    # an RCT's patients are the sum of its arms
    assert overlap_groups("msc_sle_studies").set_index("overlap_group").loc["deng2017", "patients"] == 18


def test_overlap_helpers_reject_tables_without_groups():
    with pytest.raises(ValueError, match="overlap_group"):
        overlap_groups("trial_effects")
    with pytest.raises(TypeError, match="data set name"):
        overlap_groups(42)


# ------------------------------------------------------------------------- validation rules


def _corrupt(tmp_path, name, match_col, match_val, column, value):
    text = (DATA / f"{name}.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    head = rows[0]
    for r in rows[1:]:
        if r[head.index(match_col)] == match_val:
            r[head.index(column)] = value
            break
    out = tmp_path / f"{name}.csv"
    with open(out, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return out


def test_a_study_cannot_leave_its_overlap_group(tmp_path):
    path = _corrupt(tmp_path, "cart_sle_cases", "study", "Muller 2024", "overlap_group", "muller2024")
    validate_dataset(path)  # a group of its own is allowed (if the overlap were disproved) ...
    path = _corrupt(tmp_path, "hsct_sle_studies", "study", "Alchi 2013", "overlap_group", "alchi")
    with pytest.raises(DatasetError, match="study 'Alchi 2013' is in overlap group 'alchi' on row .* but 'ebmt' here"):
        validate_dataset(path)  # ... but one study split across two pools is not
    path = _corrupt(tmp_path, "msc_sle_studies", "study", "Liang 2010", "overlap_group", "Nanjing")
    with pytest.raises(DatasetError, match="lower-case label"):
        validate_dataset(path)


def test_sri4_cannot_be_recorded_as_remission(tmp_path):
    path = _corrupt(tmp_path, "cart_sle_cases", "study", "Wang 2025", "outcome", "remission")
    with pytest.raises(DatasetError, match="'SRI-4' defines a response"):
        validate_dataset(path)


def test_a_printed_percentage_cannot_pass_for_events_over_total(tmp_path):
    path = _corrupt(tmp_path, "hsct_sle_studies", "outcome", "treatment_related_mortality_itt", "proportion", "0.12")
    with pytest.raises(DatasetError, match=r"proportion = 0.12 is not events/total = 2/50"):
        validate_dataset(path)


# ------------------------------------------------------------------------- denominators and numbers


def test_burt_2018_remission_denominator_is_26():
    hsct = ls.load_dataset("hsct_sle_studies")
    burt = hsct[hsct["study"] == "Burt 2018"]
    rem = burt[(burt["outcome"] == "remission") & burt["conditioning"].str.contains("rituximab")]
    assert (rem["total"] == 26).all() and (rem["n_analysed"] == 26).all() and (rem["n_enrolled"] == 30).all()
    assert sorted(rem["timepoint_years"]) == [0.5, 1, 2, 3, 4, 5]  # '62% at 4 and 5 years': no 4.5 midpoint
    assert rem.set_index("timepoint_years")["proportion"].to_dict() == {
        0.5: 0.92,
        1: 0.92,
        2: 0.81,
        3: 0.71,
        4: 0.62,
        5: 0.62,
    }
    assert (rem["evidence_tag"] == "V").all()
    definition = rem[rem["timepoint_years"] == 0.5]["note"].item()
    assert "hydroxychloroquine" in definition and "10 mg/day or less" in definition
    alem = burt[burt["conditioning"].str.startswith("CYC 200 mg/kg + alemtuzumab")]
    assert tuple(alem[["events", "total"]].iloc[0]) == (0, 4)


def test_jayne_2004_trm_as_published_and_as_computed():
    hsct = ls.load_dataset("hsct_sle_studies")
    row = hsct[(hsct["study"] == "Jayne 2004") & (hsct["outcome"] == "treatment_related_mortality")].iloc[0]
    assert (row["events"], row["total"]) == (7, 53)
    assert math.isnan(row["proportion"]) and row["proportion_as_published"] == 0.12
    assert "13.2%" in row["note"] and "12%" in row["note"]


def test_severe_flare_probabilities_are_not_rates():
    flare = ls.load_dataset("flare_cohorts")
    selena = flare[flare["study"].str.contains("SELENA")]
    assert selena["severe_rate_per_py"].isna().all()
    assert sorted(selena["p_severe_flare_12m"]) == [0.049, 0.081, 0.084, 0.087]
    petri09 = flare[flare["study"] == "Petri 2009"].iloc[0]
    assert petri09["severe_rate_per_py"] == 0.254 and math.isnan(petri09["p_severe_flare_12m"])


def test_citations_point_to_the_paper_the_numbers_come_from():
    trials = ls.load_dataset("trial_effects")
    ten = trials[trials["trial"] == "Euro-Lupus 10-year follow-up"]
    assert len(ten) == 6 and (ten["year"] == 2010).all()
    assert ten["journal"].str.startswith("Ann Rheum Dis 2010;69").all()
    bliss52 = trials[trials["trial"] == "BLISS-52"]
    assert bliss52["authors"].str.startswith("Oon S").all() and (bliss52["pmid"] == 30679152).all()
    assert "post hoc" in bliss52["note"].iloc[0].lower() and "Navarra" in bliss52["note"].iloc[0]
    zhou = ls.load_dataset("msc_meta_pooled")
    title = "Clinical Efficacy and Safety of Mesenchymal Stem Cells for Systemic Lupus Erythematosus"
    assert title in zhou["note"].iloc[0]


# ------------------------------------------------------------------------- preset tags


def _source(preset, arm, parameter):
    table = ls.preset(preset).sources()
    return table[(table["arm"] == arm) & (table["parameter"] == parameter)].iloc[0]


@pytest.mark.parametrize(
    ("preset", "arm", "parameter"),
    [
        ("refractory", "autologous HSCT", "flare_rate_ratio"),
        ("refractory", "CD19 CAR-T (exploratory)", "flare_rate_ratio"),
        ("refractory", "CD19 CAR-T (exploratory)", "remission_probability"),
        ("refractory", "CD19 CAR-T (exploratory)", "treatment_mortality"),
        ("refractory_conservative", "autologous HSCT", "flare_rate_ratio"),
        ("refractory_conservative", "autologous HSCT", "remission_probability"),
        ("nephritis_induction", "MSC + standard care", "activity_response_ratio"),
        ("nephritis_induction", "MSC + standard care", "remission_probability"),
        ("nephritis_induction", "MSC + standard care", "flare_rate_ratio"),
        ("nephritis_induction", "IV cyclophosphamide", "flare_rate_ratio"),
    ],
)
def test_assumptions_are_tagged_a(preset, arm, parameter):
    assert _source(preset, arm, parameter)["evidence_tag"] == "A"


def test_assumption_notes_give_the_honest_interval():
    hsct = _source("refractory", "autologous HSCT", "flare_rate_ratio")
    assert "not a flare rate ratio" in hsct["note"] and "0.046" in hsct["note"] and "0.083" in hsct["note"]
    lo, hi = _exact_ci(8, 8)
    assert (round(lo, 2), hi) == (0.63, 1.0)
    assert "0.63-1.00" in _source("refractory", "CD19 CAR-T (exploratory)", "remission_probability")["note"]
    assert "0-0.37" in _source("refractory", "CD19 CAR-T (exploratory)", "treatment_mortality")["note"]
    from scipy.stats import binomtest

    for k, n in ((8, 8), (0, 8), (45, 64), (1, 12), (7, 53)):
        ci = binomtest(k, n).proportion_ci(method="exact")
        assert _exact_ci(k, n) == pytest.approx((ci.low, ci.high), abs=1e-9)


@pytest.mark.parametrize("preset", ["general_cohort", "nephritis_induction", "refractory", "refractory_conservative"])
def test_no_assumption_hides_behind_v_or_d(preset):
    table = ls.preset(preset).sources()
    strong = table[table["evidence_tag"].isin(["V", "D"])]
    for word in ("ASSUMPTION", "BEST CASE", "RECALLED"):
        assert not strong["note"].str.contains(word).any(), strong.loc[strong["note"].str.contains(word)]
    # the severity mix and SLEDAI of another population are derived, never verified
    for parameter in ("severity_probs", "sledai_increase_mean"):
        assert table.loc[table["parameter"] == parameter, "evidence_tag"].item() in ("D", "A")


def test_nephritis_msc_arm_carries_deng_2017_safety():
    neph = ls.preset("nephritis_induction")
    msc = neph.arm("MSC + standard care")
    assert msc.treatment_mortality == pytest.approx(1 / 12)
    weeks24 = 24 * 7 / 365.25
    assert 1 - math.exp(-msc.adverse_events["pneumonia"] * weeks24) == pytest.approx(2 / 12)
    note = _source("nephritis_induction", "MSC + standard care", "treatment_mortality")["note"]
    assert "subcutaneous abscess" in note and "1/12" in note and "0/6" in note
    table = neph.sources()
    assert not table["note"].str.contains("no excess adverse events reported").any()
    assert "cytopenia" not in neph.adverse_events
    lymph = table[table["parameter"] == "adverse_events.lymphopenia"]
    assert len(lymph) == 3 and (lymph["evidence_tag"] == "R").all()
    assert _source("nephritis_induction", "", "baseline_flare_rate")["evidence_tag"] == "D"


def test_refractory_conservative_uses_pooled_and_full_range_numbers():
    sc = ls.preset("refractory_conservative")
    cart, hsct = sc.arm("CD19 CAR-T (exploratory)"), sc.arm("autologous HSCT")
    # drug-free remission comes from the visits (issue 15); the pooled DORIS share stays in the source note
    assert cart.remission_probability == 0
    assert cart.treatment_mortality == pytest.approx(1 / 145)
    year = cart.adverse_event_window_years
    assert 1 - math.exp(-cart.adverse_events["serious_infection"] * year) == pytest.approx(11 / 145)
    assert hsct.treatment_mortality == pytest.approx(7 / 53)
    assert sc.baseline_flare_rate * hsct.flare_rate_ratio == pytest.approx(-math.log(0.29) / 5)
    best = ls.preset("refractory")
    for name in ("CD19 CAR-T (exploratory)", "autologous HSCT"):  # the unfavourable end of the assumed ranges
        assert sc.arm(name).activity_response_ratio < best.arm(name).activity_response_ratio
        assert sc.arm(name).withdrawal_flare_ratio > best.arm(name).withdrawal_flare_ratio
    assert hsct.treatment_mortality > best.arm("autologous HSCT").treatment_mortality
    review = _source("refractory_conservative", "CD19 CAR-T (exploratory)", "remission_probability")
    assert "40749440" in review["source"] and "DORIS remission 45/64" in review["note"]


# ------------------------------------------------------------------------- the assumption is said out loud


def test_assumed_effects_lists_non_neutral_assumptions_only():
    refr = ls.preset("refractory").assumed_effects()
    assert set(zip(refr["arm"], refr["parameter"], strict=True)) == {
        ("autologous HSCT", "flare_rate_ratio"),
        ("autologous HSCT", "activity_response_ratio"),
        ("CD19 CAR-T (exploratory)", "flare_rate_ratio"),
        ("CD19 CAR-T (exploratory)", "activity_response_ratio"),
    }
    # IVC and MSC flare_rate_ratio are tagged A but neutral (1.0): not listed
    neph = ls.preset("nephritis_induction").assumed_effects()
    # (remission_probability is 0 in every arm: neutral, not modelled; the IVC response ratio is fitted, D)
    assert list(zip(neph["arm"], neph["parameter"], strict=True)) == [
        ("MSC + standard care", "activity_response_ratio")
    ]
    assert ls.preset("general_cohort").assumed_effects().empty
    # a value the user sets is the user's, not an assumption of the preset
    user = ls.preset("nephritis_induction").with_arm("MSC + standard care", activity_response_ratio=0.5)
    assert user.assumed_effects().empty and user.assumed_effects_line() == ""
    flags = ls.preset("refractory").sources()
    assert int(flags["assumed_effect"].sum()) == 4
    line = ls.preset("refractory").assumed_effects_line()
    assert line.startswith("Assumed, not published: autologous HSCT flare_rate_ratio 0.0462 (tag A)")
    assert "\n" not in line


def test_effect_card_names_the_assumed_effects():
    cohort = ls.simulate_cohort(ls.preset("refractory", n_per_arm=30), rng=4)
    with pytest.warns(AssumedEffectWarning, match="Assumed, not published: autologous HSCT flare_rate_ratio"):
        card = ls.effect_card(cohort)
    assert card.attrs["assumed_effects"] == ls.preset("refractory").assumed_effects_line()
    quiet = ls.preset("nephritis_induction", n_per_arm=30).with_arm("MSC + standard care", activity_response_ratio=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", AssumedEffectWarning)
        card = ls.effect_card(ls.simulate_cohort(quiet, rng=4))
    assert card.attrs["assumed_effects"] == ""


def test_cli_prints_one_assumption_line(tmp_path, capsys):
    expected = ls.preset("refractory").assumed_effects_line()
    assert (
        main(["simulate", "--preset", "refractory", "--n-per-arm", "20", "--seed", "3", "--out", str(tmp_path / "r")])
        == 0
    )
    out = capsys.readouterr().out
    assert out.count("Assumed, not published") == 1 and expected in out
    assert main(["analyze", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert out.count("Assumed, not published") == 1 and expected in out
    assert main(["presets", "refractory_conservative"]) == 0
    assert ls.preset("refractory_conservative").assumed_effects_line() in capsys.readouterr().out
    assert main(["presets", "general_cohort"]) == 0
    assert "Assumed, not published" not in capsys.readouterr().out
    np.testing.assert_array_equal(
        ls.list_presets()["name"],
        [
            "general_cohort",
            "nephritis_induction",
            "refractory",
            "refractory_conservative",
            "bliss52",
            "tulip",
            "withdrawal",
            "natural_history",
            "bliss_ln",
        ],
    )


# ------------------------------------------------------------------------- withdrawal trials and remission cohorts
# (issue 15, "Can patients cope without drugs?"): the numbers were read in the abstracts named in each row's
# source_url; these tests check that the file is internally consistent, not that the code reproduces itself.


def test_withdrawal_and_remission_overlap_groups():
    assert _groups("withdrawal_trials")["canadian_hcq"] == [
        "Canadian HCQ Study Group 1991",
        "Tsakonas 1998 (Canadian HCQ follow-up)",
    ]
    assert _groups("remission_cohorts")["toronto"] == ["Steiman 2014", "Tselios 2018", "Urowitz 2005"]
    # the HCQ follow-up is the same 25 + 22 patients, not 94; Toronto is counted once, by its largest series
    assert overlap_groups("withdrawal_trials").set_index("overlap_group").loc["canadian_hcq", "patients"] == 47
    assert distinct_patients("withdrawal_trials") == 124 + 47 + 96 + 20
    assert distinct_patients("remission_cohorts") == 1613 + 224 + 2307


def test_printed_percentages_match_their_counts_to_the_printed_digit():
    # The validator allows +-0.005 (a whole percent); percentages printed with one decimal (46 (6.5%)) must
    # agree to +-0.0005, so a mistyped count (45/703 = 6.4%) or denominator cannot pass.
    for name in ("withdrawal_trials", "remission_cohorts"):
        frame = ls.load_dataset(name)
        rows = frame.dropna(subset=["events", "total", "proportion"])
        assert len(rows) >= 4
        for row in rows.itertuples():
            assert abs(row.proportion - row.events / row.total) <= 0.0005 + 1e-12, (name, row.events, row.total)
    urowitz = ls.load_dataset("remission_cohorts").query("study == 'Urowitz 2005'")
    assert sorted(zip(urowitz["events"], urowitz["total"], urowitz["min_duration_years"], strict=True)) == [
        (12, 703, 5.0),
        (46, 703, 1.0),
    ]


def test_win_lupus_risk_difference_matches_its_arms():
    win = ls.load_dataset("withdrawal_trials").query("trial == 'WIN-Lupus' and outcome == 'renal_relapse'")
    arms = win.set_index("arm_role")
    crude = arms.loc["withdrawn", "events"] / arms.loc["withdrawn", "total"] - (
        arms.loc["continued", "events"] / arms.loc["continued", "total"]
    )
    published = arms.loc["withdrawn", "risk_difference"]
    assert abs(crude - published) <= 0.0005 + 1e-12  # 12/44 - 5/40 = 0.1477, printed 14.8%
    assert (arms["n_randomised"] == 48).all() and list(arms["total"]) == [40, 44]


def test_published_risk_ratios_point_the_way_their_counts_do():
    # For every published RR with counts in both arms, the crude ratio in the stated direction must lie
    # inside the published interval: an RR put on the wrong arm (or a swapped count) lands outside.
    frame = ls.load_dataset("withdrawal_trials")
    rr = frame[(frame["effect_type"] == "RR") & frame["events"].notna()]
    assert len(rr) == 6
    for row in rr.itertuples():
        other = frame[
            (frame["trial"] == row.trial)
            & (frame["outcome"] == row.outcome)
            & (frame["arm_role"] != row.arm_role)
            & frame["events"].notna()
        ]
        (o,) = other.itertuples()
        crude = (row.events / row.total) / (o.events / o.total)
        assert row.ci_low <= crude <= row.ci_high, (row.trial, row.outcome, crude)
        assert row.comparison == f"{row.arm_role} vs {o.arm_role}"
    # and an inverted ratio would not pass: CORTICOLUP withdrawal vs maintenance is about 4, outside (0.1, 0.7)
    corti = frame[(frame["trial"] == "CORTICOLUP") & (frame["outcome"] == "flare")].set_index("arm_role")
    inverted = (17 / 63) / (4 / 61)
    assert not corti.loc["continued", "ci_low"] <= inverted <= corti.loc["continued", "ci_high"]


def test_zen_derived_total_is_the_sum_of_its_disjoint_levels():
    zen = ls.load_dataset("remission_cohorts").query("study == 'Zen 2015'")
    derived = zen[zen["evidence_tag"] == "D"]
    assert len(derived) == 1
    levels = zen[zen["evidence_tag"] == "V"]
    assert derived["events"].item() == levels["events"].sum() == 84
    assert "Thirty-seven percent" in derived["note"].item() and "16 + 33 + 35" in derived["note"].item()
    assert math.isnan(derived["proportion"].item())  # 84/224 = 37.5%: the printed 37% is kept in the note only


def test_only_urowitz_2005_is_strictly_drug_free():
    rem = ls.load_dataset("remission_cohorts")
    strict = rem[
        (rem["glucocorticoid_max_mg_day"] == 0)
        & (rem["immunosuppressants_allowed"] == False)  # noqa: E712 (a nullable boolean: <NA> is not False)
        & (rem["antimalarials_allowed"] == False)  # noqa: E712
    ]
    assert set(strict["study"]) == {"Urowitz 2005"}
    # a definition that does not say what it allows stays unknown, never counted as drug-free
    tselios = rem[rem["study"] == "Tselios 2018"]
    assert tselios["immunosuppressants_allowed"].isna().all() and tselios["glucocorticoid_max_mg_day"].isna().all()
    off = tselios[tselios["outcome"] == "off_treatment_after_remission"].iloc[0]
    assert (off["events"], off["total"]) == (12, 27)  # of the 27 in prolonged remission, not of 267


def test_wilhelm_times_keep_their_units():
    wil = ls.load_dataset("remission_cohorts").query("study == 'Wilhelm 2017'")
    to_rem = wil[wil["outcome"] == "time_to_remission"].set_index("remission_level")["median_time"]
    assert to_rem.to_dict() == {
        "DORIS clinical remission": 8.7,
        "DORIS complete remission": 11.0,
        "DORIS clinical remission on treatment": 1.8,
        "DORIS complete remission on treatment": 3.1,
    }
    assert set(wil.loc[wil["outcome"] == "time_to_remission", "time_unit"]) == {"years"}
    dur = wil[wil["outcome"] == "remission_duration"]
    assert set(dur["median_time"]) == {3.0} and set(dur["time_unit"]) == {"months"}


def test_every_withdrawal_and_remission_row_says_where_it_was_read():
    for name in ("withdrawal_trials", "remission_cohorts"):
        frame = ls.load_dataset(name)
        assert frame["source_url"].str.match(r"https?://").all()
        assert set(frame["evidence_tag"]) <= {"V", "D"}  # nothing recalled (R) in these two files


def test_cell_therapy_drug_free_rows_are_not_duplicated():
    # Mueller 2024 and Burt 2018 already carry their drug-free remission; the new files must not repeat them.
    cart = ls.load_dataset("cart_sle_cases").set_index("study")
    assert cart.loc["Muller 2024", "drug_free"] and cart.loc["Muller 2024", "outcome_events"] == 8
    for name, key in (("withdrawal_trials", "trial"), ("remission_cohorts", "study")):
        studies = set(ls.load_dataset(name)[key])
        assert not any(s.startswith(("Muller", "Mackensen", "Burt")) for s in studies)


def test_phase1_msc_series_are_single_arm_and_never_pooled_with_the_rct():
    # Kamen 2022 and Farge 2025 are phase 1 single-arm series: each its own patient pool, counted among
    # the single-arm reports, and never with Deng 2017 (the only randomised MSC trial in the data).
    from lupusstats.evidence import claims

    msc = ls.load_dataset("msc_sle_studies")
    for study, group in [("Kamen 2022", "kamen2022"), ("Farge 2025", "farge2025")]:
        rows = msc[msc.study == study]
        assert len(rows) >= 1 and set(rows.overlap_group) == {group}
        assert set(rows.design.map(claims._design_kind)) == {"non-randomised"}
    assert claims.msc_randomised()["trials"] == ["Deng 2017"]
    single = claims.msc_single_arm_reports()
    assert (single["reports"], single["pools"], single["largest_pool"]) == (7, 3, "nanjing")
    # none of the new outcomes is a remission, so the remission rows of the single-arm pool are unchanged
    new = msc[msc.study.isin(["Kamen 2022", "Farge 2025"])]
    assert not new.outcome.str.contains("remission").any()
