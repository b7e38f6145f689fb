"""The disease-activity model behind the visits table (lupusstats/model/activity.py).

Checks that the visits agree with the rest of the simulation (baseline SLEDAI,
flares, dropout and death), that the model returns what it was given
(prednisone distribution, drug use, serology), that the flare process is
unchanged by the visits, and that the treatment effect moves the endpoints.
Distribution checks use large simulated populations with 99.9% binomial
tolerances, stated at each check.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lupusstats as ls
from lupusstats.cohort import columns as C
from lupusstats.endpoints.responders import responder_kernel
from lupusstats.model.activity import visit_weeks
from lupusstats.model.scenario import _WEEK

Z999 = 3.29  # two-sided 99.9% normal quantile


def _binomial_ok(observed: float, p: float, n: int) -> bool:
    return abs(observed - p) <= Z999 * math.sqrt(p * (1 - p) / n) + 1e-12


@pytest.fixture(scope="module")
def cohort():
    return ls.simulate_cohort(ls.preset("tulip", n_per_arm=1500), rng=11)


def test_visits_table_shape(cohort):
    visits = cohort.visits
    assert list(visits.columns) == [c for c in C.VISIT_COLUMNS if c != C.TRIAL]
    assert not visits.duplicated([C.PATIENT, C.WEEK]).any()
    assert set(visits[C.WEEK]) == set(visit_weeks(cohort.scenario))
    assert (visits.groupby(C.PATIENT)[C.WEEK].min() == 0).all()
    for column in C.BILAG_COLUMNS:
        assert list(visits[column].cat.categories) == list(C.BILAG_GRADES)
    assert visits[C.PGA].between(0, 3).all()
    assert (visits[C.SLEDAI] >= visits[C.CLINICAL_SLEDAI]).all()


def test_visits_end_at_death_or_dropout(cohort):
    last = cohort.visits.groupby(C.PATIENT)[C.WEEK].max()
    follow = cohort.patients.set_index(C.PATIENT)[C.FOLLOWUP_YEARS]
    # the last visit attended is the last scheduled one at or before the end of follow-up
    step = cohort.scenario.activity.visit_weeks
    expected = np.minimum(np.floor(follow / _WEEK / step + 1e-6) * step, visit_weeks(cohort.scenario)[-1])
    assert (last.sort_index().to_numpy() == expected.sort_index().to_numpy()).all()


def test_week0_sledai_is_the_patients_baseline(cohort):
    week0 = cohort.visits[cohort.visits[C.WEEK] == 0].set_index(C.PATIENT)[C.SLEDAI].sort_index()
    baseline = cohort.patients.set_index(C.PATIENT)[C.BASELINE_SLEDAI].sort_index()
    assert (week0 == baseline).all()


def test_flares_show_at_the_next_visit(cohort):
    """Every flare before the last attended visit is new activity at the visit that follows it;
    a severe flare grades its domain A there."""
    visits = cohort.visits.set_index([C.PATIENT, C.WEEK])
    step = cohort.scenario.activity.visit_weeks
    checked = 0
    for row in cohort.flares.itertuples():
        week = math.ceil(row.time_years / (step * _WEEK) - 1e-9) * step
        if (row.patient, week) not in visits.index:
            continue  # after the last attended visit
        visit = visits.loc[(row.patient, week)]
        assert visit[C.NEW_ACTIVITY]
        if row.severity == "severe":
            assert visit[C.bilag_column(C.ORGAN_TO_BILAG[row.organ])] == "A"
        checked += 1
    assert checked > 500


def test_visits_do_not_change_the_flare_process():
    sc = ls.preset("bliss52", n_per_arm=300)
    plain = ls.simulate_trials(sc, 20, rng=5)
    with_visits = ls.simulate_trials(sc, 20, rng=5, visits=True)
    for name in ("n_flares", "n_severe_flares", "followup_years", "baseline_sledai", "completed"):
        assert np.array_equal(getattr(plain, name), getattr(with_visits, name), equal_nan=True), name
    assert plain.visits is None
    assert with_visits.visits["sledai"].shape == (20, 600, visit_weeks(sc).size)


def test_batch_visits_equal_the_table_kernels():
    """The endpoints computed from simulate_cohort's visits table equal the kernels on its arrays."""
    sc = ls.preset("tulip", n_per_arm=400)
    cohort = ls.simulate_cohort(sc, rng=3)
    for endpoint in ("sri4", "bicla", "lldas", "doris"):
        from_table = ls.responders(cohort, endpoint)
        arrays = ls.visit_arrays(cohort.visits)
        responder, _ = responder_kernel(arrays, endpoint, arrays.n_visits - 1)
        assert int(from_table["responder"].sum()) == int(responder.sum()), endpoint


def test_baseline_drugs_and_serology_as_given():
    sc = ls.preset("bliss52", n_per_arm=10_000)
    act = sc.activity
    batch = ls.simulate_trials(sc, 1, rng=8, visits=True)
    v = batch.visits
    n = batch.n_patients
    on_gc = v["prednisone_mg"][0, :, 0] > 0
    assert _binomial_ok(on_gc.mean(), act.prednisone_use, n)
    assert _binomial_ok(v["on_immunosuppressant"][0, :, 0].mean(), act.immunosuppressant_use, n)
    assert _binomial_ok(v["on_antimalarial"][0, :, 0].mean(), act.antimalarial_use, n)
    # share of users above 7.5 mg/day: the log-normal's P(X > 7.5) (doses rounded to 2.5 mg, so
    # P(rounded > 7.5) = P(X >= 8.75))
    from scipy.stats import norm

    p_above = norm.sf((math.log(8.75) - act.prednisone_log_mean) / act.prednisone_log_sd)
    users = v["prednisone_mg"][0, on_gc, 0]
    assert _binomial_ok((users > 7.5).mean(), p_above, users.size)
    # serology: 2 points each, unless the baseline SLEDAI is smaller than the serology drawn
    sero = (v["sledai"] - v["clinical_sledai"])[0, :, 0]
    assert set(np.unique(sero)) <= {0, 2, 4}
    big = batch.baseline_sledai[0] >= 4
    p_dsdna, p_lowc = act.serology_prevalence
    assert abs(sero[big].mean() - 2 * (p_dsdna + p_lowc)) < Z999 * sero[big].std() / math.sqrt(big.sum())


def test_baseline_domain_prevalence_as_given():
    """Domains active at week 0 (BILAG A or B) at the given prevalence, among patients whose clinical
    SLEDAI is large enough that no domain had to be switched on or off."""
    sc = ls.preset("bliss52", n_per_arm=10_000)
    batch = ls.simulate_trials(sc, 1, rng=9, visits=True)
    v = batch.visits
    clinical = v["clinical_sledai"][0, :, 0]
    grades = v["bilag"][0, :, 0, :]
    keep = clinical > 0
    active = grades[keep] <= 1
    any_active = active.any(axis=1)
    prev = np.asarray(sc.activity.domain_prevalence)
    p_none = np.prod(1 - prev)
    for j, organ in enumerate(C.ORGAN_DOMAINS):
        col = C.BILAG_DOMAINS.index(C.ORGAN_TO_BILAG[organ])
        # conditional on at least one active domain (patients with none get one forced on)
        observed = active[any_active, col].mean()
        expected_naive = prev[j] / (1 - p_none)
        # forced activation adds at most p_none * share of this domain; allow that beside the MC error
        tol = Z999 * math.sqrt(expected_naive * (1 - expected_naive) / any_active.sum()) + p_none
        assert abs(observed - expected_naive) <= tol, organ
    assert (grades[:, [C.BILAG_DOMAINS.index("gastrointestinal"), C.BILAG_DOMAINS.index("ophthalmic")]] == 4).all()


def test_response_ratio_moves_the_endpoints():
    sc = ls.preset("tulip", n_per_arm=4000)
    same = {"flare_rate_ratio": 1.0, "dropout_rate": sc.arms[0].dropout_rate}  # only the response differs
    low = sc.with_arm("anifrolumab 300 mg", activity_response_ratio=1.0, **same)
    high = sc.with_arm("anifrolumab 300 mg", activity_response_ratio=3.0, **same)
    rates = {}
    for label, s in (("null", low), ("effect", high)):
        c = ls.simulate_cohort(s, rng=4)
        rates[label] = ls.responder_rates(c, "sri4").set_index("arm")["proportion"]
    # under the null the two arms agree (99.9% two-sample tolerance); with the effect the treated arm is higher
    diff_null = rates["null"].iloc[1] - rates["null"].iloc[0]
    assert abs(diff_null) < Z999 * math.sqrt(2 * 0.25 / 4000)
    assert rates["effect"].iloc[1] - rates["effect"].iloc[0] > 0.1


def test_activity_validation():
    with pytest.raises(TypeError, match="no parameter"):
        ls.Activity(bogus=1)
    with pytest.raises(ValueError, match="domain_prevalence"):
        ls.Activity(domain_prevalence=(0.5,) * 6)
    with pytest.raises(ValueError, match="taper_probability"):
        ls.Activity(taper_probability=1.5)
    with pytest.raises(TypeError, match="activity"):
        ls.Scenario([ls.Arm("a")], n_per_arm=5, baseline_flare_rate=1, dispersion=0, followup_years=1, activity=3)
    with pytest.raises(ValueError, match="activity_response_ratio"):
        ls.Arm("a", activity_response_ratio=0)
    with pytest.raises(TypeError, match="visits"):
        ls.simulate_trials(ls.preset("general_cohort"), 1, visits="yes")


def test_activity_sources_listed():
    table = ls.preset("bliss52").sources()
    rows = table[table["parameter"].str.startswith("activity.")]
    renal = ("upcr_", "egfr_", "renal_flare")  # the renal model's parameters are listed only when it is on
    shown = [f for f in ls.Activity.__dataclass_fields__ if f != "provenance" and not f.startswith(renal)]
    assert len(rows) == len(shown)
    renal_rows = ls.preset("bliss_ln").sources()["parameter"].str.startswith("activity.upcr_")
    assert renal_rows.sum() == 4
    fitted = rows[rows["parameter"] == "activity.improvement_rate"].iloc[0]
    assert fitted["evidence_tag"] == "D" and "SRI-4" in fitted["note"]


# ------------------------------------------------------------------------------------------ drug withdrawal
def _two_arm_withdrawal(**withdrawal):
    sc = ls.preset("general_cohort", n_per_arm=400, followup_years=2.0)
    care = sc.arms[0]
    return sc.replace(arms=[care, care.replace(name="withdrawal", **withdrawal)])


def test_scheduled_abrupt_withdrawal_stops_prednisone_until_a_flare():
    sc = _two_arm_withdrawal(withdraw=("glucocorticoids", "immunosuppressants"), withdrawal_week=12)
    b = ls.simulate_trials(sc, 1, rng=2, visits=True)
    v = b.visits
    weeks = v["week"]
    arm = b.in_arm("withdrawal")
    k = int(np.flatnonzero(weeks == 12)[0])
    attended = v["attended"][0, arm, k]
    # at the withdrawal visit: no prednisone unless a flare in that interval raised it, no immunosuppressant
    flared_now = v["new_activity"][0, arm, k]
    quiet = attended & ~flared_now
    assert (v["prednisone_mg"][0, arm, k][quiet] == 0).all()
    assert not v["on_immunosuppressant"][0, arm, k][attended & ~v["rescue"][0, arm, k]].any()
    # before it, the arm's doses are as drawn: the reference arm's patients are unchanged by the other arm
    plain = ls.simulate_trials(
        sc.replace(arms=[sc.arms[0], sc.arms[0].replace(name="withdrawal")]), 1, rng=2, visits=True
    )
    ref = b.in_arm(sc.arms[0].name)
    for name in ("sledai", "prednisone_mg", "pga", "bilag", "on_immunosuppressant"):
        assert np.array_equal(v[name][0, ref], plain.visits[name][0, ref]), name
    assert np.array_equal(v["prednisone_mg"][0, arm, :k], plain.visits["prednisone_mg"][0, arm, :k])


def test_gradual_withdrawal_tapers_linearly():
    sc = _two_arm_withdrawal(withdraw=("glucocorticoids",), withdrawal_week=0, withdrawal_taper_weeks=16)
    b = ls.simulate_trials(sc, 1, rng=3, visits=True)
    v = b.visits
    arm = b.in_arm("withdrawal")
    dose = v["prednisone_mg"][0, arm]
    new = v["new_activity"][0, arm]
    # withdrawal starts at the first visit after baseline (week 4, index 1) and reaches 0 16 weeks later
    # (week 20, index 5); patients with no flare by then: the dose never rises on the way
    no_flare = ~new[:, :6].any(axis=1) & v["attended"][0, arm, 5]
    assert no_flare.sum() > 50
    d = dose[no_flare]
    assert (np.diff(d[:, :6], axis=1) <= 0).all()
    assert (d[:, 5] == 0).all()
    # halfway (week 12, index 3) the dose is at most half of the week-4 start, rounded to 2.5 mg
    assert (d[:, 3] <= np.round(d[:, 1] * 0.5 / 2.5) * 2.5 + 1e-9).all()
    assert (d[:, 1] > 0).any()


def test_conditional_withdrawal_waits_for_the_condition():
    sc = _two_arm_withdrawal(
        withdraw=("glucocorticoids", "antimalarials", "immunosuppressants"),
        withdrawal_condition="remission",
        withdrawal_condition_weeks=24,
    )
    b = ls.simulate_trials(sc, 1, rng=4, visits=True)
    v = b.visits
    arm = b.in_arm("withdrawal")
    remission = (v["clinical_sledai"][0, arm] == 0) & ~(v["bilag"][0, arm] <= 1).any(axis=-1)
    stopped_am = ~v["on_antimalarial"][0, arm] & v["on_antimalarial"][0, arm][:, :1]
    for p in np.flatnonzero(stopped_am.any(axis=1)):
        first = int(np.flatnonzero(stopped_am[p])[0])
        # the condition held at the visits of the 24 weeks before (24 / 4 = 6 visits, ending at `first`)
        assert first >= 6 and remission[p, first - 5 : first + 1].all()
    assert stopped_am.any()


def test_protocol_dose_and_withdrawal_validation():
    arm = ls.Arm("x", prednisone_mg=5.0)
    assert arm.prednisone_mg == 5.0
    with pytest.raises(ValueError, match="withdraw"):
        ls.Arm("x", withdraw=("steroids",))
    with pytest.raises(TypeError, match="withdraw"):
        ls.Arm("x", withdraw="glucocorticoids")
    with pytest.raises(ValueError, match="withdrawal_condition"):
        ls.Arm("x", withdrawal_condition="sometimes")
    sc = ls.preset("withdrawal")
    b = ls.simulate_trials(sc.replace(n_per_arm=200), 1, rng=1, visits=True)
    assert (b.visits["prednisone_mg"][0, :, 0] == 5.0).all()
    table = sc.sources()
    assert {"prednisone_mg", "withdraw"} <= set(table["parameter"])


# ------------------------------------------------------------------------------------------ renal model
def test_renal_visits_as_given():
    sc = ls.preset("bliss_ln", n_per_arm=6000)
    act = sc.activity
    b = ls.simulate_trials(sc, 1, rng=6, visits=True)
    v = b.visits
    upcr0, egfr0 = v["upcr"][0, :, 0], v["egfr"][0, :, 0]
    n = upcr0.size
    # log-normal UPCR at baseline: log mean and SD as given (99.9% tolerance for the mean)
    logs = np.log(upcr0)
    assert abs(logs.mean() - act.upcr_log_mean) < Z999 * act.upcr_log_sd / math.sqrt(n) + 1e-3  # rounding to 1e-3
    assert abs(logs.std() - act.upcr_log_sd) < 0.03
    # eGFR: the two published shares the normal was fitted to
    assert _binomial_ok((egfr0 >= 60).mean(), 182 / 223, n)
    assert _binomial_ok((egfr0 >= 90).mean(), 133 / 223, n)
    # the renal domain is active at baseline in everyone with clinical activity (prevalence 1)
    renal = C.BILAG_DOMAINS.index("renal")
    clinical = v["clinical_sledai"][0, :, 0] > 0
    assert (v["bilag"][0, clinical, 0, renal] <= 1).all()
    # proteinuria falls faster on the arm with the larger response ratio
    last = v["week"].size - 1
    seen = v["attended"][0, :, last]
    placebo, treated = b.in_arm("placebo") & seen, b.in_arm("belimumab 10 mg/kg") & seen
    assert np.median(v["upcr"][0, treated, last]) < np.median(v["upcr"][0, placebo, last])


def test_renal_columns_in_the_table_and_endpoints():
    cohort = ls.simulate_cohort(ls.preset("bliss_ln", n_per_arm=100), rng=2)
    assert {"upcr", "egfr"} <= set(cohort.visits.columns)
    rates = ls.responder_rates(cohort, "renal_response", week=104)
    assert list(rates["arm"]) == ["placebo", "belimumab 10 mg/kg"]
    with pytest.raises(ValueError, match="upcr"):
        ls.responder_rates(ls.simulate_cohort(ls.preset("tulip", n_per_arm=20), rng=1), "renal_response")
