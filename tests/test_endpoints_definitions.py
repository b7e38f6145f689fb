"""Trial endpoint definitions on hand-built visit tables whose answers are known.

Each definition's edge cases (ENDPOINTS.md section 5 for the wording), the
estimands (death and rescue under composite vs while-on-treatment), the
kernels equal to an independent per-patient reference written here with loops
on random visit tables (several seeds), the same answers for leading shape
(P,) and (T, P), and input errors with their messages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import lupusstats as ls
from lupusstats.cohort import columns as C
from lupusstats.endpoints import VisitArrays
from lupusstats.endpoints.flares import bilag_flare_kernel, selena_flare_kernel
from lupusstats.endpoints.responders import responder_kernel

DOMAINS = C.BILAG_DOMAINS


def row(patient, week, arm="drug", bilag=None, **kw):
    """One visit: a quiet patient (SLEDAI 6, PGA 1, 5 mg/day, all BILAG D) unless told otherwise."""
    out = dict(
        patient=patient,
        arm=arm,
        week=week,
        sledai=6,
        clinical_sledai=6,
        pga=1.0,
        prednisone_mg=5.0,
        on_immunosuppressant=False,
        on_antimalarial=True,
        rescue=False,
        major_organ_activity=False,
        new_activity=False,
        **{c: "D" for c in C.BILAG_COLUMNS},
    )
    for domain, grade in (bilag or {}).items():
        out[C.bilag_column(domain)] = grade
    if "sledai" in kw and "clinical_sledai" not in kw:
        kw["clinical_sledai"] = min(kw["sledai"], 6)
    out.update(kw)
    return out


def table(*rows):
    return pd.DataFrame(list(rows))


def two_visits(base=None, end=None, week=52):
    """Patient 1: a baseline and one assessment visit."""
    return table(row(1, 0, **(base or {})), row(1, week, **(end or {})))


def one(func, visits, **kw):
    out = func(visits, **kw)
    assert len(out) == 1
    return bool(out["responder"].iloc[0]), out["reason"].iloc[0]


# --------------------------------------------------------------------------- SRI
def test_sri4_four_point_drop_responds_and_a_new_bilag_a_undoes_it():
    assert one(ls.sri_response, two_visits({"sledai": 10}, {"sledai": 6})) == (True, "")
    new_a = two_visits({"sledai": 10}, {"sledai": 6, "bilag": {"renal": "A"}})
    assert one(ls.sri_response, new_a) == (False, "new BILAG A")
    assert one(ls.sri_response, two_visits({"sledai": 10}, {"sledai": 7})) == (False, "SLEDAI reduction < 4")


def test_sri_an_a_present_at_baseline_is_not_new():
    v = two_visits({"sledai": 10, "bilag": {"renal": "A"}}, {"sledai": 6, "bilag": {"renal": "A"}})
    assert one(ls.sri_response, v)[0]


def test_sri_exactly_one_new_b_is_allowed_two_are_not():
    one_b = two_visits({"sledai": 10}, {"sledai": 6, "bilag": {"mucocutaneous": "B"}})
    assert one(ls.sri_response, one_b)[0]
    from_c = two_visits({"sledai": 10, "bilag": {"renal": "C"}}, {"sledai": 6, "bilag": {"renal": "B"}})
    assert one(ls.sri_response, from_c)[0]
    two_b = two_visits({"sledai": 10}, {"sledai": 6, "bilag": {"mucocutaneous": "B", "musculoskeletal": "B"}})
    assert one(ls.sri_response, two_b) == (False, "more than one new BILAG B")
    # a B that was already B at baseline is not new
    kept = two_visits(
        {"sledai": 10, "bilag": {"musculoskeletal": "B"}},
        {"sledai": 6, "bilag": {"mucocutaneous": "B", "musculoskeletal": "B"}},
    )
    assert one(ls.sri_response, kept)[0]


@pytest.mark.parametrize(
    ("pga0", "pga1", "ok"),
    [(1.0, 1.3, False), (1.0, 1.29, True), (0.9, 1.2, False), (0.0, 0.3, False), (2.0, 1.0, True)],
)
def test_sri_pga_increase_of_03_fails_029_passes(pga0, pga1, ok):
    # 1.2 - 0.9 is 0.29999999999999993 in binary floating point: still an increase of 0.3
    v = two_visits({"sledai": 10, "pga": pga0}, {"sledai": 6, "pga": pga1})
    assert one(ls.sri_response, v)[0] is ok


def test_sri_k_options():
    v = two_visits({"sledai": 12}, {"sledai": 6})
    assert [one(ls.sri_response, v, k=k)[0] for k in (4, 5, 6, 7, 8)] == [True, True, True, False, False]
    with pytest.raises(ValueError, match="`k`.*4, 5, 6, 7 or 8, got 3"):
        ls.sri_response(v, k=3)
    with pytest.raises(TypeError, match="`k` must be an integer"):
        ls.sri_response(v, k=4.0)


# --------------------------------------------------------------------------- BICLA
@pytest.mark.parametrize(
    ("g0", "g1", "ok"),
    [("B", "B", False), ("B", "C", True), ("B", "D", True), ("A", "B", True), ("A", "A", False), ("C", "C", True)],
)
def test_bicla_every_baseline_a_b_domain_improves(g0, g1, ok):
    v = two_visits({"bilag": {"musculoskeletal": g0}}, {"bilag": {"musculoskeletal": g1}})
    got, reason = one(ls.bicla_response, v)
    assert got is ok
    if not ok:
        assert reason == "a baseline BILAG A/B domain did not improve"


@pytest.mark.parametrize(
    ("pga0", "pga1", "ok"), [(1.0, 1.1, True), (1.0, 1.11, False), (0.0, 0.0, True), (0.0, 0.1, False)]
)
def test_bicla_pga_not_worse_by_more_than_10_percent_and_baseline_zero(pga0, pga1, ok):
    v = two_visits({"pga": pga0}, {"pga": pga1})
    assert one(ls.bicla_response, v)[0] is ok


def test_bicla_sledai_worse_and_new_domains_and_rescue_fail():
    assert one(ls.bicla_response, two_visits({}, {"sledai": 7})) == (False, "SLEDAI worse than baseline")
    assert one(ls.bicla_response, two_visits({}, {"bilag": {"renal": "A"}})) == (False, "new BILAG A")
    # rescue is a BICLA criterion (treatment failure) and an intercurrent event
    assert one(ls.bicla_response, two_visits({}, {"rescue": True})) == (False, "rescue therapy")


# --------------------------------------------------------------------------- LLDAS, DORIS, drug-free remission
@pytest.mark.parametrize(
    ("change", "ok", "reason"),
    [
        ({}, True, ""),
        ({"prednisone_mg": 7.5}, True, ""),
        ({"prednisone_mg": 7.6}, False, "prednisone > 7.5 mg/day"),
        ({"sledai": 5}, False, "SLEDAI-2K > 4"),
        ({"major_organ_activity": True}, False, "major organ activity"),
        ({"bilag": {"haematological": "A"}}, False, "haemolytic anaemia (BILAG haematological A)"),
        ({"bilag": {"haematological": "B"}}, True, ""),
        ({"bilag": {"gastrointestinal": "B"}}, False, "gastrointestinal activity (BILAG A/B)"),
        ({"bilag": {"gastrointestinal": "C"}}, True, ""),
        ({"new_activity": True}, False, "new activity"),
        ({"pga": 1.0}, True, ""),
        ({"pga": 1.01}, False, "PGA > 1"),
        ({"on_immunosuppressant": True}, True, ""),
    ],
)
def test_lldas_criteria(change, ok, reason):
    end = {"sledai": 4, "clinical_sledai": 2, **change}
    assert one(ls.lldas, two_visits({"sledai": 10}, end)) == (ok, reason)


def _lldas_series(states, attended=None):
    """Visits every 4 weeks to 52; LLDAS where states[i] is True (else PGA 2)."""
    rows = []
    for i, in_state in enumerate(states):
        if attended is not None and not attended[i]:
            continue
        rows.append(row(1, 4 * i, sledai=4 if in_state else 8, clinical_sledai=2, pga=0.5 if in_state else 2.0))
    return table(*rows)


def test_lldas_sustained_and_time_in_state():
    states = [False] * 10 + [True] * 4  # weeks 40, 44, 48, 52 in LLDAS
    v = _lldas_series(states)
    assert one(ls.lldas, v, sustained_visits=4)[0]
    assert one(ls.lldas, v, sustained_visits=5) == (False, "not sustained for 5 visits")
    assert one(ls.lldas, v, sustained_weeks=12)[0]
    assert not one(ls.lldas, v, sustained_weeks=13)[0]
    assert ls.lldas(v)["time_in_state"].iloc[0] == pytest.approx(4 / 13)
    # a missed visit inside the window breaks a sustained state
    missed = _lldas_series(states, attended=[True] * 11 + [False] + [True] * 2)
    assert not one(ls.lldas, missed, sustained_visits=4)[0]
    assert ls.lldas(missed)["time_in_state"].iloc[0] == pytest.approx(3 / 12)
    with pytest.raises(ValueError, match="not both"):
        ls.lldas(v, sustained_visits=2, sustained_weeks=8)


@pytest.mark.parametrize(
    ("dose", "inclusive", "ok"), [(5.0, True, True), (5.0, False, False), (4.9, False, True), (5.1, True, False)]
)
def test_doris_prednisone_cut_off_le_vs_lt(dose, inclusive, ok):
    end = {"sledai": 2, "clinical_sledai": 0, "pga": 0.2, "prednisone_mg": dose}
    assert one(ls.doris_remission, two_visits({}, end), inclusive=inclusive)[0] is ok


def test_doris_pga_below_half_and_serology_ignored():
    end = {"sledai": 4, "clinical_sledai": 0, "pga": 0.49}
    assert one(ls.doris_remission, two_visits({}, end))[0]
    assert one(ls.doris_remission, two_visits({}, {**end, "pga": 0.5})) == (False, "PGA >= 0.5")
    assert one(ls.doris_remission, two_visits({}, {**end, "clinical_sledai": 1})) == (False, "clinical SLEDAI > 0")


@pytest.mark.parametrize(
    ("change", "options", "ok", "reason"),
    [
        ({}, {}, True, ""),
        ({"prednisone_mg": 2.5}, {}, False, "on glucocorticoids"),
        ({"on_immunosuppressant": True}, {}, False, "on an immunosuppressant"),
        ({}, {"allow_antimalarials": False}, False, "on an antimalarial"),
        ({"on_antimalarial": False}, {"allow_antimalarials": False}, True, ""),
        ({"pga": 0.6}, {"definition": "doris"}, False, "PGA >= 0.5"),
        ({"pga": 0.6}, {}, True, ""),
    ],
)
def test_drug_free_remission(change, options, ok, reason):
    end = {"sledai": 2, "clinical_sledai": 0, "pga": 0.2, "prednisone_mg": 0.0, **change}
    assert one(ls.drug_free_remission, two_visits({}, end), **options) == (ok, reason)


# --------------------------------------------------------------------------- estimands
def _sri_course(last_week=52, rescue_from=None, doses=None):
    """SLEDAI 10 at baseline, 4 from week 4; visits every 4 weeks up to `last_week`."""
    rows = []
    for w in range(0, last_week + 1, 4):
        kw = {"sledai": 10 if w == 0 else 4, "rescue": rescue_from is not None and w >= rescue_from}
        if doses and w in doses:
            kw["prednisone_mg"] = doses[w]
        rows.append(row(1, w, **kw))
    rows.append(row(2, 0, sledai=10))  # patient 2 keeps the grid reaching week 52
    rows.extend(row(2, w, sledai=10) for w in range(4, 53, 4))
    return table(*rows)


def test_death_is_a_non_responder_under_composite_and_assessed_at_the_last_visit_while_on_treatment():
    v = _sri_course(last_week=48)  # no row at week 52: died or left after week 48
    comp = ls.sri_response(v).iloc[0]
    assert not comp["responder"] and comp["reason"].startswith("did not attend the assessment visit")
    wot = ls.sri_response(v, estimand="while_on_treatment").iloc[0]
    assert wot["responder"] and wot["assessed_week"] == 48


def test_rescue_is_a_non_responder_under_composite_and_assessed_before_it_while_on_treatment():
    v = _sri_course(rescue_from=24)
    comp = ls.sri_response(v).iloc[0]
    assert not comp["responder"] and comp["reason"] == "rescue therapy"
    wot = ls.sri_response(v, estimand="while_on_treatment").iloc[0]
    assert wot["responder"] and wot["assessed_week"] == 20


def test_a_prohibited_steroid_dose_in_the_window_is_an_intercurrent_event():
    v = _sri_course(doses={20: 15.0})
    assert one_of(ls.sri_response(v, steroid_limit=10.0)) == (False, "prohibited glucocorticoid dose")
    # outside the window: no event
    assert one_of(ls.sri_response(v, steroid_limit=10.0, steroid_window=(24, 52))) == (True, "")
    wot = ls.sri_response(v, steroid_limit=10.0, estimand="while_on_treatment").iloc[0]
    assert wot["assessed_week"] == 16
    with pytest.raises(ValueError, match="`steroid_window` needs `steroid_limit`"):
        ls.sri_response(v, steroid_window=(24, 52))


def one_of(frame):
    return bool(frame["responder"].iloc[0]), frame["reason"].iloc[0]


def test_while_on_treatment_with_rescue_at_baseline_is_a_non_responder():
    v = table(row(1, 0, sledai=10, rescue=True), row(1, 52, sledai=2, rescue=True))
    assert one(ls.sri_response, v, estimand="while_on_treatment") == (False, "rescue therapy")


# --------------------------------------------------------------------------- flares
def _severity(frame):
    return dict(zip(frame["week"], frame["severity"].astype(str), strict=True))


def test_sfi_severe_via_sledai_above_12_versus_via_prednisone():
    v = table(
        row(1, 0, sledai=10, prednisone_mg=5.0),
        row(1, 4, sledai=14, prednisone_mg=5.0),  # +4 to 14: severe via SLEDAI
        row(1, 8, sledai=14, prednisone_mg=36.0),  # > 0.5 mg/kg/day at 70 kg (35 mg): severe via prednisone
        row(1, 12, sledai=14, prednisone_mg=36.0),  # nothing changed: no flare
        row(1, 16, sledai=8, prednisone_mg=36.0),
        row(1, 20, sledai=13, prednisone_mg=36.0),  # +5 to 13: severe
        row(2, 0, prednisone_mg=5.0, weight_kg=100.0),
        row(2, 4, prednisone_mg=40.0, weight_kg=100.0),
    )
    out = ls.selena_flares(v)
    assert out[["patient", "week"]].values.tolist() == [[1, 4], [1, 8], [1, 20], [2, 4]]
    assert out["severity"].astype(str).tolist() == ["severe", "severe", "severe", "mild/moderate"]
    assert list(out["trigger"][:2]) == ["SLEDAI rise to > 12", "prednisone raised above 0.5 mg/kg/day"]
    # at 100 kg (weight from the table), 40 mg/day is below 50 mg: a raise, mild/moderate
    assert out["trigger"].iloc[-1] == "prednisone raised"
    # a rise of 2 to 13 is not a flare (rise < 3)
    small = table(row(1, 0, sledai=11), row(1, 4, sledai=13))
    assert len(ls.selena_flares(small)) == 0


def test_sfi_pga_rises_and_treatment_starts():
    v = table(
        row(1, 0, pga=0.5, on_antimalarial=False),
        row(1, 4, pga=1.5, on_antimalarial=False),  # PGA +1: mild/moderate
        row(1, 8, pga=2.6, on_antimalarial=False),  # above 2.5: severe
        row(1, 12, pga=2.6, on_antimalarial=True),  # antimalarial started: mild/moderate
        row(1, 16, pga=2.6, on_antimalarial=True, on_immunosuppressant=True),  # immunosuppressant started: severe
    )
    assert _severity(ls.selena_flares(v)) == {4: "mild/moderate", 8: "severe", 12: "mild/moderate", 16: "severe"}


def test_bilag_flares_mild_moderate_severe_and_new_means_worse_than_previous_visit():
    v = table(
        row(1, 0),
        row(1, 4, bilag={"mucocutaneous": "B"}),  # one new B: mild
        row(1, 8, bilag={"mucocutaneous": "B", "renal": "C"}),  # B kept: not new
        row(1, 12, bilag={"mucocutaneous": "B", "renal": "B", "musculoskeletal": "B"}),  # two new B: moderate
        row(1, 16, bilag={"renal": "A"}),  # new A: severe
        row(1, 20, bilag={"renal": "A", "mucocutaneous": "B", "musculoskeletal": "B"}),  # two new B (after D)
    )
    out = ls.bilag_flares(v)
    assert _severity(out) == {4: "mild", 12: "moderate", 16: "severe", 20: "moderate"}
    assert out["new_b"].tolist() == [1, 2, 0, 2]


def test_flares_compare_with_the_previous_attended_visit():
    # week 4 missed: week 8 is compared with week 0
    v = table(row(1, 0, sledai=4), row(1, 8, sledai=8), row(2, 0), row(2, 4), row(2, 8))
    out = ls.selena_flares(v)
    assert out[["patient", "week"]].values.tolist() == [[1, 8]]


# --------------------------------------------------------------------------- steroid taper
def _taper(doses, patient=1, skip=()):
    weeks = [0, 36, 40, 44, 48, 52]
    return [row(patient, w, prednisone_mg=d) for w, d in zip(weeks, doses, strict=True) if w not in skip]


def test_sustained_taper_from_week_40_to_52():
    v = table(
        *_taper([15, 10, 7.5, 7.5, 5, 5], 1),
        *_taper([15, 10, 7.5, 7.5, 8, 5], 2),  # 8 mg at week 48
        *_taper([9, 5, 5, 5, 5, 5], 3),  # baseline below 10: not eligible
        *_taper([10, 5, 5, 5, 5, 5], 4, skip=(44,)),  # a visit in the window missed
        *_taper([10, 20, 5, 5, 5, 5], 5),  # above 7.5 before week 40 only
    )
    out = ls.steroid_taper(v)
    assert out["responder"].tolist() == [True, False, False, False, True]
    assert out["eligible"].tolist() == [True, True, False, True, True]
    assert out["reason"].tolist()[1:4] == [
        "prednisone > 7.5 mg/day from week 40",
        "not eligible",
        "a visit from week 40 missed",
    ]
    rates = ls.responder_rates(v, "steroid_taper")
    assert rates[["n", "responders"]].values.tolist() == [[4, 2]]


# --------------------------------------------------------------------------- renal response
def _renal(base, end, week=104):
    return two_visits(base, end, week=week)


@pytest.mark.parametrize(
    ("end", "ok"),
    [
        ({"upcr": 0.7, "egfr": 100.0}, True),
        ({"upcr": 0.71, "egfr": 100.0}, False),
        ({"upcr": 0.5, "egfr": 64.0}, True),  # eGFR 20% below 80 (and >= 60)
        ({"upcr": 0.5, "egfr": 63.9}, True),  # more than 20% below 80 but >= 60
    ],
)
def test_perr_boundaries_from_80(end, ok):
    v = _renal({"upcr": 3.0, "egfr": 80.0}, end)
    assert one(ls.renal_response, v, week=104)[0] is ok


@pytest.mark.parametrize(("egfr1", "ok"), [(56.0, True), (55.9, False)])
def test_perr_egfr_20_percent_below_baseline_under_60(egfr1, ok):
    v = _renal({"upcr": 3.0, "egfr": 70.0}, {"upcr": 0.5, "egfr": egfr1})
    assert one(ls.renal_response, v, week=104)[0] is ok


@pytest.mark.parametrize(
    ("end", "ok"),
    [
        ({"upcr": 0.5, "egfr": 100.0}, False),
        ({"upcr": 0.49, "egfr": 100.0}, True),
        ({"upcr": 0.49, "egfr": 90.0}, True),  # 10% below 100, and >= 90
        ({"upcr": 0.49, "egfr": 89.9}, False),
    ],
)
def test_crr_boundaries(end, ok):
    v = _renal({"upcr": 3.0, "egfr": 100.0}, end)
    assert one(ls.renal_response, v, week=104, definition="crr")[0] is ok


@pytest.mark.parametrize(
    ("base", "end", "ok"),
    [
        ({"upcr": 4.0, "egfr": 80.0}, {"upcr": 2.0, "egfr": 80.0}, True),  # halved
        ({"upcr": 8.0, "egfr": 80.0}, {"upcr": 2.9, "egfr": 80.0}, True),  # below 3 from >= 3
        ({"upcr": 2.0, "egfr": 80.0}, {"upcr": 1.1, "egfr": 80.0}, False),
        ({"upcr": 4.0, "egfr": 80.0}, {"upcr": 1.0, "egfr": 63.9}, False),  # eGFR down > 20%
    ],
)
def test_alms_response(base, end, ok):
    assert one(ls.renal_response, _renal(base, end, week=24), week=24, definition="alms")[0] is ok


def test_renal_rescue_and_missing_values_are_non_responses():
    v = _renal({"upcr": 3.0, "egfr": 80.0}, {"upcr": 0.2, "egfr": 80.0, "rescue": True})
    assert one(ls.renal_response, v, week=104) == (False, "rescue therapy")
    v = _renal({"upcr": 3.0, "egfr": 80.0}, {"upcr": np.nan, "egfr": 80.0})
    assert one(ls.renal_response, v, week=104) == (False, "UPCR missing")


# --------------------------------------------------------------------------- responder_rates
def test_responder_rates_counts_and_wilson_interval_by_its_formula():
    rows = []
    for p in range(7):
        drop = 5 if p < 3 else 0
        rows += [row(p, 0, arm="placebo", sledai=10), row(p, 52, arm="placebo", sledai=10 - drop)]
    for p in range(7, 12):
        rows += [row(p, 0, arm="drug", sledai=10), row(p, 52, arm="drug", sledai=4)]
    rates = ls.responder_rates(table(*rows), "sri4", confidence_level=0.9)
    assert rates["arm"].tolist() == ["placebo", "drug"]
    assert rates[["n", "responders"]].values.tolist() == [[7, 3], [5, 5]]
    x, n = 3, 7
    z = stats.norm.ppf(0.95)
    p = x / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert rates["ci_low"].iloc[0] == pytest.approx(centre - half, abs=1e-12)
    assert rates["ci_high"].iloc[0] == pytest.approx(centre + half, abs=1e-12)
    assert rates["ci_high"].iloc[1] == 1.0
    ref = ls.responder_rates(table(*rows), "sri4", reference="drug")
    assert ref["arm"].tolist() == ["drug", "placebo"]


def test_responder_rates_accepts_a_cohort_and_names_the_group_column():
    rows = [row(1, 0, sledai=10), row(1, 52, sledai=4), row(2, 0, arm="placebo"), row(2, 52, arm="placebo")]
    visits = table(*rows).rename(columns={"arm": "treatment"})
    patients = pd.DataFrame({"patient": [1, 2], "treatment": ["placebo", "drug"][::-1]})
    cohort = ls.Cohort(patients, visits=visits, arm_names=("placebo", "drug"))
    out = ls.responder_rates(cohort, "sri4", group="treatment")
    assert out.columns[0] == "treatment"
    assert out[["treatment", "responders"]].values.tolist() == [["placebo", 0], ["drug", 1]]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda v: ls.responder_rates(v, "sri5"), ValueError, r"unknown `endpoint` 'sri5'; allowed: \['sri4'"),
        (lambda v: ls.responder_rates(v, 4), TypeError, "`endpoint` must be a string"),
        (
            lambda v: ls.responder_rates(v, "sri4", week=50),
            ValueError,
            r"`week` 50 is not a scheduled visit.*\[0, 52\]",
        ),
        (lambda v: ls.responder_rates(v, "renal_response"), ValueError, "needs the nephritis columns"),
        (lambda v: ls.responder_rates(v, "sri4", reference="x"), ValueError, "`reference` 'x' is not an arm"),
        (lambda v: ls.responder_rates(v, "sri4", estimand="ppt"), ValueError, "`estimand` must be one of"),
        (lambda v: ls.responder_rates(v, "sri4", confidence_level=95), ValueError, "confidence_level"),
        (lambda v: ls.responders(v, "renal_response", definition="crr"), TypeError, "fixes"),
        (lambda v: ls.responders(v.to_numpy(), "sri4"), TypeError, "must be a Cohort, a visits DataFrame"),
    ],
)
def test_responder_input_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(two_visits())


def test_a_cohort_without_visits_is_refused():
    cohort = ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=5), rng=1)
    cohort = ls.Cohort(cohort.patients, cohort.flares, arm_names=cohort.arm_names, source=("test",))
    with pytest.raises(ValueError, match="no visits table"):
        ls.responder_rates(cohort, "sri4")


# --------------------------------------------------------------------------- visit_arrays checks
@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda v: v.drop(columns="pga"), ValueError, r"missing column\(s\) \['pga'\]"),
        (lambda v: v.drop(columns=["bilag_renal", "rescue"]), ValueError, r"\['rescue', 'bilag_renal'\]"),
        (lambda v: pd.concat([v, v.iloc[[0]]]), ValueError, "duplicate \\(patient, week\\).*patient=1, week=0"),
        (lambda v: v.assign(bilag_renal=["F", "D"]), ValueError, "'F' is not a BILAG-2004 grade"),
        (lambda v: v.assign(bilag_renal=[None, "D"]), ValueError, "missing grade"),
        (lambda v: v.assign(sledai=[-1, 4]), ValueError, "'sledai'.*-1 is out of range"),
        (lambda v: v.assign(pga=[3.5, 1.0]), ValueError, "'pga'.*allowed 0-3"),
        (lambda v: v.assign(clinical_sledai=[8, 4], sledai=[6, 4]), ValueError, "not above the total"),
        (lambda v: v.assign(prednisone_mg=[np.nan, 1.0]), ValueError, "missing value"),
        (lambda v: v.assign(week=[4, 52]), ValueError, "no week-0"),
        (lambda v: v.assign(arm=["drug", "placebo"]), ValueError, "'placebo', but patient \\[1\\] is in 'drug'"),
        (lambda v: v.assign(rescue=["no", "no"]), TypeError, "'rescue' must be boolean"),
        (lambda v: v.assign(pga=["1", "1"]), TypeError, "'pga' must be numeric"),
        (lambda v: v.to_dict(), TypeError, "must be a pandas DataFrame"),
    ],
)
def test_visit_arrays_input_errors(change, error, match):
    with pytest.raises(error, match=match):
        ls.visit_arrays(change(two_visits()))


def test_visit_arrays_grid_patients_and_categorical_grades():
    v = table(row(1, 0), row(1, 12), row(2, 0), row(2, 4), row(2, 12))
    v["bilag_renal"] = pd.Categorical(["C", "B", "D", "E", "a"], categories=["A", "B", "C", "D", "E", "a"])
    patients = pd.DataFrame({"patient": [2, 1, 3], "arm": ["drug"] * 3})
    with pytest.raises(ValueError, match="has no week-0"):
        ls.visit_arrays(v, patients=patients)  # patient 3 never attended
    arrays = ls.visit_arrays(v, patients=patients.iloc[:2])
    assert arrays.week.tolist() == [0, 4, 12]
    assert arrays.ids["patient"].tolist() == [2, 1]
    assert arrays.attended.tolist() == [[True, True, True], [True, False, True]]
    assert arrays.bilag[0, :, DOMAINS.index("renal")].tolist() == [3, 4, 0]
    assert arrays.upcr is None and not arrays.has_renal
    with pytest.raises(ValueError, match="not in `patients`"):
        ls.visit_arrays(v, patients=patients.iloc[:1])


def test_rescue_is_carried_forward():
    v = table(row(1, 0), row(1, 4, rescue=True), row(1, 8, rescue=False))
    assert ls.visit_arrays(v).rescue.tolist() == [[False, True, True]]


# --------------------------------------------------------------------------- kernels vs an independent reference
WEEKS = list(range(0, 53, 4))
GRADES = C.BILAG_GRADES


def random_visits(seed, n=60):
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(n):
        arm = "drug" if p % 2 else "placebo"
        last = WEEKS[-1] if rng.random() < 0.8 else int(rng.choice(WEEKS[1:]))
        rescue_from = int(rng.choice(WEEKS[1:])) if rng.random() < 0.15 else 999
        for w in WEEKS:
            if w > last or (w > 0 and rng.random() < 0.05):
                continue
            s = int(rng.integers(0, 16))
            grades = rng.choice(len(GRADES), size=len(DOMAINS), p=[0.05, 0.15, 0.2, 0.4, 0.2])
            rows.append(
                dict(
                    patient=p,
                    arm=arm,
                    week=w,
                    sledai=s,
                    clinical_sledai=int(rng.integers(0, s + 1)) if rng.random() < 0.7 else 0,
                    pga=float(rng.choice([0.0, 0.2, 0.4, 0.5, 0.8, 1.0, 1.3, 1.5, 2.0, 2.6])),
                    prednisone_mg=float(rng.choice([0.0, 2.5, 5.0, 7.5, 10.0, 15.0, 40.0])),
                    on_immunosuppressant=bool(rng.random() < 0.4),
                    on_antimalarial=bool(rng.random() < 0.7),
                    rescue=w >= rescue_from,
                    major_organ_activity=bool(rng.random() < 0.2),
                    new_activity=bool(rng.random() < 0.15),
                    upcr=float(rng.choice([0.2, 0.5, 0.7, 0.71, 1.5, 3.0, 4.0])),
                    egfr=float(rng.choice([50.0, 59.0, 60.0, 70.0, 85.0, 90.0, 100.0])),
                    **{C.bilag_column(d): GRADES[g] for d, g in zip(DOMAINS, grades, strict=True)},
                )
            )
    return pd.DataFrame(rows)


def _reference(visits, endpoint, week, estimand):
    """Per-patient loops, written from the definitions (not from the library's code)."""
    out = []
    for _, pv in visits.groupby("patient", sort=False):
        by = {int(r.week): r for r in pv.itertuples()}
        base = by[0]
        attended = sorted(by)
        ice = [w for w in attended if w <= week and by[w].rescue]
        if estimand == "composite":
            if week not in by or ice:
                out.append(False)
                continue
            at = week
        else:
            before = [w for w in attended if w <= week and (not ice or w < ice[0])]
            if not before:
                out.append(False)
                continue
            at = before[-1]
        now = by[at]
        g0 = [GRADES.index(getattr(base, C.bilag_column(d))) for d in DOMAINS]
        g1 = [GRADES.index(getattr(now, C.bilag_column(d))) for d in DOMAINS]
        new_a = sum(a == 0 and b != 0 for b, a in zip(g0, g1, strict=True))
        new_b = sum(a == 1 and b >= 2 for b, a in zip(g0, g1, strict=True))
        if endpoint == "sri4":
            ok = base.sledai - now.sledai >= 4 and new_a == 0 and new_b <= 1 and now.pga - base.pga < 0.3 - 1e-9
        elif endpoint == "bicla":
            improved = all(a > b for b, a in zip(g0, g1, strict=True) if b <= 1)
            ok = (
                improved
                and new_a == 0
                and new_b <= 1
                and now.sledai <= base.sledai
                and now.pga <= 1.1 * base.pga + 1e-9
                and not now.rescue
            )
        elif endpoint == "lldas":
            ok = (
                now.sledai <= 4
                and not now.major_organ_activity
                and now.bilag_haematological != "A"
                and now.bilag_gastrointestinal not in ("A", "B")
                and not now.new_activity
                and now.pga <= 1
                and now.prednisone_mg <= 7.5
            )
        elif endpoint == "doris":
            ok = now.clinical_sledai == 0 and now.pga < 0.5 and now.prednisone_mg <= 5
        elif endpoint == "renal_response":
            ok = now.upcr <= 0.7 and (now.egfr >= 60 or now.egfr >= 0.8 * base.egfr - 1e-9) and not now.rescue
        else:
            raise AssertionError(endpoint)
        out.append(bool(ok))
    return np.array(out)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("endpoint", ["sri4", "bicla", "lldas", "doris", "renal_response"])
@pytest.mark.parametrize("estimand", ["composite", "while_on_treatment"])
def test_table_and_kernel_equal_an_independent_reference(seed, endpoint, estimand):
    visits = random_visits(seed)
    expected = _reference(visits, endpoint, 52, estimand)
    table_out = ls.responders(visits, endpoint, estimand=estimand)
    np.testing.assert_array_equal(table_out["responder"].to_numpy(), expected)
    arrays = ls.visit_arrays(visits)
    got, eligible = responder_kernel(arrays, endpoint, arrays.week_index(52), estimand=estimand)
    np.testing.assert_array_equal(got, expected)
    assert eligible.all()
    # the reference must not be trivially constant on these tables
    assert 0 < expected.sum() < expected.size or endpoint in ("doris",)


def _stack(arrays_list):
    """Arrays of several tables on one grid, stacked to leading shape (T, P)."""
    first = arrays_list[0]
    fields = {}
    for name in (
        "attended",
        "sledai",
        "clinical_sledai",
        "pga",
        "prednisone_mg",
        "on_immunosuppressant",
        "on_antimalarial",
        "rescue",
        "major_organ_activity",
        "new_activity",
        "bilag",
        "upcr",
        "egfr",
    ):
        fields[name] = np.stack([getattr(a, name) for a in arrays_list])
    return VisitArrays(week=first.week, **fields)


@pytest.mark.parametrize("endpoint", ["sri4", "bicla", "lldas", "doris", "drug_free_remission", "steroid_taper"])
@pytest.mark.parametrize("estimand", ["composite", "while_on_treatment"])
def test_kernels_give_the_same_answers_for_leading_shapes_p_and_t_p(endpoint, estimand):
    tables = [random_visits(seed, n=40) for seed in (11, 12, 13)]
    arrays = [ls.visit_arrays(t) for t in tables]
    assert all(a.week.tolist() == WEEKS for a in arrays)
    stacked = _stack(arrays)
    assert stacked.shape == (3, 40)
    w = stacked.week_index(52)
    got, eligible = responder_kernel(stacked, endpoint, w, estimand=estimand, steroid_limit=20.0)
    for t, a in enumerate(arrays):
        one_got, one_eligible = responder_kernel(a, endpoint, w, estimand=estimand, steroid_limit=20.0)
        np.testing.assert_array_equal(got[t], one_got)
        np.testing.assert_array_equal(eligible[t], one_eligible)
        table_out = ls.responders(tables[t], endpoint, estimand=estimand, steroid_limit=20.0)
        np.testing.assert_array_equal(table_out["responder"].to_numpy(), one_got)
    flares = selena_flare_kernel(stacked), bilag_flare_kernel(stacked)
    for t, a in enumerate(arrays):
        np.testing.assert_array_equal(flares[0][t], selena_flare_kernel(a))
        np.testing.assert_array_equal(flares[1][t], bilag_flare_kernel(a))


def test_flare_tables_equal_the_kernels_on_random_tables():
    for seed in (4, 5):
        visits = random_visits(seed)
        arrays = ls.visit_arrays(visits)
        codes = bilag_flare_kernel(arrays)
        out = ls.bilag_flares(visits)
        assert len(out) == int((codes > 0).sum())
        sfi = ls.selena_flares(visits)
        assert (sfi["severity"] == "severe").sum() == int((selena_flare_kernel(arrays) == 2).sum())


def test_visit_arrays_checks_shapes():
    good = ls.visit_arrays(two_visits())
    with pytest.raises(ValueError, match="`sledai` must have the shape of `attended`"):
        VisitArrays(**{**_fields(good), "sledai": np.zeros((1, 3), int)})
    with pytest.raises(ValueError, match="start at 0"):
        VisitArrays(**{**_fields(good), "week": np.array([4, 52])})
    with pytest.raises(ValueError, match="`bilag` must have shape"):
        VisitArrays(**{**_fields(good), "bilag": np.zeros((1, 2, 8), np.int8)})


def _fields(arrays):
    import dataclasses

    return {f.name: getattr(arrays, f.name) for f in dataclasses.fields(arrays)}
