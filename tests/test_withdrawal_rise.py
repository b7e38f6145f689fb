"""The flare rise after each patient's own withdrawal (``Arm(withdrawal_flare_ratio=...)``, issue 15).

The extra flares come from their own child stream, so a scenario with the rise
and the same scenario without it share every other draw: the checks compare
the two runs patient by patient (flares before the withdrawal unchanged, the
extra ones only after it, none for a patient never withdrawn) and test the
rate after withdrawal by simulation with exact binomial / normal Monte Carlo
intervals.  The withdrawal times are read off the simulator by wrapping
``simulate_visits`` (the ``withdrawal_years`` it fills).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls
import lupusstats.model.simulate as sim
from lupusstats.endpoints import VisitArrays
from lupusstats.endpoints.responders import responder_kernel

STRICT = ("glucocorticoids", "antimalarials", "immunosuppressants")


def _capture_withdrawal(monkeypatch) -> list[np.ndarray]:
    """Wrap simulate_visits to record the withdrawal times it fills (one array per pass that asks for them)."""
    seen: list[np.ndarray] = []
    original = sim.simulate_visits

    def wrapped(*args, **kwargs):
        out = original(*args, **kwargs)
        if kwargs.get("withdrawal_years") is not None:
            seen.append(kwargs["withdrawal_years"].copy())
        return out

    monkeypatch.setattr(sim, "simulate_visits", wrapped)
    return seen


def _conditional(ratio: float, n: int = 1500) -> ls.Scenario:
    sc = ls.preset("general_cohort", n_per_arm=n, followup_years=3.0)
    care = sc.arms[0]
    arm = care.replace(
        name="withdrawal",
        withdraw=STRICT,
        withdrawal_condition="remission",
        withdrawal_condition_weeks=12,
        withdrawal_flare_ratio=ratio,
    )
    # a fast improvement so that many (not all) patients reach remission and are withdrawn
    return sc.replace(arms=[arm], activity=sc.activity.replace(improvement_rate=1.0))


# ------------------------------------------------------------------------------------- (a) from week 0
def test_unconditional_rise_from_week_0_equals_a_flare_rate_ratio():
    """Withdrawal at randomisation with ratio r: the same flare-count distribution as flare_rate_ratio = r."""
    r, n = 3.0, 60_000
    base = ls.preset("withdrawal", n_per_arm=n, baseline_flare_rate=1.0)
    keep, stop = base.arms
    as_rate = base.replace(arms=[keep, stop.replace(flare_rate_ratio=r, withdrawal_flare_ratio=1.0)])
    as_rise = base.replace(arms=[keep, stop.replace(flare_rate_ratio=1.0, withdrawal_flare_ratio=r)])
    a = ls.simulate_trials(as_rate, 1, rng=11)
    b = ls.simulate_trials(as_rise, 1, rng=12)
    arm = a.in_arm("prednisone withdrawn")
    xa, xb = a.n_flares[0, arm], b.n_flares[0, arm]
    # both means against the model's mean r * rate * T (no dropout; frailty mean 1), and against each other
    expected = r * 1.0 * base.followup_years
    for x in (xa, xb):
        assert abs(x.mean() - expected) < 4.5 * x.std() / math.sqrt(n)
    assert abs(xa.mean() - xb.mean()) < 4.5 * math.sqrt((xa.var() + xb.var()) / n)
    # the whole distribution (NB: the same dispersion), the severe counts and the first flare times
    assert stats.chisquare(*_binned(xb, xa)).pvalue > 1e-4
    sa, sb = a.n_severe_flares[0, arm], b.n_severe_flares[0, arm]
    assert abs(sa.mean() - sb.mean()) < 4.5 * math.sqrt((sa.var() + sb.var()) / n)
    fa, fb = a.first_flare_years[0, arm], b.first_flare_years[0, arm]
    assert stats.ks_2samp(fa[~np.isnan(fa)], fb[~np.isnan(fb)]).pvalue > 1e-4
    # the maintained arm is untouched by the other arm's rise (same seed, same draws)
    c = ls.simulate_trials(as_rise.replace(arms=[keep, stop.replace(withdrawal_flare_ratio=1.0)]), 1, rng=12)
    keep_arm = b.in_arm("prednisone 5 mg maintained")
    np.testing.assert_array_equal(b.n_flares[0, keep_arm], c.n_flares[0, keep_arm])


def _binned(x: np.ndarray, ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Observed counts of `x` by value (0..8, 9+) and the counts expected from `ref`'s distribution."""
    edges = np.minimum(x, 9), np.minimum(ref, 9)
    obs = np.bincount(edges[0], minlength=10).astype(float)
    exp = np.bincount(edges[1], minlength=10) / ref.size * x.size
    keep = exp > 5
    obs, exp = obs[keep], exp[keep]
    return obs, exp * obs.sum() / exp.sum()


# ------------------------------------------------------------------------------- (b), (c) conditional
def test_conditional_rise_acts_only_after_each_patients_withdrawal(monkeypatch):
    r = 3.0
    seen = _capture_withdrawal(monkeypatch)
    with_rise = ls.simulate_cohort(_conditional(r), rng=5)
    w = seen[-1][0]  # one trial
    without = ls.simulate_cohort(_conditional(1.0), rng=5)
    withdrawn = np.isfinite(w)
    assert 0.2 < withdrawn.mean() < 0.9  # both kinds of patients are present
    assert w[withdrawn].min() > 0  # conditional: at a visit after the condition held

    fa, fb = without.flares, with_rise.flares
    wa, wb = w[fa["patient"] - 1], w[fb["patient"] - 1]
    key = ["patient", "time_years", "severity", "organ", "sledai_increase"]
    # (b) every flare of the run without the rise is in the run with it, and before w the flares are the same
    merged = fb[key].merge(fa[key], how="left", indicator=True)
    assert (merged["_merge"] == "both").sum() == len(fa)
    before_a = fa[fa["time_years"].to_numpy() <= wa][key].reset_index(drop=True)
    before_b = fb[fb["time_years"].to_numpy() <= wb][key].reset_index(drop=True)
    assert len(before_a) > 100
    assert before_a.equals(before_b)
    # (c) a patient never withdrawn has exactly the same flares and patient row
    never = np.flatnonzero(~withdrawn) + 1
    pa = without.patients.set_index("patient").loc[never]
    pb = with_rise.patients.set_index("patient").loc[never]
    cols = ["n_flares", "n_severe_flares", "first_flare_years", "first_severe_flare_years"]
    assert pa[cols].equals(pb[cols])
    flares_a = fa[fa["patient"].isin(never)].reset_index(drop=True)
    assert flares_a.equals(fb[fb["patient"].isin(never)].reset_index(drop=True))

    # the rate after w is r times: given the flares after w, each is an extra one with probability (r - 1) / r
    after_a = int((fa["time_years"].to_numpy() > wa).sum())
    after_b = int((fb["time_years"].to_numpy() > wb).sum())
    extra = after_b - after_a
    assert extra == len(fb) - len(fa) > 200
    assert stats.binomtest(extra, after_b, (r - 1) / r).pvalue > 1e-4

    # the patients table and the flares table agree (counts, first flares)
    counts = fb.groupby("patient").size().reindex(with_rise.patients["patient"], fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, with_rise.patients["n_flares"])
    severe = (fb["severity"] == "severe").groupby(fb["patient"]).sum()
    severe = severe.reindex(with_rise.patients["patient"], fill_value=0).to_numpy()
    np.testing.assert_array_equal(severe, with_rise.patients["n_severe_flares"])
    first = fb.groupby("patient")["time_years"].min().reindex(with_rise.patients["patient"]).to_numpy()
    np.testing.assert_array_equal(first, with_rise.patients["first_flare_years"])
    assert (fb.groupby("patient")["time_years"].apply(lambda t: t.is_monotonic_increasing)).all()

    # the visits are re-run on the same stream: identical up to each patient's withdrawal visit
    va, vb = without.visits, with_rise.visits
    upto = (va["week"].to_numpy() * 7 / 365.25) <= w[va["patient"] - 1] + 1e-9
    cols = ["sledai", "pga", "prednisone_mg", "on_immunosuppressant", "on_antimalarial"]
    assert upto.sum() > 1000
    assert va.loc[upto, cols].equals(vb.loc[upto, cols])


def test_batch_rise_matches_its_expected_count(monkeypatch):
    """simulate_trials (no visits asked): extra flares ~ Poisson((r - 1) x rate x frailty x time after w)."""
    r = 2.5
    seen = _capture_withdrawal(monkeypatch)
    sc = _conditional(r, n=3000)
    b = ls.simulate_trials(sc, 3, rng=9)
    a = ls.simulate_trials(_conditional(1.0, n=3000), 3, rng=9)
    assert b.visits is None  # the visits ran (for the withdrawal times) but were not asked for
    w = seen[-1]
    extra = b.n_flares - a.n_flares
    assert (extra >= 0).all() and (extra[~np.isfinite(w)] == 0).all()
    assert (b.n_severe_flares >= a.n_severe_flares).all()
    # the frailty is the same draw in both runs; recover it from the first pass through the private draws
    d = sim._draw(sc, 3, np.random.default_rng(9))
    window = np.clip(d["followup"] - np.minimum(w, d["followup"]), 0, None)
    mean = float(((r - 1) * sc.baseline_flare_rate * d["frailty"] * window).sum())
    assert abs(extra.sum() - mean) < 4.5 * math.sqrt(mean)
    # first flare: the earlier of the two processes'
    earlier = np.fmin(a.first_flare_years, b.first_flare_years)
    np.testing.assert_array_equal(earlier, b.first_flare_years)


def test_rise_does_not_change_scenarios_without_it():
    """(d) An arm with ratio 1 draws nothing extra: the same batch and cohort as before the option existed."""
    sc = _conditional(1.0, n=200)
    assert not sim._has_withdrawal_rise(sc)
    a = ls.simulate_trials(sc, 2, rng=3, visits=True)
    b = ls.simulate_trials(sc.replace(arms=[sc.arms[0].replace(withdrawal_flare_ratio=1.0)]), 2, rng=3, visits=True)
    np.testing.assert_array_equal(a.n_flares, b.n_flares)
    for k in a.visits:
        np.testing.assert_array_equal(a.visits[k], b.visits[k])


# ---------------------------------------------------------------------------------------- (e) bad input
def test_withdrawal_flare_ratio_validation():
    arm = ls.Arm("x", withdraw=("glucocorticoids",), withdrawal_flare_ratio=2.0)
    assert arm.withdrawal_flare_ratio == 2.0
    assert ls.Arm("x").withdrawal_flare_ratio == 1.0
    with pytest.raises(ValueError, match="withdrawal_flare_ratio.*>= 1"):
        ls.Arm("x", withdraw=("glucocorticoids",), withdrawal_flare_ratio=0.5)
    with pytest.raises(ValueError, match="withdrawal_flare_ratio"):
        ls.Arm("x", withdraw=("glucocorticoids",), withdrawal_flare_ratio=0.0)
    with pytest.raises(ValueError, match="withdrawal_flare_ratio"):
        ls.Arm("x", withdraw=("glucocorticoids",), withdrawal_flare_ratio=float("nan"))
    with pytest.raises(TypeError, match="withdrawal_flare_ratio"):
        ls.Arm("x", withdraw=("glucocorticoids",), withdrawal_flare_ratio="2")
    with pytest.raises(ValueError, match="withdrawal_flare_ratio.*withdraw"):
        ls.Arm("x", withdrawal_flare_ratio=2.0)
    with pytest.raises(ValueError, match="withdrawal_flare_ratio"):
        arm.replace(withdrawal_flare_ratio=0.9)
    # shown by sources() when not 1
    sc = ls.preset("withdrawal")
    table = sc.sources()
    row = table[(table["arm"] == "prednisone withdrawn") & (table["parameter"] == "withdrawal_flare_ratio")]
    assert len(row) == 1 and row["evidence_tag"].iloc[0] == "D"


# ------------------------------------------------------------------- drug-free remission from the visits
def test_drug_free_column_is_the_endpoint_at_the_last_visit():
    """No arm has a remission probability: the patients' drug_free_remission is the endpoint at the last visit."""
    sc = _conditional(2.0, n=600)
    cohort = ls.simulate_cohort(sc, rng=4)
    last = int(cohort.visits["week"].max())
    endpoint = ls.drug_free_remission(cohort, week=last).set_index("patient")["responder"]
    column = cohort.patients.set_index("patient")["drug_free_remission"]
    assert column.sum() > 20
    np.testing.assert_array_equal(column.to_numpy(), endpoint.reindex(column.index).to_numpy())
    batch = ls.simulate_trials(sc, 2, rng=4, visits=True)
    arrays = VisitArrays(**batch.visits)
    responder, _ = responder_kernel(arrays, "drug_free_remission", arrays.n_visits - 1)
    np.testing.assert_array_equal(batch.drug_free_remission, responder)
    # an arm with a remission probability keeps the coin flip (the source's definition) for the whole scenario
    coin = sc.replace(arms=[sc.arms[0].replace(remission_probability=0.3)])
    share = ls.simulate_trials(coin, 1, rng=4, visits=True).drug_free_remission.mean()
    assert abs(share - 0.3) < 4.5 * math.sqrt(0.21 / 600)


# ------------------------------------------------------------------------------------------- the presets
def test_withdrawal_preset_rises_from_the_withdrawal():
    from lupusstats.model.presets import _FITTED

    stop = ls.preset("withdrawal").arm("prednisone withdrawn")
    value, target = _FITTED["withdrawal"]["prednisone withdrawn:withdrawal_flare_ratio"]
    assert stop.withdrawal_flare_ratio == value > 1 and stop.flare_rate_ratio == 1.0
    assert stop.provenance["withdrawal_flare_ratio"].tag == "D" and "17/63" in target
    key = "prednisone withdrawn:withdrawal_flare_ratio"
    assert key in ls.PRESET_TARGETS["withdrawal"]["fitted"]


@pytest.mark.parametrize("name", ["refractory", "refractory_conservative"])
def test_refractory_presets_through_withdrawal(name):
    sc = ls.preset(name)
    grid = ls.preset_sensitivity(name)
    table = sc.sources()
    assert set(grid) == {"autologous HSCT", "CD19 CAR-T (exploratory)"}
    for arm_name, ranges in grid.items():
        arm = sc.arm(arm_name)
        assert arm.remission_probability == 0 and arm.withdraw and "immunosuppressants" in arm.withdraw
        for key, values in ranges.items():
            # the preset's value is a point of the swept range, tagged A, and the note gives the range
            value = getattr(arm, key)
            assert value <= max(values) * (1 + 1e-9), (arm_name, key)
            if key != "flare_rate_ratio":  # the flare ratios of the series (0.046-0.1) sit around the grid's 0.05
                assert min(values) <= value * (1 + 1e-9), (arm_name, key)
            row = table[(table["arm"] == arm_name) & (table["parameter"] == key)]
            assert len(row) == 1 and row["evidence_tag"].iloc[0] == "A", (arm_name, key)
        for key in ("activity_response_ratio", "withdrawal_flare_ratio"):
            note = table[(table["arm"] == arm_name) & (table["parameter"] == key)]["note"].iloc[0]
            assert "Range considered" in note or "range considered" in note
            assert "preset_sensitivity" in note
    # HSCT keeps hydroxychloroquine (Burt 2018's remission allows it), CAR-T stops every drug
    assert "antimalarials" not in sc.arm("autologous HSCT").withdraw
    assert "antimalarials" in sc.arm("CD19 CAR-T (exploratory)").withdraw
    # ranges: the flare ratios of the sweep reach "no effect"; the rise reaches CORTICOLUP's fitted rise
    hsct = grid["autologous HSCT"]
    assert max(hsct["flare_rate_ratio"]) == 1.0
    rise = ls.preset("withdrawal").arm("prednisone withdrawn").withdrawal_flare_ratio
    assert hsct["withdrawal_flare_ratio"] == (1.0, rise)


def test_refractory_drug_free_remission_comes_from_the_visits():
    sc = ls.preset("refractory", n_per_arm=400)
    cohort = ls.simulate_cohort(sc, rng=8)
    share = cohort.patients.groupby("arm", observed=True)["drug_free_remission"].mean()
    assert share["standard care"] < 0.05 < share["autologous HSCT"]
    last = int(cohort.visits["week"].max())
    endpoint = ls.drug_free_remission(cohort, week=last).set_index("patient")["responder"]
    column = cohort.patients.set_index("patient")["drug_free_remission"]
    np.testing.assert_array_equal(column.to_numpy(), endpoint.reindex(column.index).to_numpy())
    # simulate_power("remission") is the visits-based drug-free remission: the same trials, the same tests
    two = ls.preset("refractory", n_per_arm=60)
    kw = dict(n_trials=40, rng=3, arm="autologous HSCT")
    a = ls.simulate_power(two, endpoint="remission", **kw)
    b = ls.simulate_power(two, endpoint="drug_free_remission", **kw)
    assert a.power == b.power > 0.5
    with pytest.raises(ValueError, match="known preset"):
        ls.preset_sensitivity("nope")
    with pytest.raises(TypeError, match="name"):
        ls.preset_sensitivity(3)
    assert ls.preset_sensitivity("tulip") == {}


def test_refractory_best_case_approaches_the_series():
    """The upper end of the assumed speed-up (the best-case preset) comes near the series' drug-free remission.

    A rough comparison, not a fit (the definitions differ): Mueller 2024, SLEDAI-2K 0 at 6 months with
    immunosuppression stopped in 8/8 SLE patients (exact 95% CI 0.63-1); Burt 2018, remission off
    immunosuppressants (prednisone <= 10 mg allowed) 92% at 1 year of 26.  The simulated share drug-free
    (prednisone 0) must reach the lower end of each interval; at x10 it does not.
    """
    sc = ls.preset("refractory")
    care, hsct, cart = sc.arms
    lo_cart = stats.binomtest(8, 8).proportion_ci().low
    lo_hsct = stats.binomtest(24, 26).proportion_ci().low  # 92% of 26 = 24
    arms = [care, hsct, cart, hsct.replace(name="hsct x10", activity_response_ratio=10.0)]
    rates = ls.drug_free_remission_rates(
        sc.replace(arms=arms), weeks=[24, 52], allow_antimalarials=True, n_per_arm=1500, rng=6
    ).set_index(["arm", "measure"])["proportion"]
    assert rates[(cart.name, "at_week_24")] > lo_cart
    assert rates[(hsct.name, "at_week_52")] > lo_hsct
    assert rates[("hsct x10", "at_week_52")] < lo_hsct
